//! Who the current request acts for.
//!
//! Until sign-in lands (issue 3), every request acts for the seeded demo user, so the
//! dashboard has someone to show. This is the single place the auth issue replaces
//! with the session's user; every server function already goes through it.

use crate::data::{DbError, users};
use crate::error::AppError;
use leptos::prelude::*;
use sqlx::PgPool;
use uuid::Uuid;

/// The email `manna seed-db` gives the demo user.
pub const DEMO_USER_EMAIL: &str = "demo@manna.local";

pub fn pool() -> Result<PgPool, AppError> {
    use_context::<PgPool>().ok_or_else(|| {
        tracing::error!("no database pool in context");
        AppError::Internal
    })
}

/// The user the request acts for, or `Unauthorized`.
pub async fn current_user_id(pool: &PgPool) -> Result<Uuid, AppError> {
    match users::find_by_email(pool, DEMO_USER_EMAIL).await {
        Ok(Some(user)) => Ok(user.id),
        Ok(None) => Err(AppError::Unauthorized),
        Err(DbError::NotFound) => Err(AppError::Unauthorized),
        Err(e) => Err(e.into()),
    }
}
