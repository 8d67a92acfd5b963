use crate::harness::{DEMO, seed, spawn_app, test_db};

async fn page(app: &crate::harness::TestApp, c: &reqwest::Client, q: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let form: Vec<(String, &str)> = q.iter().map(|(k, v)| (format!("query[{k}]"), *v)).collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let r = app.post_form(c, "transactions", &form).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

#[tokio::test]
async fn keyset_pages_walk_every_row_once_in_order_and_filters_apply() {
    let db = test_db().await;
    seed(&db.pool, 2, 1_200).await;
    let app = spawn_app(db.pool.clone()).await;
    let me = app.signed_in(DEMO.0, DEMO.1).await;

    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT t.id::text FROM transactions t JOIN users u ON u.id = t.user_id
         WHERE u.email = $1 AND t.parent_transaction_id IS NULL ORDER BY t.date DESC, t.id DESC",
    )
    .bind(DEMO.0)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let (status, body) = page(&app, &me, &[("after", &after)]).await;
        assert_eq!(status, 200, "{body}");
        let rows = body["rows"].as_array().unwrap();
        assert!(rows.len() <= 50);
        seen.extend(rows.iter().map(|r| r["id"].as_str().unwrap().to_string()));
        match body["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every row once, newest first");

    // Date range and text filters.
    let (_, body) = page(&app, &me, &[("from", "2000-01-01"), ("to", "2000-12-31")]).await;
    assert_eq!(body["rows"].as_array().unwrap().len(), 0);
    let (_, body) = page(&app, &me, &[("q", "STARBUCKS")]).await;
    let rows = body["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    // the merchant when the bank named it, else the statement line that matched
    assert!(rows.iter().all(|r| r["description"].as_str().unwrap().to_lowercase().contains("starbucks")));
    let (_, body) = page(&app, &me, &[("q", "100%")]).await;
    assert_eq!(body["rows"].as_array().unwrap().len(), 0, "% is literal, not a wildcard");

    // Bad input: a reason.
    let (status, body) = page(&app, &me, &[("from", "31/01/2024")]).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = page(&app, &me, &[("from", "2024-02-01"), ("to", "2024-01-01")]).await;
    assert_eq!(status, 422);
    let (status, _) = page(&app, &me, &[("after", "yesterday")]).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn another_users_account_filter_is_not_found_and_their_rows_never_show() {
    let db = test_db().await;
    seed(&db.pool, 2, 400).await;
    let app = spawn_app(db.pool.clone()).await;
    let me = app.signed_in(DEMO.0, DEMO.1).await;
    let (other_account, other_tx): (String, String) = sqlx::query_as(
        "SELECT t.account_id::text, t.id::text FROM transactions t JOIN users u ON u.id = t.user_id
         WHERE u.email <> $1 LIMIT 1",
    )
    .bind(DEMO.0)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let (status, body) = page(&app, &me, &[("account", &other_account)]).await;
    assert_eq!((status, body), (404, serde_json::json!("NotFound")));
    let mut after = String::new();
    loop {
        let (_, body) = page(&app, &me, &[("after", &after)]).await;
        assert!(!body.to_string().contains(&other_tx));
        match body["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => break,
        }
    }
    let (status, _) = page(&app, &crate::harness::new_client(), &[]).await;
    assert_eq!(status, 401);
}
