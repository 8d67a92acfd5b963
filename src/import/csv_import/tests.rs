use super::*;
use proptest::prelude::*;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn ymd(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn mapping() -> CsvMapping {
    CsvMapping {
        delimiter: b',',
        decimal_comma: false,
        skip_rows: 0,
        has_header: true,
        date: 0,
        date_format: DateFormat::MonthFirst,
        amount: AmountColumns::Signed { column: 2, negate: false },
        description: 1,
        merchant: None,
        category: None,
        memo: None,
    }
}

#[test]
fn reads_signed_amounts_with_quotes_and_blank_lines() {
    let text = "\u{feff}Date,Description,Amount,Category\r\n01/15/2024,\"ACME, Inc. \"\"payroll\"\"\",\"1,500.00\",Income\r\n\r\n\
01/16/2024,,(12.30),\r\n01/17/2024,Refund,12.30-,Shopping\r\n";
    let m = CsvMapping { category: Some(3), ..mapping() };
    let s = parse(text, &m).unwrap();
    assert_eq!(s.format, Format::Csv);
    assert_eq!(s.errors, vec![]);
    let got: Vec<(usize, NaiveDate, Decimal, &str, Option<&str>)> =
        s.rows.iter().map(|r| (r.line, r.date, r.amount, r.description.as_str(), r.category.as_deref())).collect();
    assert_eq!(
        got,
        vec![
            (2, ymd(2024, 1, 15), d("1500"), "ACME, Inc. \"payroll\"", Some("Income")),
            (4, ymd(2024, 1, 16), d("-12.30"), "(no description)", None),
            (5, ymd(2024, 1, 17), d("-12.30"), "Refund", Some("Shopping")),
        ]
    );
}

#[test]
fn negate_and_debit_credit_columns() {
    let negated = CsvMapping { amount: AmountColumns::Signed { column: 2, negate: true }, ..mapping() };
    let s = parse("Date,Description,Amount\n2024-01-02,Card charge,25.00\n", &negated).unwrap();
    assert_eq!(s.rows[0].amount, d("-25"));

    let text = "Date,Description,Debit,Credit\n01/02/2024,Rent,\"$1,200.00\",\n01/03/2024,Pay,,$2000\n\
01/04/2024,Refund of fee,(5.00),\n01/05/2024,Both,1.00,3.00\n01/06/2024,Pending,,\n01/07/2024,Oops,abc,\n";
    let m = CsvMapping { amount: AmountColumns::DebitCredit { debit: 2, credit: 3 }, ..mapping() };
    let s = parse(text, &m).unwrap();
    let amounts: Vec<Decimal> = s.rows.iter().map(|r| r.amount).collect();
    assert_eq!(amounts, vec![d("-1200"), d("2000"), d("-5"), d("2")]);
    let errors: Vec<(usize, &str)> = s.errors.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(
        errors,
        vec![(6, "there is no amount in the debit or the credit column"), (7, "debit: \"abc\" is not an amount")]
    );
}

#[test]
fn ragged_lines_skip_rows_and_excel_cells() {
    let text = "Bank of Nowhere\nAccount: 1234\nDate;Text;Amount;Memo\n31.01.2024;=\"0042\";-1.234,56\n01.02.2024\n\
02.02.2024;Extra;5,00;m;x;y\n";
    let m = CsvMapping {
        delimiter: b';',
        decimal_comma: true,
        skip_rows: 2,
        date_format: DateFormat::DayFirst,
        memo: Some(3),
        ..mapping()
    };
    let s = parse(text, &m).unwrap();
    let got: Vec<(usize, Decimal, &str, Option<&str>)> =
        s.rows.iter().map(|r| (r.line, r.amount, r.description.as_str(), r.memo.as_deref())).collect();
    assert_eq!(got, vec![(4, d("-1234.56"), "0042", None), (6, d("5"), "Extra", Some("m"))]);
    assert_eq!(
        s.errors,
        vec![RowError { line: 5, message: "this line has 1 column; the amount should be in column 3".into() }]
    );
}

#[test]
fn date_patterns() {
    let m = CsvMapping { date_format: DateFormat::Pattern("%d %b %Y".into()), ..mapping() };
    let s = parse("Date,Desc,Amount\n15 Mar 2024,Tea,-2\n2024-03-15,Tea,-2\n", &m).unwrap();
    assert_eq!(s.rows[0].date, ymd(2024, 3, 15));
    assert_eq!(s.errors[0].message, "\"2024-03-15\" is not a date in the form %d %b %Y");
    for bad in ["%Y-%m", "%Y-%m-%d %H", "%s", "%"] {
        let m = CsvMapping { date_format: DateFormat::Pattern(bad.into()), ..mapping() };
        assert!(matches!(parse("a", &m), Err(ImportError::BadMapping { .. })), "{bad}");
    }
    let m = CsvMapping { delimiter: b'"', ..mapping() };
    assert!(matches!(parse("a", &m), Err(ImportError::BadMapping { .. })));
    let wide = format!("Date,Desc,Amount\n1/2/2024,a,1\n{}\n", ",".repeat(2000));
    assert!(matches!(parse(&wide, &mapping()), Err(ImportError::Malformed { line: 3, .. })));
    let m = CsvMapping { skip_rows: 5, ..mapping() };
    assert!(matches!(parse("a\nb\n", &m), Err(ImportError::BadMapping { .. })));
}

#[test]
fn mapping_is_saved_as_json() {
    let m = CsvMapping { amount: AmountColumns::DebitCredit { debit: 3, credit: 4 }, ..mapping() };
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["amount"], serde_json::json!({"kind": "debit_credit", "debit": 3, "credit": 4}));
    assert_eq!(json["date_format"], "month_first");
    assert_eq!(serde_json::from_value::<CsvMapping>(json).unwrap(), m);
    let pattern = serde_json::to_value(DateFormat::Pattern("%d %B %Y".into())).unwrap();
    assert_eq!(pattern, serde_json::json!({"pattern": "%d %B %Y"}));
}

#[test]
fn guesses_a_us_export() {
    let text = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n\
DEBIT,01/15/2024,\"STARBUCKS #1234, SEATTLE\",-4.50,DEBIT_CARD,1995.50,\n\
CREDIT,01/16/2024,PAYROLL,2000.00,ACH_CREDIT,3995.50,\n";
    let g = guess_mapping(text).unwrap();
    assert_eq!(g.headers[1], "Posting Date");
    let m = &g.mapping;
    assert_eq!((m.delimiter, m.has_header, m.skip_rows, m.decimal_comma), (b',', true, 0, false));
    assert_eq!((m.date, m.description, m.amount), (1, 2, AmountColumns::Signed { column: 3, negate: false }));
    assert_eq!(m.date_format, DateFormat::MonthFirst);
    assert!(!g.ambiguous_date);
    assert_eq!(g.confidence, 1.0);
    assert_eq!(parse(text, m).unwrap().rows.len(), 2);
}

#[test]
fn guesses_a_european_export_with_a_preamble() {
    let text = "Umsätze Girokonto;;\nKontonummer;DE12 3456;\n\nBuchungstag;Auftraggeber/Empfänger;Verwendungszweck;Betrag\n\
31.01.2024;REWE;Einkauf;-12,30\n01.02.2024;Arbeitgeber GmbH;Gehalt;1.234,56\n";
    let g = guess_mapping(text).unwrap();
    let m = &g.mapping;
    assert_eq!((m.delimiter, m.skip_rows, m.has_header, m.decimal_comma), (b';', 3, true, true));
    assert_eq!((m.date, m.description, m.memo), (0, 1, Some(2)));
    assert_eq!(m.date_format, DateFormat::DayFirst);
    let s = parse(text, m).unwrap();
    assert_eq!(s.errors, vec![]);
    assert_eq!(s.rows[1].amount, d("1234.56"));
}

#[test]
fn guesses_without_a_header_and_flags_ambiguous_dates() {
    let text = "01/02/2024\tCorner Shop groceries\t-23.10\n03/04/2024\tSalary\t1500.00\n";
    let g = guess_mapping(text).unwrap();
    let m = &g.mapping;
    assert_eq!((m.delimiter, m.has_header, m.date, m.description), (b'\t', false, 0, 1));
    assert_eq!(m.amount, AmountColumns::Signed { column: 2, negate: false });
    assert!(g.ambiguous_date);
    assert!(g.headers.is_empty());
    assert!(g.confidence < 0.5, "{}", g.confidence);
}

#[test]
fn guesses_debit_and_credit_headers() {
    let text =
        "Date|Payee|Withdrawal|Deposit|Category\n2024-01-02|Rent|500.00||Housing\n2024-01-03|Pay||900.00|Income\n";
    let g = guess_mapping(text).unwrap();
    let m = &g.mapping;
    assert_eq!(m.delimiter, b'|');
    assert_eq!(m.amount, AmountColumns::DebitCredit { debit: 2, credit: 3 });
    assert_eq!((m.description, m.category, m.date_format.clone()), (1, Some(4), DateFormat::YearFirst));
}

#[test]
fn guess_failures_say_why() {
    let one_column = guess_mapping("just\nwords\n");
    assert!(matches!(one_column, Err(ImportError::Malformed { line: 1, .. })), "{one_column:?}");
    let no_dates = guess_mapping("Name,Amount\nTea,1.00\nCake,2.00\n");
    assert!(format!("{no_dates:?}").contains("no column of dates"));
    assert!(matches!(guess_mapping("Date,Amount\n"), Err(ImportError::Malformed { .. })));
    assert_eq!(guess_mapping(""), Err(ImportError::Empty));
    let wide = format!("{}\n{}\n", ",".repeat(5000), ",".repeat(5000));
    assert!(format!("{:?}", guess_mapping(&wide)).contains("hundreds of columns"));
}

fn csv_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

proptest! {
    /// Rows written as CSV (with quoting, either decimal mark, either date order) read back.
    #[test]
    fn written_csv_reads_back(
        rows in prop::collection::vec(
            (0u64..100_000, -99_999_999i64..99_999_999, "[A-Za-z0-9 ,;\"'#&*.\n-]{0,20}[A-Za-z]"),
            1..15,
        ),
        european in any::<bool>(),
    ) {
        let rows: Vec<(NaiveDate, Decimal, String)> = rows.into_iter().map(|(days, cents, text)| {
            (crate::import::MIN_DATE + chrono::Days::new(days), Decimal::new(cents, 2), text.trim().to_string())
        }).collect();
        let (sep, date_format, pattern) =
            if european { (';', DateFormat::DayFirst, "%d.%m.%Y") } else { (',', DateFormat::MonthFirst, "%m/%d/%Y") };
        let mut text = format!("Date{sep}Description{sep}Amount\r\n");
        for (date, amount, description) in &rows {
            let amount = if european { amount.to_string().replace('.', ",") } else { amount.to_string() };
            text += &format!("{}{sep}{}{sep}{}\r\n", date.format(pattern), csv_quote(description), csv_quote(&amount));
        }
        let m = CsvMapping {
            delimiter: sep as u8,
            decimal_comma: european,
            date_format,
            ..mapping()
        };
        let s = parse(&text, &m).unwrap();
        prop_assert_eq!(&s.errors, &vec![]);
        let got: Vec<(NaiveDate, Decimal, String)> =
            s.rows.iter().map(|r| (r.date, r.amount, r.description.clone())).collect();
        prop_assert_eq!(got, rows.clone());
        // The guesser finds the same columns and marks.
        let g = guess_mapping(&text).unwrap();
        prop_assert_eq!((g.mapping.delimiter, g.mapping.date, g.mapping.description), (sep as u8, 0, 1));
        prop_assert_eq!(g.mapping.amount, AmountColumns::Signed { column: 2, negate: false });
    }
}
