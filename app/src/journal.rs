//! Double entry: transfers between the user's accounts (two legs, one entry), matching
//! two imported legs into a transfer, and manual adjustments with any number of legs.

use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    pub id: Uuid,
    pub account_id: Uuid,
    pub account: String,
    pub amount: Decimal,
    pub currency: manna_core::Currency,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub id: Uuid,
    pub date: NaiveDate,
    pub description: String,
    /// `transfer` or `adjustment`.
    pub kind: String,
    /// Outflows first.
    pub legs: Vec<Leg>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LegInput {
    pub account: String,
    pub amount: String,
}

#[server(prefix = "/api", endpoint = "create_transfer")]
pub async fn create_transfer(
    from: String,
    to: String,
    amount: String,
    date: String,
    description: String,
) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::create_transfer(&from, &to, &amount, &date, &description).await)
}

#[server(prefix = "/api", endpoint = "journal_entry")]
pub async fn get_journal_entry(id: String) -> Result<JournalEntry, AppError> {
    crate::error::respond(ssr::entry(&id).await)
}

/// Changes a transfer's amount, date or description; both legs move together.
#[server(prefix = "/api", endpoint = "update_transfer")]
pub async fn update_transfer(id: String, amount: String, date: String, description: String) -> Result<(), AppError> {
    crate::error::respond(ssr::update_transfer(&id, &amount, &date, &description).await)
}

/// Deletes a transfer or adjustment, every leg of it.
#[server(prefix = "/api", endpoint = "delete_journal_entry")]
pub async fn delete_journal_entry(id: String) -> Result<(), AppError> {
    crate::error::respond(ssr::delete(&id).await)
}

/// Links two existing transactions (money out of one account, the same amount into
/// another) into one transfer.
#[server(prefix = "/api", endpoint = "match_transfer")]
pub async fn match_transfer(first: String, second: String) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::match_pair(&first, &second).await)
}

/// A manual journal entry (an adjustment): legs in any of the user's accounts that
/// add up to zero.
#[server(prefix = "/api", endpoint = "create_adjustment")]
pub async fn create_adjustment(date: String, description: String, legs: Vec<LegInput>) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::create_adjustment(&date, &description, legs).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::auth::ssr::{actor, pool, require_user};
    use crate::data::journal::{self, NewLeg};
    use crate::data::transactions as tx_data;
    use crate::data::{DbError, audit, user_tx};
    use crate::input;
    use manna_core::ledger::{journal_balances, transfer_legs};
    use sqlx::PgConnection;

    /// The accounts of the legs: all the user's, open, in one currency.
    async fn check_accounts(conn: &mut PgConnection, user_id: Uuid, legs: &[NewLeg]) -> Result<(), AppError> {
        let mut ids: Vec<Uuid> = legs.iter().map(|l| l.account_id).collect();
        ids.sort();
        ids.dedup();
        let found = journal::open_account_currencies(conn, user_id, &ids).await?;
        if found.len() != ids.len() {
            return Err(AppError::NotFound);
        }
        if found.iter().any(|(_, c)| *c != found[0].1) {
            return Err(AppError::Invalid("all accounts of an entry must use the same currency".into()));
        }
        Ok(())
    }

    pub async fn create_transfer(
        from: &str,
        to: &str,
        amount: &str,
        date: &str,
        description: &str,
    ) -> Result<Uuid, AppError> {
        let user = require_user().await?;
        let (from, to) = (input::id(from)?, input::id(to)?);
        if from == to {
            return Err(AppError::Invalid("choose two different accounts".into()));
        }
        let amount = input::amount("Amount", amount)?;
        if amount <= Decimal::ZERO {
            return Err(AppError::Invalid("Amount: enter a positive amount to move".into()));
        }
        let date = input::date("Date", date)?;
        let description = input::text("Description", description, 500)?;
        let [out, into] = transfer_legs(amount);
        let legs = [NewLeg { account_id: from, amount: out }, NewLeg { account_id: to, amount: into }];
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        check_accounts(&mut tx, user.user_id, &legs).await?;
        let entry = journal::create(&mut tx, user.user_id, date, &description, "transfer", &legs).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.transfer_created", "journal_entry", Some(entry))
                .flags(&["financial"])
                .new_values(serde_json::json!({ "date": date, "description": description, "legs": legs })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(entry)
    }

    pub async fn entry(id: &str) -> Result<JournalEntry, AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let legs = journal::lock_legs(&mut tx, user.user_id, id).await?;
        let first = &legs[0];
        Ok(JournalEntry {
            id,
            date: first.date,
            description: first.name.clone(),
            kind: first.transaction_type.clone(),
            legs: legs
                .iter()
                .map(|l| Leg {
                    id: l.id,
                    account_id: l.account_id,
                    account: l.account_name.clone(),
                    amount: l.amount,
                    currency: manna_core::Currency::parse(&l.currency).unwrap_or(manna_core::Currency::USD),
                })
                .collect(),
        })
    }

    pub async fn update_transfer(id: &str, amount: &str, date: &str, description: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let amount = input::amount("Amount", amount)?;
        if amount <= Decimal::ZERO {
            return Err(AppError::Invalid("Amount: enter a positive amount to move".into()));
        }
        let date = input::date("Date", date)?;
        let description = input::text("Description", description, 500)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let legs = journal::lock_legs(&mut tx, user.user_id, id).await?;
        if legs.len() != 2 || legs.iter().any(|l| l.transaction_type != "transfer") {
            return Err(AppError::Invalid("only transfers can be edited this way".into()));
        }
        if legs.iter().any(|l| l.reconciled) {
            return Err(AppError::Invalid(
                "a leg of this transfer is reconciled; un-reconcile it before changing the transfer".into(),
            ));
        }
        journal::update_transfer(&mut tx, user.user_id, id, date, &description, amount).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.transfer_updated", "journal_entry", Some(id))
                .flags(&["financial"])
                .old(serde_json::to_value(&legs).unwrap_or_default())
                .new_values(serde_json::json!({ "date": date, "description": description, "amount": amount })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    pub async fn delete(id: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let legs = journal::lock_legs(&mut tx, user.user_id, id).await?;
        if legs.iter().any(|l| l.reconciled) {
            return Err(AppError::Invalid("a leg of this entry is reconciled; un-reconcile it first".into()));
        }
        journal::delete(&mut tx, user.user_id, id).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.journal_entry_deleted", "journal_entry", Some(id))
                .flags(&["financial"])
                .old(serde_json::to_value(&legs).unwrap_or_default()),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    pub async fn match_pair(first: &str, second: &str) -> Result<Uuid, AppError> {
        let user = require_user().await?;
        let (a, b) = (input::id(first)?, input::id(second)?);
        if a == b {
            return Err(AppError::Invalid("choose two different transactions".into()));
        }
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let rows = tx_data::lock_rows(&mut tx, user.user_id, &[a, b]).await?;
        if rows.len() != 2 || rows.iter().any(|r| r.parent_transaction_id.is_some()) {
            return Err(AppError::NotFound);
        }
        let (x, y) = (&rows[0], &rows[1]);
        if x.journal_entry_id.is_some() || y.journal_entry_id.is_some() {
            return Err(AppError::Invalid("one of these is already part of a transfer or adjustment".into()));
        }
        if x.account_id == y.account_id {
            return Err(AppError::Invalid("a transfer moves money between two different accounts".into()));
        }
        if x.currency != y.currency {
            return Err(AppError::Invalid("both sides of a transfer must be in the same currency".into()));
        }
        if !journal_balances(&[x.amount, y.amount]) {
            return Err(AppError::Invalid(format!(
                "these do not cancel out ({} and {}): one must be money out, the other the same amount in",
                x.amount, y.amount
            )));
        }
        if x.reconciled || y.reconciled {
            return Err(AppError::Invalid("reconciled transactions are locked; un-reconcile them first".into()));
        }
        if tx_data::split_parts(&mut tx, user.user_id, a).await?.len()
            + tx_data::split_parts(&mut tx, user.user_id, b).await?.len()
            > 0
        {
            return Err(AppError::Invalid("unsplit these transactions before matching them".into()));
        }
        let entry = journal::match_pair(&mut tx, user.user_id, a, b).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.transfer_matched", "journal_entry", Some(entry))
                .flags(&["financial"])
                .old(serde_json::to_value(&rows).unwrap_or_default())
                .new_values(serde_json::json!({ "legs": [a, b] })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(entry)
    }

    pub async fn create_adjustment(date: &str, description: &str, legs: Vec<LegInput>) -> Result<Uuid, AppError> {
        let user = require_user().await?;
        let date = input::date("Date", date)?;
        let description = input::text("Description", description, 500)?;
        let legs: Vec<LegInput> =
            legs.into_iter().filter(|l| !(l.account.trim().is_empty() && l.amount.trim().is_empty())).collect();
        if legs.len() > 50 {
            return Err(AppError::Invalid("an entry can have at most 50 legs".into()));
        }
        let mut parsed = Vec::with_capacity(legs.len());
        for (i, l) in legs.iter().enumerate() {
            let amount = input::amount(&format!("Leg {}", i + 1), &l.amount)?;
            if amount.is_zero() {
                return Err(AppError::Invalid(format!("Leg {}: cannot be zero", i + 1)));
            }
            parsed.push(NewLeg { account_id: input::id(&l.account)?, amount });
        }
        let amounts: Vec<Decimal> = parsed.iter().map(|l| l.amount).collect();
        if !journal_balances(&amounts) {
            let sum: Decimal = amounts.iter().copied().sum();
            return Err(AppError::Invalid(if amounts.len() < 2 {
                "an entry needs at least two legs".to_string()
            } else {
                format!("the legs add up to {sum}, not zero")
            }));
        }
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        check_accounts(&mut tx, user.user_id, &parsed).await?;
        let entry = journal::create(&mut tx, user.user_id, date, &description, "adjustment", &parsed).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.adjustment_created", "journal_entry", Some(entry))
                .flags(&["financial"])
                .new_values(serde_json::json!({ "date": date, "description": description, "legs": parsed })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(entry)
    }
}
