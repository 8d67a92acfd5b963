//! The model's side of categorization: training rows, stored predictions, the review
//! queue, feedback and its accuracy over time.

use super::{DbError, DbResult};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

/// At most this many of the newest categorized rows train a model (bounded memory;
/// older habits matter less).
pub const MAX_TRAINING_ROWS: i64 = 200_000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TrainingRow {
    pub date: NaiveDate,
    pub amount: Decimal,
    pub name: String,
    pub merchant_name: Option<String>,
    pub account_id: Uuid,
    pub category_id: Uuid,
}

/// The rows a model learns from, oldest first: categorized by the user, a rule, the
/// bank or an import file. The model's own unreviewed guesses are not evidence.
pub async fn training_rows(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<TrainingRow>> {
    Ok(sqlx::query_as::<_, TrainingRow>(
        "SELECT date, amount, name, merchant_name, account_id, category_id FROM (
             SELECT t.id, t.date, t.amount, t.name, t.merchant_name, t.account_id, t.category_id
             FROM transactions t
             WHERE t.user_id = $1 AND t.category_id IS NOT NULL AND t.category_source <> 'ml'
             ORDER BY t.date DESC, t.id DESC LIMIT $2) r
         ORDER BY date, id",
    )
    .bind(user_id)
    .bind(MAX_TRAINING_ROWS)
    .fetch_all(conn)
    .await?)
}

/// How many times the user's categorized rows changed (`users.categorizer_version`,
/// kept by triggers).
pub async fn state_version(conn: &mut PgConnection, user_id: Uuid) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT categorizer_version FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await?
        .unwrap_or(0))
}

/// What the model sees of a row waiting for a category.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unpredicted {
    pub id: Uuid,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub name: String,
    pub merchant_name: Option<String>,
    pub account_id: Uuid,
}

/// The user's uncategorized rows among `ids` (or, with `ids` empty, up to `limit` of
/// the newest uncategorized rows with no prediction yet), not split, not reconciled.
pub async fn unpredicted(
    conn: &mut PgConnection,
    user_id: Uuid,
    ids: &[Uuid],
    limit: i64,
) -> DbResult<Vec<Unpredicted>> {
    // Two statements, not one with `CASE WHEN cardinality($2) = 0 ...`: that form cannot
    // look the listed ids up by key, and with fresh statistics the planner tested each
    // of a user's rows against the whole list (a 100,000-row import: 10+ minutes).
    let query = if ids.is_empty() {
        "SELECT t.id, t.date, t.amount, t.name, t.merchant_name, t.account_id
         FROM transactions t
         WHERE t.user_id = $1 AND t.category_id IS NULL AND NOT t.reconciled AND t.prediction_id IS NULL
           AND cardinality($2::uuid[]) = 0
           AND NOT EXISTS (SELECT 1 FROM transactions p WHERE p.parent_transaction_id = t.id)
         ORDER BY t.date DESC, t.id DESC
         LIMIT $3"
    } else {
        "SELECT t.id, t.date, t.amount, t.name, t.merchant_name, t.account_id
         FROM unnest($2::uuid[]) AS listed(id) JOIN transactions t ON t.id = listed.id
         WHERE t.user_id = $1 AND t.category_id IS NULL AND NOT t.reconciled
           AND NOT EXISTS (SELECT 1 FROM transactions p WHERE p.parent_transaction_id = t.id)
         ORDER BY t.date DESC, t.id DESC
         LIMIT $3"
    };
    Ok(sqlx::query_as::<_, Unpredicted>(query).bind(user_id).bind(ids).bind(limit).fetch_all(conn).await?)
}

/// One prediction to store.
pub struct NewPrediction {
    pub transaction_id: Uuid,
    pub category_id: Uuid,
    pub confidence: Decimal,
    /// JSON text (`{"top": [[feature, weight], …]}`): written as text and cast by the
    /// database, which parses it either way; a `serde_json::Value` per row cost more
    /// than the model's prediction itself.
    pub features: String,
    /// JSON text: an array of [`Alternative`]s.
    pub alternatives: String,
    /// Apply the category (at or above the threshold) or only suggest it.
    pub apply: bool,
}

/// Stores predictions and links them to their rows; applied ones set the category
/// (source `ml`). Returns how many were applied.
pub async fn store(conn: &mut PgConnection, user_id: Uuid, version: &str, rows: &[NewPrediction]) -> DbResult<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.transaction_id).collect();
    let categories: Vec<Uuid> = rows.iter().map(|r| r.category_id).collect();
    let confidences: Vec<Decimal> = rows.iter().map(|r| r.confidence).collect();
    let features: Vec<&str> = rows.iter().map(|r| r.features.as_str()).collect();
    let alternatives: Vec<&str> = rows.iter().map(|r| r.alternatives.as_str()).collect();
    // Two statements: as one (a CTE joined back to the input by transaction id) the
    // planner guessed a handful of rows and joined 50,000 predictions by nested loop
    // over both lists (minutes). Here the update probes the primary key per row.
    let stored: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "INSERT INTO ml_predictions (user_id, transaction_id, predicted_category_id, confidence, model_version,
                                     features_used, top_alternatives)
         SELECT $1, i.transaction_id, i.category_id, i.confidence, $2, i.features::jsonb, i.alternatives::jsonb
         FROM unnest($3::uuid[], $4::uuid[], $5::numeric[], $6::text[], $7::text[])
              AS i(transaction_id, category_id, confidence, features, alternatives)
         JOIN transactions t ON t.id = i.transaction_id AND t.user_id = $1
         RETURNING transaction_id, id",
    )
    .bind(user_id)
    .bind(version)
    .bind(&ids)
    .bind(&categories)
    .bind(&confidences)
    .bind(&features)
    .bind(&alternatives)
    .fetch_all(&mut *conn)
    .await?;
    let prediction_of: std::collections::HashMap<Uuid, Uuid> = stored.into_iter().collect();
    let linked: Vec<(Uuid, Uuid, Uuid, bool)> = rows
        .iter()
        .filter_map(|r| Some((r.transaction_id, *prediction_of.get(&r.transaction_id)?, r.category_id, r.apply)))
        .collect();
    let applied: i64 = sqlx::query_scalar(
        "WITH linked AS (
             UPDATE transactions t SET
                 prediction_id = u.prediction,
                 category_id = CASE WHEN u.apply THEN u.category ELSE t.category_id END,
                 category_source = CASE WHEN u.apply THEN 'ml'::category_source ELSE t.category_source END,
                 updated_at = now()
             FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::bool[]) AS u(id, prediction, category, apply)
             WHERE t.id = u.id AND t.user_id = $1 AND t.category_id IS NULL
             RETURNING u.apply)
         SELECT count(*) FILTER (WHERE apply) FROM linked",
    )
    .bind(user_id)
    .bind(linked.iter().map(|l| l.0).collect::<Vec<_>>())
    .bind(linked.iter().map(|l| l.1).collect::<Vec<_>>())
    .bind(linked.iter().map(|l| l.2).collect::<Vec<_>>())
    .bind(linked.iter().map(|l| l.3).collect::<Vec<_>>())
    .fetch_one(conn)
    .await?;
    Ok(applied as u64)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub currency: String,
    pub description: String,
    pub account_name: String,
    pub predicted_category_id: Option<Uuid>,
    pub confidence: Option<Decimal>,
    pub alternatives: Option<Json<Vec<Alternative>>>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Alternative {
    pub category_id: Option<Uuid>,
    pub confidence: f64,
}

/// The review queue: the user's uncategorized rows, newest first, with the model's
/// suggestion where there is one (`transactions_user_category_date_idx`, category
/// NULL). Keyset pages. Reconciled rows are left out: they are locked until un-reconciled.
pub async fn queue(
    conn: &mut PgConnection,
    user_id: Uuid,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> DbResult<Vec<QueueRow>> {
    let (date, id) = after.unzip();
    Ok(sqlx::query_as::<_, QueueRow>(
        "SELECT t.id, t.date, t.amount, t.currency::text AS currency, coalesce(t.merchant_name, t.name) AS description,
                a.name AS account_name, p.predicted_category_id, p.confidence, p.top_alternatives AS alternatives
         FROM (SELECT id, date, amount, currency, merchant_name, name, account_id, prediction_id
               FROM transactions t
               WHERE t.user_id = $1 AND t.category_id IS NULL AND t.parent_transaction_id IS NULL AND NOT t.reconciled
                 AND ($2::date IS NULL OR (t.date, t.id) < ($2, $3))
                 AND NOT EXISTS (SELECT 1 FROM transactions s WHERE s.parent_transaction_id = t.id)
               ORDER BY t.date DESC, t.id DESC LIMIT $4) t
         JOIN accounts a ON a.id = t.account_id
         LEFT JOIN ml_predictions p ON p.id = t.prediction_id
         ORDER BY t.date DESC, t.id DESC",
    )
    .bind(user_id)
    .bind(date)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// How many rows wait in the queue, and how many of them have a suggestion.
pub async fn queue_size(conn: &mut PgConnection, user_id: Uuid) -> DbResult<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT count(*), count(prediction_id) FROM transactions t
         WHERE t.user_id = $1 AND t.category_id IS NULL AND t.parent_transaction_id IS NULL AND NOT t.reconciled
           AND NOT EXISTS (SELECT 1 FROM transactions s WHERE s.parent_transaction_id = t.id)",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await?)
}

/// Gives rows in the queue their suggested category, as the user's choice (the
/// feedback trigger records the prediction as accepted). Rows without a suggestion,
/// already categorized, or reconciled are skipped. Returns the accepted ids.
pub async fn accept(conn: &mut PgConnection, user_id: Uuid, ids: &[Uuid]) -> DbResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "UPDATE transactions t SET category_id = p.predicted_category_id, category_source = 'user', updated_at = now()
         FROM ml_predictions p
         WHERE t.id = ANY($2) AND t.user_id = $1 AND p.id = t.prediction_id AND p.user_id = $1
           AND t.category_id IS NULL AND NOT t.reconciled AND p.predicted_category_id IS NOT NULL
         RETURNING t.id",
    )
    .bind(user_id)
    .bind(ids)
    .fetch_all(conn)
    .await?)
}

/// Feedback per month: (month, accepted, corrected).
pub async fn feedback_by_month(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<(NaiveDate, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT date_trunc('month', feedback_at)::date AS month,
                count(*) FILTER (WHERE feedback = 'accepted'), count(*) FILTER (WHERE feedback = 'corrected')
         FROM ml_predictions WHERE user_id = $1 AND feedback IS NOT NULL
         GROUP BY 1 ORDER BY 1",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// Why a transaction has its category: its source, the rule, the prediction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExplanationRow {
    pub category_id: Option<Uuid>,
    pub category_source: Option<String>,
    pub source: String,
    pub rule_id: Option<Uuid>,
    pub rule_name: Option<String>,
    pub predicted_category_id: Option<Uuid>,
    pub confidence: Option<Decimal>,
    pub model_version: Option<String>,
    pub features: Option<Json<serde_json::Value>>,
    pub feedback: Option<String>,
    pub feedback_at: Option<DateTime<Utc>>,
}

pub async fn explanation(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<ExplanationRow> {
    sqlx::query_as::<_, ExplanationRow>(
        "SELECT t.category_id, t.category_source::text AS category_source, t.source::text AS source, t.rule_id,
                r.name AS rule_name, p.predicted_category_id, p.confidence, p.model_version,
                p.features_used AS features, p.feedback::text AS feedback, p.feedback_at
         FROM transactions t
         LEFT JOIN categorization_rules r ON r.id = t.rule_id
         LEFT JOIN ml_predictions p ON p.id = t.prediction_id
         WHERE t.id = $1 AND t.user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}
