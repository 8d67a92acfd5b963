//! The dashboard's own reads: the net worth walked back month by month, and the
//! accounts that need attention. (Cash flow and spending come from `reports`.)

use super::DbResult;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// Query `dashboard_net_worth`: today's net worth over the active accounts in the
/// user's currency, and the ledger's net per month since `since` over the same
/// accounts (`transactions_user_date_idx`); walking back from today gives each
/// month's closing net worth.
pub async fn net_worth_months(
    conn: &mut PgConnection,
    user_id: Uuid,
    since: NaiveDate,
) -> DbResult<(Decimal, Vec<(NaiveDate, Decimal)>)> {
    let now: Decimal = sqlx::query_scalar(
        "SELECT coalesce(sum(CASE WHEN a.account_type IN ('credit', 'loan') THEN -a.current_balance
                                  ELSE a.current_balance END), 0)
         FROM accounts a JOIN users u ON u.id = a.user_id
         WHERE a.user_id = $1 AND a.is_active AND a.currency = u.default_currency",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    let months = sqlx::query_as(
        "WITH counted AS (
             SELECT a.id FROM accounts a JOIN users u ON u.id = a.user_id
             WHERE a.user_id = $1 AND a.is_active AND a.currency = u.default_currency)
         SELECT m.month::date, coalesce(s.net, 0)
         FROM generate_series(date_trunc('month', $2::date), date_trunc('month', current_date), interval '1 month')
              AS m(month)
         LEFT JOIN (SELECT date_trunc('month', t.date) AS month, sum(t.amount) AS net
                    FROM transactions t
                    WHERE t.user_id = $1 AND t.date >= date_trunc('month', $2::date)
                      AND t.parent_transaction_id IS NULL AND t.account_id IN (SELECT id FROM counted)
                    GROUP BY 1) s ON s.month = m.month
         ORDER BY m.month",
    )
    .bind(user_id)
    .bind(since)
    .fetch_all(conn)
    .await?;
    Ok((now, months))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttentionRow {
    pub id: Uuid,
    pub name: String,
    pub plaid_status: Option<String>,
    pub plaid_error: Option<String>,
    pub oldest_unreconciled: Option<NaiveDate>,
}

/// Query `dashboard_attention`: active accounts whose bank connection is not good,
/// or with unreconciled rows older than `stale_before` (one probe each of the
/// partial index `transactions_unreconciled_idx`).
pub async fn attention(conn: &mut PgConnection, user_id: Uuid, stale_before: NaiveDate) -> DbResult<Vec<AttentionRow>> {
    Ok(sqlx::query_as::<_, AttentionRow>(
        "SELECT * FROM (
             SELECT a.id, a.name, p.status::text AS plaid_status, p.error_message AS plaid_error,
                    (SELECT min(t.date) FROM transactions t WHERE t.account_id = a.id AND NOT t.reconciled)
                        AS oldest_unreconciled
             FROM accounts a LEFT JOIN plaid_items p ON p.id = a.plaid_item_id
             WHERE a.user_id = $1 AND a.is_active) x
         WHERE (x.plaid_status IS NOT NULL AND x.plaid_status <> 'good') OR x.oldest_unreconciled < $2
         ORDER BY x.name, x.id",
    )
    .bind(user_id)
    .bind(stale_before)
    .fetch_all(conn)
    .await?)
}
