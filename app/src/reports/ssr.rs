//! The server side of `reports`: authenticate, parse, call the data layer, audit.

use super::*;
use crate::auth::ssr::{actor, pool, require_user, require_user_tx};
use crate::data::{DbError, audit, categories, reports, tax, user_tx};
use crate::input;
use manna_core::report::{Category, CategoryKind, analysis, statements};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgConnection;

/// The longest period a report covers.
const MAX_DAYS: i64 = 10 * 366;

pub fn parse_params(kind: &str, from: &str, to: &str, scope: &str, budget: &str) -> Result<ReportParams, AppError> {
    let kind = ReportKind::parse(kind).ok_or_else(|| AppError::Invalid("choose a report type".into()))?;
    let from = input::date("From", from)?;
    let to = input::date("To", to)?;
    if to < from {
        return Err(AppError::Invalid("the period ends before it starts".into()));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(AppError::Invalid("a report covers at most ten years".into()));
    }
    let scope = Scope::parse(scope).ok_or_else(|| AppError::Invalid("choose personal, business or both".into()))?;
    let budget = if kind == ReportKind::BudgetVariance {
        Some(input::id(budget).map_err(|_| AppError::Invalid("choose a budget".into()))?)
    } else {
        None
    };
    Ok(ReportParams { kind, from, to, scope, budget })
}

fn scope_words(scope: Scope) -> &'static str {
    match scope {
        Scope::Personal => "personal",
        Scope::Business => "business",
        Scope::All => "personal and business",
    }
}

/// Builds a report from the database in the caller's transaction.
pub async fn build(conn: &mut PgConnection, user_id: Uuid, p: &ReportParams) -> Result<Report, AppError> {
    let (fiscal, currency) = tax::fiscal_start(conn, user_id).await?;
    let _ = fiscal;
    let business = p.scope.business_filter();
    let period = format!("{} – {}", p.from.format("%-d %b %Y"), p.to.format("%-d %b %Y"));
    let mut title = p.kind.label().to_string();
    let mut compared = String::new();
    let parts = match p.kind {
        ReportKind::ProfitLoss => {
            let cats = category_tree(conn, user_id).await?;
            let (prev_from, prev_to) = manna_core::report::previous_period(p.from, p.to);
            compared = format!(" · compared with {} – {}", prev_from.format("%-d %b %Y"), prev_to.format("%-d %b %Y"));
            let sums = |rows: Vec<(Option<Uuid>, Decimal, Decimal)>| -> Vec<statements::CategorySums> {
                rows.into_iter()
                    .map(|(category, inflow, outflow)| statements::CategorySums { category, inflow, outflow })
                    .collect()
            };
            let current = sums(reports::category_sums(conn, user_id, p.from, p.to, business).await?);
            let previous = sums(reports::category_sums(conn, user_id, prev_from, prev_to, business).await?);
            statements::profit_loss(&cats, &current, &previous)
        }
        ReportKind::BalanceSheet => {
            let start = p.from.pred_opt().unwrap_or(p.from);
            let rows = reports::account_positions(conn, user_id, start, p.to, business).await?;
            let accounts: Vec<statements::AccountPosition> = rows
                .into_iter()
                .map(|r| statements::AccountPosition {
                    name: r.name,
                    kind: manna_core::AccountKind::parse(&r.account_type).unwrap_or(manna_core::AccountKind::Other),
                    current: r.current_balance,
                    after_start: r.after_start,
                    after_end: r.after_end,
                })
                .collect();
            title = format!("Balance sheet at {}", p.to.format("%-d %b %Y"));
            let label = |d: NaiveDate| d.format("%-d %b %Y").to_string();
            statements::balance_sheet(&accounts, &label(start), &label(p.to))
        }
        ReportKind::CashFlow => {
            let flows: Vec<statements::MonthFlow> = reports::month_flows(conn, user_id, p.from, p.to, business)
                .await?
                .into_iter()
                .map(|(month, inflow, outflow)| statements::MonthFlow { month, inflow, outflow })
                .collect();
            statements::cash_flow(&flows, p.from, p.to)
        }
        ReportKind::CategoryAnalysis => {
            let cats = category_tree(conn, user_id).await?;
            let spend = month_spend(conn, user_id, p, business).await?;
            analysis::category_analysis(&cats, &spend, p.from, p.to)
        }
        ReportKind::SpendingTrends => {
            let spend = month_spend(conn, user_id, p, business).await?;
            let mut by_month: std::collections::BTreeMap<NaiveDate, Decimal> = Default::default();
            for s in &spend {
                *by_month.entry(s.month).or_default() += s.spent;
            }
            let by_month: Vec<(NaiveDate, Decimal)> = by_month.into_iter().collect();
            let merchants: Vec<analysis::MerchantSpend> =
                reports::top_merchants(conn, user_id, p.from, p.to, business, 10)
                    .await?
                    .into_iter()
                    .map(|(merchant, count, spent)| analysis::MerchantSpend { merchant, count, spent })
                    .collect();
            analysis::spending_trends(&by_month, &merchants, p.from, p.to)
        }
        ReportKind::TaxSummary => {
            let rows: Vec<analysis::DeductibleSpend> = reports::deductible(conn, user_id, p.from, p.to, business)
                .await?
                .into_iter()
                .map(|(tax_year, tax_line, category, business, personal)| analysis::DeductibleSpend {
                    tax_year,
                    tax_line,
                    category,
                    business,
                    personal,
                })
                .collect();
            analysis::tax_summary(&rows)
        }
        ReportKind::BudgetVariance => {
            let budget = p.budget.ok_or_else(|| AppError::Invalid("choose a budget".into()))?;
            let m = crate::budgets::ssr::measure(conn, user_id, budget).await?;
            title = format!("Budget variance: {}", m.budget.name);
            let lines: Vec<analysis::BudgetLine> = m
                .lines
                .iter()
                .map(|l| analysis::BudgetLine {
                    category: l.category.clone(),
                    within_parent: l.within_parent,
                    base: l.base,
                    carried: l.carried,
                    actual: l.actual,
                })
                .collect();
            let mut parts = analysis::budget_variance(&lines);
            parts.headline.push(("unbudgeted".into(), m.totals.unbudgeted));
            return Ok(parts.into_report(
                p.kind,
                title,
                format!("{} · {}", m.budget.period_label, m.budget.scope.label().to_lowercase()),
                currency,
            ));
        }
    };
    let subtitle = format!("{period} · {}{compared}", scope_words(p.scope));
    Ok(parts.into_report(p.kind, title, subtitle, currency))
}

async fn category_tree(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<Category>, AppError> {
    Ok(categories::visible(conn, user_id, false)
        .await?
        .into_iter()
        .map(|c| Category { id: c.id, parent: c.parent_id, name: c.name, kind: CategoryKind::parse(&c.kind) })
        .collect())
}

async fn month_spend(
    conn: &mut PgConnection,
    user_id: Uuid,
    p: &ReportParams,
    business: Option<bool>,
) -> Result<Vec<analysis::MonthSpend>, AppError> {
    Ok(reports::month_spending(conn, user_id, p.from, p.to, business)
        .await?
        .into_iter()
        .map(|(month, category, spent)| analysis::MonthSpend { month, category, spent })
        .collect())
}

pub fn draw_charts(report: &Report) -> Result<Vec<String>, AppError> {
    report
        .charts
        .iter()
        .map(|c| {
            crate::charts::report_chart(c).map_err(|e| {
                tracing::error!(error = %e, "report chart");
                AppError::Internal
            })
        })
        .collect()
}

pub async fn generate(kind: &str, from: &str, to: &str, scope: &str, budget: &str) -> Result<ReportView, AppError> {
    let user = require_user().await?;
    let params = parse_params(kind, from, to, scope, budget)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let report = build(&mut tx, user.user_id, &params).await?;
    tx.commit().await.map_err(DbError::from)?;
    let charts = draw_charts(&report)?;
    Ok(ReportView { params, report, charts, saved: None })
}

fn params_json(p: &ReportParams) -> serde_json::Value {
    json!({ "budget": p.budget })
}

async fn store(
    conn: &mut PgConnection,
    user_id: Uuid,
    p: &ReportParams,
    title: &str,
    previous: Option<(Uuid, i32)>,
) -> Result<(Uuid, Report), AppError> {
    let mut report = build(conn, user_id, p).await?;
    // A title of the user's own heads the report; the kind moves to the subtitle.
    if !title.is_empty() && title != report.title {
        report.subtitle = format!("{} · {}", report.title, report.subtitle);
        report.title = title.to_string();
    }
    let title = report.title.clone();
    let data = serde_json::to_value(&report).map_err(|e| {
        tracing::error!(error = %e, "report snapshot");
        AppError::Internal
    })?;
    let id = reports::insert(
        conn,
        user_id,
        &reports::NewReport {
            report_type: p.kind.as_str(),
            title: &title,
            scope: p.scope.as_str(),
            start: p.from,
            end: p.to,
            parameters: params_json(p),
            data,
            version: previous.map_or(1, |(_, v)| v + 1),
            previous: previous.map(|(id, _)| id),
        },
    )
    .await?;
    Ok((id, report))
}

pub async fn save(kind: &str, from: &str, to: &str, scope: &str, budget: &str, title: &str) -> Result<Uuid, AppError> {
    let user = require_user().await?;
    let params = parse_params(kind, from, to, scope, budget)?;
    let title = input::optional_text("Title", title, 200)?.unwrap_or_default();
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let (id, report) = store(&mut tx, user.user_id, &params, &title, None).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("report.saved", "report", Some(id)).impact(audit::Impact::Low).new_values(json!({
            "type": params.kind.as_str(), "from": params.from, "to": params.to, "scope": params.scope.as_str(),
            "headline": report.headline,
        })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(id)
}

fn params_of(row: &reports::ReportRow) -> Result<ReportParams, AppError> {
    let kind = ReportKind::parse(&row.report_type).ok_or(AppError::Internal)?;
    Ok(ReportParams {
        kind,
        from: row.period_start.ok_or(AppError::Internal)?,
        to: row.period_end.ok_or(AppError::Internal)?,
        scope: Scope::parse(&row.scope).unwrap_or(Scope::All),
        budget: row.parameters.get("budget").and_then(|b| b.as_str()).and_then(|b| b.parse().ok()),
    })
}

fn snapshot(row: &reports::ReportRow) -> Result<Report, AppError> {
    let data = row.data.clone().ok_or(AppError::NotFound)?;
    serde_json::from_value(data).map_err(|e| {
        tracing::error!(error = %e, report = %row.id, "unreadable report snapshot");
        AppError::Internal
    })
}

pub async fn list() -> Result<Vec<SavedSummary>, AppError> {
    let (user, mut tx) = require_user_tx(None).await?;
    let rows = reports::latest(&mut tx, user.user_id, 200).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(SavedSummary {
                id: r.id,
                kind: ReportKind::parse(&r.report_type)?,
                title: r.title,
                from: r.period_start,
                to: r.period_end,
                scope: Scope::parse(&r.scope).unwrap_or(Scope::All),
                version: r.version,
                generated_at: r.generated_at,
                is_template: r.is_template,
                shared: r.share_token.is_some() && r.share_expires_at.is_some_and(|e| e > Utc::now()),
            })
        })
        .collect())
}

/// A saved report and its versions, for its owner.
pub async fn load(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<ReportView, AppError> {
    let row = reports::get(conn, user_id, id).await?;
    let versions = reports::versions(conn, user_id, id).await?;
    let newest = !reports::has_newer(conn, user_id, id).await?;
    let report = snapshot(&row)?;
    let previous_headline = match row.previous_version_id {
        Some(prev) => match reports::get(conn, user_id, prev).await {
            Ok(p) => Some((p.version, snapshot(&p)?.headline)),
            Err(DbError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let charts = draw_charts(&report)?;
    Ok(ReportView {
        params: params_of(&row)?,
        report,
        charts,
        saved: Some(SavedMeta {
            id: row.id,
            version: row.version,
            generated_at: row.generated_at,
            is_template: row.is_template,
            share_token: row.share_token.clone(),
            share_expires_at: row.share_expires_at,
            versions,
            newest,
            previous_headline,
        }),
    })
}

pub async fn open(id: &str) -> Result<ReportView, AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    load(&mut tx, user.user_id, id).await
}

pub async fn regenerate(id: &str) -> Result<Uuid, AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let row = reports::get(&mut tx, user.user_id, id).await?;
    if reports::has_newer(&mut tx, user.user_id, id).await? {
        return Err(AppError::Invalid("a newer version exists; regenerate the newest one".into()));
    }
    let params = params_of(&row)?;
    let (new_id, report) = store(&mut tx, user.user_id, &params, &row.title, Some((row.id, row.version))).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("report.regenerated", "report", Some(new_id))
            .impact(audit::Impact::Low)
            .new_values(json!({ "previous": row.id, "version": row.version + 1, "headline": report.headline })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(new_id)
}

pub async fn set_template(id: &str, on: bool) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    reports::set_template(&mut tx, user.user_id, id, on).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("report.template_set", "report", Some(id)).new_values(json!({ "template": on })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

pub async fn run_template(id: &str, from: &str, to: &str) -> Result<Uuid, AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let row = reports::get(&mut tx, user.user_id, id).await?;
    if !row.is_template {
        return Err(AppError::Invalid("this report is not a template".into()));
    }
    let old = params_of(&row)?;
    let budget = old.budget.map(|b| b.to_string()).unwrap_or_default();
    let params = parse_params(old.kind.as_str(), from, to, old.scope.as_str(), &budget)?;
    let (new_id, _) = store(&mut tx, user.user_id, &params, "", None).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("report.saved", "report", Some(new_id))
            .impact(audit::Impact::Low)
            .new_values(json!({ "template": id, "from": params.from, "to": params.to })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(new_id)
}

pub async fn share(id: &str, days: &str) -> Result<String, AppError> {
    use rand::RngCore;
    let user = require_user().await?;
    let id = input::id(id)?;
    let days: i64 = days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=MAX_SHARE_DAYS).contains(d))
        .ok_or_else(|| AppError::Invalid(format!("a link lasts 1 to {MAX_SHARE_DAYS} days")))?;
    // 256 random bits, URL-safe: unguessable.
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let expires = Utc::now() + chrono::Duration::days(days);
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    reports::set_share(&mut tx, user.user_id, id, Some((&token, expires))).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("report.shared", "report", Some(id))
            .impact(audit::Impact::Medium)
            .flags(&["data_sharing"])
            .new_values(json!({ "expires_at": expires })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(format!("/shared/{token}"))
}

pub async fn revoke(id: &str) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    reports::set_share(&mut tx, user.user_id, id, None).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("report.share_revoked", "report", Some(id)).flags(&["data_sharing"]),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

pub async fn delete(id: &str) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let row = reports::get(&mut tx, user.user_id, id).await?;
    reports::delete(&mut tx, user.user_id, id).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("report.deleted", "report", Some(id))
            .impact(audit::Impact::Low)
            .old(json!({ "title": row.title, "version": row.version })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Tokens are 64 hex digits; anything else is not looked up at all.
pub fn valid_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The shared report for a token, or not found (expired, revoked or guessed).
pub async fn shared_row(pool: &sqlx::PgPool, token: &str) -> Result<reports::ReportRow, AppError> {
    if !valid_token(token) {
        return Err(AppError::NotFound);
    }
    // No user to act for: the token is the key, looked up as the app itself.
    let mut conn = pool.acquire().await.map_err(DbError::from)?;
    Ok(reports::by_share_token(&mut conn, token).await?)
}

pub async fn shared(token: &str) -> Result<ReportView, AppError> {
    let row = shared_row(&pool()?, token).await?;
    let report = snapshot(&row)?;
    let charts = draw_charts(&report)?;
    Ok(ReportView { params: params_of(&row)?, report, charts, saved: None })
}
