use leptos::prelude::*;
use leptos_meta::Title;

/// Any path no route claims: a real 404 (status and page).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <section class="empty-state not-found">
            <p class="eyebrow">"404"</p>
            <h1>"This page does not exist"</h1>
            <p>"The address may be mistyped, or the page may have moved."</p>
            <a class="button" href="/">"Back to the dashboard"</a>
        </section>
    }
}
