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

/// The two legs of a transfer of `amount` (positive) from one account to another:
/// out of the source, into the destination. They sum to zero by construction.
pub fn transfer_legs(amount: Decimal) -> [Decimal; 2] {
    let amount = amount.abs();
    [-amount, amount]
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("a split needs at least two parts")]
    TooFewParts,
    #[error("a split part cannot be zero")]
    ZeroPart,
    #[error("the parts add up to {parts}, not the transaction's {total}")]
    DoesNotAddUp { total: Decimal, parts: Decimal },
    #[error("split parts must have the transaction's sign")]
    WrongSign,
}

/// Checks the parts of a split against the transaction: at least two, none zero, all
/// with the transaction's sign, adding up to it exactly.
pub fn check_split(total: Decimal, parts: &[Decimal]) -> Result<(), SplitError> {
    if parts.len() < 2 {
        return Err(SplitError::TooFewParts);
    }
    if parts.iter().any(|p| p.is_zero()) {
        return Err(SplitError::ZeroPart);
    }
    if parts.iter().any(|p| p.is_sign_negative() != total.is_sign_negative()) {
        return Err(SplitError::WrongSign);
    }
    let sum: Decimal = parts.iter().copied().sum();
    if sum != total {
        return Err(SplitError::DoesNotAddUp { total, parts: sum });
    }
    Ok(())
}

/// Splits `total` into `n` parts that differ by at most one cent and add up to it
/// exactly (the first parts take the leftover cents). `n` of 0 gives no parts.
pub fn split_evenly(total: Decimal, n: usize) -> Vec<Decimal> {
    if n == 0 {
        return Vec::new();
    }
    let cents = (total * Decimal::ONE_HUNDRED).round_dp(0);
    let n_dec = Decimal::from(n as u64);
    let base = (cents / n_dec).trunc();
    let leftover = cents - base * n_dec; // same sign as total, |leftover| < n
    let step = if leftover.is_sign_negative() { -Decimal::ONE } else { Decimal::ONE };
    let extra = leftover.abs();
    (0..n)
        .map(|i| {
            let c = if Decimal::from(i as u64) < extra { base + step } else { base };
            c / Decimal::ONE_HUNDRED
        })
        .collect()
}

/// The balance after each row, from `opening`, for rows in display order oldest
/// first; the last equals the opening plus the sum of the shown rows.
pub fn running_totals(opening: Decimal, amounts: &[Decimal]) -> Vec<Decimal> {
    amounts
        .iter()
        .scan(opening, |balance, a| {
            *balance += *a;
            Some(*balance)
        })
        .collect()
}

/// The running total beside each row of a list shown newest first: `top` is the sum
/// of the first shown row and every row after it in the whole filtered list, and each
/// next row's total drops the row above. The first minus the last total, plus the
/// last amount, is the sum of the shown rows.
pub fn running_totals_down(top: Decimal, amounts: &[Decimal]) -> Vec<Decimal> {
    amounts
        .iter()
        .scan(top, |balance, a| {
            let here = *balance;
            *balance -= *a;
            Some(here)
        })
        .collect()
}

/// How far a reconciliation is from agreeing with the statement: the statement's
/// ending balance minus the cleared balance (what is reconciled plus what is ticked).
/// Ledger sums are "into the account"; a card or loan statement shows what is owed,
/// so for those the cleared sum is negated first.
pub fn reconciliation_difference(statement_balance: Decimal, cleared_sum: Decimal, liability: bool) -> Decimal {
    let cleared = if liability { -cleared_sum } else { cleared_sum };
    statement_balance - cleared
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("a tag can be at most {MAX_TAG_LEN} characters: \"{0}\"")]
    TooLong(String),
    #[error("at most {MAX_TAGS} tags per transaction")]
    TooMany,
}

pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_LEN: usize = 40;

/// Tags as a person types them, comma separated: trimmed, lower-cased, inner
/// whitespace collapsed, empty ones and repeats dropped, first-seen order kept.
pub fn parse_tags(input: &str) -> Result<Vec<String>, TagError> {
    let mut tags: Vec<String> = Vec::new();
    for raw in input.split(',') {
        let tag = raw.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if tag.is_empty() || tags.contains(&tag) {
            continue;
        }
        if tag.chars().count() > MAX_TAG_LEN {
            return Err(TagError::TooLong(tag));
        }
        tags.push(tag);
    }
    if tags.len() > MAX_TAGS {
        return Err(TagError::TooMany);
    }
    Ok(tags)
}

/// An account's balance at the end of each month, walking back from today's balance:
/// `months` are (month, net of the ledger in that month), oldest first, up to the
/// current month. Ledger sums are "into the account"; a card or loan shows what is
/// owed, so its balance moves the other way.
pub fn month_end_balances(
    current: Decimal,
    liability: bool,
    months: &[(NaiveDate, Decimal)],
) -> Vec<(NaiveDate, Decimal)> {
    let mut ledger = if liability { -current } else { current };
    let mut out: Vec<(NaiveDate, Decimal)> = months
        .iter()
        .rev()
        .map(|(month, net)| {
            let end = ledger;
            ledger -= *net;
            (*month, if liability { -end } else { end })
        })
        .collect();
    out.reverse();
    out
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

    use proptest::prelude::*;

    fn cents() -> impl Strategy<Value = Decimal> {
        (-99_999_999_999i64..=99_999_999_999i64).prop_map(|c| Decimal::new(c, 2))
    }

    proptest! {
        #[test]
        fn transfer_legs_balance(amount in cents()) {
            let legs = transfer_legs(amount);
            prop_assert!(journal_balances(&legs) || amount.is_zero());
            prop_assert_eq!(legs[0] + legs[1], Decimal::ZERO);
        }

        #[test]
        fn even_splits_add_up_exactly(total in cents(), n in 1usize..40) {
            let parts = split_evenly(total, n);
            prop_assert_eq!(parts.len(), n);
            prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), total);
            let max = parts.iter().max().unwrap();
            let min = parts.iter().min().unwrap();
            prop_assert!(*max - *min <= Decimal::new(1, 2));
            prop_assert!(parts.iter().all(|p| p.scale() <= 2));
            if parts.iter().all(|p| !p.is_zero()) && n >= 2 {
                prop_assert_eq!(check_split(total, &parts), Ok(()));
            }
        }

        #[test]
        fn a_split_off_by_a_cent_is_refused(total in cents(), n in 2usize..10) {
            let mut parts = split_evenly(total, n);
            parts[0] += Decimal::new(1, 2);
            prop_assert!(check_split(total, &parts).is_err());
        }

        #[test]
        fn running_totals_down_cover_the_shown_rows(top in cents(), amounts in proptest::collection::vec(cents(), 1..60)) {
            let totals = running_totals_down(top, &amounts);
            prop_assert_eq!(totals.len(), amounts.len());
            prop_assert_eq!(totals[0], top);
            let shown: Decimal = amounts.iter().copied().sum();
            prop_assert_eq!(totals[0] - totals[amounts.len() - 1] + amounts[amounts.len() - 1], shown);
            for i in 1..amounts.len() {
                prop_assert_eq!(totals[i - 1] - totals[i], amounts[i - 1]);
            }
        }

        #[test]
        fn tags_parse_idempotently(input in "[a-zA-Z ,]{0,80}") {
            if let Ok(tags) = parse_tags(&input) {
                prop_assert_eq!(parse_tags(&tags.join(",")), Ok(tags.clone()));
                prop_assert!(tags.iter().all(|t| !t.is_empty() && t.trim() == t));
            }
        }

        #[test]
        fn running_totals_end_at_the_sum(opening in cents(), amounts in proptest::collection::vec(cents(), 0..60)) {
            let totals = running_totals(opening, &amounts);
            prop_assert_eq!(totals.len(), amounts.len());
            let expected = opening + amounts.iter().copied().sum::<Decimal>();
            prop_assert_eq!(totals.last().copied().unwrap_or(opening), expected);
            for (i, t) in totals.iter().enumerate() {
                prop_assert_eq!(*t, opening + amounts[..=i].iter().copied().sum::<Decimal>());
            }
        }
    }

    #[test]
    fn splits_with_reasons() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(check_split(d("-100.00"), &[d("-60.00"), d("-40.00")]), Ok(()));
        assert_eq!(check_split(d("-100.00"), &[d("-100.00")]), Err(SplitError::TooFewParts));
        assert_eq!(check_split(d("-100.00"), &[d("-100.00"), d("0")]), Err(SplitError::ZeroPart));
        assert_eq!(check_split(d("-100.00"), &[d("-120.00"), d("20.00")]), Err(SplitError::WrongSign));
        assert_eq!(
            check_split(d("-100.00"), &[d("-60.00"), d("-39.99")]),
            Err(SplitError::DoesNotAddUp { total: d("-100.00"), parts: d("-99.99") })
        );
        assert_eq!(split_evenly(d("10.00"), 3), vec![d("3.34"), d("3.33"), d("3.33")]);
        assert_eq!(split_evenly(d("-10.00"), 3), vec![d("-3.34"), d("-3.33"), d("-3.33")]);
    }

    #[test]
    fn month_end_balances_walk_back_from_today() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let m = |mo: u32| date(2024, mo, 1);
        let months = [(m(1), d("100.00")), (m(2), d("-30.00")), (m(3), d("10.00"))];
        assert_eq!(
            month_end_balances(d("580.00"), false, &months),
            vec![(m(1), d("600.00")), (m(2), d("570.00")), (m(3), d("580.00"))]
        );
        // A card owing 50 after a month of 20 purchases owed 30 the month before.
        let card = [(m(1), d("0")), (m(2), d("-20.00"))];
        assert_eq!(month_end_balances(d("50.00"), true, &card), vec![(m(1), d("30.00")), (m(2), d("50.00"))]);
    }

    #[test]
    fn reconciliation_differences() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(reconciliation_difference(d("1000.00"), d("1000.00"), false), Decimal::ZERO);
        assert_eq!(reconciliation_difference(d("1000.00"), d("990.00"), false), d("10.00"));
        // A card statement shows 250.00 owed; the ledger holds -250.00 of purchases.
        assert_eq!(reconciliation_difference(d("250.00"), d("-250.00"), true), Decimal::ZERO);
    }

    #[test]
    fn tags_with_reasons() {
        assert_eq!(parse_tags(" Trip ,  work  travel,trip,, "), Ok(vec!["trip".into(), "work travel".into()]));
        assert_eq!(parse_tags(""), Ok(vec![]));
        assert!(matches!(parse_tags(&"x".repeat(41)), Err(TagError::TooLong(_))));
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(parse_tags(&many.join(",")), Err(TagError::TooMany));
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
