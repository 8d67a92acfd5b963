//! Link's page side: the stand-in `link-initialize.js` and the endpoints it calls
//! (`/link/session`, `/link/complete`), open to any origin (CORS).

use crate::errors::{PlaidError, request_id};
use crate::fake_state::FakeState;
use crate::plaid_api::{parse, parse_body};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

pub const GOOD_USERNAME: &str = "user_good";
pub const GOOD_PASSWORD: &str = "pass_good";

pub(crate) fn routes() -> Router<Arc<FakeState>> {
    Router::new()
        .route("/link-initialize.js", get(script))
        .route("/link/session", post(session).options(preflight))
        .route("/link/complete", post(complete).options(preflight))
        .layer(axum::middleware::map_response(allow_any_origin))
}

async fn allow_any_origin(mut response: Response) -> Response {
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type"),
            (header::ACCESS_CONTROL_MAX_AGE, "600"),
        ],
    )
        .into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "application/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        crate::link_js::LINK_INITIALIZE_JS,
    )
        .into_response()
}

#[derive(Deserialize)]
struct SessionRequest {
    link_token: String,
}

#[derive(Deserialize)]
struct CompleteRequest {
    link_token: String,
    institution_id: Option<String>,
    username: String,
    password: String,
    link_session_id: Option<String>,
}

/// `?envelope=1` (what the script sends): errors come back with HTTP 200 (the real status
/// in `X-Plaid-Fake-Status`), so a browser logs no "Failed to load resource" console error
/// for an expected failure such as wrong credentials. Without it: Plaid's 400.
fn envelope(query: &Option<String>) -> bool {
    query.as_deref().is_some_and(|q| q.split('&').any(|pair| pair == "envelope=1"))
}

fn answer(
    state: &FakeState,
    path: &str,
    query: &Option<String>,
    body: &[u8],
    f: impl FnOnce(&Value) -> Result<Value, PlaidError>,
) -> Response {
    let request_id = request_id();
    let injected = state.lock().begin_call(path);
    let result = match injected {
        Some(error) => Err(error),
        None => parse_body(body).and_then(|request| f(&request)),
    };
    match result {
        Ok(mut value) => {
            if let Some(object) = value.as_object_mut() {
                object.insert("request_id".into(), json!(request_id));
            }
            Json(value).into_response()
        }
        Err(error) if envelope(query) => {
            let status = HeaderValue::from(error.status);
            let mut response = Json(error.to_json(Some(&request_id))).into_response();
            response.headers_mut().insert("x-plaid-fake-status", status);
            response
        }
        Err(error) => error.response(&request_id),
    }
}

/// What the script needs before it draws the modal: the token's mode, and for update
/// mode the institution being reconnected.
async fn session(State(state): State<Arc<FakeState>>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    answer(&state, "/link/session", &query, &body, |request| {
        let r: SessionRequest = parse(request)?;
        let inner = state.lock();
        let token = inner.link_tokens.get(&r.link_token).filter(|t| t.expires_at > Utc::now());
        let token = token.ok_or_else(PlaidError::invalid_link_token)?;
        let institution = match &token.update_item {
            Some(item_id) => {
                let item = inner.item(item_id).map_err(|_| PlaidError::item_not_found())?;
                json!({ "name": item.institution_name(), "institution_id": item.institution_id })
            }
            None => Value::Null,
        };
        Ok(json!({
            "mode": if token.update_item.is_some() { "update" } else { "create" },
            "institution": institution,
            "link_session_id": uuid::Uuid::new_v4().to_string(),
        }))
    })
}

/// The credentials form was submitted: creates the item (or repairs it in update mode).
async fn complete(State(state): State<Arc<FakeState>>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    answer(&state, "/link/complete", &query, &body, |request| {
        let r: CompleteRequest = parse(request)?;
        let link_session_id = r.link_session_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let mut inner = state.lock();
        let token = inner.link_tokens.get(&r.link_token).filter(|t| t.expires_at > Utc::now());
        let (webhook, update_item) =
            token.map(|t| (t.webhook.clone(), t.update_item.clone())).ok_or_else(PlaidError::invalid_link_token)?;
        if r.username != GOOD_USERNAME || r.password != GOOD_PASSWORD {
            return Err(PlaidError::invalid_credentials());
        }
        match update_item {
            None => {
                let institution_id = r.institution_id.unwrap_or_default();
                let item_id = inner.create_item(&institution_id, webhook)?;
                let public_token = inner.issue_public_token(&item_id);
                let metadata = inner.item(&item_id)?.link_metadata(&link_session_id);
                Ok(json!({ "public_token": public_token, "metadata": metadata }))
            }
            Some(item_id) => {
                let item = inner.item_mut(&item_id).map_err(|_| PlaidError::item_not_found())?;
                if item.removed {
                    return Err(PlaidError::item_not_found());
                }
                item.login_required = false;
                let metadata = item.link_metadata(&link_session_id);
                let has_webhook = item.webhook.is_some();
                drop(inner);
                if has_webhook {
                    state.spawn_webhook(&item_id, "ITEM", "LOGIN_REPAIRED");
                }
                Ok(json!({ "public_token": format!("public-sandbox-{}", uuid::Uuid::new_v4()), "metadata": metadata }))
            }
        }
    })
}
