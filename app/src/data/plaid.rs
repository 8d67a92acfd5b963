//! Plaid items, their accounts and the rows a sync writes.
//!
//! Item lookups for workers and webhooks run as the connecting role (no user yet);
//! everything written for a user runs in that user's transaction (`user_tx`).

use super::{DbError, DbResult};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// An institution as Plaid describes it; shared reference data, upserted by Plaid id.
pub struct InstitutionInput<'a> {
    pub plaid_institution_id: &'a str,
    pub name: &'a str,
    pub url: Option<&'a str>,
    pub primary_color: Option<&'a str>,
    pub oauth: bool,
}

/// Institutions are not owned by a user: call this on a pool connection, not in a
/// user's transaction (the app role may only read them).
pub async fn upsert_institution(conn: &mut PgConnection, i: &InstitutionInput<'_>) -> DbResult<Uuid> {
    let color = i
        .primary_color
        .filter(|c| c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit()));
    Ok(sqlx::query_scalar(
        "INSERT INTO institutions (plaid_institution_id, name, url, primary_color, oauth, products)
         VALUES ($1, left($2, 200), $3, $4, $5, '{transactions}')
         ON CONFLICT (plaid_institution_id) DO UPDATE
            SET name = EXCLUDED.name, url = EXCLUDED.url, primary_color = EXCLUDED.primary_color, oauth = EXCLUDED.oauth
         RETURNING id",
    )
    .bind(i.plaid_institution_id)
    .bind(i.name)
    .bind(i.url)
    .bind(color)
    .bind(i.oauth)
    .fetch_one(conn)
    .await?)
}

/// A new item for the user. A Plaid item id seen before (the same bank linked twice
/// returns a new item id, so this is a replay) is a conflict.
pub async fn insert_item(
    conn: &mut PgConnection,
    user_id: Uuid,
    institution_id: Option<Uuid>,
    plaid_item_id: &str,
    sealed_token: &[u8],
    key_id: i16,
) -> DbResult<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO plaid_items (user_id, institution_id, plaid_item_id, access_token_encrypted, encryption_key_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(institution_id)
    .bind(plaid_item_id)
    .bind(sealed_token)
    .bind(key_id)
    .fetch_one(conn)
    .await?)
}

/// What a sync or a webhook needs to know about an item.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub plaid_item_id: String,
    pub access_token_encrypted: Vec<u8>,
    pub status: String,
    pub sync_cursor: Option<String>,
    pub institution_id: Option<Uuid>,
}

const ITEM_COLUMNS: &str =
    "id, user_id, plaid_item_id, access_token_encrypted, status::text AS status, sync_cursor, institution_id";

/// One of the user's items (`NotFound` for anyone else's).
pub async fn item(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<ItemRow> {
    sqlx::query_as::<_, ItemRow>(&format!("SELECT {ITEM_COLUMNS} FROM plaid_items WHERE id = $1 AND user_id = $2"))
        .bind(id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?
        .ok_or(DbError::NotFound)
}

/// Any item by id, for workers (no user context).
pub async fn item_any(conn: &mut PgConnection, id: Uuid) -> DbResult<ItemRow> {
    sqlx::query_as::<_, ItemRow>(&format!("SELECT {ITEM_COLUMNS} FROM plaid_items WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(DbError::NotFound)
}

/// Query `webhook_item`: the item a webhook names (`plaid_items_plaid_item_id_key`).
pub async fn item_by_plaid_id(conn: &mut PgConnection, plaid_item_id: &str) -> DbResult<Option<ItemRow>> {
    Ok(sqlx::query_as::<_, ItemRow>(&format!("SELECT {ITEM_COLUMNS} FROM plaid_items WHERE plaid_item_id = $1"))
        .bind(plaid_item_id)
        .fetch_optional(conn)
        .await?)
}

/// Every item's sealed token (for re-sealing under a new key).
pub async fn sealed_tokens(conn: &mut PgConnection) -> DbResult<Vec<(Uuid, Vec<u8>)>> {
    Ok(sqlx::query_as("SELECT id, access_token_encrypted FROM plaid_items ORDER BY id FOR UPDATE")
        .fetch_all(conn)
        .await?)
}

pub async fn reseal_token(conn: &mut PgConnection, id: Uuid, sealed: &[u8], key_id: i16) -> DbResult<()> {
    sqlx::query("UPDATE plaid_items SET access_token_encrypted = $2, encryption_key_id = $3 WHERE id = $1")
        .bind(id)
        .bind(sealed)
        .bind(key_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Locks the item for the end of a sync and returns its cursor now: if another node
/// stored a newer cursor meanwhile, this run's pages are stale.
pub async fn lock_cursor(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT sync_cursor FROM plaid_items WHERE id = $1 AND user_id = $2 FOR UPDATE")
            .bind(id)
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| r.0).ok_or(DbError::NotFound)
}

/// A sync run finished: the new cursor, and the item is good again.
pub async fn store_cursor(conn: &mut PgConnection, user_id: Uuid, id: Uuid, cursor: &str) -> DbResult<()> {
    sqlx::query(
        "UPDATE plaid_items SET sync_cursor = nullif($3, ''), last_synced_at = now(),
                status = CASE WHEN status IN ('login_required', 'error') THEN 'good' ELSE status END,
                error_code = CASE WHEN status IN ('login_required', 'error') THEN NULL ELSE error_code END,
                error_message = CASE WHEN status IN ('login_required', 'error') THEN NULL ELSE error_message END
         WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .bind(cursor)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets an item's status (webhooks, sync failures, update mode). `error` only for
/// `error` and `login_required`.
pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    error: Option<(&str, &str)>,
    consent_expires_at: Option<DateTime<Utc>>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE plaid_items SET status = $2::plaid_item_status, error_code = $3, error_message = $4,
                consent_expires_at = coalesce($5, consent_expires_at)
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(error.map(|e| e.0))
    .bind(error.map(|e| e.1))
    .bind(consent_expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn touch_webhook(conn: &mut PgConnection, id: Uuid) -> DbResult<()> {
    sqlx::query("UPDATE plaid_items SET last_webhook_at = now() WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// An account as the bank reports it.
pub struct BankAccount<'a> {
    pub plaid_account_id: &'a str,
    pub name: &'a str,
    pub official_name: Option<&'a str>,
    pub mask: Option<&'a str>,
    pub account_type: &'a str,
    pub subtype: Option<&'a str>,
    pub currency: &'a str,
    pub current: Decimal,
    pub available: Option<Decimal>,
    pub limit: Option<Decimal>,
}

/// Inserts new accounts and refreshes the balances of known ones; returns the Plaid
/// account id → Manna account id of every account of the item.
pub async fn upsert_accounts(
    conn: &mut PgConnection,
    user_id: Uuid,
    item_id: Uuid,
    institution_id: Option<Uuid>,
    accounts: &[BankAccount<'_>],
) -> DbResult<std::collections::HashMap<String, (Uuid, bool)>> {
    for a in accounts {
        sqlx::query(
            "INSERT INTO accounts (user_id, institution_id, plaid_item_id, plaid_account_id, name, official_name, mask,
                                   account_type, account_subtype, currency, current_balance, available_balance,
                                   credit_limit, is_manual, last_synced_at)
             VALUES ($1, $2, $3, $4, left($5, 200), $6, left($7, 8), $8::account_type, $9, $10, $11, $12, $13, false, now())
             ON CONFLICT (plaid_account_id) WHERE plaid_account_id IS NOT NULL DO UPDATE
                SET current_balance = EXCLUDED.current_balance, available_balance = EXCLUDED.available_balance,
                    credit_limit = EXCLUDED.credit_limit, official_name = EXCLUDED.official_name,
                    plaid_item_id = EXCLUDED.plaid_item_id, last_synced_at = now()
                WHERE accounts.user_id = EXCLUDED.user_id",
        )
        .bind(user_id)
        .bind(institution_id)
        .bind(item_id)
        .bind(a.plaid_account_id)
        .bind(a.name)
        .bind(a.official_name)
        .bind(a.mask)
        .bind(a.account_type)
        .bind(a.subtype)
        .bind(a.currency)
        .bind(a.current)
        .bind(a.available)
        .bind(a.limit.filter(|l| *l >= Decimal::ZERO))
        .execute(&mut *conn)
        .await?;
    }
    let rows: Vec<(String, Uuid, bool)> = sqlx::query_as(
        "SELECT plaid_account_id, id, is_business FROM accounts
         WHERE user_id = $1 AND plaid_item_id = $2 AND plaid_account_id IS NOT NULL",
    )
    .bind(user_id)
    .bind(item_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(p, id, business)| (p, (id, business))).collect())
}

/// Column arrays for one bulk upsert of bank rows (one entry per row).
#[derive(Default)]
pub struct BankRows {
    pub plaid_ids: Vec<String>,
    pub pending_ids: Vec<Option<String>>,
    pub account_ids: Vec<Uuid>,
    pub amounts: Vec<Decimal>,
    pub currencies: Vec<String>,
    pub dates: Vec<NaiveDate>,
    pub authorized: Vec<Option<NaiveDate>>,
    pub pending: Vec<bool>,
    pub names: Vec<String>,
    pub merchants: Vec<Option<String>>,
    pub channels: Vec<Option<String>>,
    pub locations: Vec<Option<serde_json::Value>>,
    pub metadata: Vec<serde_json::Value>,
    pub category_ids: Vec<Option<Uuid>>,
    pub business: Vec<bool>,
    pub types: Vec<&'static str>,
}

/// What one apply changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    pub added: u64,
    pub modified: u64,
    pub removed: u64,
    /// Posted rows that took over their pending row (keeping the user's edits).
    pub posted: u64,
    /// Bank changes to rows the user has locked (reconciled, split, matched transfer).
    pub skipped: u64,
}

/// Pending → posted: a posted row naming a pending one takes over that row (its id,
/// category, notes, tags, splits) instead of arriving as a second row.
pub async fn adopt_pending(conn: &mut PgConnection, user_id: Uuid, rows: &BankRows) -> DbResult<u64> {
    let (posted, pending): (Vec<&String>, Vec<&String>) =
        rows.plaid_ids.iter().zip(&rows.pending_ids).filter_map(|(id, p)| p.as_ref().map(|p| (id, p))).unzip();
    if posted.is_empty() {
        return Ok(0);
    }
    let done = sqlx::query(
        "UPDATE transactions t SET plaid_transaction_id = u.posted, pending_transaction_id = u.pending
         FROM unnest($2::text[], $3::text[]) AS u(posted, pending)
         WHERE t.user_id = $1 AND t.plaid_transaction_id = u.pending AND NOT t.reconciled
           AND NOT EXISTS (SELECT 1 FROM transactions x WHERE x.plaid_transaction_id = u.posted)",
    )
    .bind(user_id)
    .bind(posted)
    .bind(pending)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Inserts new bank rows and updates known ones in one statement. Updates touch only
/// what the bank owns (amount, date, names, pending, place): never the category,
/// notes, tags or flags a user set, and never rows the user locked (reconciled,
/// split, or a leg of a matched transfer). Returns the ids of the rows inserted.
pub async fn upsert_rows(conn: &mut PgConnection, user_id: Uuid, r: &BankRows) -> DbResult<(Vec<Uuid>, u64)> {
    let rows: Vec<(Uuid, bool)> = sqlx::query_as(
        "INSERT INTO transactions (user_id, account_id, plaid_transaction_id, pending_transaction_id, amount, currency,
                                   date, authorized_date, pending, name, merchant_name, payment_channel, location,
                                   metadata, category_id, category_source, is_business, transaction_type, source, tax_year)
         SELECT $1, u.account_id, u.plaid_id, u.pending_id, u.amount, u.currency, u.date, u.authorized, u.pending,
                u.name, u.merchant, u.channel, u.location, u.metadata, u.category_id,
                CASE WHEN u.category_id IS NULL THEN NULL ELSE 'plaid'::category_source END,
                u.business, u.kind::transaction_type, 'plaid', 0
         FROM unnest($2::text[], $3::text[], $4::uuid[], $5::numeric[], $6::text[], $7::date[], $8::date[], $9::bool[],
                     $10::text[], $11::text[], $12::text[], $13::jsonb[], $14::jsonb[], $15::uuid[], $16::bool[], $17::text[])
              AS u(plaid_id, pending_id, account_id, amount, currency, date, authorized, pending, name, merchant,
                   channel, location, metadata, category_id, business, kind)
         ON CONFLICT (plaid_transaction_id) WHERE plaid_transaction_id IS NOT NULL DO UPDATE
            SET amount = EXCLUDED.amount, currency = EXCLUDED.currency, date = EXCLUDED.date,
                authorized_date = EXCLUDED.authorized_date, pending = EXCLUDED.pending, name = EXCLUDED.name,
                merchant_name = EXCLUDED.merchant_name, payment_channel = EXCLUDED.payment_channel,
                location = EXCLUDED.location, metadata = transactions.metadata || EXCLUDED.metadata,
                transaction_type = CASE WHEN transactions.transaction_type IN ('income', 'expense')
                                        THEN EXCLUDED.transaction_type ELSE transactions.transaction_type END
            WHERE transactions.user_id = EXCLUDED.user_id AND NOT transactions.reconciled
              AND transactions.journal_entry_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM transactions c WHERE c.parent_transaction_id = transactions.id)
         RETURNING id, (xmax = 0) AS inserted",
    )
    .bind(user_id)
    .bind(&r.plaid_ids)
    .bind(&r.pending_ids)
    .bind(&r.account_ids)
    .bind(&r.amounts)
    .bind(&r.currencies)
    .bind(&r.dates)
    .bind(&r.authorized)
    .bind(&r.pending)
    .bind(&r.names)
    .bind(&r.merchants)
    .bind(&r.channels)
    .bind(&r.locations)
    .bind(&r.metadata)
    .bind(&r.category_ids)
    .bind(&r.business)
    .bind(&r.types)
    .fetch_all(conn)
    .await?;
    let inserted: Vec<Uuid> = rows.iter().filter(|(_, new)| *new).map(|(id, _)| *id).collect();
    let updated = (rows.len() - inserted.len()) as u64;
    Ok((inserted, updated))
}

/// Deletes rows the bank withdrew. A matched transfer leg is unlinked first (its
/// entry's other bank leg stays, manual legs go); reconciled rows stay (the user
/// vouched for them). Returns (deleted, kept).
pub async fn remove_rows(conn: &mut PgConnection, user_id: Uuid, plaid_ids: &[String]) -> DbResult<(u64, u64)> {
    if plaid_ids.is_empty() {
        return Ok((0, 0));
    }
    let entries: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT journal_entry_id FROM transactions
         WHERE user_id = $1 AND plaid_transaction_id = ANY($2) AND journal_entry_id IS NOT NULL AND NOT reconciled",
    )
    .bind(user_id)
    .bind(plaid_ids)
    .fetch_all(&mut *conn)
    .await?;
    for entry in entries {
        super::journal::delete(conn, user_id, entry).await?;
    }
    let deleted = sqlx::query(
        "DELETE FROM transactions WHERE user_id = $1 AND plaid_transaction_id = ANY($2) AND NOT reconciled",
    )
    .bind(user_id)
    .bind(plaid_ids)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions WHERE user_id = $1 AND plaid_transaction_id = ANY($2)")
            .bind(user_id)
            .bind(plaid_ids)
            .fetch_one(conn)
            .await?;
    Ok((deleted, kept.max(0) as u64))
}

/// Query `connections`: the user's items with their institution (`plaid_items_user_idx`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: Uuid,
    pub institution: Option<String>,
    pub status: String,
    pub error_message: Option<String>,
    pub consent_expires_at: Option<DateTime<Utc>>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub last_webhook_at: Option<DateTime<Utc>>,
}

pub async fn connections(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<ConnectionRow>> {
    Ok(sqlx::query_as::<_, ConnectionRow>(
        "SELECT p.id, i.name AS institution, p.status::text AS status, p.error_message, p.consent_expires_at,
                p.last_synced_at, p.last_webhook_at
         FROM plaid_items p LEFT JOIN institutions i ON i.id = p.institution_id
         WHERE p.user_id = $1 ORDER BY p.created_at, p.id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionAccountRow {
    pub id: Uuid,
    pub name: String,
    pub mask: Option<String>,
    pub account_type: String,
    pub current_balance: Decimal,
    pub currency: String,
}

/// Query `connection_accounts` (`accounts_plaid_item_idx`).
pub async fn connection_accounts(
    conn: &mut PgConnection,
    user_id: Uuid,
    item_id: Uuid,
) -> DbResult<Vec<ConnectionAccountRow>> {
    Ok(sqlx::query_as::<_, ConnectionAccountRow>(
        "SELECT id, name, mask, account_type::text AS account_type, current_balance, currency::text AS currency
         FROM accounts WHERE user_id = $1 AND plaid_item_id = $2 ORDER BY account_type, name, id",
    )
    .bind(user_id)
    .bind(item_id)
    .fetch_all(conn)
    .await?)
}

/// Deletes an item. Its accounts either stay as manual accounts with their history
/// (`keep_history`) or go with their transactions. Returns (accounts, transactions
/// deleted).
pub async fn remove_item(conn: &mut PgConnection, user_id: Uuid, id: Uuid, keep_history: bool) -> DbResult<(i64, i64)> {
    let (accounts, transactions): (i64, i64) = sqlx::query_as(
        "SELECT count(*), coalesce(sum((SELECT count(*) FROM transactions t WHERE t.account_id = a.id)), 0)::bigint
         FROM accounts a WHERE a.user_id = $1 AND a.plaid_item_id = $2",
    )
    .bind(user_id)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if keep_history {
        sqlx::query("UPDATE accounts SET is_manual = true WHERE user_id = $1 AND plaid_item_id = $2")
            .bind(user_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    } else {
        // Journal entries that reach into other accounts are unlinked first.
        let entries: Vec<Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT t.journal_entry_id FROM transactions t JOIN accounts a ON a.id = t.account_id
             WHERE a.user_id = $1 AND a.plaid_item_id = $2 AND t.journal_entry_id IS NOT NULL",
        )
        .bind(user_id)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        for entry in entries {
            super::journal::delete(conn, user_id, entry).await?;
        }
        sqlx::query("DELETE FROM accounts WHERE user_id = $1 AND plaid_item_id = $2")
            .bind(user_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let done = sqlx::query("DELETE FROM plaid_items WHERE user_id = $1 AND id = $2")
        .bind(user_id)
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok((accounts, if keep_history { 0 } else { transactions }))
}
