//! `manna audit verify` and `manna audit prune`: checking and trimming the hash chain.

use anyhow::{Context, Result, bail};
use sqlx::PgPool;

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        rows: i64,
    },
    /// The first row whose hash or link does not hold.
    Broken {
        seq: i64,
        reason: String,
    },
}

/// Recomputes every row's hash (with the database's own `manna_audit_hash`) and checks
/// each row links to the one before it. The oldest row is the anchor: after pruning,
/// it points at a row that no longer exists.
pub async fn verify(pool: &PgPool) -> Result<Verdict> {
    let broken: Option<(i64, bool, bool)> = sqlx::query_as(
        "SELECT seq, hash_ok, link_ok FROM (
             SELECT seq,
                    manna_audit_hash(a, a.previous_hash) = a.row_hash AS hash_ok,
                    (row_number() OVER w = 1
                     OR a.previous_hash IS NOT DISTINCT FROM lag(a.row_hash) OVER w) AS link_ok
             FROM audit_logs a
             WINDOW w AS (ORDER BY seq)
         ) x
         WHERE NOT hash_ok OR NOT link_ok
         ORDER BY seq LIMIT 1",
    )
    .fetch_optional(pool)
    .await
    .context("reading the audit trail")?;
    Ok(match broken {
        None => Verdict::Intact { rows: sqlx::query_scalar("SELECT count(*) FROM audit_logs").fetch_one(pool).await? },
        Some((seq, hash_ok, _)) => Verdict::Broken {
            seq,
            reason: if hash_ok {
                "it does not follow the row before it (a row was removed or inserted)".into()
            } else {
                "its contents do not match its hash (the row was edited)".into()
            },
        },
    })
}

/// Deletes entries older than `days` days, oldest first, in one transaction.
pub async fn prune(pool: &PgPool, days: u32) -> Result<u64> {
    if days == 0 {
        bail!("--older-than must be at least 1 day");
    }
    let mut tx = app::data::begin(pool).await?;
    sqlx::raw_sql("SET LOCAL manna.audit_prune = 'on'").execute(&mut *tx).await?;
    let deleted = sqlx::query("DELETE FROM audit_logs WHERE created_at < now() - make_interval(days => $1)")
        .bind(days as i32)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(deleted)
}
