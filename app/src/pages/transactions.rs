//! Transactions: filters kept in the URL (bookmarkable), keyset pages, totals for the
//! filtered set with a running total, inline and bulk edits, splits, transfers.

use super::SignInPrompt;
use super::categories::CategoryOptions;
use super::journal_forms::{EntryForms, TransferEditor};
use super::transaction_editors::{BulkBar, InlineEditor, SplitEditor};
use crate::accounts::{PickerAccount, ledger_choices};
use crate::categories::Category;
use crate::error::AppError;
use crate::reconcile::Unreconcile;
use crate::transactions::{
    BulkEditTransactions, DeleteTransaction, SplitTransaction, TransactionPage, TransactionQuery, TransactionRow,
    UpdateTransaction, list_transactions, transaction_totals,
};
use leptos::prelude::*;
use leptos::suspense::Unsuspend;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use manna_core::format_money;
use manna_core::ledger::running_totals_down;
use manna_core::period::Preset;
use rust_decimal::Decimal;
use std::sync::Arc;
use uuid::Uuid;

/// Percent-encodes a query value (everything but unreserved characters).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The URL of this view with another page cursor.
pub fn page_href(q: &TransactionQuery, after: Option<&str>) -> String {
    let mut parts: Vec<String> = q.pairs().into_iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    if let Some(a) = after {
        parts.push(format!("after={}", encode(a)));
    }
    if parts.is_empty() { "/transactions".into() } else { format!("/transactions?{}", parts.join("&")) }
}

/// The download of this view (all its rows, in its order) as `csv` or `xlsx`.
pub fn export_href(q: &TransactionQuery, ext: &str) -> String {
    page_href(q, None).replacen("/transactions", &format!("/transactions/export.{ext}"), 1)
}

/// The mutations of the page; a change to any of them reloads the list.
#[derive(Clone, Copy)]
pub struct LedgerActions {
    pub update: ServerAction<UpdateTransaction>,
    pub bulk: ServerAction<BulkEditTransactions>,
    pub split: ServerAction<SplitTransaction>,
    pub delete: ServerAction<DeleteTransaction>,
    /// Bumped by the other forms (transfers, adjustments, matches, un-reconciles).
    pub changed: RwSignal<u32>,
    pub editing: RwSignal<Option<Uuid>>,
    pub splitting: RwSignal<Option<Uuid>>,
    pub transfer: RwSignal<Option<Uuid>>,
    pub selected: RwSignal<Vec<Uuid>>,
}

impl LedgerActions {
    fn new() -> Self {
        LedgerActions {
            update: ServerAction::new(),
            bulk: ServerAction::new(),
            split: ServerAction::new(),
            delete: ServerAction::new(),
            changed: RwSignal::new(0),
            editing: RwSignal::new(None),
            splitting: RwSignal::new(None),
            transfer: RwSignal::new(None),
            selected: RwSignal::new(Vec::new()),
        }
    }

    fn version(&self) -> (usize, usize, usize, usize, u32) {
        (
            self.update.version().get(),
            self.bulk.version().get(),
            self.split.version().get(),
            self.delete.version().get(),
            self.changed.get(),
        )
    }

    /// The message of the last failed mutation, if the last one of a kind failed.
    fn error(&self) -> Option<String> {
        fn err<T>(v: impl Get<Value = Option<Result<T, AppError>>>) -> Option<String> {
            v.get().and_then(|r| r.err()).map(|e| e.to_string())
        }
        err(self.delete.value()).or_else(|| err(self.bulk.value()))
    }
}

#[component]
pub fn TransactionsPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| query.with(|q| TransactionQuery::from_params(|k| q.get(k))));
    // Passed down as a prop, not through context: a render the client abandoned can
    // resume after its owner is gone, and a context lookup would then panic.
    let actions = LedgerActions::new();
    // A successful edit closes its editor and clears the selection.
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.update.value().get() {
            actions.editing.set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.split.value().get() {
            actions.splitting.set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.bulk.value().get() {
            actions.selected.set(Vec::new());
        }
    });
    let page = Resource::new(move || (params.get(), actions.version()), |(q, _)| list_transactions(q));
    let choices = Resource::new(|| (), |_| ledger_choices());
    view! {
        <Title text="Transactions"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Transactions"</p>
                <h1>"Transactions"</h1>
            </div>
            <div class="actions downloads">
                <a class="button small secondary" href=move || export_href(&params.get(), "csv") download>"Export CSV"</a>
                <a class="button small secondary" href=move || export_href(&params.get(), "xlsx") download>"Export XLSX"</a>
            </div>
        </header>
        // `Unsuspend` defers building the forms and the rows until the HTML is written:
        // on the server, Suspense walks its children once more after the data arrives
        // (`dry_resolve`, to find resources read late), and without it that walk built
        // every row's view a second time only to drop it. Nothing inside reads a resource.
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let (accounts, categories) = match choices.await {
                    Ok(c) => (c.accounts, c.categories),
                    Err(_) => (Vec::new(), Vec::new()),
                };
                Unsuspend::new(move || view! {
                    <Filters params accounts=accounts.clone() categories=categories.clone()/>
                    <EntryForms actions accounts categories/>
                })
            })}
        </Suspense>
        {move || actions.error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let q = params.get_untracked();
                let categories = choices.await.map(|c| c.categories).unwrap_or_default();
                match page.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to see your transactions."/> }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(p) if p.rows.is_empty() => view! {
                        <section class="empty-state">
                            <h2>"No transactions match"</h2>
                            <p>"Try a wider date range or clear the filters."</p>
                        </section>
                    }.into_any(),
                    Ok(p) => Unsuspend::new(move || view! { <Ledger actions page=p query=q categories/> }).into_any(),
                }
            })}
        </Transition>
    }
}

/// The filter form: a GET form, so the filters live in the URL.
#[component]
fn Filters(params: Memo<TransactionQuery>, accounts: Vec<PickerAccount>, categories: Vec<Category>) -> impl IntoView {
    let q = params.get_untracked();
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let chosen_category = q.category.clone().unwrap_or_default();
    let pick = |name: &'static str,
                label: &'static str,
                current: Option<String>,
                options: &[(&'static str, &'static str)]| {
        let current = current.unwrap_or_default();
        let options =
            options.iter().map(|(v, l)| view! { <option value=*v selected=current == *v>{*l}</option> }).collect_view();
        view! { <label>{label} <select name=name>{options}</select></label> }
    };
    let yes_no = [("", "Any"), ("yes", "Yes"), ("no", "No")];
    let range = q.range.clone().unwrap_or_default();
    view! {
        <Form method="GET" action="/transactions" attr:class="filters" attr:aria-label="Filter transactions">
            <label>"Period"
                <select name="range">
                    <option value="" selected=range.is_empty()>"Any / custom dates"</option>
                    {Preset::ALL.iter().map(|p| view! {
                        <option value=p.slug() selected=range == p.slug()>{p.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"From" <input type="date" name="from" value=value(&q.from)/></label>
            <label>"To" <input type="date" name="to" value=value(&q.to)/></label>
            <label>"Account"
                <select name="account">
                    <option value="">"All accounts"</option>
                    {accounts.into_iter().map(|a| {
                        let id = a.id.to_string();
                        let selected = q.account.as_deref() == Some(id.as_str());
                        view! { <option value=id selected=selected>{a.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Category"
                <select name="category">
                    <option value="" selected=chosen_category.is_empty()>"All categories"</option>
                    <option value="none" selected=chosen_category == "none">"Uncategorized"</option>
                    <CategoryOptions categories selected=chosen_category.parse().ok()/>
                </select>
            </label>
            <label>"Amount from" <input name="min" inputmode="decimal" size="7" value=value(&q.min) placeholder="0.00"/></label>
            <label>"to" <input name="max" inputmode="decimal" size="7" value=value(&q.max) placeholder="any"/></label>
            {pick("pending", "Pending", q.pending.clone(), &yes_no)}
            {pick("reconciled", "Reconciled", q.reconciled.clone(), &yes_no)}
            {pick("kind", "Business", q.kind.clone(), &[("", "Both"), ("business", "Business"), ("personal", "Personal")])}
            {pick("deductible", "Deductible", q.deductible.clone(), &yes_no)}
            <label>"Tags" <input name="tags" value=value(&q.tags) placeholder="trip, work" size="10"/></label>
            <label>"Search" <input type="search" name="q" placeholder="Merchant, description, notes" value=value(&q.q)/></label>
            {pick("sort", "Sort", q.sort.clone(), &[("", "Newest first"), ("amount-out", "Largest outflow"), ("amount-in", "Largest inflow")])}
            <button type="submit" class="button small">"Apply"</button>
            <a href="/transactions" class="link-button dark">"Clear"</a>
        </Form>
    }
}

/// One page of the list, with its totals, running total, selection and editors.
#[component]
fn Ledger(
    actions: LedgerActions,
    page: TransactionPage,
    query: TransactionQuery,
    categories: Vec<Category>,
) -> impl IntoView {
    let newer = query.after.is_some().then(|| page_href(&query, None));
    let older = page.next.as_deref().map(|n| page_href(&query, Some(n)));
    // Totals over the whole filtered set come after the page, from the browser, so
    // the page itself renders at the speed of one keyset query.
    let totals_query = query.clone();
    let first = page.first.clone();
    // (An effect, not a resource: effects never run on the server, so the page's
    // stream does not wait on it.)
    let totals = RwSignal::new(None::<Result<crate::transactions::FilterTotals, AppError>>);
    Effect::new(move |_| {
        let (q, first) = (totals_query.clone(), first.clone());
        leptos::task::spawn_local(async move {
            let result = transaction_totals(q, first).await;
            let _ = totals.try_set(Some(result));
        });
    });
    let amounts: Vec<Decimal> = page.rows.iter().map(|r| r.amount).collect();
    let running = Memo::new(move |_| match totals.get() {
        Some(Ok(t)) => running_totals_down(t.from_first, &amounts),
        _ => Vec::new(),
    });
    let currency = page.rows[0].currency;
    let ids: Vec<Uuid> = page.rows.iter().map(|r| r.id).collect();
    let all_selected = {
        let ids = ids.clone();
        move || !ids.is_empty() && actions.selected.with(|s| ids.iter().all(|id| s.contains(id)))
    };
    let rows = page.rows.clone();
    view! {
        <section class="account-group" aria-label="Transactions">
            <p class="totals" aria-live="polite">
                {move || match totals.get() {
                    Some(Ok(t)) => format!(
                        "{} transactions · in {} · out {} · net {}",
                        t.count,
                        format_money(t.inflow, currency),
                        format_money(-t.outflow, currency),
                        format_money(t.inflow + t.outflow, currency)
                    ),
                    Some(Err(e)) => format!("Totals unavailable: {e}"),
                    None => "Adding up…".to_string(),
                }}
            </p>
            <BulkBar actions categories=categories.clone() rows=rows.clone()/>
            <table class="accounts transactions ledger">
                <thead>
                    <tr>
                        <th scope="col" class="select">
                            <input type="checkbox" aria-label="Select all on this page" prop:checked=all_selected.clone()
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let ids = ids.clone();
                                    actions.selected.update(|s| {
                                        s.retain(|id| !ids.contains(id));
                                        if on { s.extend(ids); }
                                    });
                                }/>
                        </th>
                        <th scope="col">"Date"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col">"Category"</th>
                        <th scope="col">"Account"</th>
                        <th scope="col" class="num">"Amount"</th>
                        <th scope="col" class="num" title="This row and everything below it in the filtered list">"Running"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {
                        // One shared list for every row: a copy per row and per editor put
                        // Vec clones and allocation at the top of the wrk profile. An editor
                        // copies it only when it opens.
                        let shared: Arc<[Category]> = categories.clone().into();
                        page.rows.into_iter().enumerate().map(|(i, row)| {
                            let running = Signal::derive(move || running.with(|r| r.get(i).copied()));
                            view! { <LedgerLine actions row running categories=shared.clone()/> }
                        }).collect_view()
                    }
                </tbody>
            </table>
            <nav class="pager" aria-label="Pages">
                {newer.map(|h| view! { <a href=h class="link-button dark">"First page"</a> })}
                {older.map(|h| view! { <a href=h class="link-button dark" rel="next">"Next page →"</a> })}
            </nav>
        </section>
    }
}

/// One row of the ledger, and its editors when open.
#[component]
fn LedgerLine(
    actions: LedgerActions,
    row: TransactionRow,
    running: Signal<Option<Decimal>>,
    categories: Arc<[Category]>,
) -> impl IntoView {
    let id = row.id;
    let class = if row.amount.is_sign_negative() { "num" } else { "num positive" };
    let is_transfer = row.journal_entry.is_some();
    let category_label = if row.kind == "transfer" {
        "Transfer".to_string()
    } else if row.is_split {
        "Split".to_string()
    } else {
        row.category.clone().unwrap_or_else(|| "Uncategorized".into())
    };
    let currency = row.currency;
    let description = row.description.clone();
    let locked = row.reconciled;
    let editor_row = row.clone();
    let split_row = row.clone();
    let split_categories = categories.clone();
    let entry = row.journal_entry;
    view! {
        <tr data-transaction-id=id.to_string() class:locked=locked>
            <td class="select">
                <input type="checkbox" aria-label=format!("Select {description}")
                    prop:checked=move || actions.selected.with(|s| s.contains(&id))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        actions.selected.update(|s| { s.retain(|x| *x != id); if on { s.push(id); } });
                    }/>
            </td>
            <td class="date">{row.date.format("%Y-%m-%d").to_string()}</td>
            <td>
                <span class="description">{row.description.clone()}</span>
                {row.pending.then(|| view! { <span class="badge pending">"Pending"</span> })}
                {row.is_business.then(|| view! { <span class="badge">"Business"</span> })}
                {row.tax_deductible.then(|| view! { <span class="badge">"Deductible"</span> })}
                {row.reconciled.then(|| view! { <span class="badge" title="Reconciled: locked">"Reconciled"</span> })}
                {row.tags.iter().map(|t| view! { <span class="badge tag">{format!("#{t}")}</span> }).collect_view()}
                {row.notes.clone().map(|n| view! { <span class="subtype">{n}</span> })}
            </td>
            <td class="muted category">{category_label}
                {row.needs_review.then(|| view! { " " <a href="/review" class="badge pending">"Needs review"</a> })}
            </td>
            <td class="muted">{row.account.clone()}</td>
            <td class=class>{format_money(row.amount, currency)}</td>
            <td class="num muted running">{move || running.get().map(|r| format_money(r, currency)).unwrap_or_default()}</td>
            <td class="num actions">
                {if is_transfer {
                    view! {
                        <button type="button" class="link-button dark" on:click=move |_| actions.transfer.set(entry)>
                            {if row.kind == "transfer" { "Transfer…" } else { "Entry…" }}
                        </button>
                    }.into_any()
                } else if locked {
                    view! { <UnlockButton actions id description=row.description.clone()/> }.into_any()
                } else {
                    view! {
                        <button type="button" class="link-button dark" aria-label=format!("Edit {}", row.description)
                            on:click=move |_| { actions.splitting.set(None); actions.editing.set(Some(id)); }>"Edit"</button>
                        <button type="button" class="link-button dark" aria-label=format!("Split {}", row.description)
                            on:click=move |_| { actions.editing.set(None); actions.splitting.set(Some(id)); }>"Split"</button>
                    }.into_any()
                }}
            </td>
        </tr>
        {move || (actions.editing.get() == Some(id)).then(|| view! {
            <InlineEditor actions row=editor_row.clone() categories=categories.to_vec()/>
        })}
        {move || (actions.splitting.get() == Some(id)).then(|| view! {
            <SplitEditor actions row=split_row.clone() categories=split_categories.to_vec()/>
        })}
        {move || (actions.transfer.get().is_some() && actions.transfer.get() == entry).then(|| view! {
            <TransferEditor actions entry=entry.unwrap_or_default()/>
        })}
    }
}

/// A reconciled row is locked; unlocking it asks for a reason, which the audit log keeps.
#[component]
fn UnlockButton(actions: LedgerActions, id: Uuid, description: String) -> impl IntoView {
    let unlock = ServerAction::<Unreconcile>::new();
    let asking = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(())) = unlock.value().get() {
            actions.changed.update(|c| *c += 1);
        }
    });
    view! {
        {move || if asking.get() {
            view! {
                <form class="unlock" on:submit=move |ev| {
                    ev.prevent_default();
                    unlock.dispatch(Unreconcile { id: id.to_string(), reason: reason.get_untracked() });
                }>
                    <input aria-label="Reason for un-reconciling" placeholder="Reason" required maxlength="500"
                        prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))/>
                    <button type="submit" class="link-button dark">"Un-reconcile"</button>
                    {move || unlock.value().get().and_then(|r| r.err()).map(|e| view! { <span class="form-error" role="alert">{e.to_string()}</span> })}
                </form>
            }.into_any()
        } else {
            view! {
                <button type="button" class="link-button dark" title="Reconciled: locked"
                    aria-label=format!("Un-reconcile {description}") on:click=move |_| asking.set(true)>"Locked…"</button>
            }.into_any()
        }}
    }
}

/// A table of transactions (the dashboard's recent ones).
#[component]
pub fn TransactionTable(rows: Vec<TransactionRow>, class: &'static str) -> impl IntoView {
    view! {
        <table class=class>
            <thead>
                <tr>
                    <th scope="col">"Date"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col">"Category"</th>
                    <th scope="col">"Account"</th>
                    <th scope="col" class="num">"Amount"</th>
                </tr>
            </thead>
            <tbody>{rows.into_iter().map(|t| view! { <TransactionLine row=t/> }).collect_view()}</tbody>
        </table>
    }
}

/// One transaction as a plain table row.
#[component]
pub fn TransactionLine(row: TransactionRow) -> impl IntoView {
    let class = if row.amount.is_sign_negative() { "num" } else { "num positive" };
    view! {
        <tr data-transaction-id=row.id.to_string()>
            <td class="date">{row.date.format("%Y-%m-%d").to_string()}</td>
            <td>
                {row.description}
                {row.pending.then(|| view! { <span class="badge pending">"Pending"</span> })}
                {row.is_business.then(|| view! { <span class="badge">"Business"</span> })}
            </td>
            <td class="muted">{row.category.unwrap_or_else(|| "Uncategorized".into())}</td>
            <td class="muted">{row.account}</td>
            <td class=class>{format_money(row.amount, row.currency)}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_keep_the_filters_and_encode_them() {
        let q = TransactionQuery {
            from: Some("2024-01-01".into()),
            q: Some("café & co".into()),
            sort: Some("amount-out".into()),
            ..Default::default()
        };
        assert_eq!(
            page_href(&q, Some("2024-01-05_abc")),
            "/transactions?from=2024-01-01&q=caf%C3%A9%20%26%20co&sort=amount-out&after=2024-01-05_abc"
        );
        assert_eq!(page_href(&TransactionQuery::default(), None), "/transactions");
        assert_eq!(
            export_href(&q, "xlsx"),
            "/transactions/export.xlsx?from=2024-01-01&q=caf%C3%A9%20%26%20co&sort=amount-out"
        );
    }
}
