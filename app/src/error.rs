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
            DbError::Other(err) => {
                tracing::error!(error = %err, "database error");
                AppError::Internal
            }
        }
    }
}
