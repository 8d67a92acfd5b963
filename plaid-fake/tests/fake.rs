//! The fake's Plaid API over HTTP: items, accounts, sync paging and its errors.

mod support;

use serde_json::{Value, json};
use std::collections::HashSet;
use support::{Harness, code, ids};

#[tokio::test]
async fn item_accounts_institution_and_errors() {
    let h = Harness::new().await;
    let (item_id, access) = h.item(None).await;

    let accounts = h.ok("/accounts/get", json!({ "access_token": access })).await;
    let list = accounts["accounts"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Plaid Checking", "Plaid Saving", "Plaid Credit Card"]);
    assert_eq!(
        list[0]["balances"],
        json!({"available": 100.0, "current": 110.0, "limit": null, "iso_currency_code": "USD", "unofficial_currency_code": null})
    );
    assert_eq!(
        (list[2]["type"].as_str(), list[2]["subtype"].as_str(), list[2]["mask"].as_str()),
        (Some("credit"), Some("credit card"), Some("3333"))
    );
    assert_eq!(list[2]["balances"]["limit"], 2000.0);
    assert_eq!(accounts["item"]["item_id"], item_id);
    let balance = h.ok("/accounts/balance/get", json!({ "access_token": access })).await;
    assert_eq!(balance["accounts"], accounts["accounts"]);

    let item = h.ok("/item/get", json!({ "access_token": access })).await;
    assert_eq!(item["item"]["institution_id"], "ins_109508");
    assert_eq!(item["item"]["error"], Value::Null);
    assert_eq!(item["item"]["billed_products"], json!(["transactions"]));
    assert!(item["status"].is_object());

    let ins = h.ok("/institutions/get_by_id", json!({ "institution_id": "ins_109508", "country_codes": ["US"] })).await;
    assert_eq!(ins["institution"]["name"], "First Platypus Bank");
    assert_eq!(ins["institution"]["primary_color"], "#1f6f5c");
    let (status, e) =
        h.plaid("/institutions/get_by_id", json!({ "institution_id": "ins_1", "country_codes": ["US"] })).await;
    assert_eq!((status, code(&e)), (400, "INVALID_INSTITUTION"));
    let (_, e) = h
        .plaid(
            "/sandbox/public_token/create",
            json!({ "institution_id": "ins_1", "initial_products": ["transactions"] }),
        )
        .await;
    assert_eq!(code(&e), "INVALID_INSTITUTION");

    // Credentials in headers work; wrong or missing ones do not.
    let r = h
        .http
        .post(format!("{}/item/get", h.fake.base_url()))
        .header("PLAID-CLIENT-ID", h.fake.client_id())
        .header("PLAID-SECRET", h.fake.secret())
        .json(&json!({ "access_token": access }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, e) = h
        .raw("/item/get", json!({ "access_token": access, "client_id": "x", "secret": "y" }).to_string().into_bytes())
        .await;
    assert_eq!((status, code(&e), e["error_type"].as_str()), (400, "INVALID_API_KEYS", Some("INVALID_INPUT")));
    for key in ["error_message", "display_message", "request_id", "documentation_url", "suggested_action"] {
        assert!(e.get(key).is_some(), "error has {key}");
    }
    let (status, e) = h.raw("/item/get", b"{not json".to_vec()).await;
    assert_eq!((status, e["error_type"].as_str()), (400, Some("INVALID_REQUEST")));
    let (status, e) = h.plaid("/accounts/get", json!({ "access_token": 7 })).await;
    assert_eq!((status, e["error_type"].as_str()), (400, Some("INVALID_REQUEST")));
    let (_, e) = h.plaid("/accounts/get", json!({ "access_token": "access-sandbox-nope" })).await;
    assert_eq!(code(&e), "INVALID_ACCESS_TOKEN");

    // A public token works once.
    let public = h
        .ok(
            "/sandbox/public_token/create",
            json!({ "institution_id": "ins_109509", "initial_products": ["transactions"] }),
        )
        .await;
    let body = json!({ "public_token": public["public_token"] });
    h.ok("/item/public_token/exchange", body.clone()).await;
    let (status, e) = h.plaid("/item/public_token/exchange", body).await;
    assert_eq!((status, code(&e)), (400, "INVALID_PUBLIC_TOKEN"));

    // Removal.
    let removed = h.ok("/item/remove", json!({ "access_token": access })).await;
    assert_eq!(removed.as_object().unwrap().len(), 1, "only request_id: {removed}");
    let (status, e) = h.plaid("/accounts/get", json!({ "access_token": access })).await;
    assert_eq!((status, code(&e), e["error_type"].as_str()), (400, "ITEM_NOT_FOUND", Some("ITEM_ERROR")));
    let (_, e) = h.sync(&access, "", 100).await;
    assert_eq!(code(&e), "ITEM_NOT_FOUND");
    assert!(!h.fake.state().item_ids().contains(&item_id));
}

#[tokio::test]
async fn sync_pages_then_an_empty_incremental_call() {
    let h = Harness::new().await;
    h.fake.state().set_initial_transactions(250);
    let (item_id, access) = h.item(None).await;
    let (_, other_access) = h.item(None).await;

    let mut cursor = String::new();
    let mut seen = Vec::new();
    for (expected, more) in [(100, true), (100, true), (50, false)] {
        let (status, page) = h.sync(&access, &cursor, 100).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["added"].as_array().unwrap().len(), expected);
        assert_eq!(page["has_more"], more);
        assert_eq!(page["transactions_update_status"], "HISTORICAL_UPDATE_COMPLETE");
        assert_eq!(page["accounts"].as_array().unwrap().len(), 3);
        seen.extend(ids(page["added"].as_array().unwrap()));
        cursor = page["next_cursor"].as_str().unwrap().to_string();
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 250);
    assert_eq!(seen, ids(&h.fake.state().transactions(&item_id)));

    let t = &h.fake.state().transactions(&item_id)[0];
    for key in [
        "transaction_id",
        "account_id",
        "amount",
        "iso_currency_code",
        "unofficial_currency_code",
        "date",
        "authorized_date",
        "pending",
        "pending_transaction_id",
        "name",
        "merchant_name",
        "payment_channel",
        "location",
        "personal_finance_category",
        "counterparties",
        "logo_url",
        "website",
        "category",
        "category_id",
        "transaction_code",
        "check_number",
    ] {
        assert!(t.get(key).is_some(), "transaction has {key}: {t}");
    }
    let all = h.fake.state().transactions(&item_id);
    assert!(all.iter().any(|t| t["pending"] == true), "a few pending");
    assert!(all.iter().any(|t| t["amount"].as_f64().unwrap() < 0.0), "some money in");

    let (status, page) = h.sync(&access, &cursor, 100).await;
    assert_eq!(status, 200);
    assert_eq!((page["added"].as_array().unwrap().len(), page["has_more"].as_bool()), (0, Some(false)));
    assert!(!page["next_cursor"].as_str().unwrap().is_empty());

    for count in [0, 501] {
        let (status, e) = h.sync(&access, "", count).await;
        assert_eq!((status, code(&e)), (400, "INVALID_FIELD"), "count {count}");
    }
    let (_, e) = h.sync(&access, "garbage!", 100).await;
    assert_eq!(code(&e), "INVALID_FIELD");
    let (_, e) = h.sync(&other_access, &cursor, 100).await;
    assert_eq!(code(&e), "INVALID_FIELD", "another item's cursor");
    // Without a count: 100.
    let (_, page) = h.plaid("/transactions/sync", json!({ "access_token": other_access })).await;
    assert_eq!(page["added"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn changes_appear_in_the_next_run() {
    let h = Harness::new().await;
    let state = h.fake.state();
    let (item_id, access) = h.item(None).await;
    let (added, _, _, cursor) = h.run(&access, "", 100).await;
    assert_eq!(added.len(), 30);

    let rows = state.transactions(&item_id);
    let (first, second) = (ids(&rows[..1]).remove(0), ids(&rows[1..2]).remove(0));
    state.modify(&item_id, &first, Some(12.346), Some("Renamed".into()));
    state.remove(&item_id, &second);
    let new_ids = state.add_transactions(&item_id, 2);
    let pending = state.add_pending(&item_id, 1).remove(0);
    let posted = state.post_pending(&item_id, &pending);

    let (added, modified, removed, _) = h.run(&access, &cursor, 100).await;
    let added_ids = ids(&added);
    assert_eq!(added_ids, [new_ids[0].clone(), new_ids[1].clone(), pending.clone(), posted.clone()]);
    assert_eq!(modified.len(), 1);
    assert_eq!((modified[0]["amount"].as_f64(), modified[0]["name"].as_str()), (Some(12.35), Some("Renamed")));
    let removed_ids: Vec<&str> = removed.iter().map(|r| r["transaction_id"].as_str().unwrap()).collect();
    assert_eq!(removed_ids, [second.as_str(), pending.as_str()]);
    assert!(removed.iter().all(|r| r["account_id"].is_string()));
    let posted_row = added.iter().find(|t| t["transaction_id"] == posted.as_str()).unwrap();
    assert_eq!(
        (posted_row["pending"].as_bool(), posted_row["pending_transaction_id"].as_str()),
        (Some(false), Some(pending.as_str()))
    );
    let current = ids(&state.transactions(&item_id));
    assert!(current.contains(&posted) && !current.contains(&pending) && !current.contains(&second));

    // The same over HTTP controls.
    let base = format!("/fake/items/{item_id}");
    let (status, v) = h.control(&format!("{base}/transactions"), json!({ "count": 3 })).await;
    assert_eq!((status, v["transaction_ids"].as_array().unwrap().len()), (200, 3));
    let (_, v) = h.control(&format!("{base}/transactions"), json!({ "count": 1, "pending": true })).await;
    let pending = v["transaction_ids"][0].as_str().unwrap().to_string();
    let (status, v) = h.control(&format!("{base}/post_pending"), json!({ "transaction_id": pending })).await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = h.control(&format!("{base}/modify"), json!({ "transaction_id": first, "amount": 1.5 })).await;
    assert_eq!(status, 200);
    let (status, _) = h.control(&format!("{base}/remove"), json!({ "transaction_id": first })).await;
    assert_eq!(status, 200);
    let (status, e) = h.control(&format!("{base}/remove"), json!({ "transaction_id": first })).await;
    assert_eq!(status, 404, "{e}");
    let (status, e) = h.control("/fake/items/nope/transactions", json!({ "count": 1 })).await;
    assert_eq!(status, 404, "{e}");
    let (status, e) = h.control(&format!("{base}/transactions"), json!({ "count": "many" })).await;
    assert_eq!((status, e["error_type"].as_str()), (400, Some("INVALID_REQUEST")));
    let items: Value =
        h.http.get(format!("{}/fake/items", h.fake.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(items[0]["item_id"], item_id.as_str());
    assert_eq!(items[0]["transaction_count"], state.transactions(&item_id).len());
}

#[tokio::test]
async fn mutation_during_pagination_then_restart() {
    let h = Harness::new().await;
    h.fake.state().set_initial_transactions(250);
    let (item_id, access) = h.item(None).await;

    let (_, first) = h.sync(&access, "", 100).await;
    let (status, _) = h.control(&format!("/fake/items/{item_id}/mutate_during_pagination"), json!({})).await;
    assert_eq!(status, 200);
    let (status, e) = h.sync(&access, first["next_cursor"].as_str().unwrap(), 100).await;
    assert_eq!(
        (status, code(&e), e["error_type"].as_str()),
        (400, "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", Some("TRANSACTIONS_ERROR"))
    );
    assert_eq!(h.fake.state().transactions(&item_id).len(), 251, "the mutation is real");

    // Restart from the run's start cursor: everything, the new row included.
    let (added, _, _, end) = h.run(&access, "", 100).await;
    assert_eq!(added.len(), 251);
    assert_eq!(ids(&added), ids(&h.fake.state().transactions(&item_id)));

    // Any growth inside a run fails the continuing call; a finished run is not affected.
    let (_, page) = h.sync(&access, &end, 100).await;
    assert_eq!(page["has_more"], false);
    h.fake.state().add_transactions(&item_id, 150);
    let (_, page) = h.sync(&access, &end, 100).await;
    assert_eq!(page["has_more"], true);
    h.fake.state().add_transactions(&item_id, 1);
    let (_, e) = h.sync(&access, page["next_cursor"].as_str().unwrap(), 100).await;
    assert_eq!(code(&e), "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION");
}

#[tokio::test]
async fn not_ready_then_data() {
    let h = Harness::new().await;
    let (status, _) = h.control("/fake/config", json!({ "not_ready_calls": 2 })).await;
    assert_eq!(status, 200);
    let (_, access) = h.item(None).await;
    for _ in 0..2 {
        let (status, page) = h.sync(&access, "", 100).await;
        assert_eq!(status, 200);
        assert_eq!(page["transactions_update_status"], "NOT_READY");
        assert_eq!((page["next_cursor"].as_str(), page["has_more"].as_bool()), (Some(""), Some(false)));
        assert_eq!(page["added"], json!([]));
    }
    let (_, page) = h.sync(&access, "", 100).await;
    assert_eq!(page["added"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn injected_failures_then_success() {
    let h = Harness::new().await;
    let (_, access) = h.item(None).await;
    let (status, _) =
        h.control("/fake/fail_next", json!({ "path": "/transactions/sync", "status": 429, "times": 1 })).await;
    assert_eq!(status, 200);
    let (status, e) = h.sync(&access, "", 100).await;
    assert_eq!(
        (status, e["error_type"].as_str(), code(&e)),
        (429, Some("RATE_LIMIT_EXCEEDED"), "TRANSACTIONS_SYNC_LIMIT")
    );
    let (status, _) = h.sync(&access, "", 100).await;
    assert_eq!(status, 200);
    assert_eq!(h.fake.state().sync_calls("/transactions/sync"), 2);
    let calls: Value =
        h.http.get(format!("{}/fake/calls", h.fake.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(calls["/transactions/sync"], 2);

    h.fake.state().fail_next("/item/get", 500, 1);
    h.fake.state().fail_next("accounts/get", 503, 2);
    let (status, e) = h.plaid("/item/get", json!({ "access_token": access })).await;
    assert_eq!((status, code(&e)), (500, "INTERNAL_SERVER_ERROR"));
    for _ in 0..2 {
        let (status, e) = h.plaid("/accounts/get", json!({ "access_token": access })).await;
        assert_eq!((status, code(&e), e["error_type"].as_str()), (503, "PLANNED_MAINTENANCE", Some("API_ERROR")));
    }
    h.ok("/accounts/get", json!({ "access_token": access })).await;
    let (status, _) = h.control("/fake/fail_next", json!({ "path": "/item/get", "status": 418 })).await;
    assert_eq!(status, 400);
}
