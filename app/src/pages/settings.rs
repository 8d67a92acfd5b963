//! Settings › Security: sign-ins (revocable) and the account's activity.

use crate::error::AppError;
use crate::settings::{ActivityView, RevokeSession, SessionView, activity, list_sessions};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let sessions = Resource::new(move || revoke.version().get(), |_| list_sessions());
    let (before, set_before) = signal(None::<i64>);
    let history = Resource::new(move || (before.get(), revoke.version().get()), |(b, _)| activity(b));
    let error = move || revoke.value().get().and_then(|r| r.err()).map(|e| e.to_string());

    view! {
        <Title text="Settings"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Settings"</p>
                <h1>"Security"</h1>
            </div>
        </header>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match sessions.await {
                    Err(AppError::Unauthorized) => view! {
                        <section class="empty-state">
                            <p>"Sign in to manage your account."</p>
                            <a class="button" href="/login">"Sign in"</a>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(rows) => view! {
                        <section class="account-group" aria-labelledby="sessions-heading">
                            <div class="group-header">
                                <h2 id="sessions-heading">"Where you are signed in"</h2>
                                <span class="muted">{format!("{} active", rows.len())}</span>
                            </div>
                            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                            <table class="accounts sessions">
                                <thead>
                                    <tr>
                                        <th scope="col">"Device"</th>
                                        <th scope="col">"IP address"</th>
                                        <th scope="col">"Signed in"</th>
                                        <th scope="col">"Last active"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows.into_iter().map(|s| view! { <SessionRow session=s revoke/> }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(page) => {
                        let next = page.next;
                        view! {
                            <section class="account-group" aria-labelledby="activity-heading">
                                <div class="group-header">
                                    <h2 id="activity-heading">"Recent activity"</h2>
                                </div>
                                <ul class="activity">
                                    {page.entries.into_iter().map(|e| view! { <ActivityRow entry=e/> }).collect_view()}
                                </ul>
                                <div class="pager">
                                    {move || before.get().is_some().then(|| view! {
                                        <button type="button" class="link-button dark" on:click=move |_| set_before.set(None)>"Newest"</button>
                                    })}
                                    {next.map(|n| view! {
                                        <button type="button" class="link-button dark" on:click=move |_| set_before.set(Some(n))>"Older"</button>
                                    })}
                                </div>
                            </section>
                        }.into_any()
                    }
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SessionRow(session: SessionView, revoke: ServerAction<RevokeSession>) -> impl IntoView {
    let id = session.id;
    view! {
        <tr>
            <td>
                <span class="account-name">{session.device}</span>
                {session.current.then(|| view! { <span class="badge">"This device"</span> })}
            </td>
            <td class="muted">{session.ip.unwrap_or_else(|| "—".into())}</td>
            <td class="date">{session.signed_in_at.format("%b %e, %Y %H:%M UTC").to_string()}</td>
            <td class="date">{session.last_seen_at.format("%b %e, %H:%M UTC").to_string()}</td>
            <td class="num">
                {(!session.current).then(|| view! {
                    <button type="button" class="button small" on:click=move |_| { revoke.dispatch(RevokeSession { id: id.to_string() }); }>
                        "Sign out"
                    </button>
                })}
            </td>
        </tr>
    }
}

#[component]
fn ActivityRow(entry: ActivityView) -> impl IntoView {
    view! {
        <li>
            <span>{entry.what}</span>
            <span class="muted">
                {entry.at.format("%b %e, %Y %H:%M UTC").to_string()}
                {entry.ip.map(|ip| format!(" · {ip}"))}
            </span>
        </li>
    }
}
