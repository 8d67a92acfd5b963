//! One budget: its lines against what was spent, variance, pace, rollover, and the
//! forms that change it.

use super::SignInPrompt;
use super::budgets::ProgressBar;
use super::categories::CategoryOptions;
use crate::budgets::{
    BudgetView, CarryForward, DeleteBudget, DeleteBudgetLine, LineView, SaveBudget, SaveBudgetLine, budget_detail,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use manna_core::{Currency, format_money};
use rust_decimal::Decimal;

/// The actions the page's forms dispatch, handed down as one bundle.
#[derive(Clone, Copy)]
struct Actions {
    save_line: ServerAction<SaveBudgetLine>,
    delete_line: ServerAction<DeleteBudgetLine>,
}

fn signed(amount: Decimal, c: Currency) -> String {
    if amount > Decimal::ZERO { format!("+{}", format_money(amount, c)) } else { format_money(amount, c) }
}

#[component]
pub fn BudgetPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let save_line = ServerAction::<SaveBudgetLine>::new();
    let delete_line = ServerAction::<DeleteBudgetLine>::new();
    let save = ServerAction::<SaveBudget>::new();
    let delete = ServerAction::<DeleteBudget>::new();
    let carry = ServerAction::<CarryForward>::new();
    let actions = Actions { save_line, delete_line };
    let budget = Resource::new(
        move || (id.get(), save_line.version().get(), delete_line.version().get(), save.version().get()),
        |(id, ..)| budget_detail(id),
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(next)) = carry.value().get() {
            navigate(&format!("/budgets/{next}"), Default::default());
        } else if let Some(Ok(())) = delete.value().get() {
            navigate("/budgets", Default::default());
        }
    });
    let error = move || {
        [
            save_line.value().get().and_then(|r| r.err()),
            delete_line.value().get().and_then(|r| r.err()),
            save.value().get().and_then(|r| r.err()),
            delete.value().get().and_then(|r| r.err()),
            carry.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    };
    view! {
        {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match budget.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to see this budget."/> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <Title text="Budget not found"/>
                        <section class="empty-state"><h1>"Budget not found"</h1><a class="button" href="/budgets">"All budgets"</a></section>
                    }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(v) => view! { <BudgetBody v actions save delete carry/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BudgetBody(
    v: BudgetView,
    actions: Actions,
    save: ServerAction<SaveBudget>,
    delete: ServerAction<DeleteBudget>,
    carry: ServerAction<CarryForward>,
) -> impl IntoView {
    let c = v.currency;
    let t = v.totals.clone();
    let b = v.budget.clone();
    let id = b.id.to_string();
    let remaining_label = if t.over { "Over budget" } else { "Left to spend" };
    let remaining = if t.over { format_money(-t.remaining, c) } else { format_money(t.remaining, c) };
    let variance = t.variance_percent.map(|p| format!("{p}% of available")).unwrap_or_default();
    let confirm_delete = RwSignal::new(false);
    let delete_id = id.clone();
    view! {
        <Title text=b.name.clone()/>
        <header class="page-header">
            <div>
                <p class="eyebrow"><a href="/budgets">"Budgets"</a>{format!(" · {} · {}", b.kind.label(), b.scope.label())}</p>
                <h1>{b.name.clone()}</h1>
                <p class="period-nav">
                    {v.previous.clone().map(|(p, label)| view! { <a href=format!("/budgets/{p}") rel="prev">{format!("← {label}")}</a> })}
                    <strong>{b.period_label.clone()}</strong>
                    {v.next.clone().map(|(n, label)| view! { <a href=format!("/budgets/{n}") rel="next">{format!("{label} →")}</a> })}
                </p>
                {(!b.active).then(|| view! { <span class="badge">"Inactive"</span> })}
            </div>
            <div class="actions">
                {v.next.is_none().then(|| {
                    let id = id.clone();
                    view! {
                        <button type="button" class="button small" disabled=move || carry.pending().get()
                            on:click=move |_| { carry.dispatch(CarryForward { id: id.clone() }); }>
                            {format!("Start {}", v.next_period_label)}
                        </button>
                    }
                })}
            </div>
        </header>

        <section class="cards" aria-label="Totals">
            <article class="card card-primary">
                <h2>{remaining_label}</h2>
                <p class="figure" class:negative=t.over data-testid="budget-remaining">{remaining}</p>
                <p class="muted">{variance}</p>
                <ProgressBar used=t.used_percent over=t.over label="Whole budget".into()/>
            </article>
            <article class="card">
                <h2>"Spent"</h2>
                <p class="figure" data-testid="budget-spent">{format_money(t.actual, c)}</p>
                <p class="muted">{format!("of {} available", format_money(t.available, c))}</p>
                {(!t.carried.is_zero()).then(|| view! {
                    <p class="muted">{format!("{} base, {} carried in", format_money(t.base, c), signed(t.carried, c))}</p>
                })}
            </article>
            <article class="card">
                <h2>"Projected"</h2>
                <p class="figure" class:negative={t.projected > t.available} data-testid="budget-projected">{format_money(t.projected, c)}</p>
                <p class="muted">{format!("by period end at this pace · day {} of {}", v.elapsed_days, v.total_days)}</p>
            </article>
        </section>

        <section class="account-group" aria-labelledby="lines-heading">
            <div class="group-header"><h2 id="lines-heading">"Lines"</h2></div>
            {if v.lines.is_empty() {
                view! { <p class="empty-state">"No lines yet: add a category and an amount below."</p> }.into_any()
            } else {
                view! { <LinesTable lines=v.lines.clone() currency=c actions budget=id.clone()/> }.into_any()
            }}
            <p class="hint" data-testid="unbudgeted">
                {format!("Spending outside these lines: {}", format_money(t.unbudgeted, c))}
            </p>
            <AddLineForm actions budget=id.clone() categories=v.categories.clone()/>
        </section>

        <section class="account-group chart" aria-label="Budget vs actual by category">
            <div class="chart-svg" inner_html=v.chart_vs_svg.clone()></div>
        </section>
        <section class="account-group chart" aria-label="Spending pace over the period">
            <div class="chart-svg" inner_html=v.chart_pace_svg.clone()></div>
        </section>

        <details class="account-group">
            <summary>"Budget settings"</summary>
            <ActionForm action=save attr:class="inline-form">
                <input type="hidden" name="id" value=id.clone()/>
                <label>"Name" <input name="name" required maxlength="200" value=b.name.clone()/></label>
                <label class="check"><input type="checkbox" name="active" checked=b.active/>" Active"</label>
                <button type="submit" class="button small">"Save"</button>
            </ActionForm>
            {move || if confirm_delete.get() {
                let id = delete_id.clone();
                view! {
                    <p class="confirm" role="alert">"Delete this budget and its lines? Transactions stay as they are."
                        <button type="button" class="button small danger" on:click=move |_| { delete.dispatch(DeleteBudget { id: id.clone() }); }>"Delete"</button>
                        <button type="button" class="link-button" on:click=move |_| confirm_delete.set(false)>"Cancel"</button>
                    </p>
                }.into_any()
            } else {
                view! { <button type="button" class="link-button danger" on:click=move |_| confirm_delete.set(true)>"Delete budget…"</button> }.into_any()
            }}
        </details>
    }
}

#[component]
fn LinesTable(lines: Vec<LineView>, currency: Currency, actions: Actions, budget: String) -> impl IntoView {
    view! {
        <table class="accounts budget-lines">
            <thead><tr>
                <th scope="col">"Category"</th>
                <th scope="col" class="num">"Budget"</th>
                <th scope="col" class="num">"Spent"</th>
                <th scope="col" class="num">"Remaining"</th>
                <th scope="col">"Progress"</th>
                <th scope="col" class="num">"Projected"</th>
                <th scope="col">"Rollover"</th>
                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {lines.into_iter().map(|l| view! { <LineRow l currency actions budget=budget.clone()/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn LineRow(l: LineView, currency: Currency, actions: Actions, budget: String) -> impl IntoView {
    let c = currency;
    let editing = RwSignal::new(false);
    let amount = RwSignal::new(l.base.to_string());
    let category = l.category_id.to_string();
    let (rollover, base) = (l.rollover, l.base);
    let toggle_rollover = {
        let (budget, category) = (budget.clone(), category.clone());
        move |_| {
            actions.save_line.dispatch(SaveBudgetLine {
                budget: budget.clone(),
                category: category.clone(),
                amount: base.to_string(),
                rollover: (!rollover).then(|| "on".to_string()),
            });
        }
    };
    let save_amount = {
        let (budget, category) = (budget.clone(), category.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            actions.save_line.dispatch(SaveBudgetLine {
                budget: budget.clone(),
                category: category.clone(),
                amount: amount.get_untracked(),
                rollover: rollover.then(|| "on".to_string()),
            });
            editing.set(false);
        }
    };
    let line_id = l.id.to_string();
    let name = l.category.clone();
    view! {
        <tr class:over=l.over class:sub-line=l.within_parent data-category=l.category.clone()>
            <td>
                <span class="account-name">{l.category.clone()}</span>
                {l.rolls_up.then(|| view! { <span class="muted">" incl. subcategories"</span> })}
            </td>
            <td class="num">
                {move || if editing.get() {
                    view! {
                        <form class="inline-form" on:submit=save_amount.clone()>
                            <input name="amount" inputmode="decimal" aria-label=format!("Budget for {name}") prop:value=amount
                                on:input=move |ev| amount.set(event_target_value(&ev))/>
                            <button type="submit" class="button small">"Save"</button>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <span>{format_money(l.base, c)}</span>
                        {(!l.carried.is_zero()).then(|| view! {
                            <span class="carried" data-testid="carried">{format!("{} carried", signed(l.carried, c))}</span>
                        })}
                    }.into_any()
                }}
            </td>
            <td class="num">{format_money(l.actual, c)}</td>
            <td class="num" class:negative=l.over>
                {format_money(l.remaining, c)}
                {l.variance_percent.map(|p| view! { <span class="muted">{format!(" ({p}%)")}</span> })}
            </td>
            <td><ProgressBar used=l.used_percent over=l.over label=l.category.clone()/></td>
            <td class="num" class:negative={l.projected > l.available}>{format_money(l.projected, c)}</td>
            <td>
                <label class="check">
                    <input type="checkbox" checked=l.rollover on:change=toggle_rollover
                        aria-label=format!("Roll over {}", l.category)/>
                    {if l.rollover { " On" } else { " Off" }}
                </label>
            </td>
            <td class="row-actions">
                <button type="button" class="link-button" on:click=move |_| editing.update(|e| *e = !*e)>"Edit"</button>
                <button type="button" class="link-button danger" on:click=move |_| {
                    actions.delete_line.dispatch(DeleteBudgetLine { id: line_id.clone() });
                }>"Remove"</button>
            </td>
        </tr>
    }
}

#[component]
fn AddLineForm(actions: Actions, budget: String, categories: Vec<crate::categories::Category>) -> impl IntoView {
    let expense: Vec<crate::categories::Category> = categories.into_iter().filter(|c| c.kind == "expense").collect();
    view! {
        <ActionForm action=actions.save_line attr:class="inline-form add-line">
            <input type="hidden" name="budget" value=budget/>
            <label>"Category"
                <select name="category" required>
                    <option value="">"Choose…"</option>
                    <CategoryOptions categories=expense/>
                </select>
            </label>
            <label>"Amount" <input name="amount" inputmode="decimal" required placeholder="0.00"/></label>
            <label class="check"><input type="checkbox" name="rollover"/>" Roll over"</label>
            <button type="submit" class="button small">"Add line"</button>
        </ActionForm>
    }
}
