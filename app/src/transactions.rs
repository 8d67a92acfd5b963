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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub description: String,
    pub account_id: Uuid,
    pub account: String,
    pub category_id: Option<Uuid>,
    pub category: Option<String>,
    pub amount: Decimal,
    pub currency: Currency,
    pub pending: bool,
    pub reconciled: bool,
    pub is_business: bool,
    pub tax_deductible: bool,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    /// `income`, `expense`, `transfer` or `adjustment`.
    pub kind: String,
    /// The journal entry of a transfer or adjustment leg.
    pub journal_entry: Option<Uuid>,
    pub is_split: bool,
    /// Uncategorized with a model suggestion: the review queue has it.
    pub needs_review: bool,
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
pub(crate) mod ssr {
    use super::*;
    use crate::auth::ssr::{CurrentUser, actor, pool, require_user};
    use crate::data::transactions::{self as data, CategoryFilter, EditableRow, Key, ListFilter, Patch, Sort};
    use crate::data::{DbError, audit, categories, user_tx};
    use crate::input;
    use manna_core::ledger::{check_split, parse_tags};
    use manna_core::period::Preset;
    use sqlx::PgConnection;

    fn sort(value: Option<&str>) -> Sort {
        match value {
            Some("amount-out") => Sort::AmountAsc,
            Some("amount-in") => Sort::AmountDesc,
            _ => Sort::DateDesc,
        }
    }

    /// A cursor is `<date or amount>_<uuid>` of a row, in the list's sort.
    fn cursor(sort: Sort, value: Option<&str>) -> Result<Option<Key>, AppError> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
        let bad = || AppError::Invalid("that page link is not valid; start from the first page".into());
        let (k, id) = v.rsplit_once('_').ok_or_else(bad)?;
        let id: Uuid = id.parse().map_err(|_| bad())?;
        Ok(Some(match sort {
            Sort::DateDesc => Key::Date(NaiveDate::parse_from_str(k, "%Y-%m-%d").map_err(|_| bad())?, id),
            Sort::AmountAsc | Sort::AmountDesc => Key::Amount(k.parse().map_err(|_| bad())?, id),
        }))
    }

    pub fn cursor_text(key: Key) -> String {
        match key {
            Key::Date(d, id) => format!("{d}_{id}"),
            Key::Amount(a, id) => format!("{a}_{id}"),
        }
    }

    /// The filter a query asks for, checked against what the user owns.
    async fn filter(conn: &mut PgConnection, user: &CurrentUser, q: &TransactionQuery) -> Result<ListFilter, AppError> {
        let (mut from, mut to) =
            (input::optional_date("From", q.from.as_deref())?, input::optional_date("To", q.to.as_deref())?);
        if let Some(preset) = q.range.as_deref().and_then(Preset::parse) {
            let (f, t) = preset.range(chrono::Utc::now().date_naive());
            (from, to) = (Some(f), Some(t));
        }
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(AppError::Invalid("the start date is after the end date".into()));
        }
        let min_amount = input::optional_amount("Minimum amount", q.min.as_deref())?.map(|a| a.abs());
        let max_amount = input::optional_amount("Maximum amount", q.max.as_deref())?.map(|a| a.abs());
        if let (Some(lo), Some(hi)) = (min_amount, max_amount)
            && lo > hi
        {
            return Err(AppError::Invalid("the minimum amount is above the maximum".into()));
        }
        let account_id = input::optional_id(q.account.as_deref().unwrap_or(""))?;
        if let Some(account) = account_id
            && !data::owns_account(conn, user.user_id, account).await?
        {
            return Err(AppError::NotFound);
        }
        let category = match q.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some("none") => Some(CategoryFilter::Uncategorized),
            Some(c) => Some(CategoryFilter::AnyOf(categories::subtree(conn, user.user_id, input::id(c)?).await?)),
        };
        let tags = parse_tags(q.tags.as_deref().unwrap_or("")).map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(ListFilter {
            from,
            to,
            account_id,
            category,
            min_amount,
            max_amount,
            pending: input::tristate(q.pending.as_deref()),
            reconciled: input::tristate(q.reconciled.as_deref()),
            business: match q.kind.as_deref() {
                Some("business") => Some(true),
                Some("personal") => Some(false),
                _ => None,
            },
            deductible: input::tristate(q.deductible.as_deref()),
            tags,
            text: q.q.as_deref().map(|t| t.chars().take(100).collect::<String>()),
            sort: sort(q.sort.as_deref()),
        })
    }

    pub async fn list(query: TransactionQuery) -> Result<TransactionPage, AppError> {
        let user = require_user().await?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let filter = filter(&mut tx, &user, &query).await?;
        let after = cursor(filter.sort, query.after.as_deref())?;
        let mut rows = data::list(&mut tx, user.user_id, &filter, after, PAGE_SIZE + 1).await?;
        let more = rows.len() as i64 > PAGE_SIZE;
        rows.truncate(PAGE_SIZE as usize);
        let first = rows.first().map(|r| cursor_text(r.key(filter.sort)));
        let next = if more { rows.last().map(|r| cursor_text(r.key(filter.sort))) } else { None };
        Ok(TransactionPage { rows: rows.into_iter().map(TransactionRow::from).collect(), first, next })
    }

    pub async fn totals(query: TransactionQuery, first: Option<String>) -> Result<FilterTotals, AppError> {
        let user = require_user().await?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let filter = filter(&mut tx, &user, &query).await?;
        let first = cursor(filter.sort, first.as_deref())?;
        let t = data::totals(&mut tx, user.user_id, &filter, first).await?;
        Ok(FilterTotals { count: t.count, inflow: t.inflow, outflow: t.outflow, from_first: t.rest })
    }

    /// A category the user may put transactions in, or `NotFound`.
    async fn usable_category(
        conn: &mut PgConnection,
        user: &CurrentUser,
        value: &str,
    ) -> Result<Option<Uuid>, AppError> {
        match input::optional_id(value)? {
            None => Ok(None),
            Some(id) => {
                categories::usable_kind(conn, user.user_id, id).await?;
                Ok(Some(id))
            }
        }
    }

    fn refuse_reconciled(rows: &[EditableRow]) -> Result<(), AppError> {
        if rows.iter().any(|r| r.reconciled) {
            return Err(AppError::Invalid(
                "reconciled transactions are locked; un-reconcile them before changing them".into(),
            ));
        }
        Ok(())
    }

    pub async fn update(id: &str, edit: TransactionEdit) -> Result<TransactionRow, AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let rows = data::lock_rows(&mut tx, user.user_id, &[id]).await?;
        let Some(old) = rows.first() else { return Err(AppError::NotFound) };
        refuse_reconciled(&rows)?;
        let category = usable_category(&mut tx, &user, &edit.category).await?;
        let patch = Patch {
            category_id: Some(category),
            notes: Some(input::optional_text("Notes", &edit.notes, 2000)?),
            tags: Some(parse_tags(&edit.tags).map_err(|e| AppError::Invalid(e.to_string()))?),
            add_tags: None,
            is_business: Some(edit.business),
            tax_deductible: Some(edit.deductible),
        };
        data::apply_patch(&mut tx, user.user_id, &[id], &patch).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.transaction_edited", "transaction", Some(id))
                .flags(&["financial"])
                .old(serde_json::json!({
                    "category_id": old.category_id, "notes": old.notes, "tags": old.tags,
                    "is_business": old.is_business, "tax_deductible": old.tax_deductible,
                }))
                .new_values(serde_json::to_value(&patch).unwrap_or_default()),
        )
        .await?;
        let row = data::one(&mut tx, user.user_id, id).await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(row.into())
    }

    pub async fn bulk(ids: Vec<String>, edit: BulkEdit) -> Result<u64, AppError> {
        let user = require_user().await?;
        if ids.is_empty() {
            return Err(AppError::Invalid("select at least one transaction".into()));
        }
        if ids.len() > MAX_BULK {
            return Err(AppError::Invalid(format!("at most {MAX_BULK} transactions at a time")));
        }
        let mut ids = ids.iter().map(|i| input::id(i)).collect::<Result<Vec<_>, _>>()?;
        ids.sort();
        ids.dedup();
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let rows = data::lock_rows(&mut tx, user.user_id, &ids).await?;
        if rows.len() != ids.len() || rows.iter().any(|r| r.parent_transaction_id.is_some()) {
            return Err(AppError::NotFound);
        }
        refuse_reconciled(&rows)?;
        let category_id = match edit.category.as_deref() {
            None => None,
            Some(c) => Some(usable_category(&mut tx, &user, c).await?),
        };
        let add_tags = match edit.add_tags.as_deref() {
            None => None,
            Some(t) => Some(parse_tags(t).map_err(|e| AppError::Invalid(e.to_string()))?).filter(|t| !t.is_empty()),
        };
        let patch = Patch {
            category_id,
            notes: None,
            tags: None,
            add_tags,
            is_business: edit.business,
            tax_deductible: edit.deductible,
        };
        if patch == Patch::default() {
            return Err(AppError::Invalid("choose what to change".into()));
        }
        let changed = data::apply_patch(&mut tx, user.user_id, &ids, &patch).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.transactions_bulk_edited", "transaction", None)
                .flags(&["financial"])
                .old(serde_json::to_value(&rows).unwrap_or_default())
                .new_values(serde_json::json!({ "ids": ids, "patch": patch })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(changed)
    }

    pub async fn splits(id: &str) -> Result<Vec<SplitPartView>, AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        if !data::exists(&mut tx, user.user_id, id).await? {
            return Err(AppError::NotFound);
        }
        let parts = data::split_parts(&mut tx, user.user_id, id).await?;
        Ok(parts
            .into_iter()
            .map(|p| SplitPartView {
                category_id: p.category_id,
                category: p.category_name,
                amount: p.amount,
                notes: p.notes,
            })
            .collect())
    }

    pub async fn split(id: &str, parts: Vec<SplitPartInput>) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        if parts.len() > 50 {
            return Err(AppError::Invalid("a split can have at most 50 parts".into()));
        }
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let rows = data::lock_rows(&mut tx, user.user_id, &[id]).await?;
        let Some(parent) = rows.first() else { return Err(AppError::NotFound) };
        if parent.parent_transaction_id.is_some() {
            return Err(AppError::Invalid("split the whole transaction, not one of its parts".into()));
        }
        if parent.journal_entry_id.is_some() {
            return Err(AppError::Invalid("transfers and adjustments cannot be split".into()));
        }
        refuse_reconciled(&rows)?;
        let mut new_parts = Vec::with_capacity(parts.len());
        for (i, p) in parts.iter().enumerate() {
            let n = i + 1;
            new_parts.push(data::SplitPart {
                category_id: usable_category(&mut tx, &user, &p.category).await?,
                amount: input::amount(&format!("Part {n}"), &p.amount)?,
                notes: input::optional_text(&format!("Part {n} notes"), &p.notes, 2000)?,
            });
        }
        if !new_parts.is_empty() {
            let amounts: Vec<Decimal> = new_parts.iter().map(|p| p.amount).collect();
            check_split(parent.amount, &amounts).map_err(|e| AppError::Invalid(e.to_string()))?;
        }
        let before = data::split_parts(&mut tx, user.user_id, id).await?;
        if new_parts.is_empty() && before.is_empty() {
            return Err(AppError::Invalid("this transaction is not split".into()));
        }
        data::replace_split(&mut tx, user.user_id, parent, &new_parts).await?;
        let action = if new_parts.is_empty() { "ledger.transaction_unsplit" } else { "ledger.transaction_split" };
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new(action, "transaction", Some(id))
                .flags(&["financial"])
                .old(serde_json::json!(before.iter().map(|p| (p.category_id, p.amount)).collect::<Vec<_>>()))
                .new_values(serde_json::to_value(&new_parts).unwrap_or_default()),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    pub async fn create(
        account: &str,
        date: &str,
        description: &str,
        amount: &str,
        category: &str,
    ) -> Result<Uuid, AppError> {
        let user = require_user().await?;
        let account = input::id(account)?;
        let date = input::date("Date", date)?;
        let description = input::text("Description", description, 500)?;
        let amount = input::amount("Amount", amount)?;
        if amount.is_zero() {
            return Err(AppError::Invalid("Amount: cannot be zero".into()));
        }
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let category_id = usable_category(&mut tx, &user, category).await?;
        let id = data::create_manual(&mut tx, user.user_id, account, date, &description, amount, category_id).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.transaction_created", "transaction", Some(id)).flags(&["financial"]).new_values(
                serde_json::json!({
                    "account_id": account, "date": date, "description": description, "amount": amount,
                    "category_id": category_id,
                }),
            ),
        )
        .await?;
        // Rules, then the model, before anyone sees the row.
        crate::categorize::ssr::new_rows(&mut tx, user.user_id, &[id]).await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(id)
    }

    pub async fn delete(id: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let rows = data::lock_rows(&mut tx, user.user_id, &[id]).await?;
        let Some(old) = rows.first() else { return Err(AppError::NotFound) };
        if old.parent_transaction_id.is_some() {
            return Err(AppError::NotFound);
        }
        if old.journal_entry_id.is_some() {
            return Err(AppError::Invalid("this is part of a transfer or adjustment; delete the entry instead".into()));
        }
        if !old.manual {
            return Err(AppError::Invalid("transactions from your bank cannot be deleted here".into()));
        }
        refuse_reconciled(&rows)?;
        data::delete(&mut tx, user.user_id, id).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.transaction_deleted", "transaction", Some(id))
                .flags(&["financial"])
                .old(serde_json::to_value(old).unwrap_or_default()),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }
}
