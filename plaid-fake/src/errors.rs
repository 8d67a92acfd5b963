//! Plaid's error object and the errors the fake answers with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One Plaid error: the HTTP status and the documented error object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaidError {
    pub status: u16,
    pub error_type: &'static str,
    pub error_code: &'static str,
    pub error_message: String,
    pub display_message: Option<String>,
}

impl PlaidError {
    pub fn new(status: u16, error_type: &'static str, error_code: &'static str, message: impl Into<String>) -> Self {
        PlaidError { status, error_type, error_code, error_message: message.into(), display_message: None }
    }

    pub fn with_display(mut self, display: &str) -> Self {
        self.display_message = Some(display.to_string());
        self
    }

    /// The error object as Plaid sends it (a response body when `request_id` is set;
    /// inside `item.error` and webhooks it is null).
    pub fn to_json(&self, request_id: Option<&str>) -> Value {
        json!({
            "error_type": self.error_type,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "display_message": self.display_message,
            "request_id": request_id,
            "documentation_url": null,
            "suggested_action": null,
        })
    }

    /// The error object embedded in `item.error` and ITEM webhooks (with its `status`).
    pub fn embedded(&self) -> Value {
        let mut v = self.to_json(None);
        v["status"] = json!(self.status);
        v
    }

    pub fn response(&self, request_id: &str) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, axum::Json(self.to_json(Some(request_id)))).into_response()
    }

    // --- INVALID_REQUEST ---

    pub fn invalid_body(message: impl Into<String>) -> Self {
        Self::new(400, "INVALID_REQUEST", "INVALID_BODY", message)
    }

    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self::new(400, "INVALID_REQUEST", "INVALID_FIELD", message)
    }

    pub fn missing_fields(message: impl Into<String>) -> Self {
        Self::new(400, "INVALID_REQUEST", "MISSING_FIELDS", message)
    }

    // --- INVALID_INPUT ---

    pub fn invalid_api_keys() -> Self {
        Self::new(400, "INVALID_INPUT", "INVALID_API_KEYS", "invalid client_id or secret provided")
    }

    pub fn invalid_access_token() -> Self {
        Self::new(400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN", "could not find matching access token")
    }

    pub fn invalid_public_token() -> Self {
        Self::new(
            400,
            "INVALID_INPUT",
            "INVALID_PUBLIC_TOKEN",
            "could not find matching public token, or the public token was already exchanged",
        )
    }

    pub fn invalid_institution(id: &str) -> Self {
        Self::new(400, "INVALID_INPUT", "INVALID_INSTITUTION", format!("invalid institution_id provided: {id}"))
    }

    pub fn invalid_link_token() -> Self {
        Self::new(400, "INVALID_INPUT", "INVALID_LINK_TOKEN", "provided link token is expired or invalid")
            .with_display("This connection attempt has expired. Close this window and try again.")
    }

    pub fn invalid_webhook_key_id() -> Self {
        Self::new(
            400,
            "INVALID_INPUT",
            "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
            "the provided key_id does not match any webhook verification key",
        )
    }

    // --- ITEM_ERROR ---

    pub fn item_not_found() -> Self {
        Self::new(
            400,
            "ITEM_ERROR",
            "ITEM_NOT_FOUND",
            "the Item you requested cannot be found. This Item does not exist, has been previously removed via \
             /item/remove, or has had access removed by the user",
        )
    }

    pub fn item_login_required() -> Self {
        Self::new(
            400,
            "ITEM_ERROR",
            "ITEM_LOGIN_REQUIRED",
            "the login details of this item have changed (credentials, MFA, or required user action) and a user \
             login is required to update this information. use Link's update mode to restore the item to a good \
             state",
        )
        .with_display("Your bank needs you to sign in again.")
    }

    pub fn invalid_credentials() -> Self {
        Self::new(400, "ITEM_ERROR", "INVALID_CREDENTIALS", "the provided credentials were not correct").with_display(
            "The credentials you provided were incorrect. Check that your credentials are correct, and then \
                 try again.",
        )
    }

    pub fn user_permission_revoked() -> Self {
        Self::new(
            400,
            "ITEM_ERROR",
            "USER_PERMISSION_REVOKED",
            "the user has revoked access to this Item through their financial institution",
        )
        .with_display("You revoked access to this connection at your bank.")
    }

    // --- others ---

    pub fn mutation_during_pagination() -> Self {
        Self::new(
            400,
            "TRANSACTIONS_ERROR",
            "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
            "Underlying transaction data changed since last page was fetched. Please restart pagination from last \
             update.",
        )
    }

    pub fn sandbox_webhook_invalid() -> Self {
        Self::new(400, "SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID", "the Item has no webhook URL set")
    }

    /// The error `/fake/fail_next` injects for `path`.
    pub fn injected(path: &str, status: u16) -> Option<Self> {
        match status {
            429 => {
                let code = match path {
                    "/transactions/sync" => "TRANSACTIONS_SYNC_LIMIT",
                    "/accounts/get" => "ACCOUNTS_LIMIT",
                    "/accounts/balance/get" => "BALANCE_LIMIT",
                    "/item/get" => "ITEM_GET_LIMIT",
                    "/institutions/get_by_id" => "INSTITUTIONS_GET_BY_ID_LIMIT",
                    _ => "RATE_LIMIT",
                };
                Some(Self::new(
                    429,
                    "RATE_LIMIT_EXCEEDED",
                    code,
                    "rate limit exceeded for attempts to access this item. please try again later",
                ))
            }
            500 => Some(
                Self::new(500, "API_ERROR", "INTERNAL_SERVER_ERROR", "an unexpected error occurred")
                    .with_display("Something went wrong. Please try again later."),
            ),
            503 => Some(
                Self::new(
                    503,
                    "API_ERROR",
                    "PLANNED_MAINTENANCE",
                    "the Plaid API is temporarily unavailable due to planned maintenance",
                )
                .with_display("This service is temporarily unavailable for maintenance. Please try again later."),
            ),
            _ => None,
        }
    }

    /// A control referring to something the fake does not have (404 on `/fake/*`).
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(404, "INVALID_INPUT", "NOT_FOUND", what)
    }
}

impl std::fmt::Display for PlaidError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} {}): {}", self.error_code, self.status, self.error_type, self.error_message)
    }
}

impl std::error::Error for PlaidError {}

/// A random request id in Plaid's style (15 alphanumerics).
pub fn request_id() -> String {
    random_id(15)
}

/// A random alphanumeric string (ids in Plaid's style).
pub fn random_id(len: usize) -> String {
    use rand::Rng;
    rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(len).map(char::from).collect()
}
