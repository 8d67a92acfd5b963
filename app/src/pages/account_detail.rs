//! One account: its balances, a year of month-end balances drawn on the server, its
//! latest transactions, and reconciling it against a statement.

use super::SignInPrompt;
use super::transactions::TransactionTable;
use crate::accounts::get_account_detail;
use crate::error::AppError;
use crate::reconcile::{Reconcile, ReconcileView, reconciliation};
use crate::transactions::{TransactionQuery, list_transactions};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use manna_core::ledger::reconciliation_difference;
use manna_core::{format_money, parse_amount};
use rust_decimal::Decimal;
use uuid::Uuid;

#[component]
pub fn AccountDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let detail = Resource::new(move || id.get(), get_account_detail);
    let recent = Resource::new(
        move || id.get(),
        |id| list_transactions(TransactionQuery { account: Some(id), ..Default::default() }),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to see this account."/> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <Title text="Account not found"/>
                        <section class="empty-state"><h1>"Account not found"</h1><a class="button" href="/accounts">"All accounts"</a></section>
                    }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(d) => {
                        let a = d.account;
                        let id = a.id.to_string();
                        let utilisation = a.credit_limit.filter(|l| !l.is_zero()).map(|l| {
                            let pct = (a.balance / l * Decimal::ONE_HUNDRED).round_dp(0);
                            format!("{pct}% of {} limit used", format_money(l, a.currency))
                        });
                        let rows = recent.await.map(|p| p.rows).unwrap_or_default();
                        view! {
                            <Title text=a.name.clone()/>
                            <header class="page-header">
                                <div>
                                    <p class="eyebrow"><a href="/accounts">"Accounts"</a>" · "{a.kind.label()}</p>
                                    <h1>{a.name.clone()}</h1>
                                    <p class="figure">{format_money(a.balance, a.currency)}</p>
                                    {a.kind.is_liability().then(|| view! { <p class="hint">"Owed"</p> })}
                                    {utilisation.map(|u| view! { <p class="hint utilisation">{u}</p> })}
                                </div>
                                <div class="actions">
                                    <a class="button small" href=format!("/accounts/{id}/reconcile")>"Reconcile"</a>
                                    <a class="link-button dark" href=format!("/transactions?account={id}")>"All transactions →"</a>
                                </div>
                            </header>
                            <section class="account-group chart" aria-label="Balance over the last 12 months">
                                <div class="chart-svg" inner_html=d.chart_svg></div>
                            </section>
                            <section class="account-group" aria-labelledby="latest">
                                <div class="group-header"><h2 id="latest">"Latest transactions"</h2></div>
                                {if rows.is_empty() {
                                    view! { <p class="empty-state">"No transactions yet."</p> }.into_any()
                                } else {
                                    view! { <TransactionTable rows class="accounts transactions"/> }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Reconcile: pick the statement's date and ending balance, tick what the statement
/// shows until the difference is zero, then lock those rows.
#[component]
pub fn ReconcilePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let reconcile = ServerAction::<Reconcile>::new();
    let through = RwSignal::new(chrono::Utc::now().date_naive().to_string());
    let statement = RwSignal::new(String::new());
    let view_data = Resource::new(
        move || (id.get(), through.get(), reconcile.version().get()),
        |(id, through, _)| reconciliation(id, through),
    );
    let error = move || reconcile.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    let done = move || reconcile.value().get().and_then(|r| r.ok());
    view! {
        <Title text="Reconcile"/>
        <header class="page-header">
            <div>
                <p class="eyebrow"><a href=move || format!("/accounts/{}", id.get())>"Account"</a>" · Reconcile"</p>
                <h1>"Reconcile against a statement"</h1>
            </div>
        </header>
        <form class="inline-form" aria-label="Statement" on:submit=|ev| ev.prevent_default()>
            <label>"Statement date" <input type="date" required prop:value=through
                on:change=move |ev| through.set(event_target_value(&ev))/></label>
            <label>"Ending balance" <input name="statement_balance" inputmode="decimal" required placeholder="0.00"
                prop:value=statement on:input=move |ev| statement.set(event_target_value(&ev))/></label>
        </form>
        {move || done().map(|n| view! { <p class="notice" role="status">{format!("Reconciled: {n} transactions locked.")}</p> })}
        {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to reconcile."/> }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(v) => view! { <Ticks data=v account=id.get_untracked() through statement reconcile/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Ticks(
    data: ReconcileView,
    account: String,
    through: RwSignal<String>,
    statement: RwSignal<String>,
    reconcile: ServerAction<Reconcile>,
) -> impl IntoView {
    let ticked = RwSignal::new(Vec::<Uuid>::new());
    let amounts: Vec<(Uuid, Decimal)> = data.open.iter().map(|r| (r.id, r.amount)).collect();
    let (liability, reconciled_sum, currency) = (data.liability, data.reconciled_sum, data.currency);
    let difference = move || -> Option<Decimal> {
        let balance = parse_amount(&statement.get()).ok()?;
        let ticked_sum: Decimal =
            ticked.with(|t| amounts.iter().filter(|(id, _)| t.contains(id)).map(|(_, a)| *a).sum());
        Some(reconciliation_difference(balance, reconciled_sum + ticked_sum, liability))
    };
    let difference_text = {
        let difference = difference.clone();
        move || match difference() {
            Some(d) if d.is_zero() => "Difference: 0.00, ready to finish".to_string(),
            Some(d) => format!("Difference: {}", format_money(d, currency)),
            None => "Enter the statement's ending balance".to_string(),
        }
    };
    let cleared = format_money(if liability { -reconciled_sum } else { reconciled_sum }, currency);
    view! {
        <section class="account-group" aria-label="Unreconciled transactions">
            <div class="group-header">
                <h2>{data.account.clone()}</h2>
                <p class="hint">"Already reconciled: "{cleared}
                    {data.last_reconciled_at.map(|t| format!(" (last on {})", t.format("%Y-%m-%d")))}</p>
            </div>
            <p class="totals difference" aria-live="polite">{difference_text}</p>
            {if data.open.is_empty() {
                view! { <p class="empty-state">"Nothing left to reconcile up to this date."</p> }.into_any()
            } else {
                view! {
                    <table class="accounts reconcile">
                        <thead><tr>
                            <th scope="col" class="select"><span class="visually-hidden">"On the statement"</span></th>
                            <th scope="col">"Date"</th><th scope="col">"Description"</th><th scope="col" class="num">"Amount"</th>
                        </tr></thead>
                        <tbody>
                            {data.open.iter().map(|r| {
                                let id = r.id;
                                let label = format!("{} {} {}", r.date, r.description, r.amount);
                                view! {
                                    <tr data-transaction-id=id.to_string()>
                                        <td class="select"><input type="checkbox" aria-label=label disabled=r.pending
                                            prop:checked=move || ticked.with(|t| t.contains(&id))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                ticked.update(|t| { t.retain(|x| *x != id); if on { t.push(id); } });
                                            }/></td>
                                        <td class="date">{r.date.to_string()}</td>
                                        <td>{r.description.clone()}{r.pending.then(|| view! { <span class="badge pending">"Pending"</span> })}</td>
                                        <td class="num">{format_money(r.amount, currency)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    {data.truncated.then(|| view! { <p class="hint">"Showing the oldest 1,000; reconcile these, then the rest."</p> })}
                }.into_any()
            }}
            <button type="button" class="button" disabled=move || difference() != Some(Decimal::ZERO) || ticked.with(Vec::is_empty)
                on:click=move |_| {
                    reconcile.dispatch(Reconcile {
                        account: account.clone(),
                        through: through.get_untracked(),
                        statement_balance: statement.get_untracked(),
                        ids: ticked.get_untracked().iter().map(Uuid::to_string).collect(),
                    });
                }>"Finish reconciling"</button>
        </section>
    }
}
