use super::tokens::decode_entities;
use super::*;
use proptest::prelude::*;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn ymd(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    Tokenizer::new(text).collect()
}

fn open(name: &str, line: usize) -> Token<'static> {
    Token::Open { name: name.into(), line, empty: false }
}

fn text(t: &str, line: usize) -> Token<'_> {
    Token::Text { text: t.into(), line }
}

#[test]
fn tokenizer_reads_sgml_and_xml() {
    assert_eq!(
        tokens("<OFX>\n<NAME>A &amp; B\n</OFX>"),
        vec![
            open("OFX", 1),
            text("\n", 1),
            open("NAME", 2),
            text("A & B\n", 2),
            Token::Close { name: "OFX".into(), line: 3 }
        ]
    );
    assert_eq!(
        tokens("<?xml version=\"1.0\"?><!-- a\ncomment --><ofx xmlns=\"x\"><MEMO/>"),
        vec![open("OFX", 2), Token::Open { name: "MEMO".into(), line: 2, empty: true }]
    );
    assert_eq!(tokens("<MEMO><![CDATA[a <b> &amp;]]>"), vec![open("MEMO", 1), text("a <b> &amp;", 1)]);
}

#[test]
fn tokenizer_treats_stray_brackets_as_text() {
    assert_eq!(tokens("A<B C<"), vec![text("A", 1), text("<", 1), text("B C", 1), text("<", 1)]);
    assert_eq!(tokens("< NAME>"), vec![text("<", 1), text(" NAME>", 1)]);
    assert_eq!(tokens("<NAME"), vec![text("<", 1), text("NAME", 1)]);
    assert_eq!(tokens("<!-- never closed"), vec![]);
    assert_eq!(tokens("<1ABC>"), vec![text("<", 1), text("1ABC>", 1)]);
}

#[test]
fn entities() {
    assert_eq!(
        decode_entities("AT&T &amp; &lt;x&gt; &quot;q&quot; &apos; &#233; &#xE9; &bogus; &#0; &"),
        "AT&T & <x> \"q\" ' é é &bogus; &#0; &"
    );
    assert!(matches!(decode_entities("plain"), std::borrow::Cow::Borrowed(_)));
}

#[test]
fn ofx_dates() {
    assert_eq!(parse_ofx_date("20240115"), Ok(ymd(2024, 1, 15)));
    assert_eq!(parse_ofx_date("20240115120000"), Ok(ymd(2024, 1, 15)));
    assert_eq!(parse_ofx_date("20240115235959.999[-5:EST]"), Ok(ymd(2024, 1, 15)));
    assert_eq!(parse_ofx_date("20240115[0:GMT]"), Ok(ymd(2024, 1, 15)));
    assert!(parse_ofx_date("2024011").unwrap_err().contains("YYYYMMDD"));
    assert!(parse_ofx_date("20241301").is_err());
    assert!(parse_ofx_date("2024-01-15").is_err());
    assert!(parse_ofx_date("20240115X").is_err());
    assert!(parse_ofx_date("18991231").unwrap_err().contains("1900"));
    assert!(parse_ofx_date("é2024011").is_err());
}

const SGML: &str = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>\n<BANKMSGSRSV1><STMTTRNRS><STMTRS>\n<CURDEF>EUR\n\
<BANKACCTFROM><BANKID>12345<ACCTID>00012345678<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST>\n\
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240105<TRNAMT>-4,50<FITID>F1<NAME>CAFE &amp; CO<MEMO>\n\
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240106<TRNAMT>100.00<FITID>F2<MEMO>Salary only in memo</STMTTRN>\n\
</BANKTRANLIST>\n<LEDGERBAL><BALAMT>95.50<DTASOF>20240131</LEDGERBAL>\n</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n";

#[test]
fn sgml_without_closing_tags() {
    let s = parse(SGML).unwrap();
    assert_eq!(s.format, Format::Ofx);
    assert_eq!(s.errors, vec![]);
    assert_eq!(s.currency.as_deref(), Some("EUR"));
    assert_eq!(s.ledger_balance, Some((d("95.50"), ymd(2024, 1, 31))));
    let hint = s.account.unwrap();
    assert_eq!(
        (hint.bank_id.as_deref(), hint.account_last4.as_deref(), hint.account_type.as_deref(), hint.credit_card),
        (Some("12345"), Some("5678"), Some("CHECKING"), false)
    );
    assert_eq!(s.rows.len(), 2);
    let (a, b) = (&s.rows[0], &s.rows[1]);
    assert_eq!((a.line, a.date, a.amount, a.description.as_str()), (10, ymd(2024, 1, 5), d("-4.50"), "CAFE & CO"));
    assert_eq!((a.fitid.as_deref(), a.memo.as_deref(), a.account.as_deref()), (Some("F1"), None, Some("5678")));
    assert_eq!(
        (b.line, b.description.as_str(), b.memo.as_deref()),
        (11, "Salary only in memo", Some("Salary only in memo"))
    );
}

#[test]
fn payee_aggregate_unknown_aggregates_and_transfer_accounts() {
    let text = "<OFX><CREDITCARDMSGSRSV1><CCSTMTTRNRS><CCSTMTRS><CURDEF>USD<CCACCTFROM><ACCTID>4111111111111111</CCACCTFROM>\
<BANKTRANLIST><STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>-20.00<FITID>1\
<PAYEE><NAME>Shell Oil<ADDR1>1 Main St</PAYEE>\
<CURRENCY><CURRATE>1.0<CURSYM>USD</CURRENCY>\
<INTU.XACCT><NAME>Hidden<ACCTID>999</INTU.XACCT>\
<CCACCTTO><ACCTID>77777777</CCACCTTO>\
<CHECKNUM>1001<EXTDNAME></STMTTRN></BANKTRANLIST></CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>";
    let s = parse(text).unwrap();
    assert_eq!(s.errors, vec![]);
    let row = &s.rows[0];
    assert_eq!(row.description, "Shell Oil");
    assert_eq!(row.merchant.as_deref(), Some("Shell Oil"));
    assert_eq!(row.check_number.as_deref(), Some("1001"));
    assert_eq!(row.account.as_deref(), Some("1111"));
    let hint = s.account.unwrap();
    assert!(hint.credit_card);
    assert_eq!(hint.account_type.as_deref(), Some("CREDITCARD"));
}

#[test]
fn an_unknown_tag_never_closed_was_an_empty_leaf() {
    // `<SIC>` opens nothing: the fields after it still belong to the transaction.
    let text =
        "<OFX><STMTRS><BANKTRANLIST><STMTTRN><SIC><DTPOSTED>20240102<TRNAMT>5<NAME>Refund</STMTTRN></STMTRS></OFX>";
    let s = parse(text).unwrap();
    assert_eq!(s.errors, vec![]);
    assert_eq!((s.rows[0].description.as_str(), s.rows[0].amount), ("Refund", d("5")));
}

#[test]
fn missing_closing_tags_and_several_statements() {
    let text = "<OFX>\n<STMTRS><BANKACCTFROM><ACCTID>1111\n<STMTTRN><DTPOSTED>20240101<TRNAMT>1<NAME>A\n\
<STMTTRN><DTPOSTED>20240102<TRNAMT>2<NAME>B\n<STMTRS><BANKACCTFROM><ACCTID>2222\n<STMTTRN><DTPOSTED>20240103<TRNAMT>3<NAME>C\n";
    let s = parse(text).unwrap();
    let got: Vec<(usize, &str, Option<&str>)> =
        s.rows.iter().map(|r| (r.line, r.description.as_str(), r.account.as_deref())).collect();
    assert_eq!(got, vec![(3, "A", Some("1111")), (4, "B", Some("1111")), (6, "C", Some("2222"))]);
    assert_eq!(s.account.unwrap().account_last4.as_deref(), Some("1111"));
}

#[test]
fn row_errors_name_their_line_and_the_rest_parses() {
    let text = "<OFX><STMTRS><BANKTRANLIST>\n<STMTTRN><DTPOSTED>20240101<TRNAMT>1<NAME>ok</STMTTRN>\n\
<STMTTRN>\n<DTPOSTED>2024X101\n<TRNAMT>1</STMTTRN>\n<STMTTRN><DTPOSTED>20240101\n<TRNAMT>abc</STMTTRN>\n\
<STMTTRN><TRNAMT>1.005</STMTTRN>\n<STMTTRN><DTPOSTED>20240101<TRNAMT>1.005</STMTTRN>\n<STMTTRN><DTPOSTED>20240101</STMTTRN>\n\
</BANKTRANLIST><LEDGERBAL><BALAMT>x<DTASOF>20240101</LEDGERBAL></STMTRS></OFX>";
    let s = parse(text).unwrap();
    assert_eq!(s.rows.len(), 1);
    let errors: Vec<(usize, &str)> = s.errors.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(
        errors,
        vec![
            (4, "DTPOSTED: \"2024X101\" is not a date (OFX writes YYYYMMDD)"),
            (7, "TRNAMT: \"abc\" is not an amount"),
            (8, "the transaction has no DTPOSTED date"),
            (9, "TRNAMT: \"1.005\" has more than 2 decimal places"),
            (10, "the transaction has no TRNAMT amount"),
            (11, "the ledger balance could not be read: \"x\" is not an amount"),
        ]
    );
}

#[test]
fn files_that_are_not_statements() {
    assert_eq!(parse("hello, world"), Err(ImportError::NotRecognized));
    let investment = "OFXHEADER:100\n\n<OFX>\n<INVSTMTMSGSRSV1><INVSTMTTRNRS><INVSTMTRS><INVTRANLIST><STMTTRN>";
    match parse(investment) {
        Err(ImportError::Malformed { line: 3, message }) => {
            assert!(message.contains("no bank or credit-card statement"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = "<A>".repeat(10_000) + "<STMTTRN><DTPOSTED>20240101<TRNAMT>1" + &"</A>".repeat(10_000);
    let _ = parse(&format!("<OFX>{deep}"));
    let many_closes = "<OFX><STMTRS>".to_string() + &"</NOPE>".repeat(50_000);
    assert!(parse(&many_closes).unwrap().rows.is_empty());
}

/// Writes rows as an OFX 2 (XML) or 1 (SGML) statement.
fn write_ofx(rows: &[(NaiveDate, Decimal, String, String)], xml: bool) -> String {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let close = |tag: &str| if xml { format!("</{tag}>") } else { String::new() };
    let mut out =
        String::from("OFXHEADER:100\r\nDATA:OFXSGML\r\n\r\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><BANKTRANLIST>\r\n");
    for (date, amount, name, fitid) in rows {
        out += &format!(
            "<STMTTRN>\r\n<TRNTYPE>OTHER{}<DTPOSTED>{}120000[-5:EST]{}<TRNAMT>{amount}{}<FITID>{}{}<NAME>{}{}\r\n</STMTTRN>\r\n",
            close("TRNTYPE"),
            date.format("%Y%m%d"),
            close("DTPOSTED"),
            close("TRNAMT"),
            escape(fitid),
            close("FITID"),
            escape(name),
            close("NAME"),
        );
    }
    out + "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n"
}

fn rows_strategy() -> impl Strategy<Value = Vec<(NaiveDate, Decimal, String, String)>> {
    let row = (0u64..100_000, -99_999_999i64..99_999_999, "[A-Za-z0-9&<>#'*. -]{0,20}[A-Za-z&]", "[A-Za-z0-9-]{1,12}");
    prop::collection::vec(
        row.prop_map(|(days, cents, name, fitid)| {
            let date = crate::import::MIN_DATE + chrono::Days::new(days);
            (date, Decimal::new(cents, 2), name.trim().to_string(), fitid)
        }),
        0..12,
    )
}

proptest! {
    #[test]
    fn written_statements_read_back(rows in rows_strategy(), xml in any::<bool>()) {
        let text = write_ofx(&rows, xml);
        let (decoded, _) = crate::import::decode_text(text.as_bytes());
        let s = parse(&decoded).unwrap();
        prop_assert_eq!(&s.errors, &vec![]);
        let got: Vec<(NaiveDate, Decimal, String, String)> = s.rows.iter()
            .map(|r| (r.date, r.amount, r.description.clone(), r.fitid.clone().unwrap_or_default()))
            .collect();
        prop_assert_eq!(got, rows.clone());
        for (i, row) in s.rows.iter().enumerate() {
            prop_assert_eq!(row.line, 5 + 3 * i);
        }
    }
}
