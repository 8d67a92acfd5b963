//! Bank connections against the local fake Plaid, with the real client, the real
//! router and the real workers (run step by step).

use crate::harness::{TestApp, spawn_app_with, test_db};
use app::plaid::{PlaidClient, PlaidConfig};
use plaid_fake::{FakePlaid, Tamper};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

pub struct Bank {
    pub fake: FakePlaid,
    pub app: TestApp,
}

pub fn client_for(fake: &FakePlaid, webhook: Option<String>) -> PlaidClient {
    let mut config = PlaidConfig::new(&fake.base_url(), fake.client_id(), fake.secret());
    config.webhook_url = webhook;
    config.link_script_url = fake.link_script_url();
    config.retry_base = Duration::from_millis(10);
    PlaidClient::new(config).unwrap()
}

impl Bank {
    pub async fn start() -> Bank {
        let fake = FakePlaid::start().await;
        let db = test_db().await;
        let app =
            spawn_app_with(db.pool, |addr| Some(client_for(&fake, Some(format!("http://{addr}/webhooks/plaid")))))
                .await;
        Bank { fake, app }
    }

    pub fn pool(&self) -> &PgPool {
        &self.app.state.pool
    }

    async fn api(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let r = self.app.post_form(client, endpoint, form).await;
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Link through the fake's Link completion (what the stand-in script posts).
    pub async fn public_token(&self, link_token: &str, password: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}/link/complete", self.fake.base_url()))
            .json(&json!({ "link_token": link_token, "institution_id": "ins_109508",
                           "username": "user_good", "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Connects a bank for the signed-in `client`: (item id, Plaid item id).
    pub async fn link(&self, client: &reqwest::Client) -> (Uuid, String) {
        let (status, token) = self.api(client, "create_link_token", &[("item", "")]).await;
        assert_eq!(status, 200, "{token}");
        let done: Value = self.public_token(token.as_str().unwrap(), "pass_good").await.json().await.unwrap();
        let public = done["public_token"].as_str().unwrap().to_string();
        let (status, id) = self.api(client, "link_bank", &[("public_token", &public)]).await;
        assert_eq!(status, 200, "{id}");
        let id: Uuid = id.as_str().unwrap().parse().unwrap();
        let plaid_id: String = sqlx::query_scalar("SELECT plaid_item_id FROM plaid_items WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await
            .unwrap();
        (id, plaid_id)
    }

    /// Runs due jobs until none is left.
    pub async fn run_jobs(&self) -> usize {
        let workers = self.app.state.workers();
        let mut n = 0;
        while workers.job_once().await.unwrap() {
            n += 1;
        }
        n
    }

    pub async fn run_webhooks(&self) -> usize {
        let workers = self.app.state.workers();
        let mut n = 0;
        while workers.webhook_once().await.unwrap() {
            n += 1;
        }
        n
    }

    /// The user's bank rows: plaid id → (amount, pending, notes).
    async fn rows(&self, item: Uuid) -> Vec<(String, Decimal, bool, Option<String>, Uuid)> {
        sqlx::query_as(
            "SELECT t.plaid_transaction_id, t.amount, t.pending, t.notes, t.id FROM transactions t
             JOIN accounts a ON a.id = t.account_id WHERE a.plaid_item_id = $1 ORDER BY 1",
        )
        .bind(item)
        .fetch_all(self.pool())
        .await
        .unwrap()
    }

    async fn status(&self, item: Uuid) -> String {
        sqlx::query_scalar("SELECT status::text FROM plaid_items WHERE id = $1")
            .bind(item)
            .fetch_one(self.pool())
            .await
            .unwrap()
    }
}

/// The fake's current set for an item: id → Manna amount (sign flipped once).
fn expected(fake: &FakePlaid, plaid_item: &str) -> Vec<(String, Decimal)> {
    let mut v: Vec<(String, Decimal)> = fake
        .state()
        .transactions(plaid_item)
        .iter()
        .map(|t| {
            let amount: Decimal = t["amount"].to_string().parse().unwrap();
            (t["transaction_id"].as_str().unwrap().to_string(), -amount)
        })
        .collect();
    v.sort();
    v
}

fn actual(rows: &[(String, Decimal, bool, Option<String>, Uuid)]) -> Vec<(String, Decimal)> {
    rows.iter().map(|r| (r.0.clone(), r.1)).collect()
}

#[tokio::test]
async fn link_exchange_and_a_first_sync_of_5000_over_pages() {
    let bank = Bank::start().await;
    bank.fake.state().set_initial_transactions(5000);
    let user = bank.app.sign_up("linker@example.com", "correct horse battery").await;
    let (item, plaid_item) = bank.link(&user).await;

    // Accounts and institution arrive with the link, before any sync.
    let (institution, accounts): (String, i64) = sqlx::query_as(
        "SELECT i.name, (SELECT count(*) FROM accounts a WHERE a.plaid_item_id = p.id)
         FROM plaid_items p JOIN institutions i ON i.id = p.institution_id WHERE p.id = $1",
    )
    .bind(item)
    .fetch_one(bank.pool())
    .await
    .unwrap();
    assert_eq!((institution.as_str(), accounts), ("First Platypus Bank", 3));

    // The access token is stored sealed: no trace of the plaintext.
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT access_token_encrypted FROM plaid_items WHERE id = $1")
        .bind(item)
        .fetch_one(bank.pool())
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("access-sandbox"));
    let dump: String = sqlx::query_scalar("SELECT row_to_json(p)::text FROM plaid_items p WHERE id = $1")
        .bind(item)
        .fetch_one(bank.pool())
        .await
        .unwrap();
    assert!(!dump.contains("access-sandbox"), "{dump}");

    assert_eq!(bank.run_jobs().await, 1);
    let rows = bank.rows(item).await;
    assert_eq!(rows.len(), 5000);
    assert_eq!(actual(&rows), expected(&bank.fake, &plaid_item), "every row, amounts negated once");
    assert!(bank.fake.state().sync_calls("/transactions/sync") >= 10, "500 a page");
    // Plaid's categories file new rows (source plaid) unless a rule or the model did.
    let plaid_filed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transactions WHERE plaid_transaction_id IS NOT NULL AND category_source = 'plaid'",
    )
    .fetch_one(bank.pool())
    .await
    .unwrap();
    assert!(plaid_filed > 1000, "{plaid_filed}");
    let cursor: Option<String> = sqlx::query_scalar("SELECT sync_cursor FROM plaid_items WHERE id = $1")
        .bind(item)
        .fetch_one(bank.pool())
        .await
        .unwrap();
    assert!(cursor.is_some_and(|c| !c.is_empty()));

    // Nothing new: another sync adds nothing.
    let (status, _) = bank.api(&user, "sync_connection", &[("item", &item.to_string())]).await;
    assert_eq!(status, 200);
    assert_eq!(bank.run_jobs().await, 1);
    assert_eq!(bank.rows(item).await.len(), 5000);
}

#[tokio::test]
async fn a_mutation_during_pagination_restarts_the_run_without_duplicates_or_gaps() {
    let bank = Bank::start().await;
    bank.fake.state().set_initial_transactions(1200);
    let user = bank.app.sign_up("mutation@example.com", "correct horse battery").await;
    let (item, plaid_item) = bank.link(&user).await;
    bank.fake.state().arm_mutation_during_pagination(&plaid_item);
    assert_eq!(bank.run_jobs().await, 1);
    let outcome: Value = sqlx::query_scalar("SELECT outcome FROM jobs WHERE plaid_item_id = $1 AND status = 'done'")
        .bind(item)
        .fetch_one(bank.pool())
        .await
        .unwrap();
    assert_eq!(outcome["restarts"], 1, "{outcome}");
    let rows = bank.rows(item).await;
    assert_eq!(rows.len(), 1201, "the row added mid-run is in");
    let ids: HashSet<&String> = rows.iter().map(|r| &r.0).collect();
    assert_eq!(ids.len(), rows.len(), "no duplicates");
    assert_eq!(actual(&rows), expected(&bank.fake, &plaid_item), "no gaps");
}

#[tokio::test]
async fn modified_removed_and_pending_to_posted_keep_the_users_edits() {
    let bank = Bank::start().await;
    bank.fake.state().set_initial_transactions(20);
    let user = bank.app.sign_up("changes@example.com", "correct horse battery").await;
    let (item, plaid_item) = bank.link(&user).await;
    let pending = bank.fake.state().add_pending(&plaid_item, 1).remove(0);
    bank.run_jobs().await;
    let rows = bank.rows(item).await;
    let pending_row = rows.iter().find(|r| r.0 == pending).unwrap().clone();
    assert!(pending_row.2, "pending");
    let others: Vec<_> = rows.iter().filter(|r| !r.2).take(2).cloned().collect();
    let (modified, removed) = (others[0].clone(), others[1].clone());

    // The user files the pending row and the modified one and writes notes.
    let groceries: Uuid = sqlx::query_scalar("SELECT id FROM categories WHERE user_id IS NULL AND name = 'Groceries'")
        .fetch_one(bank.pool())
        .await
        .unwrap();
    for (row, category) in [(&pending_row, groceries.to_string()), (&modified, String::new())] {
        let id = row.4.to_string();
        let edit = [
            ("id", id.as_str()),
            ("edit[category]", category.as_str()),
            ("edit[notes]", "mine"),
            ("edit[tags]", ""),
            ("edit[business]", "false"),
            ("edit[deductible]", "false"),
        ];
        let (status, body) = bank.api(&user, "update_transaction", &edit).await;
        assert_eq!(status, 200, "{body}");
    }

    let posted = bank.fake.state().post_pending(&plaid_item, &pending);
    bank.fake.state().modify(&plaid_item, &modified.0, Some(99.99), Some("RENAMED BY BANK".into()));
    bank.fake.state().remove(&plaid_item, &removed.0);
    let (status, _) = bank.api(&user, "sync_connection", &[("item", &item.to_string())]).await;
    assert_eq!(status, 200);
    bank.run_jobs().await;

    let rows = bank.rows(item).await;
    assert_eq!(actual(&rows), expected(&bank.fake, &plaid_item));
    let now_posted = rows.iter().find(|r| r.0 == posted).unwrap();
    assert_eq!(now_posted.4, pending_row.4, "the posted row took over the pending one");
    assert!(!now_posted.2);
    assert_eq!(now_posted.3.as_deref(), Some("mine"));
    let category: Option<Uuid> = sqlx::query_scalar("SELECT category_id FROM transactions WHERE id = $1")
        .bind(now_posted.4)
        .fetch_one(bank.pool())
        .await
        .unwrap();
    assert_eq!(category, Some(groceries), "the user's category survives");
    let m = rows.iter().find(|r| r.0 == modified.0).unwrap();
    assert_eq!(m.1, Decimal::new(-9999, 2));
    assert_eq!(m.3.as_deref(), Some("mine"), "notes survive a bank modification");
    assert!(!rows.iter().any(|r| r.0 == removed.0 || r.0 == pending));
}

#[tokio::test]
async fn login_required_then_update_mode_returns_the_item_to_good() {
    let bank = Bank::start().await;
    let user = bank.app.sign_up("relogin@example.com", "correct horse battery").await;
    let (item, plaid_item) = bank.link(&user).await;
    bank.run_jobs().await;
    bank.fake.state().reset_login(&plaid_item);
    // Plaid tells us with ITEM ERROR ITEM_LOGIN_REQUIRED.
    let code = bank.fake.state().fire_webhook(&plaid_item, "ITEM", "ERROR", json!({}), Tamper::None).await.unwrap();
    assert_eq!(code, 200);
    assert_eq!(bank.run_webhooks().await, 1);
    assert_eq!(bank.status(item).await, "login_required");
    let (status, body) = bank.api(&user, "sync_connection", &[("item", &item.to_string())]).await;
    assert_eq!(status, 422, "{body}");

    // Update mode: a link token for the item, Link completes, the page reports it.
    let (status, token) = bank.api(&user, "create_link_token", &[("item", &item.to_string())]).await;
    assert_eq!(status, 200, "{token}");
    let wrong = bank.public_token(token.as_str().unwrap(), "wrong").await;
    assert_eq!(wrong.status().as_u16(), 400);
    let ok = bank.public_token(token.as_str().unwrap(), "pass_good").await;
    assert_eq!(ok.status().as_u16(), 200);
    let (status, body) = bank.api(&user, "connection_repaired", &[("item", &item.to_string())]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(bank.status(item).await, "good");
    bank.fake.state().add_transactions(&plaid_item, 3);
    assert_eq!(bank.run_jobs().await, 1, "sync resumes");
    assert_eq!(actual(&bank.rows(item).await), expected(&bank.fake, &plaid_item));
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried() {
    let bank = Bank::start().await;
    let user = bank.app.sign_up("retry@example.com", "correct horse battery").await;
    let (item, plaid_item) = bank.link(&user).await;
    bank.fake.state().fail_next("/transactions/sync", 429, 3);
    assert_eq!(bank.run_jobs().await, 1);
    assert_eq!(actual(&bank.rows(item).await), expected(&bank.fake, &plaid_item));
    assert_eq!(bank.fake.state().sync_calls("/transactions/sync"), 4, "three refused, one served");
    bank.fake.state().add_transactions(&plaid_item, 2);
    bank.fake.state().fail_next("/transactions/sync", 500, 1);
    let (status, _) = bank.api(&user, "sync_connection", &[("item", &item.to_string())]).await;
    assert_eq!(status, 200);
    assert_eq!(bank.run_jobs().await, 1);
    assert_eq!(actual(&bank.rows(item).await), expected(&bank.fake, &plaid_item));
    assert_eq!(bank.fake.state().sync_calls("/transactions/sync"), 6, "one refused, one served");
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status <> 'done'").fetch_one(bank.pool()).await.unwrap();
    assert_eq!(failed, 0);

    // Past the client's attempts, the job is queued again for later with the reason.
    bank.fake.state().add_transactions(&plaid_item, 2);
    bank.fake.state().fail_next("/transactions/sync", 503, 10);
    let (status, _) = bank.api(&user, "sync_connection", &[("item", &item.to_string())]).await;
    assert_eq!(status, 200);
    bank.run_jobs().await;
    let (job_status, error, later): (String, Option<String>, bool) = sqlx::query_as(
        "SELECT status::text, last_error, run_at > now() FROM jobs WHERE plaid_item_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(item)
    .fetch_one(bank.pool())
    .await
    .unwrap();
    assert_eq!(job_status, "queued");
    assert!(later);
    assert!(error.is_some_and(|e| !e.is_empty()));
}

#[tokio::test]
async fn webhooks_are_verified_deduplicated_and_processed() {
    let bank = Bank::start().await;
    let user = bank.app.sign_up("hooks@example.com", "correct horse battery").await;
    let (item, plaid_item) = bank.link(&user).await;
    bank.run_jobs().await;
    let stored = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM plaid_webhooks").fetch_one(bank.pool()).await.unwrap()
    };
    let fire = |code: &'static str, tamper: Tamper| {
        let state = bank.fake.state().clone();
        let plaid_item = plaid_item.clone();
        async move { state.fire_webhook(&plaid_item, "TRANSACTIONS", code, json!({}), tamper).await.unwrap() }
    };
    for tamper in [Tamper::BadSignature, Tamper::WrongBodyHash, Tamper::StaleIat, Tamper::UnknownKid] {
        assert_eq!(fire("SYNC_UPDATES_AVAILABLE", tamper).await, 400, "{tamper:?}");
    }
    assert_eq!(stored().await, 0, "nothing refused is stored");

    bank.fake.state().add_transactions(&plaid_item, 4);
    assert_eq!(fire("SYNC_UPDATES_AVAILABLE", Tamper::None).await, 200);
    assert_eq!(bank.fake.state().resend_last_webhook().await.unwrap(), 200, "a duplicate is answered 200");
    assert_eq!(stored().await, 1, "and stored once");
    assert_eq!(bank.run_webhooks().await, 1);
    assert_eq!(bank.run_jobs().await, 1, "the webhook queued a sync");
    assert_eq!(actual(&bank.rows(item).await), expected(&bank.fake, &plaid_item));

    // ITEM codes move the status.
    for (code, status) in [
        ("PENDING_EXPIRATION", "pending_expiration"),
        ("PENDING_DISCONNECT", "pending_disconnect"),
        ("LOGIN_REPAIRED", "good"),
        ("USER_PERMISSION_REVOKED", "revoked"),
    ] {
        let code_status =
            bank.fake.state().fire_webhook(&plaid_item, "ITEM", code, json!({}), Tamper::None).await.unwrap();
        assert_eq!(code_status, 200);
        bank.run_webhooks().await;
        assert_eq!(bank.status(item).await, status, "{code}");
    }
    let processed: Vec<(String, i32)> =
        sqlx::query_as("SELECT status::text, attempts FROM plaid_webhooks").fetch_all(bank.pool()).await.unwrap();
    assert!(processed.iter().all(|(s, a)| s == "processed" && *a == 1), "{processed:?}");

    // Health on the page: received and last webhook.
    let (status, view) = bank.api(&user, "connections", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(view["items"][0]["webhooks_received"], 5);
    assert!(view["items"][0]["last_webhook_at"].is_string());
}

#[tokio::test]
async fn a_webhook_without_a_token_or_with_garbage_is_refused() {
    let bank = Bank::start().await;
    let post = |header: Option<&'static str>| {
        let url = bank.app.url("/webhooks/plaid");
        async move {
            let mut r = reqwest::Client::new().post(url).body(r#"{"webhook_type":"ITEM","webhook_code":"ERROR"}"#);
            if let Some(h) = header {
                r = r.header("Plaid-Verification", h);
            }
            r.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(post(None).await, 400);
    assert_eq!(post(Some("not.a.jwt")).await, 400);
    assert_eq!(post(Some("eyJhbGciOiJIUzI1NiJ9.e30.x")).await, 400, "HS256 is refused");
}

#[tokio::test]
async fn every_connection_function_answers_not_found_for_another_users_item() {
    let bank = Bank::start().await;
    let owner = bank.app.sign_up("owner-bank@example.com", "correct horse battery").await;
    let other = bank.app.sign_up("other-bank@example.com", "correct horse battery").await;
    let (item, _) = bank.link(&owner).await;
    let id = item.to_string();
    for (endpoint, form) in [
        ("create_link_token", vec![("item", id.as_str())]),
        ("connection_repaired", vec![("item", id.as_str())]),
        ("sync_connection", vec![("item", id.as_str())]),
        ("remove_connection", vec![("item", id.as_str()), ("keep_history", "on")]),
    ] {
        let (status, body) = bank.api(&other, endpoint, &form).await;
        assert_eq!(status, 404, "{endpoint}: {body}");
    }
    let (status, view) = bank.api(&other, "connections", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(view["items"], json!([]), "another user's connections are not listed");
    let still: i64 = sqlx::query_scalar("SELECT count(*) FROM plaid_items").fetch_one(bank.pool()).await.unwrap();
    assert_eq!(still, 1);
    // Signed out: nothing.
    let anonymous = crate::harness::new_client();
    let (status, _) = bank.api(&anonymous, "connections", &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn removing_a_connection_keeps_or_deletes_the_history() {
    let bank = Bank::start().await;
    let user = bank.app.sign_up("remover@example.com", "correct horse battery").await;
    let (kept, kept_plaid) = bank.link(&user).await;
    let (gone, _) = bank.link(&user).await;
    bank.run_jobs().await;
    let pool = bank.pool().clone();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    let before = count("SELECT count(*) FROM transactions").await;
    let per_item = before / 2;
    let (status, body) =
        bank.api(&user, "remove_connection", &[("item", &kept.to_string()), ("keep_history", "on")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(count("SELECT count(*) FROM transactions").await, before, "history kept");
    assert_eq!(count("SELECT count(*) FROM accounts WHERE is_manual AND plaid_account_id IS NOT NULL").await, 3);
    let (status, body) = bank.api(&user, "remove_connection", &[("item", &gone.to_string())]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(count("SELECT count(*) FROM transactions").await, before - per_item, "history deleted");
    assert_eq!(count("SELECT count(*) FROM plaid_items").await, 0);
    // Plaid forgot the item too.
    assert!(!bank.fake.state().item_ids().contains(&kept_plaid));
    let audited = count("SELECT count(*) FROM audit_logs WHERE action = 'plaid.removed'").await;
    assert_eq!(audited, 2);
}
