//! The audit writer every mutation uses. The database chains and hashes each row
//! (migration `audit_chain`); this module only says what happened.

use super::DbResult;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impact {
    None,
    Low,
    Medium,
    High,
}

impl Impact {
    fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Low => "low",
            Impact::Medium => "medium",
            Impact::High => "high",
        }
    }
}

/// Who did it, from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// A hash of the browser's identity (not recorded in the audit row itself).
    pub device: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<Uuid>,
    pub old_values: Option<Value>,
    pub new_values: Option<Value>,
    pub impact: Impact,
    pub compliance_flags: &'a [&'a str],
}

impl<'a> Entry<'a> {
    /// An entry about `entity_type`/`entity_id`, low impact, flagged "security"
    /// (what most entries are); adjust with the methods below.
    pub fn new(action: &'a str, entity_type: &'a str, entity_id: Option<Uuid>) -> Self {
        Entry {
            action,
            entity_type,
            entity_id,
            old_values: None,
            new_values: None,
            impact: Impact::Low,
            compliance_flags: &["security"],
        }
    }

    pub fn impact(self, impact: Impact) -> Self {
        Entry { impact, ..self }
    }

    pub fn flags(self, compliance_flags: &'a [&'a str]) -> Self {
        Entry { compliance_flags, ..self }
    }

    pub fn old(self, values: Value) -> Self {
        Entry { old_values: Some(values), ..self }
    }

    pub fn new_values(self, values: Value) -> Self {
        Entry { new_values: Some(values), ..self }
    }
}

/// Keys whose values never enter the audit trail.
const SECRET_KEYS: [&str; 6] = ["password", "password_hash", "totp_secret", "access_token", "recovery_codes", "secret"];

fn redact(value: Option<Value>) -> Option<Value> {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if SECRET_KEYS.iter().any(|s| k.contains(s)) {
                        *v = Value::String("[redacted]".into());
                    } else {
                        walk(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    value.map(|mut v| {
        walk(&mut v);
        v
    })
}

/// Appends one entry, inside the caller's transaction: the entry commits with the
/// change it describes, or neither does.
pub async fn record(conn: &mut PgConnection, actor: &Actor, entry: Entry<'_>) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO audit_logs (user_id, session_id, action, entity_type, entity_id, old_values, new_values,
                                 ip_address, user_agent, business_impact, compliance_flags, row_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::inet, $9, $10::business_impact, $11, decode(repeat('00', 32), 'hex'))",
    )
    .bind(actor.user_id)
    .bind(actor.session_id)
    .bind(entry.action)
    .bind(entry.entity_type)
    .bind(entry.entity_id)
    .bind(redact(entry.old_values))
    .bind(redact(entry.new_values))
    .bind(actor.ip.as_deref().filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()))
    .bind(actor.user_agent.as_deref().map(|ua| ua.chars().take(500).collect::<String>()))
    .bind(entry.impact.as_str())
    .bind(entry.compliance_flags.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = serde_json::json!({"email": "a@b.c", "password": "x", "nested": [{"totp_secret": "y", "ok": 1}]});
        let r = redact(Some(v)).unwrap();
        assert_eq!(r["email"], "a@b.c");
        assert_eq!(r["password"], "[redacted]");
        assert_eq!(r["nested"][0]["totp_secret"], "[redacted]");
        assert_eq!(r["nested"][0]["ok"], 1);
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub seq: i64,
    pub action: String,
    pub entity_type: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The user's own audit history, newest first, keyset-paged by `seq`
/// (`audit_logs_user_seq_idx`).
pub async fn history(
    conn: &mut PgConnection,
    user_id: Uuid,
    before_seq: Option<i64>,
    limit: i64,
) -> DbResult<Vec<HistoryRow>> {
    let rows = sqlx::query_as::<_, HistoryRow>(
        "SELECT seq, action, entity_type, created_at, host(ip_address) AS ip, user_agent
         FROM audit_logs
         WHERE user_id = $1 AND seq < coalesce($2, 9223372036854775807)
         ORDER BY seq DESC
         LIMIT $3",
    )
    .bind(user_id)
    .bind(before_seq)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Failed sign-in steps from one address since `since`, and the oldest of them
/// (index `audit_logs_failed_sign_in_ip_idx`).
pub async fn recent_failures_from(
    pool: &sqlx::PgPool,
    ip: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> DbResult<(i64, Option<chrono::DateTime<chrono::Utc>>)> {
    let row = sqlx::query_as(
        "SELECT count(*), min(created_at) FROM audit_logs
         WHERE ip_address = $1::inet AND created_at > $2 AND action IN ('auth.sign_in_failed', 'auth.mfa_failed')",
    )
    .bind(ip)
    .bind(since)
    .fetch_one(pool)
    .await?;
    Ok(row)
}
