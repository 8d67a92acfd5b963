use super::*;
use proptest::prelude::*;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn ymd(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn amounts_with_a_decimal_point() {
    let p = |s| parse_money(s, DecimalMark::Point);
    assert_eq!(p("1,234.56"), Ok(d("1234.56")));
    assert_eq!(p("-12.30"), Ok(d("-12.30")));
    assert_eq!(p("(12.30)"), Ok(d("-12.30")));
    assert_eq!(p("($1,000.00)"), Ok(d("-1000")));
    assert_eq!(p("12.30-"), Ok(d("-12.30")));
    assert_eq!(p("$12.30"), Ok(d("12.30")));
    assert_eq!(p("-$5"), Ok(d("-5")));
    assert_eq!(p("$-5"), Ok(d("-5")));
    assert_eq!(p("+7.5"), Ok(d("7.50")));
    assert_eq!(p("USD 5.00"), Ok(d("5")));
    assert_eq!(p("5.00 USD"), Ok(d("5")));
    assert_eq!(p(".5"), Ok(d("0.50")));
    assert_eq!(p("1'234.50"), Ok(d("1234.50")));
    assert_eq!(p("1,23,456.78"), Ok(d("123456.78")));
    assert_eq!(p("0.00"), Ok(d("0")));
    assert_eq!(p("-0.00").unwrap().to_string(), "0.00");
    assert_eq!(p("1.2300"), Ok(d("1.23")));
    assert_eq!(p("−3.00"), Ok(d("-3")));
}

#[test]
fn amounts_with_a_decimal_comma() {
    let c = |s| parse_money(s, DecimalMark::Comma);
    assert_eq!(c("€ 12,30"), Ok(d("12.30")));
    assert_eq!(c("12,30 €"), Ok(d("12.30")));
    assert_eq!(c("1.234,56"), Ok(d("1234.56")));
    assert_eq!(c("-1.234,56"), Ok(d("-1234.56")));
    assert_eq!(c("1 234,56"), Ok(d("1234.56")));
    assert_eq!(c("1\u{a0}234,56"), Ok(d("1234.56")));
    assert_eq!(c("-5"), Ok(d("-5")));
}

#[test]
fn ofx_amounts_take_either_mark() {
    let e = |s| parse_money(s, DecimalMark::Either);
    assert_eq!(e("-4,50"), Ok(d("-4.50")));
    assert_eq!(e("-4.50"), Ok(d("-4.50")));
    assert_eq!(e("1.234,50"), Ok(d("1234.50")));
    assert_eq!(e("1,234.50"), Ok(d("1234.50")));
    assert_eq!(e("100"), Ok(d("100")));
    assert!(e("1,234").unwrap_err().contains("more than 2 decimal places"));
}

#[test]
fn amounts_refused_with_a_reason() {
    let p = |s| parse_money(s, DecimalMark::Point);
    assert_eq!(p(""), Err("the amount is empty".to_string()));
    assert_eq!(p("abc"), Err("\"abc\" is not an amount".to_string()));
    assert!(p("12,34").unwrap_err().contains("decimal comma"));
    assert!(parse_money("12.34", DecimalMark::Comma).unwrap_err().contains("decimal point"));
    assert!(p("1.234").unwrap_err().contains("more than 2 decimal places"));
    assert!(p("10000000000000").unwrap_err().contains("too large"));
    assert_eq!(p("9,999,999,999,999.99"), Ok(d("9999999999999.99")));
    assert_eq!(p("00000000000000000001.00"), Ok(d("1")));
    for bad in ["--5", "(-5)", "5-5", "1.2.3", ".", "-", "$", "$$5", "12 EUR USD", "1,2345.00", "1e5", "0x10", "NaN"] {
        assert!(p(bad).is_err(), "{bad} should not be an amount");
    }
    assert!(shorten(&"9".repeat(100)).ends_with('…'));
}

#[test]
fn decimal_mark_evidence() {
    assert_eq!(decimal_comma_evidence("12,34"), Some(true));
    assert_eq!(decimal_comma_evidence("1.234,56 €"), Some(true));
    assert_eq!(decimal_comma_evidence("(12.34)"), Some(false));
    assert_eq!(decimal_comma_evidence("1,234"), Some(false));
    assert_eq!(decimal_comma_evidence("-5"), None);
}

#[test]
fn numeric_dates_follow_the_order() {
    assert_eq!(parse_date("01/02/2024", DateOrder::MonthFirst), Ok(ymd(2024, 1, 2)));
    assert_eq!(parse_date("01/02/2024", DateOrder::DayFirst), Ok(ymd(2024, 2, 1)));
    assert_eq!(parse_date("24/01/02", DateOrder::YearFirst), Ok(ymd(2024, 1, 2)));
    assert_eq!(parse_date("1/2/24", DateOrder::MonthFirst), Ok(ymd(2024, 1, 2)));
    assert_eq!(parse_date("1/2/98", DateOrder::MonthFirst), Ok(ymd(1998, 1, 2)));
    assert_eq!(parse_date("31.01.2024", DateOrder::DayFirst), Ok(ymd(2024, 1, 31)));
    assert_eq!(parse_date("31-01-2024", DateOrder::DayFirst), Ok(ymd(2024, 1, 31)));
}

#[test]
fn quicken_apostrophe_years_are_2000s() {
    assert_eq!(parse_date("1/ 2'24", DateOrder::MonthFirst), Ok(ymd(2024, 1, 2)));
    assert_eq!(parse_date("12/31' 9", DateOrder::MonthFirst), Ok(ymd(2009, 12, 31)));
    assert_eq!(parse_date("12/31'99", DateOrder::MonthFirst), Ok(ymd(2099, 12, 31)));
    assert_eq!(parse_date(" 2/ 3/99", DateOrder::MonthFirst), Ok(ymd(1999, 2, 3)));
}

#[test]
fn unambiguous_forms_ignore_the_order() {
    for order in [DateOrder::MonthFirst, DateOrder::DayFirst, DateOrder::YearFirst] {
        assert_eq!(parse_date("2024-01-02", order), Ok(ymd(2024, 1, 2)));
        assert_eq!(parse_date("2024-01-02T13:45:00Z", order), Ok(ymd(2024, 1, 2)));
        assert_eq!(parse_date("2024/01/02 13:45", order), Ok(ymd(2024, 1, 2)));
        assert_eq!(parse_date("20240102", order), Ok(ymd(2024, 1, 2)));
        assert_eq!(parse_date("15 Jan 2024", order), Ok(ymd(2024, 1, 15)));
        assert_eq!(parse_date("Jan 15, 2024", order), Ok(ymd(2024, 1, 15)));
        assert_eq!(parse_date("15-Sept-24", order), Ok(ymd(2024, 9, 15)));
        assert_eq!(parse_date("2024 December 1", order), Ok(ymd(2024, 12, 1)));
    }
}

#[test]
fn dates_refused_with_a_reason() {
    let m = |s| parse_date(s, DateOrder::MonthFirst);
    assert_eq!(m(""), Err("the date is empty".to_string()));
    assert!(m("13/01/2024").unwrap_err().contains("reading it as month/day/year"));
    assert!(m("02/30/2024").is_err());
    assert!(m("1/2").is_err());
    assert!(m("1/2/3/4").is_err());
    assert!(m("01/02/2024x").is_err());
    assert!(m("Foo 1, 2024").is_err());
    assert!(m("123/1/2024").is_err());
    assert!(m("1/2/123").is_err());
    assert!(m("99999999999").is_err());
    assert!(m("1899-12-31").unwrap_err().contains("outside the years 1900 to 2200"));
    assert!(m("2201-01-01").is_err());
    assert_eq!(m("2200-12-31"), Ok(ymd(2200, 12, 31)));
    assert_eq!(m("1900-01-01"), Ok(ymd(1900, 1, 1)));
}

#[test]
fn guessing_the_order() {
    assert_eq!(guess_order(["01/02/2024", "13/02/2024"]), OrderGuess::Only(DateOrder::DayFirst));
    assert_eq!(guess_order(["01/02/2024", "02/13/2024"]), OrderGuess::Only(DateOrder::MonthFirst));
    assert_eq!(guess_order(["01/02/2024", "03/04/2024"]), OrderGuess::Ambiguous);
    assert_eq!(guess_order(["01/01/2024", "02/02/2024"]), OrderGuess::Only(DateOrder::MonthFirst));
    assert_eq!(guess_order(["2024-01-02", "2024-03-04"]), OrderGuess::Only(DateOrder::YearFirst));
    assert_eq!(guess_order(["13/02/2024", "02/13/2024"]), OrderGuess::NoneFits);
    assert_eq!(guess_order(["", " "]), OrderGuess::NoneFits);
    assert_eq!(guess_order(["24/01/31"]), OrderGuess::Only(DateOrder::DayFirst));
    assert_eq!(guess_order(["99/12/31"]), OrderGuess::Only(DateOrder::YearFirst));
}

proptest! {
    #[test]
    fn readers_never_panic(s in ".{0,60}") {
        for mark in [DecimalMark::Point, DecimalMark::Comma, DecimalMark::Either] {
            let _ = parse_money(&s, mark);
        }
        for order in [DateOrder::MonthFirst, DateOrder::DayFirst, DateOrder::YearFirst] {
            let _ = parse_date(&s, order);
        }
        let _ = decimal_comma_evidence(&s);
    }

    #[test]
    fn amounts_round_trip(cents in -999_999_999_999_999i64..=999_999_999_999_999i64) {
        let amount = Decimal::new(cents, 2);
        prop_assert_eq!(parse_money(&amount.to_string(), DecimalMark::Point), Ok(amount));
        prop_assert_eq!(parse_money(&amount.to_string().replace('.', ","), DecimalMark::Comma), Ok(amount));
        prop_assert_eq!(parse_money(&amount.to_string(), DecimalMark::Either), Ok(amount));
        let shown = crate::money::format_money(amount, crate::money::Currency::USD);
        prop_assert_eq!(parse_money(&shown, DecimalMark::Point), Ok(amount));
    }

    #[test]
    fn dates_round_trip(days in 0i64..110_000) {
        let date = MIN_DATE + chrono::Days::new(days.unsigned_abs());
        prop_assume!(date <= MAX_DATE);
        let md = date.format("%m/%d/%Y").to_string();
        let dm = date.format("%d.%m.%Y").to_string();
        prop_assert_eq!(parse_date(&md, DateOrder::MonthFirst), Ok(date));
        prop_assert_eq!(parse_date(&dm, DateOrder::DayFirst), Ok(date));
        prop_assert_eq!(parse_date(&date.to_string(), DateOrder::DayFirst), Ok(date));
    }
}
