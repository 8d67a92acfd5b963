//! Transactions: the filtered, keyset-paginated list, its totals, edits and splits.

use super::{DbError, DbResult};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// The order of a list. Each has an index that serves it from the top.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest first (`transactions_user_date_idx`).
    #[default]
    DateDesc,
    /// Largest outflow first (`transactions_user_amount_idx`, read backwards).
    AmountAsc,
    /// Largest inflow first (`transactions_user_amount_idx`).
    AmountDesc,
}

/// Where a page starts: the sort key of the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Date(NaiveDate, Uuid),
    Amount(Decimal, Uuid),
}

/// Which category a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryFilter {
    /// Any of these categories (a category and its subtree, from
    /// `categories::subtree`), split parts included.
    AnyOf(Vec<Uuid>),
    Uncategorized,
}

/// Which transactions a list shows. Every `Some` becomes a predicate; `None` is "any".
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub account_id: Option<Uuid>,
    pub category: Option<CategoryFilter>,
    /// Bounds on the size of the amount, whichever its direction.
    pub min_amount: Option<Decimal>,
    pub max_amount: Option<Decimal>,
    pub pending: Option<bool>,
    pub reconciled: Option<bool>,
    pub business: Option<bool>,
    pub deductible: Option<bool>,
    /// Rows carrying all of these tags (GIN `transactions_tagged_gin`).
    pub tags: Vec<String>,
    /// Matched against merchant, description and notes (trigram index).
    pub text: Option<String>,
    pub sort: Sort,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub currency: String,
    pub description: String,
    pub pending: bool,
    pub reconciled: bool,
    pub is_business: bool,
    pub tax_deductible: bool,
    pub account_id: Uuid,
    pub account_name: String,
    pub category_id: Option<Uuid>,
    pub category_name: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub transaction_type: String,
    pub journal_entry_id: Option<Uuid>,
    pub is_split: bool,
    /// Uncategorized, with a model suggestion waiting in the review queue.
    pub needs_review: bool,
}

impl ListRow {
    /// This row's place in the list's order, for the next page's cursor.
    pub fn key(&self, sort: Sort) -> Key {
        match sort {
            Sort::DateDesc => Key::Date(self.date, self.id),
            Sort::AmountAsc | Sort::AmountDesc => Key::Amount(self.amount, self.id),
        }
    }
}

/// The predicates of a filter, after `WHERE t.user_id = $user AND t.parent_transaction_id IS NULL`.
fn push_filter(q: &mut QueryBuilder<'_, Postgres>, f: &ListFilter) {
    if let Some(from) = f.from {
        q.push(" AND t.date >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        q.push(" AND t.date <= ").push_bind(to);
    }
    if let Some(account) = f.account_id {
        q.push(" AND t.account_id = ").push_bind(account);
    }
    match &f.category {
        Some(CategoryFilter::AnyOf(ids)) => {
            q.push(" AND (t.category_id = ANY(").push_bind(ids.clone()).push(
                ") OR EXISTS (SELECT 1 FROM transactions p WHERE p.parent_transaction_id = t.id
                              AND p.category_id = ANY(",
            );
            q.push_bind(ids.clone()).push(")))");
        }
        Some(CategoryFilter::Uncategorized) => {
            q.push(
                " AND t.category_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM transactions p WHERE p.parent_transaction_id = t.id)",
            );
        }
        None => {}
    }
    if let Some(min) = f.min_amount {
        q.push(" AND abs(t.amount) >= ").push_bind(min);
    }
    if let Some(max) = f.max_amount {
        q.push(" AND abs(t.amount) <= ").push_bind(max);
    }
    for (column, value) in [
        ("t.pending", f.pending),
        ("t.reconciled", f.reconciled),
        ("t.is_business", f.business),
        ("t.tax_deductible", f.deductible),
    ] {
        if let Some(v) = value {
            q.push(format!(" AND {column} = ")).push_bind(v);
        }
    }
    if !f.tags.is_empty() {
        // `tags <> '{}'` follows from `@>` a non-empty list; saying it lets the partial
        // index `transactions_tagged_gin` (untagged rows have no entry) serve the filter.
        q.push(" AND t.tags <> '{}' AND t.tags @> ").push_bind(f.tags.clone());
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q.push(" AND t.search_text LIKE ").push_bind(like_pattern(text));
    }
}

/// `AND (sort key) <op> (key)`: rows after the cursor (`strict`) or from it on.
fn push_from_key(q: &mut QueryBuilder<'_, Postgres>, sort: Sort, key: Key, strict: bool) {
    let op = match (sort, strict) {
        (Sort::DateDesc | Sort::AmountDesc, true) => "<",
        (Sort::DateDesc | Sort::AmountDesc, false) => "<=",
        (Sort::AmountAsc, true) => ">",
        (Sort::AmountAsc, false) => ">=",
    };
    match key {
        Key::Date(d, id) => {
            q.push(format!(" AND (t.date, t.id) {op} (")).push_bind(d).push(", ").push_bind(id).push(")")
        }
        Key::Amount(a, id) => {
            q.push(format!(" AND (t.amount, t.id) {op} (")).push_bind(a).push(", ").push_bind(id).push(")")
        }
    };
}

/// The rows of a page are chosen first, from `transactions` alone (so the planner
/// walks the sort's index and stops at the limit), and only those rows are joined to
/// their account and category and checked for split parts (a LATERAL probe per row:
/// as a plain EXISTS, under row-level security the planner could hash all of the
/// user's rows instead). `LIST_INNER` runs up to `t.user_id = ` (a bind follows);
/// `LIST_OUTER` wraps it.
const LIST_INNER: &str = "
    SELECT t.id, t.date, t.amount, t.currency, t.merchant_name, t.name, t.pending, t.reconciled, t.is_business,
           t.tax_deductible, t.account_id, t.category_id, t.notes, t.tags, t.transaction_type, t.journal_entry_id,
           t.prediction_id
    FROM transactions t
    WHERE t.parent_transaction_id IS NULL AND t.user_id = ";

const LIST_OUTER: &str = "
    SELECT t.id, t.date, t.amount, t.currency::text AS currency,
           coalesce(t.merchant_name, t.name) AS description, t.pending, t.reconciled, t.is_business,
           t.tax_deductible, t.account_id, a.name AS account_name, t.category_id, c.name AS category_name,
           t.notes, t.tags, t.transaction_type::text AS transaction_type, t.journal_entry_id,
           coalesce(s.is_split, false) AS is_split, t.category_id IS NULL AND t.prediction_id IS NOT NULL AS needs_review
    FROM (";

const LIST_JOINS: &str = ") t
    JOIN accounts a ON a.id = t.account_id
    LEFT JOIN categories c ON c.id = t.category_id
    LEFT JOIN LATERAL (SELECT true AS is_split FROM transactions p WHERE p.parent_transaction_id = t.id LIMIT 1) s
           ON true";

/// One top-level transaction of the user as the list shows it.
pub async fn one(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<ListRow> {
    let mut q = QueryBuilder::<Postgres>::new(LIST_OUTER);
    q.push(LIST_INNER).push_bind(user_id).push(" AND t.id = ").push_bind(id).push(LIST_JOINS);
    q.build_query_as::<ListRow>().fetch_optional(conn).await?.ok_or(DbError::NotFound)
}

/// Whether the user has a transaction with this id.
pub async fn exists(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM transactions WHERE id = $1 AND user_id = $2)")
        .bind(id)
        .bind(user_id)
        .fetch_one(conn)
        .await?)
}

/// Adds a transaction by hand to one of the user's open manual accounts (`NotFound`
/// otherwise), in the account's currency.
pub async fn create_manual(
    conn: &mut PgConnection,
    user_id: Uuid,
    account_id: Uuid,
    date: NaiveDate,
    description: &str,
    amount: Decimal,
    category_id: Option<Uuid>,
) -> DbResult<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO transactions (user_id, account_id, amount, currency, date, name, category_id, category_source,
                                   transaction_type, source, is_business, tax_deductible)
         SELECT $1, a.id, $3, a.currency, $4, $5, $6, CASE WHEN $6::uuid IS NULL THEN NULL ELSE 'user'::category_source END,
                CASE WHEN $3 < 0 THEN 'expense' ELSE 'income' END::transaction_type, 'manual', a.is_business,
                coalesce((SELECT deductible_default FROM categories WHERE id = $6), false)
         FROM accounts a WHERE a.id = $2 AND a.user_id = $1 AND a.is_manual AND a.is_active
         RETURNING id",
    )
    .bind(user_id)
    .bind(account_id)
    .bind(amount)
    .bind(date)
    .bind(description)
    .bind(category_id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}

/// How the list's statement is planned: a `plan_cache_mode` for the surrounding
/// transaction, or `None` to leave it to Postgres. The caller sets it, ideally on the
/// transaction's BEGIN ([`super::user_tx_planned`]), else with [`set_plan_mode`]:
/// as a statement of its own it cost a round trip per page.
///
/// A text search is planned for its own pattern every time: with a generic plan the
/// planner cannot tell a common word (walk the date index, stop at the page) from a
/// rare one (use the trigram index), and picked the trigram bitmap for "coffee": 12 ms
/// instead of 1 ms. Left to itself, Postgres also re-planned the plain shapes (dates,
/// account, flags, sort) on every call, because the generic plan's estimate is a
/// little above a custom one's: 0.45 ms of planning for 0.2 ms of execution, two
/// thirds of a page render's database time, for the same index walk each time. Those
/// shapes use the generic plan. Filters whose best plan depends on their values
/// (categories, tags, amounts) are left to Postgres.
pub fn plan_mode(has_text: bool, value_dependent: bool) -> Option<&'static str> {
    if has_text {
        Some("force_custom_plan")
    } else if !value_dependent {
        Some("force_generic_plan")
    } else {
        None
    }
}

impl ListFilter {
    /// [`plan_mode`] for this filter.
    pub fn plan_mode(&self) -> Option<&'static str> {
        let value_dependent =
            self.category.is_some() || !self.tags.is_empty() || self.min_amount.is_some() || self.max_amount.is_some();
        plan_mode(self.text.as_deref().is_some_and(|t| !t.trim().is_empty()), value_dependent)
    }
}

/// Sets the filter's [`plan_mode`] for the rest of the transaction (when the
/// transaction was not opened with it).
pub async fn set_plan_mode(conn: &mut PgConnection, f: &ListFilter) -> DbResult<()> {
    if let Some(mode) = f.plan_mode() {
        sqlx::query(&format!("SET LOCAL plan_cache_mode = {mode}")).execute(conn).await?;
    }
    Ok(())
}

/// Query `transactions_page`: keyset-paginated over `transactions_user_date_idx` or
/// `transactions_user_amount_idx` (the trigram index for text). Only the active filters
/// become predicates, so each shape gets its own plan; never OFFSET. Plan it first
/// ([`plan_mode`]).
pub async fn list(
    conn: &mut PgConnection,
    user_id: Uuid,
    f: &ListFilter,
    after: Option<Key>,
    limit: i64,
) -> DbResult<Vec<ListRow>> {
    let order = match f.sort {
        Sort::DateDesc => " ORDER BY t.date DESC, t.id DESC",
        Sort::AmountAsc => " ORDER BY t.amount ASC, t.id ASC",
        Sort::AmountDesc => " ORDER BY t.amount DESC, t.id DESC",
    };
    let mut q = QueryBuilder::<Postgres>::new(LIST_OUTER);
    q.push(LIST_INNER).push_bind(user_id);
    push_filter(&mut q, f);
    if let Some(key) = after {
        push_from_key(&mut q, f.sort, key, true);
    }
    q.push(order).push(" LIMIT ").push_bind(limit);
    q.push(LIST_JOINS).push(order);
    Ok(q.build_query_as::<ListRow>().fetch_all(conn).await?)
}

/// The totals of a filtered list.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Totals {
    pub count: i64,
    pub inflow: Decimal,
    pub outflow: Decimal,
    /// The sum of the rows from `from_key` to the end of the list (all rows without one):
    /// the running total at the top of the page that starts there.
    pub rest: Decimal,
}

/// Query `transactions_totals`: count and sums over the whole filtered set (the same
/// predicates and index as the list, aggregated). Plan it first ([`plan_mode`]).
pub async fn totals(conn: &mut PgConnection, user_id: Uuid, f: &ListFilter, from_key: Option<Key>) -> DbResult<Totals> {
    let mut q = QueryBuilder::<Postgres>::new(
        "SELECT count(*) AS count,
                coalesce(sum(t.amount) FILTER (WHERE t.amount > 0), 0) AS inflow,
                coalesce(sum(t.amount) FILTER (WHERE t.amount < 0), 0) AS outflow,
                coalesce(sum(t.amount) FILTER (WHERE true",
    );
    if let Some(key) = from_key {
        push_from_key(&mut q, f.sort, key, false);
    }
    q.push("), 0) AS rest FROM transactions t WHERE t.parent_transaction_id IS NULL AND t.user_id = ");
    q.push_bind(user_id);
    push_filter(&mut q, f);
    Ok(q.build_query_as::<Totals>().fetch_one(conn).await?)
}

/// `%text%` for LIKE over the lower-cased search column, with LIKE's own wildcards
/// in the user's text taken literally.
fn like_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Whether the account is the user's (a filter on someone else's account is "not found").
pub async fn owns_account(conn: &mut PgConnection, user_id: Uuid, account_id: Uuid) -> DbResult<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND user_id = $2)")
        .bind(account_id)
        .bind(user_id)
        .fetch_one(conn)
        .await?)
}

/// One transaction as an edit sees it, locked for the rest of the transaction.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct EditableRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub amount: Decimal,
    pub currency: String,
    pub date: NaiveDate,
    pub name: String,
    pub category_id: Option<Uuid>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub is_business: bool,
    pub tax_deductible: bool,
    pub reconciled: bool,
    pub journal_entry_id: Option<Uuid>,
    pub parent_transaction_id: Option<Uuid>,
    /// Entered by hand (not from a bank or an import).
    pub manual: bool,
}

/// The user's transactions with these ids, locked (`FOR UPDATE`); fewer rows than ids
/// means some are not the user's.
pub async fn lock_rows(conn: &mut PgConnection, user_id: Uuid, ids: &[Uuid]) -> DbResult<Vec<EditableRow>> {
    Ok(sqlx::query_as::<_, EditableRow>(
        "SELECT id, account_id, amount, currency::text AS currency, date, name, category_id, notes, tags,
                is_business, tax_deductible, reconciled, journal_entry_id, parent_transaction_id,
                source = 'manual' AS manual
         FROM transactions WHERE user_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE",
    )
    .bind(user_id)
    .bind(ids)
    .fetch_all(conn)
    .await?)
}

/// The fields an inline or bulk edit may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Patch {
    /// `Some(None)` clears the category.
    pub category_id: Option<Option<Uuid>>,
    pub notes: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    /// Tags added to those already there.
    pub add_tags: Option<Vec<String>>,
    pub is_business: Option<bool>,
    pub tax_deductible: Option<bool>,
}

/// Applies a patch to the user's transactions (already locked and checked).
pub async fn apply_patch(conn: &mut PgConnection, user_id: Uuid, ids: &[Uuid], p: &Patch) -> DbResult<u64> {
    let mut q = QueryBuilder::<Postgres>::new("UPDATE transactions SET updated_at = now()");
    if let Some(category) = p.category_id {
        q.push(", category_id = ").push_bind(category);
        q.push(", category_source = CASE WHEN ")
            .push_bind(category)
            .push(" IS NULL THEN NULL ELSE 'user'::category_source END");
        q.push(", rule_id = NULL, prediction_id = NULL");
    }
    if let Some(notes) = &p.notes {
        q.push(", notes = ").push_bind(notes.clone());
    }
    if let Some(tags) = &p.tags {
        q.push(", tags = ").push_bind(tags.clone());
    }
    if let Some(tags) = &p.add_tags {
        q.push(", tags = ARRAY(SELECT DISTINCT unnest(tags || ").push_bind(tags.clone()).push("))");
    }
    if let Some(b) = p.is_business {
        q.push(", is_business = ").push_bind(b);
    }
    if let Some(d) = p.tax_deductible {
        q.push(", tax_deductible = ").push_bind(d);
    }
    q.push(" WHERE user_id = ").push_bind(user_id).push(" AND id = ANY(").push_bind(ids.to_vec()).push(")");
    Ok(q.build().execute(conn).await?.rows_affected())
}

/// One part of a split.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SplitPart {
    pub category_id: Option<Uuid>,
    pub amount: Decimal,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SplitPartRow {
    pub id: Uuid,
    pub category_id: Option<Uuid>,
    pub category_name: Option<String>,
    pub amount: Decimal,
    pub notes: Option<String>,
}

/// The parts of a split transaction, largest first.
pub async fn split_parts(conn: &mut PgConnection, user_id: Uuid, parent: Uuid) -> DbResult<Vec<SplitPartRow>> {
    Ok(sqlx::query_as::<_, SplitPartRow>(
        "SELECT t.id, t.category_id, c.name AS category_name, t.amount, t.notes
         FROM transactions t LEFT JOIN categories c ON c.id = t.category_id
         WHERE t.user_id = $1 AND t.parent_transaction_id = $2 ORDER BY abs(t.amount) DESC, t.id",
    )
    .bind(user_id)
    .bind(parent)
    .fetch_all(conn)
    .await?)
}

/// Replaces the parts of a split (none to unsplit). The parts copy the parent's
/// account, date, description and flags; the database checks they add up at commit.
pub async fn replace_split(
    conn: &mut PgConnection,
    user_id: Uuid,
    parent: &EditableRow,
    parts: &[SplitPart],
) -> DbResult<()> {
    sqlx::query("DELETE FROM transactions WHERE user_id = $1 AND parent_transaction_id = $2")
        .bind(user_id)
        .bind(parent.id)
        .execute(&mut *conn)
        .await?;
    for part in parts {
        sqlx::query(
            "INSERT INTO transactions (user_id, account_id, amount, currency, date, name, merchant_name, category_id,
                                       category_source, notes, tags, is_business, tax_deductible, transaction_type,
                                       parent_transaction_id, source)
             SELECT user_id, account_id, $3, currency, date, name, merchant_name, $4,
                    CASE WHEN $4::uuid IS NULL THEN NULL ELSE 'user'::category_source END, $5, tags, is_business,
                    tax_deductible, transaction_type, id, 'manual'
             FROM transactions WHERE user_id = $1 AND id = $2",
        )
        .bind(user_id)
        .bind(parent.id)
        .bind(part.amount)
        .bind(part.category_id)
        .bind(&part.notes)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Deletes a transaction the user entered by hand (not a journal leg: those go with
/// their entry). `NotFound` unless it is the user's.
pub async fn delete(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<()> {
    let done = sqlx::query("DELETE FROM transactions WHERE user_id = $1 AND id = $2 AND parent_transaction_id IS NULL")
        .bind(user_id)
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(super::like_pattern("Blue Bottle"), "%blue bottle%");
        assert_eq!(super::like_pattern("100%_x\\"), "%100\\%\\_x\\\\%");
    }
}
