use crate::harness::{DEMO, seed, spawn_app, test_db};
use rust_decimal::Decimal;
use std::str::FromStr;

const PASSWORD: &str = "correct horse battery staple";

async fn json(r: reqwest::Response) -> (u16, serde_json::Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

fn form<'a>(name: &'a str, kind: &'a str, balance: &'a str, limit: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("kind", kind),
        ("subtype", ""),
        ("currency", "USD"),
        ("opening_balance", balance),
        ("credit_limit", limit),
    ]
}

#[tokio::test]
async fn a_manual_account_starts_at_its_balance_through_the_ledger() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let me = app.sign_up("ledger@example.com", PASSWORD).await;
    let (status, id) =
        json(app.post_form(&me, "create_account", &form("Cash wallet", "depository", "250.75", "")).await).await;
    assert_eq!(status, 200, "{id}");
    let (status, card) =
        json(app.post_form(&me, "create_account", &form("Store card", "credit", "1,000.10", "2500")).await).await;
    assert_eq!(status, 200, "{card}");

    let (_, list) = json(app.post_form(&me, "accounts", &[]).await).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let wallet = list.iter().find(|a| a["name"] == "Cash wallet").unwrap();
    assert_eq!(Decimal::from_str(wallet["balance"].as_str().unwrap()).unwrap(), Decimal::new(25075, 2));
    // Balances equal the ledger: the opening adjustment is a transaction (negated for debt).
    let sums: Vec<(String, Decimal, Decimal)> = sqlx::query_as(
        "SELECT a.name, a.current_balance, coalesce(sum(t.amount), 0) FROM accounts a
         LEFT JOIN transactions t ON t.account_id = a.id GROUP BY a.id ORDER BY a.name",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(sums[0], ("Cash wallet".into(), Decimal::new(25075, 2), Decimal::new(25075, 2)));
    assert_eq!(sums[1], ("Store card".into(), Decimal::new(100010, 2), Decimal::new(-100010, 2)));
    let html = me.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Cash wallet") && html.contains("$250.75"));

    // Bad input: a reason, and nothing written.
    for (f, reason) in [
        (form("", "depository", "", ""), "give the account a name"),
        (form("X", "depository", "12.345", ""), "at most 2 decimal places"),
        (form("X", "depository", "", "100"), "only credit accounts"),
        (form("X", "vault", "", ""), "choose an account type"),
    ] {
        let (status, body) = json(app.post_form(&me, "create_account", &f).await).await;
        assert_eq!(status, 422);
        assert!(body.to_string().contains(reason), "{body}");
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts").fetch_one(&db.pool).await.unwrap();
    assert_eq!(n, 2);

    // Rename, move to business, close: audited, and closed accounts leave the dashboard.
    let id = id.as_str().unwrap().to_string();
    let (status, _) =
        json(app.post_form(&me, "update_account", &[("id", &id), ("name", "Petty cash"), ("business", "on")]).await)
            .await;
    assert_eq!(status, 200);
    let (status, _) = json(app.post_form(&me, "close_financial_account", &[("id", &id)]).await).await;
    assert_eq!(status, 200);
    let (status, _) = json(app.post_form(&me, "close_financial_account", &[("id", &id)]).await).await;
    assert_eq!(status, 404, "already closed");
    let html = me.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains(r#"account-name">Petty cash<"#), "a closed account leaves the dashboard's accounts");
    assert!(html.contains(r#"account-name">Store card<"#), "open ones stay");
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_logs WHERE action LIKE 'ledger.%' ORDER BY seq")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        actions,
        ["ledger.account_created", "ledger.account_created", "ledger.account_updated", "ledger.account_closed"]
    );
}

#[tokio::test]
async fn another_user_gets_not_found_for_my_accounts() {
    let db = test_db().await;
    seed(&db.pool, 1, 50).await;
    let app = spawn_app(db.pool.clone()).await;
    let owner = app.signed_in(DEMO.0, DEMO.1).await;
    let (_, mine) = json(app.post_form(&owner, "accounts", &[]).await).await;
    let target = mine.as_array().unwrap()[0]["id"].as_str().unwrap().to_string();

    let other = app.sign_up("other@example.com", PASSWORD).await;
    let (_, theirs) = json(app.post_form(&other, "accounts", &[]).await).await;
    assert_eq!(theirs.as_array().unwrap().len(), 0, "B lists none of A's accounts");
    let (status, body) =
        json(app.post_form(&other, "update_account", &[("id", &target), ("name", "Hijacked")]).await).await;
    assert_eq!((status, body), (404, serde_json::json!("NotFound")));
    let (status, _) = json(app.post_form(&other, "close_financial_account", &[("id", &target)]).await).await;
    assert_eq!(status, 404);
    let (status, _) = json(app.post_form(&other, "close_financial_account", &[("id", "garbage")]).await).await;
    assert_eq!(status, 404);
    let (name, open): (String, bool) = sqlx::query_as("SELECT name, is_active FROM accounts WHERE id = $1::uuid")
        .bind(&target)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_ne!(name, "Hijacked");
    assert!(open, "A's account is untouched");
    // Signed out: nothing.
    let (status, _) = json(app.post_form(&crate::harness::new_client(), "accounts", &[]).await).await;
    assert_eq!(status, 401);
}
