//! Reports: the aggregates each report is built from (all summed in the database),
//! and saved reports (snapshots, versions, templates, share links).

use super::{DbError, DbResult};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// The rows every spending aggregate counts: the user's, in the range, of the scope,
/// not transfers, and a split by its parts (not the whole). `$1` user, `$2`..`$3`
/// dates, `$4` business (null for both). An index-only scan of
/// `transactions_user_date_idx`; split parents are few, so they are looked up once
/// into a hashed set rather than probed for per row.
pub(crate) const COUNTED: &str =
    "t.user_id = $1 AND t.date BETWEEN $2 AND $3 AND ($4::bool IS NULL OR t.is_business = $4)
     AND t.transaction_type <> 'transfer'
     AND t.id NOT IN (SELECT s.parent_transaction_id FROM transactions s
                      WHERE s.user_id = $1 AND s.parent_transaction_id IS NOT NULL)";

/// Query `report_category_sums` (profit and loss): money in and out per category
/// over `transactions_user_date_idx`.
pub async fn category_sums(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    business: Option<bool>,
) -> DbResult<Vec<(Option<Uuid>, Decimal, Decimal)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT t.category_id,
                coalesce(sum(t.amount) FILTER (WHERE t.amount > 0), 0),
                coalesce(sum(t.amount) FILTER (WHERE t.amount < 0), 0)
         FROM transactions t WHERE {COUNTED}
         GROUP BY t.category_id"
    ))
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(business)
    .fetch_all(conn)
    .await?)
}

/// Query `report_month_flows` (cash flow): money in and out per month.
pub async fn month_flows(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    business: Option<bool>,
) -> DbResult<Vec<(NaiveDate, Decimal, Decimal)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT date_trunc('month', t.date)::date AS month,
                coalesce(sum(t.amount) FILTER (WHERE t.amount > 0), 0),
                coalesce(sum(t.amount) FILTER (WHERE t.amount < 0), 0)
         FROM transactions t WHERE {COUNTED}
         GROUP BY 1 ORDER BY 1"
    ))
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(business)
    .fetch_all(conn)
    .await?)
}

/// Query `report_month_spending` (category analysis, spending trends): spending per
/// month and category, expense categories and uncategorized money out.
pub async fn month_spending(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    business: Option<bool>,
) -> DbResult<Vec<(NaiveDate, Option<Uuid>, Decimal)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT date_trunc('month', t.date)::date AS month, t.category_id, -sum(t.amount)
         FROM transactions t LEFT JOIN categories c ON c.id = t.category_id
         WHERE {COUNTED} AND (c.kind = 'expense' OR (t.category_id IS NULL AND t.amount < 0))
         GROUP BY 1, 2"
    ))
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(business)
    .fetch_all(conn)
    .await?)
}

/// Query `report_top_merchants`: the merchants with the most spending.
pub async fn top_merchants(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    business: Option<bool>,
    limit: i64,
) -> DbResult<Vec<(String, i64, Decimal)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT coalesce(nullif(t.merchant_name, ''), t.name) AS merchant, count(*), -sum(t.amount) AS spent
         FROM transactions t LEFT JOIN categories c ON c.id = t.category_id
         WHERE {COUNTED} AND (c.kind = 'expense' OR (t.category_id IS NULL AND t.amount < 0))
         GROUP BY 1 HAVING -sum(t.amount) > 0
         ORDER BY spent DESC, merchant LIMIT $5"
    ))
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(business)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Query `report_deductible` (tax summary): deductible spending per tax year, tax
/// line and category, business and personal (`transactions_deductible_idx`).
pub async fn deductible(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    business: Option<bool>,
) -> DbResult<Vec<(i32, Option<String>, String, Decimal, Decimal)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT t.tax_year, c.tax_line, coalesce(c.name, 'Uncategorized'),
                coalesce(-sum(t.amount) FILTER (WHERE t.is_business), 0),
                coalesce(-sum(t.amount) FILTER (WHERE NOT t.is_business), 0)
         FROM transactions t LEFT JOIN categories c ON c.id = t.category_id
         WHERE {COUNTED} AND t.tax_deductible
         GROUP BY 1, 2, 3"
    ))
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(business)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountPositionRow {
    pub name: String,
    pub account_type: String,
    pub current_balance: Decimal,
    pub after_start: Decimal,
    pub after_end: Decimal,
}

/// Query `report_account_positions` (balance sheet): each account's balance and the
/// sums of its transactions after two dates (`transactions_account_date_idx`).
/// Balances hold top-level rows only, so split parts are left out here.
pub async fn account_positions(
    conn: &mut PgConnection,
    user_id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
    business: Option<bool>,
) -> DbResult<Vec<AccountPositionRow>> {
    Ok(sqlx::query_as::<_, AccountPositionRow>(
        "SELECT a.name, a.account_type::text AS account_type, a.current_balance,
                coalesce((SELECT sum(t.amount) FROM transactions t WHERE t.account_id = a.id AND t.date > $2
                          AND t.parent_transaction_id IS NULL), 0) AS after_start,
                coalesce((SELECT sum(t.amount) FROM transactions t WHERE t.account_id = a.id AND t.date > $3
                          AND t.parent_transaction_id IS NULL), 0) AS after_end
         FROM accounts a
         WHERE a.user_id = $1 AND ($4::bool IS NULL OR a.is_business = $4)
         ORDER BY a.name, a.id",
    )
    .bind(user_id)
    .bind(start)
    .bind(end)
    .bind(business)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    pub id: Uuid,
    pub report_type: String,
    pub title: String,
    pub scope: String,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub parameters: serde_json::Value,
    pub data: Option<serde_json::Value>,
    pub version: i32,
    pub previous_version_id: Option<Uuid>,
    pub is_template: bool,
    pub share_token: Option<String>,
    pub share_expires_at: Option<DateTime<Utc>>,
    pub generated_at: Option<DateTime<Utc>>,
}

const REPORT_COLUMNS: &str =
    "r.id, r.report_type::text AS report_type, r.title, r.scope::text AS scope, r.period_start,
     r.period_end, r.parameters, r.data, r.version, r.previous_version_id, r.is_template, r.share_token,
     r.share_expires_at, r.generated_at";

pub struct NewReport<'a> {
    pub report_type: &'a str,
    pub title: &'a str,
    pub scope: &'a str,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub parameters: serde_json::Value,
    pub data: serde_json::Value,
    pub version: i32,
    pub previous: Option<Uuid>,
}

pub async fn insert(conn: &mut PgConnection, user_id: Uuid, r: &NewReport<'_>) -> DbResult<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO reports (user_id, report_type, title, scope, period_start, period_end, parameters, data, version,
                              previous_version_id, generated_at)
         VALUES ($1, $2::report_type, $3, $4::budget_scope, $5, $6, $7, $8, $9, $10, now()) RETURNING id",
    )
    .bind(user_id)
    .bind(r.report_type)
    .bind(r.title)
    .bind(r.scope)
    .bind(r.start)
    .bind(r.end)
    .bind(&r.parameters)
    .bind(&r.data)
    .bind(r.version)
    .bind(r.previous)
    .fetch_one(conn)
    .await?)
}

pub async fn get(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<ReportRow> {
    sqlx::query_as::<_, ReportRow>(&format!(
        "SELECT {REPORT_COLUMNS} FROM reports r WHERE r.id = $1 AND r.user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}

/// Query `reports_list`: the newest version of each saved report, newest first
/// (`reports_user_generated_idx`).
pub async fn latest(conn: &mut PgConnection, user_id: Uuid, limit: i64) -> DbResult<Vec<ReportRow>> {
    Ok(sqlx::query_as::<_, ReportRow>(&format!(
        "SELECT {REPORT_COLUMNS} FROM reports r
         WHERE r.user_id = $1 AND NOT EXISTS (SELECT 1 FROM reports n WHERE n.previous_version_id = r.id)
         ORDER BY r.generated_at DESC NULLS LAST, r.id LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Every version of the report `id` belongs to, oldest first: (id, version, generated).
pub async fn versions(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
) -> DbResult<Vec<(Uuid, i32, Option<DateTime<Utc>>)>> {
    Ok(sqlx::query_as(
        "WITH RECURSIVE back AS (
             SELECT id, previous_version_id FROM reports WHERE id = $1 AND user_id = $2
             UNION SELECT r.id, r.previous_version_id FROM reports r JOIN back ON r.id = back.previous_version_id
             WHERE r.user_id = $2),
         root AS (SELECT id FROM back WHERE previous_version_id IS NULL),
         chain AS (
             SELECT id FROM root
             UNION SELECT r.id FROM reports r JOIN chain ON r.previous_version_id = chain.id WHERE r.user_id = $2)
         SELECT r.id, r.version, r.generated_at FROM reports r JOIN chain USING (id) ORDER BY r.version, r.id",
    )
    .bind(id)
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// Whether a newer version of `id` exists.
pub async fn has_newer(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM reports WHERE previous_version_id = $1 AND user_id = $2)")
        .bind(id)
        .bind(user_id)
        .fetch_one(conn)
        .await?)
}

pub async fn set_template(conn: &mut PgConnection, user_id: Uuid, id: Uuid, on: bool) -> DbResult<()> {
    let n = sqlx::query("UPDATE reports SET is_template = $3, updated_at = now() WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .bind(on)
        .execute(conn)
        .await?
        .rows_affected();
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

/// Sets or clears (`None`) the share link.
pub async fn set_share(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    share: Option<(&str, DateTime<Utc>)>,
) -> DbResult<()> {
    let n = sqlx::query(
        "UPDATE reports SET share_token = $3, share_expires_at = $4, updated_at = now() WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .bind(share.map(|s| s.0))
    .bind(share.map(|s| s.1))
    .execute(conn)
    .await?
    .rows_affected();
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

/// Query `report_by_share_token`: a shared report whose link has not expired
/// (`reports_share_token_key`). No user: the token is the key.
pub async fn by_share_token(conn: &mut PgConnection, token: &str) -> DbResult<ReportRow> {
    sqlx::query_as::<_, ReportRow>(&format!(
        "SELECT {REPORT_COLUMNS} FROM reports r WHERE r.share_token = $1 AND r.share_expires_at > now()"
    ))
    .bind(token)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}

/// Deletes one version; the versions after it keep their own snapshots.
pub async fn delete(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<()> {
    let n = sqlx::query("DELETE FROM reports WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected();
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}
