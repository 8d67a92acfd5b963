//! A first [`CsvMapping`] for a CSV Manna has not seen: the delimiter, the lines before
//! the header, the header itself, which column is which (by header name, else by the
//! values), the decimal mark and the date order. The person confirms it; when the dates
//! read two ways (`01/02/2024`), `ambiguous_date` says to ask.

use super::{AmountColumns, CsvMapping, DateFormat, Lines, clean, reader};
use crate::import::values::{
    DateOrder, OrderGuess, decimal_comma_evidence, guess_order, looks_like_amount, parse_date,
};
use crate::import::{ImportError, prepare};
use serde::{Deserialize, Serialize};

/// What [`guess_mapping`] proposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsvGuess {
    pub mapping: CsvMapping,
    /// The header row's cells (empty when the file has no header), to label the columns.
    pub headers: Vec<String>,
    /// 0.0–1.0: 1.0 when every column was found by its header name and the dates read
    /// one way only; lower for each thing inferred from the values.
    pub confidence: f32,
    /// Every date reads both as month/day and as day/month, differently: ask which.
    pub ambiguous_date: bool,
}

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Lines looked at: enough to see the shape, few enough to stay quick.
const SAMPLE_LINES: usize = 200;
const SAMPLE_BYTES: usize = 256 * 1024;
/// Bank exports have a dozen columns; far more is not a statement (and would make the
/// per-column checks slow).
const MAX_COLUMNS: usize = 256;

const DATE: &[&str] = &[
    "date",
    "posting date",
    "post date",
    "posted date",
    "transaction date",
    "trans date",
    "booking date",
    "value date",
    "buchungstag",
    "buchungsdatum",
    "datum",
    "fecha",
    "data",
    "date operation",
    "completed date",
];
const AMOUNT: &[&str] =
    &["amount", "transaction amount", "betrag", "importe", "montant", "bedrag", "net amount", "amount usd", "value"];
const DEBIT: &[&str] =
    &["debit", "debits", "debit amount", "withdrawal", "withdrawals", "money out", "paid out", "outflow", "soll"];
const CREDIT: &[&str] =
    &["credit", "credits", "credit amount", "deposit", "deposits", "money in", "paid in", "inflow", "haben"];
const DESCRIPTION: &[&str] = &[
    "description",
    "transaction description",
    "payee",
    "auftraggeber empfänger",
    "empfänger",
    "details",
    "transaction details",
    "name",
    "narrative",
    "buchungstext",
    "beschreibung",
    "verwendungszweck",
    "libellé",
    "libelle",
    "concepto",
    "memo",
    "reference",
];
const MERCHANT: &[&str] = &["merchant", "merchant name", "payee", "auftraggeber empfänger", "counterparty", "name"];
const CATEGORY: &[&str] = &["category", "kategorie", "categoria", "catégorie"];
const MEMO: &[&str] = &["memo", "notes", "note", "verwendungszweck", "reference"];

/// `"Posting Date"` → `"posting date"`, `"Amount (USD)"` → `"amount usd"`.
fn header_key(cell: &str) -> String {
    let spaced: String = cell.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn find(keys: &[String], names: &[&str], used: &[usize]) -> Option<usize> {
    names.iter().find_map(|name| keys.iter().enumerate().position(|(i, k)| k == name && !used.contains(&i)))
}

struct Sniff {
    delimiter: u8,
    columns: usize,
    /// (line, cells) of the sampled records.
    records: Vec<(usize, Vec<String>)>,
    score: usize,
}

/// The first [`SAMPLE_LINES`] lines, and no more than [`SAMPLE_BYTES`] (cut at a line end
/// when there is one).
fn sample(text: &str) -> &str {
    let mut end = text.match_indices('\n').nth(SAMPLE_LINES).map(|(at, _)| at).unwrap_or(text.len());
    if end > SAMPLE_BYTES {
        let mut cut = SAMPLE_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        end = text.get(..cut).and_then(|head| head.rfind('\n')).unwrap_or(cut);
    }
    text.get(..end).unwrap_or(text)
}

/// The delimiter that splits the most records into one same number (≥ 2) of columns.
fn sniff(text: &str) -> Option<Sniff> {
    let text = sample(text);
    let mut best: Option<Sniff> = None;
    for delimiter in DELIMITERS {
        let mut lines = Lines::new(text);
        let records: Vec<(usize, Vec<String>)> = reader(text, delimiter)
            .records()
            .filter_map(Result::ok)
            .map(|r| (lines.at(r.position()), r.iter().map(|c| clean(c).to_string()).collect()))
            .collect();
        let mut counts: Vec<usize> = records.iter().map(|(_, cells)| cells.len()).filter(|n| *n >= 2).collect();
        counts.sort_unstable();
        let (mut columns, mut score) = (0, 0);
        for group in counts.chunk_by(|a, b| a == b) {
            if let Some(&n) = group.first()
                && (group.len(), n) > (score, columns)
            {
                (columns, score) = (n, group.len());
            }
        }
        // The share of records that have the common count: a wrong delimiter splits some
        // lines more than others (and quoted line breaks into extra records).
        let consistency = score as f64 / records.len().max(1) as f64;
        let better = |b: &Sniff| {
            let theirs = b.score as f64 / b.records.len().max(1) as f64;
            consistency > theirs || (consistency == theirs && columns > b.columns)
        };
        if score > 0 && best.as_ref().is_none_or(better) {
            best = Some(Sniff { delimiter, columns, records, score });
        }
    }
    best
}

/// Whether the text's first lines are split by one delimiter into columns.
pub(crate) fn looks_delimited(text: &str) -> bool {
    sniff(text).is_some_and(|s| s.score * 2 >= s.records.len() && (s.score >= 2 || s.records.len() == 1))
}

fn parses_as_date(cell: &str) -> bool {
    [DateOrder::MonthFirst, DateOrder::DayFirst, DateOrder::YearFirst].into_iter().any(|o| parse_date(cell, o).is_ok())
}

/// The share of `rows` whose cell `column` passes `test` (empty cells count against).
fn share(rows: &[&Vec<String>], column: usize, test: impl Fn(&str) -> bool) -> f32 {
    if rows.is_empty() {
        return 0.0;
    }
    let hits = rows.iter().filter(|r| r.get(column).is_some_and(|c| !c.is_empty() && test(c))).count();
    hits as f32 / rows.len() as f32
}

/// Proposes a mapping for a CSV file.
pub fn guess_mapping(text: &str) -> Result<CsvGuess, ImportError> {
    let text = prepare(text)?;
    let malformed = |line: usize, message: &str| ImportError::Malformed { line, message: message.to_string() };
    let sniff = sniff(&text)
        .filter(|s| s.columns >= 2)
        .ok_or_else(|| malformed(1, "no comma, semicolon, tab or | splits this file into columns"))?;
    if sniff.columns > MAX_COLUMNS {
        return Err(malformed(1, "this file has hundreds of columns; it does not look like a bank statement"));
    }
    let first = sniff.records.iter().position(|(_, cells)| cells.len() == sniff.columns).unwrap_or(0);
    let (first_line, first_cells) = sniff.records.get(first).cloned().unwrap_or_default();
    let skip_rows = first_line.saturating_sub(1);
    let has_header = first_cells.iter().any(|c| c.chars().any(char::is_alphabetic))
        && !first_cells.iter().any(|c| parses_as_date(c) || looks_like_amount(c));
    let data_from = if has_header { first + 1 } else { first };
    let rows: Vec<&Vec<String>> = sniff.records.iter().skip(data_from).map(|(_, cells)| cells).collect();
    if rows.is_empty() {
        return Err(malformed(first_line.max(1), "the file has a header but no rows under it"));
    }
    let keys: Vec<String> = if has_header { first_cells.iter().map(|c| header_key(c)).collect() } else { Vec::new() };
    let mut used: Vec<usize> = Vec::new();
    let mut confidence: f32 = if has_header { 1.0 } else { 0.75 };

    let best_by = |used: &[usize], test: &dyn Fn(&str) -> bool| {
        (0..sniff.columns)
            .filter(|c| !used.contains(c))
            .map(|c| (c, share(&rows, c, test)))
            .filter(|(_, s)| *s >= 0.8)
            .fold(
                None,
                |best: Option<(usize, f32)>, (c, s)| {
                    if best.is_some_and(|(_, b)| b >= s) { best } else { Some((c, s)) }
                },
            )
            .map(|(c, _)| c)
    };

    let date = match find(&keys, DATE, &used) {
        Some(c) => c,
        None => {
            confidence -= 0.15;
            best_by(&used, &parses_as_date)
                .ok_or_else(|| malformed(first_line.max(1), "no column of dates found; choose the columns by hand"))?
        }
    };
    used.push(date);

    let amount = if let Some(c) = find(&keys, AMOUNT, &used)
        .or_else(|| keys.iter().enumerate().position(|(i, k)| k.starts_with("amount") && !used.contains(&i)))
    {
        AmountColumns::Signed { column: c, negate: false }
    } else if let (Some(debit), Some(credit)) = (find(&keys, DEBIT, &used), find(&keys, CREDIT, &used)) {
        AmountColumns::DebitCredit { debit, credit }
    } else {
        confidence -= 0.2;
        let column = best_by(&used, &looks_like_amount)
            .ok_or_else(|| malformed(first_line.max(1), "no column of amounts found; choose the columns by hand"))?;
        AmountColumns::Signed { column, negate: false }
    };
    match amount {
        AmountColumns::Signed { column, .. } => used.push(column),
        AmountColumns::DebitCredit { debit, credit } => used.extend([debit, credit]),
    }

    let description = match find(&keys, DESCRIPTION, &used) {
        Some(c) => c,
        None => {
            confidence -= 0.1;
            // The column of the longest text that is not a number.
            let text_length = |c: usize| {
                rows.iter()
                    .filter_map(|r| r.get(c))
                    .filter(|cell| !looks_like_amount(cell) && cell.chars().any(char::is_alphabetic))
                    .map(|cell| cell.chars().count())
                    .sum::<usize>()
            };
            (0..sniff.columns)
                .filter(|c| !used.contains(c))
                .max_by_key(|c| (text_length(*c), usize::MAX - c))
                .unwrap_or(date)
        }
    };
    used.push(description);
    let mut optional = |names: &[&str]| {
        let found = find(&keys, names, &used);
        used.extend(found);
        found
    };
    let (merchant, category, memo) = (optional(MERCHANT), optional(CATEGORY), optional(MEMO));

    let amount_columns: Vec<usize> = match amount {
        AmountColumns::Signed { column, .. } => vec![column],
        AmountColumns::DebitCredit { debit, credit } => vec![debit, credit],
    };
    let (mut comma, mut point) = (0usize, 0usize);
    for cell in rows.iter().flat_map(|r| amount_columns.iter().filter_map(|c| r.get(*c))) {
        match decimal_comma_evidence(cell) {
            Some(true) => comma += 1,
            Some(false) => point += 1,
            None => {}
        }
    }
    let decimal_comma = if comma == point { sniff.delimiter == b';' } else { comma > point };

    let dates: Vec<&str> =
        rows.iter().filter_map(|r| r.get(date)).map(String::as_str).filter(|c| parses_as_date(c)).collect();
    let (order, ambiguous_date) = match guess_order(dates.iter().copied()) {
        OrderGuess::Only(order) => (order, false),
        OrderGuess::Ambiguous => (if decimal_comma { DateOrder::DayFirst } else { DateOrder::MonthFirst }, true),
        OrderGuess::NoneFits => {
            return Err(malformed(
                first_line.max(1),
                "the dates in the date column do not read one way; choose the format by hand",
            ));
        }
    };
    if ambiguous_date {
        confidence -= 0.2;
    }

    let mapping = CsvMapping {
        delimiter: sniff.delimiter,
        decimal_comma,
        skip_rows,
        has_header,
        date,
        date_format: DateFormat::from_order(order),
        amount,
        description,
        merchant,
        category,
        memo,
    };
    let headers = if has_header { first_cells } else { Vec::new() };
    let confidence = (confidence.clamp(0.05, 1.0) * 100.0).round() / 100.0;
    Ok(CsvGuess { mapping, headers, confidence, ambiguous_date })
}
