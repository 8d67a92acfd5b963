//! Users and their credentials.

use super::{DbError, DbResult};
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

pub async fn get(conn: &mut PgConnection, user_id: Uuid) -> DbResult<UserSummary> {
    let row = sqlx::query_as::<_, UserSummary>(
        "SELECT id, email, display_name, default_currency::text AS default_currency
         FROM users WHERE id = $1 AND anonymized_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(conn)
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
    pub mfa_enabled: bool,
}

pub async fn credentials(pool: &PgPool, normalized_email: &str) -> DbResult<Option<Credentials>> {
    let row = sqlx::query_as::<_, Credentials>(
        "SELECT id, password_hash, failed_login_count, locked_until, mfa_enabled
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

/// Clears the failure count after a full sign-in; returns how many failures came
/// just before it (the risk assessment weighs them).
pub async fn record_success(conn: &mut PgConnection, user_id: Uuid) -> DbResult<i32> {
    let before: i32 = sqlx::query_scalar("SELECT failed_login_count FROM users WHERE id = $1 FOR UPDATE")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("UPDATE users SET failed_login_count = 0, locked_until = NULL, last_login_at = now() WHERE id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(before)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MfaState {
    pub email: String,
    pub mfa_enabled: bool,
    pub totp_secret_encrypted: Option<Vec<u8>>,
    pub totp_pending_encrypted: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub recovery_codes_left: i32,
}

pub async fn mfa_state(conn: &mut PgConnection, user_id: Uuid) -> DbResult<MfaState> {
    let row = sqlx::query_as::<_, MfaState>(
        "SELECT email, mfa_enabled, totp_secret_encrypted, totp_pending_encrypted, totp_last_step,
                coalesce(array_length(recovery_code_hashes, 1), 0) AS recovery_codes_left
         FROM users WHERE id = $1 FOR UPDATE",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn set_pending_totp(conn: &mut PgConnection, user_id: Uuid, sealed: &[u8]) -> DbResult<()> {
    sqlx::query("UPDATE users SET totp_pending_encrypted = $2 WHERE id = $1")
        .bind(user_id)
        .bind(sealed)
        .execute(conn)
        .await?;
    Ok(())
}

/// Turns MFA on with the pending secret, the step just used, and the recovery codes' hashes.
pub async fn enable_mfa(conn: &mut PgConnection, user_id: Uuid, step: i64, recovery_hashes: &[String]) -> DbResult<()> {
    sqlx::query(
        "UPDATE users SET mfa_enabled = true, totp_secret_encrypted = totp_pending_encrypted,
                          totp_pending_encrypted = NULL, totp_last_step = $2, recovery_code_hashes = $3
         WHERE id = $1 AND totp_pending_encrypted IS NOT NULL",
    )
    .bind(user_id)
    .bind(step)
    .bind(recovery_hashes)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn disable_mfa(conn: &mut PgConnection, user_id: Uuid) -> DbResult<()> {
    sqlx::query(
        "UPDATE users SET mfa_enabled = false, totp_secret_encrypted = NULL, totp_pending_encrypted = NULL,
                          totp_last_step = NULL, recovery_code_hashes = '{}'
         WHERE id = $1",
    )
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a used TOTP step; false if that step (or a later one) was already used.
pub async fn use_totp_step(conn: &mut PgConnection, user_id: Uuid, step: i64) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
    )
    .bind(user_id)
    .bind(step)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Spends a recovery code (by hash); false if it is not one of the user's unused codes.
pub async fn use_recovery_code(conn: &mut PgConnection, user_id: Uuid, hash: &str) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE users SET recovery_code_hashes = array_remove(recovery_code_hashes, $2)
         WHERE id = $1 AND $2 = ANY(recovery_code_hashes)",
    )
    .bind(user_id)
    .bind(hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The user's own Plaid category → category choices (`preferences.plaid_categories`).
pub async fn bank_category_choices(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> DbResult<std::collections::HashMap<String, Uuid>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT key, value FROM users, jsonb_each_text(coalesce(preferences -> 'plaid_categories', '{}'))
         WHERE id = $1",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().filter_map(|(k, v)| v.parse().ok().map(|id| (k, id))).collect())
}

/// Sets (or, with `None`, forgets) the user's category for a Plaid category code.
pub async fn set_bank_category_choice(
    conn: &mut PgConnection,
    user_id: Uuid,
    code: &str,
    category: Option<Uuid>,
) -> DbResult<()> {
    let done = sqlx::query(
        "UPDATE users SET preferences = CASE
             WHEN $3::uuid IS NULL THEN preferences #- ARRAY['plaid_categories', $2]
             ELSE jsonb_set(preferences, '{plaid_categories}',
                            coalesce(preferences -> 'plaid_categories', '{}') || jsonb_build_object($2, $3::text))
         END
         WHERE id = $1",
    )
    .bind(user_id)
    .bind(code)
    .bind(category)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 { Err(DbError::NotFound) } else { Ok(()) }
}
