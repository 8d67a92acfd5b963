use crate::harness::{DEMO, new_client, seed, spawn_app, test_db};
use manna_core::{AccountKind, BalanceSummary, Currency, format_money};
use rust_decimal::Decimal;
use sqlx::postgres::PgPoolOptions;
use std::time::{Duration, Instant};

#[tokio::test]
async fn health_endpoints() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn readyz_and_sign_in_fail_fast_when_the_database_is_down() {
    // Nothing listens on port 1: every connection is refused.
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy("postgres://manna@127.0.0.1:1/manna")
        .unwrap();
    let app = spawn_app(pool).await;
    let started = Instant::now();
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let r = app.post_form(&app.client, "sign_in", &[("email", DEMO.0), ("password", DEMO.1)]).await;
    let body = r.text().await.unwrap();
    assert!(body.contains("Unavailable"), "a typed outage error, not a hang: {body}");
    // A signed-out page still renders (it needs no data).
    let r = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(15));
}

async fn demo_net_worth(pool: &sqlx::PgPool) -> String {
    let rows: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT a.account_type::text, a.current_balance FROM accounts a JOIN users u ON u.id = a.user_id
         WHERE u.email = 'demo@manna.local' AND a.is_active",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let summary = BalanceSummary::from_balances(rows.iter().map(|(k, b)| (AccountKind::parse(k).unwrap(), *b)));
    format_money(summary.net_worth(), Currency::USD)
}

#[tokio::test]
async fn the_dashboard_is_rendered_on_the_server_with_the_users_balances() {
    let db = test_db().await;
    seed(&db.pool, 2, 2_000).await;
    let app = spawn_app(db.pool.clone()).await;
    let client = app.signed_in(DEMO.0, DEMO.1).await;
    let r = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(&demo_net_worth(&db.pool).await), "net worth in the HTML");
    assert!(html.contains("Everyday Checking"));
    assert!(html.contains("Recent transactions"));
    assert!(html.contains("<nav"), "the app shell");
    // Isolation: no account of the other seeded user appears.
    let others: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT a.id FROM accounts a JOIN users u ON u.id = a.user_id WHERE u.email <> 'demo@manna.local'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(!others.is_empty());
    for id in others {
        assert!(!html.contains(&id.to_string()), "account {id} of another user leaked");
    }
}

#[tokio::test]
async fn the_dashboard_server_function_answers_json_for_the_current_user_only() {
    let db = test_db().await;
    seed(&db.pool, 2, 500).await;
    let app = spawn_app(db.pool.clone()).await;
    let client = app.signed_in(DEMO.0, DEMO.1).await;
    let r = app.post_form(&client, "dashboard", &[]).await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<String> =
        json["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect();
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT a.id::text FROM accounts a JOIN users u ON u.id = a.user_id WHERE u.email = 'demo@manna.local' AND a.is_active",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut got = ids.clone();
    got.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(got, want);
    // Money crosses the wire as exact decimal strings, never floats.
    assert!(json["accounts"][0]["current_balance"].is_string());
}

#[tokio::test]
async fn signed_out_visitors_are_asked_to_sign_in_and_see_no_data() {
    let db = test_db().await;
    seed(&db.pool, 1, 100).await;
    let app = spawn_app(db.pool.clone()).await;
    let html = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Sign in to see your accounts"));
    assert!(!html.contains("Everyday Checking"));
    let r = app.post_form(&app.client, "dashboard", &[]).await;
    assert!(r.status().is_client_error() || r.status().is_server_error(), "{}", r.status());
    assert!(r.text().await.unwrap().contains("Unauthorized"));
}

#[tokio::test]
async fn unknown_paths_get_the_404_page() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let r = app.client.get(app.url("/definitely/not/here")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let html = r.text().await.unwrap();
    assert!(html.contains("This page does not exist"));
    let r = app.client.get(app.url("/pkg/manna-0000.wasm")).send().await.unwrap();
    assert_eq!(r.status(), 404, "a stale asset hash is not served");
}

/// Many pages at once, signed in and not, on a server with two worker threads (as
/// in production): every response ends. Guards against streamed pages that stall
/// after their shell (a Leptos SSR hazard; see `APP_SLOT` in the harness).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_page_loads_all_finish() {
    let db = test_db().await;
    seed(&db.pool, 2, 2000).await;
    let app = spawn_app(db.pool.clone()).await;
    let signed_in = app.signed_in(DEMO.0, DEMO.1).await;
    let anonymous = new_client();
    let paths = [
        "/definitely/not/here",
        "/",
        "/transactions",
        "/accounts",
        "/budgets",
        "/reports",
        "/settings",
        "/categories",
        "/import",
        "/connections",
    ];
    let mut stalled = Vec::new();
    for round in 0..60 {
        let mut loads = tokio::task::JoinSet::new();
        for i in 0..20 {
            let client = if i % 2 == 0 { signed_in.clone() } else { anonymous.clone() };
            let path = paths[(i + round) % paths.len()];
            let url = app.url(path);
            loads.spawn(async move {
                let body =
                    tokio::time::timeout(Duration::from_secs(10), async { client.get(url).send().await?.text().await });
                (path, body.await)
            });
        }
        while let Some(load) = loads.join_next().await {
            match load.unwrap() {
                (_, Ok(Ok(_))) => {}
                (path, other) => stalled.push(format!("round {round} {path}: {:?}", other.map(|r| r.map(|h| h.len())))),
            }
        }
    }
    assert!(stalled.is_empty(), "{stalled:#?}");
}

#[tokio::test]
async fn pages_allow_only_their_own_scripts_and_nothing_may_frame_them() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let r = app.client.get(app.url("/login")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(r.headers().get("strict-transport-security").is_none(), "no HSTS on plain http");
    let html = r.text().await.unwrap();
    let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("a script nonce");
    assert!(nonce.len() >= 16, "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
    let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).expect("script-src");
    assert!(!script_src.contains("unsafe-inline") && !script_src.contains("'unsafe-eval'"), "{csp}");
    // Every inline script of the page carries this response's nonce; the others are ours.
    for tag in html.split("<script").skip(1) {
        let open = &tag[..tag.find('>').unwrap()];
        assert!(
            open.contains(&format!("nonce=\"{nonce}\"")) || open.contains("src=\"/"),
            "script without the nonce: {open}"
        );
    }
    // Another request, another nonce.
    let again = app.client.get(app.url("/login")).send().await.unwrap();
    assert_ne!(again.headers()["content-security-policy"].to_str().unwrap(), csp);
    // Anything that is not a page may run nothing.
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
}

#[tokio::test]
async fn reports_and_exports_are_rate_limited_per_client() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let export = app.url("/settings/export.zip");
    for _ in 0..manna_server::rate_limit::EXPENSIVE.burst as usize {
        let r = app.client.get(&export).send().await.unwrap();
        assert_ne!(r.status(), 429);
    }
    let r = app.client.get(&export).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert!(r.text().await.unwrap().contains("try again in"));
    // Pages and other functions are not affected.
    assert_eq!(app.client.get(app.url("/login")).send().await.unwrap().status(), 200);
    // Another client (another session) has its own allowance.
    let other = app.sign_up("limits@example.com", "a-long-enough-passphrase-42").await;
    assert_ne!(other.get(&export).send().await.unwrap().status(), 429);
}
