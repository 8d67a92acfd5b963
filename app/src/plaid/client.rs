//! The Plaid HTTP client: POST + JSON, credentials and `Plaid-Version` in headers,
//! Plaid's error object as a typed error, retries with backoff on 429 and 5xx.

use super::PlaidConfig;
use super::types::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

pub const PLAID_VERSION: &str = "2020-09-14";

#[derive(Debug, Clone, thiserror::Error)]
pub enum PlaidError {
    /// Plaid answered with its error object.
    #[error("Plaid {code} ({status}): {message}", code = .error.error_code, message = .error.error_message)]
    Api { status: u16, error: Box<ApiError> },
    #[error("Plaid could not be reached: {0}")]
    Transport(String),
    #[error("Plaid's answer could not be read: {0}")]
    Decode(String),
}

impl PlaidError {
    pub fn code(&self) -> Option<&str> {
        match self {
            PlaidError::Api { error, .. } => Some(&error.error_code),
            _ => None,
        }
    }

    pub fn is(&self, code: &str) -> bool {
        self.code() == Some(code)
    }

    /// The item needs the user to sign in to their bank again (update mode).
    pub fn needs_login(&self) -> bool {
        self.is("ITEM_LOGIN_REQUIRED")
    }

    /// Worth trying again later (rate limit, Plaid down, network).
    pub fn is_transient(&self) -> bool {
        match self {
            PlaidError::Api { status, .. } => *status == 429 || *status >= 500,
            PlaidError::Transport(_) => true,
            PlaidError::Decode(_) => false,
        }
    }

    /// What a person may read: Plaid's `display_message` where it has one.
    pub fn user_message(&self) -> String {
        match self {
            PlaidError::Api { error, .. } => {
                error.display_message.clone().unwrap_or_else(|| match error.error_code.as_str() {
                    "ITEM_LOGIN_REQUIRED" => "Your bank needs you to sign in again: use Fix connection.".into(),
                    "RATE_LIMIT_EXCEEDED" | "TRANSACTIONS_SYNC_LIMIT" => {
                        "Plaid asked us to slow down; the sync will try again shortly.".into()
                    }
                    "ITEM_NOT_FOUND" => "This connection no longer exists at Plaid.".into(),
                    _ => format!("The bank connection failed ({}).", error.error_code),
                })
            }
            PlaidError::Transport(_) => "Plaid could not be reached; try again in a moment.".into(),
            PlaidError::Decode(_) => "Plaid sent an answer we could not read; it has been logged.".into(),
        }
    }
}

/// Cheap to clone: one connection pool and config shared.
#[derive(Clone, Debug)]
pub struct PlaidClient {
    http: reqwest::Client,
    config: Arc<PlaidConfig>,
}

impl PlaidClient {
    pub fn new(config: PlaidConfig) -> Result<Self, PlaidError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("manna/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PlaidError::Transport(e.to_string()))?;
        Ok(PlaidClient { http, config: Arc::new(config) })
    }

    pub fn config(&self) -> &PlaidConfig {
        &self.config
    }

    /// One endpoint call with retries: 429 and 5xx answers and connection failures are
    /// retried after `retry_base`, doubling, up to `max_attempts` in all.
    pub async fn call<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        path: &str,
        body: &Req,
    ) -> Result<Resp, PlaidError> {
        let mut attempt = 1;
        loop {
            match self.call_once(path, body).await {
                Err(e) if e.is_transient() && attempt < self.config.max_attempts => {
                    let delay = self.config.retry_base * 2u32.saturating_pow(attempt - 1);
                    tracing::warn!(path, attempt, error = %e, "Plaid call failed; retrying in {delay:?}");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn call_once<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        path: &str,
        body: &Req,
    ) -> Result<Resp, PlaidError> {
        let response = self
            .http
            .post(format!("{}{}", self.config.base_url, path))
            .header("PLAID-CLIENT-ID", &self.config.client_id)
            .header("PLAID-SECRET", self.config.secret())
            .header("Plaid-Version", PLAID_VERSION)
            .json(body)
            .send()
            .await
            .map_err(|e| PlaidError::Transport(without_url(e)))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| PlaidError::Transport(without_url(e)))?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes).map_err(|e| PlaidError::Decode(format!("{path}: {e}")));
        }
        let error = serde_json::from_slice::<ApiError>(&bytes).unwrap_or_else(|_| ApiError {
            error_type: "API_ERROR".into(),
            error_code: if status == 429 { "RATE_LIMIT_EXCEEDED".into() } else { "INTERNAL_SERVER_ERROR".into() },
            error_message: format!("HTTP {status} without a Plaid error body"),
            display_message: None,
            request_id: None,
        });
        Err(PlaidError::Api { status, error: Box::new(error) })
    }

    pub async fn link_token_create(&self, request: &LinkTokenCreate<'_>) -> Result<LinkToken, PlaidError> {
        self.call("/link/token/create", request).await
    }

    pub async fn exchange_public_token(&self, public_token: &str) -> Result<Exchanged, PlaidError> {
        self.call("/item/public_token/exchange", &serde_json::json!({ "public_token": public_token })).await
    }

    pub async fn accounts(&self, access_token: &str) -> Result<AccountsResponse, PlaidError> {
        self.call("/accounts/get", &serde_json::json!({ "access_token": access_token })).await
    }

    pub async fn item(&self, access_token: &str) -> Result<ItemResponse, PlaidError> {
        self.call("/item/get", &serde_json::json!({ "access_token": access_token })).await
    }

    pub async fn institution(&self, institution_id: &str) -> Result<InstitutionResponse, PlaidError> {
        self.call(
            "/institutions/get_by_id",
            &serde_json::json!({ "institution_id": institution_id, "country_codes": ["US"] }),
        )
        .await
    }

    pub async fn transactions_sync(
        &self,
        access_token: &str,
        cursor: &str,
        count: u32,
    ) -> Result<SyncPage, PlaidError> {
        self.call("/transactions/sync", &SyncRequest { access_token, cursor, count }).await
    }

    pub async fn item_remove(&self, access_token: &str) -> Result<(), PlaidError> {
        let _: serde_json::Value =
            self.call("/item/remove", &serde_json::json!({ "access_token": access_token })).await?;
        Ok(())
    }

    pub async fn item_webhook_update(&self, access_token: &str, webhook: &str) -> Result<ItemResponse, PlaidError> {
        self.call("/item/webhook/update", &serde_json::json!({ "access_token": access_token, "webhook": webhook }))
            .await
    }

    pub async fn webhook_verification_key(&self, key_id: &str) -> Result<WebhookKey, PlaidError> {
        let r: WebhookKeyResponse =
            self.call("/webhook_verification_key/get", &serde_json::json!({ "key_id": key_id })).await?;
        Ok(r.key)
    }

    /// Sandbox only: an item without Link (for `manna plaid` and tests).
    pub async fn sandbox_public_token(
        &self,
        institution_id: &str,
        webhook: Option<&str>,
    ) -> Result<String, PlaidError> {
        #[derive(serde::Deserialize)]
        struct Created {
            public_token: String,
        }
        let mut body = serde_json::json!({ "institution_id": institution_id, "initial_products": ["transactions"] });
        if let Some(url) = webhook {
            body["options"] = serde_json::json!({ "webhook": url });
        }
        let created: Created = self.call("/sandbox/public_token/create", &body).await?;
        Ok(created.public_token)
    }
}

/// reqwest's error text without the URL (it is ours, but keep logs to the point).
fn without_url(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    format!("{kind}: {}", e.without_url())
}
