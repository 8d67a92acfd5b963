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
}
