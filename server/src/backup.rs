//! `manna backup FILE` and `manna restore FILE`: the app database in pg_dump's custom
//! format, restored in one transaction (all of it or nothing).

use crate::db::Database;
use anyhow::{Context, Result, bail};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use tokio::process::Command;

/// How Postgres's own tools reach the app database.
pub struct PgTools {
    bin_dir: PathBuf,
    /// A libpq connection URI without the password.
    uri: String,
    password: Option<String>,
}

impl PgTools {
    pub fn new(database: &Database, database_url: Option<&str>) -> Result<Self> {
        match (&database.embedded, database_url) {
            (Some(pg), _) => Ok(PgTools {
                bin_dir: pg.bin_dir().to_path_buf(),
                uri: pg.url(crate::embedded_pg::DATABASE),
                password: None,
            }),
            (None, Some(url)) => {
                let mut parsed = url::Url::parse(url).context("DATABASE_URL is not a valid postgres:// URL")?;
                let password = parsed
                    .password()
                    .map(percent_decode)
                    .transpose()
                    .context("the password in DATABASE_URL is not valid percent-encoding")?;
                // Kept out of the command line, where other users of the machine could read it.
                let _ = parsed.set_password(None);
                Ok(PgTools { bin_dir: crate::embedded_pg::find_bin_dir()?, uri: parsed.to_string(), password })
            }
            (None, None) => bail!("no database configured"),
        }
    }

    fn command(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(tool));
        cmd.env_remove("PGPASSWORD").kill_on_drop(true);
        if let Some(p) = &self.password {
            cmd.env("PGPASSWORD", p);
        }
        cmd
    }
}

fn percent_decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                bail!("bad escape at byte {i}");
            };
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("not UTF-8")
}

/// What a database holds, to print after a backup or restore and to compare the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub users: i64,
    pub accounts: i64,
    pub transactions: i64,
    pub amount_total: rust_decimal::Decimal,
}

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} users, {} accounts, {} transactions (amounts total {})",
            self.users, self.accounts, self.transactions, self.amount_total
        )
    }
}

pub async fn contents(pool: &PgPool) -> Result<Contents> {
    let (users, accounts, transactions, amount_total) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM accounts),
                count(*), coalesce(sum(amount), 0) FROM transactions",
    )
    .fetch_one(pool)
    .await
    .context("cannot read the database's contents")?;
    Ok(Contents { users, accounts, transactions, amount_total })
}

/// Writes the whole app database to `file` (replaced only once the dump is complete).
pub async fn backup(pool: &PgPool, tools: &PgTools, file: &Path) -> Result<Contents> {
    let partial = partial_path(file)?;
    let out = tools
        .command("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(&partial)
        .arg("--dbname")
        .arg(&tools.uri)
        .output()
        .await
        .context("cannot run pg_dump")?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&partial);
        bail!("pg_dump failed: {}", first_error(&out.stderr));
    }
    std::fs::rename(&partial, file).with_context(|| format!("cannot write {}", file.display()))?;
    contents(pool).await
}

fn partial_path(file: &Path) -> Result<PathBuf> {
    let name = file.file_name().with_context(|| format!("{} is not a file name", file.display()))?;
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!("the folder {} does not exist", dir.display());
    }
    let mut partial = name.to_os_string();
    partial.push(".partial");
    Ok(dir.join(partial))
}

/// Replaces the app database with the backup in `file`, in one transaction, then
/// brings its schema up to this version. A database that holds users is replaced
/// only with `force`.
pub async fn restore(pool: &PgPool, tools: &PgTools, file: &Path, force: bool) -> Result<Contents> {
    if !file.is_file() {
        bail!("{} does not exist", file.display());
    }
    let list = tools.command("pg_restore").arg("--list").arg(file).output().await.context("cannot run pg_restore")?;
    let listing = String::from_utf8_lossy(&list.stdout);
    if !list.status.success() || !listing.lines().any(|l| l.contains("TABLE public transactions ")) {
        bail!("{} is not a backup made by `manna backup`", file.display());
    }
    if !force && let Some(users) = existing_users(pool).await? {
        bail!("the database already holds {users} users; a restore replaces all of it: pass --force to go ahead");
    }
    // Roles belong to the cluster, not the dump; the grants in it name this one.
    sqlx::raw_sql(
        "DO $$ BEGIN
             IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'manna_app') THEN CREATE ROLE manna_app NOLOGIN; END IF;
         END $$;
         GRANT manna_app TO CURRENT_USER;",
    )
    .execute(pool)
    .await
    .context("cannot prepare the manna_app role")?;
    let restore = tools
        .command("pg_restore")
        .args(["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"])
        .arg("--dbname")
        .arg(&tools.uri)
        .arg(file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("cannot run pg_restore")?;
    let out = tokio::select! {
        out = restore.wait_with_output() => out.context("pg_restore was interrupted")?,
        blocked = cancel_when_blocked(pool) => {
            blocked?;
            bail!("pg_restore waited more than {} s for a lock someone else holds, nothing was changed: stop the app before restoring", LOCK_PATIENCE.as_secs());
        }
    };
    if !out.status.success() {
        bail!("pg_restore failed, nothing was changed: {}", first_error(&out.stderr));
    }
    crate::db::migrate(pool).await.context("the backup was restored but its schema cannot be brought up to date")?;
    contents(pool).await
}

/// How long a restore may wait for a table another connection holds (the dump sets
/// its own `lock_timeout = 0`, so the server cannot bound it).
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// Returns (having cancelled pg_restore's statement, which rolls its transaction
/// back) once pg_restore has waited for a lock longer than `LOCK_PATIENCE`.
async fn cancel_when_blocked(pool: &PgPool) -> Result<()> {
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let cancelled: Option<bool> = sqlx::query_scalar(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'pg_restore'
               AND wait_event_type = 'Lock' AND now() - state_change > make_interval(secs => $1)
             LIMIT 1",
        )
        .bind(LOCK_PATIENCE.as_secs_f64())
        .fetch_optional(pool)
        .await
        .context("cannot watch the restore")?;
        if cancelled.is_some() {
            return Ok(());
        }
    }
}

/// How many users the database holds, or `None` if it has no Manna schema (or no users).
async fn existing_users(pool: &PgPool) -> Result<Option<i64>> {
    let has_users: bool = sqlx::query_scalar("SELECT to_regclass('public.users') IS NOT NULL").fetch_one(pool).await?;
    if !has_users {
        return Ok(None);
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(pool).await?;
    Ok((n > 0).then_some(n))
}

/// The first line of a tool's complaint, without its name prefix.
fn first_error(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().find(|l| l.contains("error")).or_else(|| text.lines().next()).unwrap_or("no message");
    line.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%2Fw").unwrap(), "p@ss/w");
        assert_eq!(percent_decode("plain").unwrap(), "plain");
        assert!(percent_decode("bad%2").is_err());
        assert!(percent_decode("bad%zz").is_err());
    }

    #[test]
    fn the_partial_file_sits_beside_the_backup() {
        assert_eq!(partial_path(Path::new("manna.dump")).unwrap(), Path::new("./manna.dump.partial"));
        assert!(partial_path(Path::new("/no/such/dir/x.dump")).unwrap_err().to_string().contains("does not exist"));
    }

    #[test]
    fn a_tool_error_is_one_line() {
        let err = b"pg_dump: error: connection to server failed\nDETAIL: more\n";
        assert_eq!(first_error(err), "pg_dump: error: connection to server failed");
    }
}
