//! Plaid webhooks: stored on arrival (deduplicated), then processed from the table by
//! a worker with a lease, retried with backoff when processing fails.

use super::DbResult;
use sqlx::PgConnection;
use uuid::Uuid;

/// Stores a verified webhook; `false` when its dedupe key was seen before (a repeated
/// delivery). Query `webhook_intake` (`plaid_webhooks_dedupe_key`).
pub async fn store(
    conn: &mut PgConnection,
    item: Option<(Uuid, Uuid)>,
    webhook_type: &str,
    webhook_code: &str,
    payload: &serde_json::Value,
    dedupe_key: &str,
) -> DbResult<bool> {
    let done = sqlx::query(
        "INSERT INTO plaid_webhooks (plaid_item_id, user_id, webhook_type, webhook_code, payload, dedupe_key)
         VALUES ($1, $2, left($3, 100), left($4, 100), $5, $6)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(item.map(|i| i.0))
    .bind(item.map(|i| i.1))
    .bind(webhook_type)
    .bind(webhook_code)
    .bind(payload)
    .bind(dedupe_key)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookRow {
    pub id: Uuid,
    pub plaid_item_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub webhook_type: String,
    pub webhook_code: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
}

/// Query `webhook_claim`: the oldest due webhook (new, or failed and due again), else
/// one whose processing lease ran out (its node died), leased for `lease_secs`.
pub async fn claim(conn: &mut PgConnection, lease_secs: i64) -> DbResult<Option<WebhookRow>> {
    for due in [
        "SELECT id FROM plaid_webhooks WHERE status IN ('received', 'failed') AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED",
        "SELECT id FROM plaid_webhooks WHERE status = 'processing' AND lease_until < now()
         ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED",
    ] {
        let claimed = sqlx::query_as::<_, WebhookRow>(&format!(
            "UPDATE plaid_webhooks SET status = 'processing', attempts = attempts + 1,
                    lease_until = now() + make_interval(secs => $1)
             WHERE id = ({due})
             RETURNING id, plaid_item_id, user_id, webhook_type, webhook_code, payload, attempts"
        ))
        .bind(lease_secs as f64)
        .fetch_optional(&mut *conn)
        .await?;
        if claimed.is_some() {
            return Ok(claimed);
        }
    }
    Ok(None)
}

pub async fn processed(conn: &mut PgConnection, id: Uuid) -> DbResult<()> {
    sqlx::query(
        "UPDATE plaid_webhooks SET status = 'processed', processed_at = now(), lease_until = NULL, last_error = NULL
         WHERE id = $1",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Processing failed: due again after `retry_in_secs` (Plaid-style backoff is the
/// caller's choice), with the error kept for the Connections page.
pub async fn failed(conn: &mut PgConnection, id: Uuid, error: &str, retry_in_secs: i64) -> DbResult<()> {
    sqlx::query(
        "UPDATE plaid_webhooks SET status = 'failed', lease_until = NULL, last_error = left($2, 2000),
                next_attempt_at = now() + make_interval(secs => $3)
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_in_secs as f64)
    .execute(conn)
    .await?;
    Ok(())
}

/// Webhook health of one item for its owner: received in the last 30 days, failed
/// now, and the latest error.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Health {
    pub received: i64,
    pub failed: i64,
    pub last_error: Option<String>,
}

/// Query `connection_webhooks` (`plaid_webhooks_item_idx`).
pub async fn health(conn: &mut PgConnection, user_id: Uuid, item_id: Uuid) -> DbResult<Health> {
    Ok(sqlx::query_as::<_, Health>(
        "SELECT count(*) AS received,
                count(*) FILTER (WHERE status = 'failed') AS failed,
                (SELECT last_error FROM plaid_webhooks w2 WHERE w2.plaid_item_id = $2 AND w2.user_id = $1
                   AND w2.last_error IS NOT NULL ORDER BY received_at DESC LIMIT 1) AS last_error
         FROM plaid_webhooks WHERE plaid_item_id = $2 AND user_id = $1 AND received_at > now() - interval '30 days'",
    )
    .bind(user_id)
    .bind(item_id)
    .fetch_one(conn)
    .await?)
}
