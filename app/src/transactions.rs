//! The transactions list: filters, keyset pages.

use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use manna_core::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The filters as the page's URL carries them (all optional, all text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub account: Option<String>,
    pub q: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub description: String,
    pub account: String,
    pub category: Option<String>,
    pub amount: Decimal,
    pub currency: Currency,
    pub pending: bool,
    pub reconciled: bool,
    pub is_business: bool,
    pub tax_deductible: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionPage {
    pub rows: Vec<TransactionRow>,
    /// Pass back as `after` for the next (older) page; `None` on the last page.
    pub next: Option<String>,
}

pub const PAGE_SIZE: i64 = 50;

#[server(prefix = "/api", endpoint = "transactions")]
pub async fn list_transactions(#[server(default)] query: TransactionQuery) -> Result<TransactionPage, AppError> {
    crate::error::respond(ssr::list(query).await)
}

#[cfg(feature = "ssr")]
impl From<crate::data::transactions::ListRow> for TransactionRow {
    fn from(r: crate::data::transactions::ListRow) -> Self {
        TransactionRow {
            id: r.id,
            date: r.date,
            description: r.description,
            account: r.account_name,
            category: r.category_name,
            amount: r.amount,
            currency: Currency::parse(&r.currency).unwrap_or(Currency::USD),
            pending: r.pending,
            reconciled: r.reconciled,
            is_business: r.is_business,
            tax_deductible: r.tax_deductible,
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{PAGE_SIZE, TransactionPage, TransactionQuery, TransactionRow};
    use crate::auth::ssr::{pool, require_user};
    use crate::data::{transactions, user_tx};
    use crate::error::AppError;
    use chrono::NaiveDate;
    use uuid::Uuid;

    fn date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::Invalid(format!("{field}: \"{v}\" is not a date like 2024-01-31"))),
        }
    }

    /// A cursor is `YYYY-MM-DD_<uuid>` of the last row shown.
    fn cursor(value: Option<&str>) -> Result<Option<(NaiveDate, Uuid)>, AppError> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
        let bad = || AppError::Invalid("that page link is not valid; start from the first page".into());
        let (d, id) = v.split_once('_').ok_or_else(bad)?;
        Ok(Some((NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad())?, id.parse().map_err(|_| bad())?)))
    }

    pub async fn list(query: TransactionQuery) -> Result<TransactionPage, AppError> {
        let user = require_user().await?;
        let from = date("from", query.from.as_deref())?;
        let to = date("to", query.to.as_deref())?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(AppError::Invalid("the start date is after the end date".into()));
        }
        let account_id = match query.account.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => Some(a.parse::<Uuid>().map_err(|_| AppError::NotFound)?),
        };
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        if let Some(account) = account_id
            && !transactions::owns_account(&mut tx, user.user_id, account).await?
        {
            return Err(AppError::NotFound);
        }
        let text = query.q.as_deref().map(|t| t.chars().take(100).collect::<String>());
        let filter = transactions::ListFilter {
            from,
            to,
            account_id,
            text,
            before: cursor(query.after.as_deref())?,
            limit: PAGE_SIZE + 1,
        };
        let mut rows = transactions::list(&mut tx, user.user_id, &filter).await?;
        let more = rows.len() as i64 > PAGE_SIZE;
        rows.truncate(PAGE_SIZE as usize);
        let next = if more { rows.last().map(|r| format!("{}_{}", r.date, r.id)) } else { None };
        Ok(TransactionPage { rows: rows.into_iter().map(TransactionRow::from).collect(), next })
    }
}
