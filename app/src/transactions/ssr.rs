//! The server side of `transactions`: SQL through the data layer, sessions, audit.

use super::*;
use crate::auth::ssr::{CurrentUser, actor, pool, require_user, require_user_tx};
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
/// The list's plan mode read off the query itself, before its filter is resolved
/// (which needs the transaction), so that it rides on the transaction's BEGIN. It
/// agrees with [`data::ListFilter::plan_mode`] of the resolved filter.
fn plan_mode(q: &TransactionQuery) -> Option<&'static str> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    data::plan_mode(given(&q.q), given(&q.category) || given(&q.tags) || given(&q.min) || given(&q.max))
}

pub(crate) async fn filter(
    conn: &mut PgConnection,
    user: &CurrentUser,
    q: &TransactionQuery,
) -> Result<ListFilter, AppError> {
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
    let (user, mut tx) = require_user_tx(plan_mode(&query)).await?;
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
    let (user, mut tx) = require_user_tx(plan_mode(&query)).await?;
    let filter = filter(&mut tx, &user, &query).await?;
    let first = cursor(filter.sort, first.as_deref())?;
    let t = data::totals(&mut tx, user.user_id, &filter, first).await?;
    Ok(FilterTotals { count: t.count, inflow: t.inflow, outflow: t.outflow, from_first: t.rest })
}

/// A category the user may put transactions in, or `NotFound`.
async fn usable_category(conn: &mut PgConnection, user: &CurrentUser, value: &str) -> Result<Option<Uuid>, AppError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn the_plan_mode_read_off_the_query_is_the_resolved_filters() {
        let query = |edit: fn(&mut TransactionQuery)| {
            let mut q = TransactionQuery { from: Some("2024-01-01".into()), ..Default::default() };
            edit(&mut q);
            q
        };
        let filter = |edit: fn(&mut ListFilter)| {
            let mut f = ListFilter { from: chrono::NaiveDate::from_ymd_opt(2024, 1, 1), ..Default::default() };
            edit(&mut f);
            f
        };
        let cases = [
            (query(|_| {}), filter(|_| {}), Some("force_generic_plan")),
            (query(|q| q.q = Some(" ".into())), filter(|f| f.text = Some(" ".into())), Some("force_generic_plan")),
            (
                query(|q| q.q = Some("coffee".into())),
                filter(|f| f.text = Some("coffee".into())),
                Some("force_custom_plan"),
            ),
            (
                query(|q| (q.q, q.min) = (Some("coffee".into()), Some("5".into()))),
                filter(|f| (f.text, f.min_amount) = (Some("coffee".into()), Some(Decimal::from(5)))),
                Some("force_custom_plan"),
            ),
            (query(|q| q.min = Some("5".into())), filter(|f| f.min_amount = Some(Decimal::from(5))), None),
            (query(|q| q.max = Some("5".into())), filter(|f| f.max_amount = Some(Decimal::from(5))), None),
            (query(|q| q.tags = Some("trip".into())), filter(|f| f.tags = vec!["trip".into()]), None),
            (
                query(|q| q.category = Some("none".into())),
                filter(|f| f.category = Some(CategoryFilter::Uncategorized)),
                None,
            ),
            (query(|q| q.min = Some("".into())), filter(|_| {}), Some("force_generic_plan")),
        ];
        for (q, f, expected) in cases {
            assert_eq!(plan_mode(&q), expected, "{q:?}");
            assert_eq!(f.plan_mode(), expected, "{f:?}");
        }
    }
}
