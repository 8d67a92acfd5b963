//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second step, 6 digits) for two-factor sign-in.
//!
//! Those parameters are the ones every common authenticator app (Google Authenticator, 1Password, ...)
//! assumes, so they are fixed rather than configurable. Pure functions of the secret and the time: the
//! caller supplies the clock and stores the last accepted step, which keeps this testable and I/O free.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::fmt;

/// Length of one time step in seconds; apps assume 30.
pub const STEP_SECONDS: u64 = 30;
/// Digits in a code; apps assume 6.
pub const DIGITS: usize = 6;
/// Shortest secret accepted: RFC 4226 requires at least 128 bits.
pub const MIN_SECRET_BYTES: usize = 16;

/// RFC 4648 base32 alphabet; authenticator apps expect it upper-case.
const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("the two-factor secret is {len} bytes; it must be at least {MIN_SECRET_BYTES}")]
    SecretTooShort { len: usize },
    #[error("{0:?} is not a base32 character (A-Z, 2-7)")]
    InvalidBase32Char(char),
}

/// The shared key behind a user's authenticator entry.
///
/// `Debug` is redacted so the secret cannot leak into logs or error reports.
#[derive(Clone)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    /// Wraps raw key bytes (20 random bytes in practice); short keys are rejected as guessable.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, TotpError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(TotpError::SecretTooShort { len: bytes.len() });
        }
        Ok(TotpSecret(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Upper-case base32 without padding: the form authenticator apps accept for manual entry.
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// Parses base32 as people copy it: any case, with spaces or `=` padding anywhere.
    pub fn from_base32(input: &str) -> Result<Self, TotpError> {
        Self::from_bytes(base32_decode(input)?)
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// The 6-digit code (zero-padded) for the 30-second step containing `unix_seconds`.
pub fn code_at(secret: &TotpSecret, unix_seconds: u64) -> String {
    code_for_step(secret, unix_seconds / STEP_SECONDS)
}

/// Checks a typed code and returns the step it matched, which the caller must store and pass back as
/// `last_used_step` so the same code (or an older one) cannot be replayed.
///
/// Accepts the current step and one either side, because phone clocks drift and people type slowly.
/// Surrounding whitespace and inner spaces ("123 456") are ignored; anything else that is not exactly
/// six ASCII digits is rejected. Codes are compared in constant time and every candidate step is
/// checked, so timing does not reveal how close a guess was.
pub fn verify(secret: &TotpSecret, code: &str, unix_seconds: u64, last_used_step: Option<u64>) -> Option<u64> {
    let typed = parse_code(code)?;
    let current = unix_seconds / STEP_SECONDS;
    let candidates = [current.checked_sub(1), Some(current), current.checked_add(1)];
    let mut matched = None;
    for step in candidates.into_iter().flatten() {
        let equal = constant_time_eq(code_for_step(secret, step).as_bytes(), &typed);
        let fresh = last_used_step.is_none_or(|last| step > last);
        if equal && fresh {
            matched = Some(step);
        }
    }
    matched
}

/// The `otpauth://` URI shown as a QR code when a user sets up an authenticator app.
///
/// The issuer appears both as the label prefix and as the `issuer` parameter, as Google's key-uri
/// format recommends, so every app shows "Manna (ann@example.com)" rather than a bare address.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
        secret = secret.to_base32(),
    )
}

/// A one-time recovery code for when the phone is lost, as `xxxxx-xxxxx`.
///
/// Lower-case base32 of the first 50 bits: plenty against rate-limited guessing, and the alphabet has
/// no 0/1/8/9 to confuse with O/I/B, so it is easy to read off paper.
pub fn format_recovery_code(bytes: [u8; 8]) -> String {
    let encoded = base32_encode(&bytes).to_ascii_lowercase();
    format!("{}-{}", &encoded[..5], &encoded[5..10])
}

/// The canonical form of a typed recovery code (lower-case, no spaces or dashes), so it matches
/// however the user wrote it. Hash and compare this form.
pub fn normalize_recovery_code(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect()
}

/// RFC 4226 HOTP with dynamic truncation, for one step counter.
fn code_for_step(secret: &TotpSecret, step: u64) -> String {
    // HMAC takes keys of any length, so this cannot fail; if it ever did, an empty code
    // matches no typed code: the sign-in is refused rather than the server panicking.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    format!("{:0width$}", binary % 10u32.pow(DIGITS as u32), width = DIGITS)
}

/// The six digits of a typed code, or `None` if it is not exactly six ASCII digits once trimmed and
/// with inner spaces removed.
fn parse_code(code: &str) -> Option<[u8; DIGITS]> {
    let mut digits = [0u8; DIGITS];
    let mut len = 0;
    for byte in code.trim().bytes().filter(|&b| b != b' ') {
        if !byte.is_ascii_digit() || len == DIGITS {
            return None;
        }
        digits[len] = byte;
        len += 1;
    }
    (len == DIGITS).then_some(digits)
}

/// Equality without an early exit, so response time does not reveal how many leading digits matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32_ALPHABET[((buffer >> bits) & 0x1f) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32_ALPHABET[((buffer << (5 - bits)) & 0x1f) as usize]));
    }
    out
}

/// Lenient decoding: leftover bits that do not make a whole byte are dropped, as apps do.
fn base32_decode(input: &str) -> Result<Vec<u8>, TotpError> {
    let mut out = Vec::with_capacity(input.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in input.chars() {
        if c.is_whitespace() || c == '=' {
            continue;
        }
        let value = match c.to_ascii_uppercase() {
            upper @ 'A'..='Z' => upper as u32 - 'A' as u32,
            digit @ '2'..='7' => digit as u32 - '2' as u32 + 26,
            _ => return Err(TotpError::InvalidBase32Char(c)),
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so any issuer or account name
/// (spaces, '@', ':', non-ASCII) survives inside the URI path and query.
fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The RFC 6238 appendix B SHA1 key.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn matches_rfc_6238_sha1_vectors() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        let secret = rfc_secret();
        for (time, eight_digits) in vectors {
            assert_eq!(code_at(&secret, time), eight_digits[2..], "at {time}");
        }
    }

    #[test]
    fn codes_are_zero_padded_and_constant_within_a_step() {
        let secret = rfc_secret();
        assert_eq!(code_at(&secret, 1_111_111_109), "081804");
        assert_eq!(code_at(&secret, 1_111_111_080), code_at(&secret, 1_111_111_109));
        assert_ne!(code_at(&secret, 1_111_111_109), code_at(&secret, 1_111_111_110));
    }

    #[test]
    fn base32_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzxw 6ytb oi").unwrap(), b"foobar");
    }

    #[test]
    fn secret_base32_round_trips() {
        let secret = rfc_secret();
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let typed = TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap();
        assert_eq!(typed.as_bytes(), secret.as_bytes());
    }

    #[test]
    fn rejects_short_secrets_and_bad_base32() {
        assert_eq!(TotpSecret::from_bytes(vec![0; 15]).unwrap_err(), TotpError::SecretTooShort { len: 15 });
        assert!(TotpSecret::from_bytes(vec![0; 16]).is_ok());
        assert_eq!(TotpSecret::from_base32("").unwrap_err(), TotpError::SecretTooShort { len: 0 });
        assert_eq!(TotpSecret::from_base32("GEZDGNBVGY3TQOJ1").unwrap_err(), TotpError::InvalidBase32Char('1'));
        assert_eq!(TotpSecret::from_base32("GEZD-GNBV").unwrap_err(), TotpError::InvalidBase32Char('-'));
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        assert_eq!(format!("{:?}", rfc_secret()), "TotpSecret(<redacted>)");
    }

    #[test]
    fn verify_accepts_one_step_of_drift_either_way() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        let step = now / STEP_SECONDS;
        assert_eq!(verify(&secret, &code_at(&secret, now), now, None), Some(step));
        assert_eq!(verify(&secret, &code_at(&secret, now - 30), now, None), Some(step - 1));
        assert_eq!(verify(&secret, &code_at(&secret, now + 30), now, None), Some(step + 1));
        assert_eq!(verify(&secret, &code_at(&secret, now - 60), now, None), None);
        assert_eq!(verify(&secret, &code_at(&secret, now + 60), now, None), None);
    }

    #[test]
    fn verify_works_at_the_epoch() {
        let secret = rfc_secret();
        assert_eq!(verify(&secret, &code_at(&secret, 0), 0, None), Some(0));
        assert_eq!(verify(&secret, &code_at(&secret, 30), 0, None), Some(1));
    }

    #[test]
    fn verify_rejects_replays() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let code = code_at(&secret, now);
        let step = verify(&secret, &code, now, None).unwrap();
        assert_eq!(verify(&secret, &code, now, Some(step)), None);
        assert_eq!(verify(&secret, &code, now + 10, Some(step)), None);
        // An older, still-in-window code is refused once a newer one was used.
        assert_eq!(verify(&secret, &code_at(&secret, now - 30), now, Some(step)), None);
        // The next step's code is still fine.
        assert_eq!(verify(&secret, &code_at(&secret, now + 30), now + 30, Some(step)), Some(step + 1));
        assert_eq!(verify(&secret, &code, now, Some(step - 1)), Some(step));
    }

    #[test]
    fn verify_tolerates_spacing() {
        let secret = rfc_secret();
        assert_eq!(code_at(&secret, 59), "287082");
        assert_eq!(verify(&secret, "287 082", 59, None), Some(1));
        assert_eq!(verify(&secret, "  287082\n", 59, None), Some(1));
        assert_eq!(verify(&secret, "\t287 082 ", 59, None), Some(1));
    }

    #[test]
    fn verify_rejects_malformed_codes() {
        let secret = rfc_secret();
        for bad in ["", "12345", "1234567", "abcdef", "28708a", "2870822", "+87082", "287-082", "２８７０８２"] {
            assert_eq!(verify(&secret, bad, 59, None), None, "{bad:?}");
        }
    }

    #[test]
    fn otpauth_uri_for_authenticator_apps() {
        assert_eq!(
            otpauth_uri(&rfc_secret(), "Manna", "ann@example.com"),
            "otpauth://totp/Manna:ann%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Manna&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn otpauth_uri_encodes_reserved_and_non_ascii() {
        let uri = otpauth_uri(&rfc_secret(), "Acme: Co & Sons", "zoë+1@x.y");
        assert!(uri.starts_with("otpauth://totp/Acme%3A%20Co%20%26%20Sons:zo%C3%AB%2B1%40x.y?secret="), "{uri}");
        assert!(uri.contains("&issuer=Acme%3A%20Co%20%26%20Sons&"), "{uri}");
        assert_eq!(percent_encode("A-z.0_9~"), "A-z.0_9~");
    }

    #[test]
    fn recovery_codes_format_and_normalize() {
        assert_eq!(format_recovery_code([0; 8]), "aaaaa-aaaaa");
        assert_eq!(format_recovery_code([0xff; 8]), "77777-77777");
        assert_eq!(format_recovery_code(*b"foobar\0\0"), "mzxw6-ytboi");
        assert_eq!(normalize_recovery_code("mzxw6-ytboi"), "mzxw6ytboi");
        assert_eq!(normalize_recovery_code(" MZXW6 YTBOI "), "mzxw6ytboi");
        assert_eq!(normalize_recovery_code("mz-xw6-yt-boi"), "mzxw6ytboi");
    }

    proptest! {
        #[test]
        fn base32_round_trips(bytes in proptest::collection::vec(any::<u8>(), 16..64)) {
            let secret = TotpSecret::from_bytes(bytes.clone()).unwrap();
            let encoded = secret.to_base32();
            prop_assert!(!encoded.contains('='));
            prop_assert_eq!(TotpSecret::from_base32(&encoded).unwrap().as_bytes().to_vec(), bytes.clone());
            let typed = encoded.to_lowercase();
            prop_assert_eq!(TotpSecret::from_base32(&typed).unwrap().as_bytes().to_vec(), bytes);
        }

        #[test]
        fn verify_never_panics(
            code in ".{0,20}",
            time in any::<u64>(),
            last in proptest::option::of(any::<u64>()),
        ) {
            let _ = verify(&rfc_secret(), &code, time, last);
        }

        #[test]
        fn fresh_codes_verify(bytes in proptest::collection::vec(any::<u8>(), 16..64), time in any::<u64>()) {
            let secret = TotpSecret::from_bytes(bytes).unwrap();
            let code = code_at(&secret, time);
            prop_assert_eq!(code.len(), DIGITS);
            prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
            let step = verify(&secret, &code, time, None);
            // Another step in the window may collide (one in a million); it is never further away.
            prop_assert!(step.is_some_and(|s| s.abs_diff(time / STEP_SECONDS) <= 1));
        }

        #[test]
        fn recovery_codes_normalize_to_ten_chars(bytes in any::<[u8; 8]>()) {
            let formatted = format_recovery_code(bytes);
            prop_assert_eq!(formatted.len(), 11);
            let normalized = normalize_recovery_code(&formatted);
            prop_assert_eq!(normalized.len(), 10);
            prop_assert!(normalized.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7')));
            prop_assert_eq!(normalize_recovery_code(&formatted.to_uppercase()), normalized);
        }
    }
}
