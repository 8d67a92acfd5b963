//! Statement files a person downloads from their bank — OFX and QFX, QIF, CSV — read into
//! rows Manna can import. Pure: bytes or text in, rows out; the server stores them.
//!
//! Every parser here:
//! - returns a [`Statement`] whose rows carry the 1-based line (of the decoded text) where
//!   their record starts; a record that cannot be read becomes a [`RowError`] naming its
//!   line, and the rest of the file still parses;
//! - fails as a whole ([`ImportError`]) only when the file is empty, too large, not of
//!   its kind, or has no statement in it;
//! - never panics and does work linear in its input, whatever the bytes; lists at most
//!   [`MAX_ROW_ERRORS`] errors (then how many more) and refuses files of more than
//!   [`MAX_ROWS`] transactions or [`MAX_FILE_BYTES`] bytes;
//! - reads amounts from their text into exact decimals (never floats), at most two
//!   decimals and less than 10^13 in magnitude (Manna's `NUMERIC(15,2)`), and dates
//!   between 1900-01-01 and 2200-12-31.
//!
//! Signs: Manna's positive is money into the account. Bank files are signed that way
//! already. Credit-card files are kept as the file has them: in OFX a charge is negative
//! and a payment positive — the sign bank sync gives card rows too
//! ([`crate::bank_sync::manna_amount`]). A CSV whose card charges are positive needs
//! `negate` in its [`CsvMapping`]. `LEDGERBAL` is also kept as written (for a card,
//! usually negative: what is owed).

mod duplicates;
mod text;
mod values;

pub mod csv_import;
pub mod ofx;
pub mod qif;

pub use csv_import::{AmountColumns, CsvGuess, CsvMapping, DateFormat, guess_mapping};
pub use duplicates::{
    Candidate, Decision, DuplicateReason, Existing, MAX_WINDOW_DAYS, duplicates, similar_descriptions,
};
pub use qif::{QifOptions, guess_date_order};
pub use text::{Encoding, decode_text, normalize_description};
pub use values::{DateOrder, MAX_DATE, MIN_DATE};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The largest file Manna reads: years of statements fit many times over.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// The most transactions one file may hold (a busy account's ten years fit).
pub const MAX_ROWS: usize = 100_000;

/// Row errors listed one by one; past this, a last one says how many more there were.
pub const MAX_ROW_ERRORS: usize = 1_000;

/// What a description is when the file gives none.
pub const NO_DESCRIPTION: &str = "(no description)";

/// The kinds of statement file Manna reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Ofx,
    /// Quicken's OFX: the same format, with Intuit's `INTU.BID` bank id.
    Qfx,
    Qif,
    Csv,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Ofx, Format::Qfx, Format::Qif, Format::Csv];

    /// The stable name used in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Ofx => "ofx",
            Format::Qfx => "qfx",
            Format::Qif => "qif",
            Format::Csv => "csv",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Format::Ofx => "OFX (Open Financial Exchange)",
            Format::Qfx => "QFX (Quicken Web Connect)",
            Format::Qif => "QIF (Quicken Interchange Format)",
            Format::Csv => "CSV (spreadsheet export)",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// One transaction read from a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedRow {
    /// 1-based line of the decoded file where the record starts.
    pub line: usize,
    pub date: NaiveDate,
    /// Positive = money into the account; two decimals (see the module docs on signs).
    pub amount: Decimal,
    /// OFX `NAME` (else `PAYEE/NAME`, else `MEMO`), QIF `P` (else `M`), the CSV's
    /// description column: trimmed, never empty ([`NO_DESCRIPTION`]).
    pub description: String,
    /// OFX `PAYEE/NAME`, or the CSV's merchant column.
    pub merchant: Option<String>,
    pub memo: Option<String>,
    /// QIF `L`, or the CSV's category column. OFX has none.
    pub category: Option<String>,
    /// QIF `L[Savings]`: a transfer to or from the account in brackets. `category` keeps
    /// the text, brackets included.
    pub transfer: bool,
    /// OFX `FITID`: the bank's id for the transaction, stable across downloads.
    pub fitid: Option<String>,
    pub check_number: Option<String>,
    /// OFX: the last 4 characters of the statement's `ACCTID`. QIF: the `!Account` name
    /// the row was listed under. CSV: none.
    pub account: Option<String>,
}

/// A record that could not be read; the rest of the file still was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based line of the decoded file.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What the file says about the account it is for (OFX only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountHint {
    /// `BANKID`: the routing number.
    pub bank_id: Option<String>,
    /// The last 4 characters of `ACCTID`.
    pub account_last4: Option<String>,
    /// `ACCTTYPE` (`CHECKING`, `SAVINGS`, `MONEYMRKT`, `CREDITLINE`, `CD`), or
    /// `CREDITCARD` for a credit-card statement.
    pub account_type: Option<String>,
    pub credit_card: bool,
}

/// Everything read from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub format: Format,
    pub rows: Vec<ParsedRow>,
    pub errors: Vec<RowError>,
    /// OFX `CURDEF` of the first statement.
    pub currency: Option<String>,
    /// OFX `LEDGERBAL` (`BALAMT`, `DTASOF`) of the first statement that has one.
    pub ledger_balance: Option<(Decimal, NaiveDate)>,
    /// The first statement's account.
    pub account: Option<AccountHint>,
}

impl Statement {
    pub(crate) fn new(format: Format) -> Self {
        Statement { format, rows: Vec::new(), errors: Vec::new(), currency: None, ledger_balance: None, account: None }
    }

    /// The rows as [`duplicates`] candidates: matched by FITID, else by amount, date and
    /// the normalized merchant (or the description when the file names no merchant).
    pub fn candidates(&self) -> Vec<Candidate> {
        self.rows
            .iter()
            .enumerate()
            .map(|(index, r)| Candidate {
                index,
                date: r.date,
                amount: r.amount,
                normalized: normalize_description(r.merchant.as_deref().unwrap_or(&r.description)),
                fitid: r.fitid.clone(),
            })
            .collect()
    }
}

/// Why a whole file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is too large: Manna reads statement files up to {} MB", limit / (1024 * 1024))]
    TooLarge { limit: usize },
    #[error("this is not a statement file Manna reads (OFX, QFX, QIF or CSV)")]
    NotRecognized,
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error("the column settings are not usable: {message}")]
    BadMapping { message: String },
}

/// How to read a file: its format and what that format needs to be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "lowercase")]
pub enum ParseOptions {
    Ofx,
    Qfx,
    Qif(QifOptions),
    Csv(CsvMapping),
}

/// Decodes the bytes ([`decode_text`]) and parses them as `options` says.
pub fn parse_file(bytes: &[u8], options: &ParseOptions) -> Result<Statement, ImportError> {
    check_size(bytes.len())?;
    let (text, _) = decode_text(bytes);
    match options {
        ParseOptions::Ofx => ofx::parse(&text),
        ParseOptions::Qfx => ofx::parse(&text).map(|s| Statement { format: Format::Qfx, ..s }),
        ParseOptions::Qif(options) => qif::parse(&text, options),
        ParseOptions::Csv(mapping) => csv_import::parse(&text, mapping),
    }
}

fn check_size(len: usize) -> Result<(), ImportError> {
    if len > MAX_FILE_BYTES { Err(ImportError::TooLarge { limit: MAX_FILE_BYTES }) } else { Ok(()) }
}

/// The checks every parser starts with; the text comes back without a byte-order mark
/// and with `\n` line ends.
pub(crate) fn prepare(text: &str) -> Result<Cow<'_, str>, ImportError> {
    check_size(text.len())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(text::normalize_newlines(text))
}

/// Collects row errors, keeping the first [`MAX_ROW_ERRORS`] (a file read with the wrong
/// settings fails on every line; memory stays small however long it is).
#[derive(Debug, Default)]
pub(crate) struct Errors {
    list: Vec<RowError>,
    omitted: usize,
    first_omitted: usize,
}

impl Errors {
    pub(crate) fn push(&mut self, error: RowError) {
        if self.list.len() < MAX_ROW_ERRORS {
            self.list.push(error);
        } else {
            if self.omitted == 0 {
                self.first_omitted = error.line;
            }
            self.omitted = self.omitted.saturating_add(1);
        }
    }

    /// The errors in line order, and the count of those not listed.
    pub(crate) fn into_vec(self) -> Vec<RowError> {
        let mut list = self.list;
        list.sort_by_key(|e| e.line);
        if self.omitted > 0 {
            let message = format!(
                "{} more lines from here on could not be read either (only the first {MAX_ROW_ERRORS} are listed); \
                 is this the right file, with the right settings?",
                self.omitted
            );
            list.push(RowError { line: self.first_omitted, message });
        }
        list
    }
}

/// The whole-file error for a file with more than [`MAX_ROWS`] transactions.
pub(crate) fn too_many_rows(line: usize) -> ImportError {
    ImportError::Malformed {
        line,
        message: format!("the file has more than {MAX_ROWS} transactions; import it in smaller pieces"),
    }
}

/// Trims a field and turns an empty one into `None`.
pub(crate) fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// How much of a file detection looks at.
const SNIFF_BYTES: usize = 64 * 1024;

/// Tells a statement file's format from its content: OFX by its header or `<OFX>` tag (QFX
/// when it carries `INTU.BID`), QIF by a leading `!Type:`, `!Account`, `!Option` or
/// `!Clear`, CSV when its first lines are split by one delimiter. `None` for anything else
/// (a PDF, a spreadsheet, a single column of text).
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let head = match bytes.get(..SNIFF_BYTES) {
        Some(head) => head,
        None => bytes,
    };
    let (text, encoding) = decode_text(head);
    let text = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if text.contains('\0') && encoding != Encoding::Utf16Le && encoding != Encoding::Utf16Be {
        return None;
    }
    let upper = text.to_ascii_uppercase();
    let ofx = upper.starts_with("OFXHEADER")
        || upper.contains("<OFX>")
        || (upper.starts_with("<?XML") && upper.contains("<?OFX"));
    if ofx {
        return Some(if upper.contains("<INTU.BID>") { Format::Qfx } else { Format::Ofx });
    }
    if ["!TYPE:", "!ACCOUNT", "!OPTION", "!CLEAR"].iter().any(|p| upper.starts_with(p)) {
        return Some(Format::Qif);
    }
    csv_import::looks_delimited(text).then_some(Format::Csv)
}

/// [`detect`], with the file's name as a hint: `.qfx` makes OFX content QFX, `.qif`
/// wins over a weak CSV reading, and `.csv`/`.tsv`/`.txt` name a CSV that has a single
/// column or no delimiter in its first lines.
pub fn detect_named(name: &str, bytes: &[u8]) -> Option<Format> {
    let extension = name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
    let by_content = detect(bytes);
    let has_text = !bytes.iter().all(u8::is_ascii_whitespace);
    match (by_content, extension.as_str()) {
        (Some(Format::Ofx | Format::Qfx), "qfx") => Some(Format::Qfx),
        (Some(Format::Csv) | None, "qif") if has_text => Some(Format::Qif),
        (None, "csv" | "tsv" | "txt") if has_text && !bytes.contains(&0) => Some(Format::Csv),
        (found, _) => found,
    }
}

#[cfg(test)]
mod tests;
