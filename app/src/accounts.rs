//! The accounts page's server functions: list, add a manual account, edit, close.

use crate::error::AppError;
use leptos::prelude::*;
use manna_core::{AccountKind, Currency};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerAccount {
    pub id: Uuid,
    pub name: String,
    pub kind: AccountKind,
    pub subtype: Option<String>,
    pub is_business: bool,
    pub currency: Currency,
    pub balance: Decimal,
    pub credit_limit: Option<Decimal>,
    pub manual: bool,
    pub open: bool,
    pub institution: Option<String>,
}

/// One account with its balance at each month end over the last year, drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDetail {
    pub account: LedgerAccount,
    /// (month, balance at its end), oldest first; the last is the current month.
    pub history: Vec<(chrono::NaiveDate, Decimal)>,
    /// The balance chart, SVG drawn on the server.
    pub chart_svg: String,
}

#[server(prefix = "/api", endpoint = "account_detail")]
pub async fn get_account_detail(id: String) -> Result<AccountDetail, AppError> {
    crate::error::respond(ssr::detail(&id).await)
}

/// An account as the ledger's pickers offer it. No balance: the server keeps the
/// pickers between changes to what they show ([`crate::picker_cache`]), and balances
/// change with every transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PickerAccount {
    pub id: Uuid,
    pub name: String,
    pub kind: AccountKind,
    pub is_business: bool,
    pub currency: Currency,
    pub manual: bool,
    pub open: bool,
}

/// What the transactions and rules pages' pickers offer: the user's accounts and
/// categories, read in one database transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PickerChoices {
    pub accounts: Vec<PickerAccount>,
    pub categories: Vec<crate::categories::Category>,
}

#[server(prefix = "/api", endpoint = "ledger_choices")]
pub async fn ledger_choices() -> Result<PickerChoices, AppError> {
    crate::error::respond(ssr::choices().await)
}

#[server(prefix = "/api", endpoint = "accounts")]
pub async fn list_accounts() -> Result<Vec<LedgerAccount>, AppError> {
    crate::error::respond(ssr::list().await)
}

#[server(prefix = "/api", endpoint = "create_account")]
pub async fn create_account(
    name: String,
    kind: String,
    subtype: String,
    business: Option<String>,
    currency: String,
    opening_balance: String,
    credit_limit: String,
) -> Result<Uuid, AppError> {
    let parsed = manna_core::accounts::NewAccount::parse(
        &name,
        &kind,
        &subtype,
        business.is_some(),
        &currency,
        &opening_balance,
        &credit_limit,
    )
    .map_err(|e| AppError::Invalid(e.to_string()));
    crate::error::respond(async move { ssr::create(parsed?).await }.await)
}

#[server(prefix = "/api", endpoint = "update_account")]
pub async fn update_account(id: String, name: String, business: Option<String>) -> Result<(), AppError> {
    crate::error::respond(ssr::update(&id, &name, business.is_some()).await)
}

#[server(prefix = "/api", endpoint = "close_financial_account")]
pub async fn close_financial_account(id: String) -> Result<(), AppError> {
    crate::error::respond(ssr::close(&id).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::LedgerAccount;
    use crate::auth::ssr::{RequestUser, actor, pool, require_user, require_user_tx};
    use crate::data::{DbError, accounts, audit, user_tx};
    use crate::error::AppError;
    use crate::picker_cache::PickerCache;
    use leptos::prelude::use_context;
    use manna_core::accounts::{NewAccount, parse_account_name};
    use manna_core::{AccountKind, Currency};
    use uuid::Uuid;

    fn parse_id(id: &str) -> Result<Uuid, AppError> {
        id.trim().parse().map_err(|_| AppError::NotFound)
    }

    fn ledger_account(r: accounts::LedgerAccountRow) -> LedgerAccount {
        LedgerAccount {
            id: r.id,
            name: r.name,
            kind: AccountKind::parse(&r.account_type).unwrap_or(AccountKind::Other),
            subtype: r.account_subtype,
            is_business: r.is_business,
            currency: Currency::parse(&r.currency).unwrap_or(Currency::USD),
            balance: r.current_balance,
            credit_limit: r.credit_limit,
            manual: r.is_manual,
            open: r.is_active,
            institution: r.institution_name,
        }
    }

    pub async fn list() -> Result<Vec<LedgerAccount>, AppError> {
        let (user, mut tx) = require_user_tx(None).await?;
        let rows = accounts::list_all(&mut tx, user.user_id).await?;
        Ok(rows.into_iter().map(ledger_account).collect())
    }

    /// The pickers: the server's copy when it is at the version this request's
    /// session check saw, else read (and kept).
    pub async fn choices() -> Result<super::PickerChoices, AppError> {
        let user = require_user().await?;
        let kept = use_context::<PickerCache>().zip(use_context::<RequestUser>().and_then(|r| r.2.get().copied()));
        if let Some(hit) = kept.as_ref().and_then(|(cache, version)| cache.get(user.user_id, *version)) {
            return Ok((*hit).clone());
        }
        let (user, mut tx) = require_user_tx(None).await?;
        let accounts = accounts::pickable(&mut tx, user.user_id)
            .await?
            .into_iter()
            .map(|r| super::PickerAccount {
                id: r.id,
                name: r.name,
                kind: AccountKind::parse(&r.account_type).unwrap_or(AccountKind::Other),
                is_business: r.is_business,
                currency: Currency::parse(&r.currency).unwrap_or(Currency::USD),
                manual: r.is_manual,
                open: r.is_active,
            })
            .collect();
        let categories = crate::data::categories::visible(&mut tx, user.user_id, false)
            .await?
            .into_iter()
            .map(crate::categories::Category::from)
            .collect();
        let choices = super::PickerChoices { accounts, categories };
        if let Some((cache, version)) = kept {
            cache.put(user.user_id, version, std::sync::Arc::new(choices.clone()));
        }
        Ok(choices)
    }

    pub async fn detail(id: &str) -> Result<super::AccountDetail, AppError> {
        let user = require_user().await?;
        let id = parse_id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let account = ledger_account(accounts::one(&mut tx, user.user_id, id).await?);
        let today = chrono::Utc::now().date_naive();
        let since = today.checked_sub_months(chrono::Months::new(11)).unwrap_or(today);
        let months = accounts::monthly_net(&mut tx, user.user_id, id, since).await?;
        let history = manna_core::ledger::month_end_balances(account.balance, account.kind.is_liability(), &months);
        let title = format!("{} balance, last 12 months ({})", account.name, account.currency.as_str());
        let chart_svg = crate::charts::balance_over_time(&title, &history).map_err(|e| {
            tracing::error!(error = %e, "balance chart");
            AppError::Internal
        })?;
        Ok(super::AccountDetail { account, history, chart_svg })
    }

    pub async fn create(new: NewAccount) -> Result<Uuid, AppError> {
        let (user, mut tx) = require_user_tx(None).await?;
        let id = accounts::create_manual(&mut tx, user.user_id, &new).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.account_created", "account", Some(id))
                .flags(&["financial"])
                .new_values(serde_json::to_value(&new).unwrap_or_default()),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(id)
    }

    pub async fn update(id: &str, name: &str, is_business: bool) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = parse_id(id)?;
        let name = parse_account_name(name).map_err(|e| AppError::Invalid(e.to_string()))?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let (old_name, old_business) = accounts::update(&mut tx, user.user_id, id, &name, is_business).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.account_updated", "account", Some(id))
                .flags(&["financial"])
                .old(serde_json::json!({"name": old_name, "is_business": old_business}))
                .new_values(serde_json::json!({"name": name, "is_business": is_business})),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    pub async fn close(id: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = parse_id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        accounts::close(&mut tx, user.user_id, id).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("ledger.account_closed", "account", Some(id)).flags(&["financial"]),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }
}
