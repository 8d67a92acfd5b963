//! The command line: `manna [COMMAND]`. Every command exits 0 on success and 1 with a
//! one-line `error:` on failure (2 for bad usage, from clap).

use crate::config::Config;
use crate::db::{self, Database};
use crate::{maintenance, seed, startup};
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;

#[derive(Debug, Parser)]
#[command(name = "manna", version, about = "Manna: self-hosted money management", long_about = None)]
#[command(
    after_help = "Environment: DATABASE_URL (unset: embedded Postgres in the data dir), MANNA_ADDR (default 127.0.0.1:3000), MANNA_DATA_DIR (default ./.manna), MANNA_SECRET_KEY (default: generated into the data dir)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app (the default command)
    Serve,
    /// Create the database (and the embedded cluster if used) and apply migrations
    InitDb,
    /// Apply pending migrations
    Migrate,
    /// Load deterministic demo data
    SeedDb {
        /// Number of users (the first is demo@manna.local)
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        users: u32,
        /// Total number of transactions across all users
        #[arg(long, default_value_t = 5_000)]
        transactions: u64,
        /// Random seed: the same seed gives the same data
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Delete previously seeded users (…@manna.local) first
        #[arg(long)]
        reset: bool,
    },
    /// Prepare a development database: init, migrate, and optionally seed demo data
    SetupDev {
        /// Seed demo data if there is none yet
        #[arg(long)]
        include_data: bool,
        /// Transactions to seed with --include-data
        #[arg(long, default_value_t = 5_000)]
        transactions: u64,
    },
    /// Check the database is reachable, migrated and has its extensions (exit 1 if not)
    HealthCheck,
    /// Create missing or invalid indexes, concurrently (idempotent)
    CreateIndexes,
    /// EXPLAIN ANALYZE the hot queries: plan, index used, time
    AnalyzePerformance,
    /// VACUUM ANALYZE every table and report bloat
    OptimizeDb,
    /// Print the connection URL of the embedded database (for psql)
    DbUrl,
    /// Write the whole database to FILE (pg_dump custom format)
    Backup {
        /// Where to write the backup (replaced only once it is complete)
        file: std::path::PathBuf,
    },
    /// Replace the database with a backup, in one transaction; stop the app first
    Restore {
        /// A file written by `manna backup`
        file: std::path::PathBuf,
        /// Replace a database that already holds users
        #[arg(long)]
        force: bool,
    },
    /// Check or trim the audit trail
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The categorizer
    #[command(subcommand)]
    Ml(MlCommand),
    /// Reports from the command line
    #[command(subcommand)]
    Report(ReportCommand),
    /// Import a bank statement file (OFX, QFX, QIF or CSV) into an account, as one batch
    Import {
        /// The statement file
        file: std::path::PathBuf,
        /// The account to import into (its id)
        #[arg(long)]
        account: uuid::Uuid,
        /// ofx, qfx, qif or csv (default: detected)
        #[arg(long)]
        format: Option<String>,
        /// How dates like 01/02/2024 read: mdy, dmy or ymd (QIF and CSV)
        #[arg(long)]
        date_order: Option<String>,
        /// Read and match only; write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Bank connections (Plaid)
    #[command(subcommand)]
    Plaid(crate::plaid_cli::PlaidCommand),
    /// Secrets at rest
    #[command(subcommand)]
    Secrets(crate::plaid_cli::SecretsCommand),
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Generate a report for a user and write it as CSV (a zip of one CSV per table), XLSX or PDF
    Export {
        /// The user (email)
        #[arg(long)]
        user: String,
        /// profit_loss, balance_sheet, cash_flow, category_analysis, spending_trends, tax_summary, budget_variance
        #[arg(long = "type")]
        kind: String,
        /// First day (YYYY-MM-DD)
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD)
        #[arg(long)]
        to: String,
        /// personal, business or all
        #[arg(long, default_value = "all")]
        scope: String,
        /// The budget a budget_variance report measures (its id)
        #[arg(long, default_value = "")]
        budget: String,
        /// csv, xlsx or pdf
        #[arg(long)]
        format: String,
        /// Where to write the file ("-" for standard output)
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum MlCommand {
    /// Held-out quality per user: train on older rows, test on newer (accuracy, macro-F1, coverage)
    Evaluate {
        /// Only this user (email)
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; exit 1 at the first row that does not hold
    Verify,
    /// Delete entries older than a number of days (retention)
    Prune {
        /// Age in days
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        older_than: u32,
    },
}

pub async fn run(cli: Cli) -> Result<()> {
    let config = Config::from_env()?;
    let progress = std::io::stderr().is_terminal();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::InitDb => {
            config.prepare_data_dir()?;
            crate::config::secret_key(&config.data_dir)?;
            with_pool(&config, |pool| async move {
                let applied = db::migrate(&pool).await?;
                println!("database ready ({applied} migrations applied)");
                Ok(())
            })
            .await
        }
        Command::Migrate => {
            with_pool(&config, |pool| async move {
                let applied = db::migrate(&pool).await?;
                println!("{applied} migrations applied; schema is current");
                Ok(())
            })
            .await
        }
        Command::SeedDb { users, transactions, seed: s, reset } => {
            with_pool(&config, |pool| async move {
                db::migrate(&pool).await?;
                let opts = seed::SeedOptions { users, transactions, seed: s, reset, progress };
                let report = seed::seed(&pool, &opts).await?;
                print_seed(&report);
                Ok(())
            })
            .await
        }
        Command::SetupDev { include_data, transactions } => {
            with_pool(&config, |pool| async move {
                let applied = db::migrate(&pool).await?;
                println!("schema is current ({applied} migrations applied)");
                if include_data {
                    if seed::demo_user_exists(&pool).await? {
                        println!("demo data already present ({})", seed::DEMO_EMAIL);
                    } else {
                        let opts = seed::SeedOptions { users: 1, transactions, seed: 42, reset: false, progress };
                        let report = seed::seed(&pool, &opts).await?;
                        print_seed(&report);
                    }
                }
                Ok(())
            })
            .await
        }
        Command::HealthCheck => {
            with_pool(&config, |pool| async move {
                let health = db::health(&pool).await?;
                println!("database: reachable (PostgreSQL {})", health.server_version);
                if health.pending_migrations.is_empty() {
                    println!("migrations: current");
                } else {
                    println!(
                        "migrations: {} pending ({:?}); run `manna migrate`",
                        health.pending_migrations.len(),
                        health.pending_migrations
                    );
                }
                if health.missing_extensions.is_empty() {
                    println!("extensions: present ({})", db::REQUIRED_EXTENSIONS.join(", "));
                } else {
                    println!("extensions: missing {:?}", health.missing_extensions);
                }
                if !health.is_ok() {
                    bail!("the database is reachable but not ready");
                }
                Ok(())
            })
            .await
        }
        Command::CreateIndexes => {
            with_pool(&config, |pool| async move {
                let (created, rebuilt) = maintenance::create_indexes(&pool, progress).await?;
                println!("indexes: {created} created, {rebuilt} rebuilt, the rest already valid");
                Ok(())
            })
            .await
        }
        Command::AnalyzePerformance => {
            with_pool(&config, |pool| async move {
                print!("{}", maintenance::analyze_performance(&pool).await?);
                Ok(())
            })
            .await
        }
        Command::OptimizeDb => {
            with_pool(&config, |pool| async move {
                print!("{}", maintenance::optimize(&pool, progress).await?);
                Ok(())
            })
            .await
        }
        Command::Audit(AuditCommand::Verify) => {
            with_pool(&config, |pool| async move {
                match crate::audit::verify(&pool).await? {
                    crate::audit::Verdict::Intact { rows } => {
                        println!("audit trail intact: {rows} entries");
                        Ok(())
                    }
                    crate::audit::Verdict::Broken { seq, reason } => {
                        bail!("audit trail broken at entry {seq}: {reason}")
                    }
                }
            })
            .await
        }
        Command::Audit(AuditCommand::Prune { older_than }) => {
            with_pool(&config, |pool| async move {
                let n = crate::audit::prune(&pool, older_than).await?;
                println!("deleted {n} audit entries older than {older_than} days");
                Ok(())
            })
            .await
        }
        Command::Ml(MlCommand::Evaluate { user }) => {
            with_pool(&config, |pool| async move {
                print!("{}", crate::ml::evaluate(&pool, user.as_deref()).await?);
                Ok(())
            })
            .await
        }
        Command::Report(ReportCommand::Export { user, kind, from, to, scope, budget, format, out }) => {
            with_pool(&config, |pool| async move {
                let format = crate::report_export::Format::parse(&format)
                    .ok_or_else(|| anyhow::anyhow!("--format is csv, xlsx or pdf"))?;
                let user_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE lower(email) = lower($1)")
                    .bind(&user)
                    .fetch_optional(&pool)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no user {user}"))?;
                let params = app::reports::ssr::parse_params(&kind, &from, &to, &scope, &budget)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let mut tx = app::data::user_tx(&pool, user_id).await?;
                let report =
                    app::reports::ssr::build(&mut tx, user_id, &params).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                tx.commit().await?;
                let generated = format!("Generated {}", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"));
                let bytes = crate::report_export::render(&report, format, &generated)?;
                if out.as_os_str() == "-" {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                } else {
                    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
                    for (name, value) in &report.headline {
                        eprintln!("{name}: {value}");
                    }
                    eprintln!("wrote {} ({} bytes)", out.display(), bytes.len());
                }
                Ok(())
            })
            .await
        }
        Command::Import { file, account, format, date_order, dry_run } => {
            let args = crate::import_cli::ImportArgs { file, account, format, date_order, dry_run, progress };
            with_pool(&config, |pool| crate::import_cli::run(pool, args)).await
        }
        Command::Plaid(command) => {
            let key = crate::config::sealing_key(&config.data_dir)?;
            with_pool(&config, |pool| crate::plaid_cli::plaid(pool, key, command, progress)).await
        }
        Command::Secrets(command) => {
            let key = crate::config::sealing_key(&config.data_dir)?;
            with_pool(&config, |pool| crate::plaid_cli::secrets(pool, key, command)).await
        }
        Command::Backup { file } => {
            with_pg_tools(&config, |tools, pool| async move {
                let contents = crate::backup::backup(&pool, &tools, &file).await?;
                let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
                println!("backed up {contents} to {} ({:.1} MB)", file.display(), size as f64 / 1e6);
                Ok(())
            })
            .await
        }
        Command::Restore { file, force } => {
            with_pg_tools(&config, |tools, pool| async move {
                let contents = crate::backup::restore(&pool, &tools, &file, force).await?;
                println!("restored {contents} from {}", file.display());
                Ok(())
            })
            .await
        }
        Command::DbUrl => {
            if config.database_url.is_some() {
                bail!("DATABASE_URL is set: Manna uses that server, not the embedded one");
            }
            let database = Database::open(&config).await?;
            if let Some(pg) = &database.embedded {
                println!("{}", pg.url(crate::embedded_pg::DATABASE));
            }
            // Keep the cluster up for the caller only if another manna supervises it.
            database.shutdown()
        }
    }
}

fn print_seed(r: &seed::SeedReport) {
    println!(
        "seeded {} users, {} accounts, {} transactions ({} ML predictions) in {:.1} s; sign in as {} / {}",
        r.users,
        r.accounts,
        r.transactions,
        r.predictions,
        r.seconds,
        seed::DEMO_EMAIL,
        seed::DEMO_PASSWORD
    );
}

/// Opens the database, runs `f` with a pool, and always shuts the embedded cluster
/// down afterwards (when this process started it).
async fn with_pool<F, Fut>(config: &Config, f: F) -> Result<()>
where
    F: FnOnce(sqlx::PgPool) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    with_database(config, |_| Ok(()), |(), pool| f(pool)).await
}

/// Like `with_pool`, for commands that run Postgres's own tools on the database too.
async fn with_pg_tools<F, Fut>(config: &Config, f: F) -> Result<()>
where
    F: FnOnce(crate::backup::PgTools, sqlx::PgPool) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let url = config.database_url.as_ref().map(|u| u.expose().as_str());
    with_database(config, |database| crate::backup::PgTools::new(database, url), f).await
}

/// Opens the database, learns what `prepare` needs of it, runs `f` with that and a
/// pool, and always shuts the embedded cluster down afterwards.
async fn with_database<T, F, Fut>(config: &Config, prepare: impl FnOnce(&Database) -> Result<T>, f: F) -> Result<()>
where
    F: FnOnce(T, sqlx::PgPool) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let database = Database::open(config).await?;
    let result = match prepare(&database) {
        Ok(prepared) => match database.pool().await {
            Ok(pool) => {
                let r = f(prepared, pool.clone()).await;
                pool.close().await;
                r
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let stopped = database.shutdown();
    result.and(stopped)
}

async fn serve(config: &Config) -> Result<()> {
    // Check the port first: failing after starting Postgres would be slow and confusing.
    let probe = std::net::TcpListener::bind(config.addr)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
    drop(probe);
    config.prepare_data_dir()?;
    let sealing_key = crate::config::sealing_key(&config.data_dir)?;
    let database = Database::open(config).await?;
    let result = async {
        let pool = database.pool().await?;
        let applied = db::migrate(&pool).await?;
        if applied > 0 {
            tracing::info!(applied, "migrations applied");
        }
        let state = startup::AppState::new(pool.clone(), config.addr, [0; 32]).with_sealing_key(sealing_key);
        let served = startup::serve(state, config.addr).await;
        pool.close().await;
        served
    }
    .await;
    let stopped = database.shutdown();
    result.and(stopped)
}
