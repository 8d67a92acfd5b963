//! Reconciliation: agreeing an account with a bank statement and locking what agreed.

use super::{DbError, DbResult};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountState {
    pub name: String,
    pub account_type: String,
    pub currency: String,
    /// The sum of the account's reconciled top-level transactions.
    pub reconciled_sum: Decimal,
    pub last_reconciled_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The user's account with what is already reconciled in it, locked so two
/// reconciliations of one account run one after the other.
pub async fn lock_account(conn: &mut PgConnection, user_id: Uuid, account_id: Uuid) -> DbResult<AccountState> {
    sqlx::query("SELECT 1 FROM accounts WHERE id = $1 AND user_id = $2 FOR UPDATE")
        .bind(account_id)
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(DbError::NotFound)?;
    account_state(conn, user_id, account_id).await
}

/// Query `reconciliation_state`: as `lock_account`, without the lock.
pub async fn account_state(conn: &mut PgConnection, user_id: Uuid, account_id: Uuid) -> DbResult<AccountState> {
    sqlx::query_as::<_, AccountState>(
        "SELECT a.name, a.account_type::text AS account_type, a.currency::text AS currency,
                coalesce((SELECT sum(t.amount) FROM transactions t
                          WHERE t.account_id = a.id AND t.reconciled AND t.parent_transaction_id IS NULL), 0)
                    AS reconciled_sum,
                (SELECT max(t.reconciled_at) FROM transactions t WHERE t.account_id = a.id AND t.reconciled)
                    AS last_reconciled_at
         FROM accounts a WHERE a.id = $1 AND a.user_id = $2",
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub description: String,
    pub amount: Decimal,
    pub pending: bool,
}

/// Query `reconciliation_open`: the account's unreconciled top-level transactions up
/// to the statement date, oldest first (partial index `transactions_unreconciled_idx`).
pub async fn open_rows(
    conn: &mut PgConnection,
    user_id: Uuid,
    account_id: Uuid,
    through: NaiveDate,
    limit: i64,
) -> DbResult<Vec<OpenRow>> {
    Ok(sqlx::query_as::<_, OpenRow>(
        "SELECT id, date, coalesce(merchant_name, name) AS description, amount, pending
         FROM transactions
         WHERE account_id = $1 AND user_id = $2 AND NOT reconciled AND date <= $3 AND parent_transaction_id IS NULL
         ORDER BY date, id LIMIT $4",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(through)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The amounts of the given unreconciled rows of the account dated up to `through`,
/// locked; fewer rows than ids means some do not qualify.
pub async fn lock_open(
    conn: &mut PgConnection,
    user_id: Uuid,
    account_id: Uuid,
    through: NaiveDate,
    ids: &[Uuid],
) -> DbResult<Vec<Decimal>> {
    Ok(sqlx::query_scalar(
        "SELECT amount FROM transactions
         WHERE user_id = $1 AND account_id = $2 AND id = ANY($3) AND NOT reconciled AND NOT pending
           AND date <= $4 AND parent_transaction_id IS NULL
         ORDER BY id FOR UPDATE",
    )
    .bind(user_id)
    .bind(account_id)
    .bind(ids)
    .bind(through)
    .fetch_all(conn)
    .await?)
}

/// Locks the rows as reconciled.
pub async fn mark(conn: &mut PgConnection, user_id: Uuid, ids: &[Uuid]) -> DbResult<u64> {
    Ok(sqlx::query(
        "UPDATE transactions SET reconciled = true, reconciled_at = now() WHERE user_id = $1 AND id = ANY($2)",
    )
    .bind(user_id)
    .bind(ids)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Unlocks one reconciled row; `NotFound` unless it is the user's and reconciled.
/// Returns when it had been reconciled, for the audit trail.
pub async fn unmark(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<chrono::DateTime<chrono::Utc>> {
    sqlx::query_scalar(
        "UPDATE transactions t SET reconciled = false, reconciled_at = NULL
         FROM (SELECT id, reconciled_at FROM transactions WHERE id = $2 AND user_id = $1 AND reconciled FOR UPDATE) old
         WHERE t.id = old.id
         RETURNING old.reconciled_at",
    )
    .bind(user_id)
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}
