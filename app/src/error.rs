//! The error every server function returns: what a person can understand and act on.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("please sign in")]
    Unauthorized,
    #[error("{0}")]
    Invalid(String),
    #[error("the database is not reachable right now; try again in a moment")]
    Unavailable,
    #[error("something went wrong on our side; it has been logged")]
    Internal,
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status a server function answers with when it fails this way.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Unauthorized => 401,
            AppError::Invalid(_) => 422,
            AppError::Unavailable => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

/// Sets the response status from a server function's outcome when it is called over
/// HTTP (the default for any error would be 500, which is wrong for a person's typo).
/// During server rendering the page keeps its own status: a signed-out dashboard is a
/// fine page asking to sign in.
#[cfg(feature = "ssr")]
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    use leptos::prelude::use_context;
    let called_over_http = use_context::<http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/api/"));
    if let Err(e) = &result
        && called_over_http
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = http::StatusCode::from_u16(e.status())
    {
        response.set_status(status);
    }
    result
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<crate::data::DbError> for AppError {
    fn from(e: crate::data::DbError) -> Self {
        use crate::data::DbError;
        match e {
            DbError::NotFound => AppError::NotFound,
            DbError::Unavailable(_) => AppError::Unavailable,
            DbError::Conflict(msg) => AppError::Invalid(msg),
            DbError::Rule(msg) => AppError::Invalid(msg.into()),
            DbError::Other(err) => {
                tracing::error!(error = %err, "database error");
                AppError::Internal
            }
        }
    }
}
