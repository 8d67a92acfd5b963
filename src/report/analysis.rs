//! Reports that look into spending: by category, over time, for tax, against budget.

use super::statements::ReportParts;
use super::*;

/// Spending (positive = money out, refunds reduce it) of one expense category in
/// one month.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthSpend {
    pub month: NaiveDate,
    pub category: Option<Uuid>,
    pub spent: Decimal,
}

/// Each top-level category's share of spending over the period, its monthly
/// average, and its last month against that average.
pub fn category_analysis(cats: &[Category], spend: &[MonthSpend], from: NaiveDate, to: NaiveDate) -> ReportParts {
    let month_list = months(from, to);
    let n = Decimal::from(month_list.len().max(1) as u64);
    let last = month_list.last().copied();
    let mut totals: HashMap<Option<Uuid>, Decimal> = HashMap::new();
    let mut last_month: HashMap<Option<Uuid>, Decimal> = HashMap::new();
    for s in spend {
        let top = s.category.map(|c| top_of(cats, c));
        *totals.entry(top).or_default() += s.spent;
        if Some(s.month) == last {
            *last_month.entry(top).or_default() += s.spent;
        }
    }
    let total: Decimal = totals.values().copied().sum();
    let names: HashMap<Uuid, &str> = cats.iter().map(|c| (c.id, c.name.as_str())).collect();
    let mut lines: Vec<(String, Decimal, Decimal)> = totals
        .iter()
        .filter(|(_, v)| !v.is_zero())
        .map(|(c, v)| {
            let name = c.and_then(|c| names.get(&c).copied()).unwrap_or("Uncategorized").to_string();
            (name, *v, last_month.get(c).copied().unwrap_or_default())
        })
        .collect();
    lines.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let average = |v: Decimal| (v / n).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let mut rows: Vec<Row> = lines
        .iter()
        .map(|(name, v, lm)| {
            Row::new(
                name.clone(),
                0,
                RowStyle::Line,
                vec![
                    Cell::Money(*v),
                    Cell::Percent(Some(percent(*v, total))),
                    Cell::Money(average(*v)),
                    Cell::Money(*lm),
                    Cell::Percent(change_percent(*lm, average(*v))),
                ],
            )
        })
        .collect();
    let last_total: Decimal = last_month.values().copied().sum();
    let all = 0..rows.len();
    rows.push(
        Row::new(
            "Total",
            0,
            RowStyle::Total,
            vec![
                Cell::Money(total),
                Cell::Percent(Some(if total.is_zero() { Decimal::ZERO } else { percent(total, total) })),
                Cell::Money(average(total)),
                Cell::Money(last_total),
                Cell::Percent(change_percent(last_total, average(total))),
            ],
        )
        .summing(all),
    );
    // The donut shows the eight largest and the rest together.
    let (mut labels, mut values): (Vec<String>, Vec<Decimal>) =
        lines.iter().take(8).map(|(n, v, _)| (n.clone(), *v)).unzip();
    let rest: Decimal = lines.iter().skip(8).map(|l| l.1).sum();
    if !rest.is_zero() {
        labels.push("Everything else".into());
        values.push(rest);
    }
    ReportParts {
        tables: vec![Table {
            name: "Categories".into(),
            label_header: "Category".into(),
            columns: ["Spent", "Share", "Monthly average", "Last month", "Last vs average"]
                .iter()
                .map(|c| c.to_string())
                .collect(),
            rows,
        }],
        charts: vec![Chart {
            kind: ChartKind::Donut,
            title: "Share of spending".into(),
            labels,
            series: vec![("Spent".into(), values)],
        }],
        headline: vec![("spent".into(), total)],
    }
}

/// A merchant's spending over the period.
#[derive(Debug, Clone, PartialEq)]
pub struct MerchantSpend {
    pub merchant: String,
    pub count: i64,
    pub spent: Decimal,
}

/// Spending month over month, and the merchants that took the most.
pub fn spending_trends(
    by_month: &[(NaiveDate, Decimal)],
    merchants: &[MerchantSpend],
    from: NaiveDate,
    to: NaiveDate,
) -> ReportParts {
    let map: HashMap<NaiveDate, Decimal> = by_month.iter().copied().collect();
    let mut rows = Vec::new();
    let mut previous: Option<Decimal> = None;
    let (mut labels, mut values) = (Vec::new(), Vec::new());
    let mut total = Decimal::ZERO;
    for m in months(from, to) {
        let v = map.get(&m).copied().unwrap_or_default();
        total += v;
        rows.push(Row::new(
            month_label(m),
            0,
            RowStyle::Line,
            vec![
                Cell::Money(v),
                previous.map_or(Cell::Empty, |p| Cell::Money(v - p)),
                previous.map_or(Cell::Empty, |p| Cell::Percent(change_percent(v, p))),
            ],
        ));
        labels.push(month_label(m));
        values.push(v);
        previous = Some(v);
    }
    let all = 0..rows.len();
    rows.push(Row::new("Total", 0, RowStyle::Total, vec![Cell::Money(total), Cell::Empty, Cell::Empty]).summing(all));
    let merchant_total: Decimal = merchants.iter().map(|m| m.spent).sum();
    let mut merchant_rows: Vec<Row> = merchants
        .iter()
        .map(|m| {
            Row::new(
                m.merchant.clone(),
                0,
                RowStyle::Line,
                vec![Cell::Count(m.count), Cell::Money(m.spent), Cell::Percent(Some(percent(m.spent, total)))],
            )
        })
        .collect();
    let all = 0..merchant_rows.len();
    merchant_rows.push(
        Row::new(
            "Top merchants together",
            0,
            RowStyle::Total,
            vec![
                Cell::Count(merchants.iter().map(|m| m.count).sum()),
                Cell::Money(merchant_total),
                Cell::Percent(Some(percent(merchant_total, total))),
            ],
        )
        .summing(all),
    );
    ReportParts {
        tables: vec![
            Table {
                name: "By month".into(),
                label_header: "Month".into(),
                columns: ["Spent", "Change", "Change %"].iter().map(|c| c.to_string()).collect(),
                rows,
            },
            Table {
                name: "Top merchants".into(),
                label_header: "Merchant".into(),
                columns: ["Transactions", "Spent", "Share"].iter().map(|c| c.to_string()).collect(),
                rows: merchant_rows,
            },
        ],
        charts: vec![Chart {
            kind: ChartKind::Line,
            title: "Spending by month".into(),
            labels,
            series: vec![("Spent".into(), values)],
        }],
        headline: vec![("spent".into(), total), ("top_merchants".into(), merchant_total)],
    }
}

/// Deductible spending of one category in one tax year, business or personal
/// (positive = money out).
#[derive(Debug, Clone, PartialEq)]
pub struct DeductibleSpend {
    pub tax_year: i32,
    pub tax_line: Option<String>,
    pub category: String,
    pub business: Decimal,
    pub personal: Decimal,
}

/// Deductible spending by tax year and tax line, business beside personal.
pub fn tax_summary(rows_in: &[DeductibleSpend]) -> ReportParts {
    let mut rows_in: Vec<&DeductibleSpend> = rows_in.iter().collect();
    rows_in.sort_by(|a, b| {
        b.tax_year.cmp(&a.tax_year).then_with(|| a.tax_line.cmp(&b.tax_line)).then_with(|| a.category.cmp(&b.category))
    });
    let mut rows = Vec::new();
    let (mut all_b, mut all_p) = (Decimal::ZERO, Decimal::ZERO);
    let mut years: Vec<i32> = rows_in.iter().map(|r| r.tax_year).collect();
    years.dedup();
    for year in years {
        let of_year: Vec<&&DeductibleSpend> = rows_in.iter().filter(|r| r.tax_year == year).collect();
        let (b, p) = of_year.iter().fold((Decimal::ZERO, Decimal::ZERO), |(b, p), r| (b + r.business, p + r.personal));
        let first = rows.len() + 1;
        rows.push(
            Row::new(
                format!("Tax year {year}"),
                0,
                RowStyle::Subtotal,
                vec![Cell::Empty, Cell::Money(b), Cell::Money(p), Cell::Money(b + p)],
            )
            .summing(first..first + of_year.len()),
        );
        for r in of_year {
            rows.push(Row::new(
                r.category.clone(),
                1,
                RowStyle::Line,
                vec![
                    Cell::Text(r.tax_line.clone().unwrap_or_else(|| "—".into())),
                    Cell::Money(r.business),
                    Cell::Money(r.personal),
                    Cell::Money(r.business + r.personal),
                ],
            ));
        }
        all_b += b;
        all_p += p;
    }
    let top = top_rows(&rows);
    rows.push(
        Row::new(
            "Total deductible",
            0,
            RowStyle::Total,
            vec![Cell::Empty, Cell::Money(all_b), Cell::Money(all_p), Cell::Money(all_b + all_p)],
        )
        .summing(top),
    );
    ReportParts {
        tables: vec![Table {
            name: "Deductible spending".into(),
            label_header: "Category".into(),
            columns: ["Tax line", "Business", "Personal", "Total"].iter().map(|c| c.to_string()).collect(),
            rows,
        }],
        charts: vec![Chart {
            kind: ChartKind::Donut,
            title: "Business and personal".into(),
            labels: vec!["Business".into(), "Personal".into()],
            series: vec![("Deductible".into(), vec![all_b, all_p])],
        }],
        headline: vec![("business".into(), all_b), ("personal".into(), all_p), ("deductible".into(), all_b + all_p)],
    }
}

/// One budget line as the budget measured it.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetLine {
    pub category: String,
    pub within_parent: bool,
    pub base: Decimal,
    pub carried: Decimal,
    pub actual: Decimal,
}

/// A budget's lines against actuals; totals count each transaction once (lines
/// inside a budgeted parent are shown but not added again).
pub fn budget_variance(lines: &[BudgetLine]) -> ReportParts {
    let cells = |base: Decimal, carried: Decimal, actual: Decimal| {
        let available = base + carried;
        vec![
            Cell::Money(base),
            Cell::Money(carried),
            Cell::Money(available),
            Cell::Money(actual),
            Cell::Money(available - actual),
            Cell::Percent((available > Decimal::ZERO).then(|| percent(available - actual, available))),
        ]
    };
    let mut rows: Vec<Row> = lines
        .iter()
        .map(|l| {
            Row::new(l.category.clone(), u8::from(l.within_parent), RowStyle::Line, cells(l.base, l.carried, l.actual))
        })
        .collect();
    let top = lines.iter().filter(|l| !l.within_parent);
    let (b, c, a) = top
        .fold((Decimal::ZERO, Decimal::ZERO, Decimal::ZERO), |(b, c, a), l| (b + l.base, c + l.carried, a + l.actual));
    let top = top_rows(&rows);
    rows.push(Row::new("Total", 0, RowStyle::Total, cells(b, c, a)).summing(top));
    ReportParts {
        tables: vec![Table {
            name: "Budget variance".into(),
            label_header: "Line".into(),
            columns: ["Budget", "Carried", "Available", "Spent", "Remaining", "Variance %"]
                .iter()
                .map(|c| c.to_string())
                .collect(),
            rows,
        }],
        charts: vec![Chart {
            kind: ChartKind::Bar,
            title: "Budget vs actual".into(),
            labels: lines.iter().map(|l| l.category.clone()).collect(),
            series: vec![
                ("Available".into(), lines.iter().map(|l| l.base + l.carried).collect()),
                ("Spent".into(), lines.iter().map(|l| l.actual).collect()),
            ],
        }],
        headline: vec![("available".into(), b + c), ("spent".into(), a), ("remaining".into(), b + c - a)],
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{cat, d, dec};
    use super::*;

    #[test]
    fn category_shares_roll_up_to_top_level() {
        let cats = [
            cat(1, None, "Food", CategoryKind::Expense),
            cat(2, Some(1), "Coffee", CategoryKind::Expense),
            cat(3, None, "Rent", CategoryKind::Expense),
        ];
        let u = |n| Some(Uuid::from_u128(n));
        let spend = [
            MonthSpend { month: d(2024, 1, 1), category: u(2), spent: dec("30") },
            MonthSpend { month: d(2024, 2, 1), category: u(1), spent: dec("70") },
            MonthSpend { month: d(2024, 2, 1), category: u(3), spent: dec("300") },
        ];
        let p = category_analysis(&cats, &spend, d(2024, 1, 1), d(2024, 2, 29));
        let t = &p.tables[0];
        assert_eq!(t.rows[0].label, "Rent");
        assert_eq!(
            t.rows[1].cells[..3],
            [Cell::Money(dec("100")), Cell::Percent(Some(dec("25.0"))), Cell::Money(dec("50"))]
        );
        // Food's last month (70) against its monthly average (50): +40 %.
        assert_eq!(t.rows[1].cells[4], Cell::Percent(Some(dec("40.0"))));
        super::super::tests::assert_sums_hold(&p.tables);
        assert_eq!(p.figure_of("spent"), dec("400"));
    }

    #[test]
    fn trends_and_top_merchants() {
        let by_month = [(d(2024, 1, 1), dec("100")), (d(2024, 3, 1), dec("150"))];
        let merchants = [MerchantSpend { merchant: "Market".into(), count: 3, spent: dec("125") }];
        let p = spending_trends(&by_month, &merchants, d(2024, 1, 1), d(2024, 3, 31));
        let t = &p.tables[0];
        assert_eq!(
            t.rows[1].cells,
            vec![Cell::Money(Decimal::ZERO), Cell::Money(dec("-100")), Cell::Percent(Some(dec("-100.0")))]
        );
        assert_eq!(t.rows[2].cells[2], Cell::Percent(None), "from nothing: no percentage");
        assert_eq!(p.tables[1].rows[0].cells[2], Cell::Percent(Some(dec("50.0"))));
        super::super::tests::assert_sums_hold(&p.tables);
        assert_eq!(p.figure_of("spent"), dec("250"));
    }

    #[test]
    fn tax_summary_by_year_and_line() {
        let rows = [
            DeductibleSpend {
                tax_year: 2024,
                tax_line: Some("Schedule C line 18".into()),
                category: "Office".into(),
                business: dec("120.00"),
                personal: dec("0"),
            },
            DeductibleSpend {
                tax_year: 2024,
                tax_line: None,
                category: "Charity".into(),
                business: dec("0"),
                personal: dec("50.00"),
            },
            DeductibleSpend {
                tax_year: 2023,
                tax_line: None,
                category: "Charity".into(),
                business: dec("0"),
                personal: dec("25"),
            },
        ];
        let p = tax_summary(&rows);
        let t = &p.tables[0];
        assert_eq!(t.rows[0].label, "Tax year 2024");
        assert_eq!(t.rows[0].cells[3], Cell::Money(dec("170.00")));
        super::super::tests::assert_sums_hold(&p.tables);
        assert_eq!(p.figure_of("deductible"), dec("195.00"));
        assert_eq!(p.figure_of("business"), dec("120.00"));
    }

    #[test]
    fn budget_variance_counts_sub_lines_once() {
        let lines = [
            BudgetLine {
                category: "Food".into(),
                within_parent: false,
                base: dec("800"),
                carried: dec("0"),
                actual: dec("157.60"),
            },
            BudgetLine {
                category: "Coffee".into(),
                within_parent: true,
                base: dec("10"),
                carried: dec("-2.50"),
                actual: dec("12.50"),
            },
        ];
        let p = budget_variance(&lines);
        let t = &p.tables[0];
        assert_eq!(t.rows[1].cells[4], Cell::Money(dec("-5.00")));
        assert_eq!(t.rows[1].cells[5], Cell::Percent(Some(dec("-66.7"))));
        super::super::tests::assert_sums_hold(&p.tables);
        assert_eq!(p.figure_of("spent"), dec("157.60"));
        assert_eq!(p.figure_of("remaining"), dec("642.40"));
    }
}
