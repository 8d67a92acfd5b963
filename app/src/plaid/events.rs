//! What a Plaid webhook means for an item, and applying it. Processing one stored
//! webhook is one database transaction: the item's new status (or a queued sync) and
//! the webhook marked processed commit together, so each event takes effect once.

use crate::data::webhooks::WebhookRow;
use crate::data::{DbResult, jobs, plaid as items, webhooks};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// What to do for one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// New or changed transactions: queue a sync.
    Sync,
    /// The item's status changes (with an error code and message for login/error).
    Status { status: &'static str, error: Option<(String, String)>, consent_expires_at: Option<DateTime<Utc>> },
    /// The user fixed the login: good again, and catch up.
    Repaired,
    /// Nothing to do (acknowledgements, codes Manna does not use).
    Ignore,
}

/// The action for a webhook's type, code and body.
pub fn action(webhook_type: &str, webhook_code: &str, payload: &serde_json::Value) -> Action {
    match (webhook_type, webhook_code) {
        ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE" | "DEFAULT_UPDATE" | "INITIAL_UPDATE" | "HISTORICAL_UPDATE") => {
            Action::Sync
        }
        ("ITEM", "ERROR") => {
            let code = payload["error"]["error_code"].as_str().unwrap_or("UNKNOWN").to_string();
            let message = payload["error"]["display_message"]
                .as_str()
                .or_else(|| payload["error"]["error_message"].as_str())
                .unwrap_or("The bank reported an error.")
                .to_string();
            let status = if code == "ITEM_LOGIN_REQUIRED" { "login_required" } else { "error" };
            Action::Status { status, error: Some((code, message)), consent_expires_at: None }
        }
        ("ITEM", "PENDING_EXPIRATION") => Action::Status {
            status: "pending_expiration",
            error: None,
            consent_expires_at: payload["consent_expiration_time"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
        },
        ("ITEM", "PENDING_DISCONNECT") => {
            Action::Status { status: "pending_disconnect", error: None, consent_expires_at: None }
        }
        ("ITEM", "USER_PERMISSION_REVOKED" | "USER_ACCOUNT_REVOKED") => {
            Action::Status { status: "revoked", error: None, consent_expires_at: None }
        }
        ("ITEM", "LOGIN_REPAIRED") => Action::Repaired,
        _ => Action::Ignore,
    }
}

/// Processes one claimed webhook in one transaction.
pub async fn process(pool: &PgPool, hook: &WebhookRow) -> DbResult<Action> {
    let mut tx = crate::data::begin(pool).await?;
    let act = action(&hook.webhook_type, &hook.webhook_code, &hook.payload);
    if let (Some(item_id), Some(user_id)) = (hook.plaid_item_id, hook.user_id) {
        match &act {
            Action::Sync => {
                jobs::enqueue_sync(&mut tx, user_id, item_id).await?;
            }
            Action::Status { status, error, consent_expires_at } => {
                let error = error.as_ref().map(|(c, m)| (c.as_str(), m.as_str()));
                items::set_status(&mut tx, item_id, status, error, *consent_expires_at).await?;
            }
            Action::Repaired => {
                items::set_status(&mut tx, item_id, "good", None, None).await?;
                jobs::enqueue_sync(&mut tx, user_id, item_id).await?;
            }
            Action::Ignore => {}
        }
    }
    webhooks::processed(&mut tx, hook.id).await?;
    tx.commit().await?;
    Ok(act)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn webhooks_map_to_actions() {
        assert_eq!(action("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE", &json!({})), Action::Sync);
        let login = json!({"error": {"error_code": "ITEM_LOGIN_REQUIRED", "display_message": "Sign in again"}});
        assert_eq!(
            action("ITEM", "ERROR", &login),
            Action::Status {
                status: "login_required",
                error: Some(("ITEM_LOGIN_REQUIRED".into(), "Sign in again".into())),
                consent_expires_at: None
            }
        );
        let Action::Status { status, consent_expires_at, .. } =
            action("ITEM", "PENDING_EXPIRATION", &json!({"consent_expiration_time": "2026-12-01T00:00:00Z"}))
        else {
            panic!("a status")
        };
        assert_eq!(status, "pending_expiration");
        assert_eq!(consent_expires_at.map(|t| t.to_rfc3339()), Some("2026-12-01T00:00:00+00:00".into()));
        assert!(matches!(
            action("ITEM", "PENDING_DISCONNECT", &json!({})),
            Action::Status { status: "pending_disconnect", .. }
        ));
        assert!(matches!(
            action("ITEM", "USER_PERMISSION_REVOKED", &json!({})),
            Action::Status { status: "revoked", .. }
        ));
        assert_eq!(action("ITEM", "LOGIN_REPAIRED", &json!({})), Action::Repaired);
        assert_eq!(action("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED", &json!({})), Action::Ignore);
    }
}
