//! Background workers on the Postgres queues: Plaid webhooks (`plaid_webhooks`) and
//! jobs (`jobs`: item syncs). Every node runs them; leases and `SKIP LOCKED` keep two
//! nodes off the same row, and a node that dies mid-job loses only its lease.

use app::data::{jobs, webhooks};
use app::plaid::PlaidClient;
use app::plaid::sync::{SyncError, sync_item};
use app::sealing::SealingKey;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// How long a claimed job or webhook is ours before another node may take it.
const LEASE_SECS: i64 = 120;
/// Connections not synced for this long get a sync without waiting for a webhook.
const STALE_HOURS: i64 = 12;
const SCHEDULE_EVERY: Duration = Duration::from_secs(600);

#[derive(Clone)]
pub struct Workers {
    pub pool: PgPool,
    pub plaid: Option<PlaidClient>,
    pub key: SealingKey,
    /// This node's name in `jobs.leased_by`.
    pub node: String,
    /// Wakes the workers early (a webhook arrived, a sync was asked for).
    pub wake: Arc<Notify>,
    pub poll: Duration,
    /// First retry delay of a failed job; ×4 each attempt (Plaid's own webhook rhythm).
    pub retry_base_secs: i64,
}

impl Workers {
    pub fn new(pool: PgPool, plaid: Option<PlaidClient>, key: SealingKey, wake: Arc<Notify>) -> Self {
        let retry_base_secs =
            std::env::var("MANNA_JOB_RETRY_SECS").ok().and_then(|v| v.parse().ok()).filter(|s| *s >= 0).unwrap_or(30);
        Workers { pool, plaid, key, node: node_name(), wake, poll: Duration::from_millis(500), retry_base_secs }
    }

    /// Starts the webhook and job loops; they stop taking work when `stop` turns true
    /// and finish what they hold.
    pub fn spawn(self, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        if self.plaid.is_none() {
            return Vec::new();
        }
        let hooks = {
            let w = self.clone();
            let stop = stop.clone();
            tokio::spawn(async move { w.run(stop, Queue::Webhooks).await })
        };
        let jobs = tokio::spawn(async move { self.run(stop, Queue::Jobs).await });
        vec![hooks, jobs]
    }

    async fn run(self, mut stop: watch::Receiver<bool>, queue: Queue) {
        let mut next_schedule = tokio::time::Instant::now();
        loop {
            if *stop.borrow() {
                return;
            }
            if matches!(queue, Queue::Jobs) && tokio::time::Instant::now() >= next_schedule {
                next_schedule += SCHEDULE_EVERY;
                if let Err(e) = self.schedule_stale().await {
                    tracing::warn!(error = %e, "worker: scheduling stale syncs failed");
                }
            }
            let worked = match queue {
                Queue::Webhooks => self.webhook_once().await,
                Queue::Jobs => self.job_once().await,
            };
            match worked {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, ?queue, "worker: database error; retrying shortly"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Queues a sync for items not synced for `STALE_HOURS` (webhooks can be lost).
    pub async fn schedule_stale(&self) -> Result<u64, app::data::DbError> {
        let mut conn = self.pool.acquire().await?;
        let queued = jobs::enqueue_stale(&mut conn, STALE_HOURS).await?;
        if queued > 0 {
            tracing::info!(queued, "syncs queued for connections not synced in {STALE_HOURS} h");
        }
        Ok(queued)
    }

    /// Processes one due webhook; `false` when none was due.
    pub async fn webhook_once(&self) -> Result<bool, app::data::DbError> {
        let claimed = {
            let mut conn = self.pool.acquire().await?;
            webhooks::claim(&mut conn, LEASE_SECS).await?
        };
        let Some(hook) = claimed else { return Ok(false) };
        match app::plaid::events::process(&self.pool, &hook).await {
            Ok(action) => {
                tracing::info!(code = %hook.webhook_code, ?action, "webhook processed");
                if matches!(action, app::plaid::events::Action::Sync | app::plaid::events::Action::Repaired) {
                    self.wake.notify_waiters();
                }
            }
            Err(e) => {
                let delay = backoff(30, hook.attempts).min(3600);
                tracing::warn!(error = %e, attempts = hook.attempts, "webhook processing failed; retry in {delay}s");
                let mut conn = self.pool.acquire().await?;
                webhooks::failed(&mut conn, hook.id, &e.to_string(), delay).await?;
            }
        }
        Ok(true)
    }

    /// Runs one due job; `false` when none was due.
    pub async fn job_once(&self) -> Result<bool, app::data::DbError> {
        let Some(plaid) = &self.plaid else { return Ok(false) };
        let claimed = {
            let mut conn = self.pool.acquire().await?;
            jobs::claim(&mut conn, &self.node, LEASE_SECS).await?
        };
        let Some(job) = claimed else { return Ok(false) };
        let Some(item_id) = job.plaid_item_id else {
            let mut conn = self.pool.acquire().await?;
            jobs::fail(&mut conn, job.id, &self.node, "a sync job without an item", None).await?;
            return Ok(true);
        };
        // Keep the lease while the sync runs.
        let renewer = {
            let pool = self.pool.clone();
            let id = job.id;
            let node = self.node.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs((LEASE_SECS / 3) as u64)).await;
                    if let Ok(mut conn) = pool.acquire().await {
                        let _ = jobs::renew(&mut conn, id, &node, LEASE_SECS).await;
                    }
                }
            })
        };
        let result = sync_item(&self.pool, plaid, &self.key, item_id).await;
        renewer.abort();
        let mut conn = self.pool.acquire().await?;
        match result {
            Ok(outcome) => {
                tracing::info!(item = %item_id, ?outcome, "sync done");
                let outcome = serde_json::to_value(&outcome).unwrap_or_default();
                if !jobs::finish(&mut conn, job.id, &self.node, &outcome).await? {
                    tracing::warn!(item = %item_id, "sync finished after this node lost its lease");
                }
            }
            Err(e) => {
                let retry = e.is_transient().then(|| backoff(self.retry_base_secs, job.attempts));
                tracing::warn!(item = %item_id, error = %e, ?retry, "sync failed");
                if !jobs::fail(&mut conn, job.id, &self.node, &failure_text(&e), retry).await? {
                    tracing::warn!(item = %item_id, "sync failed after this node lost its lease");
                }
            }
        }
        Ok(true)
    }
}

#[derive(Debug, Clone, Copy)]
enum Queue {
    Webhooks,
    Jobs,
}

/// `base`, then ×4 per attempt after the first.
fn backoff(base: i64, attempts: i32) -> i64 {
    let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(8);
    base.saturating_mul(4i64.saturating_pow(exponent))
}

/// What the Connections page shows for a failed sync.
fn failure_text(e: &SyncError) -> String {
    match e {
        SyncError::Plaid(p) => p.user_message(),
        other => other.to_string(),
    }
}

fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}:{}:{:08x}", host.trim(), std::process::id(), rand::random::<u32>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_fourfold() {
        assert_eq!(super::backoff(30, 1), 30);
        assert_eq!(super::backoff(30, 2), 120);
        assert_eq!(super::backoff(30, 3), 480);
        assert_eq!(super::backoff(0, 5), 0);
    }
}
