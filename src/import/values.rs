//! The two values every statement row has, read from a bank's text: an amount and a date.
//!
//! Both readers are linear in their input, never panic, and answer with a message a person
//! can act on. Amounts are read digit by digit into cents (never through a float) and must
//! fit Manna's `NUMERIC(15,2)`; dates must fall between [`MIN_DATE`] and [`MAX_DATE`].

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The earliest date a statement row may carry.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
/// The latest date a statement row may carry.
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2200, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// How a file writes numeric dates like `01/02/2024`. A four-digit first number is always
/// read year-month-day, whatever the order says, and month names (`15 Jan 2024`) need none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `01/02/2024` is January 2 (United States).
    MonthFirst,
    /// `01/02/2024` is February 1 (most of the world).
    DayFirst,
    /// `24/01/02` is 2024-01-02.
    YearFirst,
}

impl DateOrder {
    pub fn label(self) -> &'static str {
        match self {
            DateOrder::MonthFirst => "month/day/year",
            DateOrder::DayFirst => "day/month/year",
            DateOrder::YearFirst => "year/month/day",
        }
    }
}

/// Which character separates cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecimalMark {
    /// `1,234.56`
    Point,
    /// `1.234,56`
    Comma,
    /// OFX: its amounts have no grouping, and the spec allows either mark.
    Either,
}

/// Cuts what a person typed down to a length fit for an error message.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()),
        None => text.to_string(),
    }
}

const CURRENCY_SIGNS: [char; 6] = ['$', '€', '£', '¥', '₹', '¤'];

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn strip_code_prefix(s: &str) -> Option<&str> {
    let code = s.get(..3)?;
    let rest = s.get(3..)?;
    let boundary = rest.chars().next().is_none_or(|c| !c.is_alphabetic());
    (code.bytes().all(|b| b.is_ascii_uppercase()) && boundary).then_some(rest)
}

fn strip_code_suffix(s: &str) -> Option<&str> {
    let at = s.len().checked_sub(3)?;
    let code = s.get(at..)?;
    let rest = s.get(..at)?;
    let boundary = rest.chars().next_back().is_none_or(|c| !c.is_alphabetic());
    (code.bytes().all(|b| b.is_ascii_uppercase()) && boundary).then_some(rest)
}

/// Reads a bank's amount: `1,234.56`, `-12.30`, `(12.30)`, `12.30-`, `$12.30`, `-$5`,
/// `€ 12,30` and `1.234,56` (with [`DecimalMark::Comma`]), `1 234,56`, `USD 5.00`.
/// Grouping must be well formed (`12,34` with a decimal point is refused, not read as
/// 1234), at most two decimals, and less than 10^13 in magnitude.
pub(crate) fn parse_money(text: &str, mark: DecimalMark) -> Result<Decimal, String> {
    let shown = shorten(text);
    let not_amount = || format!("\"{shown}\" is not an amount");
    let mut s = text.trim_matches(is_space);
    if s.is_empty() {
        return Err("the amount is empty".to_string());
    }
    let (mut signs, mut currencies, mut negative) = (0u8, 0u8, false);
    // Each pass peels one sign, one pair of parentheses or one currency marker off an end.
    for _ in 0..8 {
        s = s.trim_matches(is_space);
        if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            (s, signs, negative) = (inner, signs + 1, true);
        } else if let Some(rest) = s.strip_prefix(['-', '−']).or_else(|| s.strip_suffix(['-', '−'])) {
            (s, signs, negative) = (rest, signs + 1, true);
        } else if let Some(rest) = s.strip_prefix('+').or_else(|| s.strip_suffix('+')) {
            (s, signs) = (rest, signs + 1);
        } else if let Some(rest) = s
            .strip_prefix(CURRENCY_SIGNS)
            .or_else(|| s.strip_suffix(CURRENCY_SIGNS))
            .or_else(|| strip_code_prefix(s))
            .or_else(|| strip_code_suffix(s))
        {
            (s, currencies) = (rest, currencies + 1);
        } else {
            break;
        }
    }
    if signs > 1 || currencies > 1 {
        return Err(not_amount());
    }
    // Spaces and apostrophes group thousands (`1 234,56`, `1'234.56`): drop them.
    let mut core = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '0'..='9' | '.' | ',' => core.push(c),
            '\'' | '’' => {}
            c if is_space(c) => {}
            _ => return Err(not_amount()),
        }
    }
    let (decimal, group) = match mark {
        DecimalMark::Point => (Some('.'), Some(',')),
        DecimalMark::Comma => (Some(','), Some('.')),
        DecimalMark::Either => match (core.rfind('.'), core.rfind(',')) {
            (Some(d), Some(c)) if d > c => (Some('.'), Some(',')),
            (Some(_), Some(_)) => (Some(','), Some('.')),
            (Some(_), None) if core.matches('.').count() == 1 => (Some('.'), None),
            (Some(_), None) => (None, Some('.')),
            (None, Some(_)) if core.matches(',').count() == 1 => (Some(','), None),
            (None, Some(_)) => (None, Some(',')),
            (None, None) => (None, None),
        },
    };
    let (int_part, frac_part) = match decimal.and_then(|d| core.split_once(d)) {
        Some((i, f)) => (i, f),
        None => (core.as_str(), ""),
    };
    let wrong_mark = |other: char| {
        let hint = if other == ',' { "a decimal comma" } else { "a decimal point" };
        format!("\"{shown}\" is not an amount here; does this file use {hint}?")
    };
    if !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_amount());
    }
    let int_digits = match group {
        Some(g) if int_part.contains(g) => {
            let chunks: Vec<&str> = int_part.split(g).collect();
            let last = chunks.len().saturating_sub(1);
            let well_formed = chunks.iter().enumerate().all(|(i, chunk)| {
                let digits = chunk.bytes().all(|b| b.is_ascii_digit());
                let len_ok = match i {
                    0 => (1..=3).contains(&chunk.len()),
                    i if i == last => chunk.len() == 3,
                    _ => (2..=3).contains(&chunk.len()),
                };
                digits && len_ok
            });
            if !well_formed {
                let looks_decimal = chunks.len() == 2 && frac_part.is_empty() && decimal.is_some();
                return Err(if looks_decimal { wrong_mark(g) } else { not_amount() });
            }
            chunks.concat()
        }
        _ => int_part.to_string(),
    };
    if !int_digits.bytes().all(|b| b.is_ascii_digit()) || (int_digits.is_empty() && frac_part.is_empty()) {
        return Err(not_amount());
    }
    let int_digits = int_digits.trim_start_matches('0');
    let frac_digits = frac_part.trim_end_matches('0');
    if frac_digits.len() > 2 {
        return Err(format!("\"{shown}\" has more than 2 decimal places"));
    }
    if int_digits.len() > 13 {
        return Err(format!("\"{shown}\" is too large (the limit is 9,999,999,999,999.99)"));
    }
    let whole: i64 = if int_digits.is_empty() { 0 } else { int_digits.parse().map_err(|_| not_amount())? };
    let mut cents_text = frac_digits.to_string();
    while cents_text.len() < 2 {
        cents_text.push('0');
    }
    let cents: i64 = cents_text.parse().map_err(|_| not_amount())?;
    // At most 13 + 2 digits: far inside i64.
    let total = whole.saturating_mul(100).saturating_add(cents);
    Ok(Decimal::new(if negative { -total } else { total }, 2))
}

/// An amount in Manna's shape: two decimals, and zero without a sign.
pub(crate) fn tidy_amount(amount: Decimal) -> Decimal {
    if amount.is_zero() {
        return Decimal::new(0, 2);
    }
    let mut amount = amount;
    amount.rescale(2);
    amount
}

/// Whether a cell looks like an amount in either notation (for the CSV guesser).
pub(crate) fn looks_like_amount(text: &str) -> bool {
    let t = text.trim();
    t.bytes().any(|b| b.is_ascii_digit())
        && (parse_money(t, DecimalMark::Point).is_ok() || parse_money(t, DecimalMark::Comma).is_ok())
}

/// What one amount says about the file's decimal mark: `Some(true)` for `12,34` or
/// `1.234,56`, `Some(false)` for `12.34` or `1,234.56`, `None` for `12` or `-5`.
pub(crate) fn decimal_comma_evidence(text: &str) -> Option<bool> {
    let t = text.trim().trim_end_matches(|c: char| !c.is_ascii_digit());
    let last = t.rfind(['.', ','])?;
    let mark = t.get(last..)?.chars().next()?;
    let after = t.get(last + 1..)?;
    let tail_digits = after.len();
    match (mark, tail_digits) {
        (',', 1..=2) => Some(true),
        ('.', 1..=2) => Some(false),
        // `1,234` groups thousands with commas; `1.234` with points.
        (',', 3) => Some(false),
        ('.', 3) => Some(true),
        _ => None,
    }
}

/// Accepts a date only inside the years Manna stores.
pub(crate) fn check_date_range(date: NaiveDate, shown: &str) -> Result<NaiveDate, String> {
    if (MIN_DATE..=MAX_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(format!("\"{shown}\" is outside the years 1900 to 2200"))
    }
}

#[derive(Debug, Clone, Copy)]
enum Part<'a> {
    Number { value: u32, digits: usize, after_apostrophe: bool },
    Word(&'a str),
}

fn month_from_name(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let lower = word.to_lowercase();
    let lower = if lower == "sept" { "sep".to_string() } else { lower };
    let index = NAMES.iter().position(|n| lower.len() >= 3 && n.starts_with(&lower))?;
    u32::try_from(index + 1).ok()
}

/// Splits a date into its three parts; anything after them must be a time
/// (`2024-01-02T10:00`, `01/02/2024 10:00`).
fn date_parts(s: &str) -> Option<Vec<Part<'_>>> {
    let mut parts = Vec::with_capacity(3);
    let mut apostrophe = false;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if parts.len() == 3 {
            let time_follows = c.is_whitespace() || ((c == 'T' || c == 't') && rest.len() > 1);
            return time_follows.then_some(parts);
        }
        if c.is_ascii_digit() {
            let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            let digits = rest.get(..end)?;
            if digits.len() > 8 {
                return None;
            }
            let value = digits.parse().ok()?;
            parts.push(Part::Number { value, digits: digits.len(), after_apostrophe: apostrophe });
            apostrophe = false;
            rest = rest.get(end..)?;
        } else if c.is_alphabetic() {
            let end = rest.find(|c: char| !c.is_alphabetic()).unwrap_or(rest.len());
            parts.push(Part::Word(rest.get(..end)?));
            rest = rest.get(end..)?;
        } else if matches!(c, '/' | '-' | '.' | ',' | ' ' | '\'') {
            apostrophe |= c == '\'';
            rest = rest.get(c.len_utf8()..)?;
        } else {
            return None;
        }
    }
    Some(parts)
}

fn expand_year(value: u32, digits: usize, after_apostrophe: bool) -> Option<i32> {
    let value = i32::try_from(value).ok()?;
    match digits {
        // Quicken writes 2000s years after an apostrophe (`1/ 2'24`); elsewhere a two-digit
        // year follows the POSIX rule: 69–99 are 1900s, 00–68 the 2000s.
        1 | 2 if after_apostrophe => Some(2000 + value),
        1 | 2 if value >= 69 => Some(1900 + value),
        1 | 2 => Some(2000 + value),
        4 => Some(value),
        _ => None,
    }
}

/// Reads a date in the forms banks write: `01/02/2024`, `1/2/24`, `1/ 2'24`, `2024-01-02`,
/// `01.02.2024`, `20240102`, `15 Jan 2024`, `Jan 15, 2024`, optionally followed by a time.
/// `order` decides only what a numeric `a/b/c` means; nothing is guessed here.
pub(crate) fn parse_date(text: &str, order: DateOrder) -> Result<NaiveDate, String> {
    let s = text.trim();
    let shown = shorten(s);
    if s.is_empty() {
        return Err("the date is empty".to_string());
    }
    let bad = || format!("\"{shown}\" is not a date (reading it as {})", order.label());
    let parts = date_parts(s).ok_or_else(bad)?;
    let (year, month, day) = match parts.as_slice() {
        [Part::Number { value, digits: 8, .. }] => (i32::try_from(value / 10_000).ok(), value / 100 % 100, value % 100),
        [a, b, c] => {
            let words: Vec<&str> = [a, b, c]
                .iter()
                .filter_map(|p| match p {
                    Part::Word(w) => Some(*w),
                    Part::Number { .. } => None,
                })
                .collect();
            let numbers: Vec<(u32, usize, bool)> = [a, b, c]
                .iter()
                .filter_map(|p| match p {
                    Part::Number { value, digits, after_apostrophe } => Some((*value, *digits, *after_apostrophe)),
                    Part::Word(_) => None,
                })
                .collect();
            match (words.as_slice(), numbers.as_slice()) {
                ([word], [first, second]) => {
                    let month = month_from_name(word).ok_or_else(bad)?;
                    let (day, year) = if first.1 == 4 { (second, first) } else { (first, second) };
                    if day.1 > 2 {
                        return Err(bad());
                    }
                    (expand_year(year.0, year.1, year.2), month, day.0)
                }
                ([], [x, y, z]) => {
                    let (y, m, d) = if x.1 == 4 {
                        (x, y, z)
                    } else {
                        match order {
                            DateOrder::MonthFirst => (z, x, y),
                            DateOrder::DayFirst => (z, y, x),
                            DateOrder::YearFirst => (x, y, z),
                        }
                    };
                    if m.1 > 2 || d.1 > 2 {
                        return Err(bad());
                    }
                    (expand_year(y.0, y.1, y.2), m.0, d.0)
                }
                _ => return Err(bad()),
            }
        }
        _ => return Err(bad()),
    };
    let date = year.and_then(|y| NaiveDate::from_ymd_opt(y, month, day)).ok_or_else(bad)?;
    check_date_range(date, &shown)
}

/// What a column or a file's dates say about their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderGuess {
    /// One order reads every date (or every order reads them all the same way).
    Only(DateOrder),
    /// Both month-first and day-first read every date, differently: ask the person.
    Ambiguous,
    /// No order reads every date.
    NoneFits,
}

/// Tries each order on every date; linear in the input.
pub(crate) fn guess_order<'a>(values: impl IntoIterator<Item = &'a str>) -> OrderGuess {
    let (mut month_ok, mut day_ok, mut year_ok) = (true, true, true);
    let (mut differ, mut seen, mut all_iso) = (false, false, true);
    for value in values {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        seen = true;
        let m = parse_date(value, DateOrder::MonthFirst).ok();
        let d = parse_date(value, DateOrder::DayFirst).ok();
        let y = parse_date(value, DateOrder::YearFirst).ok();
        month_ok &= m.is_some();
        day_ok &= d.is_some();
        year_ok &= y.is_some();
        differ |= m.is_some() && d.is_some() && m != d;
        all_iso &= m.is_some() && m == d && d == y;
        if !month_ok && !day_ok && !year_ok {
            return OrderGuess::NoneFits;
        }
    }
    match (seen, month_ok, day_ok) {
        (false, _, _) => OrderGuess::NoneFits,
        (true, true, true) if differ => OrderGuess::Ambiguous,
        (true, true, true) if all_iso => OrderGuess::Only(DateOrder::YearFirst),
        (true, true, _) => OrderGuess::Only(DateOrder::MonthFirst),
        (true, false, true) => OrderGuess::Only(DateOrder::DayFirst),
        (true, false, false) if year_ok => OrderGuess::Only(DateOrder::YearFirst),
        _ => OrderGuess::NoneFits,
    }
}

#[cfg(test)]
#[path = "values_tests.rs"]
mod tests;
