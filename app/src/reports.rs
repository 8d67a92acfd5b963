//! Reports: generate any report type for a period and scope, save it as a snapshot,
//! regenerate new versions, keep templates, and share read-only links. The math is
//! `manna_core::report`; the sums come from `data::reports`.

use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use manna_core::budget::Scope;
use manna_core::report::{Report, ReportKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a report is generated from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportParams {
    pub kind: ReportKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub scope: Scope,
    /// The budget a budget-variance report measures.
    pub budget: Option<Uuid>,
}

/// A saved report's place among its versions and how it is shared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedMeta {
    pub id: Uuid,
    pub version: i32,
    pub generated_at: Option<DateTime<Utc>>,
    pub is_template: bool,
    pub share_token: Option<String>,
    pub share_expires_at: Option<DateTime<Utc>>,
    /// Every version: (id, number, generated), oldest first.
    pub versions: Vec<(Uuid, i32, Option<DateTime<Utc>>)>,
    pub newest: bool,
    /// The previous version's headline figures, to compare with this one's.
    pub previous_headline: Option<(i32, Vec<(String, rust_decimal::Decimal)>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub params: ReportParams,
    pub report: Report,
    /// The report's charts as SVG, in order.
    pub charts: Vec<String>,
    pub saved: Option<SavedMeta>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSummary {
    pub id: Uuid,
    pub title: String,
    pub kind: ReportKind,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub scope: Scope,
    pub version: i32,
    pub generated_at: Option<DateTime<Utc>>,
    pub is_template: bool,
    pub shared: bool,
}

/// The most days a share link lives.
pub const MAX_SHARE_DAYS: i64 = 90;

#[server(prefix = "/api", endpoint = "generate_report")]
pub async fn generate_report(
    kind: String,
    from: String,
    to: String,
    scope: String,
    #[server(default)] budget: String,
) -> Result<ReportView, AppError> {
    crate::error::respond(ssr::generate(&kind, &from, &to, &scope, &budget).await)
}

#[server(prefix = "/api", endpoint = "save_report")]
pub async fn save_report(
    kind: String,
    from: String,
    to: String,
    scope: String,
    #[server(default)] budget: String,
    #[server(default)] title: String,
) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::save(&kind, &from, &to, &scope, &budget, &title).await)
}

#[server(prefix = "/api", endpoint = "saved_reports")]
pub async fn saved_reports() -> Result<Vec<SavedSummary>, AppError> {
    crate::error::respond(ssr::list().await)
}

#[server(prefix = "/api", endpoint = "saved_report")]
pub async fn saved_report(id: String) -> Result<ReportView, AppError> {
    crate::error::respond(ssr::open(&id).await)
}

/// Generates the report again with today's data as the next version; earlier
/// versions stay as they were.
#[server(prefix = "/api", endpoint = "regenerate_report")]
pub async fn regenerate_report(id: String) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::regenerate(&id).await)
}

#[server(prefix = "/api", endpoint = "set_report_template")]
pub async fn set_report_template(id: String, #[server(default)] on: Option<String>) -> Result<(), AppError> {
    crate::error::respond(ssr::set_template(&id, on.is_some()).await)
}

/// A template's report type and scope over a new period: a new saved report.
#[server(prefix = "/api", endpoint = "run_template")]
pub async fn run_template(id: String, from: String, to: String) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::run_template(&id, &from, &to).await)
}

/// Creates (or replaces) a read-only link valid for `days`; returns its path.
#[server(prefix = "/api", endpoint = "share_report")]
pub async fn share_report(id: String, days: String) -> Result<String, AppError> {
    crate::error::respond(ssr::share(&id, &days).await)
}

#[server(prefix = "/api", endpoint = "revoke_share")]
pub async fn revoke_share(id: String) -> Result<(), AppError> {
    crate::error::respond(ssr::revoke(&id).await)
}

#[server(prefix = "/api", endpoint = "delete_report")]
pub async fn delete_report(id: String) -> Result<(), AppError> {
    crate::error::respond(ssr::delete(&id).await)
}

/// A shared report by its link's token: no session needed, nothing else reachable.
#[server(prefix = "/api", endpoint = "shared_report")]
pub async fn shared_report(token: String) -> Result<ReportView, AppError> {
    crate::error::respond(ssr::shared(&token).await)
}

#[cfg(feature = "ssr")]
pub mod ssr;
