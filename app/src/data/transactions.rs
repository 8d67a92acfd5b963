//! Transactions.

use super::DbResult;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecentRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub currency: String,
    pub description: String,
    pub pending: bool,
    pub is_business: bool,
    pub account_name: String,
    pub category_name: Option<String>,
}

/// Query `recent_transactions`: newest first over `transactions_user_date_idx`; only
/// the rows shown are joined. Split children are shown through their parent.
pub const RECENT_SQL: &str = "
    SELECT t.id, t.date, t.amount, t.currency::text AS currency,
           coalesce(t.merchant_name, t.name) AS description, t.pending, t.is_business,
           a.name AS account_name, c.name AS category_name
    FROM (SELECT id, date, amount, currency, merchant_name, name, pending, is_business, account_id, category_id
          FROM transactions
          WHERE user_id = $1 AND parent_transaction_id IS NULL
          ORDER BY date DESC, id DESC
          LIMIT $2) t
    JOIN accounts a ON a.id = t.account_id
    LEFT JOIN categories c ON c.id = t.category_id
    ORDER BY t.date DESC, t.id DESC";

pub async fn recent(conn: &mut PgConnection, user_id: Uuid, limit: i64) -> DbResult<Vec<RecentRow>> {
    let rows = sqlx::query_as::<_, RecentRow>(RECENT_SQL).bind(user_id).bind(limit).fetch_all(conn).await?;
    Ok(rows)
}
