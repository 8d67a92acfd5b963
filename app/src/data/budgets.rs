//! Budgets and their lines (budget_items), and the spending sums they are measured
//! against.

use super::{DbError, DbResult};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BudgetRow {
    pub id: Uuid,
    pub name: String,
    pub budget_type: String,
    pub scope: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub rollover_enabled: bool,
    pub is_active: bool,
    pub previous_budget_id: Option<Uuid>,
}

const BUDGET_COLUMNS: &str = "b.id, b.name, b.budget_type::text AS budget_type, b.scope::text AS scope, b.period_start,
     b.period_end, b.rollover_enabled, b.is_active, b.previous_budget_id";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BudgetListRow {
    #[sqlx(flatten)]
    pub budget: BudgetRow,
    pub items: i64,
    pub planned: Decimal,
}

/// Query `budgets_list`: the user's budgets, newest period first.
pub async fn list(conn: &mut PgConnection, user_id: Uuid, limit: i64) -> DbResult<Vec<BudgetListRow>> {
    Ok(sqlx::query_as::<_, BudgetListRow>(&format!(
        "SELECT {BUDGET_COLUMNS}, count(i.id) AS items, coalesce(sum(i.amount), 0) AS planned
         FROM budgets b LEFT JOIN budget_items i ON i.budget_id = b.id
         WHERE b.user_id = $1
         GROUP BY b.id
         ORDER BY b.is_active DESC, b.period_start DESC, lower(b.name), b.id
         LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<BudgetRow> {
    sqlx::query_as::<_, BudgetRow>(&format!(
        "SELECT {BUDGET_COLUMNS} FROM budgets b WHERE b.id = $1 AND b.user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}

/// The same, locked for a change.
pub async fn lock(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<BudgetRow> {
    sqlx::query_as::<_, BudgetRow>(&format!(
        "SELECT {BUDGET_COLUMNS} FROM budgets b WHERE b.id = $1 AND b.user_id = $2 FOR UPDATE"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}

/// Query `budget_next`: the period carried forward from this one (`budgets_previous_key`).
pub async fn next_of(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT id FROM budgets WHERE previous_budget_id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?)
}

/// Query `budget_current`: the active budget covering `day`, monthly ones first
/// (`budgets_user_period_idx`). For the dashboard widget.
pub async fn current(conn: &mut PgConnection, user_id: Uuid, day: NaiveDate) -> DbResult<Option<BudgetRow>> {
    Ok(sqlx::query_as::<_, BudgetRow>(&format!(
        "SELECT {BUDGET_COLUMNS} FROM budgets b
         WHERE b.user_id = $1 AND b.is_active AND b.period_start <= $2 AND b.period_end >= $2
         ORDER BY b.budget_type = 'monthly' DESC, b.period_start DESC, b.id
         LIMIT 1"
    ))
    .bind(user_id)
    .bind(day)
    .fetch_optional(conn)
    .await?)
}

pub struct NewBudget<'a> {
    pub name: &'a str,
    pub budget_type: &'a str,
    pub scope: &'a str,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub previous: Option<Uuid>,
}

pub async fn create(conn: &mut PgConnection, user_id: Uuid, b: &NewBudget<'_>) -> DbResult<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO budgets (user_id, name, budget_type, scope, period_start, period_end, previous_budget_id)
         VALUES ($1, $2, $3::budget_type, $4::budget_scope, $5, $6, $7) RETURNING id",
    )
    .bind(user_id)
    .bind(b.name)
    .bind(b.budget_type)
    .bind(b.scope)
    .bind(b.start)
    .bind(b.end)
    .bind(b.previous)
    .fetch_one(conn)
    .await?)
}

pub async fn update(conn: &mut PgConnection, user_id: Uuid, id: Uuid, name: &str, active: bool) -> DbResult<()> {
    let n =
        sqlx::query("UPDATE budgets SET name = $3, is_active = $4, updated_at = now() WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .bind(name)
            .bind(active)
            .execute(conn)
            .await?
            .rows_affected();
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

pub async fn delete(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<()> {
    let n = sqlx::query("DELETE FROM budgets WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected();
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ItemRow {
    pub id: Uuid,
    pub category_id: Uuid,
    pub category: String,
    pub amount: Decimal,
    pub rollover: bool,
    /// Carried in from the previous period.
    pub rollover_amount: Decimal,
}

/// Query `budget_lines`: a budget's lines with their category names.
pub async fn items(conn: &mut PgConnection, user_id: Uuid, budget_id: Uuid) -> DbResult<Vec<ItemRow>> {
    Ok(sqlx::query_as::<_, ItemRow>(
        "SELECT i.id, i.category_id, c.name AS category, i.amount, i.rollover, i.rollover_amount
         FROM budget_items i JOIN categories c ON c.id = i.category_id
         WHERE i.budget_id = $1 AND i.user_id = $2
         ORDER BY c.sort_order, lower(c.name), i.id",
    )
    .bind(budget_id)
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// Adds a line or changes the one for the same category; returns its id and what it
/// was before.
pub async fn upsert_item(
    conn: &mut PgConnection,
    user_id: Uuid,
    budget_id: Uuid,
    category_id: Uuid,
    amount: Decimal,
    rollover: bool,
) -> DbResult<(Uuid, Option<(Decimal, bool)>)> {
    let old: Option<(Decimal, bool)> = sqlx::query_as(
        "SELECT amount, rollover FROM budget_items WHERE budget_id = $1 AND category_id = $2 AND user_id = $3 FOR UPDATE",
    )
    .bind(budget_id)
    .bind(category_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    let id = sqlx::query_scalar(
        "INSERT INTO budget_items (user_id, budget_id, category_id, amount, rollover) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (budget_id, category_id)
         DO UPDATE SET amount = EXCLUDED.amount, rollover = EXCLUDED.rollover, updated_at = now()
         RETURNING id",
    )
    .bind(user_id)
    .bind(budget_id)
    .bind(category_id)
    .bind(amount)
    .bind(rollover)
    .fetch_one(&mut *conn)
    .await?;
    sync_rollover_flag(conn, user_id, budget_id).await?;
    Ok((id, old))
}

/// Inserts lines for a new budget: (category, amount, rollover, carried in).
pub async fn insert_items(
    conn: &mut PgConnection,
    user_id: Uuid,
    budget_id: Uuid,
    lines: &[(Uuid, Decimal, bool, Decimal)],
) -> DbResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let categories: Vec<Uuid> = lines.iter().map(|l| l.0).collect();
    let amounts: Vec<Decimal> = lines.iter().map(|l| l.1).collect();
    let rollovers: Vec<bool> = lines.iter().map(|l| l.2).collect();
    let carried: Vec<Decimal> = lines.iter().map(|l| l.3).collect();
    sqlx::query(
        "INSERT INTO budget_items (user_id, budget_id, category_id, amount, rollover, rollover_amount)
         SELECT $1, $2, c, a, r, k FROM unnest($3::uuid[], $4::numeric[], $5::bool[], $6::numeric[]) AS l(c, a, r, k)",
    )
    .bind(user_id)
    .bind(budget_id)
    .bind(&categories)
    .bind(&amounts)
    .bind(&rollovers)
    .bind(&carried)
    .execute(&mut *conn)
    .await?;
    sync_rollover_flag(conn, user_id, budget_id).await
}

/// Removes a line; returns its category and amount.
pub async fn delete_item(conn: &mut PgConnection, user_id: Uuid, item_id: Uuid) -> DbResult<(Uuid, Uuid, Decimal)> {
    let row: (Uuid, Uuid, Decimal) = sqlx::query_as(
        "DELETE FROM budget_items WHERE id = $1 AND user_id = $2 RETURNING budget_id, category_id, amount",
    )
    .bind(item_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DbError::NotFound)?;
    sync_rollover_flag(conn, user_id, row.0).await?;
    Ok(row)
}

/// `budgets.rollover_enabled` says whether any line rolls over (the list shows it).
async fn sync_rollover_flag(conn: &mut PgConnection, user_id: Uuid, budget_id: Uuid) -> DbResult<()> {
    sqlx::query(
        "UPDATE budgets b SET rollover_enabled = EXISTS (SELECT 1 FROM budget_items i WHERE i.budget_id = b.id AND i.rollover)
         WHERE b.id = $1 AND b.user_id = $2",
    )
    .bind(budget_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores what each line carries in, where it changed: (category, amount).
pub async fn set_carried(
    conn: &mut PgConnection,
    user_id: Uuid,
    budget_id: Uuid,
    carried: &[(Uuid, Decimal)],
) -> DbResult<u64> {
    let categories: Vec<Uuid> = carried.iter().map(|c| c.0).collect();
    let amounts: Vec<Decimal> = carried.iter().map(|c| c.1).collect();
    Ok(sqlx::query(
        "UPDATE budget_items i SET rollover_amount = l.k, updated_at = now()
         FROM unnest($3::uuid[], $4::numeric[]) AS l(c, k)
         WHERE i.budget_id = $1 AND i.user_id = $2 AND i.category_id = l.c AND i.rollover_amount <> l.k",
    )
    .bind(budget_id)
    .bind(user_id)
    .bind(&categories)
    .bind(&amounts)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Query `budget_actuals`: spending per day and category over `from..=to`, positive
/// for money out, in one aggregate over `transactions_user_date_idx`. Counts expense
/// categories and uncategorized outflows; a split counts by its parts; transfers
/// are not spending. `business` narrows to business (true) or personal (false) rows.
pub async fn spending_by_day(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    business: Option<bool>,
) -> DbResult<Vec<(NaiveDate, Option<Uuid>, Decimal)>> {
    Ok(sqlx::query_as(
        "SELECT t.date, t.category_id, -sum(t.amount) AS spent
         FROM transactions t LEFT JOIN categories c ON c.id = t.category_id
         WHERE t.user_id = $1 AND t.date BETWEEN $2 AND $3 AND ($4::bool IS NULL OR t.is_business = $4)
           AND t.transaction_type <> 'transfer'
           AND (c.kind = 'expense' OR (t.category_id IS NULL AND t.amount < 0))
           AND t.id NOT IN (SELECT s.parent_transaction_id FROM transactions s
                            WHERE s.user_id = $1 AND s.parent_transaction_id IS NOT NULL)
         GROUP BY t.date, t.category_id",
    )
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(business)
    .fetch_all(conn)
    .await?)
}

/// Query `budget_history`: spending per expense category over `from..=to`, for
/// templates from past months (`transactions_user_date_idx`).
pub async fn spending_by_category(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    business: Option<bool>,
) -> DbResult<Vec<(Uuid, Decimal)>> {
    Ok(sqlx::query_as(
        "SELECT t.category_id, -sum(t.amount) AS spent
         FROM transactions t JOIN categories c ON c.id = t.category_id
         WHERE t.user_id = $1 AND t.date BETWEEN $2 AND $3 AND ($4::bool IS NULL OR t.is_business = $4)
           AND t.transaction_type <> 'transfer' AND c.kind = 'expense' AND c.archived_at IS NULL
           AND t.id NOT IN (SELECT s.parent_transaction_id FROM transactions s
                            WHERE s.user_id = $1 AND s.parent_transaction_id IS NOT NULL)
         GROUP BY t.category_id
         HAVING -sum(t.amount) > 0",
    )
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(business)
    .fetch_all(conn)
    .await?)
}
