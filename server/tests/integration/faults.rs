//! Faults the app must ride out: its database going away and coming back, and the app
//! itself killed in the middle of writing.

use crate::harness::{DEMO, new_client, seed, spawn_app, test_db, until_activity};
use manna_server::db::{Database, MIGRATOR};
use manna_server::embedded_pg::EmbeddedPostgres;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", uuid::Uuid::new_v4().simple()));
    manna_server::config::prepare_data_dir(&dir).unwrap();
    dir
}

async fn start_cluster(dir: PathBuf) -> EmbeddedPostgres {
    tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&dir)).await.unwrap().unwrap()
}

async fn stop_cluster(mut pg: EmbeddedPostgres) {
    tokio::task::spawn_blocking(move || pg.stop()).await.unwrap().unwrap()
}

/// Polls `url` until it answers `status`, for at most `limit`.
async fn wait_for(client: &reqwest::Client, url: &str, status: u16, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(url).send().await
            && r.status().as_u16() == status
        {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{url} did not answer {status} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_database_restart_fails_requests_fast_and_the_app_recovers_by_itself() {
    // A cluster of its own: stopping the shared one would stop every other test.
    let dir = scratch_dir("restart-pg");
    let pg = start_cluster(dir.clone()).await;
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect_with(&pg.connect_options("postgres")).await.unwrap();
    sqlx::raw_sql("CREATE DATABASE manna").execute(&mut admin).await.unwrap();
    drop(admin);
    // The production pool: its acquire timeout and statement timeouts are what is tested.
    let database = Database {
        options: pg.connect_options("manna"),
        embedded: None,
        description: "test".into(),
        pool_size: manna_server::config::default_pool_size(),
    };
    let pool = database.pool().await.unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    seed(&pool, 1, 200).await;
    let app = spawn_app(pool.clone()).await;
    let client = app.signed_in(DEMO.0, DEMO.1).await;
    let page = client.get(app.url("/accounts")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Everyday Checking"));

    stop_cluster(pg).await;
    // Down: /readyz says so, and every request ends quickly with a clear 503.
    let readyz = app.url("/readyz");
    wait_for(&app.client, &readyz, 503, Duration::from_secs(10)).await;
    for _ in 0..3 {
        let started = Instant::now();
        let r = app.post_form(&client, "accounts", &[]).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("Unavailable"), "{body}");
        let page = client.get(app.url("/accounts")).send().await.unwrap();
        let page_status = page.status().as_u16();
        let html = page.text().await.unwrap();
        assert!(
            html.contains("database") || html.contains("unavailable") || page_status == 503,
            "{page_status}: {html}"
        );
        assert!(!html.contains("Everyday Checking"));
        assert!(started.elapsed() < Duration::from_secs(12), "bounded: {:?}", started.elapsed());
    }

    // Back up: the same app (no restart) serves the same signed-in user again.
    let pg = start_cluster(dir.clone()).await;
    let back_after = wait_for(&app.client, &readyz, 200, Duration::from_secs(30)).await;
    let mut recovered = None;
    for _ in 0..20 {
        let r = app.post_form(&client, "accounts", &[]).await;
        if r.status() == 200 {
            recovered = Some(r.text().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let accounts = recovered.expect("the app recovers once the database is back");
    assert!(accounts.contains("Everyday Checking"), "{accounts}");
    let page = client.get(app.url("/accounts")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Everyday Checking"));
    eprintln!("ready again {back_after:?} after the database came back");
    drop(app);
    pool.close().await;
    stop_cluster(pg).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The real binary, serving `database_url` on a free port.
struct Served {
    child: std::process::Child,
    url: String,
}

impl Served {
    async fn start(database_url: &str, data_dir: &std::path::Path) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_manna"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("MANNA_ADDR", format!("127.0.0.1:{port}"))
            .env("MANNA_DATA_DIR", data_dir)
            .env("MANNA_LOG", "error")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let served = Served { child, url: format!("http://127.0.0.1:{port}") };
        wait_for(&new_client(), &format!("{}/readyz", served.url), 200, Duration::from_secs(60)).await;
        served
    }

    fn post(&self, client: &reqwest::Client, endpoint: &str, form: &[(String, String)]) -> reqwest::RequestBuilder {
        client
            .post(format!("{}/api/{endpoint}", self.url))
            .header("origin", &self.url)
            .header("accept", "application/json")
            .form(form)
    }

    /// Sends the request on its own task (so the test can act while it runs).
    fn post_later(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(String, String)],
    ) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
        let request = self.post(client, endpoint, form);
        tokio::spawn(request.send())
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL: no shutdown code runs
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn sign_in(served: &Served) -> reqwest::Client {
    let client = new_client();
    let form = [("email".to_string(), DEMO.0.to_string()), ("password".to_string(), DEMO.1.to_string())];
    let r = served.post(&client, "sign_in", &form).send().await.unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    client
}

/// The demo user's checking account.
async fn demo_checking(pool: &sqlx::PgPool) -> String {
    sqlx::query_scalar(
        "SELECT a.id::text FROM accounts a JOIN users u ON u.id = a.user_id
         WHERE u.email = $1 AND a.name = 'Everyday Checking'",
    )
    .bind(DEMO.0)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// An import form for a CSV statement of `rows` rows, big enough to be caught writing.
fn import_form(account: &str, rows: usize, label: &str) -> Vec<(String, String)> {
    use base64::Engine;
    let mut csv = String::from("Date,Description,Amount\r\n");
    for i in 0..rows {
        csv.push_str(&format!("06/{:02}/2024,{label} row {i:06},-{}.{:02}\r\n", i % 28 + 1, i % 300 + 1, i % 100));
    }
    let content = base64::engine::general_purpose::STANDARD.encode(csv.as_bytes());
    vec![("account".into(), account.into()), ("file_name".into(), format!("{label}.csv")), ("content".into(), content)]
}

// The import's one statement writes its predictions (a CTE), then its rows.
const WRITING_ROWS: &str = "state = 'active' AND query ILIKE 'WITH predicted AS%INSERT INTO transactions%'";
const STILL_INSERTING: &str = "state <> 'idle' AND query ILIKE 'WITH predicted AS%INSERT INTO transactions%'";

async fn ledger_state(pool: &sqlx::PgPool) -> (i64, i64, String) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM transactions), (SELECT count(*) FROM import_batches),
                (SELECT coalesce(sum(current_balance), 0)::text FROM accounts)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_app_killed_during_an_import_leaves_all_or_nothing_and_imports_after_restart() {
    let db = test_db().await;
    seed(&db.pool, 1, 100).await;
    let form = import_form(&demo_checking(&db.pool).await, 60_000, "Killed import");
    let before = ledger_state(&db.pool).await;
    let data_dir = scratch_dir("killed-app");
    let mut served = Served::start(&db.url(), &data_dir).await;
    let client = sign_in(&served).await;

    // Killed while its import is writing rows.
    let request = served.post_later(&client, "import_statement", &form);
    until_activity(&db.pool, WRITING_ROWS, true, "the import never started writing").await;
    served.kill();
    assert!(request.await.unwrap().is_err(), "the request died with the app");

    // Postgres rolls the dead connection's transaction back: nothing of the import is left.
    until_activity(&db.pool, STILL_INSERTING, false, "the dead import's statement never ended").await;
    assert_eq!(ledger_state(&db.pool).await, before, "not a row, batch or balance change of the killed import");

    // Restarted, the same import goes through whole.
    let served = Served::start(&db.url(), &data_dir).await;
    let client = sign_in(&served).await;
    let r = served.post(&client, "import_statement", &form).send().await.unwrap();
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!((status.as_u16(), body["added"].as_u64()), (200, Some(60_000)), "{body}");
    let after = ledger_state(&db.pool).await;
    assert_eq!((after.0, after.1), (before.0 + 60_000, before.1 + 1));
    drop(served);
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_import_finish_then_exits_cleanly() {
    let db = test_db().await;
    seed(&db.pool, 1, 100).await;
    let form = import_form(&demo_checking(&db.pool).await, 40_000, "Shutdown import");
    let before = ledger_state(&db.pool).await;
    let data_dir = scratch_dir("sigterm-app");
    let mut served = Served::start(&db.url(), &data_dir).await;
    let client = sign_in(&served).await;
    let request = served.post_later(&client, "import_statement", &form);
    until_activity(&db.pool, WRITING_ROWS, true, "the import never started writing").await;
    let pid = nix::unistd::Pid::from_raw(served.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();

    // The request in flight is answered in full...
    let r = request.await.unwrap().expect("the in-flight request is answered");
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["added"].as_u64(), Some(40_000), "{body}");
    // ...and the process then exits by itself, successfully, taking no new requests.
    let exited = Instant::now();
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(exited.elapsed() < Duration::from_secs(40), "manna did not exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
    assert!(new_client().get(format!("{}/healthz", served.url)).send().await.is_err());
    let after = ledger_state(&db.pool).await;
    assert_eq!((after.0, after.1), (before.0 + 40_000, before.1 + 1));
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Every column of the demo user's rows, and how many audit entries there are.
async fn demo_rows(pool: &sqlx::PgPool) -> (Vec<String>, i64) {
    let rows = sqlx::query_scalar(
        "SELECT (to_jsonb(t) - 'updated_at')::text FROM transactions t JOIN users u ON u.id = t.user_id
         WHERE u.email = $1 ORDER BY t.id",
    )
    .bind(DEMO.0)
    .fetch_all(pool)
    .await
    .unwrap();
    let audit = sqlx::query_scalar("SELECT count(*) FROM audit_logs").fetch_one(pool).await.unwrap();
    (rows, audit)
}

#[tokio::test]
async fn the_app_killed_during_a_bulk_edit_changes_no_row() {
    let db = test_db().await;
    seed(&db.pool, 1, 200).await;
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT t.id::text FROM transactions t JOIN users u ON u.id = t.user_id WHERE u.email = $1
         AND t.parent_transaction_id IS NULL AND NOT t.reconciled ORDER BY t.date LIMIT 60",
    )
    .bind(DEMO.0)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let data_dir = scratch_dir("killed-bulk");
    let mut served = Served::start(&db.url(), &data_dir).await;
    let client = sign_in(&served).await;
    let before = demo_rows(&db.pool).await;
    let mut form: Vec<(String, String)> =
        ids.iter().enumerate().map(|(i, id)| (format!("ids[{i}]"), id.clone())).collect();
    form.push(("edit[add_tags]".into(), "killed".into()));
    form.push(("edit[business]".into(), "true".into()));

    // Hold the table so the edit's UPDATE waits mid-transaction, then kill the app there.
    let mut holder = db.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE transactions IN SHARE MODE").execute(&mut *holder).await.unwrap();
    let request = served.post_later(&client, "bulk_edit_transactions", &form);
    let waiting = "wait_event_type = 'Lock' AND query ILIKE '%UPDATE transactions%'";
    until_activity(&db.pool, waiting, true, "the bulk edit never reached its UPDATE").await;
    served.kill();
    assert!(request.await.unwrap().is_err());
    holder.rollback().await.unwrap();
    // The dead connection's transaction ends, rolled back.
    let editing = "state <> 'idle' AND query ILIKE '%UPDATE transactions%'";
    until_activity(&db.pool, editing, false, "the dead edit never ended").await;
    let after = demo_rows(&db.pool).await;
    let changed: Vec<_> = before.0.iter().zip(&after.0).filter(|(b, a)| b != a).map(|(_, a)| a).take(2).collect();
    assert!(changed.is_empty() && after.0.len() == before.0.len(), "rows of the killed edit: {changed:?}");
    assert_eq!(after.1, before.1, "no audit entry of the killed edit");

    let served = Served::start(&db.url(), &data_dir).await;
    let client = sign_in(&served).await;
    let r = served.post(&client, "bulk_edit_transactions", &form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap(), serde_json::json!(60));
    let tagged: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions WHERE 'killed' = ANY(tags) AND is_business")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(tagged, 60);
    drop(served);
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn slow_reports_never_take_the_connections_pages_need() {
    let db = test_db().await; // a pool of 5 connections
    seed(&db.pool, 1, 200).await;
    let app = spawn_app(db.pool.clone()).await;
    let client = app.signed_in(DEMO.0, DEMO.1).await;
    // Reports wait on this lock (they read categories; the sessions list does not).
    let mut holder = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url()).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE categories IN ACCESS EXCLUSIVE MODE").execute(&mut holder).await.unwrap();
    let form = [("kind", "profit_loss"), ("from", "2026-01-01"), ("to", "2026-12-31"), ("scope", "all")];
    let mut reports = Vec::new();
    for _ in 0..10 {
        let request = client
            .post(app.url("/api/generate_report"))
            .header("origin", app.url(""))
            .header("accept", "application/json")
            .form(&form);
        reports.push(tokio::spawn(request.send()));
    }
    let running = "wait_event_type = 'Lock'";
    until_activity(&db.pool, running, true, "no report reached the lock").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stuck: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        stuck as usize,
        manna_server::rate_limit::EXPENSIVE_AT_ONCE,
        "the others wait their turn outside the pool"
    );

    // Ten slow reports in flight; the pages still get a connection at once.
    for _ in 0..3 {
        let started = Instant::now();
        let r = app.post_form(&client, "sessions", &[]).await;
        assert_eq!(r.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(3), "a page waited {:?} for a connection", started.elapsed());
    }
    sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
    for r in reports {
        assert_eq!(r.await.unwrap().unwrap().status(), 200);
    }
}
