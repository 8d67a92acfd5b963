//! Bank connections (Plaid): the Connections page's server functions. Link runs in the
//! page (the script Plaid serves); these create its tokens, take its result, and
//! manage the items.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
pub mod ssr;

/// Whether Plaid is configured, and what Link needs in the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaidInfo {
    pub configured: bool,
    pub environment: String,
    pub link_script_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectedAccount {
    pub id: Uuid,
    pub name: String,
    pub mask: Option<String>,
    pub kind: String,
    pub balance: Decimal,
    pub currency: String,
}

/// One item on the Connections page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub id: Uuid,
    pub institution: String,
    /// good, login_required, pending_expiration, pending_disconnect, revoked, error
    pub status: String,
    pub error_message: Option<String>,
    pub consent_expires_at: Option<DateTime<Utc>>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub last_webhook_at: Option<DateTime<Utc>>,
    pub accounts: Vec<ConnectedAccount>,
    /// A sync is waiting or running.
    pub syncing: bool,
    pub last_sync_error: Option<String>,
    pub webhooks_received: i64,
    pub webhooks_failed: i64,
    pub webhook_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionsView {
    pub plaid: PlaidInfo,
    pub items: Vec<Connection>,
}

#[server(prefix = "/api", endpoint = "connections")]
pub async fn connections() -> Result<ConnectionsView, AppError> {
    crate::error::respond(ssr::list().await)
}

/// A Link token: for a new connection (`item` empty) or update mode for one of the
/// user's items.
#[server(prefix = "/api", endpoint = "create_link_token")]
pub async fn create_link_token(#[server(default)] item: String) -> Result<String, AppError> {
    crate::error::respond(ssr::link_token(&item).await)
}

/// Link succeeded for a new connection: exchange the public token, store the item and
/// its accounts, start the first sync.
#[server(prefix = "/api", endpoint = "link_bank")]
pub async fn link_bank(public_token: String) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::link(&public_token).await)
}

/// Link in update mode succeeded: the item is good again and syncs.
#[server(prefix = "/api", endpoint = "connection_repaired")]
pub async fn connection_repaired(item: String) -> Result<(), AppError> {
    crate::error::respond(ssr::repaired(&item).await)
}

#[server(prefix = "/api", endpoint = "sync_connection")]
pub async fn sync_connection(item: String) -> Result<(), AppError> {
    crate::error::respond(ssr::sync_now(&item).await)
}

/// Removes a connection at Plaid and here; `keep_history` keeps its accounts and
/// transactions as manual ones.
#[server(prefix = "/api", endpoint = "remove_connection")]
pub async fn remove_connection(item: String, #[server(default)] keep_history: Option<String>) -> Result<(), AppError> {
    crate::error::respond(ssr::remove(&item, keep_history.is_some()).await)
}
