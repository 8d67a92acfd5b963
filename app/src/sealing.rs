//! Secrets at rest (TOTP secrets now, Plaid access tokens later): XChaCha20-Poly1305
//! under the key from `MANNA_SECRET_KEY` / `<data dir>/secret.key`.
//!
//! Sealed form: `key_id (1 byte) || nonce (24) || ciphertext+tag`. The key id lets a
//! rotated key coexist with data sealed under the old one.

use chacha20poly1305::aead::{Aead, KeyInit, OsRng};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};

const KEY_ID: u8 = 1;

/// The sealing key, provided to server functions through context. Never printed.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("sealed data is malformed")]
    Malformed,
    #[error("sealed with an unknown key (id {0})")]
    UnknownKey(u8),
    #[error("sealed data failed authentication (wrong key or tampered)")]
    Forged,
}

impl SealingKey {
    pub fn new(key: [u8; 32]) -> Self {
        SealingKey(key)
    }

    /// The id sealed data carries (stored beside Plaid tokens as `encryption_key_id`).
    pub fn key_id(&self) -> u8 {
        KEY_ID
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encrypting into a Vec cannot fail for inputs of this size.
        let sealed = cipher.encrypt(&nonce, plaintext).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + 24 + sealed.len());
        out.push(KEY_ID);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 1 + 24 + 16 {
            return Err(SealError::Malformed);
        }
        if sealed[0] != KEY_ID {
            return Err(SealError::UnknownKey(sealed[0]));
        }
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let nonce = XNonce::from_slice(&sealed[1..25]);
        cipher.decrypt(nonce, &sealed[25..]).map_err(|_| SealError::Forged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let key = SealingKey::new([7; 32]);
        let sealed = key.seal(b"JBSWY3DPEHPK3PXP");
        assert_ne!(&sealed[25..], b"JBSWY3DPEHPK3PXP");
        assert_eq!(key.open(&sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_ne!(key.seal(b"x"), key.seal(b"x"), "fresh nonce each time");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(key.open(&tampered), Err(SealError::Forged));
        assert_eq!(SealingKey::new([8; 32]).open(&sealed), Err(SealError::Forged));
        assert_eq!(key.open(&sealed[..10]), Err(SealError::Malformed));
        assert_eq!(format!("{key:?}"), "SealingKey(<redacted>)");
    }
}
