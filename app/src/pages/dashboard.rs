//! The dashboard: the signed-in user's accounts and balances.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use manna_core::{AccountKind, BalanceSummary, Currency, format_money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: Uuid,
    pub name: String,
    pub mask: Option<String>,
    pub kind: AccountKind,
    pub subtype: Option<String>,
    pub is_business: bool,
    pub currency: Currency,
    pub current_balance: Decimal,
    pub available_balance: Option<Decimal>,
    pub credit_limit: Option<Decimal>,
    pub institution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub display_name: String,
    pub currency: Currency,
    pub accounts: Vec<AccountView>,
    pub recent: Vec<crate::transactions::TransactionRow>,
}

#[server(prefix = "/api", endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    crate::error::respond(load_dashboard().await)
}

#[cfg(feature = "ssr")]
async fn load_dashboard() -> Result<Dashboard, AppError> {
    use crate::auth::ssr::{pool, require_user};
    use crate::data::{accounts, transactions, users};

    let user_id = require_user().await?.user_id;
    let mut tx = crate::data::user_tx(&pool()?, user_id).await?;
    let user = users::get(&mut tx, user_id).await?;
    let rows = accounts::list_active(&mut tx, user_id).await?;
    let accounts = rows
        .into_iter()
        .map(|r| {
            let kind = AccountKind::parse(&r.account_type).unwrap_or(AccountKind::Other);
            AccountView {
                id: r.id,
                name: r.name,
                mask: r.mask,
                kind,
                subtype: r.account_subtype,
                is_business: r.is_business,
                currency: Currency::parse(&r.currency).unwrap_or(Currency::USD),
                current_balance: r.current_balance,
                available_balance: r.available_balance,
                credit_limit: r.credit_limit,
                institution: r.institution_name,
            }
        })
        .collect();
    let newest = transactions::ListFilter::default();
    transactions::set_plan_mode(&mut tx, &newest).await?;
    let recent = transactions::list(&mut tx, user_id, &newest, None, 10).await?.into_iter().map(Into::into).collect();
    Ok(Dashboard {
        display_name: user.display_name,
        currency: Currency::parse(&user.default_currency).unwrap_or(Currency::USD),
        accounts,
        recent,
    })
}

/// Which accounts the totals cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    Personal,
    Business,
}

impl Scope {
    fn admits(self, account: &AccountView) -> bool {
        self.admits_business(account.is_business)
    }

    fn admits_business(self, is_business: bool) -> bool {
        match self {
            Scope::All => true,
            Scope::Personal => !is_business,
            Scope::Business => is_business,
        }
    }

    /// The `is_business` the scope asks for, none for both.
    fn business(self) -> Option<bool> {
        match self {
            Scope::All => None,
            Scope::Personal => Some(false),
            Scope::Business => Some(true),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Scope::All => "All",
            Scope::Personal => "Personal",
            Scope::Business => "Business",
        }
    }
}

const KIND_ORDER: [AccountKind; 5] =
    [AccountKind::Depository, AccountKind::Investment, AccountKind::Credit, AccountKind::Loan, AccountKind::Other];

#[component]
pub fn DashboardPage() -> impl IntoView {
    let dashboard = Resource::new(|| (), |_| get_dashboard());
    view! {
        <Title text="Dashboard"/>
        <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Loading your accounts…"</p> }>
            {move || Suspend::new(async move {
                match dashboard.await {
                    Ok(data) => view! { <DashboardView data/> }.into_any(),
                    Err(AppError::Unauthorized) => view! {
                        <section class="empty-state">
                            <h1>"Welcome to Manna"</h1>
                            <p>"Sign in to see your accounts and balances."</p>
                            <p class="actions">
                                <a class="button" href="/login">"Sign in"</a>
                                " "
                                <a class="button secondary" href="/signup">"Create an account"</a>
                            </p>
                        </section>
                    }.into_any(),
                    Err(e) => view! {
                        <section class="error-panel" role="alert">
                            <h1>"We could not load your dashboard"</h1>
                            <p>{e.to_string()}</p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DashboardView(data: Dashboard) -> impl IntoView {
    let (scope, set_scope) = signal(Scope::All);
    let currency = data.currency;
    let accounts = StoredValue::new(data.accounts);
    let recent = StoredValue::new(data.recent);
    let greeting = if data.display_name.is_empty() {
        "Your money today".to_string()
    } else {
        format!("Hello, {}", data.display_name)
    };

    let summary = Memo::new(move |_| {
        accounts.with_value(|all| {
            let in_scope = all.iter().filter(|a| scope.get().admits(a));
            let (same, other): (Vec<_>, Vec<_>) = in_scope.partition(|a| a.currency == currency);
            let summary = BalanceSummary::from_balances(same.iter().map(|a| (a.kind, a.current_balance)));
            (summary, same.len(), other.len())
        })
    });

    let scope_button = move |s: Scope| {
        view! {
            <button
                type="button"
                class="segment"
                aria-pressed=move || (scope.get() == s).to_string()
                on:click=move |_| set_scope.set(s)
            >
                {s.label()}
            </button>
        }
    };

    view! {
        <header class="page-header">
            <div>
                <p class="eyebrow">"Dashboard"</p>
                <h1>{greeting}</h1>
            </div>
            <div class="segmented" role="group" aria-label="Show accounts for">
                {scope_button(Scope::All)}
                {scope_button(Scope::Personal)}
                {scope_button(Scope::Business)}
            </div>
        </header>

        <section class="cards" aria-label="Totals">
            <article class="card card-primary">
                <h2>"Net worth"</h2>
                <p class="figure" data-testid="net-worth">
                    {move || format_money(summary.get().0.net_worth(), currency)}
                </p>
                <p class="muted">{move || format!("{} accounts", summary.get().1)}</p>
            </article>
            <article class="card">
                <h2>"Assets"</h2>
                <p class="figure positive" data-testid="assets">{move || format_money(summary.get().0.assets, currency)}</p>
            </article>
            <article class="card">
                <h2>"Liabilities"</h2>
                <p class="figure negative" data-testid="liabilities">{move || format_money(summary.get().0.liabilities, currency)}</p>
            </article>
        </section>
        {move || {
            let other = summary.get().2;
            (other > 0).then(|| view! {
                <p class="notice">{format!("{other} account(s) in other currencies are listed but not in these totals.")}</p>
            })
        }}

        {move || {
            let empty = accounts.with_value(|a| a.is_empty());
            if empty {
                return view! {
                    <section class="empty-state">
                        <h2>"No accounts yet"</h2>
                        <p>"Connect a bank or import a statement to see your balances here."</p>
                    </section>
                }.into_any();
            }
            let s = scope.get();
            KIND_ORDER
                .iter()
                .filter_map(|kind| {
                    let rows: Vec<AccountView> = accounts.with_value(|all| {
                        all.iter().filter(|a| a.kind == *kind && s.admits(a)).cloned().collect()
                    });
                    (!rows.is_empty()).then(|| view! { <AccountGroup kind=*kind rows currency/> })
                })
                .collect_view()
                .into_any()
        }}

        <crate::pages::insights::InsightsPanel business=Signal::derive(move || scope.get().business())/>
        <crate::pages::budgets::BudgetStatusCard/>

        {move || {
            let s = scope.get();
            let rows: Vec<crate::transactions::TransactionRow> =
                recent.with_value(|all| all.iter().filter(|t| s.admits_business(t.is_business)).cloned().collect());
            view! { <RecentTransactions rows/> }
        }}
    }
}

#[component]
fn RecentTransactions(rows: Vec<crate::transactions::TransactionRow>) -> impl IntoView {
    use crate::pages::transactions::TransactionTable;
    if rows.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="account-group" aria-labelledby="recent-heading">
            <div class="group-header">
                <h2 id="recent-heading">"Recent transactions"</h2>
                <a href="/transactions" class="link-button dark">"All transactions"</a>
            </div>
            <TransactionTable rows class="accounts recent"/>
        </section>
    }
    .into_any()
}

#[component]
fn AccountGroup(kind: AccountKind, rows: Vec<AccountView>, currency: Currency) -> impl IntoView {
    let subtotal: Decimal = rows.iter().filter(|a| a.currency == currency).map(|a| a.current_balance).sum();
    let heading_id = format!("group-{kind:?}").to_lowercase();
    let labelled_by = heading_id.clone();
    view! {
        <section class="account-group" aria-labelledby=labelled_by>
            <div class="group-header">
                <h2 id=heading_id>{kind.label()}</h2>
                <span class="subtotal">{format_money(subtotal, currency)}</span>
            </div>
            <table class="accounts">
                <thead>
                    <tr>
                        <th scope="col">"Account"</th>
                        <th scope="col">"Institution"</th>
                        <th scope="col" class="num">"Available"</th>
                        <th scope="col" class="num">"Balance"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|a| view! { <AccountRowView account=a/> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn AccountRowView(account: AccountView) -> impl IntoView {
    let mask = account.mask.as_ref().map(|m| format!(" ••{m}"));
    let utilisation = match (account.kind, account.credit_limit) {
        (AccountKind::Credit, Some(limit)) if !limit.is_zero() => {
            let pct = (account.current_balance / limit * Decimal::ONE_HUNDRED).round_dp(0);
            Some(format!("{pct}% of {} limit", format_money(limit, account.currency)))
        }
        _ => None,
    };
    let available = account.available_balance.map(|b| format_money(b, account.currency)).unwrap_or_else(|| "—".into());
    let balance_class = if account.kind.is_liability() { "num negative" } else { "num" };
    view! {
        <tr data-account-id=account.id.to_string()>
            <td>
                <span class="account-name">{account.name.clone()}</span>
                <span class="muted">{mask}</span>
                {account.is_business.then(|| view! { <span class="badge">"Business"</span> })}
                {account.subtype.clone().map(|s| view! { <span class="subtype">{s}</span> })}
                {utilisation.map(|u| view! { <span class="utilisation">{u}</span> })}
            </td>
            <td>{account.institution.clone().unwrap_or_else(|| "Manual".into())}</td>
            <td class="num">{available}</td>
            <td class=balance_class>{format_money(account.current_balance, account.currency)}</td>
        </tr>
    }
}
