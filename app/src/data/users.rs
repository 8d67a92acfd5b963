//! Users.

use super::DbResult;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserSummary {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub default_currency: String,
}

pub async fn find_by_email(pool: &PgPool, email: &str) -> DbResult<Option<UserSummary>> {
    let row = sqlx::query_as::<_, UserSummary>(
        "SELECT id, email, display_name, default_currency::text AS default_currency
         FROM users WHERE lower(email) = lower($1)",
    )
    .bind(email)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

pub async fn get(pool: &PgPool, user_id: Uuid) -> DbResult<UserSummary> {
    let row = sqlx::query_as::<_, UserSummary>(
        "SELECT id, email, display_name, default_currency::text AS default_currency
         FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await?;
    Ok(row)
}
