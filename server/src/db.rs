//! The database: where it is (embedded or `DATABASE_URL`), the one pool, migrations.

use crate::config::Config;
use crate::embedded_pg::{self, EmbeddedPostgres};
use anyhow::{Context, Result, bail};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use std::str::FromStr;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The database Manna talks to, and the embedded cluster behind it if there is one
/// (dropping it stops the cluster when this process supervises it).
pub struct Database {
    pub options: PgConnectOptions,
    pub embedded: Option<EmbeddedPostgres>,
    /// Where it is, for messages: never includes a password.
    pub description: String,
    /// The most connections the pool opens.
    pub pool_size: u32,
}

impl Database {
    /// Resolves the configured database, starting the embedded cluster if needed, and
    /// creates the app database if it does not exist yet.
    pub async fn open(config: &Config) -> Result<Self> {
        match &config.database_url {
            Some(url) => {
                let options =
                    PgConnectOptions::from_str(url.expose()).context("DATABASE_URL is not a valid postgres:// URL")?;
                let description = describe(&options);
                Ok(Database { options, embedded: None, description, pool_size: config.pool_size })
            }
            None => {
                config.prepare_data_dir()?;
                let data_dir = config.data_dir.clone();
                let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&data_dir))
                    .await
                    .context("embedded Postgres start was interrupted")??;
                ensure_database(&pg).await?;
                let options = pg.connect_options(embedded_pg::DATABASE);
                let description = format!("embedded Postgres in {}", config.data_dir.join("pg").display());
                Ok(Database { options, embedded: Some(pg), description, pool_size: config.pool_size })
            }
        }
    }

    /// The pool, built once. Acquiring waits at most 5 s, so a down database fails a
    /// request quickly instead of hanging it; statements time out after 30 s.
    pub async fn pool(&self) -> Result<PgPool> {
        let options = self
            .options
            .clone()
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1))
            .options([("statement_timeout", "30s"), ("lock_timeout", "10s")]);
        // No ping before each acquire: it doubles the round trips of a short query; a
        // connection the server dropped fails its next query once, as a 503.
        PgPoolOptions::new()
            .test_before_acquire(false)
            .max_connections(self.pool_size)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_secs(300))
            .connect_with(options)
            .await
            .map_err(|e| connect_error(&self.description, e))
    }

    /// Stops the embedded cluster (if this process supervises it).
    pub fn shutdown(mut self) -> Result<()> {
        match self.embedded.take() {
            Some(mut pg) => pg.stop(),
            None => Ok(()),
        }
    }
}

/// A one-line reason the database cannot be reached.
pub fn connect_error(description: &str, e: sqlx::Error) -> anyhow::Error {
    let reason = match &e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::PoolTimedOut => "timed out".to_string(),
        other => other.to_string(),
    };
    anyhow::anyhow!("cannot connect to the database ({description}): {reason}")
}

fn describe(options: &PgConnectOptions) -> String {
    let db = options.get_database().unwrap_or("postgres");
    match options.get_socket() {
        Some(socket) => format!("{db} via socket {}", socket.display()),
        None => format!("{db} at {}:{}", options.get_host(), options.get_port()),
    }
}

async fn ensure_database(pg: &EmbeddedPostgres) -> Result<()> {
    let mut conn = pg.connect_options("postgres").connect().await.map_err(|e| connect_error("embedded Postgres", e))?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(embedded_pg::DATABASE)
        .fetch_one(&mut conn)
        .await?;
    if !exists {
        let create = format!("CREATE DATABASE {}", embedded_pg::DATABASE);
        if let Err(e) = sqlx::raw_sql(&create).execute(&mut conn).await {
            // Another process may have created it at the same moment.
            let duplicate = e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "42P04");
            if !duplicate {
                return Err(e).context("cannot create the manna database");
            }
        }
    }
    conn.close().await.ok();
    Ok(())
}

/// Applies pending migrations. Idempotent; safe with several nodes starting at once
/// (sqlx takes an advisory lock).
pub async fn migrate(pool: &PgPool) -> Result<usize> {
    let applied_before = applied_versions(pool).await.unwrap_or_default();
    MIGRATOR.run(pool).await.context("migrations failed")?;
    let applied_after = applied_versions(pool).await?;
    Ok(applied_after.len().saturating_sub(applied_before.len()))
}

async fn applied_versions(pool: &PgPool) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(pool)
        .await?)
}

/// What `manna health-check` and `/readyz` verify.
#[derive(Debug)]
pub struct Health {
    pub server_version: String,
    pub pending_migrations: Vec<i64>,
    pub missing_extensions: Vec<&'static str>,
}

impl Health {
    pub fn is_ok(&self) -> bool {
        self.pending_migrations.is_empty() && self.missing_extensions.is_empty()
    }
}

pub const REQUIRED_EXTENSIONS: [&str; 1] = ["pg_trgm"];

pub async fn health(pool: &PgPool) -> Result<Health> {
    let server_version: String = sqlx::query_scalar("SHOW server_version").fetch_one(pool).await?;
    let applied = applied_versions(pool).await.unwrap_or_default();
    let pending_migrations = MIGRATOR.iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect();
    let installed: Vec<String> = sqlx::query_scalar("SELECT extname::text FROM pg_extension").fetch_all(pool).await?;
    let missing_extensions = REQUIRED_EXTENSIONS.into_iter().filter(|e| !installed.iter().any(|i| i == e)).collect();
    Ok(Health { server_version, pending_migrations, missing_extensions })
}

/// Cheap liveness of the pool for `/readyz`.
pub async fn ping(pool: &PgPool) -> Result<()> {
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(pool).await?;
    if one != 1 {
        bail!("unexpected answer from the database");
    }
    Ok(())
}
