//! Budgets: plans by category for a period, measured against what was spent.
//! The math lives in `manna_core::budget`; these functions authenticate, parse,
//! call the data layer and shape what the pages show.

use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use manna_core::Currency;
use manna_core::budget::{PeriodKind, Scope};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetSummary {
    pub id: Uuid,
    pub name: String,
    pub kind: PeriodKind,
    pub scope: Scope,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// "November 2026", or the dates of a custom period.
    pub period_label: String,
    pub active: bool,
    pub rollover: bool,
    pub lines: i64,
    /// The sum of the base amounts of all lines (sub-lines included).
    pub planned: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetsOverview {
    pub currency: Currency,
    pub budgets: Vec<BudgetSummary>,
    /// Today's monthly period, to prefill the form.
    pub this_month: (NaiveDate, NaiveDate),
    /// More budgets exist than are listed.
    pub truncated: bool,
}

/// One budget line with its figures for the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineView {
    pub id: Uuid,
    pub category_id: Uuid,
    pub category: String,
    /// Counts the spending of subcategories too.
    pub rolls_up: bool,
    /// Part of a budgeted parent line, so not added to the totals again.
    pub within_parent: bool,
    pub base: Decimal,
    pub carried: Decimal,
    pub available: Decimal,
    pub actual: Decimal,
    pub remaining: Decimal,
    pub variance_percent: Option<Decimal>,
    pub used_percent: Option<Decimal>,
    pub projected: Decimal,
    pub over: bool,
    /// Whether the leftover carries into the next period.
    pub rollover: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetTotals {
    pub base: Decimal,
    pub carried: Decimal,
    pub available: Decimal,
    pub actual: Decimal,
    pub remaining: Decimal,
    pub variance_percent: Option<Decimal>,
    pub used_percent: Option<Decimal>,
    pub projected: Decimal,
    pub over: bool,
    /// Spending no line covers.
    pub unbudgeted: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetView {
    pub budget: BudgetSummary,
    pub currency: Currency,
    pub lines: Vec<LineView>,
    pub totals: BudgetTotals,
    pub elapsed_days: i64,
    pub total_days: i64,
    pub previous: Option<(Uuid, String)>,
    pub next: Option<(Uuid, String)>,
    /// The label of the period after this one, for "Start …".
    pub next_period_label: String,
    pub categories: Vec<crate::categories::Category>,
    pub chart_vs_svg: String,
    pub chart_pace_svg: String,
}

/// The dashboard's "this month" card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetStatus {
    pub id: Uuid,
    pub name: String,
    pub period_label: String,
    pub currency: Currency,
    pub totals: BudgetTotals,
    pub elapsed_days: i64,
    pub total_days: i64,
    /// The lines most used first (at most five).
    pub lines: Vec<LineView>,
}

/// The most budgets the list shows.
pub const MAX_LISTED: i64 = 200;
/// The most lines one budget may have.
pub const MAX_LINES: usize = 200;

#[server(prefix = "/api", endpoint = "budgets")]
pub async fn list_budgets() -> Result<BudgetsOverview, AppError> {
    crate::error::respond(ssr::overview().await)
}

#[server(prefix = "/api", endpoint = "budget")]
pub async fn budget_detail(id: String) -> Result<BudgetView, AppError> {
    crate::error::respond(ssr::view(&id).await)
}

#[server(prefix = "/api", endpoint = "budget_status")]
pub async fn this_month_budget() -> Result<Option<BudgetStatus>, AppError> {
    crate::error::respond(ssr::status().await)
}

/// Creates a budget. `template`: `empty`, or `average` to start each expense
/// category at its average spending over the last `months` whole months.
#[server(prefix = "/api", endpoint = "create_budget")]
pub async fn create_budget(
    name: String,
    kind: String,
    scope: String,
    start: String,
    #[server(default)] end: String,
    #[server(default)] template: String,
    #[server(default)] months: String,
) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::create(&name, &kind, &scope, &start, &end, &template, &months).await)
}

#[server(prefix = "/api", endpoint = "save_budget")]
pub async fn save_budget(id: String, name: String, #[server(default)] active: Option<String>) -> Result<(), AppError> {
    crate::error::respond(ssr::save(&id, &name, active.is_some()).await)
}

#[server(prefix = "/api", endpoint = "delete_budget")]
pub async fn delete_budget(id: String) -> Result<(), AppError> {
    crate::error::respond(ssr::delete(&id).await)
}

/// Adds a line, or changes the line for that category.
#[server(prefix = "/api", endpoint = "save_budget_line")]
pub async fn save_budget_line(
    budget: String,
    category: String,
    amount: String,
    #[server(default)] rollover: Option<String>,
) -> Result<(), AppError> {
    crate::error::respond(ssr::save_line(&budget, &category, &amount, rollover.is_some()).await)
}

#[server(prefix = "/api", endpoint = "delete_budget_line")]
pub async fn delete_budget_line(id: String) -> Result<(), AppError> {
    crate::error::respond(ssr::delete_line(&id).await)
}

/// Starts the next period with the same lines, carrying what rolls over. Returns
/// the new budget's id.
#[server(prefix = "/api", endpoint = "carry_forward")]
pub async fn carry_forward(id: String) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::carry_forward(&id).await)
}

#[cfg(feature = "ssr")]
pub mod ssr;
