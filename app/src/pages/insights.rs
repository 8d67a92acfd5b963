//! The dashboard's insights: net worth trend, this month's cash flow and spending,
//! and the accounts that need attention.

use crate::insights::{Insights, dashboard_insights};
use leptos::prelude::*;
use manna_core::format_money;

/// `business`: the dashboard's scope (business only, personal only, or both); the
/// figures are fetched again when it changes.
#[component]
pub fn InsightsPanel(#[prop(into)] business: Signal<Option<bool>>) -> impl IntoView {
    let insights = Resource::new(move || business.get(), dashboard_insights);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading insights…"</p> }>
            {move || Suspend::new(async move {
                match insights.await {
                    Ok(i) => view! { <InsightsBody i/> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn InsightsBody(i: Insights) -> impl IntoView {
    let c = i.currency;
    let net = i.month_in - i.month_out;
    view! {
        {(!i.attention.is_empty()).then(|| view! {
            <section class="account-group attention" aria-labelledby="attention-heading" data-testid="attention">
                <div class="group-header"><h2 id="attention-heading">"Needs attention"</h2></div>
                <ul class="attention-list">
                    {i.attention.into_iter().map(|a| view! {
                        <li><a href=format!("/accounts/{}", a.account_id)>{a.account}</a>" — "{a.reason}</li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        <section class="cards" aria-label="This month">
            <article class="card">
                <h2>"Money in this month"</h2>
                <p class="figure positive" data-testid="month-in">{format_money(i.month_in, c)}</p>
            </article>
            <article class="card">
                <h2>"Money out this month"</h2>
                <p class="figure negative" data-testid="month-out">{format_money(i.month_out, c)}</p>
            </article>
            <article class="card">
                <h2>"Net this month"</h2>
                <p class="figure" class:negative=net.is_sign_negative() data-testid="month-net">{format_money(net, c)}</p>
            </article>
        </section>
        <div class="report-charts">
            <section class="chart-svg" aria-label="Net worth over the last 12 months" inner_html=i.net_worth_svg></section>
            <section class="chart-svg" aria-label="Spending by category this month" inner_html=i.spending_svg></section>
        </div>
    }
}
