use crate::harness::{DEMO, seed, spawn_app, test_db};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery staple";

async fn json(r: reqwest::Response) -> (u16, serde_json::Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

#[tokio::test]
async fn sessions_list_and_revoke_are_per_user() {
    let db = test_db().await;
    seed(&db.pool, 1, 10).await;
    let app = spawn_app(db.pool.clone()).await;
    let a1 = app.signed_in(DEMO.0, DEMO.1).await;
    let a2 = app.signed_in(DEMO.0, DEMO.1).await;
    let b = app.sign_up("bee@example.com", PASSWORD).await;

    let (status, a_sessions) = json(app.post_form(&a1, "sessions", &[]).await).await;
    assert_eq!(status, 200);
    let a_sessions = a_sessions.as_array().unwrap().clone();
    assert_eq!(a_sessions.len(), 2);
    assert_eq!(a_sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let (_, b_sessions) = json(app.post_form(&b, "sessions", &[]).await).await;
    assert_eq!(b_sessions.as_array().unwrap().len(), 1, "B sees only B's sign-ins");

    // B cannot revoke A's session: not found, and nothing changes.
    let a2_id = a_sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();
    let (status, body) = json(app.post_form(&b, "revoke_session", &[("id", &a2_id)]).await).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body, "NotFound");
    let (_, still) = json(app.post_form(&a1, "sessions", &[]).await).await;
    assert_eq!(still.as_array().unwrap().len(), 2);

    // An id that does not exist at all is the same "not found".
    let (status, _) = json(app.post_form(&b, "revoke_session", &[("id", &Uuid::new_v4().to_string())]).await).await;
    assert_eq!(status, 404);
    let (status, _) = json(app.post_form(&b, "revoke_session", &[("id", "not-a-uuid")]).await).await;
    assert!((400..500).contains(&status), "{status}");

    // A signs out their other device from the first: it ends on its next request.
    let (status, _) = json(app.post_form(&a1, "revoke_session", &[("id", &a2_id)]).await).await;
    assert_eq!(status, 200);
    let (status, _) = json(app.post_form(&a2, "sessions", &[]).await).await;
    assert_eq!(status, 401);
    let (status, _) = json(app.post_form(&a1, "sessions", &[]).await).await;
    assert_eq!(status, 200);

    // Signed out: nothing.
    let (status, _) = json(app.post_form(&crate::harness::new_client(), "sessions", &[]).await).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn activity_shows_only_the_users_own_history_in_pages() {
    let db = test_db().await;
    seed(&db.pool, 1, 10).await;
    let app = spawn_app(db.pool.clone()).await;
    for _ in 0..10 {
        app.post_form(&crate::harness::new_client(), "sign_in", &[("email", "bee@example.com"), ("password", "x")])
            .await;
    }
    let b = app.sign_up("bee@example.com", PASSWORD).await;
    for _ in 0..3 {
        app.post_form(
            &crate::harness::new_client(),
            "sign_in",
            &[("email", DEMO.0), ("password", "wrong wrong wrong")],
        )
        .await;
    }
    sqlx::query("UPDATE users SET locked_until = NULL, failed_login_count = 0").execute(&db.pool).await.unwrap();
    for _ in 0..27 {
        app.signed_in("bee@example.com", PASSWORD).await;
    }
    let a = app.signed_in(DEMO.0, DEMO.1).await;

    let (_, page) = json(app.post_form(&a, "activity", &[]).await).await;
    let actions: Vec<&str> = page["entries"].as_array().unwrap().iter().map(|e| e["what"].as_str().unwrap()).collect();
    assert_eq!(actions, ["Signed in", "Failed sign-in attempt", "Failed sign-in attempt", "Failed sign-in attempt"]);
    assert!(page["next"].is_null());

    // B has 28 entries: a page of 25, then 3 older ones.
    let (_, first) = json(app.post_form(&b, "activity", &[]).await).await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 25);
    let next = first["next"].as_i64().unwrap().to_string();
    let (_, second) = json(app.post_form(&b, "activity", &[("before", &next)]).await).await;
    let older = second["entries"].as_array().unwrap();
    assert_eq!(older.len(), 3);
    assert_eq!(older.last().unwrap()["what"], "Account created");
    assert!(second["next"].is_null());
}
