//! Accounts: every account (open and closed), adding a manual one, renaming, closing.

use super::SignInPrompt;
use crate::accounts::{CloseFinancialAccount, CreateAccount, LedgerAccount, list_accounts};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use manna_core::format_money;

#[component]
pub fn AccountsPage() -> impl IntoView {
    let create = ServerAction::<CreateAccount>::new();
    let close = ServerAction::<CloseFinancialAccount>::new();
    let accounts = Resource::new(move || (create.version().get(), close.version().get()), |_| list_accounts());
    let create_error = move || create.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    let close_error = move || close.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <Title text="Accounts"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Accounts"</p>
                <h1>"Your accounts"</h1>
            </div>
        </header>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match accounts.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to see your accounts."/> }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! {
                        <section class="empty-state">
                            <h2>"No accounts yet"</h2>
                            <p>"Add a manual account below, import a statement, or connect a bank."</p>
                        </section>
                    }.into_any(),
                    Ok(rows) => view! {
                        <section class="account-group" aria-labelledby="all-accounts">
                            <div class="group-header"><h2 id="all-accounts">"All accounts"</h2></div>
                            {move || close_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                            <table class="accounts">
                                <thead>
                                    <tr>
                                        <th scope="col">"Account"</th>
                                        <th scope="col">"Type"</th>
                                        <th scope="col" class="num">"Balance"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows.into_iter().map(|a| view! { <AccountLine account=a close/> }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
        <section class="account-group" aria-labelledby="add-account">
            <div class="group-header"><h2 id="add-account">"Add a manual account"</h2></div>
            <div class="panel-body">
                <ActionForm action=create attr:class="grid-form">
                    <label for="acct-name">"Name"</label>
                    <input id="acct-name" name="name" required maxlength="200" placeholder="e.g. Cash wallet"/>
                    <label for="acct-kind">"Type"</label>
                    <select id="acct-kind" name="kind">
                        <option value="depository">"Cash / bank"</option>
                        <option value="credit">"Credit card"</option>
                        <option value="loan">"Loan"</option>
                        <option value="investment">"Investment"</option>
                        <option value="other">"Other"</option>
                    </select>
                    <label for="acct-subtype">"Kind (optional)"</label>
                    <input id="acct-subtype" name="subtype" maxlength="50" placeholder="checking, savings, …"/>
                    <label for="acct-currency">"Currency"</label>
                    <input id="acct-currency" name="currency" value="USD" maxlength="3" required/>
                    <label for="acct-balance">"Balance today (owed, for cards and loans)"</label>
                    <input id="acct-balance" name="opening_balance" inputmode="decimal" placeholder="0.00"/>
                    <label for="acct-limit">"Credit limit (cards)"</label>
                    <input id="acct-limit" name="credit_limit" inputmode="decimal"/>
                    <label class="check"><input type="checkbox" name="business" value="on"/>" Business account"</label>
                    {move || create_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <button type="submit" class="button small" disabled=move || create.pending().get()>"Add account"</button>
                </ActionForm>
            </div>
        </section>
    }
}

#[component]
fn AccountLine(account: LedgerAccount, close: ServerAction<CloseFinancialAccount>) -> impl IntoView {
    let id = account.id.to_string();
    let name = account.name.clone();
    view! {
        <tr data-account-id=account.id.to_string() class:closed=!account.open>
            <td>
                <a class="account-name" href=format!("/accounts/{}", account.id)>{account.name.clone()}</a>
                {account.is_business.then(|| view! { <span class="badge">"Business"</span> })}
                {(!account.open).then(|| view! { <span class="badge pending">"Closed"</span> })}
                <span class="subtype">{account.institution.clone().unwrap_or_else(|| "Manual".into())}</span>
            </td>
            <td class="muted">{account.kind.label()}{account.subtype.map(|s| format!(" · {s}"))}</td>
            <td class="num">{format_money(account.balance, account.currency)}</td>
            <td class="num">
                {account.open.then(|| view! {
                    <button type="button" class="link-button dark"
                        aria-label=format!("Close {name}")
                        on:click=move |_| { close.dispatch(CloseFinancialAccount { id: id.clone() }); }>
                        "Close"
                    </button>
                })}
            </td>
        </tr>
    }
}
