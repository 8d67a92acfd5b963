//! Every statement file under `tests/fixtures/import/` parses into what its
//! `<name>.expected.json` says: detection, the CSV guess or QIF date order, the statement's
//! header fields, each row (the keys listed) and each error (its line and part of its
//! message).

use chrono::NaiveDate;
use manna_core::import::{self, DuplicateReason, Existing, Format, ParseOptions, Statement, normalize_description};
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::str::FromStr;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import")
}

/// (file name, bytes, expected) for every statement file.
fn fixtures() -> Vec<(String, Vec<u8>, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("tests/fixtures/import exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".expected.json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(fixture_dir().join(&name)).unwrap();
            let expected_path = fixture_dir().join(format!("{name}.expected.json"));
            let expected = std::fs::read_to_string(&expected_path)
                .unwrap_or_else(|_| panic!("{name} has no {name}.expected.json"));
            (name, bytes, serde_json::from_str(&expected).unwrap())
        })
        .collect()
}

fn decimal(value: &Value) -> Option<Decimal> {
    value.as_str().and_then(|s| Decimal::from_str(s).ok())
}

/// Compares the keys `expected` lists against `actual`; amounts as decimals.
fn compare_keys(what: &str, expected: &Value, actual: &Value, failures: &mut Vec<String>) {
    let Some(expected) = expected.as_object() else { return };
    for (key, want) in expected {
        let got = actual.get(key).unwrap_or(&Value::Null);
        let same = match (key.as_str(), want) {
            ("amount", Value::String(_)) => decimal(want) == decimal(got) && decimal(got).is_some(),
            _ => want == got,
        };
        if !same {
            failures.push(format!("{what}: {key} is {got}, expected {want}"));
        }
    }
}

fn check(name: &str, bytes: &[u8], expected: &Value) -> Result<(), Vec<String>> {
    let mut failures = Vec::new();
    let want_format: Format = serde_json::from_value(expected["detect"].clone()).unwrap();
    if import::detect_named(name, bytes) != Some(want_format) || import::detect(bytes) != Some(want_format) {
        failures.push(format!("detected as {:?}, expected {want_format:?}", import::detect_named(name, bytes)));
    }
    let (text, _) = import::decode_text(bytes);

    let mut options: Option<ParseOptions> =
        expected.get("options").map(|o| serde_json::from_value(o.clone()).expect("options are ParseOptions"));
    if let Some(want) = expected.get("guess") {
        match import::guess_mapping(&text) {
            Ok(guess) => {
                let mut actual = serde_json::to_value(&guess.mapping).unwrap();
                actual["ambiguous_date"] = Value::Bool(guess.ambiguous_date);
                actual["headers"] = serde_json::to_value(&guess.headers).unwrap();
                compare_keys("guess", want, &actual, &mut failures);
                options.get_or_insert(ParseOptions::Csv(guess.mapping));
            }
            Err(error) => failures.push(format!("guess failed: {error}")),
        }
    }
    if let Some(want) = expected.get("guess_date_order") {
        let got = serde_json::to_value(import::guess_date_order(&text)).unwrap();
        if &got != want {
            failures.push(format!("guess_date_order is {got}, expected {want}"));
        }
    }
    let Some(options) = options else {
        failures.push("no options and no guess".into());
        return Err(failures);
    };
    let statement = match import::parse_file(bytes, &options) {
        Ok(statement) => statement,
        Err(error) => {
            failures.push(format!("parse failed: {error}"));
            return Err(failures);
        }
    };
    let actual = serde_json::to_value(&statement).unwrap();
    compare_keys("statement", &expected["statement"], &actual, &mut failures);

    let want_rows = expected["rows"].as_array().cloned().unwrap_or_default();
    if want_rows.len() != statement.rows.len() {
        failures.push(format!("{} rows, expected {}", statement.rows.len(), want_rows.len()));
    }
    for (i, (want, got)) in want_rows.iter().zip(&statement.rows).enumerate() {
        compare_keys(&format!("row {i}"), want, &serde_json::to_value(got).unwrap(), &mut failures);
    }
    let want_errors = expected["errors"].as_array().cloned().unwrap_or_default();
    if want_errors.len() != statement.errors.len() {
        failures.push(format!("errors {:?}, expected {}", statement.errors, want_errors.len()));
    }
    for (want, got) in want_errors.iter().zip(&statement.errors) {
        let line = want["line"].as_u64().and_then(|l| usize::try_from(l).ok());
        let contains = want["contains"].as_str().unwrap_or_default();
        if line != Some(got.line) || !got.message.contains(contains) {
            failures.push(format!("error {got}, expected line {line:?} containing {contains:?}"));
        }
    }
    if failures.is_empty() { Ok(()) } else { Err(failures) }
}

#[test]
fn every_fixture_parses_as_expected() {
    let all = fixtures();
    assert!(all.len() >= 12, "expected the twelve fixtures, found {}", all.len());
    let mut report = Vec::new();
    for (name, bytes, expected) in &all {
        if let Err(failures) = check(name, bytes, expected) {
            report.push(format!("{name}:\n  {}", failures.join("\n  ")));
        }
    }
    assert!(report.is_empty(), "\n{}", report.join("\n"));
}

#[test]
fn every_expected_file_has_its_fixture() {
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(fixture) = name.strip_suffix(".expected.json") {
            assert!(fixture_dir().join(fixture).exists(), "{name} has no fixture");
        }
    }
}

fn parse_fixture(name: &str, options: &ParseOptions) -> Statement {
    let bytes = std::fs::read(fixture_dir().join(name)).unwrap();
    import::parse_file(&bytes, options).unwrap()
}

/// Importing the same QFX twice finds every row by FITID; the two identical coffees in it
/// are two rows, and a bank feed that saw one coffee matches only one of them.
#[test]
fn reimporting_a_file_finds_its_rows() {
    let statement = parse_fixture("bank.qfx", &ParseOptions::Ofx);
    let new = statement.candidates();
    let first_import: Vec<Existing> = new
        .iter()
        .map(|c| Existing {
            id: uuid::Uuid::from_u128(c.index as u128 + 1),
            date: c.date,
            amount: c.amount,
            normalized: c.normalized.clone(),
            fitid: c.fitid.clone(),
            source: "import".into(),
        })
        .collect();
    let again = import::duplicates(&new, &first_import, 3);
    assert!(again.iter().all(|d| d.reason == DuplicateReason::SameFitid), "{again:?}");

    let date = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
    let plaid = [Existing {
        id: uuid::Uuid::from_u128(99),
        date,
        amount: Decimal::new(-375, 2),
        normalized: normalize_description("Blue Bottle Coffee"),
        fitid: None,
        source: "plaid".into(),
    }];
    let decisions = import::duplicates(&new, &plaid, 3);
    let matched: Vec<usize> = decisions.iter().filter(|d| d.duplicate_of.is_some()).map(|d| d.index).collect();
    assert_eq!(matched, vec![1], "{decisions:?}");
    assert_eq!(decisions[1].reason, DuplicateReason::NearDateAmountDescription { days: 1 });
}
