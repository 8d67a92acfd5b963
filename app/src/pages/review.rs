//! The review queue: uncategorized transactions with the model's suggestions, made for
//! the keyboard (j/k to move, a or Enter to accept, 1–3 for an alternative, c to pick
//! another category), bulk accept, and the model's measured quality.

use super::SignInPrompt;
use super::categories::CategoryOptions;
use crate::categories::{Category, list_categories};
use crate::categorize::{
    ModelReport, QueuePage, ReviewRow, SuggestOutcome, accept_suggestions, model_quality, review_queue,
    suggest_categories,
};
use crate::error::AppError;
use crate::transactions::{BulkEdit, bulk_edit_transactions};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::collections::HashMap;
use uuid::Uuid;

fn percent(p: f64) -> String {
    format!("{:.0} %", p * 100.0)
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let query = use_query_map();
    let after = Memo::new(move |_| query.with(|q| q.get("after").unwrap_or_default()));
    // Bumped after every accept or correction: the queue reloads.
    let changed = RwSignal::new(0u32);
    let queue = Resource::new(move || (after.get(), changed.get()), |(after, _)| review_queue(after));
    let categories = Resource::new(|| (), |_| list_categories(false));
    let message = RwSignal::new(None::<Result<String, AppError>>);
    let suggesting = RwSignal::new(false);
    let suggest = move |_| {
        suggesting.set(true);
        leptos::task::spawn_local(async move {
            let result = suggest_categories().await.map(|SuggestOutcome { predicted, applied }| {
                format!(
                    "The model looked at {predicted} transactions: {applied} filed, {} waiting for you.",
                    predicted - applied
                )
            });
            let _ = message.try_set(Some(result));
            let _ = suggesting.try_set(false);
            changed.update(|c| *c += 1);
        });
    };
    view! {
        <Title text="Review"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Categorization"</p>
                <h1>"Review queue"</h1>
            </div>
            <a href="/rules" class="link-button dark">"Rules →"</a>
        </header>
        <p class="hint">"Keys: j / k move, a or Enter accepts the suggestion, 1–3 take an alternative, c picks another category, x selects."</p>
        {move || message.get().map(|m| match m {
            Ok(text) => view! { <p class="notice" role="status">{text}</p> }.into_any(),
            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (queue.await, categories.await) {
                    (Err(AppError::Unauthorized), _) | (_, Err(AppError::Unauthorized)) => {
                        view! { <SignInPrompt message="Sign in to review your transactions."/> }.into_any()
                    }
                    (Err(e), _) | (_, Err(e)) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    (Ok(page), Ok(categories)) => view! {
                        <p>
                            <button type="button" class="button secondary" on:click=suggest disabled=suggesting>
                                {move || if suggesting.get() { "Suggesting…" } else { "Suggest categories" }}
                            </button>
                        </p>
                        <Queue page categories changed message/>
                    }.into_any(),
                }
            })}
        </Transition>
        <Quality/>
    }
}

#[component]
fn Queue(
    page: QueuePage,
    categories: Vec<Category>,
    changed: RwSignal<u32>,
    message: RwSignal<Option<Result<String, AppError>>>,
) -> impl IntoView {
    if page.rows.is_empty() {
        return view! {
            <section class="empty-state">
                <h2>"Nothing to review"</h2>
                <p>"New transactions that the rules and the model are unsure of land here."</p>
            </section>
        }
        .into_any();
    }
    let names: HashMap<Uuid, String> = categories.iter().map(|c| (c.id, c.path(&categories))).collect();
    let names = StoredValue::new(names);
    let selected = RwSignal::new(std::collections::HashSet::<Uuid>::new());
    let focused = RwSignal::new(0usize);
    let rows = page.rows.clone();
    let count = rows.len();
    let suggested: Vec<Uuid> = rows.iter().filter(|r| r.suggestion.is_some()).map(|r| r.id).collect();
    let accept = move |ids: Vec<Uuid>| {
        leptos::task::spawn_local(async move {
            let n = ids.len();
            let result = accept_suggestions(ids.iter().map(Uuid::to_string).collect())
                .await
                .map(|done| format!("Accepted {done} of {n}."));
            let _ = message.try_set(Some(result));
            selected.set(Default::default());
            changed.update(|c| *c += 1);
        });
    };
    let recategorize = move |id: Uuid, category: Uuid| {
        leptos::task::spawn_local(async move {
            let edit = BulkEdit { category: Some(category.to_string()), ..BulkEdit::default() };
            let result = bulk_edit_transactions(vec![id.to_string()], edit)
                .await
                .map(|_| "Filed; the model learns from it.".to_string());
            let _ = message.try_set(Some(result));
            changed.update(|c| *c += 1);
        });
    };
    let next = page.next.clone();
    let on_key = {
        let rows = rows.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            // Keys typed into a picker belong to the picker.
            if ev.target().is_some_and(|t| {
                use leptos::wasm_bindgen::JsCast;
                t.dyn_ref::<leptos::web_sys::HtmlSelectElement>().is_some()
                    || t.dyn_ref::<leptos::web_sys::HtmlInputElement>().is_some_and(|i| i.type_() != "checkbox")
            }) {
                return;
            }
            let at = focused.get_untracked().min(count - 1);
            let row = &rows[at];
            let handled = match ev.key().as_str() {
                "j" | "ArrowDown" => {
                    focused.set((at + 1).min(count - 1));
                    true
                }
                "k" | "ArrowUp" => {
                    focused.set(at.saturating_sub(1));
                    true
                }
                "a" | "Enter" if row.suggestion.is_some() => {
                    accept(vec![row.id]);
                    true
                }
                "1" | "2" | "3" => {
                    let n: usize = ev.key().parse().unwrap_or(1);
                    if let Some(alt) = row.alternatives.get(n - 1) {
                        recategorize(row.id, alt.category_id);
                    }
                    true
                }
                "x" => {
                    let id = row.id;
                    selected.update(|s| {
                        if !s.remove(&id) {
                            s.insert(id);
                        }
                    });
                    true
                }
                "c" => {
                    focus(&format!("pick-{}", row.id));
                    true
                }
                _ => false,
            };
            if handled {
                ev.prevent_default();
                focus(&format!("row-{}", rows[focused.get_untracked().min(count - 1)].id));
            }
        }
    };
    view! {
        <section class="account-group" aria-labelledby="queue-title">
            <div class="group-header">
                <h2 id="queue-title">{format!("{} waiting · {} with a suggestion", page.waiting, page.suggested)}</h2>
                <div class="bulk">
                    <button type="button" class="button small" disabled=move || selected.with(|s| s.is_empty())
                        on:click=move |_| accept(selected.get_untracked().into_iter().collect())>
                        {move || format!("Accept selected ({})", selected.with(|s| s.len()))}
                    </button>
                    <button type="button" class="button small secondary" disabled=suggested.is_empty()
                        on:click=move |_| accept(suggested.clone())>"Accept all suggestions on this page"</button>
                </div>
            </div>
            <table class="accounts review" on:keydown=on_key>
                <thead><tr>
                    <th scope="col"><span class="visually-hidden">"Select"</span></th>
                    <th scope="col">"Date"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col" class="num">"Amount"</th>
                    <th scope="col">"Suggestion"</th>
                    <th scope="col">"Category"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().enumerate().map(|(i, r)| view! {
                        <QueueRow index=i row=r names categories=categories.clone() selected focused accept recategorize/>
                    }).collect_view()}
                </tbody>
            </table>
            {next.map(|n| view! { <p class="pager"><a href=format!("/review?after={n}")>"Next page →"</a></p> })}
        </section>
    }
    .into_any()
}

fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        if let Some(el) =
            document().get_element_by_id(id).and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[component]
fn QueueRow(
    index: usize,
    row: ReviewRow,
    names: StoredValue<HashMap<Uuid, String>>,
    categories: Vec<Category>,
    selected: RwSignal<std::collections::HashSet<Uuid>>,
    focused: RwSignal<usize>,
    accept: impl Fn(Vec<Uuid>) + Copy + 'static,
    recategorize: impl Fn(Uuid, Uuid) + Copy + 'static,
) -> impl IntoView {
    let id = row.id;
    let name = move |c: Uuid| names.with_value(|n| n.get(&c).cloned().unwrap_or_else(|| "?".into()));
    let suggestion = row.suggestion.clone();
    let alternatives = row.alternatives.clone();
    view! {
        <tr id=format!("row-{id}") data-transaction-id=id.to_string() tabindex="0"
            class:focused=move || focused.get() == index on:focus=move |_| focused.set(index)>
            <td><input type="checkbox" aria-label=format!("Select {}", row.description)
                prop:checked=move || selected.with(|s| s.contains(&id))
                on:change=move |_| selected.update(|s| { if !s.remove(&id) { s.insert(id); } })/></td>
            <td>{row.date.to_string()}</td>
            <td class="description">{row.description.clone()}<br/><span class="muted">{row.account.clone()}</span></td>
            <td class="num">{manna_core::Currency::parse(&row.currency).map(|c| manna_core::format_money(row.amount, c)).unwrap_or_else(|_| row.amount.to_string())}</td>
            <td class="suggestion">
                {match suggestion {
                    Some(s) => view! {
                        <button type="button" class="button small" on:click=move |_| accept(vec![id])>
                            {format!("✓ {}", name(s.category_id))}
                        </button>
                        <span class="muted">{format!(" {} sure", percent(s.confidence))}</span>
                        {alternatives.into_iter().enumerate().map(|(i, a)| view! {
                            <button type="button" class="link-button dark" title=format!("{} sure", percent(a.confidence))
                                on:click=move |_| recategorize(id, a.category_id)>
                                {format!("{}: {}", i + 1, name(a.category_id))}
                            </button>
                        }).collect_view()}
                    }.into_any(),
                    None => view! { <span class="muted">"no suggestion yet"</span> }.into_any(),
                }}
            </td>
            <td>
                <select id=format!("pick-{id}") aria-label="Category" on:change=move |ev| {
                    if let Ok(c) = event_target_value(&ev).parse::<Uuid>() {
                        recategorize(id, c);
                    }
                }>
                    <option value="">"Choose…"</option>
                    <CategoryOptions categories=categories/>
                </select>
            </td>
        </tr>
    }
}

/// The model's measured quality: held-out scores and the user's feedback by month.
#[component]
fn Quality() -> impl IntoView {
    // Loaded from the browser after the page: evaluation retrains the model.
    let report = RwSignal::new(None::<Result<Option<ModelReport>, AppError>>);
    let categories = RwSignal::new(HashMap::<Uuid, String>::new());
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(all) = list_categories(false).await {
                let _ = categories.try_set(all.iter().map(|c| (c.id, c.name.clone())).collect());
            }
            let _ = report.try_set(Some(model_quality().await));
        });
    });
    view! {
        <section class="account-group" aria-labelledby="model-quality">
            <div class="group-header"><h2 id="model-quality">"How good is the model?"</h2></div>
            {move || match report.get() {
                None => view! { <p class="loading">"Measuring…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Some(Ok(None)) => view! { <p>"Not enough categorized transactions to measure yet."</p> }.into_any(),
                Some(Ok(Some(q))) => {
                    let name = move |id: Uuid| categories.with(|c| c.get(&id).cloned().unwrap_or_else(|| "?".into()));
                    let mut worst = q.per_category.clone();
                    worst.sort_by(|a, b| a.f1.total_cmp(&b.f1));
                    view! {
                        <p class="hint">{format!(
                            "Trained on {} of your categorized transactions ({} ms). Tested honestly: trained on the older 80 %, scored on the newest {} it had not seen.",
                            q.trained_on, q.train_millis, q.tested_on
                        )}</p>
                        <dl class="stats">
                            <div><dt>"Accuracy"</dt><dd>{percent(q.accuracy)}</dd></div>
                            <div><dt>"Macro-F1"</dt><dd>{format!("{:.3}", q.macro_f1)}</dd></div>
                            <div><dt>{format!("Filed automatically (≥ {})", percent(q.threshold))}</dt><dd>{percent(q.coverage)}</dd></div>
                            <div><dt>"Right when filed automatically"</dt><dd>{percent(q.accuracy_above_threshold)}</dd></div>
                        </dl>
                        <table class="accounts quality">
                            <caption>"Per category, weakest first"</caption>
                            <thead><tr><th scope="col">"Category"</th><th scope="col" class="num">"Precision"</th>
                                <th scope="col" class="num">"Recall"</th><th scope="col" class="num">"F1"</th><th scope="col" class="num">"Tested"</th></tr></thead>
                            <tbody>
                                {worst.into_iter().map(|c| view! {
                                    <tr><td>{name(c.category_id)}</td><td class="num">{percent(c.precision)}</td>
                                    <td class="num">{percent(c.recall)}</td><td class="num">{format!("{:.2}", c.f1)}</td>
                                    <td class="num">{c.support}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {(!q.feedback.is_empty()).then(|| view! {
                            <table class="accounts feedback">
                                <caption>"Your feedback on its suggestions, by month"</caption>
                                <thead><tr><th scope="col">"Month"</th><th scope="col" class="num">"Accepted"</th>
                                    <th scope="col" class="num">"Corrected"</th><th scope="col" class="num">"Right"</th></tr></thead>
                                <tbody>
                                    {q.feedback.iter().map(|m| {
                                        let total = m.accepted + m.corrected;
                                        let right = if total > 0 { percent(m.accepted as f64 / total as f64) } else { "—".into() };
                                        view! { <tr><td>{m.month.format("%Y-%m").to_string()}</td><td class="num">{m.accepted}</td>
                                            <td class="num">{m.corrected}</td><td class="num">{right}</td></tr> }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })}
                    }.into_any()
                }
            }}
        </section>
    }
}
