//! Sign-in sessions (`user_sessions`): one row per signed-in browser.

use super::DbResult;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub struct NewSession<'a> {
    pub user_id: Uuid,
    pub key_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// Whether the sign-in passed a second factor.
    pub mfa_verified: bool,
}

pub async fn create(conn: &mut PgConnection, s: NewSession<'_>) -> DbResult<Uuid> {
    let id = sqlx::query_scalar(
        "INSERT INTO user_sessions (user_id, session_id_hash, expires_at, ip_address, user_agent, mfa_verified)
         VALUES ($1, $2, $3, $4::inet, $5, $6) RETURNING id",
    )
    .bind(s.user_id)
    .bind(s.key_hash)
    .bind(s.expires_at)
    .bind(s.ip.filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()))
    .bind(s.user_agent.map(|ua| ua.chars().take(500).collect::<String>()))
    .bind(s.mfa_verified)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The live session with this id and key: not revoked, not expired. Marks it seen
/// (at most once a minute, to keep reads cheap).
pub async fn find_live(pool: &PgPool, id: Uuid, key_hash: &[u8]) -> DbResult<Option<Uuid>> {
    let user: Option<Uuid> = sqlx::query_scalar(
        "UPDATE user_sessions SET last_seen_at = CASE WHEN last_seen_at < now() - interval '1 minute'
                                                      THEN now() ELSE last_seen_at END
         WHERE id = $1 AND session_id_hash = $2 AND revoked_at IS NULL AND expires_at > now()
         RETURNING user_id",
    )
    .bind(id)
    .bind(key_hash)
    .fetch_optional(pool)
    .await?;
    Ok(user)
}

/// Revokes one of the user's sessions; `NotFound` if it is not theirs or already gone.
pub async fn revoke(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<()> {
    let done = sqlx::query(
        "UPDATE user_sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(user_id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(super::DbError::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The user's live sign-ins, most recently used first (`user_sessions_user_live_idx`).
pub async fn list_live(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<SessionRow>> {
    let rows = sqlx::query_as::<_, SessionRow>(
        "SELECT id, created_at, last_seen_at, expires_at, host(ip_address) AS ip, user_agent
         FROM user_sessions
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
         ORDER BY last_seen_at DESC
         LIMIT 100",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows)
}
