//! `manna plaid …` and `manna secrets …`.

use anyhow::{Context, Result, anyhow, bail};
use app::plaid::{PlaidClient, PlaidConfig};
use app::sealing::SealingKey;
use clap::Subcommand;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Subcommand)]
pub enum PlaidCommand {
    /// Sync bank connections now (all, one user's, or one item), through the job queue
    Sync {
        /// Only this user's connections (email)
        #[arg(long)]
        user: Option<String>,
        /// Only this connection (its id)
        #[arg(long)]
        item: Option<Uuid>,
    },
    /// List bank connections with their status and last sync
    Status,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-encrypt every stored secret (Plaid tokens, TOTP secrets) under the current key
    Reseal,
}

pub async fn plaid(pool: PgPool, key: SealingKey, command: PlaidCommand, progress: bool) -> Result<()> {
    match command {
        PlaidCommand::Status => status(&pool).await,
        PlaidCommand::Sync { user, item } => {
            let config = PlaidConfig::from_env().map_err(|e| anyhow!(e))?.context(
                "Plaid is not configured: set PLAID_CLIENT_ID and PLAID_SECRET (and PLAID_ENV or PLAID_BASE_URL)",
            )?;
            let client = PlaidClient::new(config)?;
            sync(&pool, client, key, user.as_deref(), item, progress).await
        }
    }
}

#[derive(sqlx::FromRow)]
struct ItemLine {
    id: Uuid,
    user_id: Uuid,
    email: String,
    institution: Option<String>,
    status: String,
    last_synced_at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn items(pool: &PgPool, user: Option<&str>, item: Option<Uuid>) -> Result<Vec<ItemLine>> {
    Ok(sqlx::query_as::<_, ItemLine>(
        "SELECT p.id, p.user_id, u.email::text AS email, i.name AS institution, p.status::text AS status, p.last_synced_at
         FROM plaid_items p JOIN users u ON u.id = p.user_id LEFT JOIN institutions i ON i.id = p.institution_id
         WHERE ($1::text IS NULL OR lower(u.email) = lower($1)) AND ($2::uuid IS NULL OR p.id = $2)
         ORDER BY u.email, p.created_at",
    )
    .bind(user)
    .bind(item)
    .fetch_all(pool)
    .await?)
}

async fn status(pool: &PgPool) -> Result<()> {
    let lines = items(pool, None, None).await?;
    if lines.is_empty() {
        println!("no bank connections");
    }
    for l in lines {
        let last =
            l.last_synced_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into());
        println!("{}  {}  {}  {}  last sync {last}", l.id, l.email, l.institution.as_deref().unwrap_or("?"), l.status);
    }
    Ok(())
}

async fn sync(
    pool: &PgPool,
    client: PlaidClient,
    key: SealingKey,
    user: Option<&str>,
    item: Option<Uuid>,
    progress: bool,
) -> Result<()> {
    let lines = items(pool, user, item).await?;
    if lines.is_empty() {
        bail!("no bank connection matches");
    }
    let mut queued = Vec::new();
    for l in &lines {
        if matches!(l.status.as_str(), "login_required" | "revoked") {
            eprintln!("skipped {} ({}): {} — fix it on the Connections page", l.id, l.email, l.status);
            continue;
        }
        let mut conn = pool.acquire().await?;
        app::data::jobs::enqueue_sync(&mut conn, l.user_id, l.id).await?;
        queued.push(l.id);
    }
    let bar =
        if progress { indicatif::ProgressBar::new(queued.len() as u64) } else { indicatif::ProgressBar::hidden() };
    bar.set_message("syncing");
    // The same worker the server runs: a sync another node is running waits its turn.
    let workers = crate::workers::Workers::new(pool.clone(), Some(client), key, Default::default());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        while workers.job_once().await? {
            bar.inc(1);
        }
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE plaid_item_id = ANY($1) AND status IN ('queued', 'running') AND run_at <= now()",
        )
        .bind(&queued)
        .fetch_one(pool)
        .await?;
        if open == 0 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    bar.finish_and_clear();
    let mut failed = 0;
    for id in &queued {
        let (status, outcome, error): (String, Option<serde_json::Value>, Option<String>) = sqlx::query_as(
            "SELECT status::text, outcome, last_error FROM jobs WHERE plaid_item_id = $1 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(id)
        .fetch_one(pool)
        .await?;
        match (status.as_str(), outcome) {
            ("done", Some(o)) => println!(
                "{id}: synced: {} added, {} modified, {} removed ({} pages)",
                o["applied"]["added"], o["applied"]["modified"], o["applied"]["removed"], o["pages"]
            ),
            _ => {
                failed += 1;
                println!("{id}: {status}: {}", error.unwrap_or_default());
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} connections did not sync", queued.len());
    }
    Ok(())
}

pub async fn secrets(pool: PgPool, key: SealingKey, command: SecretsCommand) -> Result<()> {
    match command {
        SecretsCommand::Reseal => {
            let mut tx = app::data::begin(&pool).await?;
            let mut resealed = 0;
            for (id, sealed) in app::data::plaid::sealed_tokens(&mut tx).await? {
                if key.is_stale(&sealed) {
                    let plain = key.open(&sealed).map_err(|e| anyhow!("Plaid item {id}: {e}"))?;
                    app::data::plaid::reseal_token(&mut tx, id, &key.seal(&plain), i16::from(key.key_id())).await?;
                    resealed += 1;
                }
            }
            for column in ["totp_secret_encrypted", "totp_pending_encrypted"] {
                let rows: Vec<(Uuid, Vec<u8>)> =
                    sqlx::query_as(&format!("SELECT id, {column} FROM users WHERE {column} IS NOT NULL FOR UPDATE"))
                        .fetch_all(&mut *tx)
                        .await?;
                for (id, sealed) in rows {
                    if key.is_stale(&sealed) {
                        let plain = key.open(&sealed).map_err(|e| anyhow!("user {id} ({column}): {e}"))?;
                        sqlx::query(&format!("UPDATE users SET {column} = $2 WHERE id = $1"))
                            .bind(id)
                            .bind(key.seal(&plain))
                            .execute(&mut *tx)
                            .await?;
                        resealed += 1;
                    }
                }
            }
            tx.commit().await?;
            println!("resealed {resealed} secrets under key {}", key.key_id());
            Ok(())
        }
    }
}
