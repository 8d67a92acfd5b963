//! What the benchmarks share: the seeded database, a signed-in session, and
//! sequential latency sampling with percentiles.

// Each benchmark uses a part of this module.
#![allow(dead_code)]

use manna_server::embedded_pg::EmbeddedPostgres;
use manna_server::seed::{DEMO_EMAIL, DEMO_PASSWORD, SeedOptions};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::{Duration, Instant};

pub const USERS: u32 = 10;
pub const TRANSACTIONS: u64 = 1_000_000;

pub struct Figures {
    pub name: String,
    pub times: Vec<Duration>,
}

impl Figures {
    pub fn pct(&self, p: f64) -> f64 {
        let mut t = self.times.clone();
        t.sort();
        let i = ((t.len() as f64 * p).ceil() as usize).clamp(1, t.len()) - 1;
        t[i].as_secs_f64() * 1000.0
    }
}

/// Runs a benchmark on the two-worker runtime every benchmark uses.
pub fn run_on_runtime<F: std::future::Future<Output = anyhow::Result<()>>>(bench: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?.block_on(bench)
}

/// Deletes the users a benchmark made (their emails end in `domain`), with their data.
pub async fn delete_users(pool: &PgPool, domain: &str) -> anyhow::Result<()> {
    let deleted = sqlx::query("DELETE FROM users WHERE email LIKE '%' || $1").bind(domain).execute(pool).await?;
    if deleted.rows_affected() > 0 {
        // Reclaim the deleted rows now: left to autovacuum, the dead tuples of earlier
        // runs bloat the indexes and slow every later run (4.6M dead rows seen).
        sqlx::query("VACUUM (ANALYZE) transactions").execute(pool).await?;
        // Rows inserted in the middle of the indexes' key ranges (a new user's) split
        // pages that stay half empty once the rows go, which VACUUM cannot give back:
        // over a dozen 100,000-row import runs the indexes grew sixfold (user_date
        // 107 -> 637 MB, search trigrams 49 -> 644 MB) and later runs wrote half as fast.
        // Rebuilt, the next run measures the database as seeded, like the first one did.
        sqlx::query("REINDEX TABLE transactions").execute(pool).await?;
    }
    Ok(())
}

/// The seeded database: 1,000,000 transactions over 10 users, seeded on first use and
/// kept for later runs. Returns the pool and the cluster (if we started one).
pub async fn seeded_database() -> anyhow::Result<(PgPool, Option<EmbeddedPostgres>)> {
    let (pool, cluster) = database().await?;
    manna_server::db::migrate(&pool).await?;
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(&pool).await?;
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&pool).await?;
    if have < TRANSACTIONS as i64 || users != USERS as i64 {
        eprintln!("seeding {TRANSACTIONS} transactions over {USERS} users (once; kept for later runs)…");
        let opts = SeedOptions { users: USERS, transactions: TRANSACTIONS, seed: 7, reset: true, progress: true };
        manna_server::seed::seed(&pool, &opts).await?;
        sqlx::query("ANALYZE").execute(&pool).await?;
    }
    Ok((pool, cluster))
}

/// Signs the demo user in over HTTP; returns the Cookie header value.
pub async fn sign_in(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let signed_in = client
        .post(format!("{base}/api/sign_in"))
        .header("origin", base)
        .header("accept", "application/json")
        .form(&[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD)])
        .send()
        .await?;
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ");
    anyhow::ensure!(!cookie.is_empty(), "sign-in gave no session cookie ({})", signed_in.status());
    Ok(cookie)
}

/// The database: `DATABASE_URL`, or a cluster of our own kept under target/tmp.
async fn database() -> anyhow::Result<(PgPool, Option<EmbeddedPostgres>)> {
    // As the app's pool (server/src/db.rs, its default size); `BENCH_POOL` tries another.
    let size: u32 = std::env::var("BENCH_POOL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(manna_server::config::default_pool_size);
    let opts =
        |o: PgConnectOptions| PgPoolOptions::new().test_before_acquire(false).max_connections(size).connect_with(o);
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return Ok((opts(PgConnectOptions::from_str(&url)?).await?, None));
    }
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-pg");
    manna_server::config::prepare_data_dir(&dir)?;
    let pg = EmbeddedPostgres::start(&dir)?;
    let admin = opts(pg.connect_options("postgres")).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'bench')")
        .fetch_one(&admin)
        .await?;
    if !exists {
        sqlx::raw_sql("CREATE DATABASE bench").execute(&admin).await?;
    }
    admin.close().await;
    Ok((opts(pg.connect_options("bench")).await?, Some(pg)))
}

pub async fn measure<F, Fut>(name: &str, n: usize, call: F) -> anyhow::Result<Figures>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..n.min(50) {
        call().await?; // warm caches and the pool
    }
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        call().await?;
        times.push(started.elapsed());
    }
    let f = Figures { name: name.to_string(), times };
    eprintln!("{name}: p50 {:.2} ms", f.pct(0.5));
    Ok(f)
}

/// Server-side latency: from the moment the router has the request to the moment the
/// server is done with the response (its body dropped once the last byte is handed to
/// the socket). The client's own work (building the request, reading and checking
/// the body) and the loopback are not in it; the issue asks for server-side figures.
#[derive(Clone, Default)]
pub struct ServerClock(std::sync::Arc<std::sync::Mutex<Vec<Duration>>>);

/// Records its request's duration when dropped, i.e. when the response body is.
struct Stopwatch {
    started: Instant,
    clock: ServerClock,
}

impl Drop for Stopwatch {
    fn drop(&mut self) {
        if let Ok(mut times) = self.clock.0.lock() {
            times.push(self.started.elapsed());
        }
    }
}

impl ServerClock {
    /// Wraps `router` so every request it serves is timed.
    pub fn layer(&self, router: axum::Router) -> axum::Router {
        let clock = self.clone();
        router.layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let watch = Stopwatch { started: Instant::now(), clock: clock.clone() };
            async move {
                use http_body_util::BodyExt;
                let (parts, body) = next.run(req).await.into_parts();
                // The closure owns the stopwatch, so it stops when the body is dropped.
                let body = body.map_frame(move |frame| {
                    let _ = &watch;
                    frame
                });
                axum::response::Response::from_parts(parts, axum::body::Body::new(body))
            }
        }))
    }

    /// The durations recorded since the last call (which forgets them).
    pub fn take(&self) -> Vec<Duration> {
        self.0.lock().map(|mut t| std::mem::take(&mut *t)).unwrap_or_default()
    }
}

/// Like `measure`, for HTTP calls: the client-observed figures, and the server-side
/// ones of the same requests from `clock`.
pub async fn measure_http<F, Fut>(name: &str, n: usize, clock: &ServerClock, call: F) -> anyhow::Result<[Figures; 2]>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    clock.take();
    let mut client = measure(name, n, call).await?;
    // The last body may be dropped a moment after the client has read it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut server = clock.take();
    // `measure` warms up first, one request at a time: those come first.
    let warm_up = server.len().saturating_sub(n);
    anyhow::ensure!(warm_up == n.min(50), "{name}: {} server timings for {n} requests", server.len());
    server.drain(..warm_up);
    client.name = format!("{name}, client-observed");
    let server = Figures { name: format!("{name}, server-side"), times: server };
    eprintln!("{name}: p50 {:.2} ms server-side", server.pct(0.5));
    Ok([server, client])
}
