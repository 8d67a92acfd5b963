//! Secrets at rest (TOTP secrets now, Plaid access tokens later): XChaCha20-Poly1305
//! under the key from `MANNA_SECRET_KEY` / `<data dir>/secret.key`.
//!
//! Sealed form: `key_id (1 byte) || nonce (24) || ciphertext+tag`. The key id lets a
//! rotated key coexist with data sealed under the old one: new data is sealed with the
//! current key, and older keys kept in the ring still open what they sealed until
//! `manna secrets reseal` moves everything to the current key.

use chacha20poly1305::aead::{Aead, KeyInit, OsRng};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};

/// The id of a key given without one (the first key of every installation).
pub const DEFAULT_KEY_ID: u8 = 1;

/// The sealing keys, provided to server functions through context. Never printed.
#[derive(Clone)]
pub struct SealingKey {
    id: u8,
    key: [u8; 32],
    /// Older keys that still open what they sealed: (id, key).
    previous: std::sync::Arc<Vec<(u8, [u8; 32])>>,
}

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
        SealingKey::with_id(DEFAULT_KEY_ID, key)
    }

    /// The current key under its id (1–255).
    pub fn with_id(id: u8, key: [u8; 32]) -> Self {
        SealingKey { id, key, previous: Default::default() }
    }

    /// Keeps an older key to open what it sealed (key rotation).
    pub fn also_opening(mut self, id: u8, key: [u8; 32]) -> Self {
        if id != self.id {
            std::sync::Arc::make_mut(&mut self.previous).push((id, key));
        }
        self
    }

    /// The id new data is sealed under (stored beside Plaid tokens as `encryption_key_id`).
    pub fn key_id(&self) -> u8 {
        self.id
    }

    /// Whether `sealed` was sealed under an older key (and should be resealed).
    pub fn is_stale(&self, sealed: &[u8]) -> bool {
        sealed.first().is_some_and(|id| *id != self.id)
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.key).into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encrypting into a Vec cannot fail for inputs of this size.
        let sealed = cipher.encrypt(&nonce, plaintext).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + 24 + sealed.len());
        out.push(self.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 1 + 24 + 16 {
            return Err(SealError::Malformed);
        }
        let key = if sealed[0] == self.id {
            &self.key
        } else {
            match self.previous.iter().find(|(id, _)| *id == sealed[0]) {
                Some((_, key)) => key,
                None => return Err(SealError::UnknownKey(sealed[0])),
            }
        };
        let cipher = XChaCha20Poly1305::new(key.into());
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

    #[test]
    fn a_rotated_ring_opens_old_data_and_seals_with_the_new_key() {
        let old = SealingKey::new([7; 32]);
        let sealed = old.seal(b"access-token");
        let rotated = SealingKey::with_id(2, [9; 32]).also_opening(1, [7; 32]);
        assert_eq!(rotated.open(&sealed).unwrap(), b"access-token");
        assert!(rotated.is_stale(&sealed));
        let resealed = rotated.seal(b"access-token");
        assert_eq!(resealed[0], 2);
        assert!(!rotated.is_stale(&resealed));
        assert_eq!(old.open(&resealed), Err(SealError::UnknownKey(2)));
        assert_eq!(SealingKey::with_id(2, [9; 32]).open(&sealed), Err(SealError::UnknownKey(1)));
    }
}
