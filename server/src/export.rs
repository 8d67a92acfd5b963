//! `GET /settings/export.zip`: the signed-in user's data as a download (GDPR access
//! and portability): `manna-data.json` with everything, and one CSV per section for
//! spreadsheets. A plain route rather than a server function, so the browser can save
//! it with an ordinary link.

use crate::startup::AppState;
use app::auth::ssr::user_of_session;
use app::data::{audit, privacy, user_tx};
use app::error::AppError;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use tower_sessions::Session;

/// The audit actor of a download route: the signed-in user, their session and
/// where the request came from.
pub(crate) fn download_actor(
    user: &app::auth::ssr::CurrentUser,
    ip: Option<std::net::IpAddr>,
    headers: &HeaderMap,
) -> audit::Actor {
    audit::Actor {
        user_id: Some(user.user_id),
        session_id: Some(user.user_session_id),
        ip: ip.map(|ip| ip.to_string()),
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
        device: None,
    }
}

/// A download route's failure as a response: its status, and what a person can act on.
pub(crate) fn download_failure(e: AppError, sign_in: &'static str) -> Response {
    match e {
        AppError::Unauthorized => (StatusCode::UNAUTHORIZED, sign_in).into_response(),
        e => (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), e.to_string())
            .into_response(),
    }
}

pub async fn my_data(
    State(state): State<AppState>,
    peer: Result<ConnectInfo<SocketAddr>, axum::extract::rejection::ExtensionRejection>,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let ip = app::auth::ssr::client_ip_from(&headers, peer.ok().map(|c| c.0), state.proxy);
    build(&state, &session, &headers, ip).await.unwrap_or_else(|e| download_failure(e, "sign in to download your data"))
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
    let actor = download_actor(&user, ip, headers);
    audit::record(
        &mut tx,
        &actor,
        audit::Entry::new("privacy.data_exported", "user", Some(user.user_id))
            .impact(audit::Impact::Medium)
            .flags(&["gdpr"]),
    )
    .await?;
    tx.commit().await.map_err(app::data::DbError::from)?;
    let body =
        tokio::task::spawn_blocking(move || archive(&doc)).await.map_err(|_| AppError::Internal)?.map_err(|e| {
            tracing::error!(error = %e, "building the export archive");
            AppError::Internal
        })?;
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"manna-my-data.zip\""));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The zip: the whole document as JSON, and each list section as an RFC 4180 CSV
/// (UTF-8; nested values as JSON text).
fn archive(doc: &serde_json::Value) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("manna-data.json", options)?;
    zip.write_all(&serde_json::to_vec_pretty(doc)?)?;
    if let Some(sections) = doc.as_object() {
        for (name, rows) in sections {
            let Some(rows) = rows.as_array() else { continue };
            zip.start_file(format!("{name}.csv"), options)?;
            zip.write_all(&to_csv(rows)?)?;
        }
    }
    Ok(zip.finish()?.into_inner())
}

fn to_csv(rows: &[serde_json::Value]) -> anyhow::Result<Vec<u8>> {
    let mut columns: Vec<String> = rows
        .iter()
        .filter_map(|r| r.as_object())
        .flat_map(|o| o.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // The id first, when there is one: the column people join on.
    if let Some(pos) = columns.iter().position(|c| c == "id") {
        let id = columns.remove(pos);
        columns.insert(0, id);
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&columns)?;
    for row in rows {
        out.write_record(columns.iter().map(|c| match row.get(c) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }))?;
    }
    Ok(out.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_rfc4180_with_the_id_first() {
        let rows = vec![
            serde_json::json!({"name": "Coffee, \"good\"", "id": "a", "amount": "-3.50", "tags": ["x"]}),
            serde_json::json!({"id": "b", "name": "Rent", "notes": null}),
        ];
        let text = String::from_utf8(to_csv(&rows).unwrap()).unwrap();
        assert_eq!(text, "id,amount,name,notes,tags\na,-3.50,\"Coffee, \"\"good\"\"\",,\"[\"\"x\"\"]\"\nb,,Rent,,\n");
    }
}
