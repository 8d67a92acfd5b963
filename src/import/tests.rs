use super::*;
use proptest::prelude::*;

#[test]
fn format_names() {
    for format in Format::ALL {
        assert_eq!(Format::parse(format.as_str()), Some(format));
        assert_eq!(serde_json::to_string(&format).unwrap(), format!("\"{}\"", format.as_str()));
        assert!(!format.label().is_empty());
    }
    assert_eq!(Format::parse(" QIF "), Some(Format::Qif));
    assert_eq!(Format::parse("pdf"), None);
}

#[test]
fn detects_by_content() {
    assert_eq!(detect(b"OFXHEADER:100\r\nDATA:OFXSGML\r\n\r\n<OFX>"), Some(Format::Ofx));
    assert_eq!(detect(b"\xEF\xBB\xBF  <?xml version=\"1.0\"?>\n<?OFX OFXHEADER=\"200\"?>\n<OFX>"), Some(Format::Ofx));
    assert_eq!(detect(b"OFXHEADER:100\n<OFX><SIGNONMSGSRSV1><SONRS><INTU.BID>3000"), Some(Format::Qfx));
    assert_eq!(detect(b"!Type:Bank\nD1/2'24\n^"), Some(Format::Qif));
    assert_eq!(detect(b"!Option:AutoSwitch\n!Account\n"), Some(Format::Qif));
    assert_eq!(detect(b"!type:CCard\n"), Some(Format::Qif));
    assert_eq!(detect(b"Date,Description,Amount\n01/02/2024,Coffee,-3.50\n"), Some(Format::Csv));
    assert_eq!(detect(b"Datum;Betrag\n31.01.2024;-12,30\n"), Some(Format::Csv));
    assert_eq!(detect(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), None);
    assert_eq!(detect(b"just one line of prose"), None);
    assert_eq!(detect(b"a,b\0c\n"), None);
    assert_eq!(detect(b""), None);
}

#[test]
fn detects_with_a_file_name() {
    let ofx = b"OFXHEADER:100\n<OFX>";
    assert_eq!(detect_named("Download.QFX", ofx), Some(Format::Qfx));
    assert_eq!(detect_named("download.ofx", ofx), Some(Format::Ofx));
    assert_eq!(detect_named("export.csv", b"single column\nof text\n"), Some(Format::Csv));
    assert_eq!(detect_named("old.qif", b"D1/2'24\nT-5.00\n^\n"), Some(Format::Qif));
    assert_eq!(detect_named("statement.pdf", b"%PDF-1.7"), None);
    assert_eq!(detect_named("empty.csv", b"  \n"), None);
    assert_eq!(detect_named("no-extension", b"Date,Amount\n2024-01-02,5\n"), Some(Format::Csv));
}

#[test]
fn whole_file_errors_read_well() {
    assert_eq!(ofx::parse(""), Err(ImportError::Empty));
    assert_eq!(qif::parse("\u{feff} \n\n", &QifOptions::default()), Err(ImportError::Empty));
    let big = vec![b' '; MAX_FILE_BYTES + 1];
    assert_eq!(parse_file(&big, &ParseOptions::Ofx), Err(ImportError::TooLarge { limit: MAX_FILE_BYTES }));
    assert_eq!(
        ImportError::TooLarge { limit: MAX_FILE_BYTES }.to_string(),
        "the file is too large: Manna reads statement files up to 16 MB"
    );
    assert_eq!(ImportError::Malformed { line: 3, message: "x".into() }.to_string(), "line 3: x");
    assert_eq!(RowError { line: 9, message: "bad".into() }.to_string(), "line 9: bad");
}

#[test]
fn parse_options_are_saved_as_json() {
    let options = ParseOptions::Qif(QifOptions { date_order: DateOrder::DayFirst, decimal_comma: true });
    let json = serde_json::to_string(&options).unwrap();
    assert_eq!(json, r#"{"format":"qif","date_order":"day_first","decimal_comma":true}"#);
    assert_eq!(serde_json::from_str::<ParseOptions>(&json).unwrap(), options);
    let ofx: ParseOptions = serde_json::from_str(r#"{"format":"qfx"}"#).unwrap();
    assert_eq!(ofx, ParseOptions::Qfx);
}

#[test]
fn qfx_option_marks_the_format() {
    let text = b"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><BANKTRANLIST></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>";
    assert_eq!(parse_file(text, &ParseOptions::Qfx).unwrap().format, Format::Qfx);
    assert_eq!(parse_file(text, &ParseOptions::Ofx).unwrap().format, Format::Ofx);
}

#[test]
fn row_errors_and_rows_are_capped() {
    let mapping = CsvMapping {
        delimiter: b',',
        decimal_comma: false,
        skip_rows: 0,
        has_header: false,
        date: 0,
        date_format: DateFormat::MonthFirst,
        amount: AmountColumns::Signed { column: 1, negate: false },
        description: 0,
        merchant: None,
        category: None,
        memo: None,
    };
    let bad = "not a date,1\n".repeat(MAX_ROW_ERRORS + 500);
    let s = csv_import::parse(&bad, &mapping).unwrap();
    assert_eq!(s.errors.len(), MAX_ROW_ERRORS + 1);
    let last = s.errors.last().unwrap();
    assert_eq!(last.line, MAX_ROW_ERRORS + 1);
    assert!(last.message.starts_with("500 more lines"), "{last}");

    let many = "1/2/2024,1\n".repeat(MAX_ROWS + 1);
    match csv_import::parse(&many, &mapping) {
        Err(ImportError::Malformed { line, message }) => {
            assert_eq!(line, MAX_ROWS + 1);
            assert!(message.contains("more than 100000 transactions"));
        }
        other => panic!("{:?}", other.map(|s| s.rows.len())),
    }
    let qif = "!Type:Bank\n".to_string() + &"D1/2/24\nT1\n^\n".repeat(MAX_ROWS + 1);
    assert!(matches!(qif::parse(&qif, &QifOptions::default()), Err(ImportError::Malformed { .. })));
    let ofx = "<OFX><STMTRS>".to_string() + &"<STMTTRN><DTPOSTED>20240101<TRNAMT>1</STMTTRN>".repeat(MAX_ROWS + 1);
    assert!(matches!(ofx::parse(&ofx), Err(ImportError::Malformed { .. })));
}

fn all_options() -> Vec<ParseOptions> {
    let mapping = CsvMapping {
        delimiter: b',',
        decimal_comma: false,
        skip_rows: 0,
        has_header: true,
        date: 0,
        date_format: DateFormat::MonthFirst,
        amount: AmountColumns::DebitCredit { debit: 2, credit: 3 },
        description: 1,
        merchant: Some(4),
        category: Some(5),
        memo: Some(6),
    };
    vec![
        ParseOptions::Ofx,
        ParseOptions::Qif(QifOptions::default()),
        ParseOptions::Qif(QifOptions { date_order: DateOrder::DayFirst, decimal_comma: true }),
        ParseOptions::Csv(mapping.clone()),
        ParseOptions::Csv(CsvMapping {
            delimiter: b';',
            decimal_comma: true,
            skip_rows: 1,
            has_header: false,
            date_format: DateFormat::Pattern("%d %b %Y".into()),
            amount: AmountColumns::Signed { column: 2, negate: true },
            ..mapping
        }),
    ]
}

/// Fragments of real statement syntax, so random files get deep into every parser.
fn statement_soup() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "<OFX>",
        "</OFX>",
        "<STMTRS>",
        "</STMTRS>",
        "<CCSTMTRS>",
        "<STMTTRN>",
        "</STMTTRN>",
        "<TRNAMT>",
        "-12,30",
        "<DTPOSTED>",
        "20240102",
        "<NAME>",
        "A&amp;B",
        "&#x41;",
        "&",
        "<",
        ">",
        "<PAYEE>",
        "<BANKACCTFROM>",
        "<ACCTID>",
        "<LEDGERBAL>",
        "<BALAMT>",
        "<DTASOF>",
        "<!--",
        "-->",
        "<?",
        "<![CDATA[",
        "]]>",
        "<X/>",
        "</",
        "!Type:Bank",
        "!Account",
        "^",
        "D1/2'24",
        "T1,234.56",
        "PShop",
        "L[Savings]",
        "$-1",
        "S",
        "\n",
        "\r\n",
        ",",
        ";",
        "\"",
        "\t",
        "01/02/2024",
        "(3.50)",
        "é",
        "\u{feff}",
        " ",
    ]);
    prop::collection::vec(pieces, 0..80).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = detect(&bytes);
        let _ = detect_named("x.qfx", &bytes);
        let (text, _) = decode_text(&bytes);
        let _ = guess_mapping(&text);
        let _ = qif::guess_date_order(&text);
        let _ = normalize_description(&text);
        for options in all_options() {
            let _ = parse_file(&bytes, &options);
        }
    }

    #[test]
    fn statement_like_text_never_panics(text in statement_soup()) {
        let _ = detect(text.as_bytes());
        let _ = guess_mapping(&text);
        let _ = qif::guess_date_order(&text);
        let _ = qif::guess_decimal_comma(&text);
        for options in all_options() {
            if let Ok(statement) = parse_file(text.as_bytes(), &options) {
                for row in &statement.rows {
                    prop_assert!(!row.description.is_empty());
                    prop_assert!(row.amount.abs() <= crate::money::MAX_ABS_AMOUNT);
                    prop_assert!(row.amount.scale() == 2);
                    prop_assert!((MIN_DATE..=MAX_DATE).contains(&row.date));
                }
            }
        }
        if let Ok(guess) = guess_mapping(&text) {
            let _ = csv_import::parse(&text, &guess.mapping);
        }
    }
}
