//! `GET /settings/export.json`: the signed-in user's data as a download (GDPR access
//! and portability). A plain route rather than a server function, so the browser can
//! save it with an ordinary link.

use crate::startup::AppState;
use app::auth::ssr::user_of_session;
use app::data::{audit, privacy, user_tx};
use app::error::AppError;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use tower_sessions::Session;

pub async fn my_data(
    State(state): State<AppState>,
    peer: Result<ConnectInfo<SocketAddr>, axum::extract::rejection::ExtensionRejection>,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let ip = app::auth::ssr::client_ip_from(&headers, peer.ok().map(|c| c.0), state.proxy);
    match build(&state, &session, &headers, ip).await {
        Ok(resp) => resp,
        Err(AppError::Unauthorized) => (StatusCode::UNAUTHORIZED, "sign in to download your data").into_response(),
        Err(e) => (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), e.to_string())
            .into_response(),
    }
}

async fn build(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    ip: Option<std::net::IpAddr>,
) -> Result<Response, AppError> {
    let user = user_of_session(&state.pool, session, ip).await?;
    let mut tx = user_tx(&state.pool, user.user_id).await?;
    let doc = privacy::export(&mut tx, user.user_id).await?;
    let actor = audit::Actor {
        user_id: Some(user.user_id),
        session_id: Some(user.user_session_id),
        ip: ip.map(|ip| ip.to_string()),
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
        device: None,
    };
    audit::record(
        &mut tx,
        &actor,
        audit::Entry {
            action: "privacy.data_exported",
            entity_type: "user",
            entity_id: Some(user.user_id),
            old_values: None,
            new_values: None,
            impact: audit::Impact::Medium,
            compliance_flags: &["gdpr"],
        },
    )
    .await?;
    tx.commit().await.map_err(app::data::DbError::from)?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|_| AppError::Internal)?;
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"manna-my-data.json\""));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
