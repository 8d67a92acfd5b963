//! Report exports: CSV (one RFC 4180 file per table, zipped), XLSX (a sheet per
//! table, currency cells, totals as formulas) and PDF (see `report_pdf`). All three
//! write the same `Report` the page shows, so their totals agree with it.

use anyhow::{Context, Result};
use manna_core::report::{Cell, Report, RowStyle, Table};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::io::Write;

/// A file name from a title: letters, digits and dashes.
pub fn file_stem(title: &str) -> String {
    let mut out = String::new();
    for ch in title.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "report".into() } else { out.chars().take(80).collect() }
}

fn csv_value(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Money(m) => m.to_string(),
        Cell::Percent(Some(p)) => p.to_string(),
        Cell::Percent(None) | Cell::Empty => String::new(),
        Cell::Count(n) => n.to_string(),
    }
}

fn style_name(style: RowStyle) -> &'static str {
    match style {
        RowStyle::Line => "line",
        RowStyle::Subtotal => "subtotal",
        RowStyle::Total => "total",
    }
}

/// One table as CSV: the label column, the value columns (amounts as plain decimals
/// in the report's currency, percentages as numbers), then the row's level and kind.
pub fn table_csv(table: &Table) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let mut header = vec![if table.label_header.is_empty() { "Item".to_string() } else { table.label_header.clone() }];
    header.extend(table.columns.iter().cloned());
    header.extend(["Level".to_string(), "Row".to_string()]);
    w.write_record(&header)?;
    for r in &table.rows {
        let mut record = vec![r.label.clone()];
        record.extend(r.cells.iter().map(csv_value));
        record.extend([r.depth.to_string(), style_name(r.style).to_string()]);
        w.write_record(&record)?;
    }
    w.into_inner().context("finishing a CSV")
}

/// Every table as its own CSV file in one zip.
pub fn csv_zip(report: &Report) -> Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (i, t) in report.tables.iter().enumerate() {
        zip.start_file(format!("{:02}-{}.csv", i + 1, file_stem(&t.name)), options)?;
        zip.write_all(&table_csv(t)?)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// The spreadsheet column letter of a 0-based index.
fn column_letter(mut i: u16) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (i % 26) as u8) as char);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s
}

/// Sheet names: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(name: &str, used: &mut Vec<String>) -> String {
    let clean: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(28).collect();
    let mut candidate = if clean.is_empty() { "Sheet".to_string() } else { clean };
    let mut n = 2;
    while used.iter().any(|u| u.eq_ignore_ascii_case(&candidate)) {
        candidate = format!("{} {n}", candidate.chars().take(26).collect::<String>());
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

/// The workbook: a sheet per table with a title row, currency-formatted amounts,
/// and totals written as formulas over the rows they add up (with their values
/// cached, so readers that do not calculate see the same figures).
pub fn xlsx(report: &Report) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatAlign, Formula, Workbook};
    let symbol = manna_core::Currency::parse(&report.currency).map(|c| c.symbol().to_string()).unwrap_or_default();
    let money_format = format!("\"{symbol}\"#,##0.00;-\"{symbol}\"#,##0.00");
    let money = Format::new().set_num_format(&money_format);
    let money_bold = Format::new().set_num_format(&money_format).set_bold();
    let percent = Format::new().set_num_format("0.0\"%\"");
    let bold = Format::new().set_bold();
    let header = Format::new().set_bold().set_align(FormatAlign::Center).set_background_color("#EEF1F5");
    let mut book = Workbook::new();
    let mut used = Vec::new();
    // Data starts on row 3 (0-based): title, subtitle, blank, header.
    const FIRST: u32 = 4;
    for table in &report.tables {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&table.name, &mut used))?;
        sheet.write_string_with_format(0, 0, format!("{} — {}", report.title, table.name), &bold)?;
        sheet.write_string(1, 0, &report.subtitle)?;
        sheet.write_string_with_format(3, 0, &table.label_header, &header)?;
        for (c, name) in table.columns.iter().enumerate() {
            sheet.write_string_with_format(3, c as u16 + 1, name, &header)?;
        }
        sheet.set_column_width(0, 36)?;
        for c in 0..table.columns.len() {
            sheet.set_column_width(c as u16 + 1, 16)?;
        }
        for (i, r) in table.rows.iter().enumerate() {
            let row = FIRST + i as u32;
            let strong = r.style != RowStyle::Line;
            let label = format!("{}{}", "  ".repeat(r.depth as usize), r.label);
            if strong {
                sheet.write_string_with_format(row, 0, &label, &bold)?;
            } else {
                sheet.write_string(row, 0, &label)?;
            }
            for (c, cell) in r.cells.iter().enumerate() {
                let col = c as u16 + 1;
                match cell {
                    Cell::Money(m) => {
                        let fmt = if strong { &money_bold } else { &money };
                        let value = m.to_f64().unwrap_or(0.0);
                        if table.summed(i, c) == Some(*m) {
                            let letter = column_letter(col);
                            let terms: String = r
                                .sums
                                .iter()
                                .map(|(k, sign)| {
                                    format!("{}{letter}{}", if *sign < 0 { "-" } else { "+" }, FIRST + *k as u32 + 1)
                                })
                                .collect();
                            let formula =
                                Formula::new(format!("={}", terms.trim_start_matches('+'))).set_result(plain(*m));
                            sheet.write_formula_with_format(row, col, formula, fmt)?;
                        } else {
                            sheet.write_number_with_format(row, col, value, fmt)?;
                        }
                    }
                    Cell::Percent(Some(p)) => {
                        sheet.write_number_with_format(row, col, p.to_f64().unwrap_or(0.0), &percent)?;
                    }
                    Cell::Count(n) => {
                        sheet.write_number(row, col, *n as f64)?;
                    }
                    Cell::Text(t) => {
                        sheet.write_string(row, col, t)?;
                    }
                    Cell::Percent(None) | Cell::Empty => {}
                }
            }
        }
    }
    Ok(book.save_to_buffer()?)
}

/// A decimal as a spreadsheet writes a number ("1234.5", not "1234.50").
fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_letters() {
        assert_eq!(file_stem("Profit and loss: 2024"), "profit-and-loss-2024");
        assert_eq!(file_stem("!!!"), "report");
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        let mut used = Vec::new();
        assert_eq!(sheet_name("Income", &mut used), "Income");
        assert_eq!(sheet_name("income", &mut used), "income 2");
        assert_eq!(sheet_name("a/b:c", &mut used), "abc");
    }
}

/// A format a report downloads in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Pdf,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "application/zip",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }

    /// The file's extension (CSV comes as a zip of one CSV per table).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv.zip",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }
}

/// The bytes of a report in a format.
pub fn render(report: &Report, format: Format, generated: &str) -> Result<Vec<u8>> {
    match format {
        Format::Csv => csv_zip(report),
        Format::Xlsx => xlsx(report),
        Format::Pdf => {
            let charts: Vec<String> = report
                .charts
                .iter()
                .map(app::charts::report_chart)
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
            crate::report_pdf::pdf(report, &charts, generated)
        }
    }
}

mod http {
    use super::*;
    use crate::startup::AppState;
    use app::auth::ssr::user_of_session;
    use app::data::{audit, reports, user_tx};
    use app::error::AppError;
    use axum::extract::{ConnectInfo, Path, State};
    use axum::http::{HeaderMap, HeaderValue, header};
    use axum::response::{IntoResponse, Response};
    use std::net::SocketAddr;
    use tower_sessions::Session;

    fn failure(e: AppError) -> Response {
        crate::export::download_failure(e, "sign in to download this report")
    }

    fn file_format(file: &str) -> Option<Format> {
        Format::parse(file.strip_prefix("export.")?)
    }

    async fn respond(report: Report, generated: String, format: Format) -> Result<Response, AppError> {
        let name = format!("{}.{}", file_stem(&report.title), format.extension());
        let body = tokio::task::spawn_blocking(move || render(&report, format, &generated))
            .await
            .map_err(|_| AppError::Internal)?
            .map_err(|e| {
                tracing::error!(error = %e, "rendering a report export");
                AppError::Internal
            })?;
        let mut resp = body.into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(resp)
    }

    fn snapshot(row: &reports::ReportRow) -> Result<(Report, String), AppError> {
        let report: Report =
            serde_json::from_value(row.data.clone().ok_or(AppError::NotFound)?).map_err(|_| AppError::Internal)?;
        let generated = row
            .generated_at
            .map(|g| format!("Generated {} · version {}", g.format("%Y-%m-%d %H:%M UTC"), row.version))
            .unwrap_or_default();
        Ok((report, generated))
    }

    /// `GET /reports/{id}/export.{csv,xlsx,pdf}`: the owner's saved report.
    pub async fn saved(
        State(state): State<AppState>,
        peer: std::result::Result<ConnectInfo<SocketAddr>, axum::extract::rejection::ExtensionRejection>,
        session: Session,
        headers: HeaderMap,
        Path((id, file)): Path<(String, String)>,
    ) -> Response {
        let Some(format) = file_format(&file) else { return failure(AppError::NotFound) };
        let ip = app::auth::ssr::client_ip_from(&headers, peer.ok().map(|c| c.0), state.proxy);
        let result = async {
            let user = user_of_session(&state.pool, &session, ip).await?;
            let id = app::input::id(&id)?;
            let mut tx = user_tx(&state.pool, user.user_id).await?;
            let row = reports::get(&mut tx, user.user_id, id).await?;
            let actor = crate::export::download_actor(&user, ip, &headers);
            audit::record(
                &mut tx,
                &actor,
                audit::Entry::new("report.exported", "report", Some(id))
                    .new_values(serde_json::json!({ "format": format.extension() })),
            )
            .await?;
            tx.commit().await.map_err(app::data::DbError::from)?;
            let (report, generated) = snapshot(&row)?;
            respond(report, generated, format).await
        }
        .await;
        result.unwrap_or_else(failure)
    }

    /// `GET /shared/{token}/export.{csv,xlsx,pdf}`: a shared report, by its link alone.
    pub async fn shared(State(state): State<AppState>, Path((token, file)): Path<(String, String)>) -> Response {
        let Some(format) = file_format(&file) else { return failure(AppError::NotFound) };
        let result = async {
            let row = app::reports::ssr::shared_row(&state.pool, &token).await?;
            let (report, generated) = snapshot(&row)?;
            respond(report, generated, format).await
        }
        .await;
        result.unwrap_or_else(failure)
    }
}

pub use http::{saved as download_saved, shared as download_shared};
