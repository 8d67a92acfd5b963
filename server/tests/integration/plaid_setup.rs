//! Bank connections when Plaid is off, and when Plaid is not ready yet.

use crate::harness::{spawn_app, test_db};
use crate::plaid::Bank;

#[tokio::test]
async fn without_credentials_the_page_says_how_to_configure_plaid() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let user = app.sign_up("no-plaid@example.com", "correct horse battery").await;
    let page = user.get(app.url("/connections")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Bank connections are off"), "{page}");
    assert!(page.contains("PLAID_CLIENT_ID"));
    let view: serde_json::Value = app.post_form(&user, "connections", &[]).await.json().await.unwrap();
    assert_eq!(view["plaid"]["configured"], false);
    let r = app.post_form(&user, "create_link_token", &[("item", "")]).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("not configured"));
    // The rest of the app works.
    let r = user.get(app.url("/transactions")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // And the webhook endpoint says so instead of storing anything.
    let r = reqwest::Client::new().post(app.url("/webhooks/plaid")).body("{}").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn a_first_sync_before_plaid_is_ready_writes_nothing_and_the_next_one_catches_up() {
    let bank = Bank::start().await;
    bank.fake.state().set_not_ready_calls(1);
    let user = bank.app.sign_up("not-ready@example.com", "correct horse battery").await;
    let (item, plaid_item) = bank.link(&user).await;
    assert_eq!(bank.run_jobs().await, 1);
    let (rows, cursor): (i64, Option<String>) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM transactions), (SELECT sync_cursor FROM plaid_items WHERE id = $1)",
    )
    .bind(item)
    .fetch_one(bank.pool())
    .await
    .unwrap();
    assert_eq!((rows, cursor), (0, None), "not ready: no rows, no cursor");
    // Plaid says the data is ready.
    let status = bank
        .fake
        .state()
        .fire_webhook(
            &plaid_item,
            "TRANSACTIONS",
            "SYNC_UPDATES_AVAILABLE",
            serde_json::json!({}),
            plaid_fake::Tamper::None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(bank.run_webhooks().await, 1);
    assert_eq!(bank.run_jobs().await, 1);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(bank.pool()).await.unwrap();
    assert_eq!(rows as usize, bank.fake.state().transactions(&plaid_item).len());
}

#[tokio::test]
async fn connections_not_synced_for_12_hours_get_a_sync_without_a_webhook() {
    let bank = Bank::start().await;
    let user = bank.app.sign_up("stale@example.com", "correct horse battery").await;
    let (item, plaid_item) = bank.link(&user).await;
    bank.run_jobs().await;
    let workers = bank.app.state.workers();
    assert_eq!(workers.schedule_stale().await.unwrap(), 0, "just synced");
    sqlx::query("UPDATE plaid_items SET last_synced_at = now() - interval '13 hours' WHERE id = $1")
        .bind(item)
        .execute(bank.pool())
        .await
        .unwrap();
    assert_eq!(workers.schedule_stale().await.unwrap(), 1);
    assert_eq!(workers.schedule_stale().await.unwrap(), 0, "already queued");
    bank.fake.state().add_transactions(&plaid_item, 2);
    assert_eq!(bank.run_jobs().await, 1);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(bank.pool()).await.unwrap();
    assert_eq!(rows as usize, bank.fake.state().transactions(&plaid_item).len());
}

#[tokio::test]
async fn a_node_that_lost_its_lease_cannot_finish_the_job_another_node_took() {
    use app::data::jobs;
    let bank = Bank::start().await;
    let user = bank.app.sign_up("lease@example.com", "correct horse battery").await;
    let (item, _) = bank.link(&user).await;
    let mut conn = bank.pool().acquire().await.unwrap();
    let a = jobs::claim(&mut conn, "node-a", 120).await.unwrap().expect("a claims the first sync");
    assert_eq!(a.plaid_item_id, Some(item));
    assert!(jobs::claim(&mut conn, "node-b", 120).await.unwrap().is_none(), "leased: nothing for b");
    // Node a stalls past its lease.
    sqlx::query("UPDATE jobs SET lease_until = now() - interval '1 second' WHERE id = $1")
        .bind(a.id)
        .execute(&mut *conn)
        .await
        .unwrap();
    let b = jobs::claim(&mut conn, "node-b", 120).await.unwrap().expect("b takes the expired job");
    assert_eq!((b.id, b.attempts), (a.id, 2));
    assert!(!jobs::finish(&mut conn, a.id, "node-a", &serde_json::json!({})).await.unwrap(), "a lost it");
    assert!(!jobs::fail(&mut conn, a.id, "node-a", "late", Some(1)).await.unwrap());
    let (status, holder): (String, String) = sqlx::query_as("SELECT status::text, leased_by FROM jobs WHERE id = $1")
        .bind(a.id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!((status.as_str(), holder.as_str()), ("running", "node-b"));
    assert!(jobs::finish(&mut conn, b.id, "node-b", &serde_json::json!({})).await.unwrap());
}
