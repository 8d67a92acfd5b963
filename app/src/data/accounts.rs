//! Accounts.

use super::DbResult;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: Uuid,
    pub name: String,
    pub mask: Option<String>,
    pub account_type: String,
    pub account_subtype: Option<String>,
    pub is_business: bool,
    pub currency: String,
    pub current_balance: Decimal,
    pub available_balance: Option<Decimal>,
    pub credit_limit: Option<Decimal>,
    pub institution_name: Option<String>,
}

/// Query `dashboard_accounts`: the user's open accounts (index `accounts_user_active_idx`).
pub const DASHBOARD_ACCOUNTS_SQL: &str = "
    SELECT a.id, a.name, a.mask, a.account_type::text AS account_type, a.account_subtype,
           a.is_business, a.currency::text AS currency, a.current_balance,
           a.available_balance, a.credit_limit, i.name AS institution_name
    FROM accounts a
    LEFT JOIN institutions i ON i.id = a.institution_id
    WHERE a.user_id = $1 AND a.is_active
    ORDER BY a.account_type, a.is_business, a.name, a.id";

pub async fn list_active(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<AccountRow>> {
    let rows = sqlx::query_as::<_, AccountRow>(DASHBOARD_ACCOUNTS_SQL).bind(user_id).fetch_all(conn).await?;
    Ok(rows)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerAccountRow {
    pub id: Uuid,
    pub name: String,
    pub account_type: String,
    pub account_subtype: Option<String>,
    pub is_business: bool,
    pub currency: String,
    pub current_balance: Decimal,
    pub credit_limit: Option<Decimal>,
    pub is_manual: bool,
    pub is_active: bool,
    pub institution_name: Option<String>,
}

/// An account as the ledger's pickers show it.
#[derive(Debug, sqlx::FromRow)]
pub struct PickableAccountRow {
    pub id: Uuid,
    pub name: String,
    pub account_type: String,
    pub is_business: bool,
    pub currency: String,
    pub is_manual: bool,
    pub is_active: bool,
}

/// Every account of the user for the pickers, open ones first (as [`list_all`]).
pub async fn pickable(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<PickableAccountRow>> {
    Ok(sqlx::query_as::<_, PickableAccountRow>(
        "SELECT id, name, account_type::text AS account_type, is_business, currency::text AS currency, is_manual,
                is_active
         FROM accounts WHERE user_id = $1
         ORDER BY is_active DESC, account_type, name, id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// Every account of the user, open ones first.
pub async fn list_all(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<LedgerAccountRow>> {
    let rows = sqlx::query_as::<_, LedgerAccountRow>(
        "SELECT a.id, a.name, a.account_type::text AS account_type, a.account_subtype, a.is_business,
                a.currency::text AS currency, a.current_balance, a.credit_limit, a.is_manual, a.is_active,
                i.name AS institution_name
         FROM accounts a LEFT JOIN institutions i ON i.id = a.institution_id
         WHERE a.user_id = $1
         ORDER BY a.is_active DESC, a.account_type, a.name, a.id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// One of the user's accounts, open or closed.
pub async fn one(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<LedgerAccountRow> {
    sqlx::query_as::<_, LedgerAccountRow>(
        "SELECT a.id, a.name, a.account_type::text AS account_type, a.account_subtype, a.is_business,
                a.currency::text AS currency, a.current_balance, a.credit_limit, a.is_manual, a.is_active,
                i.name AS institution_name
         FROM accounts a LEFT JOIN institutions i ON i.id = a.institution_id
         WHERE a.id = $1 AND a.user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or(super::DbError::NotFound)
}

/// Query `account_balance_history`: the net of an account's top-level transactions in
/// each month from `since` to the current month, empty months included (index
/// `transactions_account_date_idx`).
pub async fn monthly_net(
    conn: &mut PgConnection,
    user_id: Uuid,
    account_id: Uuid,
    since: chrono::NaiveDate,
) -> DbResult<Vec<(chrono::NaiveDate, Decimal)>> {
    Ok(sqlx::query_as(
        "SELECT m.month::date, coalesce(sum(t.amount), 0)
         FROM generate_series(date_trunc('month', $3::date), date_trunc('month', current_date), interval '1 month')
              AS m(month)
         LEFT JOIN transactions t
                ON t.account_id = $1 AND t.user_id = $2 AND t.parent_transaction_id IS NULL
               AND t.date >= m.month AND t.date < m.month + interval '1 month'
         GROUP BY m.month ORDER BY m.month",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(since)
    .fetch_all(conn)
    .await?)
}

/// Creates a manual account and, when it does not start at zero, the adjustment that
/// gives it its opening balance; the balance trigger (migration 9) adds it up, so the
/// balance always equals the ledger.
pub async fn create_manual(
    conn: &mut PgConnection,
    user_id: Uuid,
    a: &manna_core::accounts::NewAccount,
) -> DbResult<Uuid> {
    let kind = serde_json::to_value(a.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO accounts (user_id, name, account_type, account_subtype, is_business, currency, credit_limit,
                               is_manual)
         VALUES ($1, $2, $3::account_type, $4, $5, $6, $7, true) RETURNING id",
    )
    .bind(user_id)
    .bind(&a.name)
    .bind(kind)
    .bind(&a.subtype)
    .bind(a.is_business)
    .bind(a.currency.as_str())
    .bind(a.credit_limit)
    .fetch_one(&mut *conn)
    .await?;
    if !a.opening_balance.is_zero() {
        sqlx::query(
            "INSERT INTO transactions (user_id, account_id, amount, currency, date, name, transaction_type, source,
                                       is_business)
             VALUES ($1, $2, $3, $4, current_date, 'Opening balance', 'adjustment', 'manual', $5)",
        )
        .bind(user_id)
        .bind(id)
        .bind(a.opening_entry())
        .bind(a.currency.as_str())
        .bind(a.is_business)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// Renames an account or moves it between personal and business; `NotFound` unless
/// it is the user's. Returns the old (name, is_business) for the audit trail.
pub async fn update(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    name: &str,
    is_business: bool,
) -> DbResult<(String, bool)> {
    let old: Option<(String, bool)> =
        sqlx::query_as("SELECT name, is_business FROM accounts WHERE id = $1 AND user_id = $2 FOR UPDATE")
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    let old = old.ok_or(super::DbError::NotFound)?;
    sqlx::query("UPDATE accounts SET name = $3, is_business = $4 WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .bind(name)
        .bind(is_business)
        .execute(conn)
        .await?;
    Ok(old)
}

/// Closes an open account (it stays, with its history, but leaves the totals).
pub async fn close(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<()> {
    let done = sqlx::query(
        "UPDATE accounts SET is_active = false, closed_at = now() WHERE id = $1 AND user_id = $2 AND is_active",
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
