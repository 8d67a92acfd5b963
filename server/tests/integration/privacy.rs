use crate::harness::{DEMO, new_client, seed, spawn_app, test_db};

#[tokio::test]
async fn export_holds_all_of_my_data_and_nothing_else() {
    let db = test_db().await;
    seed(&db.pool, 2, 600).await;
    let app = spawn_app(db.pool.clone()).await;
    let client = app.signed_in(DEMO.0, DEMO.1).await;
    let r = client.get(app.url("/settings/export.zip")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let bytes = r.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let read = |zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    let doc: serde_json::Value = serde_json::from_str(&read(&mut zip, "manna-data.json")).unwrap();
    let csv = read(&mut zip, "transactions.csv");
    assert!(csv.starts_with("id,"));
    assert_eq!(doc["format"], "manna-export-v1");
    assert_eq!(doc["profile"]["email"], DEMO.0);
    let text = doc.to_string();
    for secret in ["password_hash", "session_id_hash", "totp_secret", "recovery_code", "$argon2id$"] {
        assert!(!text.contains(secret), "{secret} must not be exported");
    }
    let mine: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions t JOIN users u ON u.id = t.user_id WHERE u.email = $1")
            .bind(DEMO.0)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(doc["transactions"].as_array().unwrap().len() as i64, mine);
    assert_eq!(csv::Reader::from_reader(csv.as_bytes()).records().count() as i64, mine, "one CSV row per transaction");
    let other: String = sqlx::query_scalar("SELECT id::text FROM users WHERE email <> $1")
        .bind(DEMO.0)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(!text.contains(&other), "nothing of the other user");
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_logs WHERE action = 'privacy.data_exported'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    // Signed out: nothing.
    assert_eq!(new_client().get(app.url("/settings/export.zip")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn deleting_the_account_removes_everything_but_the_audit_trail_holds() {
    let db = test_db().await;
    seed(&db.pool, 2, 300).await;
    let app = spawn_app(db.pool.clone()).await;
    let client = app.signed_in(DEMO.0, DEMO.1).await;
    let r = app.post_form(&client, "close_account", &[("password", "not my password"), ("mode", "delete")]).await;
    assert_eq!(r.status(), 422, "the password is checked first");
    let r = app.post_form(&client, "close_account", &[("password", DEMO.1), ("mode", "delete")]).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let (users, others_tx): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM transactions)")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(users, 1, "only the other user is left");
    assert_eq!(others_tx, 150, "the other user's data is untouched");
    assert_eq!(
        manna_server::audit::verify(&db.pool).await.unwrap(),
        manna_server::audit::Verdict::Intact {
            rows: sqlx::query_scalar("SELECT count(*) FROM audit_logs").fetch_one(&db.pool).await.unwrap()
        }
    );
    let r = app.post_form(&new_client(), "sign_in", &[("email", DEMO.0), ("password", DEMO.1)]).await;
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn anonymizing_keeps_the_records_but_not_the_person() {
    let db = test_db().await;
    seed(&db.pool, 1, 300).await;
    let app = spawn_app(db.pool.clone()).await;
    let client = app.signed_in(DEMO.0, DEMO.1).await;
    let r = app.post_form(&client, "close_account", &[("password", DEMO.1), ("mode", "anonymize")]).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let (email, name, anonymized, txs, sessions): (String, String, bool, i64, i64) = sqlx::query_as(
        "SELECT email, display_name, anonymized_at IS NOT NULL, (SELECT count(*) FROM transactions),
                (SELECT count(*) FROM user_sessions) FROM users",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(email.ends_with("@anonymized.invalid"));
    assert_eq!(name, "");
    assert!(anonymized);
    assert_eq!(txs, 300, "the financial records stay");
    assert_eq!(sessions, 0);
    // The old session and the old password are both dead.
    assert_eq!(app.post_form(&client, "sessions", &[]).await.status(), 401);
    let r = app.post_form(&new_client(), "sign_in", &[("email", DEMO.0), ("password", DEMO.1)]).await;
    assert_eq!(r.status(), 422);
    let r = app.post_form(&new_client(), "close_account", &[("password", DEMO.1), ("mode", "sideways")]).await;
    assert_eq!(r.status(), 401);
}
