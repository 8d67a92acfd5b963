use super::*;
use chrono::NaiveDate;
use proptest::prelude::*;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn ymd(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const US: QifOptions = QifOptions { date_order: DateOrder::MonthFirst, decimal_comma: false };

#[test]
fn reads_a_bank_register() {
    let text = "!Type:Bank\nD1/ 2'24\nT-1,234.56\nPLandlord\nMJanuary rent\nLHousing:Rent\nN1042\nCX\n^\n\
D01/15'24\nU250.00\nT250.00\nL[Savings]\n^\n";
    let s = parse(text, &US).unwrap();
    assert_eq!(s.format, Format::Qif);
    assert_eq!(s.errors, vec![]);
    let a = &s.rows[0];
    assert_eq!((a.line, a.date, a.amount), (2, ymd(2024, 1, 2), d("-1234.56")));
    assert_eq!(
        (a.description.as_str(), a.memo.as_deref(), a.category.as_deref()),
        ("Landlord", Some("January rent"), Some("Housing:Rent"))
    );
    assert_eq!((a.check_number.as_deref(), a.transfer), (Some("1042"), false));
    let b = &s.rows[1];
    assert_eq!(
        (b.line, b.description.as_str(), b.category.as_deref(), b.transfer),
        (10, "(no description)", Some("[Savings]"), true)
    );
}

#[test]
fn splits_stay_in_their_record() {
    let text = "!Type:Bank\nD3/1/2024\nT-100.00\nPCostco\nSGroceries\n$-60.00\nSHousehold\nEpaper\n$-40.00\n^\n\
D3/2/2024\nPSplit only\nSA\n$-1.50\nSB\n$-2.25\n^\n";
    let s = parse(text, &US).unwrap();
    assert_eq!(s.errors, vec![]);
    assert_eq!(s.rows[0].amount, d("-100"));
    assert_eq!(s.rows[0].category, None);
    assert_eq!(s.rows[1].amount, d("-3.75"));
}

#[test]
fn european_options() {
    let text = "!Type:CCard\r\nD31/01/2024\r\nT-1.234,56\r\nPMarché\r\n^\r\nD01.02.2024\r\nT12,50\r\n^\r\n";
    let options = QifOptions { date_order: DateOrder::DayFirst, decimal_comma: true };
    let s = parse(text, &options).unwrap();
    let got: Vec<(NaiveDate, Decimal)> = s.rows.iter().map(|r| (r.date, r.amount)).collect();
    assert_eq!(got, vec![(ymd(2024, 1, 31), d("-1234.56")), (ymd(2024, 2, 1), d("12.50"))]);
    assert_eq!(guess_date_order(text), Some(DateOrder::DayFirst));
    assert_eq!(guess_decimal_comma(text), Some(true));
    // Read with the wrong options, every record says why.
    let wrong = parse(text, &US).unwrap();
    assert_eq!(wrong.rows.len(), 0);
    assert!(wrong.errors[0].message.contains("reading it as month/day/year"));
    assert_eq!(wrong.errors[1].line, 7);
    assert!(wrong.errors[1].message.contains("decimal comma"));
}

#[test]
fn accounts_options_and_list_sections() {
    let text = "!Option:AutoSwitch\n!Account\nNChecking\nTBank\n^\nNVisa\nTCCard\n^\n!Clear:AutoSwitch\n\
!Type:Cat\nNGroceries\nE\n^\n!Account\nNEveryday Checking\nTBank\n^\n!Type:Bank\nD2024-03-05\nT5\nPRefund\n^\n\
!Type:Memorized\nKC\nT-9.99\nPNetflix\n^\n!Type:Invst\nD1/1/24\nNBuy\n^\n";
    let s = parse(text, &US).unwrap();
    assert_eq!(s.errors, vec![]);
    assert_eq!(s.rows.len(), 1);
    assert_eq!((s.rows[0].description.as_str(), s.rows[0].account.as_deref()), ("Refund", Some("Everyday Checking")));
}

#[test]
fn record_errors_and_truncation() {
    let text = "!Type:Bank\nD13/45/2024\nT1\n^\nPNo date\nT1\n^\nD1/1/2024\nPNo amount\n^\nD1/2/2024\nT1.999\n^\n\
D1/3/2024\nT-2\nPGood\n^\nD1/4/2024\nT-3.0";
    let s = parse(text, &US).unwrap();
    assert_eq!(s.rows.len(), 1);
    let errors: Vec<(usize, &str)> = s.errors.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(errors[0], (2, "\"13/45/2024\" is not a date (reading it as month/day/year)"));
    assert_eq!(errors[1], (5, "the record has no date (a D line)"));
    assert_eq!(errors[2], (8, "the record has no amount (a T line)"));
    assert_eq!(errors[3], (12, "\"1.999\" has more than 2 decimal places"));
    assert_eq!(errors[4].0, 18);
    assert!(errors[4].1.contains("ends inside this record"));
}

#[test]
fn headerless_and_non_transaction_files() {
    let s = parse("D1/2/24\nT-5.00\nPTea\n^\n", &US).unwrap();
    assert_eq!(s.rows[0].description, "Tea");
    match parse("!Type:Invst\nD1/1/24\n^\n", &US) {
        Err(ImportError::Malformed { line: 1, message }) => assert!(message.contains("!Type:Bank")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn date_order_is_guessed_only_when_settled() {
    assert_eq!(guess_date_order("!Type:Bank\nD01/02/2024\n^\nD03/04/2024\n^\n"), None);
    assert_eq!(guess_date_order("!Type:Bank\nD01/02/2024\n^\nD03/24/2024\n^\n"), Some(DateOrder::MonthFirst));
    assert_eq!(guess_date_order("!Type:Bank\nD1/ 2'24\n^\nD12/31'23\n^\n"), Some(DateOrder::MonthFirst));
    assert_eq!(guess_date_order("!Type:Bank\nD2024-01-02\n^\n"), Some(DateOrder::YearFirst));
    assert_eq!(guess_date_order("!Type:Bank\nD13/01/2024\n^\nD01/13/2024\n^\n"), None);
    assert_eq!(guess_date_order(""), None);
    assert_eq!(guess_decimal_comma("T1,234.56\nT-5\n"), Some(false));
    assert_eq!(guess_decimal_comma("T5\n"), None);
    assert_eq!(guess_decimal_comma("T1,50\nT2.50\n"), None);
}

/// Writes rows as a QIF register, the way Quicken does.
fn write_qif(rows: &[(NaiveDate, Decimal, String, String)], options: &QifOptions) -> String {
    let mut out = String::from("!Type:Bank\r\n");
    for (date, amount, payee, category) in rows {
        let date = match options.date_order {
            DateOrder::MonthFirst => {
                format!("{}/{:>2}'{}", date.format("%-m"), date.format("%-d").to_string(), date.format("%y"))
            }
            DateOrder::DayFirst => date.format("%d/%m/%Y").to_string(),
            DateOrder::YearFirst => date.format("%Y-%m-%d").to_string(),
        };
        let amount = if options.decimal_comma {
            amount.to_string().replace('.', ",")
        } else {
            crate::money::format_money(*amount, crate::money::Currency::USD).replace('$', "")
        };
        out += &format!("D{date}\r\nT{amount}\r\nCX\r\nP{payee}\r\nL{category}\r\n^\r\n");
    }
    out
}

proptest! {
    #[test]
    fn written_registers_read_back(
        rows in prop::collection::vec(
            (0u64..36_000, -99_999_999i64..99_999_999, "[A-Za-z0-9&#'*. -]{0,20}[A-Za-z]", "\\[?[A-Za-z:]{1,10}\\]?"),
            0..12,
        ),
        order in prop::sample::select(vec![DateOrder::MonthFirst, DateOrder::DayFirst, DateOrder::YearFirst]),
        decimal_comma in any::<bool>(),
    ) {
        // Quicken's apostrophe years are 2000–2099.
        let rows: Vec<(NaiveDate, Decimal, String, String)> = rows.into_iter().map(|(days, cents, payee, category)| {
            (ymd(2000, 1, 1) + chrono::Days::new(days), Decimal::new(cents, 2), payee.trim().to_string(), category)
        }).collect();
        let options = QifOptions { date_order: order, decimal_comma };
        let s = parse(&write_qif(&rows, &options), &options).unwrap();
        prop_assert_eq!(&s.errors, &vec![]);
        let got: Vec<(NaiveDate, Decimal, String, String)> = s.rows.iter()
            .map(|r| (r.date, r.amount, r.description.clone(), r.category.clone().unwrap_or_default()))
            .collect();
        prop_assert_eq!(got, rows.clone());
        for (row, (_, _, _, category)) in s.rows.iter().zip(&rows) {
            prop_assert_eq!(row.transfer, category.starts_with('[') && category.contains(']'));
        }
    }
}
