//! GDPR: everything Manna holds about a user, and forgetting them.

use super::DbResult;
use sqlx::PgConnection;
use uuid::Uuid;

/// Each exported section: its name and the query for the user's rows, minus secrets
/// (password and TOTP material, session key hashes, sealed bank tokens).
const SECTIONS: [(&str, &str); 11] = [
    (
        "profile",
        "SELECT to_jsonb(u) - 'password_hash' - 'totp_secret_encrypted' - 'totp_pending_encrypted'
                 - 'recovery_code_hashes' - 'tax_id_encrypted' - 'totp_last_step' FROM users u WHERE id = $1",
    ),
    ("accounts", "SELECT to_jsonb(a) FROM accounts a WHERE user_id = $1 ORDER BY created_at"),
    ("transactions", "SELECT to_jsonb(t) - 'search_text' FROM transactions t WHERE user_id = $1 ORDER BY date, id"),
    ("categories", "SELECT to_jsonb(c) FROM categories c WHERE user_id = $1 ORDER BY sort_order"),
    ("categorization_rules", "SELECT to_jsonb(r) FROM categorization_rules r WHERE user_id = $1 ORDER BY priority"),
    ("ml_predictions", "SELECT to_jsonb(p) FROM ml_predictions p WHERE user_id = $1 ORDER BY created_at"),
    ("budgets", "SELECT to_jsonb(b) FROM budgets b WHERE user_id = $1 ORDER BY period_start"),
    ("budget_items", "SELECT to_jsonb(i) FROM budget_items i WHERE user_id = $1"),
    ("reports", "SELECT to_jsonb(r) - 'share_token' FROM reports r WHERE user_id = $1 ORDER BY created_at"),
    ("sessions", "SELECT to_jsonb(s) - 'session_id_hash' FROM user_sessions s WHERE user_id = $1 ORDER BY created_at"),
    ("activity", "SELECT to_jsonb(l) - 'row_hash' - 'previous_hash' FROM audit_logs l WHERE user_id = $1 ORDER BY seq"),
];

/// The user's data as one JSON document, section by section. Runs in the caller's
/// user transaction, so row-level security bounds it as well as the filters.
pub async fn export(conn: &mut PgConnection, user_id: Uuid) -> DbResult<serde_json::Value> {
    let mut doc = serde_json::Map::new();
    doc.insert("format".into(), "manna-export-v1".into());
    doc.insert("exported_at".into(), chrono::Utc::now().to_rfc3339().into());
    for (name, sql) in SECTIONS {
        let rows: Vec<serde_json::Value> = sqlx::query_scalar(sql).bind(user_id).fetch_all(&mut *conn).await?;
        let value = if name == "profile" { rows.into_iter().next().unwrap_or_default() } else { rows.into() };
        doc.insert(name.into(), value);
    }
    Ok(doc.into())
}

/// Deletes the user and, by cascade, everything they own. The audit trail keeps its
/// rows (their user id no longer leads anywhere).
pub async fn delete_user(conn: &mut PgConnection, user_id: Uuid) -> DbResult<()> {
    sqlx::query("DELETE FROM users WHERE id = $1").bind(user_id).execute(conn).await?;
    Ok(())
}

/// Keeps the financial records (a business may have to) but removes who they belong
/// to: contact and profile data, credentials, sign-ins and bank connections.
pub async fn anonymize_user(conn: &mut PgConnection, user_id: Uuid) -> DbResult<()> {
    sqlx::query(
        "UPDATE users SET email = 'deleted-' || id || '@anonymized.invalid', display_name = '',
                business_name = NULL, business_type = NULL, tax_id_encrypted = NULL, is_business = false,
                password_hash = '$argon2id$v=19$anonymized', mfa_enabled = false, totp_secret_encrypted = NULL,
                totp_pending_encrypted = NULL, totp_last_step = NULL, recovery_code_hashes = '{}',
                preferences = '{}', anonymized_at = now()
         WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM user_sessions WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM plaid_items WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    Ok(())
}
