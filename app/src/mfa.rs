//! Two-factor sign-in: TOTP from an authenticator app, and one-time recovery codes.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaState {
    pub enabled: bool,
    pub recovery_codes_left: u32,
}

/// What the settings page shows while setting up an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSetup {
    /// For typing into the app by hand.
    pub secret: String,
    pub otpauth_uri: String,
    /// The URI as a QR code (SVG, rendered on the server).
    pub qr_svg: String,
}

/// How many recovery codes a user gets; each works once.
pub const RECOVERY_CODES: usize = 10;

#[server(prefix = "/api", endpoint = "mfa_status")]
pub async fn mfa_status() -> Result<MfaState, AppError> {
    crate::error::respond(ssr::status().await)
}

#[server(prefix = "/api", endpoint = "mfa_begin")]
pub async fn mfa_begin() -> Result<MfaSetup, AppError> {
    crate::error::respond(ssr::begin().await)
}

/// Turns MFA on once the app's code matches; returns the recovery codes, shown once.
#[server(prefix = "/api", endpoint = "mfa_confirm")]
pub async fn mfa_confirm(code: String) -> Result<Vec<String>, AppError> {
    crate::error::respond(ssr::confirm(&code).await)
}

#[server(prefix = "/api", endpoint = "mfa_disable")]
pub async fn mfa_disable(code: String) -> Result<(), AppError> {
    crate::error::respond(ssr::disable(&code).await)
}

/// The second step of signing in: a code from the app, or a recovery code.
#[server(prefix = "/api", endpoint = "mfa_verify")]
pub async fn mfa_verify(code: String) -> Result<(), AppError> {
    crate::error::respond(ssr::verify_sign_in(&code).await)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::{MfaSetup, MfaState, RECOVERY_CODES};
    use crate::auth::ssr::{
        CurrentUser, actor, complete_sign_in, mfa_pending_user, pool, require_user, rotate_session_id,
        second_factor_failed, throttle_network,
    };
    use crate::data::{DbError, audit, users};
    use crate::error::AppError;
    use crate::sealing::SealingKey;
    use leptos::prelude::*;
    use manna_core::totp::{self, TotpSecret};
    use sha2::{Digest, Sha256};
    use uuid::Uuid;

    fn key() -> Result<SealingKey, AppError> {
        use_context::<SealingKey>().ok_or_else(|| {
            tracing::error!("no sealing key in context");
            AppError::Internal
        })
    }

    fn now() -> u64 {
        chrono::Utc::now().timestamp().max(0) as u64
    }

    fn open_secret(sealed: &[u8]) -> Result<TotpSecret, AppError> {
        let bytes = key()?.open(sealed).map_err(|e| {
            tracing::error!(error = %e, "cannot open a TOTP secret");
            AppError::Internal
        })?;
        TotpSecret::from_bytes(bytes).map_err(|_| AppError::Internal)
    }

    /// Recovery codes are 50 random bits each and only ever tried a few times before
    /// a lockout, so a plain SHA-256 is enough; argon2 would add nothing but delay.
    fn hash_recovery(code: &str) -> String {
        let normalized = totp::normalize_recovery_code(code);
        Sha256::digest(normalized.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    async fn record(tx: &mut sqlx::PgConnection, user: CurrentUser, action: &str) -> Result<(), AppError> {
        audit::record(
            tx,
            &actor(Some(user)).await,
            audit::Entry::new(action, "user", Some(user.user_id)).impact(audit::Impact::High),
        )
        .await?;
        Ok(())
    }

    pub async fn status() -> Result<MfaState, AppError> {
        let user = require_user().await?;
        let mut tx = crate::data::user_tx(&pool()?, user.user_id).await?;
        let state = users::mfa_state(&mut tx, user.user_id).await?;
        Ok(MfaState { enabled: state.mfa_enabled, recovery_codes_left: state.recovery_codes_left.max(0) as u32 })
    }

    pub async fn begin() -> Result<MfaSetup, AppError> {
        use rand::RngCore;
        let user = require_user().await?;
        let mut tx = crate::data::user_tx(&pool()?, user.user_id).await?;
        let state = users::mfa_state(&mut tx, user.user_id).await?;
        if state.mfa_enabled {
            return Err(AppError::Invalid("two-factor authentication is already on".into()));
        }
        let mut bytes = vec![0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = TotpSecret::from_bytes(bytes).map_err(|_| AppError::Internal)?;
        users::set_pending_totp(&mut tx, user.user_id, &key()?.seal(secret.as_bytes())).await?;
        tx.commit().await.map_err(DbError::from)?;
        let uri = totp::otpauth_uri(&secret, "Manna", &state.email);
        let qr_svg = qrcode::QrCode::new(uri.as_bytes())
            .map(|qr| qr.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build())
            .map_err(|_| AppError::Internal)?;
        Ok(MfaSetup { secret: secret.to_base32(), otpauth_uri: uri, qr_svg })
    }

    pub async fn confirm(code: &str) -> Result<Vec<String>, AppError> {
        use rand::RngCore;
        let user = require_user().await?;
        let mut tx = crate::data::user_tx(&pool()?, user.user_id).await?;
        let state = users::mfa_state(&mut tx, user.user_id).await?;
        let Some(pending) = state.totp_pending_encrypted.filter(|_| !state.mfa_enabled) else {
            return Err(AppError::Invalid(
                "start the set-up again: there is no authenticator waiting to be confirmed".into(),
            ));
        };
        let secret = open_secret(&pending)?;
        let Some(step) = totp::verify(&secret, code, now(), None) else {
            return Err(AppError::Invalid("that code does not match; type the 6 digits your app shows now".into()));
        };
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let mut b = [0u8; 8];
            rand::rngs::OsRng.fill_bytes(&mut b);
            codes.push(totp::format_recovery_code(b));
        }
        let hashes: Vec<String> = codes.iter().map(|c| hash_recovery(c)).collect();
        users::enable_mfa(&mut tx, user.user_id, step as i64, &hashes).await?;
        record(&mut tx, user, "auth.mfa_enabled").await?;
        tx.commit().await.map_err(DbError::from)?;
        rotate_session_id().await?;
        Ok(codes)
    }

    pub async fn disable(code: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let mut tx = crate::data::user_tx(&pool()?, user.user_id).await?;
        let state = users::mfa_state(&mut tx, user.user_id).await?;
        let Some(sealed) = state.totp_secret_encrypted.filter(|_| state.mfa_enabled) else {
            return Err(AppError::Invalid("two-factor authentication is not on".into()));
        };
        let secret = open_secret(&sealed)?;
        if totp::verify(&secret, code, now(), state.totp_last_step.map(|s| s as u64)).is_none() {
            return Err(AppError::Invalid("that code does not match; type the 6 digits your app shows now".into()));
        }
        users::disable_mfa(&mut tx, user.user_id).await?;
        record(&mut tx, user, "auth.mfa_disabled").await?;
        tx.commit().await.map_err(DbError::from)?;
        rotate_session_id().await
    }

    pub async fn verify_sign_in(code: &str) -> Result<(), AppError> {
        let Some(user_id) = mfa_pending_user().await? else {
            return Err(AppError::Invalid(
                "sign in with your password first (the code step times out after 5 minutes)".into(),
            ));
        };
        throttle_network(&pool()?, &actor(None).await).await?;
        match check_second_factor(user_id, code).await? {
            Some(action) => {
                let actor = audit::Actor { user_id: Some(user_id), ..actor(None).await };
                complete_sign_in(user_id, actor, true, action).await
            }
            None => Err(second_factor_failed(user_id).await?),
        }
    }

    /// Checks a TOTP code (once per time step) or spends a recovery code; returns the
    /// audit action for the sign-in, or `None` if neither matched.
    async fn check_second_factor(user_id: Uuid, code: &str) -> Result<Option<&'static str>, AppError> {
        let pool = pool()?;
        let mut tx = crate::data::begin(&pool).await.map_err(DbError::from)?;
        let state = users::mfa_state(&mut tx, user_id).await?;
        let Some(sealed) = state.totp_secret_encrypted.filter(|_| state.mfa_enabled) else {
            return Ok(None);
        };
        let secret = open_secret(&sealed)?;
        let outcome = if let Some(step) = totp::verify(&secret, code, now(), state.totp_last_step.map(|s| s as u64)) {
            users::use_totp_step(&mut tx, user_id, step as i64).await?.then_some("auth.sign_in")
        } else if users::use_recovery_code(&mut tx, user_id, &hash_recovery(code)).await? {
            Some("auth.recovery_code_used")
        } else {
            None
        };
        tx.commit().await.map_err(DbError::from)?;
        Ok(outcome)
    }
}
