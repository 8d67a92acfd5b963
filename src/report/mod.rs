//! Reports: the math of each report type over sums the database computed, and the
//! one shape every report takes (tables of rows, charts as data, headline figures),
//! so the page, the saved snapshot and every export read the same thing.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

pub mod analysis;
pub mod statements;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    ProfitLoss,
    BalanceSheet,
    CashFlow,
    CategoryAnalysis,
    SpendingTrends,
    TaxSummary,
    BudgetVariance,
}

impl ReportKind {
    pub const ALL: [ReportKind; 7] = [
        ReportKind::ProfitLoss,
        ReportKind::BalanceSheet,
        ReportKind::CashFlow,
        ReportKind::CategoryAnalysis,
        ReportKind::SpendingTrends,
        ReportKind::TaxSummary,
        ReportKind::BudgetVariance,
    ];

    /// The name in the database (`report_type`) and in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::ProfitLoss => "profit_loss",
            ReportKind::BalanceSheet => "balance_sheet",
            ReportKind::CashFlow => "cash_flow",
            ReportKind::CategoryAnalysis => "category_analysis",
            ReportKind::SpendingTrends => "spending_trends",
            ReportKind::TaxSummary => "tax_summary",
            ReportKind::BudgetVariance => "budget_variance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportKind::ProfitLoss => "Profit and loss",
            ReportKind::BalanceSheet => "Balance sheet",
            ReportKind::CashFlow => "Cash flow",
            ReportKind::CategoryAnalysis => "Category analysis",
            ReportKind::SpendingTrends => "Spending trends",
            ReportKind::TaxSummary => "Tax summary",
            ReportKind::BudgetVariance => "Budget variance",
        }
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One value in a report table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Cell {
    Text(String),
    Money(Decimal),
    /// One decimal; none where it is undefined (a change from zero).
    Percent(Option<Decimal>),
    Count(i64),
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStyle {
    Line,
    /// A parent category or a group: the sum of the lines under it.
    Subtotal,
    Total,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub label: String,
    /// Indentation in the category tree.
    pub depth: u8,
    pub style: RowStyle,
    pub cells: Vec<Cell>,
    /// For a total or subtotal: the rows of the same table it adds up, with their
    /// signs (1 or -1), so a spreadsheet can show it as a formula.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sums: Vec<(usize, i8)>,
}

impl Row {
    pub fn new(label: impl Into<String>, depth: u8, style: RowStyle, cells: Vec<Cell>) -> Row {
        Row { label: label.into(), depth, style, cells, sums: Vec::new() }
    }

    /// The same row, marked as adding up `rows` (all with sign +1).
    pub fn summing(self, rows: impl IntoIterator<Item = usize>) -> Row {
        Row { sums: rows.into_iter().map(|r| (r, 1)).collect(), ..self }
    }

    pub fn summing_signed(self, sums: Vec<(usize, i8)>) -> Row {
        Row { sums, ..self }
    }
}

impl Table {
    /// What row `row`'s `sums` add up to in value column `col`, if every row it
    /// names has an amount there: a spreadsheet writes the formula only when this
    /// equals the row's own amount.
    pub fn summed(&self, row: usize, col: usize) -> Option<Decimal> {
        let r = self.rows.get(row)?;
        if r.sums.is_empty() {
            return None;
        }
        r.sums.iter().try_fold(Decimal::ZERO, |acc, (i, sign)| match self.rows.get(*i)?.cells.get(col)? {
            Cell::Money(m) => Some(if *sign < 0 { acc - *m } else { acc + *m }),
            _ => None,
        })
    }
}

/// The indexes of the rows at depth 0 that are not totals: what a table's total adds.
pub fn top_rows(rows: &[Row]) -> Vec<usize> {
    rows.iter().enumerate().filter(|(_, r)| r.depth == 0 && r.style != RowStyle::Total).map(|(i, _)| i).collect()
}

/// A table: its name (a CSV file, an XLSX sheet, a PDF section), the headers of the
/// value columns (the first column is the row label) and the rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub label_header: String,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Bar,
    Line,
    Donut,
}

/// A chart as data; drawn as SVG where it is shown or exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    pub labels: Vec<String>,
    pub series: Vec<(String, Vec<Decimal>)>,
}

/// A generated report: what is saved as the snapshot and what every export writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub kind: ReportKind,
    pub title: String,
    /// Period and scope in words.
    pub subtitle: String,
    pub currency: String,
    pub tables: Vec<Table>,
    pub charts: Vec<Chart>,
    /// The figures the report adds up to, by name (e.g. `net_income`): what tests and
    /// exports check their totals against.
    pub headline: Vec<(String, Decimal)>,
}

impl Report {
    pub fn figure(&self, name: &str) -> Option<Decimal> {
        self.headline.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// What a category is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CategoryKind {
    Income,
    Expense,
    Transfer,
}

impl CategoryKind {
    pub fn parse(s: &str) -> CategoryKind {
        match s {
            "income" => CategoryKind::Income,
            "transfer" => CategoryKind::Transfer,
            _ => CategoryKind::Expense,
        }
    }
}

/// A category as the tree stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub id: Uuid,
    pub parent: Option<Uuid>,
    pub name: String,
    pub kind: CategoryKind,
}

/// Change from `previous` to `current` in percent of `previous`'s size.
pub fn change_percent(current: Decimal, previous: Decimal) -> Option<Decimal> {
    (!previous.is_zero()).then(|| percent(current - previous, previous.abs()))
}

/// `part` of `whole` in percent, one decimal, half away from zero.
pub fn percent(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() {
        return Decimal::ZERO;
    }
    let mut p = (part * Decimal::ONE_HUNDRED / whole).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    p.rescale(1);
    p
}

/// The first day of each month from `from`'s month through `to`'s.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let Some(mut m) = from.with_day(1) else { return out };
    while m <= to && out.len() < 1200 {
        out.push(m);
        match m.checked_add_months(Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
}

/// The period a report compares with: the same number of whole months before, when
/// the period is whole months (March against February, a year against the year
/// before); a month or year to date against the same days of the month or year
/// before; otherwise the same number of days just before.
pub fn previous_period(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let whole_months = from.day() == 1 && to.succ_opt().is_some_and(|d| d.day() == 1);
    let before = from.pred_opt().unwrap_or(from);
    let n = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
    if whole_months {
        if let Some(start) = from.checked_sub_months(Months::new(n.max(1) as u32)) {
            return (start, before);
        }
    } else if from.day() == 1 && (1..=12).contains(&n) {
        let back = Months::new(if n == 1 { 1 } else { 12 });
        if let (Some(f), Some(t)) = (from.checked_sub_months(back), to.checked_sub_months(back)) {
            return (f, t);
        }
    }
    let days = (to - from).num_days().max(0) as u64;
    (before.checked_sub_days(chrono::Days::new(days)).unwrap_or(before), before)
}

pub fn month_label(m: NaiveDate) -> String {
    m.format("%b %Y").to_string()
}

/// The categories in tree order (each parent followed by its children) with depth.
pub(crate) fn tree_order(cats: &[Category]) -> Vec<(u8, &Category)> {
    fn walk<'a>(cats: &'a [Category], parent: Option<Uuid>, depth: u8, out: &mut Vec<(u8, &'a Category)>) {
        for c in cats.iter().filter(|c| c.parent == parent) {
            out.push((depth, c));
            if depth < 16 {
                walk(cats, Some(c.id), depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(cats, None, 0, &mut out);
    out
}

/// Each category's amount plus all of its descendants', from each category's own.
pub(crate) fn rolled_up(cats: &[Category], own: &HashMap<Uuid, Decimal>) -> HashMap<Uuid, Decimal> {
    let parents: HashMap<Uuid, Option<Uuid>> = cats.iter().map(|c| (c.id, c.parent)).collect();
    let mut out: HashMap<Uuid, Decimal> = HashMap::new();
    for (id, amount) in own {
        let mut at = Some(*id);
        let mut steps = 0;
        while let Some(c) = at {
            *out.entry(c).or_default() += *amount;
            at = parents.get(&c).copied().flatten();
            steps += 1;
            if steps > 32 {
                break;
            }
        }
    }
    out
}

/// The top-level category above `id` (itself if it has no parent).
pub(crate) fn top_of(cats: &[Category], id: Uuid) -> Uuid {
    let parents: HashMap<Uuid, Option<Uuid>> = cats.iter().map(|c| (c.id, c.parent)).collect();
    let mut at = id;
    for _ in 0..32 {
        match parents.get(&at).copied().flatten() {
            Some(p) => at = p,
            None => break,
        }
    }
    at
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    pub fn cat(n: u128, parent: Option<u128>, name: &str, kind: CategoryKind) -> Category {
        Category { id: Uuid::from_u128(n), parent: parent.map(Uuid::from_u128), name: name.into(), kind }
    }

    /// Every total whose cell is an amount equals the sum of the rows it names.
    pub fn assert_sums_hold(tables: &[Table]) {
        for t in tables {
            for (i, r) in t.rows.iter().enumerate() {
                for (c, cell) in r.cells.iter().enumerate() {
                    if let (Cell::Money(m), Some(sum)) = (cell, t.summed(i, c)) {
                        assert_eq!(*m, sum, "{} / {} column {c}", t.name, r.label);
                    }
                }
                if r.style == RowStyle::Total {
                    assert!(!r.sums.is_empty(), "{} / {} names no rows", t.name, r.label);
                }
            }
        }
    }

    #[test]
    fn percentages_and_months() {
        assert_eq!(change_percent(dec("150"), dec("100")), Some(dec("50.0")));
        assert_eq!(change_percent(dec("-50"), dec("-100")), Some(dec("50.0")));
        assert_eq!(change_percent(dec("1"), Decimal::ZERO), None);
        assert_eq!(percent(dec("1"), dec("3")).to_string(), "33.3");
        assert_eq!(
            months(d(2024, 11, 15), d(2025, 2, 1)),
            vec![d(2024, 11, 1), d(2024, 12, 1), d(2025, 1, 1), d(2025, 2, 1)]
        );
        assert_eq!(previous_period(d(2024, 3, 1), d(2024, 3, 31)), (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!(previous_period(d(2024, 1, 1), d(2024, 12, 31)), (d(2023, 1, 1), d(2023, 12, 31)));
        assert_eq!(previous_period(d(2024, 3, 10), d(2024, 3, 19)), (d(2024, 2, 29), d(2024, 3, 9)));
        // Year and month to date: the same days a year or a month before.
        assert_eq!(previous_period(d(2026, 1, 1), d(2026, 11, 26)), (d(2025, 1, 1), d(2025, 11, 26)));
        assert_eq!(previous_period(d(2026, 3, 1), d(2026, 3, 31)), (d(2026, 2, 1), d(2026, 2, 28)));
        assert_eq!(previous_period(d(2026, 3, 1), d(2026, 3, 30)), (d(2026, 2, 1), d(2026, 2, 28)));
        for k in ReportKind::ALL {
            assert_eq!(ReportKind::parse(k.as_str()), Some(k));
        }
    }
}
