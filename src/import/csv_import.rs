//! CSV exports, read with a [`CsvMapping`] that says which column holds what. The mapping
//! is saved per account, so the next file from the same bank needs no questions;
//! [`guess_mapping`] proposes one for a new file.
//!
//! Amount cells: `1,234.56`, `-12.30`, `(12.30)`, `12.30-`, `$12.30`, and with a decimal
//! comma `€ 12,30`, `1.234,56`. With separate debit and credit columns, a debit is money
//! out whatever its sign, a credit money in as written, an empty cell zero. Excel's
//! `="0123"` cells are unwrapped. Blank lines are skipped.

mod guess;

pub(crate) use guess::looks_delimited;
pub use guess::{CsvGuess, guess_mapping};

use super::values::{DateOrder, DecimalMark, check_date_range, parse_date, parse_money, shorten, tidy_amount};
use super::{
    Errors, Format, ImportError, MAX_ROWS, NO_DESCRIPTION, ParsedRow, RowError, Statement, non_empty, prepare,
    too_many_rows,
};
use crate::money::MAX_ABS_AMOUNT;
use chrono::NaiveDate;
use csv::StringRecord;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which columns (0-based) of a CSV hold what, and how its values are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvMapping {
    /// `b','`, `b';'`, `b'\t'` or `b'|'`.
    pub delimiter: u8,
    /// Amounts like `1.234,56`.
    pub decimal_comma: bool,
    /// Lines before the header (or before the first row when there is no header).
    pub skip_rows: usize,
    pub has_header: bool,
    pub date: usize,
    pub date_format: DateFormat,
    pub amount: AmountColumns,
    pub description: usize,
    pub merchant: Option<usize>,
    pub category: Option<usize>,
    pub memo: Option<usize>,
}

/// Where the amount is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AmountColumns {
    /// One column, positive = money in; `negate` for banks that write money out as
    /// positive (many credit-card exports).
    Signed { column: usize, negate: bool },
    /// Money out in `debit`, money in in `credit`.
    DebitCredit { debit: usize, credit: usize },
}

/// How the date column is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// `01/31/2024`, `1/31/24`, `2024-01-31` (a four-digit year first always reads
    /// year-month-day), `Jan 31, 2024`.
    MonthFirst,
    /// `31/01/2024`, `31.01.2024`, `31-Jan-24`.
    DayFirst,
    /// `24/01/31`.
    YearFirst,
    /// A chrono pattern for anything else, e.g. `"%d %B %Y"`. Only `%Y %y %m %d %e %b %B
    /// %h %%` (with an optional `-`, `_` or `0` flag) are accepted.
    Pattern(String),
}

impl DateFormat {
    pub fn from_order(order: DateOrder) -> Self {
        match order {
            DateOrder::MonthFirst => DateFormat::MonthFirst,
            DateOrder::DayFirst => DateFormat::DayFirst,
            DateOrder::YearFirst => DateFormat::YearFirst,
        }
    }

    fn check(&self) -> Result<(), String> {
        let DateFormat::Pattern(pattern) = self else { return Ok(()) };
        let mut chars = pattern.chars();
        let (mut year, mut month, mut day) = (false, false, false);
        while let Some(c) = chars.next() {
            if c != '%' {
                continue;
            }
            let mut spec = chars.next();
            if matches!(spec, Some('-' | '_' | '0')) {
                spec = chars.next();
            }
            match spec {
                Some('Y' | 'y') => year = true,
                Some('m' | 'b' | 'B' | 'h') => month = true,
                Some('d' | 'e') => day = true,
                Some('%') => {}
                other => {
                    let shown = other.map(String::from).unwrap_or_default();
                    return Err(format!(
                        "the date pattern \"{}\" uses %{shown}, which Manna does not read",
                        shorten(pattern)
                    ));
                }
            }
        }
        if year && month && day {
            Ok(())
        } else {
            Err(format!("the date pattern \"{}\" needs a year, a month and a day", shorten(pattern)))
        }
    }

    fn parse(&self, text: &str) -> Result<NaiveDate, String> {
        match self {
            DateFormat::MonthFirst => parse_date(text, DateOrder::MonthFirst),
            DateFormat::DayFirst => parse_date(text, DateOrder::DayFirst),
            DateFormat::YearFirst => parse_date(text, DateOrder::YearFirst),
            DateFormat::Pattern(pattern) => {
                let shown = shorten(text);
                let date = NaiveDate::parse_from_str(text.trim(), pattern)
                    .map_err(|_| format!("\"{shown}\" is not a date in the form {}", shorten(pattern)))?;
                check_date_range(date, &shown)
            }
        }
    }
}

impl CsvMapping {
    /// Refuses settings no file could be read with.
    pub fn check(&self) -> Result<(), ImportError> {
        let bad = |message: String| ImportError::BadMapping { message };
        if !self.delimiter.is_ascii() || matches!(self.delimiter, b'"' | b'\n' | b'\r') {
            return Err(bad("the separator must be a comma, semicolon, tab or another plain character".into()));
        }
        self.date_format.check().map_err(bad)
    }

    fn mark(&self) -> DecimalMark {
        if self.decimal_comma { DecimalMark::Comma } else { DecimalMark::Point }
    }
}

/// The most cells one line may have.
const MAX_CELLS: usize = 1024;

/// A reader over CSV text that tolerates ragged lines.
pub(crate) fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(false).from_reader(text.as_bytes())
}

/// Turns the byte offsets the `csv` crate gives into 1-based lines. (Its own line count
/// skips blank lines, and a record's offset points at the blank lines before it.) Offsets
/// must come in increasing order, as records do: the whole text is scanned once.
pub(crate) struct Lines<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lines { text: text.as_bytes(), at: 0, line: 1 }
    }

    pub(crate) fn at(&mut self, position: Option<&csv::Position>) -> usize {
        let target = position.map(|p| usize::try_from(p.byte()).unwrap_or(usize::MAX)).unwrap_or(self.at);
        let target = target.clamp(self.at, self.text.len());
        let skipped = self.text.get(self.at..target).unwrap_or_default();
        self.line = self.line.saturating_add(skipped.iter().filter(|&&b| b == b'\n').count());
        self.at = target;
        // Blank lines before the record belong to nothing.
        while self.text.get(self.at) == Some(&b'\n') {
            self.at += 1;
            self.line = self.line.saturating_add(1);
        }
        self.line
    }
}

/// A cell without surrounding spaces, and without Excel's `="…"` wrapper.
fn clean(cell: &str) -> &str {
    let cell = cell.trim();
    cell.strip_prefix("=\"").and_then(|c| c.strip_suffix('"')).map(str::trim).unwrap_or(cell)
}

/// The byte offset where line `skip + 1` starts, if the text has that many lines.
fn skip_lines(text: &str, skip: usize) -> Option<usize> {
    let mut offset = 0;
    for _ in 0..skip {
        let next = text.get(offset..)?.find('\n')?;
        offset += next + 1;
    }
    Some(offset)
}

/// Reads a CSV file with `mapping`.
pub fn parse(text: &str, mapping: &CsvMapping) -> Result<Statement, ImportError> {
    mapping.check()?;
    let text = prepare(text)?;
    let start = skip_lines(&text, mapping.skip_rows).ok_or_else(|| ImportError::BadMapping {
        message: format!("the settings skip {} lines, more than the file has", mapping.skip_rows),
    })?;
    let body = text.get(start..).unwrap_or_default();
    // A line split into thousands of cells is not a statement, and would cost memory
    // out of all proportion to the file.
    for (i, line) in body.split('\n').enumerate() {
        if line.bytes().filter(|&b| b == mapping.delimiter).count() >= MAX_CELLS {
            return Err(ImportError::Malformed {
                line: mapping.skip_rows.saturating_add(i).saturating_add(1),
                message: format!("this line has more than {MAX_CELLS} cells; is the separator right?"),
            });
        }
    }
    let mut statement = Statement::new(Format::Csv);
    let mut errors = Errors::default();
    let mut header_pending = mapping.has_header;
    let mut lines = Lines::new(body);
    for result in reader(body, mapping.delimiter).records() {
        let record = match result {
            Ok(record) => record,
            Err(error) => {
                let line = lines.at(error.position()).saturating_add(mapping.skip_rows);
                errors.push(RowError { line, message: "this line is not valid CSV".to_string() });
                continue;
            }
        };
        let line = lines.at(record.position()).saturating_add(mapping.skip_rows);
        if std::mem::take(&mut header_pending) || record.iter().all(|c| clean(c).is_empty()) {
            continue;
        }
        match row(&record, mapping, line) {
            Ok(_) if statement.rows.len() >= MAX_ROWS => return Err(too_many_rows(line)),
            Ok(row) => statement.rows.push(row),
            Err(message) => errors.push(RowError { line, message }),
        }
    }
    statement.errors = errors.into_vec();
    Ok(statement)
}

fn row(record: &StringRecord, mapping: &CsvMapping, line: usize) -> Result<ParsedRow, String> {
    let cell = |i: usize| record.get(i).map(clean);
    let missing = |what: &str, i: usize| {
        let n = record.len();
        let plural = if n == 1 { "" } else { "s" };
        format!("this line has {n} column{plural}; the {what} should be in column {}", i.saturating_add(1))
    };
    let date_text = cell(mapping.date).ok_or_else(|| missing("date", mapping.date))?;
    let date = mapping.date_format.parse(date_text)?;
    let amount = match mapping.amount {
        AmountColumns::Signed { column, negate } => {
            let text = cell(column).ok_or_else(|| missing("amount", column))?;
            let amount = parse_money(text, mapping.mark())?;
            if negate { -amount } else { amount }
        }
        AmountColumns::DebitCredit { debit, credit } => {
            let read = |i: usize, what: &str| -> Result<Option<Decimal>, String> {
                match cell(i).filter(|c| !c.is_empty()) {
                    Some(text) => parse_money(text, mapping.mark()).map(Some).map_err(|m| format!("{what}: {m}")),
                    None => Ok(None),
                }
            };
            let (out, inflow) = (read(debit, "debit")?, read(credit, "credit")?);
            if out.is_none() && inflow.is_none() {
                return Err("there is no amount in the debit or the credit column".to_string());
            }
            let amount = inflow.unwrap_or_default() - out.unwrap_or_default().abs();
            if amount.abs() > MAX_ABS_AMOUNT {
                return Err("the amount is too large (the limit is 9,999,999,999,999.99)".to_string());
            }
            amount
        }
    };
    let text = |i: Option<usize>| i.and_then(cell).and_then(non_empty);
    Ok(ParsedRow {
        line,
        date,
        amount: tidy_amount(amount),
        description: text(Some(mapping.description)).unwrap_or_else(|| NO_DESCRIPTION.to_string()),
        merchant: text(mapping.merchant),
        memo: text(mapping.memo),
        category: text(mapping.category),
        transfer: false,
        fitid: None,
        check_number: None,
        account: None,
    })
}

#[cfg(test)]
mod tests;
