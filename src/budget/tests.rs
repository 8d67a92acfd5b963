//! Budget math checked by hand: periods across month and fiscal-year ends, roll-up,
//! moved categories, variance, rollover, pace and templates.

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
