//! Manna's pages, components and server functions.
//!
//! Server-only code (SQL, sessions) sits behind the `ssr` feature; the same crate is
//! compiled to wasm with `hydrate` for the browser.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

pub mod accounts;
pub mod auth;
pub mod bank_categories;
pub mod budgets;
pub mod categories;
pub mod categorize;
#[cfg(feature = "ssr")]
pub mod charts;
pub mod connections;
pub mod csp;
#[cfg(feature = "ssr")]
pub mod data;
pub mod error;
pub mod import;
pub mod input;
pub mod insights;
pub mod journal;
pub mod mfa;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod picker_cache;
#[cfg(feature = "ssr")]
pub mod plaid;
pub mod privacy;
pub mod reconcile;
pub mod reports;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod sealing;
pub mod settings;
pub mod transactions;
pub mod transactions_export;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{A, Route, Router, Routes},
};

use auth::{SignOut, whoami};
use pages::{
    account_detail::{AccountDetailPage, ReconcilePage},
    accounts::AccountsPage,
    auth::{LoginPage, MfaPage, SignupPage},
    budget_detail::BudgetPage,
    budgets::BudgetsPage,
    categories::{CategoriesPage, TaxPage},
    connections::ConnectionsPage,
    dashboard::DashboardPage,
    import::ImportPage,
    not_found::NotFound,
    reports::{ReportsPage, SavedReportPage, SharedReportPage},
    review::ReviewPage,
    rules::RulesPage,
    settings::SettingsPage,
    transactions::TransactionsPage,
};

/// The HTML document around the app, rendered on the server only.
///
/// `options.output_name` carries the content hash of the site assets (set by the
/// server at start), so `/pkg/<name>.css|js|wasm` can be cached forever.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let css = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    #[cfg(feature = "ssr")]
    set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href=css/>
                <HydrationScripts options/>
                <script src="/plaid-link.js" defer></script>
                <script src="/import-file.js" defer></script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page's content security policy, with this response's script nonce.
#[cfg(feature = "ssr")]
fn set_page_policy() {
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let plaid = use_context::<plaid::PlaidSetup>().and_then(|p| p.0).and_then(|c| c.config().link_script_origin());
    if let Ok(value) = http::HeaderValue::from_str(&csp::page_policy(&nonce, plaid.as_deref())) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The navigation, in the order the sidebar shows it.
const NAV: [(&str, &str); 12] = [
    ("/", "Dashboard"),
    ("/accounts", "Accounts"),
    ("/transactions", "Transactions"),
    ("/categories", "Categories"),
    ("/rules", "Rules"),
    ("/review", "Review"),
    ("/tax", "Tax"),
    ("/budgets", "Budgets"),
    ("/reports", "Reports"),
    ("/connections", "Connections"),
    ("/import", "Import"),
    ("/settings", "Settings"),
];

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the page once the browser has taken it over: journeys wait on it, and the
    // CSS may use it. Effects never run on the server.
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Manna".to_string() } else { format!("{page} · Manna") }/>
        <Router>
            <div class="layout">
                <a class="skip-link" href="#main">"Skip to content"</a>
                <nav class="sidebar" aria-label="Main">
                    <a class="brand" href="/">
                        <span class="brand-mark" aria-hidden="true">"◆"</span>
                        " Manna"
                    </a>
                    <ul>
                        {NAV
                            .iter()
                            .map(|(href, label)| {
                                view! {
                                    <li>
                                        <A href=*href exact=true>{*label}</A>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                    <UserMenu/>
                </nav>
                <main id="main" class="content">
                    <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors/> }>
                    <Routes fallback=NotFound>
                        <Route path=StaticSegment("") view=DashboardPage/>
                        <Route path=StaticSegment("login") view=LoginPage/>
                        <Route path=(StaticSegment("login"), StaticSegment("mfa")) view=MfaPage/>
                        <Route path=StaticSegment("signup") view=SignupPage/>
                        <Route path=StaticSegment("accounts") view=AccountsPage/>
                        <Route path=(StaticSegment("accounts"), ParamSegment("id")) view=AccountDetailPage/>
                        <Route path=(StaticSegment("accounts"), ParamSegment("id"), StaticSegment("reconcile")) view=ReconcilePage/>
                        <Route path=StaticSegment("transactions") view=TransactionsPage ssr=SsrMode::Async/>
                        <Route path=StaticSegment("categories") view=CategoriesPage/>
                        <Route path=StaticSegment("tax") view=TaxPage/>
                        <Route path=StaticSegment("rules") view=RulesPage/>
                        <Route path=StaticSegment("review") view=ReviewPage/>
                        <Route path=StaticSegment("budgets") view=BudgetsPage/>
                        <Route path=(StaticSegment("budgets"), ParamSegment("id")) view=BudgetPage/>
                        <Route path=StaticSegment("reports") view=ReportsPage/>
                        <Route path=(StaticSegment("reports"), ParamSegment("id")) view=SavedReportPage/>
                        <Route path=(StaticSegment("shared"), ParamSegment("token")) view=SharedReportPage/>
                        <Route path=StaticSegment("connections") view=ConnectionsPage/>
                        <Route path=StaticSegment("import") view=ImportPage/>
                        <Route path=StaticSegment("settings") view=SettingsPage/>
                    </Routes>
                    </ErrorBoundary>
                </main>
            </div>
        </Router>
    }
}

/// What a page shows when a component inside it fails: the reasons, not a blank page.
#[component]
fn ErrorPanel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <section class="error-panel" role="alert">
            <h1>"Something went wrong on this page"</h1>
            <ul>
                {move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}
            </ul>
            <a class="button" href="/">"Back to the dashboard"</a>
        </section>
    }
}

/// Who is signed in, and the way out; or the way in.
#[component]
fn UserMenu() -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let location = leptos_router::hooks::use_location();
    // Asked again after every navigation, so signing in or out shows at once.
    let me = Resource::new(move || (location.pathname.get(), sign_out.version().get()), |_| whoami());
    view! {
        <div class="user-menu">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(user)) => {
                            let name = if user.display_name.is_empty() { user.email.clone() } else { user.display_name.clone() };
                            view! {
                                <p class="signed-in" title=user.email>{name}</p>
                                <ActionForm action=sign_out>
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </ActionForm>
                            }
                            .into_any()
                        }
                        _ => view! { <a href="/login">"Sign in"</a> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
