//! Sign-in sessions (`user_sessions`): one row per signed-in browser.

use super::DbResult;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub struct NewSession<'a> {
    pub user_id: Uuid,
    pub key_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// Whether the sign-in passed a second factor.
    pub mfa_verified: bool,
    pub device_fingerprint: Option<&'a str>,
    pub risk_score: i16,
    pub risk_factors: serde_json::Value,
    pub suspicious: bool,
}

pub async fn create(conn: &mut PgConnection, s: NewSession<'_>) -> DbResult<Uuid> {
    let id = sqlx::query_scalar(
        "INSERT INTO user_sessions (user_id, session_id_hash, expires_at, ip_address, user_agent, mfa_verified,
                                    device_fingerprint, risk_score, risk_factors, suspicious)
         VALUES ($1, $2, $3, $4::inet, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(s.user_id)
    .bind(s.key_hash)
    .bind(s.expires_at)
    .bind(s.ip.filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()))
    .bind(s.user_agent.map(|ua| ua.chars().take(500).collect::<String>()))
    .bind(s.mfa_verified)
    .bind(s.device_fingerprint)
    .bind(s.risk_score)
    .bind(s.risk_factors)
    .bind(s.suspicious)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A live sign-in, as the per-request check needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveSession {
    pub user_id: Uuid,
    /// Where it signed in from.
    pub ip: Option<String>,
    pub mfa_enabled: bool,
    /// Whether a change of network was already noted.
    pub network_flagged: bool,
    pub email: String,
    pub display_name: String,
    /// Whether `last_seen_at` is over a minute old.
    pub seen_long_ago: bool,
    /// The version of the user's pickers (migration 29), for the server's copy.
    pub pickers_version: i64,
}

/// The live session with this id and key: not revoked, not expired. Marks it seen
/// (at most once a minute: a write, and a row lock, on every request would
/// serialize a user's concurrent requests on this one row).
pub async fn find_live(conn: &mut PgConnection, id: Uuid, key_hash: &[u8]) -> DbResult<Option<LiveSession>> {
    // A plain read on every request; the rare touch is its own statement (a
    // data-modifying CTE here cost every request a write plan and a table lock).
    let live = sqlx::query_as::<_, LiveSession>(
        "SELECT s.user_id, host(s.ip_address) AS ip, u.mfa_enabled, s.risk_factors ? 'new_network' AS network_flagged,
                u.email::text AS email, u.display_name, s.last_seen_at < now() - interval '1 minute' AS seen_long_ago,
                coalesce(p.version, 0) AS pickers_version
         FROM user_sessions s JOIN users u ON u.id = s.user_id LEFT JOIN picker_versions p ON p.user_id = s.user_id
         WHERE s.id = $1 AND s.session_id_hash = $2 AND s.revoked_at IS NULL AND s.expires_at > now()",
    )
    .bind(id)
    .bind(key_hash)
    .fetch_optional(&mut *conn)
    .await?;
    if live.as_ref().is_some_and(|l| l.seen_long_ago) {
        sqlx::query(
            "UPDATE user_sessions SET last_seen_at = now()
             WHERE id = $1 AND last_seen_at < now() - interval '1 minute'",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(live)
}

/// Notes that a sign-in is now used from another network: suspicious, with the
/// factor added once; and, when `end_it`, revoked (the user must sign in again).
pub async fn flag_network_change(conn: &mut PgConnection, id: Uuid, end_it: bool) -> DbResult<()> {
    sqlx::query(
        "UPDATE user_sessions SET suspicious = true,
                risk_factors = CASE WHEN risk_factors ? 'new_network' THEN risk_factors
                                    ELSE risk_factors || '[\"new_network\"]'::jsonb END,
                risk_score = least(100, risk_score + 25),
                revoked_at = CASE WHEN $2 THEN now() ELSE revoked_at END
         WHERE id = $1",
    )
    .bind(id)
    .bind(end_it)
    .execute(conn)
    .await?;
    Ok(())
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
    pub risk_factors: serde_json::Value,
    pub suspicious: bool,
}

/// The user's live sign-ins, most recently used first (`user_sessions_user_live_idx`).
pub async fn list_live(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<SessionRow>> {
    let rows = sqlx::query_as::<_, SessionRow>(
        "SELECT id, created_at, last_seen_at, expires_at, host(ip_address) AS ip, user_agent, risk_factors, suspicious
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

/// The user's earlier sign-ins (device, address, hour of day), newest first, for
/// judging how unusual a new one is.
pub async fn history(
    conn: &mut PgConnection,
    user_id: Uuid,
    limit: i64,
) -> DbResult<Vec<(Option<String>, Option<String>, i32)>> {
    let rows = sqlx::query_as(
        "SELECT device_fingerprint, host(ip_address), extract(hour FROM created_at AT TIME ZONE 'UTC')::int
         FROM user_sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows)
}
