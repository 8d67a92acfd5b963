//! Categorization rules: the user's, in priority order, with their effectiveness.

use super::{DbError, DbResult};
use chrono::{DateTime, NaiveDate, Utc};
use manna_core::rules::{Actions, Condition};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    pub id: Uuid,
    pub name: String,
    pub priority: i32,
    pub is_active: bool,
    pub match_mode: String,
    pub conditions: Json<Vec<Condition>>,
    pub actions: Json<Actions>,
    pub match_count: i64,
    pub last_matched_at: Option<DateTime<Utc>>,
    pub override_count: i64,
}

const COLUMNS: &str = "id, name, priority, is_active, match_mode, conditions, actions, match_count,
                       last_matched_at, override_count";

/// Every rule of the user, first to run first. Stored rules that no longer parse (a
/// shape from an older version) are an error, not silently skipped.
pub async fn all(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<RuleRow>> {
    Ok(sqlx::query_as::<_, RuleRow>(&format!(
        "SELECT {COLUMNS} FROM categorization_rules WHERE user_id = $1 ORDER BY priority, created_at, id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// The active rules, in the order they run (`rules_user_priority_idx`).
pub async fn active(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<RuleRow>> {
    Ok(sqlx::query_as::<_, RuleRow>(&format!(
        "SELECT {COLUMNS} FROM categorization_rules WHERE user_id = $1 AND is_active
         ORDER BY priority, created_at, id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

pub async fn one(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<RuleRow> {
    sqlx::query_as::<_, RuleRow>(&format!(
        "SELECT {COLUMNS} FROM categorization_rules WHERE id = $1 AND user_id = $2 FOR UPDATE"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}

pub struct NewRule<'a> {
    pub name: &'a str,
    pub match_mode: &'a str,
    pub conditions: &'a [Condition],
    pub actions: &'a Actions,
}

/// Adds a rule after the user's last one.
pub async fn create(conn: &mut PgConnection, user_id: Uuid, rule: &NewRule<'_>) -> DbResult<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO categorization_rules (user_id, name, priority, match_mode, conditions, actions)
         VALUES ($1, $2, (SELECT coalesce(max(priority), 0) + 10 FROM categorization_rules WHERE user_id = $1),
                 $3, $4, $5)
         RETURNING id",
    )
    .bind(user_id)
    .bind(rule.name)
    .bind(rule.match_mode)
    .bind(Json(rule.conditions))
    .bind(Json(rule.actions))
    .fetch_one(conn)
    .await?)
}

pub async fn update(conn: &mut PgConnection, user_id: Uuid, id: Uuid, rule: &NewRule<'_>) -> DbResult<()> {
    let done = sqlx::query(
        "UPDATE categorization_rules SET name = $3, match_mode = $4, conditions = $5, actions = $6, updated_at = now()
         WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .bind(rule.name)
    .bind(rule.match_mode)
    .bind(Json(rule.conditions))
    .bind(Json(rule.actions))
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

pub async fn set_active(conn: &mut PgConnection, user_id: Uuid, id: Uuid, active: bool) -> DbResult<()> {
    let done = sqlx::query(
        "UPDATE categorization_rules SET is_active = $3, updated_at = now() WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .bind(active)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

pub async fn delete(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<()> {
    let done = sqlx::query("DELETE FROM categorization_rules WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

/// Rewrites the priorities as 10, 20, 30… in the given order. `ids` must be exactly
/// the user's rules (checked by the caller against `all`).
pub async fn reorder(conn: &mut PgConnection, user_id: Uuid, ids: &[Uuid]) -> DbResult<()> {
    sqlx::query(
        "UPDATE categorization_rules r SET priority = o.n * 10, updated_at = now()
         FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, n)
         WHERE r.id = o.id AND r.user_id = $1",
    )
    .bind(user_id)
    .bind(ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts matches: each rule id with how many transactions it matched just now.
pub async fn record_matches(conn: &mut PgConnection, user_id: Uuid, matches: &[(Uuid, i64)]) -> DbResult<()> {
    if matches.is_empty() {
        return Ok(());
    }
    let (ids, counts): (Vec<Uuid>, Vec<i64>) = matches.iter().copied().unzip();
    sqlx::query(
        "UPDATE categorization_rules r SET match_count = r.match_count + m.n, last_matched_at = now()
         FROM unnest($2::uuid[], $3::bigint[]) AS m(id, n)
         WHERE r.id = m.id AND r.user_id = $1 AND m.n > 0",
    )
    .bind(user_id)
    .bind(&ids)
    .bind(&counts)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a rule sees of one of the user's transactions, and what it could change.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Candidate {
    pub id: Uuid,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub name: String,
    pub merchant_name: Option<String>,
    pub account_id: Uuid,
    pub category_id: Option<Uuid>,
    pub is_business: bool,
    pub tax_deductible: bool,
    pub tags: Vec<String>,
}

const CANDIDATE_COLUMNS: &str = "SELECT t.id, t.date, t.amount, t.name, t.merchant_name, t.account_id,
        t.category_id, t.is_business, t.tax_deductible, t.tags
    FROM transactions t";

/// A batch of the user's transactions a rule may change, newest first, after `after`
/// (date, id): top-level rows that are not split into parts, and split parts; never
/// reconciled rows (they are locked). Keyset batches so a preview over a million rows
/// streams in bounded memory.
pub async fn candidates(
    conn: &mut PgConnection,
    user_id: Uuid,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> DbResult<Vec<Candidate>> {
    let (date, id) = after.unzip();
    Ok(sqlx::query_as::<_, Candidate>(&format!(
        "{CANDIDATE_COLUMNS}
         WHERE t.user_id = $1 AND NOT t.reconciled
           AND ($2::date IS NULL OR (t.date, t.id) < ($2, $3))
           AND NOT EXISTS (SELECT 1 FROM transactions p WHERE p.parent_transaction_id = t.id)
         ORDER BY t.date DESC, t.id DESC
         LIMIT $4"
    ))
    .bind(user_id)
    .bind(date)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The listed transactions of the user as rules see them (new rows being categorized).
pub async fn candidates_by_id(conn: &mut PgConnection, user_id: Uuid, ids: &[Uuid]) -> DbResult<Vec<Candidate>> {
    Ok(sqlx::query_as::<_, Candidate>(&format!(
        "{CANDIDATE_COLUMNS}
         WHERE t.user_id = $1 AND t.id = ANY($2) AND NOT t.reconciled
         ORDER BY t.date DESC, t.id DESC"
    ))
    .bind(user_id)
    .bind(ids)
    .fetch_all(conn)
    .await?)
}

/// Applies what rules decided to a set of the user's transactions, one statement:
/// each array holds one entry per row (NULL = leave as is).
pub struct RuleChanges {
    pub ids: Vec<Uuid>,
    pub categories: Vec<Option<Uuid>>,
    pub rules: Vec<Option<Uuid>>,
    pub business: Vec<Option<bool>>,
    pub deductible: Vec<Option<bool>>,
    pub merchants: Vec<Option<String>>,
    /// Tags to add, as a comma-joined list per row (Postgres arrays cannot be ragged).
    pub tags: Vec<String>,
}

pub async fn apply(conn: &mut PgConnection, user_id: Uuid, c: &RuleChanges) -> DbResult<u64> {
    if c.ids.is_empty() {
        return Ok(0);
    }
    let done = sqlx::query(
        "UPDATE transactions t SET
             category_id = coalesce(u.category_id, t.category_id),
             category_source = CASE WHEN u.category_id IS NULL THEN t.category_source ELSE 'rule' END,
             rule_id = coalesce(u.rule_id, t.rule_id),
             is_business = coalesce(u.business, t.is_business),
             tax_deductible = coalesce(u.deductible, t.tax_deductible),
             merchant_name = coalesce(u.merchant, t.merchant_name),
             tags = CASE WHEN u.tags = '' THEN t.tags
                         ELSE ARRAY(SELECT DISTINCT x FROM unnest(t.tags || string_to_array(u.tags, ',')) x ORDER BY x) END,
             updated_at = now()
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::bool[], $6::bool[], $7::text[], $8::text[])
              AS u(id, category_id, rule_id, business, deductible, merchant, tags)
         WHERE t.id = u.id AND t.user_id = $1",
    )
    .bind(user_id)
    .bind(&c.ids)
    .bind(&c.categories)
    .bind(&c.rules)
    .bind(&c.business)
    .bind(&c.deductible)
    .bind(&c.merchants)
    .bind(&c.tags)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
