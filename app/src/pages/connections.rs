//! Bank connections: link a bank through Plaid Link, see each connection's health,
//! sync, fix a connection in update mode, remove one.
//!
//! Link itself is Plaid's script; `/plaid-link.js` (public/) opens it for buttons with
//! `data-plaid-link` and calls the server functions, then fires
//! `manna:connections-changed` so this page reloads its data.

use super::SignInPrompt;
use crate::connections::{Connection, ConnectionsView, RemoveConnection, SyncConnection, connections};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use manna_core::{Currency, format_money};

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let sync = ServerAction::<SyncConnection>::new();
    let remove = ServerAction::<RemoveConnection>::new();
    let changed = RwSignal::new(0u32);
    let data = Resource::new(move || (changed.get(), sync.version().get(), remove.version().get()), |_| connections());
    let listener = window_event_listener_untyped("manna:connections-changed", move |_| changed.update(|n| *n += 1));
    on_cleanup(move || listener.remove());
    // While a sync waits or runs, look again shortly.
    Effect::new(move |_| {
        if let Some(Ok(view)) = data.get()
            && view.items.iter().any(|i| i.syncing)
        {
            set_timeout(move || changed.update(|n| *n += 1), std::time::Duration::from_millis(1500));
        }
    });
    let action_error = move || {
        sync.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| remove.value().get().and_then(|r| r.err()))
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Connections"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Bank connections"</p>
                <h1>"Connections"</h1>
            </div>
        </header>
        // Outside the data's Suspense so Link's messages survive a reload of the list.
        <p class="link-status" data-link-status="" role="status" aria-live="polite"></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(AppError::Unauthorized) => {
                        view! { <SignInPrompt message="Sign in to see your bank connections."/> }.into_any()
                    }
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(view) => view! { <Connections view sync remove/> }.into_any(),
                }
            })}
        </Suspense>
        {move || action_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
    }
}

#[component]
fn Connections(
    view: ConnectionsView,
    sync: ServerAction<SyncConnection>,
    remove: ServerAction<RemoveConnection>,
) -> impl IntoView {
    if !view.plaid.configured {
        return view! { <NotConfigured/> }.into_any();
    }
    let script = view.plaid.link_script_url.clone();
    let list = if view.items.is_empty() {
        view! {
            <section class="empty-state">
                <h2>"No banks connected"</h2>
                <p>"Connect a bank to bring in its accounts and transactions automatically. Manna never sees your bank password: you sign in with Plaid."</p>
            </section>
        }
        .into_any()
    } else {
        view.items
            .into_iter()
            .map(|c| view! { <ConnectionCard c script=script.clone() sync remove/> })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="connect-bar">
            <button type="button" class="button" data-plaid-link="" data-link-script=script.clone()>
                "Connect a bank"
            </button>
            {(view.plaid.environment == "sandbox").then(|| view! {
                <p class="hint">"Plaid sandbox: sign in with user_good / pass_good."</p>
            })}
        </section>
        {list}
    }
    .into_any()
}

#[component]
fn NotConfigured() -> impl IntoView {
    view! {
        <section class="empty-state">
            <h2>"Bank connections are off"</h2>
            <p>"This server has no Plaid credentials. Everything else works; to connect banks, start Manna with:"</p>
            <pre class="config">"PLAID_CLIENT_ID=…  PLAID_SECRET=…  PLAID_ENV=sandbox|production\nMANNA_PUBLIC_URL=https://your.host   # webhooks go to /webhooks/plaid"</pre>
            <p class="hint">"To try it locally without Plaid: run the fake (cargo run -p plaid-fake) and set PLAID_BASE_URL=http://127.0.0.1:4010 and PLAID_LINK_SCRIPT_URL=http://127.0.0.1:4010/link-initialize.js with its client id and secret."</p>
        </section>
    }
}

fn status_label(status: &str) -> (&'static str, &'static str) {
    match status {
        "good" => ("Connected", "ok"),
        "login_required" => ("Sign-in needed", "bad"),
        "pending_expiration" => ("Access expires soon", "warn"),
        "pending_disconnect" => ("Disconnecting soon", "warn"),
        "revoked" => ("Access revoked", "bad"),
        _ => ("Error", "bad"),
    }
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into())
}

#[component]
fn ConnectionCard(
    c: Connection,
    script: String,
    sync: ServerAction<SyncConnection>,
    remove: ServerAction<RemoveConnection>,
) -> impl IntoView {
    let (label, tone) = status_label(&c.status);
    let id = c.id.to_string();
    let (id_sync, id_remove) = (id.clone(), id.clone());
    let status = c.status.clone();
    let revoked = c.status == "revoked";
    let needs_fix =
        matches!(c.status.as_str(), "login_required" | "pending_expiration" | "pending_disconnect" | "error");
    let heading = format!("conn-{}", c.id.simple());
    let labelled_by = heading.clone();
    let confirm_remove = RwSignal::new(false);
    let health = format!("Webhooks (30 days): {} received, {} failed", c.webhooks_received, c.webhooks_failed);
    view! {
        <section class="account-group connection" aria-labelledby=labelled_by data-status=status>
            <div class="group-header">
                <h2 id=heading>{c.institution.clone()}</h2>
                <span class=format!("badge status-{tone}")>{label}</span>
            </div>
            {c.error_message.clone().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            {c.consent_expires_at.map(|t| view! { <p class="hint">{format!("Access granted until {}", when(Some(t)))}</p> })}
            <p class="muted">
                {format!("Last sync: {} · Last webhook: {}", when(c.last_synced_at), when(c.last_webhook_at))}
                {c.syncing.then(|| view! { <span class="badge">"Syncing…"</span> })}
            </p>
            {c.last_sync_error.clone().map(|e| view! { <p class="form-error">{format!("Last sync failed: {e}")}</p> })}
            <p class="muted">
                {health}
                {c.webhook_error.clone().map(|e| format!(" · last error: {e}"))}
            </p>
            <table class="accounts">
                <thead><tr>
                    <th scope="col">"Account"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col" class="num">"Balance"</th>
                </tr></thead>
                <tbody>
                    {c.accounts.iter().map(|a| {
                        let currency = Currency::parse(&a.currency).unwrap_or(Currency::USD);
                        view! {
                            <tr>
                                <td><a href=format!("/accounts/{}", a.id)>{a.name.clone()}</a>
                                    {a.mask.clone().map(|m| view! { <span class="muted">{format!(" ···{m}")}</span> })}</td>
                                <td>{a.kind.clone()}</td>
                                <td class="num">{format_money(a.balance, currency)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <div class="row-actions">
                {needs_fix.then(|| view! {
                    <button type="button" class="button" data-plaid-link=id.clone() data-link-script=script.clone()>
                        "Fix connection"
                    </button>
                })}
                <ActionForm action=sync>
                    <input type="hidden" name="item" value=id_sync/>
                    <button type="submit" class="button secondary" disabled=c.syncing || revoked>"Sync now"</button>
                </ActionForm>
                <button type="button" class="link-button danger" on:click=move |_| confirm_remove.set(true)
                    class:hidden=move || confirm_remove.get()>"Remove…"</button>
            </div>
            <div class="confirm" class:hidden=move || !confirm_remove.get()>
                <ActionForm action=remove>
                    <input type="hidden" name="item" value=id_remove/>
                    <label><input type="checkbox" name="keep_history" value="on" checked=true/>
                        " Keep the accounts and their transactions (as manual accounts)"</label>
                    <button type="submit" class="button danger">"Remove connection"</button>
                    <button type="button" class="link-button" on:click=move |_| confirm_remove.set(false)>"Cancel"</button>
                </ActionForm>
            </div>
        </section>
    }
}
