//! Transactions: filters kept in the URL (bookmarkable), newest first, keyset pages.

use super::SignInPrompt;
use crate::accounts::list_accounts;
use crate::error::AppError;
use crate::transactions::{TransactionQuery, TransactionRow, list_transactions};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use manna_core::format_money;

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
fn page_href(q: &TransactionQuery, after: Option<&str>) -> String {
    let mut parts = Vec::new();
    for (k, v) in [("from", &q.from), ("to", &q.to), ("account", &q.account), ("q", &q.q)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", encode(v)));
        }
    }
    if let Some(a) = after {
        parts.push(format!("after={}", encode(a)));
    }
    if parts.is_empty() { "/transactions".into() } else { format!("/transactions?{}", parts.join("&")) }
}

#[component]
pub fn TransactionsPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| query.with(|q| TransactionQuery::from_params(|k| q.get(k))));
    let page = Resource::new(move || params.get(), list_transactions);
    let accounts = Resource::new(|| (), |_| list_accounts());
    view! {
        <Title text="Transactions"/>
        <header class="page-header">
            <div>
                <p class="eyebrow">"Transactions"</p>
                <h1>"Transactions"</h1>
            </div>
        </header>
        <Form method="GET" action="/transactions" attr:class="filters" attr:aria-label="Filter transactions">
            <label>"From" <input type="date" name="from" prop:value=move || params.get().from.unwrap_or_default()/></label>
            <label>"To" <input type="date" name="to" prop:value=move || params.get().to.unwrap_or_default()/></label>
            <label>"Account"
                <select name="account">
                    <option value="">"All accounts"</option>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let chosen = params.get_untracked().account.unwrap_or_default();
                            accounts.await.unwrap_or_default().into_iter().map(|a| {
                                let id = a.id.to_string();
                                let selected = id == chosen;
                                view! { <option value=id selected=selected>{a.name}</option> }
                            }).collect_view()
                        })}
                    </Suspense>
                </select>
            </label>
            <label>"Search" <input type="search" name="q" placeholder="Merchant, description, notes"
                prop:value=move || params.get().q.unwrap_or_default()/></label>
            <button type="submit" class="button small">"Apply"</button>
            <a href="/transactions" class="link-button dark">"Clear"</a>
        </Form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let q = params.get_untracked();
                match page.await {
                    Err(AppError::Unauthorized) => view! { <SignInPrompt message="Sign in to see your transactions."/> }.into_any(),
                    Err(e) => view! { <section class="error-panel" role="alert"><p>{e.to_string()}</p></section> }.into_any(),
                    Ok(p) if p.rows.is_empty() => view! {
                        <section class="empty-state">
                            <h2>"No transactions match"</h2>
                            <p>"Try a wider date range or clear the filters."</p>
                        </section>
                    }.into_any(),
                    Ok(p) => {
                        let newer = q.after.is_some().then(|| page_href(&q, None));
                        let older = p.next.as_deref().map(|n| page_href(&q, Some(n)));
                        view! {
                            <section class="account-group">
                                <TransactionTable rows=p.rows class="accounts transactions"/>
                                <nav class="pager" aria-label="Pages">
                                    {newer.map(|h| view! { <a href=h class="link-button dark">"Newest"</a> })}
                                    {older.map(|h| view! { <a href=h class="link-button dark" rel="next">"Older →"</a> })}
                                </nav>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// A table of transactions (the transactions page and the dashboard).
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

/// One transaction as a table row.
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
        let q =
            TransactionQuery { from: Some("2024-01-01".into()), q: Some("café & co".into()), ..Default::default() };
        assert_eq!(
            page_href(&q, Some("2024-01-05_abc")),
            "/transactions?from=2024-01-01&q=caf%C3%A9%20%26%20co&after=2024-01-05_abc"
        );
        assert_eq!(page_href(&TransactionQuery::default(), None), "/transactions");
    }
}
