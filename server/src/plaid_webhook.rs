//! `POST /webhooks/plaid`: verify the `Plaid-Verification` JWT exactly as Plaid
//! documents it, store the event (deduplicated), answer 200 at once. A worker
//! processes it later (`workers`).
//!
//! Verification: header `alg` is ES256; the key for its `kid` comes from
//! `/webhook_verification_key/get` (cached; fetched again for an unknown kid; expired
//! keys refused); the signature checks; `iat` is at most 5 minutes old; the SHA-256 of
//! the raw body equals the `request_body_sha256` claim (compared in constant time).

use app::plaid::{PlaidClient, PlaidError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How old a webhook's `iat` may be.
pub const MAX_AGE_SECS: i64 = 5 * 60;

#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    #[error("no Plaid-Verification header")]
    Missing,
    #[error("the verification token is malformed: {0}")]
    Malformed(&'static str),
    #[error("the token is not ES256")]
    Algorithm,
    #[error("no verification key with that kid")]
    UnknownKey,
    #[error("the verification key has expired")]
    ExpiredKey,
    #[error("the signature does not verify")]
    Signature,
    #[error("the token was issued more than 5 minutes ago")]
    Stale,
    #[error("the body does not match the signed hash")]
    BodyHash,
    #[error("the verification key could not be fetched: {0}")]
    KeyFetch(PlaidError),
}

struct CachedKey {
    key: VerifyingKey,
    expired_at: Option<i64>,
    /// When we asked Plaid (keys are asked again after `KEY_TTL`, to learn of expiry).
    fetched: std::time::Instant,
}

/// How long a fetched key is trusted before asking Plaid about it again.
const KEY_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Verification keys by kid, shared by every request of this node.
#[derive(Clone, Default)]
pub struct KeyCache(Arc<Mutex<HashMap<String, Arc<CachedKey>>>>);

impl KeyCache {
    fn get(&self, kid: &str) -> Option<Arc<CachedKey>> {
        self.0.lock().ok().and_then(|m| m.get(kid).cloned())
    }

    fn put(&self, kid: String, key: Arc<CachedKey>) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(kid, key);
        }
    }

    /// The key for `kid`, from the cache or from Plaid.
    async fn key(&self, plaid: &PlaidClient, kid: &str) -> Result<Arc<CachedKey>, Rejection> {
        if let Some(k) = self.get(kid)
            && k.fetched.elapsed() < KEY_TTL
        {
            return Ok(k);
        }
        let jwk = match plaid.webhook_verification_key(kid).await {
            Ok(k) => k,
            Err(PlaidError::Api { status, .. }) if status == 400 || status == 404 => return Err(Rejection::UnknownKey),
            Err(e) => return Err(Rejection::KeyFetch(e)),
        };
        if jwk.kty != "EC" || jwk.crv != "P-256" || jwk.alg != "ES256" {
            return Err(Rejection::Malformed("the key is not a P-256 ES256 key"));
        }
        let key = Arc::new(CachedKey {
            key: verifying_key(&jwk.x, &jwk.y)?,
            expired_at: jwk.expired_at,
            fetched: std::time::Instant::now(),
        });
        self.put(kid.to_string(), key.clone());
        Ok(key)
    }
}

fn verifying_key(x: &str, y: &str) -> Result<VerifyingKey, Rejection> {
    let x = URL_SAFE_NO_PAD.decode(x).map_err(|_| Rejection::Malformed("key x"))?;
    let y = URL_SAFE_NO_PAD.decode(y).map_err(|_| Rejection::Malformed("key y"))?;
    if x.len() != 32 || y.len() != 32 {
        return Err(Rejection::Malformed("key coordinates"));
    }
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(4);
    sec1.extend_from_slice(&x);
    sec1.extend_from_slice(&y);
    VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| Rejection::Malformed("key point"))
}

#[derive(serde::Deserialize)]
struct Header {
    alg: String,
    kid: String,
}

#[derive(serde::Deserialize)]
struct Claims {
    iat: i64,
    request_body_sha256: String,
}

fn decode<T: serde::de::DeserializeOwned>(part: &str, what: &'static str) -> Result<T, Rejection> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| Rejection::Malformed(what))?;
    serde_json::from_slice(&bytes).map_err(|_| Rejection::Malformed(what))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Verifies a webhook; returns its `iat` (part of the dedupe key).
pub async fn verify(
    plaid: &PlaidClient,
    keys: &KeyCache,
    token: &str,
    body: &[u8],
    now: i64,
) -> Result<i64, Rejection> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Rejection::Malformed("not three parts"));
    };
    let header: Header = decode(h, "header")?;
    if header.alg != "ES256" {
        return Err(Rejection::Algorithm);
    }
    let key = keys.key(plaid, &header.kid).await?;
    if key.expired_at.is_some_and(|t| t <= now) {
        return Err(Rejection::ExpiredKey);
    }
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| Rejection::Malformed("signature"))?;
    let signature = Signature::from_slice(&signature).map_err(|_| Rejection::Signature)?;
    let signed = &token[..h.len() + 1 + c.len()];
    key.key.verify(signed.as_bytes(), &signature).map_err(|_| Rejection::Signature)?;
    let claims: Claims = decode(c, "claims")?;
    if claims.iat < now - MAX_AGE_SECS || claims.iat > now + MAX_AGE_SECS {
        return Err(Rejection::Stale);
    }
    if !constant_time_eq(sha256_hex(body).as_bytes(), claims.request_body_sha256.to_ascii_lowercase().as_bytes()) {
        return Err(Rejection::BodyHash);
    }
    Ok(claims.iat)
}

/// What the webhook route needs.
#[derive(Clone)]
pub struct WebhookState {
    pub pool: sqlx::PgPool,
    pub plaid: Option<PlaidClient>,
    pub keys: KeyCache,
    /// Wakes this node's webhook worker.
    pub wake: Arc<tokio::sync::Notify>,
}

#[derive(serde::Deserialize)]
struct Envelope {
    webhook_type: String,
    webhook_code: String,
    #[serde(default)]
    item_id: Option<String>,
}

pub async fn receive(State(state): State<WebhookState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(plaid) = &state.plaid else {
        return (StatusCode::NOT_FOUND, "Plaid is not configured").into_response();
    };
    let Some(token) = headers.get("plaid-verification").and_then(|v| v.to_str().ok()) else {
        return reject(Rejection::Missing);
    };
    let now = chrono::Utc::now().timestamp();
    let iat = match verify(plaid, &state.keys, token, &body, now).await {
        Ok(iat) => iat,
        Err(Rejection::KeyFetch(e)) => {
            tracing::warn!(error = %e, "webhook key fetch failed; Plaid will retry the delivery");
            return (StatusCode::SERVICE_UNAVAILABLE, "verification key unavailable").into_response();
        }
        Err(e) => return reject(e),
    };
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return reject(Rejection::Malformed("the body is not JSON"));
    };
    let Ok(envelope) = serde_json::from_value::<Envelope>(payload.clone()) else {
        return reject(Rejection::Malformed("the body lacks webhook_type/webhook_code"));
    };
    // The same signed delivery again (Plaid retries, duplicates) has the same body and iat.
    let dedupe_key = format!("{}:{iat}", sha256_hex(&body));
    let stored = async {
        // One connection per request: a burst must not hold one while waiting for another.
        let mut tx = app::data::begin(&state.pool).await?;
        let item = match &envelope.item_id {
            Some(id) => app::data::plaid::item_by_plaid_id(&mut tx, id).await?,
            None => None,
        };
        let fresh = app::data::webhooks::store(
            &mut tx,
            item.as_ref().map(|i| (i.id, i.user_id)),
            &envelope.webhook_type,
            &envelope.webhook_code,
            &payload,
            &dedupe_key,
        )
        .await?;
        if fresh && let Some(i) = &item {
            app::data::plaid::touch_webhook(&mut tx, i.id).await?;
        }
        tx.commit().await?;
        Ok::<bool, app::data::DbError>(fresh)
    }
    .await;
    match stored {
        Ok(fresh) => {
            if fresh {
                state.wake.notify_one();
            }
            tracing::info!(code = %envelope.webhook_code, duplicate = !fresh, "Plaid webhook stored");
            (StatusCode::OK, "ok").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook not stored; Plaid will retry");
            (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
        }
    }
}

fn reject(e: Rejection) -> Response {
    tracing::warn!(reason = %e, "Plaid webhook refused");
    (StatusCode::BAD_REQUEST, e.to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn keys_must_be_points() {
        assert!(verifying_key("AAAA", "AAAA").is_err());
        let zero = URL_SAFE_NO_PAD.encode([0u8; 32]);
        assert!(verifying_key(&zero, &zero).is_err());
    }
}
