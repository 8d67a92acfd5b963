//! The server side of `auth`: SQL through the data layer, sessions, audit.

use crate::data::{DbError, audit, sessions, users};
use crate::error::AppError;
use chrono::{Duration, Utc};
use leptos::prelude::*;
use manna_core::identity::Email;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use sqlx::pool::PoolConnection;
use std::sync::LazyLock;
use tower_sessions::Session;
use uuid::Uuid;

pub use super::client_ip::{ProxyPolicy, client_ip, client_ip_from};

/// A session lives at most this long, however active (absolute expiry); the
/// session layer ends it sooner after inactivity.
pub const ABSOLUTE_LIFETIME_DAYS: i64 = 14;
/// Failures before an account locks, and the first lock's length (it doubles).
pub const LOCK_AFTER_FAILURES: i32 = 5;
pub const LOCK_MINUTES: i32 = 15;
const SESSION_KEY: &str = "manna.auth";
/// Set between a correct password and a correct second factor.
const MFA_PENDING_KEY: &str = "manna.mfa_pending";
/// How long the second step may take after the password.
const MFA_WINDOW_MINUTES: i64 = 5;

pub enum SignInOutcome {
    SignedIn,
    NeedsSecondFactor,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MfaPending {
    user_id: Uuid,
    until: chrono::DateTime<Utc>,
}

/// What the server-side session record holds once signed in.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionAuth {
    user_session_id: Uuid,
    /// Random; its hash is in `user_sessions.session_id_hash`.
    key: String,
}

/// The user a request acts for.
#[derive(Debug, Clone, Copy)]
pub struct CurrentUser {
    pub user_id: Uuid,
    pub user_session_id: Uuid,
}

pub fn pool() -> Result<PgPool, AppError> {
    use_context::<PgPool>().ok_or_else(|| {
        // Every request provides the pool, so the one way here is a page the client
        // abandoned: its resources still run after the request (and its context) is
        // gone. Not an error anyone can act on; it was 1-2 ERROR lines per left page.
        tracing::debug!("no database pool in context: the request has ended");
        AppError::Internal
    })
}

async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        AppError::Internal
    })
}

/// Sessions are stored in Postgres: when the store fails, the database is out of reach
/// (a 503 the page explains), not a bug.
fn session_store_failed(e: tower_sessions::session::Error) -> AppError {
    tracing::warn!(error = %e, "session store");
    AppError::Unavailable
}

/// Who made the request, for the audit trail.
pub async fn actor(user: Option<CurrentUser>) -> audit::Actor {
    let headers = leptos_axum::extract::<http::HeaderMap>().await.unwrap_or_default();
    let ip = client_ip().await.map(|ip| ip.to_string());
    let header = |name: http::header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let user_agent = header(http::header::USER_AGENT);
    // A coarse device identity: the same browser on the same machine keeps it.
    let device = user_agent.as_ref().map(|ua| {
        let language = header(http::header::ACCEPT_LANGUAGE).unwrap_or_default();
        Sha256::digest(format!("{ua}|{language}").as_bytes())[..16].iter().map(|b| format!("{b:02x}")).collect()
    });
    audit::Actor {
        user_id: user.map(|u| u.user_id),
        session_id: user.map(|u| u.user_session_id),
        ip,
        user_agent,
        device,
    }
}

/// The signed-in user, or `Unauthorized`. A revoked or expired sign-in ends here,
/// on the next request after it was revoked.
pub async fn require_user() -> Result<CurrentUser, AppError> {
    signed_in(&mut None).await
}

/// [`require_user`] and a transaction acting for them ([`crate::data::user_tx_planned`]),
/// on the connection the session check used when this call made it: handing it on
/// saves returning it to the pool, which costs a round trip.
pub async fn require_user_tx(
    plan_mode: Option<&'static str>,
) -> Result<(CurrentUser, sqlx::Transaction<'static, sqlx::Postgres>), AppError> {
    let mut spare = None;
    let user = signed_in(&mut spare).await?;
    let tx = match spare {
        Some(conn) => crate::data::user_tx_on(conn, user.user_id, plan_mode).await?,
        None => crate::data::user_tx_planned(&pool()?, user.user_id, plan_mode).await?,
    };
    Ok((user, tx))
}

/// The request's signed-in user; `spare` gets the session check's connection when
/// this call made the check.
async fn signed_in(spare: &mut Option<PoolConnection<sqlx::Postgres>>) -> Result<CurrentUser, AppError> {
    let check = async |spare: &mut Option<PoolConnection<sqlx::Postgres>>| {
        let (user, conn) = check_session(&pool()?, &session().await?, client_ip().await).await;
        *spare = conn;
        user
    };
    // The server functions of one page render share their request's answer.
    match use_context::<RequestUser>() {
        Some(cached) => cached.0.get_or_init(|| check(spare)).await.clone(),
        None => check(spare).await,
    }
}

/// Who a request acts for, worked out once per request (provided per request by
/// the server's context; absent, every call checks the session itself).
#[derive(Clone, Default)]
pub struct RequestUser(
    pub std::sync::Arc<tokio::sync::OnceCell<Result<CurrentUser, AppError>>>,
    /// Their email and name, as the session check read them.
    pub std::sync::Arc<std::sync::OnceLock<super::SignedInUser>>,
    /// Their pickers' version, as the session check read it ([`crate::picker_cache`]).
    pub std::sync::Arc<std::sync::OnceLock<i64>>,
);

/// The signed-in user of a session (for plain axum handlers as well as server
/// functions). Forgets a dead sign-in; the emptied session is deleted when the
/// response is sent. (Not `flush`: several server functions of one page may get
/// here at once, and concurrent flushes race in the store.)
pub async fn user_of_session(
    pool: &PgPool,
    session: &Session,
    client_ip: Option<std::net::IpAddr>,
) -> Result<CurrentUser, AppError> {
    check_session(pool, session, client_ip).await.0
}

/// [`user_of_session`], and the pool connection it read the session with, free and
/// outside any transaction (none when it never got one, or used it for a write).
async fn check_session(
    pool: &PgPool,
    session: &Session,
    client_ip: Option<std::net::IpAddr>,
) -> (Result<CurrentUser, AppError>, Option<PoolConnection<sqlx::Postgres>>) {
    let auth = match session.get::<SessionAuth>(SESSION_KEY).await {
        Ok(Some(auth)) => auth,
        Ok(None) => return (Err(AppError::Unauthorized), None),
        Err(e) => return (Err(session_store_failed(e)), None),
    };
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => return (Err(DbError::from(e).into()), None),
    };
    let live = match sessions::find_live(&mut conn, auth.user_session_id, &hash_key(&auth.key)).await {
        Ok(Some(live)) => live,
        Ok(None) => {
            let _ = session.remove_value(SESSION_KEY).await;
            return (Err(AppError::Unauthorized), Some(conn));
        }
        Err(e) => return (Err(e.into()), None),
    };
    let user = CurrentUser { user_id: live.user_id, user_session_id: auth.user_session_id };
    if let Some(request) = use_context::<RequestUser>() {
        let _ =
            request.1.set(super::SignedInUser { email: live.email.clone(), display_name: live.display_name.clone() });
        let _ = request.2.set(live.pickers_version);
    }
    if moved_network(live.ip.as_deref(), client_ip) && !live.network_flagged {
        // The write takes the connection: holding it while waiting for another could
        // starve the pool.
        return (flag_network_change(conn, session, user, &live, client_ip).await, None);
    }
    (Ok(user), Some(conn))
}

/// A sign-in carried to another network is suspicious; with two-factor sign-in on,
/// it must prove the second factor again: it ends here.
async fn flag_network_change(
    conn: PoolConnection<sqlx::Postgres>,
    session: &Session,
    user: CurrentUser,
    live: &sessions::LiveSession,
    client_ip: Option<std::net::IpAddr>,
) -> Result<CurrentUser, AppError> {
    let end_it = live.mfa_enabled;
    let mut tx = crate::data::begin_on(conn, "BEGIN".to_string()).await.map_err(DbError::from)?;
    sessions::flag_network_change(&mut tx, user.user_session_id, end_it).await?;
    let actor = audit::Actor {
        user_id: Some(user.user_id),
        session_id: Some(user.user_session_id),
        ip: client_ip.map(|ip| ip.to_string()),
        ..Default::default()
    };
    audit::record(
        &mut tx,
        &actor,
        audit::Entry::new("auth.network_changed", "user_session", Some(user.user_session_id))
            .impact(audit::Impact::High)
            .old(serde_json::json!({"ip": live.ip}))
            .new_values(serde_json::json!({"ended": end_it})),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    if end_it {
        let _ = session.remove_value(SESSION_KEY).await;
        return Err(AppError::Unauthorized);
    }
    Ok(user)
}

/// Whether `now` is on another network than the sign-in's address.
fn moved_network(signed_in_from: Option<&str>, now: Option<std::net::IpAddr>) -> bool {
    use manna_core::risk::network_of;
    match (signed_in_from.and_then(|s| s.parse().ok()), now) {
        (Some(then), Some(now)) => network_of(then) != network_of(now),
        _ => false,
    }
}

/// Checks the user's password again before something irreversible.
pub async fn confirm_password(pool: &PgPool, user_id: Uuid, password: &str) -> Result<(), AppError> {
    let phc: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await
        .map_err(DbError::from)?;
    if verify_password(password, &phc).await? {
        Ok(())
    } else {
        Err(AppError::Invalid("that is not your current password".into()))
    }
}

/// A new session id for the same sign-in, after a change of privilege (turning
/// two-factor sign-in on or off), so an id captured before is worth nothing after.
pub async fn rotate_session_id() -> Result<(), AppError> {
    session().await?.cycle_id().await.map_err(session_store_failed)
}

/// Ends the current browser's session record entirely.
pub async fn forget_session() -> Result<(), AppError> {
    session().await?.flush().await.map_err(session_store_failed)
}

fn hash_key(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// argon2id with OWASP's minimum (m = 19 MiB, t = 2, p = 1).
pub fn argon() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

pub async fn hash_password(password: &str) -> Result<String, AppError> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(|_| AppError::Internal)
}

/// Verifies off the async runtime. A malformed stored hash counts as a mismatch.
async fn verify_password(password: &str, phc: &str) -> Result<bool, AppError> {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let (password, phc) = (password.to_string(), phc.to_string());
    tokio::task::spawn_blocking(move || match PasswordHash::new(&phc) {
        Ok(parsed) => argon().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .map_err(|_| AppError::Internal)
}

/// Verified against when the email is unknown, so "no such user" costs the same
/// time as "wrong password".
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon().hash_password(b"not a real password", &salt).map(|h| h.to_string()).unwrap_or_default()
});

const BAD_CREDENTIALS: &str = "that email and password do not match an account";

pub async fn sign_up(email: &Email, password: &str, display_name: &str) -> Result<(), AppError> {
    let pool = pool()?;
    let hash = hash_password(password).await?;
    let mut tx = crate::data::begin(&pool).await.map_err(DbError::from)?;
    let user_id = match users::create(&mut tx, email.as_str(), &hash, display_name).await {
        Ok(id) => id,
        Err(DbError::Conflict(_)) => {
            return Err(AppError::Invalid("an account with this email already exists; sign in instead".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let mut actor = actor(None).await;
    actor.user_id = Some(user_id);
    audit::record(
        &mut tx,
        &actor,
        audit::Entry::new("auth.sign_up", "user", Some(user_id))
            .impact(audit::Impact::Medium)
            .flags(&["gdpr"])
            .new_values(serde_json::json!({"email": email.as_str(), "display_name": display_name})),
    )
    .await?;
    let first = manna_core::risk::Risk { score: 0, factors: Vec::new() };
    let current = start_session(&mut tx, user_id, &actor, false, &first).await?;
    tx.commit().await.map_err(DbError::from)?;
    attach_session(current.0, current.1).await
}

pub async fn sign_in(email: &str, password: &str) -> Result<SignInOutcome, AppError> {
    let pool = pool()?;
    let normalized = Email::parse(email).map(|e| e.normalized()).unwrap_or_default();
    let creds = if normalized.is_empty() { None } else { users::credentials(&pool, &normalized).await? };
    let actor_base = actor(None).await;
    throttle_network(&pool, &actor_base).await?;
    let Some(creds) = creds else {
        let _ = verify_password(password, &DUMMY_HASH).await?;
        // Audited without a user, so guessing across many emails from one network
        // still counts towards that network's throttle.
        let mut tx = crate::data::begin(&pool).await.map_err(DbError::from)?;
        audit::record(
            &mut tx,
            &actor_base,
            audit::Entry::new("auth.sign_in_failed", "user", None).new_values(serde_json::json!({"email": normalized})),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        return Err(AppError::Invalid(BAD_CREDENTIALS.into()));
    };
    let actor = audit::Actor { user_id: Some(creds.id), ..actor_base };
    if let Some(until) = creds.locked_until.filter(|t| *t > Utc::now()) {
        let _ = verify_password(password, &DUMMY_HASH).await?;
        return Err(locked_error(until));
    }
    if !verify_password(password, &creds.password_hash).await? {
        let mut tx = crate::data::begin(&pool).await.map_err(DbError::from)?;
        let locked = users::record_failure(&mut tx, creds.id, LOCK_AFTER_FAILURES, LOCK_MINUTES).await?;
        audit::record(
            &mut tx,
            &actor,
            audit::Entry::new(
                if locked.is_some() { "auth.locked" } else { "auth.sign_in_failed" },
                "user",
                Some(creds.id),
            )
            .impact(if locked.is_some() { audit::Impact::High } else { audit::Impact::Low })
            .new_values(serde_json::json!({"failed_login_count": creds.failed_login_count + 1})),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        return Err(match locked {
            Some(until) => locked_error(until),
            None => AppError::Invalid(BAD_CREDENTIALS.into()),
        });
    }
    if creds.mfa_enabled {
        // The password was right; the sign-in waits for the second factor. A new
        // session id now too, so the half-signed-in state cannot be fixated.
        let session = session().await?;
        session.cycle_id().await.map_err(session_store_failed)?;
        let pending = MfaPending { user_id: creds.id, until: Utc::now() + Duration::minutes(MFA_WINDOW_MINUTES) };
        session.insert(MFA_PENDING_KEY, pending).await.map_err(session_store_failed)?;
        return Ok(SignInOutcome::NeedsSecondFactor);
    }
    complete_sign_in(creds.id, actor, false, "auth.sign_in").await?;
    Ok(SignInOutcome::SignedIn)
}

/// The user waiting for their second factor in this session, if any (and in time).
pub async fn mfa_pending_user() -> Result<Option<Uuid>, AppError> {
    let session = session().await?;
    let pending: Option<MfaPending> = session.get(MFA_PENDING_KEY).await.map_err(session_store_failed)?;
    Ok(pending.filter(|p| p.until > Utc::now()).map(|p| p.user_id))
}

/// Ends a sign-in that passed every factor: resets the failure count, opens the
/// `user_sessions` row, audits, and binds a fresh session id to it.
pub async fn complete_sign_in(
    user_id: Uuid,
    actor: audit::Actor,
    mfa_verified: bool,
    action: &str,
) -> Result<(), AppError> {
    let pool = pool()?;
    let mut tx = crate::data::begin(&pool).await.map_err(DbError::from)?;
    let failures_before = users::record_success(&mut tx, user_id).await?;
    let risk = assess_risk(&mut tx, user_id, &actor, failures_before).await?;
    let (user_session_id, key) = start_session(&mut tx, user_id, &actor, mfa_verified, &risk).await?;
    if risk.suspicious() {
        audit::record(
            &mut tx,
            &audit::Actor { session_id: Some(user_session_id), ..actor.clone() },
            audit::Entry::new("auth.suspicious_sign_in", "user_session", Some(user_session_id))
                .impact(audit::Impact::High)
                .new_values(serde_json::json!({"risk_score": risk.score, "factors": risk.factors})),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        &audit::Actor { session_id: Some(user_session_id), ..actor },
        audit::Entry::new(action, "user_session", Some(user_session_id))
            .new_values(serde_json::json!({"mfa": mfa_verified})),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    let session = session().await?;
    let _ = session.remove_value(MFA_PENDING_KEY).await;
    attach_session(user_session_id, key).await
}

/// Counts a failed second factor like a failed password (same lockout).
pub async fn second_factor_failed(user_id: Uuid) -> Result<AppError, AppError> {
    let pool = pool()?;
    let mut tx = crate::data::begin(&pool).await.map_err(DbError::from)?;
    let locked = users::record_failure(&mut tx, user_id, LOCK_AFTER_FAILURES, LOCK_MINUTES).await?;
    let actor = audit::Actor { user_id: Some(user_id), ..actor(None).await };
    audit::record(
        &mut tx,
        &actor,
        audit::Entry::new(if locked.is_some() { "auth.locked" } else { "auth.mfa_failed" }, "user", Some(user_id))
            .impact(if locked.is_some() { audit::Impact::High } else { audit::Impact::Low }),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    if let Some(until) = locked {
        let _ = session().await?.remove_value(MFA_PENDING_KEY).await;
        return Ok(locked_error(until));
    }
    Ok(AppError::Invalid("that code is not right; check the time on your phone, or use a recovery code".into()))
}

/// Failed sign-in steps one network may make in `NETWORK_WINDOW_MINUTES`.
pub const NETWORK_FAILURE_LIMIT: i64 = 20;
pub const NETWORK_WINDOW_MINUTES: i64 = 15;

/// Per-network throttle, on top of the per-account lockout: many accounts tried
/// from one address slow that address down, whoever the accounts belong to.
pub async fn throttle_network(pool: &PgPool, actor: &audit::Actor) -> Result<(), AppError> {
    let Some(ip) = actor.ip.as_deref() else { return Ok(()) };
    let since = Utc::now() - Duration::minutes(NETWORK_WINDOW_MINUTES);
    let (failures, oldest) = audit::recent_failures_from(pool, ip, since).await?;
    if failures >= NETWORK_FAILURE_LIMIT {
        let until = oldest.unwrap_or_else(Utc::now) + Duration::minutes(NETWORK_WINDOW_MINUTES);
        return Err(AppError::Invalid(format!(
            "too many failed sign-ins from your network; try again after {} UTC",
            until.format("%H:%M")
        )));
    }
    Ok(())
}

/// Weighs this sign-in against the user's earlier ones (manna_core::risk).
async fn assess_risk(
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    actor: &audit::Actor,
    failures_before: i32,
) -> Result<manna_core::risk::Risk, AppError> {
    use manna_core::risk::{PastSignIn, SignIn, assess};
    let history: Vec<PastSignIn> = sessions::history(tx, user_id, 50)
        .await?
        .into_iter()
        .map(|(device, ip, hour)| PastSignIn {
            device,
            ip: ip.and_then(|i| i.parse().ok()),
            hour: hour.clamp(0, 23) as u32,
        })
        .collect();
    let now = SignIn {
        device: actor.device.as_deref(),
        ip: actor.ip.as_deref().and_then(|i| i.parse().ok()),
        hour: chrono::Timelike::hour(&Utc::now()),
        failures_before: failures_before.max(0) as u32,
    };
    Ok(assess(&now, &history))
}

fn locked_error(until: chrono::DateTime<Utc>) -> AppError {
    AppError::Invalid(format!(
        "too many failed attempts: this account is locked until {} UTC",
        until.format("%Y-%m-%d %H:%M")
    ))
}

async fn start_session(
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    actor: &audit::Actor,
    mfa_verified: bool,
    risk: &manna_core::risk::Risk,
) -> Result<(Uuid, String), AppError> {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let id = sessions::create(
        tx,
        sessions::NewSession {
            user_id,
            key_hash: &hash_key(&key),
            expires_at: Utc::now() + Duration::days(ABSOLUTE_LIFETIME_DAYS),
            ip: actor.ip.as_deref(),
            user_agent: actor.user_agent.as_deref(),
            mfa_verified,
            device_fingerprint: actor.device.as_deref(),
            risk_score: i16::from(risk.score),
            risk_factors: serde_json::to_value(&risk.factors).unwrap_or_default(),
            suspicious: risk.suspicious(),
        },
    )
    .await?;
    Ok((id, key))
}

/// A new session id on every sign-in (no fixation), holding the sign-in.
async fn attach_session(user_session_id: Uuid, key: String) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(session_store_failed)?;
    session.insert(SESSION_KEY, SessionAuth { user_session_id, key }).await.map_err(session_store_failed)?;
    Ok(())
}

pub async fn sign_out() -> Result<(), AppError> {
    let session = session().await?;
    if let Ok(user) = require_user().await {
        let pool = pool()?;
        let mut tx = crate::data::begin(&pool).await.map_err(DbError::from)?;
        match sessions::revoke(&mut tx, user.user_id, user.user_session_id).await {
            Ok(()) | Err(DbError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("auth.sign_out", "user_session", Some(user.user_session_id))
                .impact(audit::Impact::None)
                .flags(&[]),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
    }
    session.flush().await.map_err(session_store_failed)?;
    Ok(())
}
