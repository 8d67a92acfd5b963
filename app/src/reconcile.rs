//! Reconciling an account against a bank statement: tick the transactions the
//! statement shows until the difference is zero, then lock them.

use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use manna_core::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenTransaction {
    pub id: Uuid,
    pub date: NaiveDate,
    pub description: String,
    pub amount: Decimal,
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconcileView {
    pub account: String,
    pub currency: Currency,
    /// Cards and loans: statements show what is owed.
    pub liability: bool,
    /// The sum of what is already reconciled ("into the account" sign).
    pub reconciled_sum: Decimal,
    pub last_reconciled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Unreconciled transactions up to the statement date, oldest first.
    pub open: Vec<OpenTransaction>,
    /// More unreconciled rows exist than are shown.
    pub truncated: bool,
}

/// The most unreconciled rows one reconciliation shows.
pub const MAX_OPEN: i64 = 1000;

#[server(prefix = "/api", endpoint = "reconciliation")]
pub async fn reconciliation(account: String, through: String) -> Result<ReconcileView, AppError> {
    crate::error::respond(ssr::view(&account, &through).await)
}

/// Locks the ticked transactions as reconciled, if with them the account agrees with
/// the statement's ending balance to the cent. Returns how many were locked.
#[server(prefix = "/api", endpoint = "reconcile")]
pub async fn reconcile(
    account: String,
    through: String,
    statement_balance: String,
    #[server(default)] ids: Vec<String>,
) -> Result<u64, AppError> {
    crate::error::respond(ssr::reconcile(&account, &through, &statement_balance, ids).await)
}

/// Unlocks one reconciled transaction, with the reason in the audit trail.
#[server(prefix = "/api", endpoint = "unreconcile")]
pub async fn unreconcile(id: String, reason: String) -> Result<(), AppError> {
    crate::error::respond(ssr::unreconcile(&id, &reason).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::auth::ssr::{actor, pool, require_user};
    use crate::data::{DbError, audit, reconciliation, user_tx};
    use crate::input;
    use manna_core::AccountKind;
    use manna_core::ledger::reconciliation_difference;

    fn liability(account_type: &str) -> bool {
        AccountKind::parse(account_type).is_some_and(AccountKind::is_liability)
    }

    pub async fn view(account: &str, through: &str) -> Result<ReconcileView, AppError> {
        let user = require_user().await?;
        let account = input::id(account)?;
        let through = input::date("Statement date", through)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let state = reconciliation::account_state(&mut tx, user.user_id, account).await?;
        let mut open = reconciliation::open_rows(&mut tx, user.user_id, account, through, MAX_OPEN + 1).await?;
        let truncated = open.len() as i64 > MAX_OPEN;
        open.truncate(MAX_OPEN as usize);
        Ok(ReconcileView {
            account: state.name,
            currency: Currency::parse(&state.currency).unwrap_or(Currency::USD),
            liability: liability(&state.account_type),
            reconciled_sum: state.reconciled_sum,
            last_reconciled_at: state.last_reconciled_at,
            open: open
                .into_iter()
                .map(|r| OpenTransaction {
                    id: r.id,
                    date: r.date,
                    description: r.description,
                    amount: r.amount,
                    pending: r.pending,
                })
                .collect(),
            truncated,
        })
    }

    pub async fn reconcile(account: &str, through: &str, statement: &str, ids: Vec<String>) -> Result<u64, AppError> {
        let user = require_user().await?;
        let account = input::id(account)?;
        let through = input::date("Statement date", through)?;
        let statement = input::amount("Statement balance", statement)?;
        let mut ids = ids.iter().map(|i| input::id(i)).collect::<Result<Vec<_>, _>>()?;
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Err(AppError::Invalid("tick the transactions that appear on the statement".into()));
        }
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let state = reconciliation::lock_account(&mut tx, user.user_id, account).await?;
        let amounts = reconciliation::lock_open(&mut tx, user.user_id, account, through, &ids).await?;
        if amounts.len() != ids.len() {
            return Err(AppError::Invalid(
                "some ticked transactions are not open in this account up to the statement date \
                 (pending ones cannot be reconciled yet); reload and try again"
                    .into(),
            ));
        }
        let cleared = state.reconciled_sum + amounts.iter().copied().sum::<Decimal>();
        let difference = reconciliation_difference(statement, cleared, liability(&state.account_type));
        if !difference.is_zero() {
            let currency = Currency::parse(&state.currency).unwrap_or(Currency::USD);
            return Err(AppError::Invalid(format!(
                "the difference is {}; tick or untick transactions until it is zero",
                manna_core::format_money(difference, currency)
            )));
        }
        let locked = reconciliation::mark(&mut tx, user.user_id, &ids).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.account_reconciled", "account", Some(account))
                .flags(&["financial"])
                .impact(audit::Impact::Medium)
                .new_values(serde_json::json!({
                    "statement_date": through, "statement_balance": statement, "transactions": ids,
                })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(locked)
    }

    pub async fn unreconcile(id: &str, reason: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let reason = input::text("Reason", reason, 500)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let was = reconciliation::unmark(&mut tx, user.user_id, id).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.transaction_unreconciled", "transaction", Some(id))
                .flags(&["financial"])
                .impact(audit::Impact::Medium)
                .old(serde_json::json!({ "reconciled_at": was }))
                .new_values(serde_json::json!({ "reason": reason })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }
}
