//! Signing up, in and out; who the current request acts for.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in user, as the page needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub email: String,
    pub display_name: String,
}

#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<SignedInUser>, AppError> {
    async fn load() -> Result<Option<SignedInUser>, AppError> {
        let user = match ssr::require_user().await {
            Ok(user) => user,
            Err(AppError::Unauthorized) => return Ok(None),
            Err(e) => return Err(e),
        };
        // Read with the session check of this request, when it ran here.
        if let Some(known) = use_context::<ssr::RequestUser>().and_then(|r| r.1.get().cloned()) {
            return Ok(Some(known));
        }
        let mut tx = crate::data::user_tx(&ssr::pool()?, user.user_id).await?;
        let u = crate::data::users::get(&mut tx, user.user_id).await?;
        Ok(Some(SignedInUser { email: u.email, display_name: u.display_name }))
    }
    crate::error::respond(load().await)
}

#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(email: String, password: String, confirm: String, display_name: String) -> Result<(), AppError> {
    use manna_core::identity::{Email, check_display_name, check_new_password};
    crate::error::respond(
        async {
            let email = Email::parse(&email).map_err(|e| AppError::Invalid(e.to_string()))?;
            check_new_password(&password, &email).map_err(|e| AppError::Invalid(e.to_string()))?;
            if password != confirm {
                return Err(AppError::Invalid("the two passwords do not match".into()));
            }
            let display_name = check_display_name(&display_name).map_err(|e| AppError::Invalid(e.to_string()))?;
            ssr::sign_up(&email, &password, &display_name).await?;
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    match crate::error::respond(ssr::sign_in(&email, &password).await)? {
        ssr::SignInOutcome::SignedIn => leptos_axum::redirect("/"),
        ssr::SignInOutcome::NeedsSecondFactor => leptos_axum::redirect("/login/mfa"),
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    crate::error::respond(ssr::sign_out().await)?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[cfg(feature = "ssr")]
mod client_ip;
#[cfg(feature = "ssr")]
pub mod ssr;
