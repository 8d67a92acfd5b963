//! Import a bank statement: choose the account and the file, check the preview (what is
//! new, what Manna already has and why, what could not be read), adjust a CSV's columns,
//! import, and undo a batch.
//!
//! The file is read in the browser by `/import-file.js` (public/), which puts it into
//! the forms' `data-import-content` fields as they are submitted.

use super::SignInPrompt;
use crate::accounts::list_accounts;
use crate::error::AppError;
use crate::import::{Batch, ImportStatement, Preview, PreviewImport, UndoImport, import_batches};
use leptos::prelude::*;
use leptos_meta::Title;
use manna_core::import::{AmountColumns, CsvMapping, DateFormat, DuplicateReason, ParseOptions};
use manna_core::{Currency, format_money};
use std::collections::BTreeSet;

#[component]
pub fn ImportPage() -> impl IntoView {
    let preview = ServerAction::<PreviewImport>::new();
    let import = ServerAction::<ImportStatement>::new();
    let undo = ServerAction::<UndoImport>::new();
    let accounts = Resource::new(|| (), |_| list_accounts());
    let batches = Resource::new(move || (import.version().get(), undo.version().get()), |_| import_batches());
    // The CSV settings the person chose (JSON of ParseOptions); empty: detect.
    let options = RwSignal::new(String::new());
    let flips = RwSignal::new(BTreeSet::<usize>::new());
    let headers = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        if let Some(Ok(p)) = preview.value().get() {
            flips.set(BTreeSet::new());
            if let Some(g) = &p.guess {
                headers.set(g.headers.clone());
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = import.value().get() {
            preview.value().set(None);
            options.set(String::new());
        }
    });
    let error = move || {
        preview
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| import.value().get().and_then(|r| r.err()))
            .or_else(|| undo.value().get().and_then(|r| r.err()))
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Import"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Statement files"</p>
                <h1>"Import"</h1>
            </div>
        </header>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match accounts.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to import statements."/> }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(list) => {
                        let open: Vec<_> = list.into_iter().filter(|a| a.open).collect();
                        if open.is_empty() {
                            return view! {
                                <section class="empty-state">
                                    <h2>"No account to import into"</h2>
                                    <p>"Add an account first, then import its statements here."</p>
                                    <a class="button" href="/accounts">"Add an account"</a>
                                </section>
                            }.into_any();
                        }
                        view! {
                            <section class="account-group" aria-labelledby="upload">
                                <div class="group-header"><h2 id="upload">"Choose a file"</h2></div>
                                <ActionForm action=preview attr:class="stacked-form import-form">
                                    <label>"Account"
                                        <select name="account" aria-label="Account" required on:change=move |_| { preview.value().set(None); options.set(String::new()); }>
                                            {open.into_iter().map(|a| view! { <option value=a.id.to_string()>{a.name}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>"Statement file (OFX, QFX, QIF or CSV, up to 16 MB)"
                                        <input type="file" data-import-file="" accept=".ofx,.qfx,.qif,.csv,.tsv,.txt"/>
                                    </label>
                                    <input type="hidden" name="content" data-import-content=""/>
                                    <input type="hidden" name="file_name" data-import-name=""/>
                                    <input type="hidden" name="options" prop:value=move || options.get()/>
                                    {move || preview.value().get().and_then(|r| r.ok()).and_then(|p| match p.options {
                                        ParseOptions::Csv(m) => Some(view! { <MappingEditor mapping=m headers options/> }),
                                        _ => None,
                                    })}
                                    <button type="submit" class="button secondary" disabled=move || preview.pending().get()>
                                        {move || if preview.pending().get() { "Reading…" } else { "Preview" }}
                                    </button>
                                </ActionForm>
                                <p class="link-status" data-import-status="" role="status" aria-live="polite"></p>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
        {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        {move || preview.value().get().and_then(|r| r.ok()).map(|p| view! { <PreviewPanel p flips import options/> })}
        {move || import.value().get().and_then(|r| r.ok()).map(|done| view! {
            <p class="notice" role="status">
                {format!("Imported {} rows ({} already there, {} unreadable).", done.added, done.duplicates, done.failed)}
            </p>
        })}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match batches.await {
                    Ok(list) if !list.is_empty() => view! { <BatchList list undo/> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

/// A CSV's columns: which holds the date (and how it is written), the amount, the
/// description. Changes go into the preview form's `options` field.
#[component]
fn MappingEditor(mapping: CsvMapping, headers: RwSignal<Vec<String>>, options: RwSignal<String>) -> impl IntoView {
    let m = RwSignal::new(mapping);
    let save = move || {
        options.set(serde_json::to_string(&ParseOptions::Csv(m.get_untracked())).unwrap_or_default());
    };
    let columns = move || {
        let h = headers.get();
        let n = h.len().max(m.with(|m| [m.date, m.description].into_iter().max().unwrap_or(0) + 1));
        (0..n)
            .map(|i| (i, h.get(i).filter(|s| !s.is_empty()).cloned().unwrap_or_else(|| format!("Column {}", i + 1))))
            .collect::<Vec<_>>()
    };
    let column_select = move |label: &'static str, get: fn(&CsvMapping) -> usize, set: fn(&mut CsvMapping, usize)| {
        view! {
            <label>{label}
                <select aria-label=label on:change=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                        m.update(|m| set(m, i));
                        save();
                    }
                }>
                    {move || columns().into_iter().map(|(i, name)| {
                        view! { <option value=i.to_string() selected=m.with(|m| get(m) == i)>{name}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    let amount_column = |m: &CsvMapping| match m.amount {
        AmountColumns::Signed { column, .. } => column,
        AmountColumns::DebitCredit { debit, .. } => debit,
    };
    view! {
        <fieldset class="mapping">
            <legend>"Columns"</legend>
            {column_select("Date", |m| m.date, |m, i| m.date = i)}
            <label>"Dates are written"
                <select aria-label="Dates are written" on:change=move |ev| {
                    let f = match event_target_value(&ev).as_str() {
                        "day" => DateFormat::DayFirst,
                        "year" => DateFormat::YearFirst,
                        _ => DateFormat::MonthFirst,
                    };
                    m.update(|m| m.date_format = f);
                    save();
                }>
                    <option value="month" selected=m.with_untracked(|m| m.date_format == DateFormat::MonthFirst)>"month/day/year"</option>
                    <option value="day" selected=m.with_untracked(|m| m.date_format == DateFormat::DayFirst)>"day/month/year"</option>
                    <option value="year" selected=m.with_untracked(|m| m.date_format == DateFormat::YearFirst)>"year/month/day"</option>
                </select>
            </label>
            {column_select("Description", |m| m.description, |m, i| m.description = i)}
            {column_select("Amount", amount_column, |m, i| {
                m.amount = match m.amount {
                    AmountColumns::Signed { negate, .. } => AmountColumns::Signed { column: i, negate },
                    AmountColumns::DebitCredit { credit, .. } => AmountColumns::DebitCredit { debit: i, credit },
                }
            })}
            <label class="check">
                <input type="checkbox" prop:checked=m.with_untracked(|m| matches!(m.amount, AmountColumns::Signed { negate: true, .. }))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        m.update(|m| if let AmountColumns::Signed { column, .. } = m.amount {
                            m.amount = AmountColumns::Signed { column, negate: on };
                        });
                        save();
                    }/>
                " Money out is positive in this file"
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=m.with_untracked(|m| m.decimal_comma)
                    on:change=move |ev| { let on = event_target_checked(&ev); m.update(|m| m.decimal_comma = on); save(); }/>
                " Decimal comma (1.234,56)"
            </label>
            <p class="hint">"Change a column, then Preview again."</p>
        </fieldset>
    }
}

fn reason_text(reason: DuplicateReason, source: Option<&str>) -> String {
    let from = match source {
        Some("plaid") => " (from your bank connection)",
        Some("import") => " (from an earlier import)",
        Some("manual") => " (entered by hand)",
        _ => "",
    };
    match reason {
        DuplicateReason::New => "New".into(),
        DuplicateReason::SameFitid => format!("Already imported: same bank id{from}"),
        DuplicateReason::SameDayAmountDescription => format!("Already there: same day, amount and payee{from}"),
        DuplicateReason::NearDateAmountDescription { days } => {
            format!("Already there: same amount and payee, {days} day(s) apart{from}")
        }
        DuplicateReason::AlsoInThisFile => "Repeated in this file (same bank id)".into(),
    }
}

#[component]
fn PreviewPanel(
    p: Preview,
    flips: RwSignal<BTreeSet<usize>>,
    import: ServerAction<ImportStatement>,
    options: RwSignal<String>,
) -> impl IntoView {
    let used = serde_json::to_string(&p.options).unwrap_or_default();
    let account = p.account_id.to_string();
    let defaults: Vec<(usize, bool)> = p.rows.iter().map(|r| (r.index, r.import)).collect();
    let to_import = Memo::new(move |_| defaults.iter().filter(|(i, d)| *d != flips.with(|f| f.contains(i))).count());
    let ambiguous = p.guess.as_ref().is_some_and(|g| g.ambiguous_date) && options.with_untracked(String::is_empty);
    view! {
        <section class="account-group preview" aria-labelledby="preview-heading">
            <div class="group-header">
                <h2 id="preview-heading">{format!("Preview: {} into {}", p.format_label, p.account)}</h2>
            </div>
            <p class="muted">
                {format!("{} new, {} already in Manna, {} could not be read.", p.new_rows, p.duplicates, p.errors.len())}
            </p>
            {ambiguous.then(|| view! {
                <p class="form-error" role="alert">"These dates read both as month/day and day/month: check “Dates are written” above."</p>
            })}
            {(!p.errors.is_empty()).then(|| view! {
                <ul class="import-errors">
                    {p.errors.iter().map(|e| view! { <li>{e.to_string()}</li> }).collect_view()}
                </ul>
            })}
            <table class="accounts preview-rows">
                <thead><tr>
                    <th scope="col">"Import"</th>
                    <th scope="col">"Line"</th>
                    <th scope="col">"Date"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col" class="num">"Amount"</th>
                    <th scope="col">"Status"</th>
                </tr></thead>
                <tbody>
                    {p.rows.into_iter().map(|r| {
                        let index = r.index;
                        let default = r.import;
                        let checked = move || default != flips.with(|f| f.contains(&index));
                        let status = reason_text(r.reason, r.duplicate_source.as_deref());
                        view! {
                            <tr class:duplicate=!default data-row=index.to_string()>
                                <td><input type="checkbox" aria-label=format!("Import line {}", r.line) prop:checked=checked
                                    on:change=move |_| flips.update(|f| if !f.remove(&index) { f.insert(index); })/></td>
                                <td>{r.line}</td>
                                <td>{r.date.to_string()}</td>
                                <td>{r.description.clone()}</td>
                                <td class="num">{format_money(r.amount, Currency::USD)}</td>
                                <td>{status}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <ActionForm action=import attr:class="inline-form">
                <input type="hidden" name="account" value=account/>
                <input type="hidden" name="content" data-import-content=""/>
                <input type="hidden" name="file_name" data-import-name=""/>
                <input type="hidden" name="options" value=used/>
                {move || flips.get().into_iter().enumerate().map(|(k, i)| view! {
                    <input type="hidden" name=format!("flip[{k}]") value=i.to_string()/>
                }).collect_view()}
                <button type="submit" class="button" disabled=move || import.pending().get() || to_import.get() == 0>
                    {move || format!("Import {} rows", to_import.get())}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn BatchList(list: Vec<Batch>, undo: ServerAction<UndoImport>) -> impl IntoView {
    view! {
        <section class="account-group" aria-labelledby="batches">
            <div class="group-header"><h2 id="batches">"Recent imports"</h2></div>
            <table class="accounts">
                <thead><tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"File"</th>
                    <th scope="col">"Account"</th>
                    <th scope="col" class="num">"Added"</th>
                    <th scope="col" class="num">"Skipped"</th>
                    <th scope="col"></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|b| view! {
                        <tr class:inactive=b.undone>
                            <td>{b.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                            <td>{b.file_name.clone()}<span class="muted">{format!(" · {}", b.format.to_uppercase())}</span></td>
                            <td>{b.account.clone()}</td>
                            <td class="num">{b.added}</td>
                            <td class="num">{b.duplicates + b.failed}</td>
                            <td>
                                {if b.undone {
                                    view! { <span class="badge">"Undone"</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=undo attr:class="inline-form">
                                            <input type="hidden" name="batch" value=b.id.to_string()/>
                                            <button type="submit" class="link-button danger"
                                                aria-label=format!("Undo import of {}", b.file_name)>"Undo"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
