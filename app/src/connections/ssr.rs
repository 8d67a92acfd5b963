//! The Connections page's server side: thin (auth, validate, call Plaid and the data
//! layer, map errors). Every change is one database transaction and audited.

use super::{ConnectedAccount, Connection, ConnectionsView, PlaidInfo};
use crate::auth::ssr::{actor, pool, require_user};
use crate::data::{DbError, audit, jobs, plaid as items, user_tx, webhooks};
use crate::error::AppError;
use crate::plaid::types::{LinkTokenCreate, LinkUser, TransactionsOptions};
use crate::plaid::{JobWake, PlaidClient, PlaidError, PlaidSetup};
use crate::sealing::SealingKey;
use leptos::prelude::use_context;
use serde_json::json;
use uuid::Uuid;

fn plaid() -> Result<PlaidClient, AppError> {
    use_context::<PlaidSetup>()
        .and_then(|s| s.0)
        .ok_or_else(|| AppError::Invalid("bank connections are not configured on this server".into()))
}

fn sealing_key() -> Result<SealingKey, AppError> {
    use_context::<SealingKey>().ok_or(AppError::Internal)
}

fn wake() {
    if let Some(w) = use_context::<JobWake>() {
        w.0.notify_waiters();
    }
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    id.trim().parse().map_err(|_| AppError::NotFound)
}

/// A Plaid failure as the page shows it (Plaid's display message where it has one).
fn plaid_error(e: PlaidError) -> AppError {
    match &e {
        PlaidError::Api { status, .. } if *status < 500 && *status != 429 => {
            tracing::warn!(error = %e, "Plaid refused a request");
            AppError::Invalid(e.user_message())
        }
        _ => {
            tracing::warn!(error = %e, "Plaid call failed");
            AppError::Invalid(e.user_message())
        }
    }
}

pub async fn list() -> Result<ConnectionsView, AppError> {
    let user = require_user().await?;
    let setup = use_context::<PlaidSetup>().unwrap_or_default();
    let plaid = match &setup.0 {
        Some(c) => PlaidInfo {
            configured: true,
            environment: c.config().environment.clone(),
            link_script_url: c.config().link_script_url.clone(),
        },
        None => PlaidInfo { configured: false, environment: String::new(), link_script_url: String::new() },
    };
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let rows = items::connections(&mut tx, user.user_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let accounts = items::connection_accounts(&mut tx, user.user_id, r.id)
            .await?
            .into_iter()
            .map(|a| ConnectedAccount {
                id: a.id,
                name: a.name,
                mask: a.mask,
                kind: a.account_type,
                balance: a.current_balance,
                currency: a.currency,
            })
            .collect();
        let job = jobs::for_item(&mut tx, user.user_id, r.id).await?;
        let health = webhooks::health(&mut tx, user.user_id, r.id).await?;
        out.push(Connection {
            id: r.id,
            institution: r.institution.unwrap_or_else(|| "Bank".into()),
            status: r.status,
            error_message: r.error_message,
            consent_expires_at: r.consent_expires_at,
            last_synced_at: r.last_synced_at,
            last_webhook_at: r.last_webhook_at,
            accounts,
            syncing: job.active,
            last_sync_error: job.last_error,
            webhooks_received: health.received,
            webhooks_failed: health.failed,
            webhook_error: health.last_error,
        });
    }
    Ok(ConnectionsView { plaid, items: out })
}

pub async fn link_token(item: &str) -> Result<String, AppError> {
    let user = require_user().await?;
    let plaid = plaid()?;
    let key = sealing_key()?;
    let access_token = if item.trim().is_empty() {
        None
    } else {
        let id = parse_id(item)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let row = items::item(&mut tx, user.user_id, id).await?;
        Some(crate::plaid::sync::access_token(&key, &row).map_err(|e| {
            tracing::error!(error = %e, "an item's token cannot be opened");
            AppError::Internal
        })?)
    };
    let client_user_id = user.user_id.to_string();
    let config = plaid.config();
    let request = LinkTokenCreate {
        client_name: "Manna",
        language: "en",
        country_codes: &["US"],
        user: LinkUser { client_user_id: &client_user_id },
        products: access_token.is_none().then_some(&["transactions"][..]),
        access_token: access_token.as_deref(),
        webhook: config.webhook_url.as_deref(),
        redirect_uri: None,
        transactions: access_token.is_none().then_some(TransactionsOptions { days_requested: 730 }),
    };
    let token = plaid.link_token_create(&request).await.map_err(plaid_error)?;
    Ok(token.link_token)
}

pub async fn link(public_token: &str) -> Result<Uuid, AppError> {
    let user = require_user().await?;
    let public_token = public_token.trim();
    if public_token.is_empty() || public_token.len() > 200 {
        return Err(AppError::Invalid("Link did not return a usable token; please try again".into()));
    }
    let plaid = plaid()?;
    let key = sealing_key()?;
    let pool = pool()?;
    let exchanged = plaid.exchange_public_token(public_token).await.map_err(plaid_error)?;
    let accounts = plaid.accounts(&exchanged.access_token).await.map_err(plaid_error)?;
    let institution = match &accounts.item.institution_id {
        Some(id) => Some(plaid.institution(id).await.map_err(plaid_error)?.institution),
        None => None,
    };
    let institution_id = match &institution {
        Some(i) => {
            let mut conn = pool.acquire().await.map_err(DbError::from)?;
            Some(
                items::upsert_institution(
                    &mut conn,
                    &items::InstitutionInput {
                        plaid_institution_id: &i.institution_id,
                        name: &i.name,
                        url: i.url.as_deref(),
                        primary_color: i.primary_color.as_deref(),
                        oauth: i.oauth,
                    },
                )
                .await?,
            )
        }
        None => None,
    };
    let sealed = key.seal(exchanged.access_token.as_bytes());
    let mut tx = user_tx(&pool, user.user_id).await?;
    let id =
        items::insert_item(&mut tx, user.user_id, institution_id, &exchanged.item_id, &sealed, i16::from(key.key_id()))
            .await;
    let id = match id {
        Err(DbError::Conflict(_)) => return Err(AppError::Invalid("this bank connection is already linked".into())),
        other => other?,
    };
    let row = items::item(&mut tx, user.user_id, id).await?;
    crate::plaid::sync::store_accounts(&mut tx, &row, &accounts.accounts).await?;
    jobs::enqueue_sync(&mut tx, user.user_id, id).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("plaid.linked", "plaid_item", Some(id)).impact(audit::Impact::Medium).new_values(json!({
            "institution": institution.as_ref().map(|i| &i.name),
            "accounts": accounts.accounts.len(),
        })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    wake();
    Ok(id)
}

pub async fn repaired(item: &str) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = parse_id(item)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let row = items::item(&mut tx, user.user_id, id).await?;
    if row.status == "revoked" {
        return Err(AppError::Invalid("this connection was revoked at the bank; connect it again".into()));
    }
    items::set_status(&mut tx, id, "good", None, None).await?;
    jobs::enqueue_sync(&mut tx, user.user_id, id).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("plaid.repaired", "plaid_item", Some(id)).old(json!({ "status": row.status })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    wake();
    Ok(())
}

pub async fn sync_now(item: &str) -> Result<(), AppError> {
    let user = require_user().await?;
    plaid()?;
    let id = parse_id(item)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let row = items::item(&mut tx, user.user_id, id).await?;
    if matches!(row.status.as_str(), "login_required" | "revoked") {
        return Err(AppError::Invalid("fix this connection first: the bank needs you to sign in again".into()));
    }
    jobs::enqueue_sync(&mut tx, user.user_id, id).await?;
    audit::record(&mut tx, &actor(Some(user)).await, audit::Entry::new("plaid.sync_requested", "plaid_item", Some(id)))
        .await?;
    tx.commit().await.map_err(DbError::from)?;
    wake();
    Ok(())
}

pub async fn remove(item: &str, keep_history: bool) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = parse_id(item)?;
    let pool = pool()?;
    let row = {
        let mut tx = user_tx(&pool, user.user_id).await?;
        items::item(&mut tx, user.user_id, id).await?
    };
    // At Plaid first: if that fails, nothing here changes and the user can try again.
    // An item Plaid no longer knows is already gone there.
    if let Some(plaid) = use_context::<PlaidSetup>().and_then(|s| s.0) {
        let token = crate::plaid::sync::access_token(&sealing_key()?, &row).map_err(|_| AppError::Internal)?;
        match plaid.item_remove(&token).await {
            Ok(()) => {}
            Err(e) if e.is("ITEM_NOT_FOUND") || e.is("INVALID_ACCESS_TOKEN") => {}
            Err(e) => return Err(plaid_error(e)),
        }
    }
    let mut tx = user_tx(&pool, user.user_id).await?;
    let (accounts, transactions) = items::remove_item(&mut tx, user.user_id, id, keep_history).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("plaid.removed", "plaid_item", Some(id)).impact(audit::Impact::Medium).old(json!({
            "keep_history": keep_history, "accounts": accounts, "transactions_deleted": transactions,
        })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
