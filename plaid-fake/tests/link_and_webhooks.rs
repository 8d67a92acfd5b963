//! Webhooks (signatures, tampering, duplicates), login-required and update mode, and
//! Link completion as the stand-in script drives it.

mod support;

use plaid_fake::Tamper;
use serde_json::{Value, json};
use support::{Harness, code, decode_part, next_webhook, receiver, verify};

#[tokio::test]
async fn webhooks_are_signed_and_tampered_on_request() {
    let h = Harness::new().await;
    let (hooks, mut rx) = receiver().await;
    let (item_id, access) = h.item(Some(&format!("{hooks}/hook"))).await;

    let mut seen = Vec::new();
    for tamper in ["none", "stale_iat", "bad_signature", "wrong_body_hash", "unknown_kid"] {
        let body =
            json!({ "webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE", "tamper": tamper });
        let (status, v) = h.control(&format!("/fake/items/{item_id}/webhook"), body).await;
        assert_eq!((status, v["status"].as_u64()), (200, Some(200)), "{v}");
        let (path, headers, body) = next_webhook(&mut rx).await;
        assert_eq!(path, "/hook");
        assert_eq!(headers["content-type"], "application/json");
        let jwt = headers["plaid-verification"].to_str().unwrap().to_string();
        let kid = decode_part(jwt.split('.').next().unwrap())["kid"].as_str().unwrap().to_string();
        let (status, key) = h.plaid("/webhook_verification_key/get", json!({ "key_id": kid })).await;
        let outcome = if status == 200 {
            assert_eq!(
                (key["key"]["alg"].as_str(), key["key"]["crv"].as_str(), key["key"]["kty"].as_str()),
                (Some("ES256"), Some("P-256"), Some("EC"))
            );
            verify(&jwt, &body, &key["key"])
        } else {
            assert_eq!(code(&key), "INVALID_WEBHOOK_VERIFICATION_KEY_ID");
            Err("kid")
        };
        seen.push(outcome);
        let text = std::str::from_utf8(&body).unwrap();
        assert!(text.contains("\n  \"webhook_code\": \"SYNC_UPDATES_AVAILABLE\""), "2-space indented: {text}");
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (parsed["item_id"].as_str(), parsed["environment"].as_str()),
            (Some(item_id.as_str()), Some("sandbox"))
        );
        assert_eq!(
            (parsed["initial_update_complete"].as_bool(), parsed["historical_update_complete"].as_bool()),
            (Some(true), Some(true))
        );
    }
    assert_eq!(seen, [Ok(()), Err("iat"), Err("signature"), Err("body hash"), Err("kid")]);

    // A duplicate delivery: the very same bytes and header.
    let status =
        h.fake.state().fire_webhook(&item_id, "ITEM", "PENDING_EXPIRATION", json!({ "note": 1 }), Tamper::None).await;
    assert_eq!(status, Ok(200));
    let (_, headers1, body1) = next_webhook(&mut rx).await;
    let (status, v) = h.control("/fake/resend_last_webhook", json!({})).await;
    assert_eq!((status, v["status"].as_u64()), (200, Some(200)));
    let (_, headers2, body2) = next_webhook(&mut rx).await;
    assert_eq!(
        (body1.clone(), headers1["plaid-verification"].clone()),
        (body2, headers2["plaid-verification"].clone())
    );
    let parsed: Value = serde_json::from_slice(&body1).unwrap();
    assert!(parsed["consent_expiration_time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(parsed["note"], 1);

    // The sandbox endpoint fires in the background.
    let v = h
        .ok("/sandbox/item/fire_webhook", json!({ "access_token": access, "webhook_code": "SYNC_UPDATES_AVAILABLE" }))
        .await;
    assert_eq!(v["webhook_fired"], true);
    let (_, _, body) = next_webhook(&mut rx).await;
    let parsed: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (parsed["webhook_type"].as_str(), parsed["webhook_code"].as_str()),
        (Some("TRANSACTIONS"), Some("SYNC_UPDATES_AVAILABLE"))
    );
    let (_, e) = h
        .plaid(
            "/sandbox/item/fire_webhook",
            json!({ "access_token": access, "webhook_type": "ITEM", "webhook_code": "NOPE" }),
        )
        .await;
    assert_eq!(code(&e), "INVALID_FIELD");

    // A new URL is acknowledged at that URL; the receiver's status comes back.
    let new_url = format!("{hooks}/new-503");
    let v = h.ok("/item/webhook/update", json!({ "access_token": access, "webhook": new_url })).await;
    assert_eq!(v["item"]["webhook"], new_url.as_str());
    let (path, _, body) = next_webhook(&mut rx).await;
    assert_eq!(path, "/new-503");
    let parsed: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (parsed["webhook_code"].as_str(), parsed["new_webhook_url"].as_str()),
        (Some("WEBHOOK_UPDATE_ACKNOWLEDGED"), Some(new_url.as_str()))
    );
    assert_eq!(parsed["error"], Value::Null);
    let status = h.fake.state().fire_webhook(&item_id, "ITEM", "PENDING_DISCONNECT", Value::Null, Tamper::None).await;
    assert_eq!(status, Ok(503));
    let (_, _, body) = next_webhook(&mut rx).await;
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["reason"], "INSTITUTION_MIGRATION");
}

#[tokio::test]
async fn login_required_and_update_mode_repair() {
    let h = Harness::new().await;
    let (hooks, mut rx) = receiver().await;
    let (item_id, access) = h.item(Some(&format!("{hooks}/hook"))).await;

    let v = h.ok("/sandbox/item/reset_login", json!({ "access_token": access })).await;
    assert_eq!(v["reset_login"], true);
    let (_, _, body) = next_webhook(&mut rx).await;
    let parsed: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((parsed["webhook_type"].as_str(), parsed["webhook_code"].as_str()), (Some("ITEM"), Some("ERROR")));
    assert_eq!(parsed["error"]["error_code"], "ITEM_LOGIN_REQUIRED");

    let (status, e) = h.sync(&access, "", 100).await;
    assert_eq!((status, code(&e), e["error_type"].as_str()), (400, "ITEM_LOGIN_REQUIRED", Some("ITEM_ERROR")));
    let (_, e) = h.plaid("/accounts/get", json!({ "access_token": access })).await;
    assert_eq!(code(&e), "ITEM_LOGIN_REQUIRED");
    let item = h.ok("/item/get", json!({ "access_token": access })).await;
    assert_eq!(item["item"]["error"]["error_code"], "ITEM_LOGIN_REQUIRED");

    // Update mode: a link token for the item, no products, 30 minutes.
    let link = h
        .ok("/link/token/create", json!({ "client_name": "Manna", "language": "en", "country_codes": ["US"], "user": { "client_user_id": "u1" }, "access_token": access }))
        .await;
    let token = link["link_token"].as_str().unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(link["expiration"].as_str().unwrap()).unwrap();
    let minutes = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((28..=30).contains(&minutes), "{minutes}");
    let (status, session) = h.control("/link/session", json!({ "link_token": token })).await;
    assert_eq!((status, session["mode"].as_str()), (200, Some("update")));
    assert_eq!(session["institution"]["name"], "First Platypus Bank");

    let (status, e) =
        h.control("/link/complete", json!({ "link_token": token, "username": "user_good", "password": "nope" })).await;
    assert_eq!((status, code(&e)), (400, "INVALID_CREDENTIALS"));
    assert!(e["display_message"].is_string());
    let (status, done) = h
        .control("/link/complete", json!({ "link_token": token, "username": "user_good", "password": "pass_good" }))
        .await;
    assert_eq!(status, 200, "{done}");
    assert!(done["public_token"].as_str().unwrap().starts_with("public-sandbox-"));
    assert_eq!(done["metadata"]["institution"]["institution_id"], "ins_109508");
    let (_, _, body) = next_webhook(&mut rx).await;
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["webhook_code"], "LOGIN_REPAIRED");
    let (status, _) = h.sync(&access, "", 100).await;
    assert_eq!(status, 200);
    let item = h.ok("/item/get", json!({ "access_token": access })).await;
    assert_eq!(item["item"]["error"], Value::Null);

    // The fake-only control sets the state without a webhook.
    h.fake.state().reset_login(&item_id);
    let (_, e) = h.sync(&access, "", 100).await;
    assert_eq!(code(&e), "ITEM_LOGIN_REQUIRED");
}

#[tokio::test]
async fn link_completes_a_new_item() {
    let h = Harness::new().await;
    let base = json!({ "client_name": "Manna", "language": "en", "country_codes": ["US"], "user": { "client_user_id": "u1" } });
    let with = |extra: Value| {
        let mut body = base.clone();
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    for (body, expected) in [
        (
            with(json!({ "products": ["transactions"], "client_name": "A name that is much too long for Plaid" })),
            "INVALID_FIELD",
        ),
        (with(json!({ "products": ["transactions"], "language": "xx" })), "INVALID_FIELD"),
        (with(json!({ "products": ["transactions"], "country_codes": [] })), "INVALID_FIELD"),
        (with(json!({ "products": ["transactions"], "user": { "client_user_id": "" } })), "INVALID_FIELD"),
        (with(json!({ "products": ["nope"] })), "INVALID_FIELD"),
        (base.clone(), "MISSING_FIELDS"),
    ] {
        let (status, e) = h.plaid("/link/token/create", body).await;
        assert_eq!((status, code(&e)), (400, expected), "{e}");
    }
    let link = h
        .ok("/link/token/create", with(json!({ "products": ["transactions"], "webhook": "http://127.0.0.1:9/hook" })))
        .await;
    let token = link["link_token"].as_str().unwrap();
    assert!(token.starts_with("link-sandbox-"));
    let expires = chrono::DateTime::parse_from_rfc3339(link["expiration"].as_str().unwrap()).unwrap();
    assert!((expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() >= 239);

    // CORS for the page.
    let r = h
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/link/complete", h.fake.base_url()))
        .header("Origin", "http://localhost:3000")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase().contains("content-type"));
    let (status, session) = h.control("/link/session", json!({ "link_token": token })).await;
    assert_eq!((status, session["mode"].as_str(), session["institution"].clone()), (200, Some("create"), Value::Null));

    let complete = |username: &str, token: &str| json!({ "link_token": token, "institution_id": "ins_109509", "username": username, "password": "pass_good" });
    let (status, e) = h.control("/link/complete", complete("user_bad", token)).await;
    assert_eq!((status, code(&e)), (400, "INVALID_CREDENTIALS"));
    // The script's envelope mode: the same error with HTTP 200 (no console error in the page).
    let r = h
        .http
        .post(format!("{}/link/complete?envelope=1", h.fake.base_url()))
        .json(&complete("user_bad", token))
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["x-plaid-fake-status"].to_str().unwrap()), (200, "400"));
    assert_eq!(code(&r.json().await.unwrap()), "INVALID_CREDENTIALS");
    let (status, e) = h.control("/link/complete", complete("user_good", "link-sandbox-unknown")).await;
    assert_eq!((status, code(&e)), (400, "INVALID_LINK_TOKEN"));
    assert!(e["display_message"].is_string());
    let r = h
        .http
        .post(format!("{}/link/complete", h.fake.base_url()))
        .json(&complete("user_good", token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let done: Value = r.json().await.unwrap();
    let metadata = &done["metadata"];
    assert_eq!(
        metadata["institution"],
        json!({ "name": "First Gingham Credit Union", "institution_id": "ins_109509" })
    );
    let accounts = metadata["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 3);
    for key in ["id", "name", "mask", "type", "subtype"] {
        assert!(accounts[0].get(key).is_some(), "{key}");
    }
    assert!(metadata["link_session_id"].is_string());
    let ex = h.ok("/item/public_token/exchange", json!({ "public_token": done["public_token"] })).await;
    let item = h.ok("/item/get", json!({ "access_token": ex["access_token"] })).await;
    assert_eq!(item["item"]["webhook"], "http://127.0.0.1:9/hook");
    assert_eq!(item["item"]["institution_id"], "ins_109509");

    // An expired token is refused.
    let (status, _) = h.control("/fake/link_tokens/expire", json!({ "link_token": token })).await;
    assert_eq!(status, 200);
    let (_, e) = h.control("/link/complete", complete("user_good", token)).await;
    assert_eq!(code(&e), "INVALID_LINK_TOKEN");
}

#[tokio::test]
async fn the_stand_in_script_is_served() {
    let h = Harness::new().await;
    let r = h.http.get(h.fake.link_script_url()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/javascript"));
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let text = r.text().await.unwrap();
    for needle in ["window.Plaid", "Plaid Link (test stand-in)", "/link/complete", "document.currentScript", "role"] {
        assert!(text.contains(needle), "{needle}");
    }
    let r = h.http.post(format!("{}/no/such/endpoint", h.fake.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
}
