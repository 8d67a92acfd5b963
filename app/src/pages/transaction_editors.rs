//! The editors of the transactions page: one row inline, a split, and the bulk bar
//! for a selection.

use super::categories::CategoryOptions;
use super::transactions::LedgerActions;
use crate::categories::Category;
use crate::journal::MatchTransfer;
use crate::transactions::{
    BulkEdit, BulkEditTransactions, SplitPartInput, SplitTransaction, TransactionEdit, TransactionRow,
    UpdateTransaction, transaction_splits,
};
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use manna_core::ledger::split_evenly;
use manna_core::{format_money, parse_amount};
use rust_decimal::Decimal;

/// The error of an action's last run, if it failed.
fn failed<T, S>(value: S) -> impl Fn() -> Option<String> + Copy
where
    S: Get<Value = Option<Result<T, crate::error::AppError>>> + Copy,
{
    move || value.get().and_then(|r| r.err()).map(|e| e.to_string())
}

/// Category, notes, tags and flags of one row, edited in place. Enter saves, Escape
/// cancels.
#[component]
pub fn InlineEditor(actions: LedgerActions, row: TransactionRow, categories: Vec<Category>) -> impl IntoView {
    let id = row.id.to_string();
    let category = RwSignal::new(row.category_id.map(|c| c.to_string()).unwrap_or_default());
    let notes = RwSignal::new(row.notes.clone().unwrap_or_default());
    let tags = RwSignal::new(row.tags.join(", "));
    let business = RwSignal::new(row.is_business);
    let deductible = RwSignal::new(row.tax_deductible);
    let first = NodeRef::<html::Select>::new();
    Effect::new(move |_| {
        if let Some(el) = first.get() {
            let _ = el.focus();
        }
    });
    let error = failed(actions.update.value());
    // Why the row has its category, asked for when the editor opens.
    let why = RwSignal::new(None::<crate::categorize::Explanation>);
    let asked = id.clone();
    Effect::new(move |_| {
        let id = asked.clone();
        leptos::task::spawn_local(async move {
            if let Ok(e) = crate::categorize::explain_category(id).await {
                let _ = why.try_set(Some(e));
            }
        });
    });
    let save = move || {
        actions.update.dispatch(UpdateTransaction {
            id: id.clone(),
            edit: TransactionEdit {
                category: category.get_untracked(),
                notes: notes.get_untracked(),
                tags: tags.get_untracked(),
                business: business.get_untracked(),
                deductible: deductible.get_untracked(),
            },
        });
    };
    let cancel = move || actions.editing.set(None);
    view! {
        <tr class="editor-row">
            <td colspan="8">
                <form class="inline-editor" aria-label=format!("Edit {}", row.description)
                    on:submit=move |ev| { ev.prevent_default(); save(); }
                    on:keydown=move |ev: KeyboardEvent| if ev.key() == "Escape" { cancel(); }>
                    <label>"Category"
                        <select node_ref=first name="category" on:change=move |ev| category.set(event_target_value(&ev))>
                            <option value="">"Uncategorized"</option>
                            <CategoryOptions categories selected=row.category_id/>
                        </select>
                    </label>
                    <label>"Notes" <input name="notes" maxlength="2000" prop:value=notes
                        on:input=move |ev| notes.set(event_target_value(&ev))/></label>
                    <label>"Tags" <input name="tags" placeholder="trip, work" prop:value=tags
                        on:input=move |ev| tags.set(event_target_value(&ev))/></label>
                    <label class="check"><input type="checkbox" name="business" prop:checked=business
                        on:change=move |ev| business.set(event_target_checked(&ev))/>" Business"</label>
                    <label class="check"><input type="checkbox" name="deductible" prop:checked=deductible
                        on:change=move |ev| deductible.set(event_target_checked(&ev))/>" Tax-deductible"</label>
                    <button type="submit" class="button small" disabled=move || actions.update.pending().get()>"Save"</button>
                    <button type="button" class="link-button dark" on:click=move |_| cancel()>"Cancel"</button>
                    {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                </form>
                {move || why.get().map(|w| view! {
                    <div class="explanation" aria-label="Why this category">
                        <strong>"Why: "</strong>{w.summary}
                        {w.details.into_iter().map(|d| view! { <span class="muted">" "{d}</span> }).collect_view()}
                    </div>
                })}
            </td>
        </tr>
    }
}

/// Splits a row into parts that must add up to it exactly; shows what is left to
/// assign as you type.
#[component]
pub fn SplitEditor(actions: LedgerActions, row: TransactionRow, categories: Vec<Category>) -> impl IntoView {
    let split: ServerAction<SplitTransaction> = actions.split;
    let id = row.id.to_string();
    let total = row.amount;
    let currency = row.currency;
    let parts = RwSignal::new(vec![
        SplitPartInput {
            category: row.category_id.map(|c| c.to_string()).unwrap_or_default(),
            amount: total.to_string(),
            notes: String::new(),
        },
        SplitPartInput::default(),
    ]);
    // An existing split starts from its parts.
    if row.is_split {
        let existing = LocalResource::new({
            let id = id.clone();
            move || transaction_splits(id.clone())
        });
        Effect::new(move |_| {
            if let Some(Ok(found)) = existing.get()
                && !found.is_empty()
            {
                parts.set(
                    found
                        .into_iter()
                        .map(|p| SplitPartInput {
                            category: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
                            amount: p.amount.to_string(),
                            notes: p.notes.unwrap_or_default(),
                        })
                        .collect(),
                );
            }
        });
    }
    let remaining = move || -> Option<Decimal> {
        parts.with(|ps| {
            ps.iter().try_fold(total, |left, p| {
                if p.amount.trim().is_empty() { Some(left) } else { parse_amount(&p.amount).ok().map(|a| left - a) }
            })
        })
    };
    let error = failed(split.value());
    let save_id = id.clone();
    let unsplit_id = id.clone();
    let set = move |i: usize, f: fn(&mut SplitPartInput, String), v: String| {
        parts.update(|ps| {
            if let Some(p) = ps.get_mut(i) {
                f(p, v)
            }
        })
    };
    view! {
        <tr class="editor-row">
            <td colspan="8">
                <form class="inline-editor split-editor" aria-label=format!("Split {}", row.description)
                    on:submit=move |ev| {
                        ev.prevent_default();
                        split.dispatch(SplitTransaction { id: save_id.clone(), parts: parts.get_untracked() });
                    }
                    on:keydown=move |ev: KeyboardEvent| if ev.key() == "Escape" { actions.splitting.set(None); }>
                    <p>"Split "{format_money(total, currency)}" into parts:"</p>
                    <For each={move || (0..parts.with(Vec::len)).collect::<Vec<_>>()} key={|i| *i} let:i>
                        {
                            let categories = categories.clone();
                            let part = parts.get_untracked().get(i).cloned().unwrap_or_default();
                            view! {
                                <div class="split-part" data-part=i>
                                    <label>"Category"
                                        <select on:change=move |ev| set(i, |p, v| p.category = v, event_target_value(&ev))>
                                            <option value="">"Uncategorized"</option>
                                            <CategoryOptions categories selected=part.category.parse().ok()/>
                                        </select>
                                    </label>
                                    <label>"Amount" <input name="amount" inputmode="decimal" size="10"
                                        prop:value=move || parts.with(|ps| ps.get(i).map(|p| p.amount.clone()).unwrap_or_default())
                                        on:input=move |ev| set(i, |p, v| p.amount = v, event_target_value(&ev))/></label>
                                    <label>"Notes" <input name="notes" maxlength="2000" prop:value=part.notes.clone()
                                        on:input=move |ev| set(i, |p, v| p.notes = v, event_target_value(&ev))/></label>
                                    <button type="button" class="link-button dark" aria-label=format!("Remove part {}", i + 1)
                                        disabled=move || parts.with(Vec::len) <= 2
                                        on:click=move |_| parts.update(|ps| { if ps.len() > 2 { ps.remove(i); } })>"Remove"</button>
                                </div>
                            }
                        }
                    </For>
                    <p class="remaining" aria-live="polite">
                        {move || match remaining() {
                            Some(r) if r.is_zero() => "Parts add up exactly.".to_string(),
                            Some(r) => format!("Left to assign: {}", format_money(r, currency)),
                            None => "An amount is not a number.".to_string(),
                        }}
                    </p>
                    <button type="button" class="link-button dark" on:click=move |_| parts.update(|ps| ps.push(SplitPartInput::default()))>"Add part"</button>
                    <button type="button" class="link-button dark" on:click=move |_| parts.update(|ps| {
                        let even = split_evenly(total, ps.len().max(2));
                        for (p, a) in ps.iter_mut().zip(even) { p.amount = a.to_string(); }
                    })>"Split evenly"</button>
                    <button type="submit" class="button small" disabled=move || remaining() != Some(Decimal::ZERO) || split.pending().get()>"Save split"</button>
                    {row.is_split.then(|| view! {
                        <button type="button" class="link-button dark" on:click=move |_| {
                            split.dispatch(SplitTransaction { id: unsplit_id.clone(), parts: Vec::new() });
                        }>"Unsplit"</button>
                    })}
                    <button type="button" class="link-button dark" on:click=move |_| actions.splitting.set(None)>"Cancel"</button>
                    {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                </form>
            </td>
        </tr>
    }
}

/// Changes every selected row at once, or matches two selected rows as a transfer.
#[component]
pub fn BulkBar(actions: LedgerActions, categories: Vec<Category>, rows: Vec<TransactionRow>) -> impl IntoView {
    let bulk: ServerAction<BulkEditTransactions> = actions.bulk;
    let matcher = ServerAction::<MatchTransfer>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = matcher.value().get() {
            actions.selected.set(Vec::new());
            actions.changed.update(|c| *c += 1);
        }
    });
    let category = RwSignal::new("keep".to_string());
    let business = RwSignal::new(String::new());
    let deductible = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let flag = |v: String| match v.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let apply = move || {
        let ids = actions.selected.get_untracked().iter().map(|id| id.to_string()).collect();
        let category = category.get_untracked();
        let tags = tags.get_untracked();
        bulk.dispatch(BulkEditTransactions {
            ids,
            edit: BulkEdit {
                category: (category != "keep").then_some(category),
                business: flag(business.get_untracked()),
                deductible: flag(deductible.get_untracked()),
                add_tags: (!tags.trim().is_empty()).then_some(tags),
            },
        });
    };
    let count = move || actions.selected.with(Vec::len);
    // Two rows that cancel out in different accounts can become one transfer.
    let pair = move || {
        let selected = actions.selected.get();
        let [a, b] = selected[..] else { return None };
        let (x, y) = (rows.iter().find(|r| r.id == a)?, rows.iter().find(|r| r.id == b)?);
        (x.account_id != y.account_id
            && (x.amount + y.amount).is_zero()
            && x.journal_entry.is_none()
            && y.journal_entry.is_none())
        .then(|| (a.to_string(), b.to_string()))
    };
    let match_error = failed(matcher.value());
    view! {
        <Show when=move || { count() > 0 }>
            <form class="bulk-bar" aria-label="Change the selected transactions"
                on:submit=move |ev| { ev.prevent_default(); apply(); }>
                <strong>{move || format!("{} selected", count())}</strong>
                <label>"Category"
                    <select on:change=move |ev| category.set(event_target_value(&ev))>
                        <option value="keep">"Keep"</option>
                        <option value="">"Uncategorized"</option>
                        <CategoryOptions categories=categories.clone()/>
                    </select>
                </label>
                <label>"Business"
                    <select on:change=move |ev| business.set(event_target_value(&ev))>
                        <option value="">"Keep"</option><option value="yes">"Business"</option><option value="no">"Personal"</option>
                    </select>
                </label>
                <label>"Deductible"
                    <select on:change=move |ev| deductible.set(event_target_value(&ev))>
                        <option value="">"Keep"</option><option value="yes">"Yes"</option><option value="no">"No"</option>
                    </select>
                </label>
                <label>"Add tags" <input size="10" prop:value=tags on:input=move |ev| tags.set(event_target_value(&ev))/></label>
                <button type="submit" class="button small" disabled=move || bulk.pending().get()>"Apply to selected"</button>
                {
                    let pair = pair.clone();
                    move || pair().map(|(a, b)| view! {
                        <button type="button" class="link-button dark" on:click=move |_| {
                            matcher.dispatch(MatchTransfer { first: a.clone(), second: b.clone() });
                        }>"Match as transfer"</button>
                    })
                }
                <button type="button" class="link-button dark" on:click=move |_| actions.selected.set(Vec::new())>"Clear selection"</button>
                {move || match_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </form>
        </Show>
    }
}
