//! Money: exact decimals (never floats), formatting and parsing at the edges.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest magnitude a `NUMERIC(15,2)` column holds: 13 integer digits.
pub const MAX_ABS_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_7FFF, 0x0003_8D7E, 0, false, 2);

/// An ISO 4217 currency code (three ASCII upper-case letters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let code = code.trim();
        let bytes = code.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_alphabetic) {
            let mut out = [0u8; 3];
            for (o, b) in out.iter_mut().zip(bytes) {
                *o = b.to_ascii_uppercase();
            }
            Ok(Currency(out))
        } else {
            Err(MoneyError::BadCurrency(code.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// The symbol shown before an amount; the code itself when there is no common one.
    pub fn symbol(&self) -> &str {
        match &self.0 {
            b"USD" | b"CAD" | b"AUD" | b"NZD" => "$",
            b"EUR" => "€",
            b"GBP" => "£",
            b"JPY" => "¥",
            b"INR" => "₹",
            _ => self.as_str(),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("enter an amount, like 1234.56")]
    Empty,
    #[error("\"{0}\" is not an amount; use digits with an optional decimal point, like 1234.56")]
    NotANumber(String),
    #[error("amounts have at most 2 decimal places")]
    TooPrecise,
    #[error("amounts must be below 10,000,000,000,000")]
    TooLarge,
    #[error("\"{0}\" is not a currency code (three letters, like USD)")]
    BadCurrency(String),
}

/// Parses what a person types or what a bank file holds: `1234.56`, `-12`, `1,234.56`,
/// `$1,234.56`, `(12.00)` for a negative. Rejects more than two decimals rather than
/// silently rounding, and anything a `NUMERIC(15,2)` column cannot hold.
pub fn parse_amount(input: &str) -> Result<Decimal, MoneyError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(MoneyError::Empty);
    }
    let (negative_parens, inner) = match trimmed.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        Some(inner) => (true, inner.trim()),
        None => (false, trimmed),
    };
    let (negative_sign, inner) = match inner.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, inner.strip_prefix('+').unwrap_or(inner)),
    };
    let inner = inner.trim_start_matches(['$', '€', '£', '¥']).trim();
    let digits: String = inner.chars().filter(|c| *c != ',' && *c != '_').collect();
    let valid = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if !valid || (negative_parens && negative_sign) {
        return Err(MoneyError::NotANumber(trimmed.to_string()));
    }
    let value: Decimal = digits.parse().map_err(|_| MoneyError::NotANumber(trimmed.to_string()))?;
    if value.normalize().scale() > 2 {
        return Err(MoneyError::TooPrecise);
    }
    if value > MAX_ABS_AMOUNT {
        return Err(MoneyError::TooLarge);
    }
    let value = value.round_dp(2);
    Ok(if negative_parens || negative_sign { -value } else { value })
}

/// Formats an amount for people: `-$1,234.50`, `€0.00`, `CHF 12.00`.
pub fn format_money(amount: Decimal, currency: Currency) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let abs = rounded.abs();
    let text = format!("{abs:.2}");
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::with_capacity(int_part.len() + int_part.len() / 3);
    for (i, ch) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let symbol = currency.symbol();
    let sep = if symbol.len() == 3 && symbol.is_ascii() { " " } else { "" };
    let sign = if negative { "-" } else { "" };
    format!("{sign}{symbol}{sep}{grouped}.{frac_part}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn parses_common_shapes() {
        assert_eq!(parse_amount("1234.56"), Ok(d("1234.56")));
        assert_eq!(parse_amount(" 1,234.5 "), Ok(d("1234.50")));
        assert_eq!(parse_amount("$1,234.56"), Ok(d("1234.56")));
        assert_eq!(parse_amount("-12"), Ok(d("-12")));
        assert_eq!(parse_amount("(12.00)"), Ok(d("-12.00")));
        assert_eq!(parse_amount("+3.10"), Ok(d("3.10")));
        assert_eq!(parse_amount(".5"), Ok(d("0.5")));
    }

    #[test]
    fn rejects_bad_input_with_a_reason() {
        assert_eq!(parse_amount(""), Err(MoneyError::Empty));
        assert!(matches!(parse_amount("abc"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(parse_amount("1.2.3"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(parse_amount("-(1)"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(parse_amount("."), Err(MoneyError::NotANumber(_))));
        assert_eq!(parse_amount("1.234"), Err(MoneyError::TooPrecise));
        assert_eq!(parse_amount("10000000000000"), Err(MoneyError::TooLarge));
        assert_eq!(parse_amount("9999999999999.99"), Ok(d("9999999999999.99")));
    }

    #[test]
    fn trailing_zeros_are_not_extra_precision() {
        assert_eq!(parse_amount("1.2300"), Ok(d("1.23")));
    }

    #[test]
    fn max_amount_is_numeric_15_2() {
        assert_eq!(MAX_ABS_AMOUNT, d("9999999999999.99"));
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(format_money(d("1234.5"), Currency::USD), "$1,234.50");
        assert_eq!(format_money(d("-1234567.891"), Currency::USD), "-$1,234,567.89");
        assert_eq!(format_money(d("0"), Currency::USD), "$0.00");
        assert_eq!(format_money(d("-0.001"), Currency::USD), "$0.00");
        assert_eq!(format_money(d("999"), Currency::parse("chf").unwrap()), "CHF 999.00");
        assert_eq!(format_money(d("12"), Currency::parse("EUR").unwrap()), "€12.00");
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("usd").unwrap().as_str(), "USD");
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("U$D").is_err());
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(cents in -999_999_999_999_999i64..=999_999_999_999_999i64) {
            let amount = Decimal::new(cents, 2);
            let shown = format_money(amount, Currency::USD);
            prop_assert_eq!(parse_amount(&shown).unwrap(), amount);
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = parse_amount(&s);
        }
    }
}
