use leptos::prelude::*;
use leptos_meta::Title;

/// A section of the app that has not been built yet: says so plainly instead of
/// pretending, and points at the work that brings it.
#[component]
pub fn Section(title: &'static str, issue: u32) -> impl IntoView {
    view! {
        <Title text=title/>
        <header class="page-header">
            <h1>{title}</h1>
        </header>
        <section class="empty-state">
            <h2>"Not available yet"</h2>
            <p>
                {format!("{title} is planned (issue #{issue}) and is not part of this build. ")}
                "Your data is safe; the dashboard shows your accounts and balances."
            </p>
        </section>
    }
}
