//! Settings › Your data: download everything, or close the account.

use crate::error::AppError;
use leptos::prelude::*;

/// Closes the account: `mode` is `delete` (everything goes) or `anonymize` (the
/// financial records stay, without anything that says whose they were).
#[server(prefix = "/api", endpoint = "close_account")]
pub async fn close_account(password: String, mode: String) -> Result<(), AppError> {
    crate::error::respond(ssr::close_account(&password, &mode).await)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::auth::ssr::{actor, confirm_password, forget_session, pool, require_user};
    use crate::data::{DbError, audit, privacy};
    use crate::error::AppError;

    pub async fn close_account(password: &str, mode: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let anonymize = match mode {
            "delete" => false,
            "anonymize" => true,
            _ => return Err(AppError::Invalid("choose whether to delete or anonymize the account".into())),
        };
        let pool = pool()?;
        confirm_password(&pool, user.user_id, password).await?;
        let mut tx = crate::data::begin(&pool).await.map_err(DbError::from)?;
        // Recorded first, in the same transaction: the entry commits with the deletion.
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new(
                if anonymize { "privacy.account_anonymized" } else { "privacy.account_deleted" },
                "user",
                Some(user.user_id),
            )
            .impact(audit::Impact::High)
            .flags(&["gdpr"]),
        )
        .await?;
        if anonymize {
            privacy::anonymize_user(&mut tx, user.user_id).await?;
        } else {
            privacy::delete_user(&mut tx, user.user_id).await?;
        }
        tx.commit().await.map_err(DbError::from)?;
        forget_session().await
    }
}
