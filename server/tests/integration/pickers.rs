//! The ledger's pickers come from the server's copy between changes, and every change
//! to what they show (through the app or straight in the database) is in the next read.

use crate::harness::{spawn_app, test_db};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery staple";

async fn choices(app: &crate::harness::TestApp, client: &reqwest::Client) -> Value {
    let r = app.post_form(client, "ledger_choices", &[]).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn account_names(choices: &Value) -> Vec<String> {
    choices["accounts"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_string()).collect()
}

fn has_category(choices: &Value, name: &str) -> bool {
    choices["categories"].as_array().unwrap().iter().any(|c| c["name"] == name)
}

async fn version(pool: &sqlx::PgPool, email: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT coalesce((SELECT version FROM picker_versions p JOIN users u ON u.id = p.user_id WHERE u.email = $1), 0)",
    )
    .bind(email)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_pickers_follow_every_change_to_what_they_show() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let me = app.sign_up("pickers@example.com", PASSWORD).await;
    let form = |name: &'static str| {
        vec![
            ("name", name),
            ("kind", "depository"),
            ("subtype", ""),
            ("currency", "USD"),
            ("opening_balance", "10"),
            ("credit_limit", ""),
        ]
    };
    let r = app.post_form(&me, "create_account", &form("Cash wallet")).await;
    assert_eq!(r.status(), 200);
    let id: String = r.json().await.unwrap();

    let first = choices(&app, &me).await;
    assert_eq!(account_names(&first), ["Cash wallet"]);
    assert!(first["accounts"][0].get("balance").is_none(), "no balance in the pickers");
    assert_eq!(app.state.pickers.len(), 1, "kept");

    // The copy is what is served while the version stands: a change the version does
    // not see (its trigger off) stays out; with the trigger on, it is in.
    sqlx::raw_sql("ALTER TABLE accounts DISABLE TRIGGER accounts_picker_edited").execute(&db.pool).await.unwrap();
    sqlx::query("UPDATE accounts SET name = 'Unseen' WHERE id = $1::uuid").bind(&id).execute(&db.pool).await.unwrap();
    sqlx::raw_sql("ALTER TABLE accounts ENABLE TRIGGER accounts_picker_edited").execute(&db.pool).await.unwrap();
    assert_eq!(account_names(&choices(&app, &me).await), ["Cash wallet"], "served from the copy");
    sqlx::query("UPDATE accounts SET name = 'Wallet' WHERE id = $1::uuid").bind(&id).execute(&db.pool).await.unwrap();
    assert_eq!(account_names(&choices(&app, &me).await), ["Wallet"], "a write outside the app is seen");

    // Through the app: rename, add, close an account; add and archive a category.
    let r = app.post_form(&me, "update_account", &[("id", &id), ("name", "Petty cash")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(account_names(&choices(&app, &me).await), ["Petty cash"]);
    assert_eq!(app.post_form(&me, "create_account", &form("Savings")).await.status(), 200);
    assert_eq!(account_names(&choices(&app, &me).await), ["Petty cash", "Savings"]);
    assert_eq!(app.post_form(&me, "close_financial_account", &[("id", &id)]).await.status(), 200);
    let after_close = choices(&app, &me).await;
    let closed = after_close["accounts"].as_array().unwrap().iter().find(|a| a["id"] == id.as_str()).unwrap();
    assert_eq!(closed["open"], false);
    let r = app.post_form(&me, "create_category", &[("name", "Bike repairs"), ("kind", "expense")]).await;
    assert_eq!(r.status(), 200);
    let category: String = r.json().await.unwrap();
    assert!(has_category(&choices(&app, &me).await, "Bike repairs"));
    let r = app.post_form(&me, "archive_category", &[("id", &category), ("archived", "true")]).await;
    assert_eq!(r.status(), 200);
    let archived = choices(&app, &me).await;
    let bike = archived["categories"].as_array().unwrap().iter().find(|c| c["name"] == "Bike repairs").unwrap();
    assert_eq!(bike["archived"], true);

    // Balances move with every transaction and are not in the pickers: no new version.
    let before = version(&db.pool, "pickers@example.com").await;
    let (savings,): (String,) =
        sqlx::query_as("SELECT id::text FROM accounts WHERE name = 'Savings'").fetch_one(&db.pool).await.unwrap();
    let r = app
        .post_form(
            &me,
            "create_transaction",
            &[("account", &savings), ("date", "2026-01-05"), ("description", "Coffee"), ("amount", "-4.50")],
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(version(&db.pool, "pickers@example.com").await, before, "a balance change is no picker change");

    // A system category's change is everyone's.
    let other = app.sign_up("pickers2@example.com", PASSWORD).await;
    assert!(has_category(&choices(&app, &other).await, "Groceries"));
    sqlx::query("UPDATE categories SET name = 'Food shopping' WHERE user_id IS NULL AND name = 'Groceries'")
        .execute(&db.pool)
        .await
        .unwrap();
    for client in [&me, &other] {
        let now = choices(&app, client).await;
        assert!(has_category(&now, "Food shopping") && !has_category(&now, "Groceries"));
    }
    // Each user gets only their own copy.
    assert!(account_names(&choices(&app, &other).await).is_empty());
    assert!(!choices(&app, &other).await.to_string().contains("Bike repairs"));

    // Deleting a user (their rows cascade through the triggers) leaves no version behind.
    sqlx::query("DELETE FROM users WHERE email = 'pickers2@example.com'").execute(&db.pool).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM picker_versions").fetch_one(&db.pool).await.unwrap();
    assert_eq!(left, 1);
}
