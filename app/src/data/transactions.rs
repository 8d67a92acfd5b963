//! Transactions.

use super::DbResult;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// Which transactions a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub account_id: Option<Uuid>,
    /// Matched against merchant, description and notes (trigram index).
    pub text: Option<String>,
    /// Keyset: rows strictly older than this (date, id).
    pub before: Option<(NaiveDate, Uuid)>,
    pub limit: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub currency: String,
    pub description: String,
    pub pending: bool,
    pub reconciled: bool,
    pub is_business: bool,
    pub tax_deductible: bool,
    pub account_name: String,
    pub category_name: Option<String>,
}

/// Query `transactions_page`: keyset-paginated, newest first, over
/// `transactions_user_date_idx` (or the trigram index for text). Only the active
/// filters become predicates, so each shape gets its own plan; never OFFSET.
pub async fn list(conn: &mut PgConnection, user_id: Uuid, f: &ListFilter) -> DbResult<Vec<ListRow>> {
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(
        "SELECT t.id, t.date, t.amount, t.currency::text AS currency,
                coalesce(t.merchant_name, t.name) AS description, t.pending, t.reconciled, t.is_business,
                t.tax_deductible, a.name AS account_name, c.name AS category_name
         FROM transactions t
         JOIN accounts a ON a.id = t.account_id
         LEFT JOIN categories c ON c.id = t.category_id
         WHERE t.parent_transaction_id IS NULL AND t.user_id = ",
    );
    q.push_bind(user_id);
    if let Some(from) = f.from {
        q.push(" AND t.date >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        q.push(" AND t.date <= ").push_bind(to);
    }
    if let Some(account) = f.account_id {
        q.push(" AND t.account_id = ").push_bind(account);
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q.push(" AND t.search_text LIKE ").push_bind(like_pattern(text));
    }
    if let Some((date, id)) = f.before {
        q.push(" AND (t.date, t.id) < (").push_bind(date).push(", ").push_bind(id).push(")");
    }
    q.push(" ORDER BY t.date DESC, t.id DESC LIMIT ").push_bind(f.limit);
    Ok(q.build_query_as::<ListRow>().fetch_all(conn).await?)
}

/// `%text%` for LIKE over the lower-cased search column, with LIKE's own wildcards
/// in the user's text taken literally.
fn like_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Whether the account is the user's (a filter on someone else's account is "not found").
pub async fn owns_account(conn: &mut PgConnection, user_id: Uuid, account_id: Uuid) -> DbResult<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND user_id = $2)")
        .bind(account_id)
        .bind(user_id)
        .fetch_one(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(super::like_pattern("Blue Bottle"), "%blue bottle%");
        assert_eq!(super::like_pattern("100%_x\\"), "%100\\%\\_x\\\\%");
    }
}
