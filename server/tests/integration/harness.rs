//! Test harness: one local Postgres cluster for the whole run (under target/tmp, or
//! MANNA_TEST_PG_DIR), and a fresh database per test cloned from a migrated template.

use manna_server::db::MIGRATOR;
use manna_server::embedded_pg::EmbeddedPostgres;
use manna_server::startup::{AppState, router};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use std::net::SocketAddr;
use std::sync::OnceLock;
use uuid::Uuid;

static CLUSTER: OnceLock<EmbeddedPostgres> = OnceLock::new();
static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
/// One app alive at a time in this process. Leptos 0.8.23 SSR, with two apps rendering
/// at once in one process (each test has its own runtime), now and then never sends a
/// resolved `<Transition>` chunk: the response stalls after its shell (reproduced with
/// 8,000 requests of the 404 page beside other tests; never with one app alone, even
/// under CPU load). Production runs one app per process, so tests do too.
static APP_SLOT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

pub fn cluster() -> &'static EmbeddedPostgres {
    CLUSTER.get_or_init(|| {
        let dir = std::env::var_os("MANNA_TEST_PG_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-pg"));
        manna_server::config::prepare_data_dir(&dir).expect("test data dir");
        EmbeddedPostgres::start(&dir).expect("start the test Postgres cluster")
    })
}

async fn admin() -> PgConnection {
    PgConnection::connect_with(&cluster().connect_options("postgres")).await.expect("connect to the test cluster")
}

/// The migrated template; named after the migrations so a schema change makes a new one.
async fn template() -> String {
    TEMPLATE
        .get_or_init(|| async {
            let checksum: u64 = MIGRATOR
                .iter()
                .flat_map(|m| m.checksum.iter().copied())
                .fold(1469598103934665603u64, |h, b| (h ^ u64::from(b)).wrapping_mul(1099511628211));
            let name = format!("tmpl_{checksum:016x}");
            let mut conn = admin().await;
            sqlx::query("SELECT pg_advisory_lock(4242)").execute(&mut conn).await.unwrap();
            // Databases of earlier runs.
            let old: Vec<String> =
                sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 't\\_%'")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            for db in old {
                let _ =
                    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")).execute(&mut conn).await;
            }
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            if !exists {
                sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await.unwrap();
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(cluster().connect_options(&name))
                    .await
                    .unwrap();
                MIGRATOR.run(&pool).await.expect("migrations apply to an empty database");
                pool.close().await;
            }
            sqlx::query("SELECT pg_advisory_unlock(4242)").execute(&mut conn).await.unwrap();
            name
        })
        .await
        .clone()
}

pub struct TestDb {
    pub name: String,
    pub pool: PgPool,
}

impl TestDb {
    /// A `DATABASE_URL` for this database (for the CLI tests).
    pub fn url(&self) -> String {
        cluster().url(&self.name)
    }
}

/// A fresh, migrated database for one test.
pub async fn test_db() -> TestDb {
    let template = template().await;
    let name = format!("t_{}", Uuid::new_v4().simple());
    let mut conn = admin().await;
    sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")).execute(&mut conn).await.unwrap();
    let pool = PgPoolOptions::new().max_connections(5).connect_with(cluster().connect_options(&name)).await.unwrap();
    TestDb { name, pool }
}

/// An empty database with no migrations applied.
pub async fn empty_db() -> TestDb {
    let name = format!("t_{}", Uuid::new_v4().simple());
    let mut conn = admin().await;
    sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await.unwrap();
    let pool = PgPoolOptions::new().max_connections(2).connect_with(cluster().connect_options(&name)).await.unwrap();
    TestDb { name, pool }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// The app's state (its pool, Plaid client, workers).
    pub state: AppState,
    /// Held while the test runs: see `APP_SLOT`.
    _slot: tokio::sync::SemaphorePermit<'static>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// The sealing key of test apps (so the CLI can open what they sealed).
pub const TEST_SECRET_KEY: [u8; 32] = [0x5a; 32];

/// The real router on a free port. Server-side errors are logged to the test output.
pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, |_| None).await
}

/// The real router with the Plaid client `plaid(addr)` makes (it may name the app's own
/// webhook URL). Workers are not started: tests run them step by step.
pub async fn spawn_app_with(
    pool: PgPool,
    plaid: impl FnOnce(SocketAddr) -> Option<app::plaid::PlaidClient>,
) -> TestApp {
    let _ = tracing_subscriber::fmt().with_env_filter("error").with_test_writer().try_init();
    let slot = APP_SLOT.acquire().await.expect("the app slot is never closed");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut state = AppState::new(pool, addr, TEST_SECRET_KEY).with_plaid(plaid(addr));
    // Tests play clients on other networks through X-Forwarded-For.
    state.proxy.trust_forwarded_for = true;
    let state_for_test = state.clone();
    tokio::spawn(async move {
        axum::serve(
            manna_server::startup::no_delay(listener),
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp { addr, client: new_client(), state: state_for_test, _slot: slot }
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        // A request the app never answers fails the test instead of hanging the run.
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

impl TestApp {
    /// Posts a form to a server function, as the page's forms do.
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header("origin", format!("http://{}", self.addr))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A new client signed in as `email`.
    pub async fn signed_in(&self, email: &str, password: &str) -> reqwest::Client {
        let client = new_client();
        let r = self.post_form(&client, "sign_in", &[("email", email), ("password", password)]).await;
        let status = r.status();
        assert!(
            status.is_success() || status.is_redirection(),
            "sign in as {email}: {status} {}",
            r.text().await.unwrap_or_default()
        );
        client
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> reqwest::Client {
        let client = new_client();
        let form = [("email", email), ("password", password), ("confirm", password), ("display_name", "Test")];
        let r = self.post_form(&client, "sign_up", &form).await;
        let status = r.status();
        assert!(
            status.is_success() || status.is_redirection(),
            "sign up {email}: {status} {}",
            r.text().await.unwrap_or_default()
        );
        client
    }
}

pub const DEMO: (&str, &str) = (manna_server::seed::DEMO_EMAIL, manna_server::seed::DEMO_PASSWORD);

/// Seeds `transactions` rows over `users` users with the real seeder.
pub async fn seed(pool: &PgPool, users: u32, transactions: u64) -> manna_server::seed::SeedReport {
    let opts = manna_server::seed::SeedOptions { users, transactions, seed: 7, reset: false, progress: false };
    manna_server::seed::seed(pool, &opts).await.expect("seed")
}

/// Waits (at most a minute) until a backend of this database that matches `condition`
/// (SQL on `pg_stat_activity`) is there (`present`) or gone (`!present`).
pub async fn until_activity(pool: &PgPool, condition: &str, present: bool, what: &str) {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                        WHERE datname = current_database() AND pid <> pg_backend_pid() AND {condition})"
    );
    let started = std::time::Instant::now();
    while sqlx::query_scalar::<_, bool>(&sql).fetch_one(pool).await.unwrap() != present {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
