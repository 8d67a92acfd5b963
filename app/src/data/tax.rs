//! Tax years: the user's fiscal year and deductible spending per tax year.

use super::DbResult;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// The user's fiscal year start month and default currency.
pub async fn fiscal_start(conn: &mut PgConnection, user_id: Uuid) -> DbResult<(i32, String)> {
    Ok(sqlx::query_as("SELECT fiscal_year_start_month::int, default_currency::text FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(conn)
        .await?)
}

/// Query `tax_years`: the tax years the user has transactions in, newest first
/// (a loose index scan over `transactions_user_tax_year_idx`, one probe per year).
pub async fn years(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<i32>> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE y AS (
             (SELECT tax_year FROM transactions WHERE user_id = $1 ORDER BY tax_year DESC LIMIT 1)
             UNION ALL
             SELECT (SELECT t.tax_year FROM transactions t WHERE t.user_id = $1 AND t.tax_year < y.tax_year
                     ORDER BY t.tax_year DESC LIMIT 1)
             FROM y WHERE y.tax_year IS NOT NULL)
         SELECT tax_year FROM y WHERE tax_year IS NOT NULL",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeductibleRow {
    pub category: Option<String>,
    pub count: i64,
    /// Ledger sign: spending is negative.
    pub total: Decimal,
}

/// Query `tax_deductible_summary`: deductible rows of one tax year by category
/// (partial index `transactions_deductible_idx`). A split counts by its parts, not
/// its whole; transfers are not spending.
pub async fn deductible_by_category(conn: &mut PgConnection, user_id: Uuid, year: i32) -> DbResult<Vec<DeductibleRow>> {
    Ok(sqlx::query_as::<_, DeductibleRow>(
        "SELECT c.name AS category, count(*) AS count, sum(t.amount) AS total
         FROM transactions t LEFT JOIN categories c ON c.id = t.category_id
         WHERE t.user_id = $1 AND t.tax_year = $2 AND t.tax_deductible AND t.transaction_type <> 'transfer'
           AND NOT EXISTS (SELECT 1 FROM transactions p WHERE p.parent_transaction_id = t.id)
         GROUP BY c.name
         ORDER BY sum(t.amount), c.name",
    )
    .bind(user_id)
    .bind(year)
    .fetch_all(conn)
    .await?)
}
