//! Budget math: periods, roll-up of child categories into their parents, variance,
//! pace and rollover. Pure and exact (Decimal); the database supplies the sums.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// How long one budget period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Monthly,
    Quarterly,
    Annual,
    /// Any span of days; the next period has the same length.
    Custom,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 4] =
        [PeriodKind::Monthly, PeriodKind::Quarterly, PeriodKind::Annual, PeriodKind::Custom];

    /// The name in the database (`budget_type`) and in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Monthly => "monthly",
            PeriodKind::Quarterly => "quarterly",
            PeriodKind::Annual => "annual",
            PeriodKind::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PeriodKind::Monthly => "Monthly",
            PeriodKind::Quarterly => "Quarterly",
            PeriodKind::Annual => "Annual",
            PeriodKind::Custom => "Custom period",
        }
    }

    pub fn parse(s: &str) -> Option<PeriodKind> {
        PeriodKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whole months in one period, where the kind has a fixed number.
    pub fn months(self) -> Option<u32> {
        match self {
            PeriodKind::Monthly => Some(1),
            PeriodKind::Quarterly => Some(3),
            PeriodKind::Annual => Some(12),
            PeriodKind::Custom => None,
        }
    }
}

/// Whose spending a budget counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Personal,
    Business,
    All,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Personal, Scope::Business, Scope::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Personal => "personal",
            Scope::Business => "business",
            Scope::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Personal => "Personal",
            Scope::Business => "Business",
            Scope::All => "Personal and business",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The `is_business` value the transactions must have, or none for both.
    pub fn business_filter(self) -> Option<bool> {
        match self {
            Scope::Personal => Some(false),
            Scope::Business => Some(true),
            Scope::All => None,
        }
    }
}

/// A budget period: both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period ends before it starts")]
    EndsBeforeStart,
    #[error("a budget period can be at most 3 years long")]
    TooLong,
    #[error("the date is out of range")]
    OutOfRange,
}

impl Period {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Period, PeriodError> {
        if end < start {
            return Err(PeriodError::EndsBeforeStart);
        }
        if (end - start).num_days() > 3 * 366 {
            return Err(PeriodError::TooLong);
        }
        Ok(Period { start, end })
    }

    /// Days in the period, both ends included.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }

    /// The period of `kind` that contains `day`. Quarters and years start at the
    /// fiscal year's first month (1 = January), so a quarter may span two calendar
    /// years; a custom period has no natural alignment and gets a month.
    pub fn containing(kind: PeriodKind, day: NaiveDate, fiscal_start_month: u32) -> Result<Period, PeriodError> {
        let months = kind.months().unwrap_or(1);
        let fiscal = if (1..=12).contains(&fiscal_start_month) { fiscal_start_month } else { 1 };
        let anchor = if months == 1 { day.month() } else { fiscal };
        // Months since the anchor month, wrapped into the current block of `months`.
        let since_anchor = (day.month() + 12 - anchor) % 12;
        let back = since_anchor % months;
        let first = day.with_day(1).ok_or(PeriodError::OutOfRange)?;
        let start = first.checked_sub_months(Months::new(back)).ok_or(PeriodError::OutOfRange)?;
        let end =
            start.checked_add_months(Months::new(months)).and_then(|d| d.pred_opt()).ok_or(PeriodError::OutOfRange)?;
        Period::new(start, end)
    }

    /// The period that follows this one. Month-based kinds step by whole months from
    /// the start (a budget starting on the 15th stays on the 15th); custom ones keep
    /// their length in days.
    pub fn next(&self, kind: PeriodKind) -> Result<Period, PeriodError> {
        match self.month_step(kind) {
            Some(months) => {
                let start = self.start.checked_add_months(Months::new(months)).ok_or(PeriodError::OutOfRange)?;
                let end = start
                    .checked_add_months(Months::new(months))
                    .and_then(|d| d.pred_opt())
                    .ok_or(PeriodError::OutOfRange)?;
                Period::new(start, end)
            }
            None => {
                let start = self.end.succ_opt().ok_or(PeriodError::OutOfRange)?;
                let end =
                    start.checked_add_days(chrono::Days::new(self.days() as u64 - 1)).ok_or(PeriodError::OutOfRange)?;
                Period::new(start, end)
            }
        }
    }

    /// The period just before this one.
    pub fn previous(&self, kind: PeriodKind) -> Result<Period, PeriodError> {
        match self.month_step(kind) {
            Some(months) => {
                let start = self.start.checked_sub_months(Months::new(months)).ok_or(PeriodError::OutOfRange)?;
                let end = self.start.pred_opt().ok_or(PeriodError::OutOfRange)?;
                Period::new(start, end)
            }
            None => {
                let end = self.start.pred_opt().ok_or(PeriodError::OutOfRange)?;
                let start =
                    end.checked_sub_days(chrono::Days::new(self.days() as u64 - 1)).ok_or(PeriodError::OutOfRange)?;
                Period::new(start, end)
            }
        }
    }

    fn month_step(&self, kind: PeriodKind) -> Option<u32> {
        let months = kind.months()?;
        // A "monthly" budget whose stored dates do not span whole months steps by days.
        let whole = self.start.checked_add_months(Months::new(months)).and_then(|d| d.pred_opt()) == Some(self.end);
        whole.then_some(months)
    }

    /// Days from the start through `today`, clamped to the period: 0 before it
    /// starts, all of them after it ends.
    pub fn elapsed_days(&self, today: NaiveDate) -> i64 {
        if today < self.start {
            0
        } else if today >= self.end {
            self.days()
        } else {
            (today - self.start).num_days() + 1
        }
    }

    /// A short name: "November 2026", "Q3 (Oct 2026 – Dec 2026)", "1 Dec 2026 – 14 Jan 2027".
    pub fn label(&self, kind: PeriodKind) -> String {
        match self.month_step(kind) {
            Some(1) => self.start.format("%B %Y").to_string(),
            Some(_) => format!("{} – {}", self.start.format("%b %Y"), self.end.format("%b %Y")),
            None => format!("{} – {}", self.start.format("%-d %b %Y"), self.end.format("%-d %b %Y")),
        }
    }
}

/// A category and its parent, as the tree stands now: spending counts where the
/// category sits today, so moving a category moves its history with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeNode {
    pub id: Uuid,
    pub parent: Option<Uuid>,
}

/// The category itself and its ancestors, nearest first. Stops on a cycle.
fn lineage(parents: &HashMap<Uuid, Option<Uuid>>, id: Uuid) -> Vec<Uuid> {
    let mut out = vec![id];
    let mut seen = HashSet::from([id]);
    let mut at = id;
    while let Some(Some(parent)) = parents.get(&at) {
        if !seen.insert(*parent) {
            break;
        }
        out.push(*parent);
        at = *parent;
    }
    out
}

/// Spending per budgeted category, with each parent rolling up all of its
/// descendants, and what no budget line covers. `spent` holds each category's own
/// spending (positive = money out). A category budgeted under a budgeted parent
/// counts in both lines; [`top_level`] says which lines the totals add up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RolledUp {
    pub actual: HashMap<Uuid, Decimal>,
    /// Spending in categories with no budgeted ancestor (or none at all).
    pub unbudgeted: Decimal,
}

pub fn roll_up(tree: &[TreeNode], budgeted: &[Uuid], spent: &[(Option<Uuid>, Decimal)]) -> RolledUp {
    let parents: HashMap<Uuid, Option<Uuid>> = tree.iter().map(|n| (n.id, n.parent)).collect();
    let budgeted: HashSet<Uuid> = budgeted.iter().copied().collect();
    let mut out = RolledUp { actual: budgeted.iter().map(|b| (*b, Decimal::ZERO)).collect(), ..Default::default() };
    for (category, amount) in spent {
        let mut covered = false;
        if let Some(category) = category {
            for id in lineage(&parents, *category) {
                if budgeted.contains(&id) {
                    *out.actual.entry(id).or_default() += *amount;
                    covered = true;
                }
            }
        }
        if !covered {
            out.unbudgeted += *amount;
        }
    }
    out
}

/// The budgeted categories no other budgeted category contains: the lines whose
/// figures add up to the budget's totals without counting anything twice.
pub fn top_level(tree: &[TreeNode], budgeted: &[Uuid]) -> Vec<Uuid> {
    let parents: HashMap<Uuid, Option<Uuid>> = tree.iter().map(|n| (n.id, n.parent)).collect();
    let set: HashSet<Uuid> = budgeted.iter().copied().collect();
    budgeted.iter().copied().filter(|id| !lineage(&parents, *id).iter().skip(1).any(|a| set.contains(a))).collect()
}

/// The categories whose spending some budgeted line counts: each budgeted category
/// and everything under it.
pub fn covered(tree: &[TreeNode], budgeted: &[Uuid]) -> HashSet<Uuid> {
    let parents: HashMap<Uuid, Option<Uuid>> = tree.iter().map(|n| (n.id, n.parent)).collect();
    let set: HashSet<Uuid> = budgeted.iter().copied().collect();
    let mut out: HashSet<Uuid> = set.clone();
    for node in tree {
        if lineage(&parents, node.id).iter().any(|a| set.contains(a)) {
            out.insert(node.id);
        }
    }
    out
}

/// One budget line's figures for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// The amount planned for this period.
    pub base: Decimal,
    /// Carried in from the previous period: positive if money was left, negative if
    /// it was overspent.
    pub carried: Decimal,
    /// Spent in the period (refunds reduce it).
    pub actual: Decimal,
}

impl Figures {
    /// What may be spent this period: the base plus what was carried in.
    pub fn available(&self) -> Decimal {
        self.base + self.carried
    }

    /// Variance: left to spend (negative when over budget).
    pub fn remaining(&self) -> Decimal {
        self.available() - self.actual
    }

    pub fn is_over(&self) -> bool {
        self.remaining() < Decimal::ZERO
    }

    /// Variance as a percentage of what was available, one decimal (none when
    /// nothing was available).
    pub fn variance_percent(&self) -> Option<Decimal> {
        let available = self.available();
        (available > Decimal::ZERO).then(|| percent(self.remaining(), available))
    }

    /// How much of the available amount is spent, in percent, one decimal.
    pub fn used_percent(&self) -> Option<Decimal> {
        let available = self.available();
        (available > Decimal::ZERO).then(|| percent(self.actual, available))
    }

    /// What the line carries into the next period when rollover is on.
    pub fn carry_out(&self) -> Decimal {
        self.remaining()
    }

    /// Spending at the end of the period if the pace so far holds, to the cent.
    pub fn projected(&self, period: &Period, today: NaiveDate) -> Decimal {
        projected_spend(self.actual, period, today)
    }
}

/// One decimal, always shown ("50.0"), half away from zero.
fn percent(part: Decimal, whole: Decimal) -> Decimal {
    let mut p = (part * Decimal::ONE_HUNDRED / whole).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    p.rescale(1);
    p
}

/// Spending so far scaled to the whole period by elapsed days. Before the period
/// starts nothing is projected; after it ends the actual is final.
pub fn projected_spend(actual: Decimal, period: &Period, today: NaiveDate) -> Decimal {
    let elapsed = period.elapsed_days(today);
    if elapsed == 0 {
        return actual;
    }
    (actual * Decimal::from(period.days()) / Decimal::from(elapsed))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The amount carried into a line from the same category's line in the previous
/// period: its leftover (or overspend) if that line rolls over, else nothing.
pub fn carried_in(previous: Option<(&Figures, bool)>) -> Decimal {
    match previous {
        Some((figures, true)) => figures.carry_out(),
        _ => Decimal::ZERO,
    }
}

/// A template amount from history: the average spending per period over the last
/// `months` whole months, scaled to a period of `period_months` and rounded up to a
/// whole currency unit (a plan, not a statement). Never negative.
pub fn average_template(total_spent: Decimal, months: u32, period_months: u32) -> Decimal {
    if months == 0 || total_spent <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    (total_spent * Decimal::from(period_months) / Decimal::from(months)).ceil()
}

/// Cumulative spending by day of the period, from per-day sums (any order, days
/// outside the period ignored), up to and including `through`.
pub fn cumulative_by_day(period: &Period, daily: &[(NaiveDate, Decimal)], through: NaiveDate) -> Vec<Decimal> {
    let days = period.elapsed_days(through) as usize;
    let mut per_day = vec![Decimal::ZERO; days];
    for (day, amount) in daily {
        if period.contains(*day) {
            let i = (*day - period.start).num_days() as usize;
            if i < days {
                per_day[i] += *amount;
            }
        }
    }
    let mut running = Decimal::ZERO;
    per_day
        .into_iter()
        .map(|a| {
            running += a;
            running
        })
        .collect()
}

#[cfg(test)]
mod tests;
