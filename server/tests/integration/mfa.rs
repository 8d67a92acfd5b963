use crate::harness::{new_client, spawn_app, test_db};
use manna_core::totp::{self, TotpSecret};

const EMAIL: &str = "mfa@example.com";
const PASSWORD: &str = "correct horse battery staple";

fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

async fn body(r: reqwest::Response) -> (u16, String) {
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn enrol_then_sign_in_with_a_code_or_a_recovery_code() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let client = app.sign_up(EMAIL, PASSWORD).await;

    let (status, setup) = body(app.post_form(&client, "mfa_begin", &[]).await).await;
    assert_eq!(status, 200, "{setup}");
    let setup: serde_json::Value = serde_json::from_str(&setup).unwrap();
    assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));
    assert!(setup["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/Manna:mfa%40example.com?secret="));
    let secret = TotpSecret::from_base32(setup["secret"].as_str().unwrap()).unwrap();

    // The secret is stored sealed, never in the clear.
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT totp_pending_encrypted FROM users").fetch_one(&db.pool).await.unwrap();
    assert!(!stored.windows(secret.as_bytes().len()).any(|w| w == secret.as_bytes()));

    let (status, _) = body(app.post_form(&client, "mfa_confirm", &[("code", "000000")]).await).await;
    assert_eq!(status, 422, "a wrong code does not turn it on");
    let code = totp::code_at(&secret, now());
    let before: String =
        sqlx::query_scalar("SELECT string_agg(id, ',') FROM tower_sessions.session").fetch_one(&db.pool).await.unwrap();
    let (status, codes) = body(app.post_form(&client, "mfa_confirm", &[("code", &code)]).await).await;
    assert_eq!(status, 200, "{codes}");
    let after: String =
        sqlx::query_scalar("SELECT string_agg(id, ',') FROM tower_sessions.session").fetch_one(&db.pool).await.unwrap();
    assert_ne!(before, after, "turning MFA on rotates the session id");
    let codes: Vec<String> = serde_json::from_str(&codes).unwrap();
    assert_eq!(codes.len(), 10);
    let (_, state) = body(app.post_form(&client, "mfa_status", &[]).await).await;
    assert!(state.contains("\"enabled\":true"), "{state}");

    // Password alone is no longer enough.
    let c = new_client();
    let r = app.post_form(&c, "sign_in", &[("email", EMAIL), ("password", PASSWORD)]).await;
    assert_eq!(r.headers().get("location").map(|v| v.to_str().unwrap()), Some("/login/mfa"));
    let (status, _) = body(app.post_form(&c, "sessions", &[]).await).await;
    assert_eq!(status, 401, "not signed in before the second factor");
    // The code used to enrol cannot be replayed.
    let (status, msg) = body(app.post_form(&c, "mfa_verify", &[("code", &code)]).await).await;
    assert_eq!(status, 422, "{msg}");
    // The next step's code works (as the app would show 30 s later).
    let next = totp::code_at(&secret, now() + 30);
    let (status, msg) = body(app.post_form(&c, "mfa_verify", &[("code", &next)]).await).await;
    assert_eq!(status, 200, "{msg}");
    let (status, _) = body(app.post_form(&c, "sessions", &[]).await).await;
    assert_eq!(status, 200);
    let verified: bool = sqlx::query_scalar("SELECT mfa_verified FROM user_sessions ORDER BY created_at DESC LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(verified);

    // A recovery code works once, typed in any case and with spaces.
    let recovery = codes[3].to_uppercase().replace('-', " ");
    let c2 = new_client();
    app.post_form(&c2, "sign_in", &[("email", EMAIL), ("password", PASSWORD)]).await;
    let (status, msg) = body(app.post_form(&c2, "mfa_verify", &[("code", &recovery)]).await).await;
    assert_eq!(status, 200, "{msg}");
    let c3 = new_client();
    app.post_form(&c3, "sign_in", &[("email", EMAIL), ("password", PASSWORD)]).await;
    let (status, _) = body(app.post_form(&c3, "mfa_verify", &[("code", &recovery)]).await).await;
    assert_eq!(status, 422, "a recovery code is spent once used");
    let (_, state) = body(app.post_form(&client, "mfa_status", &[]).await).await;
    assert!(state.contains("\"recovery_codes_left\":9"), "{state}");

    // Without the password step first, a code gets nobody in.
    let (status, _) =
        body(app.post_form(&new_client(), "mfa_verify", &[("code", &totp::code_at(&secret, now()))]).await).await;
    assert_eq!(status, 422);

    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_logs ORDER BY seq").fetch_all(&db.pool).await.unwrap();
    for expected in ["auth.mfa_enabled", "auth.mfa_failed", "auth.recovery_code_used"] {
        assert!(actions.iter().any(|a| a == expected), "{expected} audited: {actions:?}");
    }
}

#[tokio::test]
async fn wrong_codes_count_towards_the_lockout_and_disabling_needs_a_code() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let client = app.sign_up(EMAIL, PASSWORD).await;
    let (_, setup) = body(app.post_form(&client, "mfa_begin", &[]).await).await;
    let setup: serde_json::Value = serde_json::from_str(&setup).unwrap();
    let secret = TotpSecret::from_base32(setup["secret"].as_str().unwrap()).unwrap();
    app.post_form(&client, "mfa_confirm", &[("code", &totp::code_at(&secret, now()))]).await;

    let c = new_client();
    app.post_form(&c, "sign_in", &[("email", EMAIL), ("password", PASSWORD)]).await;
    let mut last = String::new();
    for _ in 0..5 {
        last = body(app.post_form(&c, "mfa_verify", &[("code", "123456")]).await).await.1;
    }
    assert!(last.contains("locked until"), "{last}");

    // Turning it off needs a current code.
    let (status, _) = body(app.post_form(&client, "mfa_disable", &[("code", "123456")]).await).await;
    assert_eq!(status, 422);
    let code = totp::code_at(&secret, now() + 30);
    let (status, msg) = body(app.post_form(&client, "mfa_disable", &[("code", &code)]).await).await;
    assert_eq!(status, 200, "{msg}");
    let (on, secret_gone): (bool, bool) =
        sqlx::query_as("SELECT mfa_enabled, totp_secret_encrypted IS NULL FROM users")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(!on && secret_gone);
}

/// A client on a given network (the test server trusts X-Forwarded-For).
fn client_from(ip: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", ip.parse().unwrap());
    reqwest::Client::builder().default_headers(headers).cookie_store(true).build().unwrap()
}

#[tokio::test]
async fn a_sign_in_carried_to_another_network_must_prove_the_second_factor_again() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    // Without MFA: flagged as suspicious, still signed in.
    let plain = client_from("198.51.100.7");
    app.post_form(
        &plain,
        "sign_up",
        &[("email", "plain@example.com"), ("password", PASSWORD), ("confirm", PASSWORD), ("display_name", "")],
    )
    .await;
    let (status, _) = body(app.post_form(&plain, "sessions", &[]).await).await;
    assert_eq!(status, 200);

    // With MFA on.
    let home = client_from("198.51.100.7");
    app.post_form(
        &home,
        "sign_up",
        &[("email", EMAIL), ("password", PASSWORD), ("confirm", PASSWORD), ("display_name", "")],
    )
    .await;
    let (_, setup) = body(app.post_form(&home, "mfa_begin", &[]).await).await;
    let setup: serde_json::Value = serde_json::from_str(&setup).unwrap();
    let secret = TotpSecret::from_base32(setup["secret"].as_str().unwrap()).unwrap();
    let (status, _) =
        body(app.post_form(&home, "mfa_confirm", &[("code", &totp::code_at(&secret, now()))]).await).await;
    assert_eq!(status, 200);
    let (status, _) = body(app.post_form(&home, "sessions", &[]).await).await;
    assert_eq!(status, 200, "same network: fine");

    // The same cookies, now arriving from elsewhere (as a stolen cookie would).
    for (client, email, expect_status, expect_revoked) in
        [(&plain, "plain@example.com", 200, false), (&home, EMAIL, 401, true)]
    {
        let r = client
            .post(app.url("/api/sessions"))
            .header("origin", format!("http://{}", app.addr))
            .header("x-forwarded-for", "203.0.113.9")
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), expect_status, "{email}");
        let (suspicious, revoked): (bool, bool) = sqlx::query_as(
            "SELECT s.suspicious, s.revoked_at IS NOT NULL FROM user_sessions s JOIN users u ON u.id = s.user_id
             WHERE u.email = $1 ORDER BY s.created_at DESC LIMIT 1",
        )
        .bind(email)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert!(suspicious, "{email}");
        assert_eq!(revoked, expect_revoked, "{email}");
    }
    let noted: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_logs WHERE action = 'auth.network_changed'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(noted, 2);
}
