//! Plaid: the HTTP client (hand-written over reqwest for the endpoints Manna uses), its
//! configuration, and the sync of an item's transactions into the ledger.
//!
//! Credentials come from `PLAID_CLIENT_ID` / `PLAID_SECRET` and go in headers, never in
//! a log line. Without them Plaid is simply off: the Connections page says how to turn
//! it on and the rest of the app works.

pub mod client;
pub mod events;
pub mod sync;
pub mod types;

pub use client::{PlaidClient, PlaidError};

use std::time::Duration;

/// Plaid's CDN script; tests and the local fake serve a stand-in from their own URL.
pub const DEFAULT_LINK_SCRIPT: &str = "https://cdn.plaid.com/link/v2/stable/link-initialize.js";

/// Where Plaid is and who we are to it.
#[derive(Clone)]
pub struct PlaidConfig {
    /// `sandbox`, `production`, or `custom` (a `PLAID_BASE_URL` of its own).
    pub environment: String,
    pub base_url: String,
    pub client_id: String,
    secret: String,
    /// `PLAID_LINK_SCRIPT_URL`: the `link-initialize.js` the page loads.
    pub link_script_url: String,
    /// `PLAID_WEBHOOK_URL`, else `MANNA_PUBLIC_URL` + `/webhooks/plaid`; none means no
    /// webhooks (syncs then run on "Sync now" and on the worker's schedule).
    pub webhook_url: Option<String>,
    /// First retry delay; doubled each attempt (tests shorten it).
    pub retry_base: Duration,
    pub max_attempts: u32,
}

impl std::fmt::Debug for PlaidConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlaidConfig")
            .field("environment", &self.environment)
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("secret", &"<redacted>")
            .field("link_script_url", &self.link_script_url)
            .field("webhook_url", &self.webhook_url)
            .finish()
    }
}

impl PlaidConfig {
    pub fn new(base_url: &str, client_id: &str, secret: &str) -> Self {
        PlaidConfig {
            environment: "custom".into(),
            base_url: base_url.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            secret: secret.to_string(),
            link_script_url: DEFAULT_LINK_SCRIPT.into(),
            webhook_url: None,
            retry_base: Duration::from_millis(300),
            max_attempts: 4,
        }
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// From the environment: `Ok(None)` when no credentials are set (Plaid off), an
    /// error naming the variable when a value is wrong.
    pub fn from_env() -> Result<Option<Self>, String> {
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let (Some(client_id), Some(secret)) = (var("PLAID_CLIENT_ID"), var("PLAID_SECRET")) else {
            return Ok(None);
        };
        let environment = var("PLAID_ENV").unwrap_or_else(|| "sandbox".into());
        let base_url = match (var("PLAID_BASE_URL"), environment.as_str()) {
            (Some(url), _) => url,
            (None, "sandbox") => "https://sandbox.plaid.com".into(),
            (None, "production") => "https://production.plaid.com".into(),
            (None, other) => {
                return Err(format!("PLAID_ENV={other:?}: use sandbox or production (or set PLAID_BASE_URL)"));
            }
        };
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(format!("PLAID_BASE_URL={base_url:?} is not an http(s) URL"));
        }
        let mut config = PlaidConfig::new(&base_url, &client_id, &secret);
        config.environment = environment;
        if let Some(script) = var("PLAID_LINK_SCRIPT_URL") {
            config.link_script_url = script;
        }
        config.webhook_url = var("PLAID_WEBHOOK_URL")
            .or_else(|| var("MANNA_PUBLIC_URL").map(|u| format!("{}/webhooks/plaid", u.trim_end_matches('/'))));
        Ok(Some(config))
    }

    /// The origin of the Link script (for the page's content security policy).
    pub fn link_script_origin(&self) -> Option<String> {
        let url = &self.link_script_url;
        let scheme_end = url.find("://")? + 3;
        let host_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
        Some(url[..host_end].to_string())
    }
}

/// What server functions find in context: Plaid on (a client) or off.
#[derive(Clone, Debug, Default)]
pub struct PlaidSetup(pub Option<PlaidClient>);

/// Wakes this node's workers when a server function queues work.
#[derive(Clone, Debug, Default)]
pub struct JobWake(pub std::sync::Arc<tokio::sync::Notify>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_never_prints() {
        let config = PlaidConfig::new("http://127.0.0.1:4010/", "id", "very-secret");
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret"));
        assert_eq!(config.base_url, "http://127.0.0.1:4010");
    }

    #[test]
    fn the_link_script_origin() {
        let mut config = PlaidConfig::new("http://x", "id", "s");
        assert_eq!(config.link_script_origin().as_deref(), Some("https://cdn.plaid.com"));
        config.link_script_url = "http://127.0.0.1:4010/link-initialize.js".into();
        assert_eq!(config.link_script_origin().as_deref(), Some("http://127.0.0.1:4010"));
    }
}
