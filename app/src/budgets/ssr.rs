//! The server side of `budgets`: authenticate, parse, call the data layer, audit.

use super::*;
use crate::auth::ssr::{actor, pool, require_user, require_user_tx};
use crate::data::{DbError, audit, budgets, categories, tax, user_tx};
use crate::input;
use manna_core::budget::{self as math, Figures, Period, TreeNode};
use serde_json::json;
use sqlx::PgConnection;
use std::collections::HashMap;

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn summary(row: &budgets::BudgetRow, lines: i64, planned: Decimal) -> BudgetSummary {
    let kind = PeriodKind::parse(&row.budget_type).unwrap_or(PeriodKind::Custom);
    let period = Period { start: row.period_start, end: row.period_end };
    BudgetSummary {
        id: row.id,
        name: row.name.clone(),
        kind,
        scope: Scope::parse(&row.scope).unwrap_or(Scope::All),
        start: row.period_start,
        end: row.period_end,
        period_label: period.label(kind),
        active: row.is_active,
        rollover: row.rollover_enabled,
        lines,
        planned,
    }
}

async fn currency(conn: &mut PgConnection, user_id: Uuid) -> Result<(Currency, u32), AppError> {
    let (fiscal, currency) = tax::fiscal_start(conn, user_id).await?;
    Ok((Currency::parse(&currency).unwrap_or(Currency::USD), fiscal.clamp(1, 12) as u32))
}

pub async fn overview() -> Result<BudgetsOverview, AppError> {
    let (user, mut tx) = require_user_tx(None).await?;
    let (currency, _) = currency(&mut tx, user.user_id).await?;
    let mut rows = budgets::list(&mut tx, user.user_id, MAX_LISTED + 1).await?;
    let truncated = rows.len() as i64 > MAX_LISTED;
    rows.truncate(MAX_LISTED as usize);
    let month = Period::containing(PeriodKind::Monthly, today(), 1).map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok(BudgetsOverview {
        currency,
        budgets: rows.iter().map(|r| summary(&r.budget, r.items, r.planned)).collect(),
        this_month: (month.start, month.end),
        truncated,
    })
}

/// A budget measured: its lines' figures, the totals, and the carried amounts
/// brought up to date from the previous period.
pub struct Measured {
    pub budget: BudgetSummary,
    pub currency: Currency,
    pub lines: Vec<LineView>,
    pub totals: BudgetTotals,
    pub period: Period,
    pub categories: Vec<crate::categories::Category>,
    /// Cumulative spending of the covered categories by day, through today.
    pub pace: Vec<Decimal>,
    pub previous: Option<budgets::BudgetRow>,
}

/// Measures a budget in the caller's transaction: two reads of the tree and
/// lines, one aggregate over the period (and the previous one, for rollover).
pub async fn measure(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<Measured, AppError> {
    let row = budgets::get(conn, user_id, id).await?;
    let (currency, _) = currency(conn, user_id).await?;
    let items = budgets::items(conn, user_id, id).await?;
    let categories: Vec<crate::categories::Category> =
        categories::visible(conn, user_id, false).await?.into_iter().map(crate::categories::Category::from).collect();
    let tree: Vec<TreeNode> = categories.iter().map(|c| TreeNode { id: c.id, parent: c.parent_id }).collect();
    let period = Period { start: row.period_start, end: row.period_end };
    let scope = Scope::parse(&row.scope).unwrap_or(Scope::All);
    let previous = match row.previous_budget_id {
        Some(p) => Some(budgets::get(conn, user_id, p).await?),
        None => None,
    };
    let from = previous.as_ref().map_or(period.start, |p| p.period_start.min(period.start));
    let to = previous.as_ref().map_or(period.end, |p| p.period_end.max(period.end));
    let daily = budgets::spending_by_day(conn, user_id, from, to, scope.business_filter()).await?;
    let in_period = |p: &Period| -> Vec<(Option<Uuid>, Decimal)> {
        daily.iter().filter(|(d, _, _)| p.contains(*d)).map(|(_, c, s)| (*c, *s)).collect()
    };

    // What each line carries in: the previous period's leftover, measured now.
    let mut carried: HashMap<Uuid, Decimal> = items.iter().map(|i| (i.category_id, i.rollover_amount)).collect();
    if let Some(prev) = &previous {
        let prev_items = budgets::items(conn, user_id, prev.id).await?;
        let prev_period = Period { start: prev.period_start, end: prev.period_end };
        let ids: Vec<Uuid> = prev_items.iter().map(|i| i.category_id).collect();
        let rolled = math::roll_up(&tree, &ids, &in_period(&prev_period));
        let fresh: Vec<(Uuid, Decimal)> = items
            .iter()
            .map(|item| {
                let before = prev_items.iter().find(|p| p.category_id == item.category_id).map(|p| {
                    let figures = Figures {
                        base: p.amount,
                        carried: p.rollover_amount,
                        actual: rolled.actual.get(&p.category_id).copied().unwrap_or_default(),
                    };
                    (figures, p.rollover)
                });
                (item.category_id, math::carried_in(before.as_ref().map(|(f, r)| (f, *r))))
            })
            .collect();
        // Late edits in the previous period move the carried amount; keep the
        // stored figure in step so the period after this one builds on it.
        if fresh.iter().any(|(c, k)| carried.get(c) != Some(k)) {
            budgets::set_carried(conn, user_id, id, &fresh).await?;
            carried.extend(fresh);
        }
    }

    let ids: Vec<Uuid> = items.iter().map(|i| i.category_id).collect();
    let spent = in_period(&period);
    let rolled = math::roll_up(&tree, &ids, &spent);
    let top: Vec<Uuid> = math::top_level(&tree, &ids);
    let has_children = |id: Uuid| categories.iter().any(|c| c.parent_id == Some(id));
    let today = today();
    let mut lines: Vec<LineView> = items
        .iter()
        .map(|item| {
            let f = Figures {
                base: item.amount,
                carried: carried.get(&item.category_id).copied().unwrap_or_default(),
                actual: rolled.actual.get(&item.category_id).copied().unwrap_or_default(),
            };
            line_view(item, &f, &period, today, has_children(item.category_id), !top.contains(&item.category_id))
        })
        .collect();
    // Parents before their children, in the category tree's order.
    let order: HashMap<Uuid, usize> =
        crate::categories::Category::tree(&categories).iter().enumerate().map(|(i, (_, c))| (c.id, i)).collect();
    lines.sort_by_key(|l| order.get(&l.category_id).copied().unwrap_or(usize::MAX));

    let total = Figures {
        base: lines.iter().filter(|l| !l.within_parent).map(|l| l.base).sum(),
        carried: lines.iter().filter(|l| !l.within_parent).map(|l| l.carried).sum(),
        actual: lines.iter().filter(|l| !l.within_parent).map(|l| l.actual).sum(),
    };
    let totals = BudgetTotals {
        base: total.base,
        carried: total.carried,
        available: total.available(),
        actual: total.actual,
        remaining: total.remaining(),
        variance_percent: total.variance_percent(),
        used_percent: total.used_percent(),
        projected: total.projected(&period, today),
        over: total.is_over(),
        unbudgeted: rolled.unbudgeted,
    };
    let covered = math::covered(&tree, &ids);
    let covered_daily: Vec<(NaiveDate, Decimal)> =
        daily.iter().filter(|(_, c, _)| c.is_some_and(|c| covered.contains(&c))).map(|(d, _, s)| (*d, *s)).collect();
    let pace = math::cumulative_by_day(&period, &covered_daily, today);
    let planned = items.iter().map(|i| i.amount).sum();
    Ok(Measured {
        budget: summary(&row, items.len() as i64, planned),
        currency,
        lines,
        totals,
        period,
        categories,
        pace,
        previous,
    })
}

fn line_view(
    item: &budgets::ItemRow,
    f: &Figures,
    period: &Period,
    today: NaiveDate,
    rolls_up: bool,
    within_parent: bool,
) -> LineView {
    LineView {
        id: item.id,
        category_id: item.category_id,
        category: item.category.clone(),
        rolls_up,
        within_parent,
        base: f.base,
        carried: f.carried,
        available: f.available(),
        actual: f.actual,
        remaining: f.remaining(),
        variance_percent: f.variance_percent(),
        used_percent: f.used_percent(),
        projected: f.projected(period, today),
        over: f.is_over(),
        rollover: item.rollover,
    }
}

fn chart_error(e: String) -> AppError {
    tracing::error!(error = %e, "budget chart");
    AppError::Internal
}

pub async fn view(id: &str) -> Result<BudgetView, AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let m = measure(&mut tx, user.user_id, id).await?;
    let next_id = budgets::next_of(&mut tx, user.user_id, id).await?;
    let next = match next_id {
        Some(n) => {
            let row = budgets::get(&mut tx, user.user_id, n).await?;
            Some((n, summary(&row, 0, Decimal::ZERO).period_label))
        }
        None => None,
    };
    tx.commit().await.map_err(DbError::from)?;
    let kind = m.budget.kind;
    let next_period_label = m.period.next(kind).map(|p| p.label(kind)).unwrap_or_default();
    let previous = m.previous.as_ref().map(|p| (p.id, summary(p, 0, Decimal::ZERO).period_label));
    let bars: Vec<(String, Decimal, Decimal)> =
        m.lines.iter().map(|l| (l.category.clone(), l.available, l.actual)).collect();
    let chart_vs_svg = crate::charts::budget_vs_actual(&bars).map_err(chart_error)?;
    let labels: Vec<String> = (0..m.period.days())
        .filter_map(|i| m.period.start.checked_add_days(chrono::Days::new(i as u64)))
        .map(|d| d.format("%-d %b").to_string())
        .collect();
    let chart_pace_svg = crate::charts::spending_pace(&labels, &m.pace, m.totals.available).map_err(chart_error)?;
    Ok(BudgetView {
        budget: m.budget,
        currency: m.currency,
        lines: m.lines,
        totals: m.totals,
        elapsed_days: m.period.elapsed_days(today()),
        total_days: m.period.days(),
        previous,
        next,
        next_period_label,
        categories: m.categories,
        chart_vs_svg,
        chart_pace_svg,
    })
}

pub async fn status() -> Result<Option<BudgetStatus>, AppError> {
    let (user, mut tx) = require_user_tx(None).await?;
    let Some(row) = budgets::current(&mut tx, user.user_id, today()).await? else {
        return Ok(None);
    };
    let m = measure(&mut tx, user.user_id, row.id).await?;
    tx.commit().await.map_err(DbError::from)?;
    let mut lines: Vec<LineView> = m.lines.into_iter().filter(|l| !l.within_parent).collect();
    lines.sort_by(|a, b| b.used_percent.unwrap_or(Decimal::MAX).cmp(&a.used_percent.unwrap_or(Decimal::MAX)));
    lines.truncate(5);
    Ok(Some(BudgetStatus {
        id: m.budget.id,
        name: m.budget.name,
        period_label: m.budget.period_label,
        currency: m.currency,
        totals: m.totals,
        elapsed_days: m.period.elapsed_days(today()),
        total_days: m.period.days(),
        lines,
    }))
}

fn parse_kind(kind: &str) -> Result<PeriodKind, AppError> {
    PeriodKind::parse(kind).ok_or_else(|| AppError::Invalid("choose monthly, quarterly, annual or custom".into()))
}

fn parse_scope(scope: &str) -> Result<Scope, AppError> {
    Scope::parse(scope).ok_or_else(|| AppError::Invalid("choose personal, business or both".into()))
}

pub async fn create(
    name: &str,
    kind: &str,
    scope: &str,
    start: &str,
    end: &str,
    template: &str,
    months: &str,
) -> Result<Uuid, AppError> {
    let user = require_user().await?;
    let name = input::text("Name", name, 200)?;
    let kind = parse_kind(kind)?;
    let scope = parse_scope(scope)?;
    let start = input::date("Start", start)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let (_, fiscal) = currency(&mut tx, user.user_id).await?;
    let period = match kind {
        PeriodKind::Custom => {
            let end = input::date("End", end)?;
            Period::new(start, end)
        }
        // A monthly budget starts on the chosen day and runs a month; quarters and
        // years start at the period of the fiscal year that holds the day.
        PeriodKind::Monthly => Period::new(
            start,
            start
                .checked_add_months(chrono::Months::new(1))
                .and_then(|d| d.pred_opt())
                .ok_or_else(|| AppError::Invalid("the start date is out of range".into()))?,
        ),
        _ => Period::containing(kind, start, fiscal),
    }
    .map_err(|e| AppError::Invalid(e.to_string()))?;
    let lines: Vec<(Uuid, Decimal, bool, Decimal)> = match template {
        "" | "empty" => Vec::new(),
        "average" => {
            let months: u32 = months
                .trim()
                .parse()
                .ok()
                .filter(|m| (1..=24).contains(m))
                .ok_or_else(|| AppError::Invalid("average over 1 to 24 months".into()))?;
            // The last whole months before the budget starts.
            let first = chrono::Datelike::with_day(&period.start, 1).unwrap_or(period.start);
            let from = first
                .checked_sub_months(chrono::Months::new(months))
                .ok_or_else(|| AppError::Invalid("the start date is out of range".into()))?;
            let to = first.pred_opt().unwrap_or(first);
            let per_period = kind.months().unwrap_or_else(|| ((period.days() + 15) / 30).max(1) as u32);
            budgets::spending_by_category(&mut tx, user.user_id, from, to, scope.business_filter())
                .await?
                .into_iter()
                .map(|(c, total)| (c, math::average_template(total, months, per_period), false, Decimal::ZERO))
                .filter(|l| l.1 > Decimal::ZERO)
                .take(MAX_LINES)
                .collect()
        }
        _ => return Err(AppError::Invalid("choose an empty budget or an average of past months".into())),
    };
    let id = budgets::create(
        &mut tx,
        user.user_id,
        &budgets::NewBudget {
            name: &name,
            budget_type: kind.as_str(),
            scope: scope.as_str(),
            start: period.start,
            end: period.end,
            previous: None,
        },
    )
    .await?;
    budgets::insert_items(&mut tx, user.user_id, id, &lines).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("budget.created", "budget", Some(id)).impact(audit::Impact::Low).new_values(json!({
            "name": name, "type": kind.as_str(), "scope": scope.as_str(),
            "start": period.start, "end": period.end, "template": template, "lines": lines.len(),
        })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(id)
}

pub async fn save(id: &str, name: &str, active: bool) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let name = input::text("Name", name, 200)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let old = budgets::lock(&mut tx, user.user_id, id).await?;
    budgets::update(&mut tx, user.user_id, id, &name, active).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("budget.updated", "budget", Some(id))
            .impact(audit::Impact::Low)
            .old(json!({ "name": old.name, "active": old.is_active }))
            .new_values(json!({ "name": name, "active": active })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

pub async fn delete(id: &str) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let old = budgets::lock(&mut tx, user.user_id, id).await?;
    let lines = budgets::items(&mut tx, user.user_id, id).await?;
    budgets::delete(&mut tx, user.user_id, id).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("budget.deleted", "budget", Some(id)).impact(audit::Impact::Low).old(json!({
            "name": old.name, "start": old.period_start, "end": old.period_end,
            "lines": lines.iter().map(|l| json!({ "category": l.category_id, "amount": l.amount })).collect::<Vec<_>>(),
        })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

pub async fn save_line(budget: &str, category: &str, amount: &str, rollover: bool) -> Result<(), AppError> {
    let user = require_user().await?;
    let budget = input::id(budget)?;
    let category = input::id(category).map_err(|_| AppError::Invalid("choose a category".into()))?;
    let amount = input::amount("Amount", amount)?;
    if amount < Decimal::ZERO {
        return Err(AppError::Invalid("a budget amount cannot be negative".into()));
    }
    if amount > Decimal::new(999_999_999_999, 0) {
        return Err(AppError::Invalid("the amount is too large".into()));
    }
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    budgets::lock(&mut tx, user.user_id, budget).await?;
    match categories::usable_kind(&mut tx, user.user_id, category).await {
        Ok(kind) if kind == "expense" => {}
        Ok(_) => return Err(AppError::Invalid("budgets plan spending: choose an expense category".into())),
        Err(e) => return Err(e.into()),
    }
    if budgets::items(&mut tx, user.user_id, budget).await?.len() >= MAX_LINES {
        return Err(AppError::Invalid(format!("a budget can have at most {MAX_LINES} lines")));
    }
    let (line, old) = budgets::upsert_item(&mut tx, user.user_id, budget, category, amount, rollover).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("budget.line_saved", "budget_item", Some(line))
            .impact(audit::Impact::Low)
            .old(old.map_or(serde_json::Value::Null, |(a, r)| json!({ "amount": a, "rollover": r })))
            .new_values(json!({ "budget": budget, "category": category, "amount": amount, "rollover": rollover })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

pub async fn delete_line(id: &str) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let (budget, category, amount) = budgets::delete_item(&mut tx, user.user_id, id).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("budget.line_deleted", "budget_item", Some(id))
            .impact(audit::Impact::Low)
            .old(json!({ "budget": budget, "category": category, "amount": amount })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

pub async fn carry_forward(id: &str) -> Result<Uuid, AppError> {
    let user = require_user().await?;
    let id = input::id(id)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let row = budgets::lock(&mut tx, user.user_id, id).await?;
    if budgets::next_of(&mut tx, user.user_id, id).await?.is_some() {
        return Err(AppError::Invalid("the next period of this budget already exists".into()));
    }
    let m = measure(&mut tx, user.user_id, id).await?;
    let kind = m.budget.kind;
    let next = m.period.next(kind).map_err(|e| AppError::Invalid(e.to_string()))?;
    // "November 2026 budget" becomes "December 2026 budget"; other names stay.
    let this_label = m.period.label(kind);
    let name = if row.name.contains(&this_label) {
        row.name.replace(&this_label, &next.label(kind))
    } else {
        row.name.clone()
    };
    let lines: Vec<(Uuid, Decimal, bool, Decimal)> = m
        .lines
        .iter()
        .map(|l| {
            let f = Figures { base: l.base, carried: l.carried, actual: l.actual };
            (l.category_id, l.base, l.rollover, math::carried_in(Some((&f, l.rollover))))
        })
        .collect();
    let new_id = budgets::create(
        &mut tx,
        user.user_id,
        &budgets::NewBudget {
            name: &name,
            budget_type: kind.as_str(),
            scope: m.budget.scope.as_str(),
            start: next.start,
            end: next.end,
            previous: Some(id),
        },
    )
    .await?;
    budgets::insert_items(&mut tx, user.user_id, new_id, &lines).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("budget.carried_forward", "budget", Some(new_id)).impact(audit::Impact::Low).new_values(
            json!({
                "from": id, "name": name, "start": next.start, "end": next.end,
                "carried": lines.iter().filter(|l| !l.3.is_zero())
                    .map(|l| json!({ "category": l.0, "amount": l.3 })).collect::<Vec<_>>(),
            }),
        ),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(new_id)
}
