//! Charts drawn on the server as SVG (charts-rs), so pages show them before any
//! script runs. Values become f32 only here, for drawing; the labels beside a chart
//! come from the exact Decimal amounts.

use chrono::NaiveDate;
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
}
