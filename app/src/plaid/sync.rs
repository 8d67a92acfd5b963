//! One sync run of an item: page through `/transactions/sync` from the stored cursor
//! until `has_more` is false (starting over from that cursor when Plaid reports a
//! mutation during pagination), then apply the net changes, the balances and the new
//! cursor in one database transaction.

use super::types::{Account, SyncPage, Transaction};
use super::{PlaidClient, PlaidError};
use crate::data::plaid::{Applied, BankAccount, BankRows, ItemRow};
use crate::data::{DbError, plaid as items, user_tx};
use crate::sealing::{SealError, SealingKey};
use manna_core::bank_sync::{self, Changes, Page};
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

/// Rows per `/transactions/sync` call (Plaid's maximum).
pub const PAGE_SIZE: u32 = 500;
/// Restarts after TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION before giving up (the
/// job then retries later).
const MAX_RESTARTS: u32 = 5;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncOutcome {
    pub pages: u32,
    pub restarts: u32,
    pub applied: Applied,
    /// Another node stored a newer cursor while this run fetched: nothing written.
    pub stale: bool,
    /// Plaid has not finished its first pull of this item yet.
    pub not_ready: bool,
    /// Time spent fetching pages from Plaid, and writing them (one transaction).
    pub fetch_ms: u64,
    pub write_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Plaid(#[from] PlaidError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the stored access token cannot be opened: {0}")]
    Token(#[from] SealError),
    #[error("Plaid kept changing the data while we paged ({0} restarts)")]
    TooManyRestarts(u32),
}

impl From<sqlx::Error> for SyncError {
    fn from(e: sqlx::Error) -> Self {
        SyncError::Db(e.into())
    }
}

impl SyncError {
    /// Worth another attempt later (as opposed to needing the user, or a bug).
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Plaid(e) => e.is_transient(),
            SyncError::Db(DbError::Unavailable(_)) => true,
            SyncError::TooManyRestarts(_) => true,
            _ => false,
        }
    }
}

/// The access token of an item, opened.
pub fn access_token(key: &SealingKey, item: &ItemRow) -> Result<String, SyncError> {
    let bytes = key.open(&item.access_token_encrypted)?;
    String::from_utf8(bytes).map_err(|_| SyncError::Token(SealError::Malformed))
}

/// Syncs one item. A login-required answer marks the item so the page offers "Fix
/// connection"; the error is returned as well.
pub async fn sync_item(
    pool: &PgPool,
    plaid: &PlaidClient,
    key: &SealingKey,
    item_id: Uuid,
) -> Result<SyncOutcome, SyncError> {
    let item = {
        let mut conn = pool.acquire().await?;
        items::item_any(&mut conn, item_id).await?
    };
    let token = access_token(key, &item)?;
    let start = item.sync_cursor.clone().unwrap_or_default();
    let started = std::time::Instant::now();
    let run = match fetch_run(plaid, &token, &start).await {
        Ok(run) => run,
        Err(SyncError::Plaid(e)) if e.needs_login() || e.is("ITEM_NOT_FOUND") => {
            let status = if e.needs_login() { "login_required" } else { "revoked" };
            let mut conn = pool.acquire().await?;
            let message = e.user_message();
            items::set_status(&mut conn, item.id, status, Some((e.code().unwrap_or(""), &message)), None).await?;
            return Err(SyncError::Plaid(e));
        }
        Err(e) => return Err(e),
    };
    let mut outcome = SyncOutcome {
        pages: run.pages,
        restarts: run.restarts,
        not_ready: run.not_ready,
        fetch_ms: started.elapsed().as_millis() as u64,
        ..Default::default()
    };
    let writing = std::time::Instant::now();
    let mut tx = user_tx(pool, item.user_id).await?;
    let current = items::lock_cursor(&mut tx, item.user_id, item.id).await?.unwrap_or_default();
    if current != start {
        outcome.stale = true;
        return Ok(outcome);
    }
    outcome.applied = apply(&mut tx, &item, &run.accounts, run.changes).await?;
    items::store_cursor(&mut tx, item.user_id, item.id, &run.cursor).await?;
    tx.commit().await?;
    outcome.write_ms = writing.elapsed().as_millis() as u64;
    Ok(outcome)
}

/// The pages of one complete run, folded.
struct Run {
    changes: Changes<Transaction>,
    accounts: Vec<Account>,
    cursor: String,
    pages: u32,
    restarts: u32,
    not_ready: bool,
}

async fn fetch_run(plaid: &PlaidClient, token: &str, start: &str) -> Result<Run, SyncError> {
    let mut restarts = 0;
    'run: loop {
        let mut cursor = start.to_string();
        let mut pages: Vec<Page<Transaction>> = Vec::new();
        let mut accounts = Vec::new();
        loop {
            let page: SyncPage = match plaid.transactions_sync(token, &cursor, PAGE_SIZE).await {
                Ok(p) => p,
                Err(e) if e.is("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION") => {
                    restarts += 1;
                    if restarts > MAX_RESTARTS {
                        return Err(SyncError::TooManyRestarts(restarts - 1));
                    }
                    tracing::info!(restarts, "Plaid data changed during pagination; restarting the run");
                    continue 'run;
                }
                Err(e) => return Err(e.into()),
            };
            let not_ready =
                page.transactions_update_status.as_deref() == Some("NOT_READY") && page.next_cursor.is_empty();
            if !page.accounts.is_empty() {
                accounts = page.accounts;
            }
            pages.push(Page {
                added: page.added,
                modified: page.modified,
                removed: page.removed.into_iter().map(|r| r.transaction_id).collect(),
            });
            // An empty next_cursor (not ready yet) keeps the cursor we had.
            if !page.next_cursor.is_empty() {
                cursor = page.next_cursor;
            }
            if !page.has_more {
                let count = pages.len() as u32;
                return Ok(Run {
                    changes: bank_sync::fold(pages),
                    accounts,
                    cursor,
                    pages: count,
                    restarts,
                    not_ready,
                });
            }
        }
    }
}

fn bank_account(a: &Account) -> BankAccount<'_> {
    let account_type = match a.account_type.as_str() {
        t @ ("depository" | "credit" | "loan" | "investment") => t,
        _ => "other",
    };
    BankAccount {
        plaid_account_id: &a.account_id,
        name: &a.name,
        official_name: a.official_name.as_deref(),
        mask: a.mask.as_deref(),
        account_type,
        subtype: a.subtype.as_deref(),
        currency: a.balances.iso_currency_code.as_deref().filter(|c| is_currency(c)).unwrap_or("USD"),
        current: a.balances.current.unwrap_or_default(),
        available: a.balances.available,
        limit: a.balances.limit,
    }
}

fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// Stores the item's accounts (new ones created, balances refreshed).
pub async fn store_accounts(
    conn: &mut sqlx::PgConnection,
    item: &ItemRow,
    accounts: &[Account],
) -> Result<HashMap<String, (Uuid, bool)>, DbError> {
    let rows: Vec<BankAccount<'_>> = accounts.iter().map(bank_account).collect();
    items::upsert_accounts(conn, item.user_id, item.id, item.institution_id, &rows).await
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Writes a run's net changes for the item's owner.
async fn apply(
    conn: &mut sqlx::PgConnection,
    item: &ItemRow,
    accounts: &[Account],
    changes: Changes<Transaction>,
) -> Result<Applied, SyncError> {
    let account_ids = store_accounts(conn, item, accounts).await?;
    let mut categories: HashMap<(String, Option<String>), Option<Uuid>> = HashMap::new();
    let mut rows = BankRows::default();
    let mut applied = Applied::default();
    for t in &changes.upserts {
        let Some(&(account_id, business)) = account_ids.get(&t.account_id) else {
            tracing::warn!(item = %item.id, "a bank row for an account Plaid did not list; skipped");
            applied.skipped += 1;
            continue;
        };
        let category = match &t.personal_finance_category {
            Some(pfc) => {
                let key = (pfc.primary.clone(), pfc.detailed.clone());
                match categories.get(&key) {
                    Some(c) => *c,
                    None => {
                        let c = crate::bank_categories::ssr::category_for(conn, item.user_id, &key.0, key.1.as_deref())
                            .await?;
                        categories.insert(key, c);
                        c
                    }
                }
            }
            None => None,
        };
        let amount = bank_sync::manna_amount(t.amount);
        rows.plaid_ids.push(t.transaction_id.clone());
        rows.pending_ids.push(t.pending_transaction_id.clone());
        rows.account_ids.push(account_id);
        rows.amounts.push(amount);
        rows.currencies.push(t.iso_currency_code.clone().filter(|c| is_currency(c)).unwrap_or_else(|| "USD".into()));
        rows.dates.push(t.date);
        rows.authorized.push(t.authorized_date);
        rows.pending.push(t.pending);
        rows.names.push(truncate(
            if t.name.is_empty() { t.merchant_name.as_deref().unwrap_or("Bank transaction") } else { &t.name },
            500,
        ));
        rows.merchants.push(t.merchant_name.as_deref().map(|m| truncate(m, 200)));
        rows.channels.push(t.payment_channel.as_deref().map(|c| match c {
            "online" | "in store" => c.to_string(),
            _ => "other".to_string(),
        }));
        rows.locations
            .push(t.location.clone().filter(|l| l.as_object().is_some_and(|o| o.values().any(|v| !v.is_null()))));
        rows.metadata.push(serde_json::json!({
            "plaid": {
                "category": t.personal_finance_category.as_ref().map(|p| serde_json::json!({
                    "primary": p.primary, "detailed": p.detailed, "confidence": p.confidence_level })),
                "logo_url": t.logo_url,
                "website": t.website,
            }
        }));
        rows.category_ids.push(category);
        rows.business.push(business);
        rows.types.push(bank_sync::transaction_type(amount));
    }
    applied.posted = items::adopt_pending(conn, item.user_id, &rows).await?;
    let (inserted, updated) = items::upsert_rows(conn, item.user_id, &rows).await?;
    applied.added = inserted.len() as u64;
    applied.modified = updated;
    applied.skipped += (rows.plaid_ids.len() as u64).saturating_sub(applied.added + applied.modified);
    let (removed, kept) = items::remove_rows(conn, item.user_id, &changes.removed).await?;
    applied.removed = removed;
    applied.skipped += kept;
    crate::categorize::ssr::new_rows(conn, item.user_id, &inserted).await?;
    Ok(applied)
}
