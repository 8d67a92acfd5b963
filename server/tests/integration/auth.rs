use crate::harness::{DEMO, new_client, seed, spawn_app, test_db};

const PASSWORD: &str = "correct horse battery staple";

async fn dashboard_html(app: &crate::harness::TestApp, client: &reqwest::Client) -> String {
    client.get(app.url("/")).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn sign_up_signs_in_and_sign_out_ends_the_session() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let client = app.sign_up("New.Person@Example.com", PASSWORD).await;
    let html = dashboard_html(&app, &client).await;
    assert!(html.contains("No accounts yet"), "a new user sees an empty dashboard");

    // The password is stored as an argon2id hash with OWASP parameters.
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE lower(email) = 'new.person@example.com'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");

    // The same email in another case is the same account.
    let r = app
        .post_form(
            &new_client(),
            "sign_up",
            &[("email", "new.person@EXAMPLE.com"), ("password", PASSWORD), ("confirm", PASSWORD), ("display_name", "")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("already exists"));

    let r = app.post_form(&client, "sign_out", &[]).await;
    assert!(r.status().is_success() || r.status().is_redirection());
    assert!(dashboard_html(&app, &client).await.contains("Sign in to see your accounts"));
    let revoked: i64 = sqlx::query_scalar("SELECT count(*) FROM user_sessions WHERE revoked_at IS NOT NULL")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(revoked, 1);

    // Signing in again works, with the email in any case.
    let client = app.signed_in("NEW.PERSON@example.com", PASSWORD).await;
    assert!(dashboard_html(&app, &client).await.contains("No accounts yet"));
}

#[tokio::test]
async fn weak_passwords_and_bad_emails_are_refused_with_a_reason() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    for (email, password, confirm, reason) in [
        ("not-an-email", PASSWORD, PASSWORD, "does not look like an email"),
        ("a@example.com", "short", "short", "at least 12 characters"),
        ("a@example.com", "aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("a@example.com", PASSWORD, "something else entirely", "do not match"),
    ] {
        let r = app
            .post_form(
                &new_client(),
                "sign_up",
                &[("email", email), ("password", password), ("confirm", confirm), ("display_name", "")],
            )
            .await;
        let body = r.text().await.unwrap();
        assert!(body.contains(reason), "{email}/{password}: {body}");
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&db.pool).await.unwrap();
    assert_eq!(users, 0, "nothing was half-written");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let db = test_db().await;
    seed(&db.pool, 1, 10).await;
    let app = spawn_app(db.pool.clone()).await;
    let wrong =
        app.post_form(&new_client(), "sign_in", &[("email", DEMO.0), ("password", "not the password at all")]).await;
    let (s1, b1) = (wrong.status(), wrong.text().await.unwrap());
    let unknown = app
        .post_form(
            &new_client(),
            "sign_in",
            &[("email", "nobody@example.com"), ("password", "not the password at all")],
        )
        .await;
    let (s2, b2) = (unknown.status(), unknown.text().await.unwrap());
    assert_eq!(s1, s2);
    assert_eq!(b1, b2);
    assert!(b1.contains("do not match an account"));
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_say_until_when() {
    let db = test_db().await;
    seed(&db.pool, 1, 10).await;
    let app = spawn_app(db.pool.clone()).await;
    for _ in 0..4 {
        let r = app.post_form(&new_client(), "sign_in", &[("email", DEMO.0), ("password", "wrong wrong wrong")]).await;
        assert!(r.text().await.unwrap().contains("do not match"));
    }
    let r = app.post_form(&new_client(), "sign_in", &[("email", DEMO.0), ("password", "wrong wrong wrong")]).await;
    assert!(r.text().await.unwrap().contains("locked until"));
    // Even the right password is refused while locked.
    let r = app.post_form(&new_client(), "sign_in", &[("email", DEMO.0), ("password", DEMO.1)]).await;
    assert!(r.text().await.unwrap().contains("locked until"));
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_logs ORDER BY seq").fetch_all(&db.pool).await.unwrap();
    assert_eq!(actions.iter().filter(|a| *a == "auth.sign_in_failed").count(), 4);
    assert!(actions.contains(&"auth.locked".to_string()));
    // When the lock has passed, the right password works and resets the count.
    sqlx::query("UPDATE users SET locked_until = now() - interval '1 second'").execute(&db.pool).await.unwrap();
    let client = app.signed_in(DEMO.0, DEMO.1).await;
    assert!(dashboard_html(&app, &client).await.contains("Everyday Checking"));
    let failures: i32 = sqlx::query_scalar("SELECT failed_login_count FROM users").fetch_one(&db.pool).await.unwrap();
    assert_eq!(failures, 0);
}

#[tokio::test]
async fn a_revoked_or_expired_session_stops_working_on_the_next_request() {
    let db = test_db().await;
    seed(&db.pool, 1, 10).await;
    let app = spawn_app(db.pool.clone()).await;
    let a = app.signed_in(DEMO.0, DEMO.1).await;
    let b = app.signed_in(DEMO.0, DEMO.1).await;
    assert!(dashboard_html(&app, &a).await.contains("Everyday Checking"));
    assert!(dashboard_html(&app, &b).await.contains("Everyday Checking"));

    // Revoke the first sign-in (as the settings page will): only it ends.
    let revoked = sqlx::query("UPDATE user_sessions SET revoked_at = now() WHERE id = (SELECT id FROM user_sessions ORDER BY created_at LIMIT 1)")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(revoked.rows_affected(), 1);
    let html = dashboard_html(&app, &a).await;
    assert!(html.contains("Sign in to see your accounts"), "{html}");
    assert!(dashboard_html(&app, &b).await.contains("Everyday Checking"));

    // Past its absolute expiry, the second one ends too.
    sqlx::query("UPDATE user_sessions SET expires_at = created_at + interval '1 microsecond'")
        .execute(&db.pool)
        .await
        .unwrap();
    assert!(dashboard_html(&app, &b).await.contains("Sign in to see your accounts"));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_rotated_on_sign_in() {
    let db = test_db().await;
    seed(&db.pool, 1, 10).await;
    let app = spawn_app(db.pool.clone()).await;
    let client = new_client();
    // A session that exists before sign-in (as an attacker could plant) …
    let r = app.post_form(&client, "sign_in", &[("email", DEMO.0), ("password", "wrong wrong wrong")]).await;
    let before = r.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_string());
    let r = app.post_form(&client, "sign_in", &[("email", DEMO.0), ("password", DEMO.1)]).await;
    let cookie = r.headers().get("set-cookie").expect("a session cookie").to_str().unwrap().to_string();
    assert!(cookie.starts_with("manna_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    // … is never the one that carries the sign-in.
    if let Some(before) = before {
        assert_ne!(before.split(';').next(), cookie.split(';').next());
    }
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let db = test_db().await;
    seed(&db.pool, 1, 10).await;
    let app = spawn_app(db.pool.clone()).await;
    let r = new_client()
        .post(app.url("/api/sign_in"))
        .header("origin", "https://evil.example")
        .form(&[("email", DEMO.0), ("password", DEMO.1)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM user_sessions").fetch_one(&db.pool).await.unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn the_audit_trail_is_chained_and_verify_catches_an_edit() {
    let db = test_db().await;
    seed(&db.pool, 1, 10).await;
    let app = spawn_app(db.pool.clone()).await;
    let client = app.signed_in(DEMO.0, DEMO.1).await;
    app.post_form(&client, "sign_out", &[]).await;
    app.sign_up("second@example.com", PASSWORD).await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_logs").fetch_one(&db.pool).await.unwrap();
    assert!(n >= 3);
    assert_eq!(manna_server::audit::verify(&db.pool).await.unwrap(), manna_server::audit::Verdict::Intact { rows: n });

    // Edits are refused by the database …
    assert!(sqlx::query("UPDATE audit_logs SET action = 'x'").execute(&db.pool).await.is_err());
    // … and one made behind its back (triggers off, as a superuser could) is detected.
    sqlx::raw_sql(
        "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only;
         UPDATE audit_logs SET action = 'auth.nothing_happened' WHERE seq = (SELECT min(seq) + 1 FROM audit_logs);
         ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    match manna_server::audit::verify(&db.pool).await.unwrap() {
        manna_server::audit::Verdict::Broken { .. } => {}
        other => panic!("tampering not detected: {other:?}"),
    }
}

#[tokio::test]
async fn many_failures_from_one_network_throttle_it_whatever_the_accounts() {
    let db = test_db().await;
    seed(&db.pool, 1, 10).await;
    let app = spawn_app(db.pool.clone()).await;
    for i in 0..20 {
        let email = format!("guess{i}@example.com");
        let r = app.post_form(&new_client(), "sign_in", &[("email", &email), ("password", "guess guess guess")]).await;
        assert!(r.text().await.unwrap().contains("do not match"));
    }
    // Even the right password for an untouched account waits.
    let r = app.post_form(&new_client(), "sign_in", &[("email", DEMO.0), ("password", DEMO.1)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("too many failed sign-ins from your network"));
    let failures: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_logs WHERE action = 'auth.sign_in_failed' AND user_id IS NULL")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(failures, 20, "failures for unknown emails are audited too");
    // When the window has passed, the network may try again.
    sqlx::raw_sql(
        "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only;
         UPDATE audit_logs SET created_at = created_at - interval '16 minutes';
         ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let client = app.signed_in(DEMO.0, DEMO.1).await;
    assert!(dashboard_html(&app, &client).await.contains("Everyday Checking"));
}

#[tokio::test]
async fn an_unusual_sign_in_is_scored_flagged_and_audited() {
    let db = test_db().await;
    seed(&db.pool, 1, 10).await;
    let app = spawn_app(db.pool.clone()).await;
    let sign_in_as = |ua: &'static str| {
        let app = &app;
        async move {
            let client = reqwest::Client::builder().user_agent(ua).cookie_store(true).build().unwrap();
            let r = app.post_form(&client, "sign_in", &[("email", DEMO.0), ("password", DEMO.1)]).await;
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
            client
        }
    };
    let chrome = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36";
    sign_in_as(chrome).await;
    sign_in_as(chrome).await;
    let (score, suspicious): (i16, bool) =
        sqlx::query_as("SELECT risk_score, suspicious FROM user_sessions ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((score, suspicious), (0, false), "the same browser and network again is ordinary");

    // A new browser right after three wrong passwords.
    for _ in 0..3 {
        app.post_form(&new_client(), "sign_in", &[("email", DEMO.0), ("password", "wrong wrong wrong")]).await;
    }
    let phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/604.1";
    let client = sign_in_as(phone).await;
    let (score, factors, suspicious): (i16, serde_json::Value, bool) = sqlx::query_as(
        "SELECT risk_score, risk_factors, suspicious FROM user_sessions ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(factors, serde_json::json!(["new_device", "failures_before_success"]));
    assert_eq!(score, 55);
    assert!(suspicious);
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_logs WHERE action = 'auth.suspicious_sign_in'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    // The user sees it among their sessions.
    let r = app.post_form(&client, "sessions", &[]).await;
    let sessions: serde_json::Value = r.json().await.unwrap();
    let flagged: Vec<_> = sessions.as_array().unwrap().iter().filter(|s| s["suspicious"] == true).collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["warnings"], serde_json::json!(["new device", "failed attempts first"]));
}
