//! Transactions: the filtered list and its totals, inline and bulk edits, splits,
//! manual entries.

use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use manna_core::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The filters as the page's URL carries them (all optional, all text), so a view can
/// be bookmarked and shared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionQuery {
    /// A named range (`this-month`, …); when set it wins over `from`/`to`.
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub account: Option<String>,
    /// A category id (its subcategories included) or `none` for uncategorized.
    pub category: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
    /// `yes` / `no` (anything else: either).
    pub pending: Option<String>,
    pub reconciled: Option<String>,
    /// `business` / `personal`.
    pub kind: Option<String>,
    pub deductible: Option<String>,
    /// Comma-separated; rows carrying all of them.
    pub tags: Option<String>,
    pub q: Option<String>,
    /// `date` (default), `amount-out` (largest outflow first), `amount-in`.
    pub sort: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

impl TransactionQuery {
    /// The query from URL parameters, by name.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        TransactionQuery {
            range: get("range"),
            from: get("from"),
            to: get("to"),
            account: get("account"),
            category: get("category"),
            min: get("min"),
            max: get("max"),
            pending: get("pending"),
            reconciled: get("reconciled"),
            kind: get("kind"),
            deductible: get("deductible"),
            tags: get("tags"),
            q: get("q"),
            sort: get("sort"),
            after: get("after"),
        }
    }

    /// The (name, value) pairs that are set, in URL order, without the page cursor.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("range", &self.range),
            ("from", &self.from),
            ("to", &self.to),
            ("account", &self.account),
            ("category", &self.category),
            ("min", &self.min),
            ("max", &self.max),
            ("pending", &self.pending),
            ("reconciled", &self.reconciled),
            ("kind", &self.kind),
            ("deductible", &self.deductible),
            ("tags", &self.tags),
            ("q", &self.q),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.trim().is_empty()).map(|v| (k, v)))
        .collect()
    }
}

/// A row as the list shows it. Empty and false fields are left out of its JSON (about a
/// third of each page's hydration data), and read back as their defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub description: String,
    pub account_id: Uuid,
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub amount: Decimal,
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "is_false")]
    pub pending: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub reconciled: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_business: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub tax_deductible: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `income`, `expense`, `transfer` or `adjustment`.
    pub kind: String,
    /// The journal entry of a transfer or adjustment leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_entry: Option<Uuid>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_split: bool,
    /// Uncategorized with a model suggestion: the review queue has it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub needs_review: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionPage {
    pub rows: Vec<TransactionRow>,
    /// The cursor of the first row, for the running totals of this page.
    pub first: Option<String>,
    /// Pass back as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// Totals over the whole filtered set (not just the page).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FilterTotals {
    pub count: i64,
    pub inflow: Decimal,
    pub outflow: Decimal,
    /// The running total at the top of the page: the sum of its first row and
    /// everything after it in the filtered list.
    pub from_first: Decimal,
}

pub const PAGE_SIZE: i64 = 50;
/// The most rows one bulk edit may change.
pub const MAX_BULK: usize = 500;

#[server(prefix = "/api", endpoint = "transactions")]
pub async fn list_transactions(#[server(default)] query: TransactionQuery) -> Result<TransactionPage, AppError> {
    crate::error::respond(ssr::list(query).await)
}

#[server(prefix = "/api", endpoint = "transaction_totals")]
pub async fn transaction_totals(
    #[server(default)] query: TransactionQuery,
    #[server(default)] first: Option<String>,
) -> Result<FilterTotals, AppError> {
    crate::error::respond(ssr::totals(query, first).await)
}

/// The inline edit of one row: every editable field as the form shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TransactionEdit {
    /// A category id, or empty for uncategorized.
    pub category: String,
    pub notes: String,
    /// Comma-separated.
    pub tags: String,
    pub business: bool,
    pub deductible: bool,
}

#[server(prefix = "/api", endpoint = "update_transaction")]
pub async fn update_transaction(id: String, edit: TransactionEdit) -> Result<TransactionRow, AppError> {
    crate::error::respond(ssr::update(&id, edit).await)
}

/// A change to many rows at once; each `None` leaves that field alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkEdit {
    /// A category id, or empty to clear the category.
    pub category: Option<String>,
    pub business: Option<bool>,
    pub deductible: Option<bool>,
    /// Tags to add (comma-separated).
    pub add_tags: Option<String>,
}

#[server(prefix = "/api", endpoint = "bulk_edit_transactions")]
pub async fn bulk_edit_transactions(ids: Vec<String>, #[server(default)] edit: BulkEdit) -> Result<u64, AppError> {
    crate::error::respond(ssr::bulk(ids, edit).await)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SplitPartInput {
    pub category: String,
    pub amount: String,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitPartView {
    pub category_id: Option<Uuid>,
    pub category: Option<String>,
    pub amount: Decimal,
    pub notes: Option<String>,
}

#[server(prefix = "/api", endpoint = "transaction_splits")]
pub async fn transaction_splits(id: String) -> Result<Vec<SplitPartView>, AppError> {
    crate::error::respond(ssr::splits(&id).await)
}

/// Splits a transaction into parts that add up to it exactly (replacing any earlier
/// split); an empty list of parts unsplits it.
#[server(prefix = "/api", endpoint = "split_transaction")]
pub async fn split_transaction(id: String, #[server(default)] parts: Vec<SplitPartInput>) -> Result<(), AppError> {
    crate::error::respond(ssr::split(&id, parts).await)
}

/// Adds a transaction by hand to one of the user's manual accounts.
#[server(prefix = "/api", endpoint = "create_transaction")]
pub async fn create_transaction(
    account: String,
    date: String,
    description: String,
    amount: String,
    #[server(default)] category: String,
) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::create(&account, &date, &description, &amount, &category).await)
}

#[server(prefix = "/api", endpoint = "delete_transaction")]
pub async fn delete_transaction(id: String) -> Result<(), AppError> {
    crate::error::respond(ssr::delete(&id).await)
}

#[cfg(feature = "ssr")]
impl From<crate::data::transactions::ListRow> for TransactionRow {
    fn from(r: crate::data::transactions::ListRow) -> Self {
        TransactionRow {
            id: r.id,
            date: r.date,
            description: r.description,
            account_id: r.account_id,
            account: r.account_name,
            category_id: r.category_id,
            category: r.category_name,
            amount: r.amount,
            currency: Currency::parse(&r.currency).unwrap_or(Currency::USD),
            pending: r.pending,
            reconciled: r.reconciled,
            is_business: r.is_business,
            tax_deductible: r.tax_deductible,
            notes: r.notes,
            tags: r.tags,
            kind: r.transaction_type,
            journal_entry: r.journal_entry_id,
            is_split: r.is_split,
            needs_review: r.needs_review,
        }
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr;
