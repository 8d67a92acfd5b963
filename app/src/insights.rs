//! What the dashboard shows beyond balances: the net worth's trend, this month's cash
//! flow and spending by category, and the accounts that need attention.

use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use manna_core::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attention {
    pub account_id: Uuid,
    pub account: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insights {
    pub currency: Currency,
    /// Net worth at each month's end, the last 12 months (this month: today).
    pub net_worth: Vec<(NaiveDate, Decimal)>,
    pub net_worth_svg: String,
    pub month_in: Decimal,
    pub month_out: Decimal,
    /// This month's spending by top-level category, largest first.
    pub spending: Vec<(String, Decimal)>,
    pub spending_svg: String,
    pub attention: Vec<Attention>,
}

/// Unreconciled rows older than this many days call for attention.
pub const STALE_DAYS: u64 = 60;

/// `business`: `true` for business accounts and rows only, `false` for personal,
/// empty for both (as the dashboard's scope toggle).
#[server(prefix = "/api", endpoint = "insights")]
pub async fn dashboard_insights(#[server(default)] business: Option<bool>) -> Result<Insights, AppError> {
    crate::error::respond(ssr::insights(business).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::auth::ssr::{pool, require_user};
    use crate::data::{DbError, categories, dashboard, reports, tax, user_tx};
    use chrono::Datelike;
    use manna_core::report::{Category, CategoryKind, Cell, RowStyle, analysis};

    fn chart_error(e: String) -> AppError {
        tracing::error!(error = %e, "dashboard chart");
        AppError::Internal
    }

    type ThisMonth = (String, Decimal, Decimal, Vec<Category>, Vec<analysis::MonthSpend>, Vec<dashboard::AttentionRow>);

    /// This month's money in and out, spending by category, and the accounts that
    /// need attention, in one transaction.
    async fn this_month(
        pool: &sqlx::PgPool,
        user_id: Uuid,
        month_start: NaiveDate,
        today: NaiveDate,
        business: Option<bool>,
    ) -> Result<ThisMonth, DbError> {
        let mut tx = user_tx(pool, user_id).await?;
        let (_, currency) = tax::fiscal_start(&mut tx, user_id).await?;
        let flows = reports::month_flows(&mut tx, user_id, month_start, today, business).await?;
        let (month_in, month_out) = flows.iter().fold((Decimal::ZERO, Decimal::ZERO), |(i, o), f| (i + f.1, o - f.2));
        let cats: Vec<Category> = categories::visible(&mut tx, user_id, false)
            .await?
            .into_iter()
            .map(|c| Category { id: c.id, parent: c.parent_id, name: c.name, kind: CategoryKind::parse(&c.kind) })
            .collect();
        let spend: Vec<analysis::MonthSpend> = reports::month_spending(&mut tx, user_id, month_start, today, business)
            .await?
            .into_iter()
            .map(|(month, category, spent)| analysis::MonthSpend { month, category, spent })
            .collect();
        let stale_before = today.checked_sub_days(chrono::Days::new(STALE_DAYS)).unwrap_or(today);
        let attention = dashboard::attention(&mut tx, user_id, stale_before, business).await?;
        tx.commit().await?;
        Ok((currency, month_in, month_out, cats, spend, attention))
    }

    pub async fn insights(business: Option<bool>) -> Result<Insights, AppError> {
        let user = require_user().await?;
        let today = chrono::Utc::now().date_naive();
        let month_start = today.with_day(1).unwrap_or(today);
        let since = month_start.checked_sub_months(chrono::Months::new(11)).unwrap_or(month_start);
        let pool = pool()?;
        // The year of net worth is the one long scan: on its own connection, while
        // this month's figures are read on another.
        let trend = async {
            let mut tx = user_tx(&pool, user.user_id).await?;
            let r = dashboard::net_worth_months(&mut tx, user.user_id, since, today, business).await?;
            tx.commit().await?;
            Ok::<_, DbError>(r)
        };
        let (trend, rest) = tokio::join!(trend, this_month(&pool, user.user_id, month_start, today, business));
        let (now, months) = trend?;
        let (currency, month_in, month_out, cats, spend, attention) = rest?;
        let net_worth = manna_core::ledger::month_end_balances(now, false, &months);

        let by_category = analysis::category_analysis(&cats, &spend, month_start, today);
        let (Some(table), Some(chart)) = (by_category.tables.first(), by_category.charts.first()) else {
            tracing::error!("category analysis without its table or chart");
            return Err(AppError::Internal);
        };
        let spending: Vec<(String, Decimal)> = table
            .rows
            .iter()
            .filter(|r| r.style == RowStyle::Line)
            .filter_map(|r| match r.cells.first() {
                Some(Cell::Money(m)) => Some((r.label.clone(), *m)),
                _ => None,
            })
            .collect();
        let spending_svg = crate::charts::report_chart(chart).map_err(chart_error)?;
        let net_worth_svg =
            crate::charts::balance_over_time("Net worth, last 12 months", &net_worth).map_err(chart_error)?;
        let attention = attention
            .into_iter()
            .map(|a| {
                let reason = match (&a.plaid_status, a.oldest_unreconciled) {
                    (Some(status), _) if status != "good" => format!(
                        "bank connection: {}{}",
                        status.replace('_', " "),
                        a.plaid_error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
                    ),
                    (_, Some(since)) => format!("unreconciled since {}", since.format("%-d %b %Y")),
                    _ => "needs a look".into(),
                };
                Attention { account_id: a.id, account: a.name, reason }
            })
            .collect();
        Ok(Insights {
            currency: Currency::parse(&currency).unwrap_or(Currency::USD),
            net_worth,
            net_worth_svg,
            month_in,
            month_out,
            spending,
            spending_svg,
            attention,
        })
    }
}
