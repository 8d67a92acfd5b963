//! Webhooks: bodies in Plaid's shape, signed as ES256 JWTs (`Plaid-Verification`), and
//! delivered over HTTP.

use crate::errors::PlaidError;
use crate::fake_state::FakeState;
use crate::state::Item;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{SecondsFormat, Utc};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A defect to put in a webhook's signature, to test the receiver's verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    /// A valid signature.
    #[default]
    None,
    /// `iat` ten minutes ago.
    StaleIat,
    /// Signed with another key, under the real `kid`.
    BadSignature,
    /// `request_body_sha256` of a different body.
    WrongBodyHash,
    /// Signed with another key whose `kid` `/webhook_verification_key/get` does not know.
    UnknownKid,
}

/// The key pair that signs webhooks.
pub(crate) struct WebhookSigner {
    key: SigningKey,
    pub kid: String,
    pub created_at: i64,
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.claims.signature`, each part base64url without padding; the signature is the
/// raw 64-byte r||s of ECDSA P-256 / SHA-256 over `header.claims`.
fn jwt(key: &SigningKey, kid: &str, iat: i64, body_sha256: &str) -> String {
    let header = json!({ "alg": "ES256", "kid": kid, "typ": "JWT" });
    let claims = json!({ "iat": iat, "request_body_sha256": body_sha256 });
    let signing_input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let signature: Signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&signature.to_bytes()))
}

fn random_key() -> SigningKey {
    SigningKey::random(&mut rand::rngs::OsRng)
}

impl WebhookSigner {
    pub fn generate() -> Self {
        WebhookSigner { key: random_key(), kid: uuid::Uuid::new_v4().to_string(), created_at: Utc::now().timestamp() }
    }

    /// The public key as `/webhook_verification_key/get` returns it.
    pub fn jwk(&self) -> Value {
        let point = self.key.verifying_key().to_encoded_point(false);
        let coordinate = |c: Option<&p256::FieldBytes>| c.map(|c| b64(c)).unwrap_or_default();
        json!({
            "alg": "ES256",
            "created_at": self.created_at,
            "crv": "P-256",
            "expired_at": null,
            "kid": self.kid,
            "kty": "EC",
            "use": "sig",
            "x": coordinate(point.x()),
            "y": coordinate(point.y()),
        })
    }

    /// The `Plaid-Verification` header for `body`, with the requested defect.
    pub fn sign(&self, body: &[u8], tamper: Tamper, now: i64) -> String {
        let hash = sha256_hex(body);
        match tamper {
            Tamper::None => jwt(&self.key, &self.kid, now, &hash),
            Tamper::StaleIat => jwt(&self.key, &self.kid, now - 600, &hash),
            Tamper::BadSignature => jwt(&random_key(), &self.kid, now, &hash),
            Tamper::WrongBodyHash => {
                let mut other = body.to_vec();
                other.extend_from_slice(b"\n{\"tampered\": true}");
                jwt(&self.key, &self.kid, now, &sha256_hex(&other))
            }
            Tamper::UnknownKid => jwt(&random_key(), &uuid::Uuid::new_v4().to_string(), now, &hash),
        }
    }
}

/// One webhook as sent: replaying it gives a byte-identical duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub url: String,
    pub body: Vec<u8>,
    pub verification: String,
}

impl Delivery {
    async fn send(&self, http: &reqwest::Client) -> Result<u16, String> {
        let response = http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Plaid-Verification", &self.verification)
            .body(self.body.clone())
            .send()
            .await
            .map_err(|e| format!("webhook delivery to {} failed: {e}", self.url))?;
        Ok(response.status().as_u16())
    }
}

/// Codes `/sandbox/item/fire_webhook` accepts, by type.
pub(crate) fn sandbox_code_allowed(webhook_type: &str, webhook_code: &str) -> bool {
    match webhook_type {
        "TRANSACTIONS" => matches!(webhook_code, "SYNC_UPDATES_AVAILABLE" | "DEFAULT_UPDATE"),
        "ITEM" => matches!(
            webhook_code,
            "PENDING_EXPIRATION" | "PENDING_DISCONNECT" | "USER_PERMISSION_REVOKED" | "LOGIN_REPAIRED" | "ERROR"
        ),
        _ => false,
    }
}

/// A webhook body: the common fields, the code's own fields, then `extra` on top.
pub(crate) fn webhook_body(
    item: &Item,
    webhook_type: &str,
    webhook_code: &str,
    extra: &Value,
) -> Result<Value, String> {
    let mut body = json!({
        "webhook_type": webhook_type,
        "webhook_code": webhook_code,
        "item_id": item.item_id,
        "environment": "sandbox",
    });
    let own = match (webhook_type, webhook_code) {
        ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE") => {
            json!({ "initial_update_complete": true, "historical_update_complete": true })
        }
        ("TRANSACTIONS", "DEFAULT_UPDATE" | "INITIAL_UPDATE" | "HISTORICAL_UPDATE") => {
            json!({ "new_transactions": 0, "error": null })
        }
        ("TRANSACTIONS", "TRANSACTIONS_REMOVED") => json!({ "removed_transactions": [], "error": null }),
        ("ITEM", "ERROR") => json!({ "error": PlaidError::item_login_required().embedded() }),
        ("ITEM", "PENDING_EXPIRATION") => json!({
            "consent_expiration_time": (Utc::now() + chrono::Duration::days(7)).to_rfc3339_opts(SecondsFormat::Secs, true),
        }),
        ("ITEM", "PENDING_DISCONNECT") => json!({ "reason": "INSTITUTION_MIGRATION" }),
        ("ITEM", "USER_PERMISSION_REVOKED") => json!({ "error": PlaidError::user_permission_revoked().embedded() }),
        ("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED") => json!({ "new_webhook_url": item.webhook, "error": null }),
        _ => json!({}),
    };
    let extra = match extra {
        Value::Null => json!({}),
        Value::Object(_) => extra.clone(),
        _ => return Err("extra must be a JSON object".into()),
    };
    for fields in [own, extra] {
        if let (Some(body), Value::Object(fields)) = (body.as_object_mut(), fields) {
            body.extend(fields);
        }
    }
    Ok(body)
}

impl FakeState {
    /// Sends a webhook about the item to its webhook URL and returns the receiver's HTTP
    /// status. `extra` (an object, or null) adds or overrides body fields.
    pub async fn fire_webhook(
        &self,
        item_id: &str,
        webhook_type: &str,
        webhook_code: &str,
        extra: Value,
        tamper: Tamper,
    ) -> Result<u16, String> {
        let (url, body) = {
            let mut inner = self.lock();
            let item = inner.item_mut(item_id).map_err(|e| e.error_message)?;
            let url = item.webhook.clone().ok_or_else(|| format!("item {item_id} has no webhook URL"))?;
            let body = webhook_body(item, webhook_type, webhook_code, &extra)?;
            item.last_webhook = Some((Utc::now(), webhook_code.to_string()));
            (url, body)
        };
        self.send_webhook(url, &body, tamper).await
    }

    /// Delivers the last webhook again: the same URL, body bytes and `Plaid-Verification`.
    pub async fn resend_last_webhook(&self) -> Result<u16, String> {
        let last = self.last_delivery().ok_or("no webhook has been sent yet")?;
        last.send(&self.http).await
    }

    /// The last webhook sent (before any resend), if any.
    pub fn last_delivery(&self) -> Option<Delivery> {
        self.last_delivery.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    async fn send_webhook(&self, url: String, body: &Value, tamper: Tamper) -> Result<u16, String> {
        let bytes = serde_json::to_vec_pretty(body).map_err(|e| e.to_string())?;
        let verification = self.signer.sign(&bytes, tamper, Utc::now().timestamp());
        let delivery = Delivery { url, body: bytes, verification };
        *self.last_delivery.lock().unwrap_or_else(|p| p.into_inner()) = Some(delivery.clone());
        delivery.send(&self.http).await
    }

    /// Fires a webhook in the background (the endpoint that caused it answers at once).
    pub(crate) fn spawn_webhook(
        self: &Arc<Self>,
        item_id: &str,
        webhook_type: impl Into<String>,
        webhook_code: impl Into<String>,
    ) {
        let state = Arc::clone(self);
        let (item_id, webhook_type, webhook_code) = (item_id.to_string(), webhook_type.into(), webhook_code.into());
        tokio::spawn(async move {
            match state.fire_webhook(&item_id, &webhook_type, &webhook_code, Value::Null, Tamper::None).await {
                Ok(status) => tracing::debug!(item_id, webhook_code, status, "webhook delivered"),
                Err(e) => tracing::warn!(item_id, webhook_code, "webhook not delivered: {e}"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    /// A receiver's checks, with only the JWK's x and y to go on.
    fn verify(jwt: &str, body: &[u8], jwk: &Value, now: i64) -> Result<(), String> {
        let parts: Vec<&str> = jwt.split('.').collect();
        let [header, claims, signature] = parts[..] else { return Err("not three parts".into()) };
        let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|e| e.to_string());
        let header: Value = serde_json::from_slice(&decode(header)?).map_err(|e| e.to_string())?;
        if header["alg"] != "ES256" || header["typ"] != "JWT" {
            return Err("header".into());
        }
        if header["kid"] != jwk["kid"] {
            return Err("unknown kid".into());
        }
        let x = decode(jwk["x"].as_str().unwrap_or_default())?;
        let y = decode(jwk["y"].as_str().unwrap_or_default())?;
        if x.len() != 32 || y.len() != 32 {
            return Err("coordinates are not 32 bytes".into());
        }
        let point = p256::EncodedPoint::from_affine_coordinates(x.as_slice().into(), y.as_slice().into(), false);
        let key = VerifyingKey::from_encoded_point(&point).map_err(|e| e.to_string())?;
        let signature = Signature::from_slice(&decode(signature)?).map_err(|e| e.to_string())?;
        let signing_input = &jwt[..jwt.rfind('.').unwrap_or(0)];
        key.verify(signing_input.as_bytes(), &signature).map_err(|_| "bad signature".to_string())?;
        let claims: Value = serde_json::from_slice(&decode(claims)?).map_err(|e| e.to_string())?;
        if claims["iat"].as_i64().is_none_or(|iat| now - iat > 300) {
            return Err("stale iat".into());
        }
        if claims["request_body_sha256"] != sha256_hex(body) {
            return Err("body hash".into());
        }
        Ok(())
    }

    #[test]
    fn signed_webhooks_verify_with_the_published_jwk() {
        let signer = WebhookSigner::generate();
        let jwk = signer.jwk();
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-256");
        let body =
            serde_json::to_vec_pretty(&json!({"webhook_type": "TRANSACTIONS", "item_id": "i"})).unwrap_or_default();
        assert!(String::from_utf8_lossy(&body).contains("\n  \"item_id\""), "2-space indentation");
        let now = Utc::now().timestamp();
        assert_eq!(verify(&signer.sign(&body, Tamper::None, now), &body, &jwk, now), Ok(()));
        let cases = [
            (Tamper::StaleIat, "stale iat"),
            (Tamper::BadSignature, "bad signature"),
            (Tamper::WrongBodyHash, "body hash"),
            (Tamper::UnknownKid, "unknown kid"),
        ];
        for (tamper, defect) in cases {
            assert_eq!(
                verify(&signer.sign(&body, tamper, now), &body, &jwk, now),
                Err(defect.to_string()),
                "{tamper:?}"
            );
        }
        // The p256 JWK parser agrees with the hand-built coordinates.
        let parsed = p256::PublicKey::from_jwk_str(
            &json!({ "kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"], "y": jwk["y"] }).to_string(),
        )
        .ok();
        assert_eq!(parsed, Some(p256::PublicKey::from(signer.key.verifying_key())));
    }

    #[test]
    fn tamper_modes_are_snake_case() {
        let t: Tamper = serde_json::from_value(json!("wrong_body_hash")).unwrap_or_default();
        assert_eq!(t, Tamper::WrongBodyHash);
        assert_eq!(serde_json::to_value(Tamper::UnknownKid).ok(), Some(json!("unknown_kid")));
    }
}
