//! Users and their credentials.

use super::DbResult;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserSummary {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub default_currency: String,
}

pub async fn get(pool: &PgPool, user_id: Uuid) -> DbResult<UserSummary> {
    let row = sqlx::query_as::<_, UserSummary>(
        "SELECT id, email, display_name, default_currency::text AS default_currency
         FROM users WHERE id = $1 AND anonymized_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await?;
    Ok(row)
}

/// What sign-in needs to know about an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: Uuid,
    pub password_hash: String,
    pub failed_login_count: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

pub async fn credentials(pool: &PgPool, normalized_email: &str) -> DbResult<Option<Credentials>> {
    let row = sqlx::query_as::<_, Credentials>(
        "SELECT id, password_hash, failed_login_count, locked_until
         FROM users WHERE lower(email) = $1 AND anonymized_at IS NULL",
    )
    .bind(normalized_email)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

pub async fn create(conn: &mut PgConnection, email: &str, password_hash: &str, display_name: &str) -> DbResult<Uuid> {
    let id =
        sqlx::query_scalar("INSERT INTO users (email, password_hash, display_name) VALUES ($1, $2, $3) RETURNING id")
            .bind(email)
            .bind(password_hash)
            .bind(display_name)
            .fetch_one(conn)
            .await?;
    Ok(id)
}

/// Counts a failed sign-in; from `lock_after` failures on, locks the account for
/// `lock_minutes`, doubling with each further failure (capped at a day). Returns the
/// lock's end if the account is now locked.
pub async fn record_failure(
    conn: &mut PgConnection,
    user_id: Uuid,
    lock_after: i32,
    lock_minutes: i32,
) -> DbResult<Option<DateTime<Utc>>> {
    let locked: Option<DateTime<Utc>> = sqlx::query_scalar(
        "UPDATE users SET
            failed_login_count = failed_login_count + 1,
            last_failed_login_at = now(),
            locked_until = CASE WHEN failed_login_count + 1 >= $2
                THEN now() + least(interval '1 day',
                                   make_interval(mins => $3) * power(2, least(failed_login_count + 1 - $2, 7))::int)
                ELSE locked_until END
         WHERE id = $1
         RETURNING locked_until",
    )
    .bind(user_id)
    .bind(lock_after)
    .bind(lock_minutes)
    .fetch_one(conn)
    .await?;
    Ok(locked.filter(|t| *t > Utc::now()))
}

pub async fn record_success(conn: &mut PgConnection, user_id: Uuid) -> DbResult<()> {
    sqlx::query("UPDATE users SET failed_login_count = 0, locked_until = NULL, last_login_at = now() WHERE id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}
