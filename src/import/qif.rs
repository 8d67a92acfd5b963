//! QIF (Quicken Interchange Format): `!Type:Bank`, `!Type:CCard`, `!Type:Cash` and the
//! other-asset/liability types, one field per line, each record ended by `^`.
//!
//! Fields read: `D` date, `T` (else `U`) amount, `P` payee, `M` memo, `L` category
//! (`[Savings]` is a transfer: the text is kept and [`ParsedRow::transfer`] set), `N`
//! check number. Split lines (`S`, `E`, `$`, `%`) stay in their record: its `T` amount
//! stands, and only a record without one takes the sum of its `$` lines. `C` (cleared)
//! and `A` (address) are ignored. `!Account` blocks name the account the following
//! sections belong to; list sections (`!Type:Cat`, `!Type:Class`, `!Type:Memorized`…) and
//! investment sections are skipped; `!Option:`/`!Clear:` lines change nothing.
//!
//! QIF dates carry no order, so the caller says it ([`QifOptions`]);
//! [`guess_date_order`] answers only when the file settles it.

use super::values::{DateOrder, DecimalMark, OrderGuess, decimal_comma_evidence, guess_order, parse_date, parse_money};
use super::{
    Errors, Format, ImportError, MAX_ROWS, NO_DESCRIPTION, ParsedRow, RowError, Statement, non_empty, prepare,
    too_many_rows,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a QIF file cannot say about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QifOptions {
    pub date_order: DateOrder,
    /// Amounts like `1.234,56` (Quicken's European editions).
    pub decimal_comma: bool,
}

impl Default for QifOptions {
    fn default() -> Self {
        QifOptions { date_order: DateOrder::MonthFirst, decimal_comma: false }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Before any `!` header.
    Start,
    Transactions,
    Account,
    Skip,
}

#[derive(Debug, Default)]
struct Record {
    start: usize,
    any: bool,
    date: Option<(String, usize)>,
    amount: Option<(String, usize)>,
    u_amount: Option<(String, usize)>,
    payee: Option<String>,
    memo: Option<String>,
    category: Option<String>,
    check: Option<String>,
    splits: Vec<(String, usize)>,
}

impl Record {
    fn add(&mut self, field: char, value: &str, line: usize) {
        if !self.any {
            self.any = true;
            self.start = line;
        }
        let keep = |slot: &mut Option<(String, usize)>| {
            if slot.is_none() {
                *slot = Some((value.to_string(), line));
            }
        };
        match field {
            'D' => keep(&mut self.date),
            'T' => keep(&mut self.amount),
            'U' => keep(&mut self.u_amount),
            'P' => self.payee = self.payee.take().or_else(|| non_empty(value)),
            'M' => self.memo = self.memo.take().or_else(|| non_empty(value)),
            'L' => self.category = self.category.take().or_else(|| non_empty(value)),
            'N' => self.check = self.check.take().or_else(|| non_empty(value)),
            '$' => self.splits.push((value.to_string(), line)),
            _ => {}
        }
    }

    fn finish(self, options: &QifOptions, account: Option<&str>) -> Result<ParsedRow, RowError> {
        let error = |line: usize, message: String| RowError { line, message };
        let mark = if options.decimal_comma { DecimalMark::Comma } else { DecimalMark::Point };
        let (date_text, date_line) =
            self.date.ok_or_else(|| error(self.start, "the record has no date (a D line)".to_string()))?;
        let date = parse_date(&date_text, options.date_order).map_err(|m| error(date_line, m))?;
        let amount = match self.amount.or(self.u_amount) {
            Some((text, line)) => parse_money(&text, mark).map_err(|m| error(line, m))?,
            None if !self.splits.is_empty() => {
                let mut sum = Decimal::ZERO;
                for (text, line) in &self.splits {
                    sum += parse_money(text, mark).map_err(|m| error(*line, format!("split amount: {m}")))?;
                }
                if sum.abs() > crate::money::MAX_ABS_AMOUNT {
                    return Err(error(self.start, "the splits add up to more than Manna can hold".to_string()));
                }
                sum
            }
            None => return Err(error(self.start, "the record has no amount (a T line)".to_string())),
        };
        let transfer = self.category.as_deref().is_some_and(|c| c.starts_with('[') && c.contains(']'));
        let description =
            self.payee.clone().or_else(|| self.memo.clone()).unwrap_or_else(|| NO_DESCRIPTION.to_string());
        Ok(ParsedRow {
            line: self.start,
            date,
            amount: super::values::tidy_amount(amount),
            description,
            merchant: None,
            memo: self.memo,
            category: self.category,
            transfer,
            fitid: None,
            check_number: self.check,
            account: account.map(str::to_string),
        })
    }
}

/// What a `!` header line switches to.
fn section_for(header: &str) -> Option<Section> {
    let lower = header.trim().to_ascii_lowercase();
    if lower.starts_with("!option") || lower.starts_with("!clear") {
        return None;
    }
    if lower.starts_with("!account") {
        return Some(Section::Account);
    }
    let kind = lower.strip_prefix("!type:").map(str::trim);
    Some(match kind {
        Some("bank" | "ccard" | "cash" | "oth a" | "oth l") => Section::Transactions,
        _ => Section::Skip,
    })
}

/// Reads a QIF file's bank, credit-card and cash transactions.
pub fn parse(text: &str, options: &QifOptions) -> Result<Statement, ImportError> {
    let text = prepare(text)?;
    let mut statement = Statement::new(Format::Qif);
    let mut errors = Errors::default();
    let mut section = Section::Start;
    let mut saw_transactions = false;
    let mut record = Record::default();
    let (mut account, mut account_name): (Option<String>, Option<String>) = (None, None);
    let push = |record: Record, account: Option<&str>, statement: &mut Statement, errors: &mut Errors| {
        if !record.any {
            return Ok(());
        }
        match record.finish(options, account) {
            Ok(row) if statement.rows.len() >= MAX_ROWS => return Err(too_many_rows(row.line)),
            Ok(row) => statement.rows.push(row),
            Err(error) => errors.push(error),
        }
        Ok(())
    };
    for (index, raw) in text.lines().enumerate() {
        let line = index.saturating_add(1);
        let l = raw.trim();
        if l.is_empty() {
            continue;
        }
        if l.starts_with('!') {
            if let Some(next) = section_for(l) {
                push(std::mem::take(&mut record), account.as_deref(), &mut statement, &mut errors)?;
                if section == Section::Account && account_name.is_some() {
                    account = account_name.take();
                }
                section = next;
                saw_transactions |= next == Section::Transactions;
            }
            continue;
        }
        if l.starts_with('^') {
            match section {
                Section::Account => account = account_name.take().or(account.take()),
                _ => push(std::mem::take(&mut record), account.as_deref(), &mut statement, &mut errors)?,
            }
            continue;
        }
        let mut chars = l.chars();
        let Some(field) = chars.next() else { continue };
        let value = chars.as_str();
        match section {
            Section::Start => {
                // A file without a header: read it as a bank register.
                section = Section::Transactions;
                saw_transactions = true;
                record.add(field, value, line);
            }
            Section::Transactions => record.add(field, value, line),
            Section::Account if field == 'N' => account_name = non_empty(value),
            Section::Account | Section::Skip => {}
        }
    }
    if record.any {
        errors.push(RowError {
            line: record.start,
            message: "the file ends inside this record (no closing ^ line), so it was not imported; \
                      the file may be cut short"
                .to_string(),
        });
    }
    if !saw_transactions {
        return Err(ImportError::Malformed {
            line: 1,
            message: "this QIF file has no bank, credit-card or cash transactions (!Type:Bank, !Type:CCard, \
                      !Type:Cash); investment and list sections are not imported"
                .to_string(),
        });
    }
    statement.errors = errors.into_vec();
    Ok(statement)
}

/// The values of `fields` in transaction sections (not in `!Account` or list blocks).
fn field_values<'a>(text: &'a str, fields: &'static [char]) -> impl Iterator<Item = &'a str> {
    let mut section = Section::Start;
    text.lines().filter_map(move |l| {
        let l = l.trim();
        if l.starts_with('!') {
            section = section_for(l).unwrap_or(section);
            return None;
        }
        let mut chars = l.chars();
        let field = chars.next()?;
        let wanted = matches!(section, Section::Start | Section::Transactions) && fields.contains(&field);
        wanted.then_some(chars.as_str())
    })
}

/// The date order when the file's own dates settle it (a day above 12, a four-digit
/// year first); `None` when every date reads two ways, or none reads at all.
pub fn guess_date_order(text: &str) -> Option<DateOrder> {
    let text = super::text::normalize_newlines(text);
    match guess_order(field_values(&text, &['D'])) {
        OrderGuess::Only(order) => Some(order),
        OrderGuess::Ambiguous | OrderGuess::NoneFits => None,
    }
}

/// Whether the file's amounts use a decimal comma, when they say so without conflict.
pub fn guess_decimal_comma(text: &str) -> Option<bool> {
    let text = super::text::normalize_newlines(text);
    let (mut comma, mut point) = (0usize, 0usize);
    for value in field_values(&text, &['T', 'U', '$']) {
        match decimal_comma_evidence(value) {
            Some(true) => comma += 1,
            Some(false) => point += 1,
            None => {}
        }
    }
    match (comma, point) {
        (0, 0) => None,
        (_, 0) => Some(true),
        (0, _) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
