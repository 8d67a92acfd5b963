//! Charts drawn on the server as SVG (charts-rs), so pages show them before any
//! script runs. Values become f32 only here, for drawing; the labels beside a chart
//! come from the exact Decimal amounts.

use chrono::NaiveDate;

/// The font the charts are drawn in (Roboto, carried by charts-rs), for documents
/// that embed the charts and want their text to match.
pub const FONT_DATA: &[u8] = charts_rs::DEFAULT_FONT_DATA;
pub const FONT_FAMILY: &str = "Roboto";
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// A line of an account's balance at each month end. Empty input draws an empty chart
/// with a message.
pub fn balance_over_time(title: &str, points: &[(NaiveDate, Decimal)]) -> Result<String, String> {
    let labels: Vec<String> = points.iter().map(|(d, _)| d.format("%b %Y").to_string()).collect();
    let values: Vec<f32> = points.iter().map(|(_, v)| v.to_f32().unwrap_or(0.0)).collect();
    let options = serde_json::json!({
        "width": 720,
        "height": 280,
        "title_text": title,
        "title_font_size": 14,
        "legend_show": false,
        "series_smooth": false,
        "series_fill": true,
        "empty_text": "No history yet",
        "x_axis_data": labels,
        "y_axis_configs": [{ "axis_formatter": "{t}" }],
        "series_list": [{ "name": "Balance", "data": values }],
    });
    let chart = charts_rs::LineChart::from_json(&options.to_string()).map_err(|e| e.to_string())?;
    chart.svg().map_err(|e| e.to_string())
}

/// Budget against actual per line: what was available and what was spent, as
/// horizontal bars so long category names stay readable.
pub fn budget_vs_actual(lines: &[(String, Decimal, Decimal)]) -> Result<String, String> {
    let names: Vec<&str> = lines.iter().map(|(n, _, _)| n.as_str()).collect();
    let available: Vec<f32> = lines.iter().map(|(_, a, _)| a.to_f32().unwrap_or(0.0)).collect();
    let spent: Vec<f32> = lines.iter().map(|(_, _, s)| s.to_f32().unwrap_or(0.0)).collect();
    let height = 90 + 44 * lines.len().max(1);
    let options = serde_json::json!({
        "width": 720,
        "height": height,
        "title_text": "Budget vs actual",
        "title_font_size": 14,
        "legend_show": true,
        "legend_align": "right",
        "series_colors": ["#94a3b8", "#2563eb"],
        "empty_text": "No budget lines yet",
        "x_axis_data": names,
        "series_list": [
            { "name": "Available", "data": available },
            { "name": "Spent", "data": spent },
        ],
    });
    let chart = charts_rs::HorizontalBarChart::from_json(&options.to_string()).map_err(|e| e.to_string())?;
    chart.svg().map_err(|e| e.to_string())
}

/// Spending pace over a period: cumulative spending so far against an even pace
/// that spends exactly the available amount by the last day.
pub fn spending_pace(day_labels: &[String], cumulative: &[Decimal], available: Decimal) -> Result<String, String> {
    let days = day_labels.len().max(1);
    let even: Vec<f32> =
        (1..=days).map(|i| (available * Decimal::from(i) / Decimal::from(days)).to_f32().unwrap_or(0.0)).collect();
    let spent: Vec<f32> = cumulative.iter().map(|v| v.to_f32().unwrap_or(0.0)).collect();
    let options = serde_json::json!({
        "width": 720,
        "height": 280,
        "title_text": "Spending pace",
        "title_font_size": 14,
        "legend_show": true,
        "legend_align": "right",
        "series_smooth": false,
        "series_colors": ["#2563eb", "#94a3b8"],
        "x_axis_data": day_labels,
        "y_axis_configs": [{ "axis_formatter": "{t}" }],
        "series_list": [
            { "name": "Spent so far", "data": spent },
            { "name": "Even pace", "data": even },
        ],
    });
    let chart = charts_rs::LineChart::from_json(&options.to_string()).map_err(|e| e.to_string())?;
    chart.svg().map_err(|e| e.to_string())
}

/// A report's chart (bar, line or donut) as SVG.
pub fn report_chart(chart: &manna_core::report::Chart) -> Result<String, String> {
    use manna_core::report::ChartKind;
    let f = |v: &Decimal| v.to_f32().unwrap_or(0.0);
    let mut options = serde_json::json!({
        "width": 720,
        "height": 320,
        "title_text": chart.title,
        "title_font_size": 14,
        "legend_show": true,
        "legend_align": "right",
        "empty_text": "Nothing in this period",
    });
    let svg = match chart.kind {
        ChartKind::Donut => {
            // charts-rs draws one slice per series.
            let values = chart.series.first().map(|s| s.1.clone()).unwrap_or_default();
            options["series_list"] = chart
                .labels
                .iter()
                .zip(values.iter())
                .filter(|(_, v)| **v > Decimal::ZERO)
                .map(|(l, v)| serde_json::json!({ "name": l, "data": [f(v)] }))
                .collect();
            options["inner_radius"] = 60.into();
            options["rose_type"] = false.into();
            options["radius"] = 120.into();
            options["legend_show"] = false.into();
            charts_rs::PieChart::from_json(&options.to_string()).and_then(|c| c.svg())
        }
        kind => {
            options["x_axis_data"] = serde_json::json!(chart.labels);
            options["series_list"] = chart
                .series
                .iter()
                .map(|(name, data)| serde_json::json!({ "name": name, "data": data.iter().map(f).collect::<Vec<_>>() }))
                .collect();
            options["y_axis_configs"] = serde_json::json!([{ "axis_formatter": "{t}" }]);
            if kind == ChartKind::Line {
                options["series_smooth"] = false.into();
                charts_rs::LineChart::from_json(&options.to_string()).and_then(|c| c.svg())
            } else {
                charts_rs::BarChart::from_json(&options.to_string()).and_then(|c| c.svg())
            }
        }
    };
    svg.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_an_svg_with_every_month() {
        let d = |m| NaiveDate::from_ymd_opt(2024, m, 1).unwrap();
        let points = [(d(1), Decimal::new(10000, 2)), (d(2), Decimal::new(-2550, 2)), (d(3), Decimal::new(31000, 2))];
        let svg = balance_over_time("Checking", &points).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        for label in ["Jan 2024", "Feb 2024", "Mar 2024", "Checking"] {
            assert!(svg.contains(label), "missing {label}");
        }
        assert!(balance_over_time("Empty", &[]).unwrap().starts_with("<svg"));
    }

    #[test]
    fn budget_charts_draw_their_lines() {
        let lines = [
            ("Groceries".to_string(), Decimal::new(60000, 2), Decimal::new(41250, 2)),
            ("Coffee".to_string(), Decimal::new(6000, 2), Decimal::new(7125, 2)),
        ];
        let svg = budget_vs_actual(&lines).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("Groceries") && svg.contains("Coffee"));
        assert!(budget_vs_actual(&[]).unwrap().starts_with("<svg"));
        let labels: Vec<String> = (1..=30).map(|d| d.to_string()).collect();
        let cumulative = [Decimal::new(1000, 2), Decimal::new(2500, 2), Decimal::new(2500, 2)];
        let svg = spending_pace(&labels, &cumulative, Decimal::new(30000, 2)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("Even pace"));
        assert!(spending_pace(&labels, &[], Decimal::ZERO).unwrap().starts_with("<svg"));
    }

    #[test]
    fn report_charts_of_each_kind() {
        use manna_core::report::{Chart, ChartKind};
        for kind in [ChartKind::Bar, ChartKind::Line, ChartKind::Donut] {
            let chart = Chart {
                kind,
                title: "Expenses".into(),
                labels: vec!["Food".into(), "Rent".into()],
                series: vec![("Spent".into(), vec![Decimal::new(12050, 2), Decimal::new(100000, 2)])],
            };
            let svg = report_chart(&chart).unwrap();
            assert!(svg.starts_with("<svg") && svg.contains("Expenses"), "{kind:?}");
            assert!(svg.contains("Food"), "{kind:?} labels");
        }
    }
}
