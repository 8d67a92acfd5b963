pub mod account_detail;
pub mod accounts;
pub mod auth;
pub mod budget_detail;
pub mod budgets;
pub mod categories;
pub mod connections;
pub mod dashboard;
pub mod import;
pub mod insights;
pub mod journal_forms;
pub mod not_found;
pub mod placeholder;
pub mod reports;
pub mod review;
pub mod rules;
pub mod settings;
pub mod transaction_editors;
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
