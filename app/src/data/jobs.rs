//! The job queue: background work (Plaid syncs) in Postgres, shared by every app node.
//!
//! A worker claims a due job with `FOR UPDATE SKIP LOCKED` and a lease; a job whose
//! lease ran out (its node died mid-run) is claimed again. The unique indexes allow one
//! queued and one running job per item, so a burst of "sync" requests coalesces and no
//! two nodes run the same item's sync at once.

use super::{DbError, DbResult};
use sqlx::PgConnection;
use uuid::Uuid;

pub const PLAID_SYNC: &str = "plaid_sync";

/// Query `job_enqueue`: asks for a sync of the item; a sync already waiting is the
/// same request (`jobs_one_queued_key`). Returns whether a new job was queued.
pub async fn enqueue_sync(conn: &mut PgConnection, user_id: Uuid, item_id: Uuid) -> DbResult<bool> {
    let done = sqlx::query(
        "INSERT INTO jobs (kind, user_id, plaid_item_id) VALUES ($1, $2, $3)
         ON CONFLICT (kind, plaid_item_id) WHERE status = 'queued' DO NOTHING",
    )
    .bind(PLAID_SYNC)
    .bind(user_id)
    .bind(item_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Query `job_schedule`: queues a sync for every good item not synced for `hours`
/// (a safety net for lost webhooks). Returns how many were queued.
pub async fn enqueue_stale(conn: &mut PgConnection, hours: i64) -> DbResult<u64> {
    let done = sqlx::query(
        "INSERT INTO jobs (kind, user_id, plaid_item_id)
         SELECT $1, p.user_id, p.id FROM plaid_items p
         WHERE p.status IN ('good', 'pending_expiration', 'pending_disconnect')
           AND coalesce(p.last_synced_at, p.created_at) < now() - make_interval(hours => $2::int)
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.plaid_item_id = p.id AND j.status IN ('queued', 'running'))
         ON CONFLICT (kind, plaid_item_id) WHERE status = 'queued' DO NOTHING",
    )
    .bind(PLAID_SYNC)
    .bind(hours)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub user_id: Uuid,
    pub plaid_item_id: Option<Uuid>,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Query `job_claim`: the oldest due job (queued, or running with an expired lease),
/// leased to `node` for `lease_secs`. A queued job whose item already has a live
/// running job waits (the unique index would refuse it anyway).
pub async fn claim(conn: &mut PgConnection, node: &str, lease_secs: i64) -> DbResult<Option<Job>> {
    // An expired lease first becomes queued again (or failed when out of attempts),
    // so the claim below sees one kind of due job.
    sqlx::query(
        "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END::job_status,
                run_at = now(), leased_by = NULL, lease_until = NULL,
                finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
                last_error = coalesce(last_error, 'the node running it stopped (lease expired)')
         WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND lease_until < now() FOR UPDATE SKIP LOCKED)
           AND NOT EXISTS (SELECT 1 FROM jobs q WHERE q.status = 'queued' AND q.kind = jobs.kind
                           AND q.plaid_item_id = jobs.plaid_item_id)",
    )
    .execute(&mut *conn)
    .await?;
    // A lease that ran out while another request was already queued: that one will do.
    sqlx::query(
        "UPDATE jobs SET status = 'failed', finished_at = now(), lease_until = NULL,
                last_error = 'the node running it stopped (lease expired); a newer request replaces it'
         WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND lease_until < now() FOR UPDATE SKIP LOCKED)",
    )
    .execute(&mut *conn)
    .await?;
    let claimed = sqlx::query_as::<_, Job>(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, leased_by = $1,
                lease_until = now() + make_interval(secs => $2), started_at = now(), last_error = NULL
         WHERE id = (
            SELECT j.id FROM jobs j
            WHERE j.status = 'queued' AND j.run_at <= now()
              AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.kind = j.kind
                              AND r.plaid_item_id = j.plaid_item_id)
            ORDER BY j.run_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED)
         RETURNING id, kind, user_id, plaid_item_id, attempts, max_attempts",
    )
    .bind(node)
    .bind(lease_secs as f64)
    .fetch_optional(conn)
    .await;
    match claimed {
        Ok(job) => Ok(job),
        // Another node started this item's job between our check and our update.
        Err(e) => match DbError::from(e) {
            DbError::Conflict(_) => Ok(None),
            other => Err(other),
        },
    }
}

/// The job finished; `outcome` says what it did. Only the node holding the lease may
/// say so: a node whose lease ran out (and whose job another node took) changes
/// nothing. Returns whether this node still held it.
pub async fn finish(conn: &mut PgConnection, id: Uuid, node: &str, outcome: &serde_json::Value) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'done', finished_at = now(), lease_until = NULL, outcome = $3
         WHERE id = $1 AND status = 'running' AND leased_by = $2",
    )
    .bind(id)
    .bind(node)
    .bind(outcome)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The job failed: try again after `retry_in_secs`, or give up (`None`, or out of
/// attempts). A retry goes back to the queue unless another request is already queued.
pub async fn fail(
    conn: &mut PgConnection,
    id: Uuid,
    node: &str,
    error: &str,
    retry_in_secs: Option<i64>,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET
            status = CASE WHEN $3::bigint IS NOT NULL AND attempts < max_attempts
                          AND NOT EXISTS (SELECT 1 FROM jobs q WHERE q.status = 'queued' AND q.kind = jobs.kind
                                          AND q.plaid_item_id = jobs.plaid_item_id)
                          THEN 'queued' ELSE 'failed' END::job_status,
            run_at = now() + make_interval(secs => coalesce($3::bigint, 0)::float8),
            finished_at = CASE WHEN $3::bigint IS NOT NULL AND attempts < max_attempts THEN NULL ELSE now() END,
            lease_until = NULL, leased_by = NULL, last_error = left($2, 2000)
         WHERE id = $1 AND status = 'running' AND leased_by = $4",
    )
    .bind(id)
    .bind(error)
    .bind(retry_in_secs)
    .bind(node)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    // A failed job that could not requeue (another was queued) leaves the queued one.
    sqlx::query("UPDATE jobs SET finished_at = coalesce(finished_at, now()) WHERE id = $1 AND status = 'failed'")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(true)
}

/// Extends a running job's lease (long syncs), if this node still holds it.
pub async fn renew(conn: &mut PgConnection, id: Uuid, node: &str, lease_secs: i64) -> DbResult<()> {
    sqlx::query(
        "UPDATE jobs SET lease_until = now() + make_interval(secs => $2)
         WHERE id = $1 AND status = 'running' AND leased_by = $3",
    )
    .bind(id)
    .bind(lease_secs as f64)
    .bind(node)
    .execute(conn)
    .await?;
    Ok(())
}

/// Query `connection_jobs`: whether an item has a sync waiting or running, and the
/// last finished one's error if it failed.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ItemJobs {
    pub active: bool,
    pub last_error: Option<String>,
}

pub async fn for_item(conn: &mut PgConnection, user_id: Uuid, item_id: Uuid) -> DbResult<ItemJobs> {
    Ok(sqlx::query_as::<_, ItemJobs>(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE plaid_item_id = $2 AND user_id = $1 AND status IN ('queued', 'running')) AS active,
                (SELECT CASE WHEN status = 'failed' THEN last_error END FROM jobs
                 WHERE plaid_item_id = $2 AND user_id = $1 AND status IN ('done', 'failed')
                 ORDER BY finished_at DESC NULLS LAST LIMIT 1) AS last_error",
    )
    .bind(user_id)
    .bind(item_id)
    .fetch_one(conn)
    .await?)
}
