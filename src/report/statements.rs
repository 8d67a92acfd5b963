//! The three statements: profit and loss, balance sheet, cash flow.

use super::*;
use crate::AccountKind;

/// Sums of one category's rows in a period, in ledger sign: money in (positive
/// amounts) and money out (negative). Transfers and split parents are left out by
/// the query; a split's parts count under their own categories.
#[derive(Debug, Clone, PartialEq)]
pub struct CategorySums {
    pub category: Option<Uuid>,
    pub inflow: Decimal,
    pub outflow: Decimal,
}

/// Income and expense per category for one period: income categories count net
/// (refunds of income reduce it), expense categories count net spending (refunds
/// reduce it); uncategorized money in is income, uncategorized money out expense.
/// Transfer categories are not income or expense.
fn split_by_kind(
    cats: &[Category],
    sums: &[CategorySums],
) -> (HashMap<Uuid, Decimal>, HashMap<Uuid, Decimal>, Decimal, Decimal) {
    let kinds: HashMap<Uuid, CategoryKind> = cats.iter().map(|c| (c.id, c.kind)).collect();
    let (mut income, mut expense) = (HashMap::new(), HashMap::new());
    let (mut loose_in, mut loose_out) = (Decimal::ZERO, Decimal::ZERO);
    for s in sums {
        match s.category.and_then(|c| kinds.get(&c).map(|k| (c, *k))) {
            Some((c, CategoryKind::Income)) => *income.entry(c).or_default() += s.inflow + s.outflow,
            Some((c, CategoryKind::Expense)) => *expense.entry(c).or_default() -= s.inflow + s.outflow,
            Some((_, CategoryKind::Transfer)) => {}
            None => {
                loose_in += s.inflow;
                loose_out -= s.outflow;
            }
        }
    }
    (income, expense, loose_in, loose_out)
}

const COMPARE_COLUMNS: [&str; 4] = ["This period", "Previous period", "Change", "Change %"];

fn compare_cells(current: Decimal, previous: Decimal) -> Vec<Cell> {
    vec![
        Cell::Money(current),
        Cell::Money(previous),
        Cell::Money(current - previous),
        Cell::Percent(change_percent(current, previous)),
    ]
}

/// One section (income or expenses) as rows in tree order: each category with its
/// subcategories rolled up, a parent's own rows as "Other …", then the section total.
fn section_rows(
    cats: &[Category],
    kind: CategoryKind,
    current: &HashMap<Uuid, Decimal>,
    previous: &HashMap<Uuid, Decimal>,
    loose: (Decimal, Decimal),
    total_label: &str,
) -> (Vec<Row>, Decimal, Decimal) {
    let (cur_up, prev_up) = (rolled_up(cats, current), rolled_up(cats, previous));
    let get = |m: &HashMap<Uuid, Decimal>, id: Uuid| m.get(&id).copied().unwrap_or_default();
    let mut rows = Vec::new();
    let (mut total_cur, mut total_prev) = (Decimal::ZERO, Decimal::ZERO);
    for (depth, c) in tree_order(cats) {
        if c.kind != kind {
            continue;
        }
        let (cur, prev) = (get(&cur_up, c.id), get(&prev_up, c.id));
        if cur.is_zero() && prev.is_zero() {
            continue;
        }
        let children = cats
            .iter()
            .any(|k| k.parent == Some(c.id) && !(get(&cur_up, k.id).is_zero() && get(&prev_up, k.id).is_zero()));
        let style = if children { RowStyle::Subtotal } else { RowStyle::Line };
        rows.push(Row::new(c.name.clone(), depth, style, compare_cells(cur, prev)));
        let (own_cur, own_prev) = (get(current, c.id), get(previous, c.id));
        if children && !(own_cur.is_zero() && own_prev.is_zero()) {
            rows.push(Row::new(
                format!("Other {}", c.name),
                depth + 1,
                RowStyle::Line,
                compare_cells(own_cur, own_prev),
            ));
        }
        if c.parent.is_none() {
            total_cur += cur;
            total_prev += prev;
        }
    }
    if !(loose.0.is_zero() && loose.1.is_zero()) {
        rows.push(Row::new("Uncategorized", 0, RowStyle::Line, compare_cells(loose.0, loose.1)));
        total_cur += loose.0;
        total_prev += loose.1;
    }
    let top = top_rows(&rows);
    rows.push(Row::new(total_label, 0, RowStyle::Total, compare_cells(total_cur, total_prev)).summing(top));
    (rows, total_cur, total_prev)
}

fn compare_table(name: &str, rows: Vec<Row>) -> Table {
    Table {
        name: name.into(),
        label_header: "Category".into(),
        columns: COMPARE_COLUMNS.iter().map(|c| c.to_string()).collect(),
        rows,
    }
}

/// Profit and loss for a period against the previous one of the same length.
pub fn profit_loss(cats: &[Category], current: &[CategorySums], previous: &[CategorySums]) -> ReportParts {
    let (inc, exp, loose_in, loose_out) = split_by_kind(cats, current);
    let (p_inc, p_exp, p_loose_in, p_loose_out) = split_by_kind(cats, previous);
    let (income_rows, income, p_income) =
        section_rows(cats, CategoryKind::Income, &inc, &p_inc, (loose_in, p_loose_in), "Total income");
    let (expense_rows, expenses, p_expenses) =
        section_rows(cats, CategoryKind::Expense, &exp, &p_exp, (loose_out, p_loose_out), "Total expenses");
    let summary = vec![
        Row::new("Income", 0, RowStyle::Line, compare_cells(income, p_income)),
        Row::new("Expenses", 0, RowStyle::Line, compare_cells(expenses, p_expenses)),
        Row::new("Net income", 0, RowStyle::Total, compare_cells(income - expenses, p_income - p_expenses))
            .summing_signed(vec![(0, 1), (1, -1)]),
    ];
    let top: Vec<&Row> = expense_rows.iter().filter(|r| r.depth == 0 && r.style != RowStyle::Total).collect();
    let money = |r: &Row| match r.cells.first() {
        Some(Cell::Money(m)) => *m,
        _ => Decimal::ZERO,
    };
    let charts = vec![
        Chart {
            kind: ChartKind::Bar,
            title: "Income and expenses".into(),
            labels: vec!["Previous period".into(), "This period".into()],
            series: vec![("Income".into(), vec![p_income, income]), ("Expenses".into(), vec![p_expenses, expenses])],
        },
        Chart {
            kind: ChartKind::Donut,
            title: "Expenses by category".into(),
            labels: top.iter().map(|r| r.label.clone()).collect(),
            series: vec![("Expenses".into(), top.iter().map(|r| money(r)).collect())],
        },
    ];
    ReportParts {
        tables: vec![
            compare_table("Summary", summary),
            compare_table("Income", income_rows),
            compare_table("Expenses", expense_rows),
        ],
        charts,
        headline: vec![
            ("income".into(), income),
            ("expenses".into(), expenses),
            ("net_income".into(), income - expenses),
            ("previous_net_income".into(), p_income - p_expenses),
        ],
    }
}

/// What a report builder returns; the caller adds title, subtitle and currency.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportParts {
    pub tables: Vec<Table>,
    pub charts: Vec<Chart>,
    pub headline: Vec<(String, Decimal)>,
}

impl ReportParts {
    /// A headline figure, zero if the report has none by that name.
    pub fn figure_of(&self, name: &str) -> Decimal {
        self.headline.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap_or_default()
    }

    pub fn into_report(self, kind: ReportKind, title: String, subtitle: String, currency: String) -> Report {
        Report { kind, title, subtitle, currency, tables: self.tables, charts: self.charts, headline: self.headline }
    }
}

/// An account for the balance sheet: today's balance and the sums of its
/// transactions after each of the two dates the sheet shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountPosition {
    pub name: String,
    pub kind: AccountKind,
    pub current: Decimal,
    /// Sum of transactions dated after the earlier date (ledger sign).
    pub after_start: Decimal,
    /// Sum of transactions dated after the sheet's date.
    pub after_end: Decimal,
}

/// An account's balance at a past date, from today's balance and what happened
/// since: cash accounts hold the sum of their transactions; cards and loans owe its
/// negation.
pub fn balance_at(current: Decimal, liability: bool, after: Decimal) -> Decimal {
    if liability { current + after } else { current - after }
}

/// Assets, liabilities and net worth at the period's end, beside its start.
pub fn balance_sheet(accounts: &[AccountPosition], start_label: &str, end_label: &str) -> ReportParts {
    let columns = vec![start_label.to_string(), end_label.to_string(), "Change".to_string()];
    let mut tables = Vec::new();
    let mut totals = [(Decimal::ZERO, Decimal::ZERO); 2];
    for (i, (name, liability)) in [("Assets", false), ("Liabilities", true)].into_iter().enumerate() {
        let mut rows = Vec::new();
        for kind in [
            AccountKind::Depository,
            AccountKind::Investment,
            AccountKind::Other,
            AccountKind::Credit,
            AccountKind::Loan,
        ] {
            if kind.is_liability() != liability {
                continue;
            }
            let group: Vec<&AccountPosition> = accounts.iter().filter(|a| a.kind == kind).collect();
            if group.is_empty() {
                continue;
            }
            let at = |a: &AccountPosition| {
                (balance_at(a.current, liability, a.after_start), balance_at(a.current, liability, a.after_end))
            };
            let (s, e) = group.iter().fold((Decimal::ZERO, Decimal::ZERO), |(s, e), a| {
                let (x, y) = at(a);
                (s + x, e + y)
            });
            let first = rows.len() + 1;
            rows.push(
                Row::new(kind.label(), 0, RowStyle::Subtotal, vec![Cell::Money(s), Cell::Money(e), Cell::Money(e - s)])
                    .summing(first..first + group.len()),
            );
            for a in group {
                let (x, y) = at(a);
                rows.push(Row::new(
                    a.name.clone(),
                    1,
                    RowStyle::Line,
                    vec![Cell::Money(x), Cell::Money(y), Cell::Money(y - x)],
                ));
            }
            totals[i].0 += s;
            totals[i].1 += e;
        }
        let (s, e) = totals[i];
        let top = top_rows(&rows);
        rows.push(
            Row::new(
                format!("Total {}", name.to_lowercase()),
                0,
                RowStyle::Total,
                vec![Cell::Money(s), Cell::Money(e), Cell::Money(e - s)],
            )
            .summing(top),
        );
        tables.push(Table { name: name.into(), label_header: "Account".into(), columns: columns.clone(), rows });
    }
    let ((a0, a1), (l0, l1)) = (totals[0], totals[1]);
    tables.insert(
        0,
        Table {
            name: "Net worth".into(),
            label_header: "".into(),
            columns: columns.clone(),
            rows: vec![
                Row::new("Assets", 0, RowStyle::Line, vec![Cell::Money(a0), Cell::Money(a1), Cell::Money(a1 - a0)]),
                Row::new(
                    "Liabilities",
                    0,
                    RowStyle::Line,
                    vec![Cell::Money(l0), Cell::Money(l1), Cell::Money(l1 - l0)],
                ),
                Row::new(
                    "Net worth",
                    0,
                    RowStyle::Total,
                    vec![Cell::Money(a0 - l0), Cell::Money(a1 - l1), Cell::Money((a1 - l1) - (a0 - l0))],
                )
                .summing_signed(vec![(0, 1), (1, -1)]),
            ],
        },
    );
    ReportParts {
        tables,
        charts: vec![Chart {
            kind: ChartKind::Bar,
            title: "Assets and liabilities".into(),
            labels: vec![start_label.to_string(), end_label.to_string()],
            series: vec![("Assets".into(), vec![a0, a1]), ("Liabilities".into(), vec![l0, l1])],
        }],
        headline: vec![("assets".into(), a1), ("liabilities".into(), l1), ("net_worth".into(), a1 - l1)],
    }
}

/// Money in and out in one month (ledger sign: out is negative).
#[derive(Debug, Clone, PartialEq)]
pub struct MonthFlow {
    pub month: NaiveDate,
    pub inflow: Decimal,
    pub outflow: Decimal,
}

/// Cash flow by month over the period, months without activity included.
pub fn cash_flow(flows: &[MonthFlow], from: NaiveDate, to: NaiveDate) -> ReportParts {
    let by_month: HashMap<NaiveDate, &MonthFlow> = flows.iter().map(|f| (f.month, f)).collect();
    let mut rows = Vec::new();
    let (mut tin, mut tout, mut running) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut labels, mut ins, mut outs, mut nets) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for m in months(from, to) {
        let (i, o) = by_month.get(&m).map_or((Decimal::ZERO, Decimal::ZERO), |f| (f.inflow, -f.outflow));
        running += i - o;
        tin += i;
        tout += o;
        rows.push(Row::new(
            month_label(m),
            0,
            RowStyle::Line,
            vec![Cell::Money(i), Cell::Money(o), Cell::Money(i - o), Cell::Money(running)],
        ));
        labels.push(month_label(m));
        ins.push(i);
        outs.push(o);
        nets.push(i - o);
    }
    let all = 0..rows.len();
    rows.push(
        Row::new(
            "Total",
            0,
            RowStyle::Total,
            vec![Cell::Money(tin), Cell::Money(tout), Cell::Money(tin - tout), Cell::Empty],
        )
        .summing(all),
    );
    ReportParts {
        tables: vec![Table {
            name: "Cash flow".into(),
            label_header: "Month".into(),
            columns: ["Money in", "Money out", "Net", "Cumulative net"].iter().map(|c| c.to_string()).collect(),
            rows,
        }],
        charts: vec![
            Chart {
                kind: ChartKind::Bar,
                title: "Money in and out by month".into(),
                labels: labels.clone(),
                series: vec![("Money in".into(), ins), ("Money out".into(), outs)],
            },
            Chart { kind: ChartKind::Line, title: "Net cash flow".into(), labels, series: vec![("Net".into(), nets)] },
        ],
        headline: vec![("inflow".into(), tin), ("outflow".into(), tout), ("net".into(), tin - tout)],
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{cat, d, dec};
    use super::*;

    fn sums(c: Option<u128>, inflow: &str, outflow: &str) -> CategorySums {
        CategorySums { category: c.map(Uuid::from_u128), inflow: dec(inflow), outflow: dec(outflow) }
    }

    fn cats() -> Vec<Category> {
        vec![
            cat(1, None, "Income", CategoryKind::Income),
            cat(2, Some(1), "Salary", CategoryKind::Income),
            cat(3, None, "Food", CategoryKind::Expense),
            cat(4, Some(3), "Groceries", CategoryKind::Expense),
            cat(5, Some(3), "Coffee", CategoryKind::Expense),
            cat(6, None, "Transfer", CategoryKind::Transfer),
            cat(7, None, "Rent", CategoryKind::Expense),
        ]
    }

    fn row<'a>(t: &'a Table, label: &str) -> &'a Row {
        t.rows.iter().find(|r| r.label == label).unwrap_or_else(|| panic!("no row {label}"))
    }

    #[test]
    fn profit_and_loss_rolls_up_and_leaves_transfers_out() {
        // Salary 3000; groceries 120.10 with a 10.00 refund; coffee 4.50 (a split part);
        // food's own 5.00; a transfer-category 500 in and out; rent 1000; uncategorized
        // 20 in and 7.25 out.
        let current = [
            sums(Some(2), "3000.00", "0"),
            sums(Some(4), "10.00", "-120.10"),
            sums(Some(5), "0", "-4.50"),
            sums(Some(3), "0", "-5.00"),
            sums(Some(6), "500", "-500"),
            sums(Some(7), "0", "-1000"),
            sums(None, "20", "-7.25"),
        ];
        let previous = [sums(Some(2), "2500", "0"), sums(Some(7), "0", "-1000")];
        let p = profit_loss(&cats(), &current, &previous);
        let [summary, income, expenses] = &p.tables[..] else { panic!() };
        assert_eq!(row(income, "Income").cells[0], Cell::Money(dec("3000.00")));
        assert_eq!(row(income, "Uncategorized").cells[0], Cell::Money(dec("20")));
        assert_eq!(row(income, "Total income").cells[0], Cell::Money(dec("3020.00")));
        let food = row(expenses, "Food");
        assert_eq!((food.style, &food.cells[0]), (RowStyle::Subtotal, &Cell::Money(dec("119.60"))));
        assert_eq!(row(expenses, "Groceries").cells[0], Cell::Money(dec("110.10")));
        assert_eq!(row(expenses, "Other Food").cells[0], Cell::Money(dec("5.00")));
        assert_eq!((row(expenses, "Groceries").depth, row(expenses, "Food").depth), (1, 0));
        assert!(expenses.rows.iter().all(|r| r.label != "Transfer"), "transfers are not expenses");
        assert_eq!(row(expenses, "Total expenses").cells[0], Cell::Money(dec("1126.85")));
        assert_eq!(p.headline[2], ("net_income".into(), dec("1893.15")));
        let net = row(summary, "Net income");
        assert_eq!(
            net.cells,
            vec![
                Cell::Money(dec("1893.15")),
                Cell::Money(dec("1500")),
                Cell::Money(dec("393.15")),
                Cell::Percent(Some(dec("26.2"))),
            ]
        );
        // Rent unchanged: 0 % change; salary from 2500: +20 %.
        assert_eq!(row(expenses, "Rent").cells[3], Cell::Percent(Some(dec("0.0"))));
        assert_eq!(row(income, "Salary").cells[3], Cell::Percent(Some(dec("20.0"))));
        super::super::tests::assert_sums_hold(&p.tables);
        // Coffee had nothing before: no percentage.
        assert_eq!(row(expenses, "Coffee").cells[3], Cell::Percent(None));
    }

    #[test]
    fn balance_sheet_at_two_dates() {
        let accounts = [
            AccountPosition {
                name: "Checking".into(),
                kind: AccountKind::Depository,
                current: dec("1500.00"),
                after_start: dec("700.00"),
                after_end: dec("-100.00"),
            },
            AccountPosition {
                name: "Card".into(),
                kind: AccountKind::Credit,
                current: dec("250.00"),
                after_start: dec("-50.00"),
                after_end: dec("30.00"),
            },
        ];
        let p = balance_sheet(&accounts, "31 Dec 2023", "31 Dec 2024");
        // Checking: 800 then 1600; the card owed 200 then 280.
        assert_eq!(
            p.headline,
            vec![
                ("assets".into(), dec("1600.00")),
                ("liabilities".into(), dec("280.00")),
                ("net_worth".into(), dec("1320.00"))
            ]
        );
        super::super::tests::assert_sums_hold(&p.tables);
        let net = &p.tables[0].rows[2];
        assert_eq!(
            net.cells,
            vec![Cell::Money(dec("600.00")), Cell::Money(dec("1320.00")), Cell::Money(dec("720.00"))]
        );
    }

    #[test]
    fn cash_flow_fills_empty_months_and_adds_up() {
        let flows = [
            MonthFlow { month: d(2024, 1, 1), inflow: dec("3000"), outflow: dec("-1200.50") },
            MonthFlow { month: d(2024, 3, 1), inflow: dec("100"), outflow: dec("-2000") },
        ];
        let p = cash_flow(&flows, d(2024, 1, 1), d(2024, 3, 31));
        let t = &p.tables[0];
        assert_eq!(t.rows.len(), 4);
        assert_eq!(t.rows[1].cells[0], Cell::Money(Decimal::ZERO));
        assert_eq!(t.rows[2].cells[3], Cell::Money(dec("-100.50")));
        super::super::tests::assert_sums_hold(&p.tables);
        assert_eq!(
            p.headline,
            vec![("inflow".into(), dec("3100")), ("outflow".into(), dec("3200.50")), ("net".into(), dec("-100.50"))]
        );
    }
}
