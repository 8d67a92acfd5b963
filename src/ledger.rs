//! Ledger rules that hold whatever stores the rows: tax years and balanced journals.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// The tax year a date belongs to, for a fiscal year that starts on the first day of
/// `fiscal_start_month` (1 = January: the calendar year). A fiscal year is named after
/// the calendar year in which it ends, as most tax authorities do (a July–June year
/// that ends in June 2025 is 2025). Months outside 1..=12 are treated as January.
///
/// The database assigns the same value in a trigger (`manna_tax_year`); a test checks
/// the two agree.
pub fn tax_year(date: NaiveDate, fiscal_start_month: u32) -> i32 {
    let start = if (1..=12).contains(&fiscal_start_month) { fiscal_start_month } else { 1 };
    if start == 1 || date.month() < start { date.year() } else { date.year() + 1 }
}

/// Whether the legs of a journal entry balance: they sum to exactly zero and there
/// are at least two of them.
pub fn journal_balances(legs: &[Decimal]) -> bool {
    legs.len() >= 2 && legs.iter().copied().sum::<Decimal>().is_zero()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn calendar_fiscal_year() {
        assert_eq!(tax_year(date(2024, 1, 1), 1), 2024);
        assert_eq!(tax_year(date(2024, 12, 31), 1), 2024);
    }

    #[test]
    fn july_fiscal_year_is_named_by_its_end() {
        assert_eq!(tax_year(date(2024, 6, 30), 7), 2024);
        assert_eq!(tax_year(date(2024, 7, 1), 7), 2025);
        assert_eq!(tax_year(date(2025, 1, 15), 7), 2025);
    }

    #[test]
    fn april_fiscal_year() {
        assert_eq!(tax_year(date(2024, 3, 31), 4), 2024);
        assert_eq!(tax_year(date(2024, 4, 1), 4), 2025);
    }

    #[test]
    fn bad_month_falls_back_to_calendar() {
        assert_eq!(tax_year(date(2024, 8, 1), 0), 2024);
        assert_eq!(tax_year(date(2024, 8, 1), 13), 2024);
    }

    #[test]
    fn journals() {
        let a = Decimal::new(12345, 2);
        assert!(journal_balances(&[a, -a]));
        assert!(!journal_balances(&[a, -a + Decimal::new(1, 2)]));
        assert!(!journal_balances(&[Decimal::ZERO]));
        assert!(journal_balances(&[a, Decimal::new(-10000, 2), Decimal::new(-2345, 2)]));
    }
}
