//! The dashboard's own reads: the net worth walked back month by month, and the
//! accounts that need attention. (Cash flow and spending come from `reports`.)

use super::DbResult;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// Query `dashboard_net_worth`: today's net worth over the active accounts in the
/// user's currency (business or personal ones only, if asked), and the ledger's net per month since `since` over the same
/// accounts, oldest first, every month through the current one. Walking back from
/// today gives each month's closing net worth. The sums are an index-only scan of
/// `transactions_user_date_idx` grouped by day and account (no per-row functions);
/// split parts (few) are looked up once and left out, as balances hold the whole.
pub async fn net_worth_months(
    conn: &mut PgConnection,
    user_id: Uuid,
    since: NaiveDate,
    today: NaiveDate,
    business: Option<bool>,
) -> DbResult<(Decimal, Vec<(NaiveDate, Decimal)>)> {
    let accounts: Vec<(Uuid, Decimal)> = sqlx::query_as(
        "SELECT a.id, CASE WHEN a.account_type IN ('credit', 'loan') THEN -a.current_balance ELSE a.current_balance END
         FROM accounts a JOIN users u ON u.id = a.user_id
         WHERE a.user_id = $1 AND a.is_active AND a.currency = u.default_currency
           AND ($2::bool IS NULL OR a.is_business = $2)",
    )
    .bind(user_id)
    .bind(business)
    .fetch_all(&mut *conn)
    .await?;
    let now: Decimal = accounts.iter().map(|a| a.1).sum();
    let counted: std::collections::HashSet<Uuid> = accounts.iter().map(|a| a.0).collect();
    let days: Vec<(NaiveDate, Uuid, Decimal)> = sqlx::query_as(
        "SELECT t.date, t.account_id, sum(t.amount) FROM transactions t
         WHERE t.user_id = $1 AND t.date >= $2 AND t.date <= $3
           AND t.id NOT IN (SELECT s.id FROM transactions s WHERE s.user_id = $1 AND s.parent_transaction_id IS NOT NULL)
         GROUP BY t.date, t.account_id",
    )
    .bind(user_id)
    .bind(since)
    .bind(today)
    .fetch_all(conn)
    .await?;
    let mut months: Vec<(NaiveDate, Decimal)> =
        manna_core::report::months(since, today).into_iter().map(|m| (m, Decimal::ZERO)).collect();
    for (day, account, amount) in days {
        if !counted.contains(&account) {
            continue;
        }
        let month = chrono::Datelike::with_day(&day, 1).unwrap_or(day);
        if let Some(slot) = months.iter_mut().find(|(m, _)| *m == month) {
            slot.1 += amount;
        }
    }
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
pub async fn attention(
    conn: &mut PgConnection,
    user_id: Uuid,
    stale_before: NaiveDate,
    business: Option<bool>,
) -> DbResult<Vec<AttentionRow>> {
    Ok(sqlx::query_as::<_, AttentionRow>(
        "SELECT * FROM (
             SELECT a.id, a.name, p.status::text AS plaid_status, p.error_message AS plaid_error,
                    (SELECT min(t.date) FROM transactions t WHERE t.account_id = a.id AND NOT t.reconciled)
                        AS oldest_unreconciled
             FROM accounts a LEFT JOIN plaid_items p ON p.id = a.plaid_item_id
             WHERE a.user_id = $1 AND a.is_active AND ($3::bool IS NULL OR a.is_business = $3)) x
         WHERE (x.plaid_status IS NOT NULL AND x.plaid_status <> 'good') OR x.oldest_unreconciled < $2
         ORDER BY x.name, x.id",
    )
    .bind(user_id)
    .bind(stale_before)
    .bind(business)
    .fetch_all(conn)
    .await?)
}
