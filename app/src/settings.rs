//! Settings › security: the user's sign-ins (and revoking them) and their activity.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: Uuid,
    pub signed_in_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub device: String,
    pub current: bool,
    /// Why the sign-in looked unusual ("new device", …), if it did.
    pub warnings: Vec<String>,
    pub suspicious: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityView {
    pub seq: i64,
    pub what: String,
    pub at: DateTime<Utc>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub entries: Vec<ActivityView>,
    /// Pass back as `before` for the next (older) page.
    pub next: Option<i64>,
}

/// A person-readable device from a User-Agent: "Chrome on Linux".
pub fn describe_device(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or("");
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.is_empty() {
        "Unknown browser"
    } else {
        "Other client"
    };
    let os = if ua.contains("Windows") {
        " on Windows"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        " on iOS"
    } else if ua.contains("Mac OS X") {
        " on macOS"
    } else if ua.contains("Android") {
        " on Android"
    } else if ua.contains("Linux") {
        " on Linux"
    } else {
        ""
    };
    format!("{browser}{os}")
}

/// What an audit action means, in words.
pub fn describe_action(action: &str) -> String {
    match action {
        "auth.sign_up" => "Account created".into(),
        "auth.sign_in" => "Signed in".into(),
        "auth.sign_out" => "Signed out".into(),
        "auth.sign_in_failed" => "Failed sign-in attempt".into(),
        "auth.locked" => "Account locked after failed attempts".into(),
        "auth.session_revoked" => "Signed out another session".into(),
        "auth.mfa_enabled" => "Two-factor authentication turned on".into(),
        "auth.mfa_disabled" => "Two-factor authentication turned off".into(),
        "auth.recovery_code_used" => "Signed in with a recovery code".into(),
        "auth.suspicious_sign_in" => "Unusual sign-in".into(),
        "auth.mfa_failed" => "Wrong two-factor code".into(),
        other => other.replace(['.', '_'], " "),
    }
}

#[server(prefix = "/api", endpoint = "sessions")]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    crate::error::respond(
        async {
            use crate::auth::ssr::{pool, require_user};
            let user = require_user().await?;
            let mut tx = crate::data::user_tx(&pool()?, user.user_id).await?;
            let rows = crate::data::sessions::list_live(&mut tx, user.user_id).await?;
            Ok(rows
                .into_iter()
                .map(|r| SessionView {
                    id: r.id,
                    signed_in_at: r.created_at,
                    last_seen_at: r.last_seen_at,
                    ip: r.ip,
                    device: describe_device(r.user_agent.as_deref()),
                    current: r.id == user.user_session_id,
                    warnings: serde_json::from_value::<Vec<manna_core::risk::RiskFactor>>(r.risk_factors)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|f| f.label().to_string())
                        .collect(),
                    suspicious: r.suspicious,
                })
                .collect())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "revoke_session")]
pub async fn revoke_session(id: String) -> Result<(), AppError> {
    crate::error::respond(
        async {
            use crate::auth::ssr::{actor, pool, require_user};
            use crate::data::{DbError, audit, sessions};
            let user = require_user().await?;
            let id: Uuid = id.trim().parse().map_err(|_| AppError::Invalid("that is not a session id".into()))?;
            let mut tx = crate::data::user_tx(&pool()?, user.user_id).await?;
            sessions::revoke(&mut tx, user.user_id, id).await?;
            audit::record(
                &mut tx,
                &actor(Some(user)).await,
                audit::Entry::new("auth.session_revoked", "user_session", Some(id)).impact(audit::Impact::Medium),
            )
            .await?;
            tx.commit().await.map_err(DbError::from)?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "activity")]
pub async fn activity(before: Option<i64>) -> Result<ActivityPage, AppError> {
    crate::error::respond(
        async {
            use crate::auth::ssr::{pool, require_user};
            const PAGE: i64 = 25;
            let user = require_user().await?;
            let mut tx = crate::data::user_tx(&pool()?, user.user_id).await?;
            let rows = crate::data::audit::history(&mut tx, user.user_id, before, PAGE + 1).await?;
            let more = rows.len() as i64 > PAGE;
            let entries: Vec<ActivityView> = rows
                .into_iter()
                .take(PAGE as usize)
                .map(|r| ActivityView { seq: r.seq, what: describe_action(&r.action), at: r.created_at, ip: r.ip })
                .collect();
            let next = if more { entries.last().map(|e| e.seq) } else { None };
            Ok(ActivityPage { entries, next })
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert_eq!(describe_device(Some(chrome)), "Chrome on Linux");
        let safari =
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1";
        assert_eq!(describe_device(Some(safari)), "Safari on iOS");
        assert_eq!(describe_device(None), "Unknown browser");
        assert_eq!(describe_device(Some("curl/8.0")), "Other client");
    }

    #[test]
    fn actions() {
        assert_eq!(describe_action("auth.sign_in"), "Signed in");
        assert_eq!(describe_action("ledger.transaction_updated"), "ledger transaction updated");
    }
}
