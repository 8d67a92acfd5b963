//! Fake-only controls under `/fake/` (no credentials): JSON in, JSON out, the same
//! operations as `FakeState`'s methods. Errors use Plaid's error shape.

use crate::errors::{PlaidError, request_id};
use crate::fake_state::FakeState;
use crate::state::normalize_path;
use crate::webhooks::Tamper;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

impl IntoResponse for PlaidError {
    fn into_response(self) -> Response {
        self.response(&request_id())
    }
}

type Answer = Result<Json<Value>, PlaidError>;

/// The JSON body (an empty body reads as `{}`).
fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PlaidError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { bytes };
    let value = crate::plaid_api::parse_body(bytes)?;
    crate::plaid_api::parse(&value)
}

fn ok() -> Answer {
    Ok(Json(json!({ "ok": true })))
}

pub(crate) fn routes() -> Router<Arc<FakeState>> {
    Router::new()
        .route("/fake/config", post(config))
        .route("/fake/items", get(items))
        .route("/fake/items/{item_id}/transactions", get(list_transactions).post(add_transactions))
        .route("/fake/items/{item_id}/post_pending", post(post_pending))
        .route("/fake/items/{item_id}/modify", post(modify))
        .route("/fake/items/{item_id}/remove", post(remove))
        .route("/fake/items/{item_id}/mutate_during_pagination", post(mutate_during_pagination))
        .route("/fake/items/{item_id}/reset_login", post(reset_login))
        .route("/fake/items/{item_id}/webhook", post(webhook))
        .route("/fake/fail_next", post(fail_next))
        .route("/fake/resend_last_webhook", post(resend_last_webhook))
        .route("/fake/calls", get(calls))
        .route("/fake/link_tokens/expire", post(expire_link_token))
}

#[derive(Deserialize)]
struct ConfigRequest {
    initial_transactions: Option<usize>,
    not_ready_calls: Option<usize>,
}

async fn config(State(state): State<Arc<FakeState>>, bytes: Bytes) -> Answer {
    let r: ConfigRequest = body(&bytes)?;
    let mut inner = state.lock();
    if let Some(n) = r.initial_transactions {
        inner.config.initial_transactions = n;
    }
    if let Some(n) = r.not_ready_calls {
        inner.config.not_ready_calls = n;
    }
    Ok(Json(json!({
        "initial_transactions": inner.config.initial_transactions,
        "not_ready_calls": inner.config.not_ready_calls,
    })))
}

async fn items(State(state): State<Arc<FakeState>>) -> Json<Value> {
    let inner = state.lock();
    let items: Vec<Value> = inner
        .items
        .iter()
        .filter(|i| !i.removed)
        .map(|i| {
            json!({
                "item_id": i.item_id,
                "institution_id": i.institution_id,
                "webhook": i.webhook,
                "login_required": i.login_required,
                "transaction_count": i.current.len(),
            })
        })
        .collect();
    Json(Value::Array(items))
}

async fn list_transactions(State(state): State<Arc<FakeState>>, Path(item_id): Path<String>) -> Answer {
    let inner = state.lock();
    Ok(Json(json!({ "transactions": inner.item(&item_id)?.current })))
}

#[derive(Deserialize)]
struct AddRequest {
    count: usize,
    #[serde(default)]
    pending: bool,
}

async fn add_transactions(State(state): State<Arc<FakeState>>, Path(item_id): Path<String>, bytes: Bytes) -> Answer {
    let r: AddRequest = body(&bytes)?;
    let ids = state.lock().add_generated(&item_id, r.count, r.pending)?;
    Ok(Json(json!({ "transaction_ids": ids })))
}

#[derive(Deserialize)]
struct TransactionRequest {
    transaction_id: String,
}

async fn post_pending(State(state): State<Arc<FakeState>>, Path(item_id): Path<String>, bytes: Bytes) -> Answer {
    let r: TransactionRequest = body(&bytes)?;
    let posted = state.lock().post_pending(&item_id, &r.transaction_id)?;
    Ok(Json(json!({ "transaction_id": posted })))
}

#[derive(Deserialize)]
struct ModifyRequest {
    transaction_id: String,
    amount: Option<f64>,
    name: Option<String>,
}

async fn modify(State(state): State<Arc<FakeState>>, Path(item_id): Path<String>, bytes: Bytes) -> Answer {
    let r: ModifyRequest = body(&bytes)?;
    state.lock().item_mut(&item_id)?.modify(&r.transaction_id, r.amount, r.name)?;
    ok()
}

async fn remove(State(state): State<Arc<FakeState>>, Path(item_id): Path<String>, bytes: Bytes) -> Answer {
    let r: TransactionRequest = body(&bytes)?;
    state.lock().item_mut(&item_id)?.remove(&r.transaction_id)?;
    ok()
}

async fn mutate_during_pagination(State(state): State<Arc<FakeState>>, Path(item_id): Path<String>) -> Answer {
    state.lock().item_mut(&item_id)?.arm_mutation = true;
    ok()
}

async fn reset_login(State(state): State<Arc<FakeState>>, Path(item_id): Path<String>) -> Answer {
    state.lock().item_mut(&item_id)?.login_required = true;
    ok()
}

#[derive(Deserialize)]
struct WebhookRequest {
    webhook_type: String,
    webhook_code: String,
    #[serde(default)]
    extra: Value,
    #[serde(default)]
    tamper: Tamper,
}

fn delivery_failed(message: String) -> PlaidError {
    PlaidError::new(502, "API_ERROR", "WEBHOOK_DELIVERY_FAILED", message)
}

async fn webhook(State(state): State<Arc<FakeState>>, Path(item_id): Path<String>, bytes: Bytes) -> Answer {
    let r: WebhookRequest = body(&bytes)?;
    if !matches!(r.extra, Value::Null | Value::Object(_)) {
        return Err(PlaidError::invalid_field("extra must be a JSON object"));
    }
    {
        let inner = state.lock();
        if inner.item(&item_id)?.webhook.is_none() {
            return Err(PlaidError::sandbox_webhook_invalid());
        }
    }
    let status = state
        .fire_webhook(&item_id, &r.webhook_type, &r.webhook_code, r.extra, r.tamper)
        .await
        .map_err(delivery_failed)?;
    Ok(Json(json!({ "status": status })))
}

async fn resend_last_webhook(State(state): State<Arc<FakeState>>) -> Answer {
    if state.last_delivery().is_none() {
        return Err(PlaidError::not_found("no webhook has been sent yet"));
    }
    let status = state.resend_last_webhook().await.map_err(delivery_failed)?;
    Ok(Json(json!({ "status": status })))
}

#[derive(Deserialize)]
struct FailRequest {
    path: String,
    status: u16,
    #[serde(default = "one")]
    times: usize,
}

fn one() -> usize {
    1
}

async fn fail_next(State(state): State<Arc<FakeState>>, bytes: Bytes) -> Answer {
    let r: FailRequest = body(&bytes)?;
    state.try_fail_next(&r.path, r.status, r.times)?;
    Ok(Json(json!({ "path": normalize_path(&r.path), "status": r.status, "times": r.times })))
}

async fn calls(State(state): State<Arc<FakeState>>) -> Json<Value> {
    Json(json!(state.calls()))
}

#[derive(Deserialize)]
struct ExpireRequest {
    link_token: String,
}

async fn expire_link_token(State(state): State<Arc<FakeState>>, bytes: Bytes) -> Answer {
    let r: ExpireRequest = body(&bytes)?;
    if !state.expire_link_token(&r.link_token) {
        return Err(PlaidError::not_found(format!("no link token {}", r.link_token)));
    }
    ok()
}
