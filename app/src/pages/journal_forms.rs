//! Entering money by hand: a transaction in a manual account, a transfer between two
//! accounts, an adjustment with balanced legs; and editing or deleting an entry.

use super::categories::CategoryOptions;
use super::transactions::LedgerActions;
use crate::accounts::PickerAccount;
use crate::categories::Category;
use crate::error::AppError;
use crate::journal::{
    CreateAdjustment, CreateTransfer, DeleteJournalEntry, LegInput, UpdateTransfer, get_journal_entry,
};
use crate::transactions::CreateTransaction;
use leptos::form::ActionForm;
use leptos::prelude::*;
use manna_core::{format_money, parse_amount};
use rust_decimal::Decimal;
use uuid::Uuid;

fn failed<T, S>(value: S) -> impl Fn() -> Option<String> + Copy
where
    S: Get<Value = Option<Result<T, AppError>>> + Copy,
{
    move || value.get().and_then(|r| r.err()).map(|e| e.to_string())
}

/// Reloads the list after an action's successful run (`value` is its result).
fn reload_after<T, S>(value: S, actions: LedgerActions)
where
    S: Get<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(_)) = value.get() {
            actions.changed.update(|c| *c += 1);
        }
    });
}

#[component]
pub fn EntryForms(actions: LedgerActions, accounts: Vec<PickerAccount>, categories: Vec<Category>) -> impl IntoView {
    let create = ServerAction::<CreateTransaction>::new();
    let transfer = ServerAction::<CreateTransfer>::new();
    let adjust = ServerAction::<CreateAdjustment>::new();
    reload_after(create.value(), actions);
    reload_after(transfer.value(), actions);
    reload_after(adjust.value(), actions);
    let open: Vec<PickerAccount> = accounts.into_iter().filter(|a| a.open).collect();
    let manual: Vec<PickerAccount> = open.iter().filter(|a| a.manual).cloned().collect();
    fn options(list: &[PickerAccount]) -> impl IntoView + use<> {
        list.iter()
            .map(
                |a| view! { <option value=a.id.to_string()>{format!("{} ({})", a.name, a.currency.as_str())}</option> },
            )
            .collect_view()
    }
    let (create_error, transfer_error, adjust_error) =
        (failed(create.value()), failed(transfer.value()), failed(adjust.value()));
    let (created, transferred) =
        (move || matches!(create.value().get(), Some(Ok(_))), move || matches!(transfer.value().get(), Some(Ok(_))));
    // A form is drawn when its panel is first opened (clicking the summary opens
    // the details too), so the page itself stays small.
    let (show_add, show_transfer, show_adjust) = (RwSignal::new(false), RwSignal::new(false), RwSignal::new(false));
    let (open2, open3) = (open.clone(), open.clone());
    view! {
        <div class="entry-forms">
            <details>
                <summary class="link-button dark" on:click=move |_| show_add.set(true)>"Add a transaction"</summary>
                {move || { let (manual, categories) = (manual.clone(), categories.clone()); show_add.get().then(move || if manual.is_empty() {
                    view! { <p class="hint">"Add a manual account first; bank accounts fill themselves."</p> }.into_any()
                } else {
                    view! {
                        <ActionForm action=create attr:class="inline-form" attr:aria-label="Add a transaction">
                            <label>"Account" <select name="account" required>{options(&manual)}</select></label>
                            <label>"Date" <input type="date" name="date" required/></label>
                            <label>"Description" <input name="description" required maxlength="500"/></label>
                            <label>"Amount (− for money out)" <input name="amount" inputmode="decimal" required size="10"/></label>
                            <label>"Category"
                                <select name="category">
                                    <option value="">"Uncategorized"</option>
                                    <CategoryOptions categories=categories.clone()/>
                                </select>
                            </label>
                            <button type="submit" class="button small">"Add"</button>
                            {move || create_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                            {move || created().then(|| view! { <p class="notice" role="status">"Added."</p> })}
                        </ActionForm>
                    }.into_any()
                })}}
            </details>
            <details>
                <summary class="link-button dark" on:click=move |_| show_transfer.set(true)>"New transfer"</summary>
                {move || { let open2 = open2.clone(); show_transfer.get().then(move || view! {
                    <ActionForm action=transfer attr:class="inline-form" attr:aria-label="New transfer">
                        <label>"From" <select name="from" required>{options(&open2)}</select></label>
                        <label>"To" <select name="to" required>{options(&open2)}</select></label>
                        <label>"Amount" <input name="amount" inputmode="decimal" required size="10"/></label>
                        <label>"Date" <input type="date" name="date" required/></label>
                        <label>"Description" <input name="description" required maxlength="500" value="Transfer"/></label>
                        <button type="submit" class="button small">"Transfer"</button>
                        {move || transfer_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                        {move || transferred().then(|| view! { <p class="notice" role="status">"Transfer recorded: both legs are in the list."</p> })}
                    </ActionForm>
                })}}
            </details>
            <details>
                <summary class="link-button dark" on:click=move |_| show_adjust.set(true)>"New adjustment"</summary>
                {move || show_adjust.get().then(|| view! { <AdjustmentForm accounts=open3.clone() adjust/> })}
                {move || adjust_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </details>
        </div>
    }
}

/// A journal entry with any number of legs that must add up to zero.
#[component]
fn AdjustmentForm(accounts: Vec<PickerAccount>, adjust: ServerAction<CreateAdjustment>) -> impl IntoView {
    let date = RwSignal::new(String::new());
    let description = RwSignal::new("Adjustment".to_string());
    let first = accounts.first().map(|a| a.id.to_string()).unwrap_or_default();
    let legs = RwSignal::new(vec![
        LegInput { account: first.clone(), amount: String::new() },
        LegInput { account: first, amount: String::new() },
    ]);
    let sum = move || -> Option<Decimal> {
        legs.with(|ls| ls.iter().try_fold(Decimal::ZERO, |s, l| parse_amount(&l.amount).ok().map(|a| s + a)))
    };
    let currency = accounts.first().map(|a| a.currency).unwrap_or(manna_core::Currency::USD);
    view! {
        <form class="inline-form adjustment" aria-label="New adjustment" on:submit=move |ev| {
            ev.prevent_default();
            adjust.dispatch(CreateAdjustment {
                date: date.get_untracked(),
                description: description.get_untracked(),
                legs: legs.get_untracked(),
            });
        }>
            <label>"Date" <input type="date" required on:input=move |ev| date.set(event_target_value(&ev))/></label>
            <label>"Description" <input required prop:value=description on:input=move |ev| description.set(event_target_value(&ev))/></label>
            <For each={move || (0..legs.with(Vec::len)).collect::<Vec<_>>()} key={|i| *i} let:i>
                {
                    let accounts = accounts.clone();
                    view! {
                        <div class="split-part">
                            <label>{format!("Leg {} account", i + 1)}
                                <select on:change=move |ev| legs.update(|ls| ls[i].account = event_target_value(&ev))>
                                    {accounts.iter().map(|a| view! { <option value=a.id.to_string()>{a.name.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                            <label>"Amount" <input inputmode="decimal" size="10"
                                on:input=move |ev| legs.update(|ls| ls[i].amount = event_target_value(&ev))/></label>
                        </div>
                    }
                }
            </For>
            <p class="remaining" aria-live="polite">{move || match sum() {
                Some(s) if s.is_zero() => "The legs balance.".to_string(),
                Some(s) => format!("The legs add up to {}; they must add up to zero.", format_money(s, currency)),
                None => "Enter an amount for every leg.".to_string(),
            }}</p>
            <button type="button" class="link-button dark" on:click=move |_| legs.update(|ls| {
                let account = ls.first().map(|l| l.account.clone()).unwrap_or_default();
                ls.push(LegInput { account, amount: String::new() });
            })>"Add leg"</button>
            <button type="submit" class="button small" disabled=move || sum() != Some(Decimal::ZERO)>"Record adjustment"</button>
        </form>
    }
}

/// A transfer's or adjustment's legs; a transfer can be changed (both legs move
/// together) and any entry deleted (every leg goes).
#[component]
pub fn TransferEditor(actions: LedgerActions, entry: Uuid) -> impl IntoView {
    let update = ServerAction::<UpdateTransfer>::new();
    let delete = ServerAction::<DeleteJournalEntry>::new();
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(_))) || matches!(delete.value().get(), Some(Ok(_))) {
            actions.transfer.set(None);
            actions.changed.update(|c| *c += 1);
        }
    });
    let detail = LocalResource::new(move || get_journal_entry(entry.to_string()));
    let (update_error, delete_error) = (failed(update.value()), failed(delete.value()));
    view! {
        <tr class="editor-row">
            <td colspan="8">
                <div class="inline-editor" role="group" aria-label="Journal entry">
                    {move || match detail.get() {
                        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                        Some(Ok(e)) => {
                            let amount = e.legs.iter().map(|l| l.amount).max().unwrap_or_default();
                            let is_transfer = e.kind == "transfer";
                            view! {
                                <ul class="legs">
                                    {e.legs.iter().map(|l| view! {
                                        <li>{l.account.clone()}": "{format_money(l.amount, l.currency)}</li>
                                    }).collect_view()}
                                </ul>
                                {is_transfer.then(|| view! {
                                    <ActionForm action=update attr:class="inline-form" attr:aria-label="Change transfer">
                                        <input type="hidden" name="id" value=entry.to_string()/>
                                        <label>"Amount" <input name="amount" inputmode="decimal" size="10" value=amount.to_string() required/></label>
                                        <label>"Date" <input type="date" name="date" value=e.date.to_string() required/></label>
                                        <label>"Description" <input name="description" value=e.description.clone() required/></label>
                                        <button type="submit" class="button small">"Save transfer"</button>
                                    </ActionForm>
                                })}
                            }.into_any()
                        }
                    }}
                    <button type="button" class="link-button dark danger" on:click=move |_| {
                        delete.dispatch(DeleteJournalEntry { id: entry.to_string() });
                    }>"Delete entry"</button>
                    <button type="button" class="link-button dark" on:click=move |_| actions.transfer.set(None)>"Close"</button>
                    {move || update_error().or_else(delete_error).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                </div>
            </td>
        </tr>
    }
}
