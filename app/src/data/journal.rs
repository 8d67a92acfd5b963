//! Journal entries: transfers (two legs that are each other's contra) and manual
//! adjustments (any number of legs). The database checks at commit that an entry's
//! legs sum to zero (`transactions_journal_balanced`).

use super::{DbError, DbResult};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// One leg to write: an amount into (positive) or out of (negative) an account.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NewLeg {
    pub account_id: Uuid,
    pub amount: Decimal,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct LegRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub account_name: String,
    pub amount: Decimal,
    pub currency: String,
    pub date: NaiveDate,
    pub name: String,
    pub transaction_type: String,
    pub reconciled: bool,
}

/// The currencies of the user's open accounts among `ids` (fewer than asked: some are
/// not the user's or are closed).
pub async fn open_account_currencies(
    conn: &mut PgConnection,
    user_id: Uuid,
    ids: &[Uuid],
) -> DbResult<Vec<(Uuid, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, currency::text FROM accounts WHERE user_id = $1 AND id = ANY($2) AND is_active ORDER BY id",
    )
    .bind(user_id)
    .bind(ids)
    .fetch_all(conn)
    .await?)
}

/// Writes a journal entry and returns its id. `kind` is `transfer` (exactly two legs,
/// linked as each other's contra) or `adjustment`.
pub async fn create(
    conn: &mut PgConnection,
    user_id: Uuid,
    date: NaiveDate,
    description: &str,
    kind: &str,
    legs: &[NewLeg],
) -> DbResult<Uuid> {
    let entry: Uuid = sqlx::query_scalar("SELECT gen_random_uuid()").fetch_one(&mut *conn).await?;
    let mut ids = Vec::with_capacity(legs.len());
    for leg in legs {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO transactions (user_id, account_id, amount, currency, date, name, transaction_type,
                                       journal_entry_id, source, is_business)
             SELECT $1, a.id, $3, a.currency, $4, $5, $6::transaction_type, $7, 'manual', a.is_business
             FROM accounts a WHERE a.id = $2 AND a.user_id = $1
             RETURNING id",
        )
        .bind(user_id)
        .bind(leg.account_id)
        .bind(leg.amount)
        .bind(date)
        .bind(description)
        .bind(kind)
        .bind(entry)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(DbError::NotFound)?;
        ids.push(id);
    }
    if kind == "transfer"
        && let [a, b] = ids[..]
    {
        link_contra(conn, user_id, a, b).await?;
    }
    Ok(entry)
}

/// Makes two legs each other's contra.
async fn link_contra(conn: &mut PgConnection, user_id: Uuid, a: Uuid, b: Uuid) -> DbResult<()> {
    sqlx::query(
        "UPDATE transactions SET contra_transaction_id = CASE id WHEN $2 THEN $3 ELSE $2 END
         WHERE user_id = $1 AND id IN ($2, $3)",
    )
    .bind(user_id)
    .bind(a)
    .bind(b)
    .execute(conn)
    .await?;
    Ok(())
}

/// The legs of one of the user's journal entries, locked, outflows first.
pub async fn lock_legs(conn: &mut PgConnection, user_id: Uuid, entry: Uuid) -> DbResult<Vec<LegRow>> {
    let legs = sqlx::query_as::<_, LegRow>(
        "SELECT t.id, t.account_id, a.name AS account_name, t.amount, t.currency::text AS currency, t.date, t.name,
                t.transaction_type::text AS transaction_type, t.reconciled
         FROM transactions t JOIN accounts a ON a.id = t.account_id
         WHERE t.user_id = $1 AND t.journal_entry_id = $2
         ORDER BY t.amount, t.id
         FOR UPDATE OF t",
    )
    .bind(user_id)
    .bind(entry)
    .fetch_all(conn)
    .await?;
    if legs.is_empty() { Err(DbError::NotFound) } else { Ok(legs) }
}

/// Rewrites a transfer's legs: `amount` out of the first (outflow) leg into the
/// other, on `date`, under `description`.
pub async fn update_transfer(
    conn: &mut PgConnection,
    user_id: Uuid,
    entry: Uuid,
    date: NaiveDate,
    description: &str,
    amount: Decimal,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE transactions SET date = $3, name = $4, merchant_name = NULL,
                amount = CASE WHEN amount < 0 THEN -$5 ELSE $5 END
         WHERE user_id = $1 AND journal_entry_id = $2",
    )
    .bind(user_id)
    .bind(entry)
    .bind(date)
    .bind(description)
    .bind(amount.abs())
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes every leg of an entry. Legs that came from a bank (matched transfers) are
/// not deleted but unlinked, since the bank will keep reporting them.
pub async fn delete(conn: &mut PgConnection, user_id: Uuid, entry: Uuid) -> DbResult<()> {
    sqlx::query(
        "UPDATE transactions SET journal_entry_id = NULL, contra_transaction_id = NULL,
                transaction_type = CASE WHEN amount < 0 THEN 'expense' ELSE 'income' END::transaction_type
         WHERE user_id = $1 AND journal_entry_id = $2 AND source <> 'manual'",
    )
    .bind(user_id)
    .bind(entry)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM transactions WHERE user_id = $1 AND journal_entry_id = $2")
        .bind(user_id)
        .bind(entry)
        .execute(conn)
        .await?;
    Ok(())
}

/// Links two existing transactions (say, both sides of a card payment imported from
/// two banks) into one transfer entry. The caller has checked they are the user's,
/// unlinked, in different accounts, and sum to zero.
pub async fn match_pair(conn: &mut PgConnection, user_id: Uuid, a: Uuid, b: Uuid) -> DbResult<Uuid> {
    let entry: Uuid = sqlx::query_scalar("SELECT gen_random_uuid()").fetch_one(&mut *conn).await?;
    sqlx::query(
        "UPDATE transactions SET journal_entry_id = $4, transaction_type = 'transfer', category_id = NULL,
                category_source = NULL, contra_transaction_id = CASE id WHEN $2 THEN $3 ELSE $2 END
         WHERE user_id = $1 AND id IN ($2, $3)",
    )
    .bind(user_id)
    .bind(a)
    .bind(b)
    .bind(entry)
    .execute(conn)
    .await?;
    Ok(entry)
}
