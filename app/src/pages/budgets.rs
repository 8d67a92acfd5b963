//! The budgets list and the form that starts a new budget.

use super::SignInPrompt;
use crate::budgets::{BudgetStatus, BudgetSummary, CreateBudget, list_budgets, this_month_budget};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use manna_core::budget::{PeriodKind, Scope};
use manna_core::{Currency, format_money};
use rust_decimal::Decimal;

#[component]
pub fn BudgetsPage() -> impl IntoView {
    let create = ServerAction::<CreateBudget>::new();
    let budgets = Resource::new(|| (), |_| list_budgets());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/budgets/{id}"), Default::default());
        }
    });
    let create_error = move || create.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <Title text="Budgets"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Budgets"</p>
                <h1>"Budgets"</h1>
            </div>
        </header>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match budgets.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to see your budgets."/> }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(o) => {
                        let (start, _) = o.this_month;
                        let list = if o.budgets.is_empty() {
                            view! {
                                <section class="empty-state">
                                    <h2>"No budgets yet"</h2>
                                    <p>"Plan what you mean to spend by category, then see each month how it went."</p>
                                </section>
                            }.into_any()
                        } else {
                            view! { <BudgetList budgets=o.budgets currency=o.currency truncated=o.truncated/> }.into_any()
                        };
                        view! {
                            {list}
                            <NewBudgetForm create start=start.to_string()/>
                            {move || create_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn BudgetList(budgets: Vec<BudgetSummary>, currency: Currency, truncated: bool) -> impl IntoView {
    view! {
        <section class="account-group" aria-labelledby="all-budgets">
            <div class="group-header"><h2 id="all-budgets">"Your budgets"</h2></div>
            <table class="accounts budgets">
                <thead><tr>
                    <th scope="col">"Budget"</th>
                    <th scope="col">"Period"</th>
                    <th scope="col">"For"</th>
                    <th scope="col" class="num">"Lines"</th>
                    <th scope="col" class="num">"Planned"</th>
                </tr></thead>
                <tbody>
                    {budgets.into_iter().map(|b| view! {
                        <tr class:inactive=!b.active>
                            <td>
                                <a href=format!("/budgets/{}", b.id)>{b.name.clone()}</a>
                                {(!b.active).then(|| view! { <span class="badge">"Inactive"</span> })}
                                {b.rollover.then(|| view! { <span class="badge">"Rollover"</span> })}
                            </td>
                            <td>{b.period_label.clone()}<span class="muted">{format!(" · {}", b.kind.label())}</span></td>
                            <td>{b.scope.label()}</td>
                            <td class="num">{b.lines}</td>
                            <td class="num">{format_money(b.planned, currency)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {truncated.then(|| view! { <p class="hint">"Only the newest budgets are listed."</p> })}
        </section>
    }
}

#[component]
fn NewBudgetForm(create: ServerAction<CreateBudget>, start: String) -> impl IntoView {
    let kind = RwSignal::new("monthly".to_string());
    let template = RwSignal::new("empty".to_string());
    view! {
        <section class="account-group" aria-labelledby="new-budget">
            <div class="group-header"><h2 id="new-budget">"New budget"</h2></div>
            <ActionForm action=create attr:class="stacked-form budget-form">
                <label>"Name" <input name="name" required maxlength="200" placeholder="Household"/></label>
                <label>"Period"
                    <select name="kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        {PeriodKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=k == PeriodKind::Monthly>{k.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"For"
                    <select name="scope">
                        {Scope::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=s == Scope::Personal>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Starts" <input type="date" name="start" required value=start/></label>
                <label class:hidden=move || kind.get() != "custom">"Ends" <input type="date" name="end"/></label>
                <p class="hint">
                    {move || match kind.get().as_str() {
                        "monthly" => "A month from the start day.",
                        "custom" => "Any span of days; the next period has the same length.",
                        _ => "Quarters and years follow your fiscal year (Settings).",
                    }}
                </p>
                <label>"Start from"
                    <select name="template" on:change=move |ev| template.set(event_target_value(&ev))>
                        <option value="empty" selected=true>"Empty: add lines yourself"</option>
                        <option value="average">"Average spending of past months"</option>
                    </select>
                </label>
                <label class:hidden=move || template.get() != "average">"Months"
                    <input type="number" name="months" min="1" max="24" value="3"/>
                </label>
                <button type="submit" class="button" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create budget" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// A bar from 0 to 100 % of what is available, red past it.
#[component]
pub fn ProgressBar(used: Option<Decimal>, over: bool, label: String) -> impl IntoView {
    let width = used
        .unwrap_or(if over { Decimal::ONE_HUNDRED } else { Decimal::ZERO })
        .clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
    let value = used.map(|u| u.round_dp(0).to_string()).unwrap_or_else(|| "0".into());
    view! {
        <div class="progress" class:over=over role="progressbar" aria-label=label aria-valuemin="0" aria-valuemax="100"
            aria-valuenow=value>
            <span style=format!("width: {width}%")></span>
        </div>
    }
}

/// The dashboard card: how this month's budget is going.
#[component]
pub fn BudgetStatusCard() -> impl IntoView {
    let status = Resource::new(|| (), |_| this_month_budget());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(Some(s)) => view! { <StatusBody s/> }.into_any(),
                    Ok(None) => view! {
                        <section class="account-group budget-status">
                            <div class="group-header"><h2>"This month's budget"</h2></div>
                            <p class="muted">"No budget covers today. "<a href="/budgets">"Create one"</a></p>
                        </section>
                    }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StatusBody(s: BudgetStatus) -> impl IntoView {
    let c = s.currency;
    let t = s.totals.clone();
    let headline = if t.over {
        format!("{} over", format_money(-t.remaining, c))
    } else {
        format!("{} left", format_money(t.remaining, c))
    };
    view! {
        <section class="account-group budget-status" aria-labelledby="budget-status" data-testid="budget-status">
            <div class="group-header">
                <h2 id="budget-status">{format!("Budget · {}", s.period_label)}</h2>
                <a href=format!("/budgets/{}", s.id) class="link-button dark">{s.name.clone()}" →"</a>
            </div>
            <p class="figure" class:negative=t.over>{headline}</p>
            <p class="muted">
                {format!("{} of {} spent · day {} of {} · projected {}",
                    format_money(t.actual, c), format_money(t.available, c), s.elapsed_days, s.total_days,
                    format_money(t.projected, c))}
            </p>
            <ProgressBar used=t.used_percent over=t.over label="Whole budget".into()/>
            <ul class="status-lines">
                {s.lines.into_iter().map(|l| view! {
                    <li>
                        <span>{l.category.clone()}</span>
                        <span class="num" class:negative=l.over>
                            {format!("{} / {}", format_money(l.actual, c), format_money(l.available, c))}
                        </span>
                        <ProgressBar used=l.used_percent over=l.over label=l.category.clone()/>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}
