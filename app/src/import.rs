//! Statement import (OFX/QFX, QIF, CSV): preview what a file would add, then import it
//! as one batch, or undo a batch. The file travels base64-encoded in the form (the page
//! reads it in the browser); nothing is kept between preview and import.

use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use manna_core::import::{CsvGuess, DuplicateReason, ParseOptions, RowError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
pub mod ssr;

/// One row of the file as the preview shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub index: usize,
    pub line: usize,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub description: String,
    pub reason: DuplicateReason,
    /// The existing row it repeats, with where that row came from.
    pub duplicate_of: Option<Uuid>,
    pub duplicate_source: Option<String>,
    /// What will happen: imported unless it is a duplicate (the user may flip it).
    pub import: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub account_id: Uuid,
    pub account: String,
    pub format: String,
    pub format_label: String,
    /// How the file was read (the CSV mapping the page lets the user change).
    pub options: ParseOptions,
    /// For a CSV: the guess (headers, confidence, whether the dates are ambiguous).
    pub guess: Option<CsvGuess>,
    pub rows: Vec<PreviewRow>,
    pub errors: Vec<RowError>,
    pub new_rows: usize,
    pub duplicates: usize,
    pub ledger_balance: Option<(Decimal, NaiveDate)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    pub batch: Uuid,
    pub added: usize,
    pub duplicates: usize,
    pub failed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub id: Uuid,
    pub account_id: Uuid,
    pub account: String,
    pub file_name: String,
    pub format: String,
    pub rows_in_file: i32,
    pub added: i32,
    pub duplicates: i32,
    pub failed: i32,
    pub undone: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Reads the file and says what importing it would do; writes nothing. `options` is
/// empty to detect the format (and, for a CSV, use the account's saved mapping or a
/// guess), else the JSON of `ParseOptions`.
#[server(prefix = "/api", endpoint = "preview_import")]
pub async fn preview_import(
    account: String,
    file_name: String,
    content: String,
    #[server(default)] options: String,
) -> Result<Preview, AppError> {
    crate::error::respond(ssr::preview(&account, &file_name, &content, &options).await)
}

/// Imports the file as one batch. `flip` lists row indexes whose preview decision the
/// user reversed (import a flagged duplicate, or skip a new row).
#[server(prefix = "/api", endpoint = "import_statement")]
pub async fn import_statement(
    account: String,
    file_name: String,
    content: String,
    #[server(default)] options: String,
    #[server(default)] flip: Vec<usize>,
) -> Result<Imported, AppError> {
    crate::error::respond(ssr::import(&account, &file_name, &content, &options, &flip).await)
}

#[server(prefix = "/api", endpoint = "import_batches")]
pub async fn import_batches() -> Result<Vec<Batch>, AppError> {
    crate::error::respond(ssr::batches().await)
}

/// Removes exactly the rows a batch added.
#[server(prefix = "/api", endpoint = "undo_import")]
pub async fn undo_import(batch: String) -> Result<u64, AppError> {
    crate::error::respond(ssr::undo(&batch).await)
}
