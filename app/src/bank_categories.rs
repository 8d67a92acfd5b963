//! The bank's categories (Plaid's `personal_finance_category`) mapped to the user's:
//! defaults by name, overridable per code by the user.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BankCategoryLine {
    pub code: String,
    pub label: String,
    /// Where the code lands now (the user's choice, else the default).
    pub category_id: Option<Uuid>,
    /// Whether that is the user's own choice.
    pub chosen: bool,
}

/// Every Plaid category Manna knows and where it lands for the user.
#[server(prefix = "/api", endpoint = "bank_categories")]
pub async fn bank_categories() -> Result<Vec<BankCategoryLine>, AppError> {
    crate::error::respond(ssr::list().await)
}

/// Maps a Plaid category code to one of the user's categories (empty: the default).
#[server(prefix = "/api", endpoint = "map_bank_category")]
pub async fn map_bank_category(code: String, #[server(default)] category: String) -> Result<(), AppError> {
    crate::error::respond(ssr::map(&code, &category).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::auth::ssr::{actor, pool, require_user, require_user_tx};
    use crate::data::{DbError, DbResult, audit, categories, user_tx, users};
    use crate::input;
    use manna_core::bank_categories::{DEFAULTS, is_known, resolve};
    use sqlx::PgConnection;
    use std::collections::HashMap;

    /// System default categories by name (the defaults map to these).
    async fn defaults_by_name(conn: &mut PgConnection, user_id: Uuid) -> DbResult<HashMap<String, Uuid>> {
        Ok(categories::visible(conn, user_id, false)
            .await?
            .into_iter()
            .filter(|c| c.is_system)
            .map(|c| (c.name, c.id))
            .collect())
    }

    /// The user's category for a Plaid category, if any applies: what a bank sync
    /// files a new row under (source `plaid`) before rules and the model.
    pub async fn category_for(
        conn: &mut PgConnection,
        user_id: Uuid,
        primary: &str,
        detailed: Option<&str>,
    ) -> DbResult<Option<Uuid>> {
        let chosen = users::bank_category_choices(conn, user_id).await?;
        let by_name = defaults_by_name(conn, user_id).await?;
        Ok(resolve(primary, detailed, |c| chosen.get(c).copied(), |n| by_name.get(n).copied()))
    }

    pub async fn list() -> Result<Vec<BankCategoryLine>, AppError> {
        let (user, mut tx) = require_user_tx(None).await?;
        let chosen = users::bank_category_choices(&mut tx, user.user_id).await?;
        let by_name = defaults_by_name(&mut tx, user.user_id).await?;
        Ok(DEFAULTS
            .iter()
            .map(|(code, label, default)| BankCategoryLine {
                code: code.to_string(),
                label: label.to_string(),
                category_id: chosen.get(*code).copied().or_else(|| by_name.get(*default).copied()),
                chosen: chosen.contains_key(*code),
            })
            .collect())
    }

    pub async fn map(code: &str, category: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let code = code.trim();
        if !is_known(code) {
            return Err(AppError::Invalid(format!("\"{code}\" is not a bank category Manna knows")));
        }
        let category = input::optional_id(category)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        if let Some(c) = category {
            categories::usable_kind(&mut tx, user.user_id, c).await?;
        }
        users::set_bank_category_choice(&mut tx, user.user_id, code, category).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("categorize.bank_category_mapped", "user", Some(user.user_id))
                .new_values(serde_json::json!({ "code": code, "category_id": category })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }
}
