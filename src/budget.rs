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
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn monthly_periods_step_over_month_and_year_ends() {
        let nov = Period::containing(PeriodKind::Monthly, d(2026, 11, 24), 1).unwrap();
        assert_eq!(nov, Period { start: d(2026, 11, 1), end: d(2026, 11, 30) });
        let dec_ = nov.next(PeriodKind::Monthly).unwrap();
        assert_eq!(dec_, Period { start: d(2026, 12, 1), end: d(2026, 12, 31) });
        let jan = dec_.next(PeriodKind::Monthly).unwrap();
        assert_eq!(jan, Period { start: d(2027, 1, 1), end: d(2027, 1, 31) });
        let feb = jan.next(PeriodKind::Monthly).unwrap();
        assert_eq!(feb.end, d(2027, 2, 28));
        assert_eq!(feb.previous(PeriodKind::Monthly).unwrap(), jan);
        assert_eq!(jan.previous(PeriodKind::Monthly).unwrap(), dec_);
        assert_eq!(nov.label(PeriodKind::Monthly), "November 2026");
    }

    #[test]
    fn mid_month_budgets_keep_their_day() {
        // Paid on the 15th: 15 Dec – 14 Jan crosses both a month and a year end.
        let p = Period::new(d(2026, 12, 15), d(2027, 1, 14)).unwrap();
        let next = p.next(PeriodKind::Monthly).unwrap();
        assert_eq!(next, Period { start: d(2027, 1, 15), end: d(2027, 2, 14) });
        assert_eq!(next.previous(PeriodKind::Monthly).unwrap(), p);
    }

    #[test]
    fn quarters_and_years_follow_the_fiscal_year() {
        // Fiscal year from November: quarters Nov–Jan, Feb–Apr, May–Jul, Aug–Oct.
        let q = Period::containing(PeriodKind::Quarterly, d(2026, 12, 10), 11).unwrap();
        assert_eq!(q, Period { start: d(2026, 11, 1), end: d(2027, 1, 31) });
        assert_eq!(q.next(PeriodKind::Quarterly).unwrap(), Period { start: d(2027, 2, 1), end: d(2027, 4, 30) });
        let q = Period::containing(PeriodKind::Quarterly, d(2027, 1, 31), 11).unwrap();
        assert_eq!(q.start, d(2026, 11, 1));
        // Calendar quarters with January.
        let q = Period::containing(PeriodKind::Quarterly, d(2026, 8, 1), 1).unwrap();
        assert_eq!(q, Period { start: d(2026, 7, 1), end: d(2026, 9, 30) });
        // An April fiscal year.
        let y = Period::containing(PeriodKind::Annual, d(2027, 3, 31), 4).unwrap();
        assert_eq!(y, Period { start: d(2026, 4, 1), end: d(2027, 3, 31) });
        assert_eq!(y.next(PeriodKind::Annual).unwrap().start, d(2027, 4, 1));
        assert_eq!(y.previous(PeriodKind::Annual).unwrap(), Period { start: d(2025, 4, 1), end: d(2026, 3, 31) });
    }

    #[test]
    fn custom_periods_keep_their_length() {
        let p = Period::new(d(2026, 12, 20), d(2027, 1, 2)).unwrap();
        assert_eq!(p.days(), 14);
        let next = p.next(PeriodKind::Custom).unwrap();
        assert_eq!(next, Period { start: d(2027, 1, 3), end: d(2027, 1, 16) });
        assert_eq!(next.previous(PeriodKind::Custom).unwrap(), p);
        assert_eq!(Period::new(d(2026, 2, 1), d(2026, 1, 31)), Err(PeriodError::EndsBeforeStart));
        assert_eq!(Period::new(d(2020, 1, 1), d(2026, 1, 1)), Err(PeriodError::TooLong));
    }

    #[test]
    fn parents_roll_up_children_and_totals_count_once() {
        // Food > Groceries, Food > Restaurants > Coffee; Transport alone.
        let (food, groceries, restaurants, coffee, transport) = (id(1), id(2), id(3), id(4), id(5));
        let tree = [
            TreeNode { id: food, parent: None },
            TreeNode { id: groceries, parent: Some(food) },
            TreeNode { id: restaurants, parent: Some(food) },
            TreeNode { id: coffee, parent: Some(restaurants) },
            TreeNode { id: transport, parent: None },
        ];
        let spent = [
            (Some(groceries), dec("120.10")),
            (Some(coffee), dec("4.75")),
            (Some(food), dec("10.00")),
            (Some(transport), dec("33.33")),
            (None, dec("7.01")),
        ];
        let budgeted = [food, groceries];
        let r = roll_up(&tree, &budgeted, &spent);
        assert_eq!(r.actual[&food], dec("134.85"));
        assert_eq!(r.actual[&groceries], dec("120.10"));
        assert_eq!(r.unbudgeted, dec("40.34"));
        assert_eq!(top_level(&tree, &budgeted), vec![food]);
        let covered = covered(&tree, &budgeted);
        assert!(covered.contains(&coffee) && covered.contains(&groceries) && !covered.contains(&transport));
        // Nothing spent still shows the line at zero.
        let r = roll_up(&tree, &[transport], &[]);
        assert_eq!(r.actual[&transport], Decimal::ZERO);
    }

    #[test]
    fn a_moved_category_counts_under_its_new_parent() {
        let (food, fun, coffee) = (id(1), id(2), id(3));
        let spent = [(Some(coffee), dec("9.99"))];
        let before = [
            TreeNode { id: food, parent: None },
            TreeNode { id: fun, parent: None },
            TreeNode { id: coffee, parent: Some(food) },
        ];
        let after = [
            TreeNode { id: food, parent: None },
            TreeNode { id: fun, parent: None },
            TreeNode { id: coffee, parent: Some(fun) },
        ];
        let r = roll_up(&before, &[food, fun], &spent);
        assert_eq!((r.actual[&food], r.actual[&fun]), (dec("9.99"), Decimal::ZERO));
        let r = roll_up(&after, &[food, fun], &spent);
        assert_eq!((r.actual[&food], r.actual[&fun]), (Decimal::ZERO, dec("9.99")));
    }

    #[test]
    fn a_cycle_in_the_tree_does_not_hang() {
        let (a, b) = (id(1), id(2));
        let tree = [TreeNode { id: a, parent: Some(b) }, TreeNode { id: b, parent: Some(a) }];
        let r = roll_up(&tree, &[a], &[(Some(b), dec("1.00"))]);
        assert_eq!(r.actual[&a], dec("1.00"));
    }

    #[test]
    fn variance_is_exact() {
        let f = Figures { base: dec("300.00"), carried: dec("0.00"), actual: dec("100.01") };
        assert_eq!(f.available(), dec("300.00"));
        assert_eq!(f.remaining(), dec("199.99"));
        assert_eq!(f.variance_percent(), Some(dec("66.7")));
        assert_eq!(f.used_percent(), Some(dec("33.3")));
        let half = Figures { base: dec("250.00"), carried: Decimal::ZERO, actual: dec("125.00") };
        assert_eq!(half.used_percent().unwrap().to_string(), "50.0");
        assert!(!f.is_over());
        let over = Figures { base: dec("60"), carried: dec("-10.50"), actual: dec("55.25") };
        assert_eq!(over.available(), dec("49.50"));
        assert_eq!(over.remaining(), dec("-5.75"));
        assert!(over.is_over());
        assert_eq!(over.variance_percent(), Some(dec("-11.6")));
        // 0.1 + 0.2 stays 0.3: no float anywhere.
        let f = Figures { base: dec("0.30"), carried: Decimal::ZERO, actual: dec("0.1") + dec("0.2") };
        assert_eq!(f.remaining(), Decimal::ZERO);
        let nothing = Figures { base: Decimal::ZERO, carried: Decimal::ZERO, actual: dec("5") };
        assert_eq!(nothing.variance_percent(), None);
    }

    #[test]
    fn rollover_carries_leftovers_and_overspending() {
        let oct = Figures { base: dec("600"), carried: Decimal::ZERO, actual: dec("550.40") };
        assert_eq!(carried_in(Some((&oct, true))), dec("49.60"));
        assert_eq!(carried_in(Some((&oct, false))), Decimal::ZERO);
        assert_eq!(carried_in(None), Decimal::ZERO);
        // November carries October's leftover and overspends; December gets the debt.
        let nov = Figures { base: dec("600"), carried: carried_in(Some((&oct, true))), actual: dec("700.00") };
        assert_eq!(nov.available(), dec("649.60"));
        let dec_ = Figures { base: dec("600"), carried: carried_in(Some((&nov, true))), actual: Decimal::ZERO };
        assert_eq!(dec_.carried, dec("-50.40"));
        assert_eq!(dec_.available(), dec("549.60"));
    }

    #[test]
    fn pace_projects_to_period_end() {
        let nov = Period::new(d(2026, 11, 1), d(2026, 11, 30)).unwrap();
        // 10 days in, 100 spent: 300 by the end.
        assert_eq!(projected_spend(dec("100"), &nov, d(2026, 11, 10)), dec("300.00"));
        assert_eq!(projected_spend(dec("100"), &nov, d(2026, 11, 7)), dec("428.57"));
        assert_eq!(projected_spend(dec("100"), &nov, d(2026, 12, 5)), dec("100"));
        assert_eq!(projected_spend(Decimal::ZERO, &nov, d(2026, 10, 5)), Decimal::ZERO);
        let across = Period::new(d(2026, 12, 15), d(2027, 1, 14)).unwrap();
        assert_eq!(across.elapsed_days(d(2027, 1, 1)), 18);
        assert_eq!(projected_spend(dec("18"), &across, d(2027, 1, 1)), dec("31.00"));
    }

    #[test]
    fn templates_average_whole_months() {
        assert_eq!(average_template(dec("1234.56"), 3, 1), dec("412"));
        assert_eq!(average_template(dec("1200.00"), 3, 3), dec("1200"));
        assert_eq!(average_template(dec("-5"), 3, 1), Decimal::ZERO);
        assert_eq!(average_template(dec("5"), 0, 1), Decimal::ZERO);
    }

    #[test]
    fn cumulative_spending_by_day() {
        let p = Period::new(d(2026, 11, 1), d(2026, 11, 30)).unwrap();
        let daily = [(d(2026, 11, 3), dec("5")), (d(2026, 11, 1), dec("1.50")), (d(2026, 10, 31), dec("99"))];
        let c = cumulative_by_day(&p, &daily, d(2026, 11, 4));
        assert_eq!(c, vec![dec("1.50"), dec("1.50"), dec("6.50"), dec("6.50")]);
        assert!(cumulative_by_day(&p, &daily, d(2026, 10, 1)).is_empty());
    }
}
