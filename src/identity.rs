//! Who a person is to Manna: their email and the rules their password must meet.
//! Parsed at the boundary, so a value that exists is valid.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address as typed (trimmed), compared case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("enter your email address")]
    EmailEmpty,
    #[error("\"{0}\" does not look like an email address (name@example.com)")]
    EmailInvalid(String),
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters long")]
    PasswordTooShort,
    #[error("the password must be at most {MAX_PASSWORD_CHARS} characters long")]
    PasswordTooLong,
    #[error("the password is too easy to guess; use a longer phrase of unrelated words")]
    PasswordTooCommon,
    #[error("the password must not contain your email address")]
    PasswordContainsEmail,
    #[error("the display name must be at most 100 characters")]
    NameTooLong,
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, IdentityError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(IdentityError::EmailEmpty);
        }
        let invalid = || IdentityError::EmailInvalid(s.chars().take(80).collect());
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Email(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for lookups and uniqueness.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Passwords people reach for first; the length rule already excludes most lists.
const COMMON: [&str; 12] = [
    "password1234",
    "123456789012",
    "qwertyuiopas",
    "passwordpassword",
    "iloveyou1234",
    "letmein12345",
    "administrator",
    "welcome12345",
    "changeme1234",
    "qwerty123456",
    "abcdefghijkl",
    "111111111111",
];

/// Checks a new password (NIST 800-63B style: length over composition rules).
/// Returns the password unchanged: it is only ever hashed, never stored.
pub fn check_new_password<'a>(password: &'a str, email: &Email) -> Result<&'a str, IdentityError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(IdentityError::PasswordTooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(IdentityError::PasswordTooLong);
    }
    let lower = password.to_lowercase();
    let distinct: std::collections::HashSet<char> = lower.chars().collect();
    if distinct.len() < 4 || COMMON.contains(&lower.as_str()) {
        return Err(IdentityError::PasswordTooCommon);
    }
    let local = email.normalized();
    let local = local.split('@').next().unwrap_or("");
    if local.len() >= 4 && lower.contains(local) {
        return Err(IdentityError::PasswordContainsEmail);
    }
    Ok(password)
}

pub fn check_display_name(name: &str) -> Result<String, IdentityError> {
    let cleaned: String = name.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim();
    if cleaned.chars().count() > 100 {
        return Err(IdentityError::NameTooLong);
    }
    Ok(cleaned.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse("  Ann@Example.com ").unwrap().as_str(), "Ann@Example.com");
        assert_eq!(Email::parse("Ann@Example.com").unwrap().normalized(), "ann@example.com");
        assert!(Email::parse("a.b+tag@mail.example.co.uk").is_ok());
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "a n@example.com",
            "ann@.com",
            "ann@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn passwords() {
        let email = Email::parse("ann.smith@example.com").unwrap();
        assert!(check_new_password("correct horse battery", &email).is_ok());
        assert_eq!(check_new_password("short", &email), Err(IdentityError::PasswordTooShort));
        assert_eq!(check_new_password(&"x".repeat(129), &email), Err(IdentityError::PasswordTooLong));
        assert_eq!(check_new_password("aaaaaaaaaaaaaaaa", &email), Err(IdentityError::PasswordTooCommon));
        assert_eq!(check_new_password("Password1234", &email), Err(IdentityError::PasswordTooCommon));
        assert_eq!(check_new_password("my ann.smith secret", &email), Err(IdentityError::PasswordContainsEmail));
        // Length counts characters, not bytes.
        assert_eq!(check_new_password("ééééééééééé", &email), Err(IdentityError::PasswordTooShort));
    }

    #[test]
    fn display_names() {
        assert_eq!(check_display_name("  Ann \u{7}").unwrap(), "Ann");
        assert!(check_display_name(&"n".repeat(101)).is_err());
    }
}
