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
