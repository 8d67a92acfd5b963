//! Parsing what a form or URL sends into typed values, with errors a person can act on.

use crate::error::AppError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

/// An id from the page. One that does not parse cannot name anything of the user's,
/// so it is "not found", as someone else's id would be.
pub fn id(value: &str) -> Result<Uuid, AppError> {
    value.trim().parse().map_err(|_| AppError::NotFound)
}

/// An id that may be left empty.
pub fn optional_id(value: &str) -> Result<Option<Uuid>, AppError> {
    if value.trim().is_empty() { Ok(None) } else { id(value).map(Some) }
}

pub fn date(field: &str, value: &str) -> Result<NaiveDate, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::Invalid(format!("{field}: enter a date")));
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| AppError::Invalid(format!("{field}: \"{v}\" is not a date like 2024-01-31")))
}

pub fn optional_date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => date(field, v).map(Some),
    }
}

pub fn amount(field: &str, value: &str) -> Result<Decimal, AppError> {
    manna_core::parse_amount(value).map_err(|e| AppError::Invalid(format!("{field}: {e}")))
}

pub fn optional_amount(field: &str, value: Option<&str>) -> Result<Option<Decimal>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => amount(field, v).map(Some),
    }
}

/// A description or name: trimmed, not empty, at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::Invalid(format!("{field}: cannot be empty")));
    }
    if v.chars().count() > max {
        return Err(AppError::Invalid(format!("{field}: at most {max} characters")));
    }
    Ok(v.to_string())
}

/// Free text that may be empty (notes): `None` when blank.
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<Option<String>, AppError> {
    if value.trim().is_empty() { Ok(None) } else { text(field, value, max).map(Some) }
}

/// A yes/no choice in a URL: "yes" / "no", anything else is "either".
pub fn tristate(value: Option<&str>) -> Option<bool> {
    match value.map(str::trim) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            date("From", "31/01/2024"),
            Err(AppError::Invalid("From: \"31/01/2024\" is not a date like 2024-01-31".into()))
        );
        assert!(matches!(amount("Amount", "1.234"), Err(AppError::Invalid(m)) if m.starts_with("Amount:")));
        assert_eq!(id("nope"), Err(AppError::NotFound));
        assert_eq!(optional_id(" "), Ok(None));
        assert_eq!(tristate(Some("yes")), Some(true));
        assert_eq!(tristate(Some("any")), None);
        assert_eq!(optional_text("Notes", "  ", 10), Ok(None));
        assert!(text("Name", &"x".repeat(11), 10).is_err());
    }
}
