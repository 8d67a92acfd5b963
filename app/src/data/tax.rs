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

/// Query `tax_years`: the tax years the user has transactions in, newest first. A
/// row's tax year is a function of its date (and the owner's fiscal year start), so
/// this is a loose index scan over the date index `transactions_user_date_idx`: one
/// probe per year, each for the newest row dated before the year found last began.
pub async fn years(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<i32>> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE f AS (SELECT fiscal_year_start_month::int AS start FROM users WHERE id = $1),
         y AS (
             (SELECT t.tax_year FROM transactions t WHERE t.user_id = $1 ORDER BY t.date DESC LIMIT 1)
             UNION ALL
             SELECT (SELECT t.tax_year FROM transactions t
                     WHERE t.user_id = $1 AND t.date < manna_tax_year_start(y.tax_year, f.start)
                     ORDER BY t.date DESC LIMIT 1)
             FROM y, f WHERE y.tax_year IS NOT NULL)
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
