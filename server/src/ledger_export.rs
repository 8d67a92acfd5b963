//! `GET /transactions/export.{csv,xlsx}?<the page's filters>`: the transactions
//! page's current view as a file, every matching row (up to a cap), in its order.

use crate::startup::AppState;
use anyhow::Result;
use app::auth::ssr::user_of_session;
use app::data::transactions::ListRow;
use app::data::user_tx;
use app::error::AppError;
use app::transactions::TransactionQuery;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;
use std::net::SocketAddr;
use tower_sessions::Session;

const HEADERS: [&str; 11] = [
    "Date",
    "Description",
    "Amount",
    "Currency",
    "Category",
    "Account",
    "Notes",
    "Tags",
    "Pending",
    "Business",
    "Tax deductible",
];

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

pub fn csv(rows: &[ListRow]) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(HEADERS)?;
    for r in rows {
        w.write_record([
            r.date.to_string(),
            r.description.clone(),
            r.amount.to_string(),
            r.currency.clone(),
            r.category_name.clone().unwrap_or_default(),
            r.account_name.clone(),
            r.notes.clone().unwrap_or_default(),
            r.tags.join(", "),
            yes(r.pending).into(),
            yes(r.is_business).into(),
            yes(r.tax_deductible).into(),
        ])?;
    }
    Ok(w.into_inner()?)
}

pub fn xlsx(rows: &[ListRow], truncated: bool) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Formula, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Transactions")?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let money = Format::new().set_num_format("#,##0.00;-#,##0.00");
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let excel_date = rust_xlsxwriter::ExcelDateTime::parse_from_str(&r.date.to_string())?;
        sheet.write_datetime_with_format(row, 0, &excel_date, &date)?;
        sheet.write_string(row, 1, &r.description)?;
        sheet.write_number_with_format(row, 2, r.amount.to_f64().unwrap_or(0.0), &money)?;
        sheet.write_string(row, 3, &r.currency)?;
        sheet.write_string(row, 4, r.category_name.as_deref().unwrap_or(""))?;
        sheet.write_string(row, 5, &r.account_name)?;
        sheet.write_string(row, 6, r.notes.as_deref().unwrap_or(""))?;
        sheet.write_string(row, 7, r.tags.join(", "))?;
        sheet.write_string(row, 8, yes(r.pending))?;
        sheet.write_string(row, 9, yes(r.is_business))?;
        sheet.write_string(row, 10, yes(r.tax_deductible))?;
    }
    let total_row = rows.len() as u32 + 1;
    let total: rust_decimal::Decimal = rows.iter().map(|r| r.amount).sum();
    sheet.write_string_with_format(total_row, 1, "Total", &bold)?;
    let formula = Formula::new(format!("=SUM(C2:C{})", total_row.max(2))).set_result(total.normalize().to_string());
    sheet.write_formula_with_format(total_row, 2, formula, &money)?;
    if truncated {
        sheet.write_string(total_row + 2, 0, "Only the first rows of this view are included; narrow the filters.")?;
    }
    sheet.set_column_width(1, 40)?;
    sheet.set_column_width(4, 20)?;
    sheet.set_column_width(5, 20)?;
    Ok(book.save_to_buffer()?)
}

fn failure(e: AppError) -> Response {
    crate::export::download_failure(e, "sign in to export your transactions")
}

pub async fn download(
    State(state): State<AppState>,
    peer: std::result::Result<ConnectInfo<SocketAddr>, axum::extract::rejection::ExtensionRejection>,
    session: Session,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let xlsx_wanted = match file.as_str() {
        "export.csv" => false,
        "export.xlsx" => true,
        _ => return failure(AppError::NotFound),
    };
    let ip = app::auth::ssr::client_ip_from(&headers, peer.ok().map(|c| c.0), state.proxy);
    let result = async {
        let user = user_of_session(&state.pool, &session, ip).await?;
        let query = TransactionQuery::from_params(|k| params.get(k).cloned());
        let mut tx = user_tx(&state.pool, user.user_id).await?;
        let (rows, truncated) = app::transactions_export::ssr::rows(&mut tx, &user, &query).await?;
        tx.commit().await.map_err(app::data::DbError::from)?;
        let body = tokio::task::spawn_blocking(move || if xlsx_wanted { xlsx(&rows, truncated) } else { csv(&rows) })
            .await
            .map_err(|_| AppError::Internal)?
            .map_err(|e| {
                tracing::error!(error = %e, "exporting transactions");
                AppError::Internal
            })?;
        let mut resp = body.into_response();
        let h = resp.headers_mut();
        let (kind, name) = if xlsx_wanted {
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "transactions.xlsx")
        } else {
            ("text/csv; charset=utf-8", "transactions.csv")
        };
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if truncated && let Ok(v) = HeaderValue::from_str(&app::transactions_export::ssr::MAX_ROWS.to_string()) {
            h.insert("x-manna-truncated-at", v);
        }
        Ok::<_, AppError>(resp)
    }
    .await;
    result.unwrap_or_else(failure)
}
