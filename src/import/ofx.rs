//! OFX 1.x (SGML), OFX 2.x (XML) and QFX (Quicken's OFX): bank statements
//! (`BANKMSGSRSV1/STMTTRNRS/STMTRS`) and credit-card statements
//! (`CREDITCARDMSGSRSV1/CCSTMTTRNRS/CCSTMTRS`), every statement in the file.
//!
//! SGML leaves have no closing tag, and real files drop closing tags of aggregates too,
//! so structure is repaired as it is read: a tag followed by text is a leaf; a tag
//! followed by another tag opens an aggregate; a closing tag closes the nearest open
//! aggregate of its name (and whatever is open inside it); a `STMTTRN` or `STMTRS` that
//! opens while another is open closes the first. Aggregates Manna does not know are
//! skipped when they are closed; one never closed was an empty leaf, and what followed
//! it counts for its parent.
//!
//! Dates: the `YYYYMMDD` of `DTPOSTED` is taken as is; the time and zone after it are
//! ignored (banks write local midnight or noon, and shifting by the zone would move rows
//! to the wrong day). Amounts keep the file's sign (see the module docs of `import`).

mod tokens;

use super::values::{DecimalMark, check_date_range, parse_money, shorten};
use super::{
    AccountHint, Errors, Format, ImportError, MAX_ROWS, NO_DESCRIPTION, ParsedRow, RowError, Statement, non_empty,
    prepare, too_many_rows,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokens::{Token, Tokenizer};

/// Deeper nesting than this is garbage, not OFX (real files nest about 8 deep).
const MAX_DEPTH: usize = 64;

/// Reads an OFX or QFX file. The format is [`Format::Qfx`] when the file carries Intuit's
/// `INTU.BID`, else [`Format::Ofx`].
pub fn parse(text: &str) -> Result<Statement, ImportError> {
    let text = prepare(text)?;
    let mut parser = Parser::default();
    for token in Tokenizer::new(&text) {
        parser.token(token);
    }
    parser.finish()
}

/// Reads an OFX date-time (`YYYYMMDD[HHMMSS[.XXX]][[+-]H[.MM]:TZ]`) as its date.
pub(crate) fn parse_ofx_date(value: &str) -> Result<NaiveDate, String> {
    let s = value.trim();
    let shown = shorten(s);
    let bad = || format!("\"{shown}\" is not a date (OFX writes YYYYMMDD)");
    let digits = s.get(..8).filter(|d| d.bytes().all(|b| b.is_ascii_digit())).ok_or_else(bad)?;
    let rest = s.get(8..).unwrap_or_default();
    if !rest.is_empty() && !rest.starts_with(|c: char| c.is_ascii_digit() || c == '[' || c == '.') {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| digits.get(range).and_then(|d| d.parse::<u32>().ok());
    let date = match (number(0..4), number(4..6), number(6..8)) {
        (Some(y), Some(m), Some(d)) => i32::try_from(y).ok().and_then(|y| NaiveDate::from_ymd_opt(y, m, d)),
        _ => None,
    };
    check_date_range(date.ok_or_else(bad)?, &shown)
}

/// The aggregates the parser acts on; anything else known is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Agg {
    Ofx,
    StmtRs,
    CcStmtRs,
    AcctFrom,
    TranList,
    StmtTrn,
    Payee,
    LedgerBal,
    /// Investment statements: their `STMTTRN`s (cash moves) are not bank rows.
    Invest,
    Other,
}

fn known(name: &str) -> Option<Agg> {
    Some(match name {
        "OFX" => Agg::Ofx,
        "STMTRS" => Agg::StmtRs,
        "CCSTMTRS" => Agg::CcStmtRs,
        "BANKACCTFROM" | "CCACCTFROM" => Agg::AcctFrom,
        "BANKTRANLIST" => Agg::TranList,
        "STMTTRN" => Agg::StmtTrn,
        "PAYEE" => Agg::Payee,
        "LEDGERBAL" => Agg::LedgerBal,
        "SIGNONMSGSRSV1" | "SONRS" | "STATUS" | "FI" | "BANKMSGSRSV1" | "CREDITCARDMSGSRSV1" | "STMTTRNRS"
        | "CCSTMTTRNRS" | "AVAILBAL" | "BANKACCTTO" | "CCACCTTO" | "CURRENCY" | "ORIGCURRENCY" | "BALLIST" | "BAL" => {
            Agg::Other
        }
        "INVSTMTMSGSRSV1" | "INVSTMTTRNRS" | "INVSTMTRS" | "INVTRANLIST" | "INVPOSLIST" | "SECLISTMSGSRSV1" => {
            Agg::Invest
        }
        _ => return None,
    })
}

#[derive(Debug, Clone)]
struct Leaf {
    name: String,
    value: String,
    line: usize,
}

#[derive(Debug)]
struct Entry {
    name: String,
    agg: Option<Agg>,
    /// The nearest known aggregate, this one included, and the one around that.
    ctx: Option<Agg>,
    outer: Option<Agg>,
    /// Leaves read inside an unknown aggregate: dropped if it closes, handed to the
    /// parent if it never does (it was an empty leaf, not an aggregate).
    held: Vec<Leaf>,
}

type Field = Option<(String, usize)>;

/// The first non-empty value of a field wins.
fn set(field: &mut Field, leaf: &Leaf) {
    if field.is_none() && !leaf.value.is_empty() {
        *field = Some((leaf.value.clone(), leaf.line));
    }
}

#[derive(Debug, Default)]
struct Txn {
    line: usize,
    posted: Field,
    user_date: Field,
    amount: Field,
    fitid: Field,
    name: Field,
    payee: Field,
    memo: Field,
    check: Field,
}

impl Txn {
    fn finish(self) -> Result<ParsedRow, RowError> {
        let error = |line: usize, message: String| RowError { line, message };
        let (date_text, date_line) = self
            .posted
            .or(self.user_date)
            .ok_or_else(|| error(self.line, "the transaction has no DTPOSTED date".into()))?;
        let date = parse_ofx_date(&date_text).map_err(|m| error(date_line, format!("DTPOSTED: {m}")))?;
        let (amount_text, amount_line) =
            self.amount.ok_or_else(|| error(self.line, "the transaction has no TRNAMT amount".into()))?;
        let amount =
            parse_money(&amount_text, DecimalMark::Either).map_err(|m| error(amount_line, format!("TRNAMT: {m}")))?;
        let text = |field: &Field| field.as_ref().and_then(|(v, _)| non_empty(v));
        let (name, payee, memo) = (text(&self.name), text(&self.payee), text(&self.memo));
        let description = name
            .clone()
            .or_else(|| payee.clone())
            .or_else(|| memo.clone())
            .unwrap_or_else(|| NO_DESCRIPTION.to_string());
        Ok(ParsedRow {
            line: self.line,
            date,
            amount,
            description,
            merchant: payee,
            memo,
            category: None,
            transfer: false,
            fitid: text(&self.fitid),
            check_number: text(&self.check),
            account: None,
        })
    }
}

#[derive(Debug, Default)]
struct StatementBuilder {
    credit_card: bool,
    currency: Field,
    bank_id: Field,
    account_id: Field,
    account_type: Field,
    balance: Field,
    balance_date: Field,
    rows: Vec<ParsedRow>,
}

/// The last four characters of an account number: enough to tell accounts apart.
fn last4(account: &str) -> String {
    let account = account.trim();
    match account.char_indices().rev().nth(3) {
        Some((at, _)) => account.get(at..).unwrap_or(account).to_string(),
        None => account.to_string(),
    }
}

impl StatementBuilder {
    fn hint(&self) -> AccountHint {
        let text = |field: &Field| field.as_ref().and_then(|(v, _)| non_empty(v));
        AccountHint {
            bank_id: text(&self.bank_id),
            account_last4: text(&self.account_id).map(|a| last4(&a)),
            account_type: text(&self.account_type).or_else(|| self.credit_card.then(|| "CREDITCARD".to_string())),
            credit_card: self.credit_card,
        }
    }

    fn ledger_balance(&self) -> Option<Result<(Decimal, NaiveDate), RowError>> {
        let (amount, line) = self.balance.as_ref()?;
        let (date, date_line) = self.balance_date.as_ref()?;
        let read = || {
            let amount = parse_money(amount, DecimalMark::Either).map_err(|m| (*line, m))?;
            let date = parse_ofx_date(date).map_err(|m| (*date_line, m))?;
            Ok((amount, date))
        };
        Some(
            read()
                .map_err(|(line, m)| RowError { line, message: format!("the ledger balance could not be read: {m}") }),
        )
    }
}

#[derive(Debug, Default)]
struct Parser {
    stack: Vec<Entry>,
    /// An open tag waiting to learn whether text follows it (a leaf) or not.
    pending: Option<(String, usize, String)>,
    txn: Option<Txn>,
    current: Option<StatementBuilder>,
    done: Vec<StatementBuilder>,
    ofx_line: Option<usize>,
    qfx: bool,
    errors: Errors,
    rows: usize,
    /// The line of the first transaction past [`MAX_ROWS`].
    too_many: Option<usize>,
}

impl Parser {
    fn token(&mut self, token: Token<'_>) {
        match token {
            Token::Text { text, .. } => {
                if let Some((_, _, buffer)) = &mut self.pending {
                    buffer.push_str(&text);
                }
            }
            Token::Open { name, line, empty } => {
                self.flush_pending(None);
                if empty {
                    self.leaf(Leaf { name, value: String::new(), line });
                } else {
                    self.pending = Some((name, line, String::new()));
                }
            }
            Token::Close { name, .. } => {
                if self.flush_pending(Some(&name)) {
                    return;
                }
                if let Some(at) = self.stack.iter().rposition(|e| e.name == name) {
                    while self.stack.len() > at + 1 {
                        self.pop(false);
                    }
                    self.pop(true);
                }
            }
        }
    }

    /// Settles the pending tag; true when `closing` closed it as an empty leaf.
    fn flush_pending(&mut self, closing: Option<&str>) -> bool {
        let Some((name, line, buffer)) = self.pending.take() else { return false };
        let value = buffer.trim();
        if !value.is_empty() {
            self.leaf(Leaf { name, value: value.to_string(), line });
            false
        } else if closing == Some(name.as_str()) {
            self.leaf(Leaf { name, value: String::new(), line });
            true
        } else {
            self.push(name, line);
            false
        }
    }

    fn push(&mut self, name: String, line: usize) {
        let agg = known(&name);
        if matches!(agg, Some(Agg::StmtTrn | Agg::StmtRs | Agg::CcStmtRs | Agg::TranList | Agg::AcctFrom | Agg::Ofx))
            && let Some(at) = self.stack.iter().rposition(|e| e.name == name)
        {
            while self.stack.len() > at {
                self.pop(false);
            }
        }
        if self.stack.len() >= MAX_DEPTH {
            return;
        }
        let (parent_ctx, parent_outer) = self.stack.last().map(|e| (e.ctx, e.outer)).unwrap_or((None, None));
        let (ctx, outer) = match agg {
            Some(agg) => (Some(agg), parent_ctx),
            None => (parent_ctx, parent_outer),
        };
        match agg {
            Some(Agg::Ofx) => {
                self.ofx_line.get_or_insert(line);
            }
            Some(Agg::StmtRs | Agg::CcStmtRs) => {
                self.end_statement();
                self.current = Some(StatementBuilder { credit_card: agg == Some(Agg::CcStmtRs), ..Default::default() });
            }
            Some(Agg::StmtTrn) if !self.stack.iter().any(|e| e.agg == Some(Agg::Invest)) => {
                self.txn = Some(Txn { line, ..Default::default() });
            }
            _ => {}
        }
        self.stack.push(Entry { name, agg, ctx, outer, held: Vec::new() });
    }

    fn pop(&mut self, explicit: bool) {
        let Some(entry) = self.stack.pop() else { return };
        match entry.agg {
            None if !explicit => entry.held.into_iter().for_each(|leaf| self.leaf(leaf)),
            None => {}
            Some(Agg::StmtTrn) => match self.txn.take().map(Txn::finish) {
                Some(Ok(row)) if self.rows >= MAX_ROWS => {
                    self.too_many.get_or_insert(row.line);
                }
                Some(Ok(row)) => {
                    self.rows = self.rows.saturating_add(1);
                    self.current.get_or_insert_with(StatementBuilder::default).rows.push(row);
                }
                Some(Err(error)) => self.errors.push(error),
                None => {}
            },
            Some(Agg::StmtRs | Agg::CcStmtRs) => self.end_statement(),
            Some(_) => {}
        }
    }

    fn end_statement(&mut self) {
        if let Some(statement) = self.current.take() {
            self.done.push(statement);
        }
    }

    fn leaf(&mut self, leaf: Leaf) {
        if leaf.name == "INTU.BID" {
            self.qfx = true;
        }
        let (ctx, outer) = match self.stack.last_mut() {
            Some(top) if top.agg.is_none() => {
                top.held.push(leaf);
                return;
            }
            Some(top) => (top.ctx, top.outer),
            None => (None, None),
        };
        let in_statement = matches!(outer, Some(Agg::StmtRs | Agg::CcStmtRs));
        match (ctx, leaf.name.as_str()) {
            (Some(Agg::StmtTrn), name) => {
                let Some(txn) = &mut self.txn else { return };
                let field = match name {
                    "DTPOSTED" => &mut txn.posted,
                    "DTUSER" => &mut txn.user_date,
                    "TRNAMT" => &mut txn.amount,
                    "FITID" => &mut txn.fitid,
                    "NAME" => &mut txn.name,
                    "MEMO" => &mut txn.memo,
                    "CHECKNUM" => &mut txn.check,
                    _ => return,
                };
                set(field, &leaf);
            }
            (Some(Agg::Payee), "NAME") if outer == Some(Agg::StmtTrn) => {
                if let Some(txn) = &mut self.txn {
                    set(&mut txn.payee, &leaf);
                }
            }
            (Some(Agg::StmtRs | Agg::CcStmtRs), "CURDEF") => {
                if let Some(statement) = &mut self.current {
                    set(&mut statement.currency, &leaf);
                }
            }
            (Some(Agg::AcctFrom | Agg::LedgerBal), name) if in_statement => {
                let Some(statement) = &mut self.current else { return };
                let field = match name {
                    "BANKID" => &mut statement.bank_id,
                    "ACCTID" => &mut statement.account_id,
                    "ACCTTYPE" => &mut statement.account_type,
                    "BALAMT" if ctx == Some(Agg::LedgerBal) => &mut statement.balance,
                    "DTASOF" if ctx == Some(Agg::LedgerBal) => &mut statement.balance_date,
                    _ => return,
                };
                set(field, &leaf);
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Result<Statement, ImportError> {
        self.flush_pending(None);
        while !self.stack.is_empty() {
            self.pop(false);
        }
        self.end_statement();
        if let Some(line) = self.too_many {
            return Err(too_many_rows(line));
        }
        let Some(ofx_line) = self.ofx_line else {
            return if self.done.is_empty() { Err(ImportError::NotRecognized) } else { self.into_statement() };
        };
        if self.done.is_empty() {
            return Err(ImportError::Malformed {
                line: ofx_line,
                message: "this OFX file has no bank or credit-card statement (STMTRS or CCSTMTRS) in it; \
                          investment statements are not imported"
                    .to_string(),
            });
        }
        self.into_statement()
    }

    fn into_statement(self) -> Result<Statement, ImportError> {
        let mut out = Statement::new(if self.qfx { Format::Qfx } else { Format::Ofx });
        let mut errors = self.errors;
        for (i, statement) in self.done.into_iter().enumerate() {
            let hint = statement.hint();
            if i == 0 {
                out.currency = statement.currency.as_ref().and_then(|(c, _)| non_empty(c));
                out.account = Some(hint.clone());
            }
            match statement.ledger_balance() {
                Some(Ok(balance)) if out.ledger_balance.is_none() => out.ledger_balance = Some(balance),
                Some(Err(error)) => errors.push(error),
                _ => {}
            }
            for row in statement.rows {
                out.rows.push(ParsedRow { account: hint.account_last4.clone(), ..row });
            }
        }
        out.errors = errors.into_vec();
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
