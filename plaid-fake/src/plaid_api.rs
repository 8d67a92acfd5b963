//! Plaid's endpoints (POST + JSON, credentials in the body or headers), except
//! `/transactions/sync` (see `sync.rs`) and Link's page side (see `link.rs`).

use crate::data::{self, COUNTRY_CODES, LANGUAGES, LINK_PRODUCTS};
use crate::errors::{PlaidError, request_id};
use crate::fake_state::FakeState;
use crate::state::LinkToken;
use crate::webhooks::sandbox_code_allowed;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use chrono::{Duration, SecondsFormat, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// An endpoint: the parsed, authenticated request body in, the response body out
/// (`request_id` is added by the caller).
pub(crate) type Endpoint = fn(&Arc<FakeState>, &Value) -> Result<Value, PlaidError>;

/// A POST route for a Plaid endpoint.
pub(crate) fn plaid_route(path: &'static str, endpoint: Endpoint) -> MethodRouter<Arc<FakeState>> {
    post(move |State(state): State<Arc<FakeState>>, headers: HeaderMap, body: Bytes| async move {
        call(&state, path, &headers, &body, endpoint)
    })
}

fn call(state: &Arc<FakeState>, path: &str, headers: &HeaderMap, body: &[u8], endpoint: Endpoint) -> Response {
    let request_id = request_id();
    let injected = state.lock().begin_call(path);
    let result = match injected {
        Some(error) => Err(error),
        None => parse_body(body).and_then(|request| {
            authenticate(state, headers, &request)?;
            endpoint(state, &request)
        }),
    };
    match result {
        Ok(mut response) => {
            if let Some(object) = response.as_object_mut() {
                object.insert("request_id".into(), json!(request_id));
            }
            tracing::debug!(path, "200");
            Json(response).into_response()
        }
        Err(error) => {
            tracing::debug!(path, status = error.status, code = error.error_code, "error");
            error.response(&request_id)
        }
    }
}

/// The body as a JSON object, else INVALID_BODY.
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, PlaidError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(PlaidError::invalid_body("the request body must be a JSON object")),
        Err(e) => Err(PlaidError::invalid_body(format!("the request body is not valid JSON: {e}"))),
    }
}

fn authenticate(state: &FakeState, headers: &HeaderMap, request: &Value) -> Result<(), PlaidError> {
    let pick = |field: &str, header: &str| {
        request[field]
            .as_str()
            .map(str::to_string)
            .or_else(|| headers.get(header).and_then(|v| v.to_str().ok()).map(str::to_string))
    };
    let client_id = pick("client_id", "plaid-client-id");
    let secret = pick("secret", "plaid-secret");
    if client_id.as_deref() == Some(state.client_id.as_str()) && secret.as_deref() == Some(state.secret.as_str()) {
        Ok(())
    } else {
        Err(PlaidError::invalid_api_keys())
    }
}

/// A typed view of the request: a missing field → MISSING_FIELDS, a wrong one → INVALID_FIELD.
pub(crate) fn parse<T: DeserializeOwned>(request: &Value) -> Result<T, PlaidError> {
    T::deserialize(request).map_err(|e| {
        let message = e.to_string();
        if message.starts_with("missing field") {
            PlaidError::missing_fields(message)
        } else {
            PlaidError::invalid_field(message)
        }
    })
}

fn is_url(s: &str) -> bool {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace))
}

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Deserialize)]
struct AccessTokenRequest {
    access_token: String,
}

#[derive(Deserialize)]
struct LinkUser {
    client_user_id: String,
}

#[derive(Deserialize)]
struct TransactionsOptions {
    days_requested: Option<i64>,
}

#[derive(Deserialize)]
struct LinkTokenCreate {
    client_name: String,
    language: String,
    country_codes: Vec<String>,
    user: LinkUser,
    products: Option<Vec<String>>,
    access_token: Option<String>,
    webhook: Option<String>,
    redirect_uri: Option<String>,
    transactions: Option<TransactionsOptions>,
}

fn link_token_create(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: LinkTokenCreate = parse(request)?;
    let name_len = r.client_name.chars().count();
    if !(1..=30).contains(&name_len) {
        return Err(PlaidError::invalid_field("client_name must be between 1 and 30 characters"));
    }
    if !LANGUAGES.contains(&r.language.as_str()) {
        return Err(PlaidError::invalid_field(format!("language {:?} is not supported", r.language)));
    }
    if r.country_codes.is_empty() {
        return Err(PlaidError::invalid_field("country_codes must not be empty"));
    }
    if let Some(code) = r.country_codes.iter().find(|c| !COUNTRY_CODES.contains(&c.as_str())) {
        return Err(PlaidError::invalid_field(format!("country_codes: {code:?} is not supported")));
    }
    if r.user.client_user_id.trim().is_empty() {
        return Err(PlaidError::invalid_field("user.client_user_id must not be empty"));
    }
    if let Some(webhook) = r.webhook.as_deref().filter(|w| !is_url(w)) {
        return Err(PlaidError::invalid_field(format!("webhook {webhook:?} is not a valid URL")));
    }
    if let Some(uri) = r.redirect_uri.as_deref().filter(|u| !is_url(u)) {
        return Err(PlaidError::invalid_field(format!("redirect_uri {uri:?} is not a valid URL")));
    }
    if let Some(days) = r.transactions.and_then(|t| t.days_requested).filter(|d| !(1..=730).contains(d)) {
        return Err(PlaidError::invalid_field(format!("transactions.days_requested must be 1 to 730, not {days}")));
    }
    let mut inner = state.lock();
    let now = Utc::now();
    let (update_item, expires_at) = match (r.access_token.as_deref(), r.products.as_deref()) {
        (Some(_), Some(products)) if !products.is_empty() => {
            return Err(PlaidError::invalid_field("products must be omitted when access_token is set (update mode)"));
        }
        (Some(token), _) => (Some(inner.item_for_token(token)?.item_id.clone()), now + Duration::minutes(30)),
        (None, None) => {
            return Err(PlaidError::missing_fields("products is required (or access_token for update mode)"));
        }
        (None, Some([])) => return Err(PlaidError::invalid_field("products must not be empty")),
        (None, Some(products)) => {
            if let Some(p) = products.iter().find(|p| !LINK_PRODUCTS.contains(&p.as_str())) {
                return Err(PlaidError::invalid_field(format!("products: {p:?} is not a valid product")));
            }
            (None, now + Duration::hours(4))
        }
    };
    let link_token = format!("link-sandbox-{}", uuid::Uuid::new_v4());
    inner.link_tokens.insert(
        link_token.clone(),
        LinkToken { expires_at, webhook: r.webhook, client_user_id: r.user.client_user_id, update_item },
    );
    Ok(json!({ "link_token": link_token, "expiration": rfc3339(expires_at) }))
}

#[derive(Deserialize)]
struct SandboxOptions {
    webhook: Option<String>,
}

#[derive(Deserialize)]
struct SandboxPublicTokenCreate {
    institution_id: String,
    initial_products: Vec<String>,
    options: Option<SandboxOptions>,
}

fn sandbox_public_token_create(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: SandboxPublicTokenCreate = parse(request)?;
    if r.initial_products.is_empty() {
        return Err(PlaidError::invalid_field("initial_products must not be empty"));
    }
    if let Some(p) = r.initial_products.iter().find(|p| !LINK_PRODUCTS.contains(&p.as_str())) {
        return Err(PlaidError::invalid_field(format!("initial_products: {p:?} is not a valid product")));
    }
    let webhook = r.options.and_then(|o| o.webhook);
    if let Some(webhook) = webhook.as_deref().filter(|w| !is_url(w)) {
        return Err(PlaidError::invalid_field(format!("options.webhook {webhook:?} is not a valid URL")));
    }
    let mut inner = state.lock();
    let item_id = inner.create_item(&r.institution_id, webhook)?;
    Ok(json!({ "public_token": inner.issue_public_token(&item_id) }))
}

#[derive(Deserialize)]
struct Exchange {
    public_token: String,
}

fn public_token_exchange(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: Exchange = parse(request)?;
    let mut inner = state.lock();
    let entry = inner
        .public_tokens
        .get_mut(&r.public_token)
        .filter(|t| !t.used)
        .ok_or_else(PlaidError::invalid_public_token)?;
    entry.used = true;
    let item_id = entry.item_id.clone();
    let access_token = format!("access-sandbox-{}", uuid::Uuid::new_v4());
    inner.access_tokens.insert(access_token.clone(), item_id.clone());
    Ok(json!({ "access_token": access_token, "item_id": item_id }))
}

#[derive(Deserialize)]
struct AccountsOptions {
    account_ids: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct AccountsGet {
    access_token: String,
    options: Option<AccountsOptions>,
}

fn accounts_get(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: AccountsGet = parse(request)?;
    let mut inner = state.lock();
    let item = inner.item_for_token(&r.access_token)?;
    if item.login_required {
        return Err(PlaidError::item_login_required());
    }
    let wanted = r.options.and_then(|o| o.account_ids);
    if let Some(unknown) = wanted.iter().flatten().find(|id| !item.accounts.iter().any(|a| &&a.account_id == id)) {
        return Err(PlaidError::invalid_field(format!("options.account_ids: unknown account {unknown}")));
    }
    let accounts: Vec<Value> = item
        .accounts
        .iter()
        .filter(|a| wanted.as_ref().is_none_or(|ids| ids.contains(&a.account_id)))
        .map(|a| a.to_json())
        .collect();
    Ok(json!({ "accounts": accounts, "item": item.to_json() }))
}

fn item_get(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: AccessTokenRequest = parse(request)?;
    let mut inner = state.lock();
    let item = inner.item_for_token(&r.access_token)?;
    Ok(json!({ "item": item.to_json(), "status": item.status_json() }))
}

#[derive(Deserialize)]
struct InstitutionGet {
    institution_id: String,
    country_codes: Vec<String>,
}

fn institutions_get_by_id(_: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: InstitutionGet = parse(request)?;
    if r.country_codes.is_empty() || r.country_codes.iter().any(|c| !COUNTRY_CODES.contains(&c.as_str())) {
        return Err(PlaidError::invalid_field("country_codes must be a non-empty list of supported country codes"));
    }
    let institution =
        data::institution(&r.institution_id).ok_or_else(|| PlaidError::invalid_institution(&r.institution_id))?;
    Ok(json!({ "institution": institution.to_json() }))
}

fn item_remove(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: AccessTokenRequest = parse(request)?;
    state.lock().item_for_token(&r.access_token)?.removed = true;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct WebhookUpdate {
    access_token: String,
    webhook: String,
}

fn item_webhook_update(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: WebhookUpdate = parse(request)?;
    if !is_url(&r.webhook) {
        return Err(PlaidError::invalid_field(format!("webhook {:?} is not a valid URL", r.webhook)));
    }
    let (item_id, item) = {
        let mut inner = state.lock();
        let item = inner.item_for_token(&r.access_token)?;
        item.webhook = Some(r.webhook);
        (item.item_id.clone(), item.to_json())
    };
    state.spawn_webhook(&item_id, "ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED");
    Ok(json!({ "item": item }))
}

fn sandbox_reset_login(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: AccessTokenRequest = parse(request)?;
    let (item_id, has_webhook) = {
        let mut inner = state.lock();
        let item = inner.item_for_token(&r.access_token)?;
        item.login_required = true;
        (item.item_id.clone(), item.webhook.is_some())
    };
    if has_webhook {
        state.spawn_webhook(&item_id, "ITEM", "ERROR");
    }
    Ok(json!({ "reset_login": true }))
}

#[derive(Deserialize)]
struct FireWebhook {
    access_token: String,
    webhook_type: Option<String>,
    webhook_code: String,
}

fn sandbox_fire_webhook(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: FireWebhook = parse(request)?;
    let webhook_type = r.webhook_type.unwrap_or_else(|| "TRANSACTIONS".into());
    if !sandbox_code_allowed(&webhook_type, &r.webhook_code) {
        return Err(PlaidError::invalid_field(format!(
            "webhook_code {:?} is not supported for webhook_type {webhook_type:?}",
            r.webhook_code
        )));
    }
    let item_id = {
        let mut inner = state.lock();
        let item = inner.item_for_token(&r.access_token)?;
        if item.webhook.is_none() {
            return Err(PlaidError::sandbox_webhook_invalid());
        }
        item.item_id.clone()
    };
    state.spawn_webhook(&item_id, webhook_type, r.webhook_code);
    Ok(json!({ "webhook_fired": true }))
}

#[derive(Deserialize)]
struct KeyGet {
    key_id: String,
}

fn webhook_verification_key_get(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: KeyGet = parse(request)?;
    if r.key_id != state.signer.kid {
        return Err(PlaidError::invalid_webhook_key_id());
    }
    Ok(json!({ "key": state.signer.jwk() }))
}

/// Every Plaid endpoint the fake answers, with its handler.
pub(crate) fn endpoints() -> Vec<(&'static str, Endpoint)> {
    vec![
        ("/link/token/create", link_token_create as Endpoint),
        ("/sandbox/public_token/create", sandbox_public_token_create),
        ("/item/public_token/exchange", public_token_exchange),
        ("/accounts/get", accounts_get),
        ("/accounts/balance/get", accounts_get),
        ("/item/get", item_get),
        ("/institutions/get_by_id", institutions_get_by_id),
        ("/transactions/sync", crate::sync::transactions_sync),
        ("/item/remove", item_remove),
        ("/item/webhook/update", item_webhook_update),
        ("/sandbox/item/reset_login", sandbox_reset_login),
        ("/sandbox/item/fire_webhook", sandbox_fire_webhook),
        ("/webhook_verification_key/get", webhook_verification_key_get),
    ]
}
