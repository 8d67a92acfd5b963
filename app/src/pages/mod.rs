pub mod accounts;
pub mod auth;
pub mod dashboard;
pub mod not_found;
pub mod placeholder;
pub mod settings;
pub mod transactions;

use leptos::prelude::*;

/// What a page shows a signed-out visitor instead of data.
#[component]
pub fn SignInPrompt(message: &'static str) -> impl IntoView {
    view! {
        <section class="empty-state">
            <p>{message}</p>
            <a class="button" href="/login">"Sign in"</a>
        </section>
    }
}
