//! Settings › Security: sign-ins (revocable) and the account's activity.

use super::SignInPrompt;
use crate::error::AppError;
use crate::mfa::{MfaBegin, MfaConfirm, MfaDisable, mfa_status};
use crate::privacy::CloseAccount;
use crate::settings::{ActivityView, RevokeSession, SessionView, activity, list_sessions};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let confirm = ServerAction::<MfaConfirm>::new();
    let disable = ServerAction::<MfaDisable>::new();
    let sessions = Resource::new(move || revoke.version().get(), |_| list_sessions());
    let (before, set_before) = signal(None::<i64>);
    // Anything done on this page shows up in the activity at once.
    let changes = move || (revoke.version().get(), confirm.version().get(), disable.version().get());
    let history = Resource::new(move || (before.get(), changes()), |(b, _)| activity(b));
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
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to manage your account."/> }.into_any(),
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
        <TwoFactor confirm disable/>
        <YourData/>
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
                {session.suspicious.then(|| view! { <span class="badge pending">"Unusual"</span> })}
                {(!session.warnings.is_empty()).then(|| view! { <span class="subtype">{session.warnings.join(", ")}</span> })}
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

/// Turning two-factor authentication on (QR code, confirm with a code, recovery
/// codes shown once) and off (with a current code).
#[component]
fn TwoFactor(confirm: ServerAction<MfaConfirm>, disable: ServerAction<MfaDisable>) -> impl IntoView {
    let begin = ServerAction::<MfaBegin>::new();
    let status = Resource::new(move || (confirm.version().get(), disable.version().get()), |_| mfa_status());
    let failure = move || {
        [
            begin.value().get().and_then(|r| r.err()),
            confirm.value().get().and_then(|r| r.err()),
            disable.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    };
    view! {
        <section class="account-group" aria-labelledby="mfa-heading">
            <div class="group-header">
                <h2 id="mfa-heading">"Two-factor authentication"</h2>
            </div>
            <div class="panel-body">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let Ok(state) = status.await else { return ().into_any() };
                        if let Some(Ok(codes)) = confirm.value().get() {
                            return view! {
                                <p><strong>"Two-factor authentication is on."</strong>
                                   " Save these recovery codes somewhere safe: each signs you in once if you lose your phone. They are not shown again."</p>
                                <ol class="recovery-codes" data-testid="recovery-codes">
                                    {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                                </ol>
                            }.into_any();
                        }
                        if state.enabled {
                            return view! {
                                <p><span class="badge">"On"</span>
                                   {format!(" {} recovery codes left.", state.recovery_codes_left)}</p>
                                <ActionForm action=disable attr:class="inline-form">
                                    <label for="disable-code">"Code from your app"</label>
                                    <input id="disable-code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="7"/>
                                    <button type="submit" class="button small secondary">"Turn off"</button>
                                </ActionForm>
                            }.into_any();
                        }
                        match begin.value().get() {
                            Some(Ok(setup)) => view! {
                                <p>"Scan this code with your authenticator app (or type the key), then enter the 6-digit code it shows."</p>
                                <div class="qr" inner_html=setup.qr_svg></div>
                                <p class="muted">"Key: " <code data-testid="totp-secret">{setup.secret}</code></p>
                                <ActionForm action=confirm attr:class="inline-form">
                                    <label for="confirm-code">"Code"</label>
                                    <input id="confirm-code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="7"/>
                                    <button type="submit" class="button small">"Turn on"</button>
                                </ActionForm>
                            }.into_any(),
                            _ => view! {
                                <p>"Off. Add a second step to signing in with an authenticator app."</p>
                                <button type="button" class="button small" on:click=move |_| { begin.dispatch(MfaBegin {}); }>
                                    "Set up two-factor authentication"
                                </button>
                            }.into_any(),
                        }
                    })}
                </Suspense>
                {move || failure().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </div>
        </section>
    }
}

/// Download everything (GDPR access), or close the account (delete or anonymize).
#[component]
fn YourData() -> impl IntoView {
    let close = ServerAction::<CloseAccount>::new();
    let error = move || close.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <section class="account-group" aria-labelledby="data-heading">
            <div class="group-header">
                <h2 id="data-heading">"Your data"</h2>
            </div>
            <div class="panel-body">
                <p>
                    "Everything Manna holds about you: one JSON file, and a CSV per list for spreadsheets. "
                    <a class="button small secondary" href="/settings/export.zip" download="manna-my-data.zip" rel="external">
                        "Download my data"
                    </a>
                </p>
                <ActionForm action=close attr:class="danger-form">
                    <p><strong>"Close your account"</strong></p>
                    <label><input type="radio" name="mode" value="delete" checked/>" Delete everything, for good"</label>
                    <label><input type="radio" name="mode" value="anonymize"/>
                        " Anonymize: keep the financial records, without anything that says they were yours"</label>
                    <label for="close-password">"Your password"</label>
                    <input id="close-password" type="password" name="password" autocomplete="current-password" required/>
                    <button type="submit" class="button small danger">"Close my account"</button>
                </ActionForm>
                {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </div>
        </section>
    }
}
