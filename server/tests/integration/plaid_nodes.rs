//! Two `manna serve` processes on one database, against the fake Plaid: sessions work
//! on both, a burst of webhooks delivered to both is processed exactly once, each item
//! is synced by one node at a time, and no access token reaches a log.

use crate::harness::{new_client, test_db, until_activity};
use plaid_fake::{FakePlaid, Tamper};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Node {
    child: Child,
    port: u16,
}

impl Node {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_node(db_url: &str, fake: &FakePlaid, key: &str, dir: &std::path::Path, name: &str) -> Node {
    let port = free_port();
    let data = dir.join(name);
    std::fs::create_dir_all(&data).unwrap();
    let log = dir.join(format!("{name}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_manna"))
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("MANNA_ADDR", format!("127.0.0.1:{port}"))
        .env("MANNA_DATA_DIR", &data)
        .env("MANNA_SECRET_KEY", key)
        .env("MANNA_LOG", "debug,sqlx=warn,hyper=info,h2=info,rustls=info")
        .env("PLAID_CLIENT_ID", fake.client_id())
        .env("PLAID_SECRET", fake.secret())
        .env("PLAID_BASE_URL", fake.base_url())
        .env("PLAID_WEBHOOK_URL", format!("http://127.0.0.1:{port}/webhooks/plaid"))
        .env("MANNA_JOB_RETRY_SECS", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start manna serve");
    Node { child, port }
}

async fn wait_ready(node: &Node) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = reqwest::get(node.url("/readyz")).await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "node on {} did not become ready", node.port);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn call(node: &Node, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let r = client
        .post(node.url(&format!("/api/{endpoint}")))
        .header("origin", node.url(""))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{endpoint} on {}: {status} {body}", node.port);
    body
}

/// A new user, signed up (and in) through `node`.
async fn sign_up(node: &Node, email: &str) -> reqwest::Client {
    let client = new_client();
    let password = "correct horse battery";
    let form = [("email", email), ("password", password), ("confirm", password), ("display_name", "Nodes")];
    call(node, &client, "sign_up", &form).await;
    client
}

async fn link(node: &Node, fake: &FakePlaid, client: &reqwest::Client) -> (Uuid, String) {
    let token = call(node, client, "create_link_token", &[("item", "")]).await;
    let done: Value = reqwest::Client::new()
        .post(format!("{}/link/complete", fake.base_url()))
        .json(&json!({ "link_token": token, "institution_id": "ins_109508",
                       "username": "user_good", "password": "pass_good" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = call(node, client, "link_bank", &[("public_token", done["public_token"].as_str().unwrap())]).await;
    let id: Uuid = id.as_str().unwrap().parse().unwrap();
    let plaid_id = fake.state().item_ids().into_iter().last().unwrap();
    (id, plaid_id)
}

/// How many rows an item's accounts hold, and how many distinct Plaid ids among them.
async fn item_rows(pool: &sqlx::PgPool, item: Uuid) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*), count(DISTINCT plaid_transaction_id) FROM transactions t
         JOIN accounts ac ON ac.id = t.account_id WHERE ac.plaid_item_id = $1",
    )
    .bind(item)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Waits until no webhook or job is left to do.
async fn settle(pool: &sqlx::PgPool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let open: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM plaid_webhooks WHERE status <> 'processed')
                  + (SELECT count(*) FROM jobs WHERE status IN ('queued', 'running'))",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if open == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{open} webhooks/jobs still open");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn two_nodes_share_sessions_and_process_a_webhook_burst_exactly_once() {
    let fake = FakePlaid::start().await;
    fake.state().set_initial_transactions(300);
    let db = test_db().await;
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("nodes-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = "7f".repeat(32);
    let a = start_node(&db.url(), &fake, &key, &dir, "a");
    let b = start_node(&db.url(), &fake, &key, &dir, "b");
    wait_ready(&a).await;
    wait_ready(&b).await;

    // One session, valid on both nodes (cookies are per host, not per port).
    let client = sign_up(&a, "nodes@example.com").await;
    assert_eq!(call(&b, &client, "connections", &[]).await["items"], json!([]));

    // Four banks, linked half through each node (so their webhooks go to that node).
    let mut items = Vec::new();
    for node in [&a, &b, &a, &b] {
        items.push(link(node, &fake, &client).await);
    }
    settle(&db.pool).await;

    // The burst: 10 distinct events per item, each delivered to both nodes, plus
    // Plaid-style duplicate deliveries, while new rows keep arriving.
    let mut deliveries = Vec::new();
    for round in 0..10 {
        for (_, plaid_item) in &items {
            fake.state().add_transactions(plaid_item, 7);
            let status = fake
                .state()
                .fire_webhook(
                    plaid_item,
                    "TRANSACTIONS",
                    "SYNC_UPDATES_AVAILABLE",
                    json!({ "round": round }),
                    Tamper::None,
                )
                .await
                .unwrap();
            assert_eq!(status, 200);
            deliveries.push(fake.state().last_delivery().unwrap());
        }
    }
    let http = reqwest::Client::new();
    let mut sends = Vec::new();
    for d in &deliveries {
        for node in [&a, &b] {
            let request = http
                .post(node.url("/webhooks/plaid"))
                .header("content-type", "application/json")
                .header("Plaid-Verification", d.verification.clone())
                .body(d.body.clone());
            sends.push(tokio::spawn(async move { request.send().await.unwrap().status().as_u16() }));
        }
    }
    for s in sends {
        assert_eq!(s.await.unwrap(), 200, "duplicates are answered 200");
    }
    settle(&db.pool).await;

    let hooks: Vec<(String, i32)> = sqlx::query_as(
        "SELECT status::text, attempts FROM plaid_webhooks WHERE webhook_code = 'SYNC_UPDATES_AVAILABLE'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(hooks.len(), 40, "each event stored once");
    assert!(hooks.iter().all(|(s, n)| s == "processed" && *n == 1), "each processed exactly once: {hooks:?}");

    // Each item's syncs never overlapped, and every row arrived once.
    for (item, plaid_item) in &items {
        let runs: Vec<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "SELECT started_at, finished_at FROM jobs WHERE plaid_item_id = $1 AND status = 'done' ORDER BY started_at",
        )
        .bind(item)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert!(!runs.is_empty());
        for pair in runs.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "two syncs of one item overlapped: {pair:?}");
        }
        let (rows, distinct) = item_rows(&db.pool, *item).await;
        assert_eq!(rows, distinct);
        assert_eq!(rows as usize, fake.state().transactions(plaid_item).len());
    }
    let nodes: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT split_part(leased_by, ':', 2) FROM jobs WHERE leased_by IS NOT NULL")
            .fetch_all(&db.pool)
            .await
            .unwrap_or_default();
    eprintln!("jobs ran on {} node(s)", nodes.len());

    // No access token or Plaid secret in either node's log.
    drop(a);
    drop(b);
    for name in ["a", "b"] {
        let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap();
        assert!(log.contains("webhook"), "the log is being written");
        assert!(!log.contains("access-sandbox"), "an access token reached node {name}'s log");
        assert!(!log.contains(fake.secret()), "the Plaid secret reached node {name}'s log");
    }
    // Kept when a check above fails: the nodes' logs are the first thing to read.
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_node_killed_mid_sync_loses_nothing_and_another_node_finishes_the_job_once() {
    let fake = FakePlaid::start().await;
    fake.state().set_initial_transactions(1_200);
    let db = test_db().await;
    let dir =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("killsync-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = "5e".repeat(32);
    let a = start_node(&db.url(), &fake, &key, &dir, "a");
    wait_ready(&a).await;
    let client = sign_up(&a, "killsync@example.com").await;

    // The sync's first write waits on this lock; node a dies while it waits.
    let mut holder = db.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE transactions IN SHARE MODE").execute(&mut *holder).await.unwrap();
    let (item, plaid_item) = link(&a, &fake, &client).await;
    let waiting = "wait_event_type = 'Lock' AND query ILIKE '%INSERT INTO transactions%'";
    until_activity(&db.pool, waiting, true, "the sync never reached its first write").await;
    let (status, leased_by): (String, Option<String>) =
        sqlx::query_as("SELECT status::text, leased_by FROM jobs WHERE plaid_item_id = $1")
            .bind(item)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(status, "running");
    assert!(leased_by.is_some());
    drop(a); // SIGKILL
    holder.rollback().await.unwrap();

    // Nothing of the dead sync is left, and its job still waits for a node.
    let inserting = "state <> 'idle' AND query ILIKE '%INSERT INTO transactions%'";
    until_activity(&db.pool, inserting, false, "the dead sync's statement never ended").await;
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transactions t JOIN accounts ac ON ac.id = t.account_id WHERE ac.plaid_item_id = $1",
    )
    .bind(item)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows, 0, "the killed sync wrote nothing");
    // Its lease runs out (120 s in production; here at once).
    sqlx::query("UPDATE jobs SET lease_until = now() - interval '1 second' WHERE plaid_item_id = $1")
        .bind(item)
        .execute(&db.pool)
        .await
        .unwrap();

    let b = start_node(&db.url(), &fake, &key, &dir, "b");
    wait_ready(&b).await;
    settle(&db.pool).await;
    let (rows, distinct) = item_rows(&db.pool, item).await;
    assert_eq!((rows, distinct), (1_200, 1_200));
    assert_eq!(rows as usize, fake.state().transactions(&plaid_item).len());
    let jobs: Vec<(String, i32, String)> =
        sqlx::query_as("SELECT status::text, attempts, coalesce(leased_by, '') FROM jobs WHERE plaid_item_id = $1")
            .bind(item)
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(jobs.len(), 1, "the same job, picked up again: {jobs:?}");
    assert_eq!(jobs[0].0, "done", "{jobs:?}");
    assert_eq!(jobs[0].1, 2, "run by a, then by b: {jobs:?}");
    drop(b);
    // Kept when a check above fails: the nodes' logs are the first thing to read.
    let _ = std::fs::remove_dir_all(&dir);
}
