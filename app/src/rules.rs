//! The rules page's server side: list, save, order, enable, delete, preview and apply
//! categorization rules. The engine itself is `manna_core::rules`.

use crate::error::AppError;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One condition as the form sends it; parsed into `manna_core::rules::Condition`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConditionInput {
    /// merchant, description, amount, account, day_of_month, category
    pub field: String,
    /// contains / equals / regex (text); between / outflow / inflow (amount)
    #[serde(default)]
    pub op: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub min: String,
    #[serde(default)]
    pub max: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionsInput {
    /// A category id, or empty.
    #[serde(default)]
    pub category: String,
    /// "business", "personal" or empty.
    #[serde(default)]
    pub business: String,
    /// "yes", "no" or empty.
    #[serde(default)]
    pub deductible: String,
    /// Comma-separated.
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub rename: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleInput {
    pub name: String,
    /// "all" or "any".
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub conditions: Vec<ConditionInput>,
    #[serde(default)]
    pub actions: ActionsInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleView {
    pub id: Uuid,
    pub name: String,
    pub active: bool,
    pub input: RuleInput,
    /// "merchant contains “starbucks” → Coffee"
    pub summary: String,
    pub match_count: i64,
    pub last_matched: Option<chrono::NaiveDate>,
    pub override_count: i64,
}

/// The user's rules, first to run first.
#[server(prefix = "/api", endpoint = "rules")]
pub async fn list_rules() -> Result<Vec<RuleView>, AppError> {
    crate::error::respond(ssr::list().await)
}

/// Creates a rule (empty `id`) or changes one.
#[server(prefix = "/api", endpoint = "save_rule")]
pub async fn save_rule(#[server(default)] id: String, rule: RuleInput) -> Result<Uuid, AppError> {
    crate::error::respond(ssr::save(&id, rule).await)
}

#[server(prefix = "/api", endpoint = "delete_rule")]
pub async fn delete_rule(id: String) -> Result<(), AppError> {
    crate::error::respond(ssr::delete(&id).await)
}

#[server(prefix = "/api", endpoint = "set_rule_active")]
pub async fn set_rule_active(id: String, active: bool) -> Result<(), AppError> {
    crate::error::respond(ssr::set_active(&id, active).await)
}

/// Moves a rule one place earlier ("up") or later ("down") in the running order.
#[server(prefix = "/api", endpoint = "move_rule")]
pub async fn move_rule(id: String, direction: String) -> Result<(), AppError> {
    crate::error::respond(ssr::move_rule(&id, &direction).await)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub id: Uuid,
    pub date: chrono::NaiveDate,
    pub description: String,
    pub amount: Decimal,
    pub category_now: Option<String>,
    pub category_after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePreview {
    /// Transactions the conditions match.
    pub matches: u64,
    /// Of those, how many the actions would change.
    pub changes: u64,
    /// The newest of the changed ones.
    pub sample: Vec<PreviewRow>,
}

/// What a rule (saved or not) would change among the user's transactions.
#[server(prefix = "/api", endpoint = "preview_rule")]
pub async fn preview_rule(rule: RuleInput) -> Result<RulePreview, AppError> {
    crate::error::respond(ssr::preview(rule).await)
}

/// Runs a saved rule over the user's existing transactions, in one database
/// transaction; returns how many changed.
#[server(prefix = "/api", endpoint = "apply_rule")]
pub async fn apply_rule(id: String) -> Result<u64, AppError> {
    crate::error::respond(ssr::apply(&id).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::auth::ssr::{actor, pool, require_user, require_user_tx};
    use crate::categorize::ssr::{facts, rule_changes};
    use crate::data::{DbError, accounts, audit, categories, rules, user_tx};
    use crate::input;
    use manna_core::rules::{Actions, AmountTest, Condition, MatchMode, Rule, TextOp};
    use sqlx::PgConnection;
    use std::collections::HashMap;

    const SCAN_BATCH: i64 = 5_000;
    const SAMPLE: usize = 50;

    /// Parses and checks a rule from the form: every id the user's, the engine's limits.
    async fn parse(
        conn: &mut PgConnection,
        user_id: Uuid,
        input: &RuleInput,
    ) -> Result<(String, MatchMode, Vec<Condition>, Actions), AppError> {
        let name = input::text("Name", &input.name, 200)?;
        let mode = match input.mode.trim() {
            "" | "all" => MatchMode::All,
            "any" => MatchMode::Any,
            other => return Err(AppError::Invalid(format!("\"{other}\" is neither all nor any"))),
        };
        let mut conditions = Vec::with_capacity(input.conditions.len());
        for (i, c) in input.conditions.iter().enumerate() {
            let n = i + 1;
            let text_op = |op: &str| match op.trim() {
                "" | "contains" => Ok(TextOp::Contains),
                "equals" => Ok(TextOp::Equals),
                "regex" => Ok(TextOp::Regex),
                other => Err(AppError::Invalid(format!("condition {n}: \"{other}\" is not a way to match text"))),
            };
            let condition = match c.field.trim() {
                "merchant" => Condition::Merchant { op: text_op(&c.op)?, value: c.value.clone() },
                "description" => Condition::Description { op: text_op(&c.op)?, value: c.value.clone() },
                "amount" => Condition::Amount {
                    test: match c.op.trim() {
                        "outflow" => AmountTest::Outflow,
                        "inflow" => AmountTest::Inflow,
                        "" | "between" => AmountTest::Between {
                            min: input::optional_amount(&format!("Condition {n}: smallest amount"), Some(&c.min))?,
                            max: input::optional_amount(&format!("Condition {n}: largest amount"), Some(&c.max))?,
                        },
                        other => {
                            return Err(AppError::Invalid(format!("condition {n}: \"{other}\" is not an amount test")));
                        }
                    },
                },
                "account" => {
                    let id = input::id(&c.value)?;
                    accounts::one(conn, user_id, id).await?;
                    Condition::Account { value: id }
                }
                "day_of_month" => {
                    let day = |v: &str| {
                        v.trim().parse::<u32>().map_err(|_| {
                            AppError::Invalid(format!("condition {n}: days of the month are numbers from 1 to 31"))
                        })
                    };
                    Condition::DayOfMonth { min: day(&c.min)?, max: day(&c.max)? }
                }
                "category" => {
                    let value = input::optional_id(&c.value)?;
                    if let Some(id) = value {
                        categories::subtree(conn, user_id, id).await?;
                    }
                    Condition::Category { value }
                }
                other => return Err(AppError::Invalid(format!("condition {n}: \"{other}\" is not something to test"))),
            };
            conditions.push(condition);
        }
        let a = &input.actions;
        let set_category = input::optional_id(&a.category)?;
        if let Some(id) = set_category {
            categories::usable_kind(conn, user_id, id).await?;
        }
        let actions = Actions {
            set_category,
            set_business: match a.business.trim() {
                "" => None,
                "business" => Some(true),
                "personal" => Some(false),
                other => return Err(AppError::Invalid(format!("\"{other}\" is neither business nor personal"))),
            },
            set_deductible: match a.deductible.trim() {
                "" => None,
                "yes" => Some(true),
                "no" => Some(false),
                other => return Err(AppError::Invalid(format!("deductible: \"{other}\" is neither yes nor no"))),
            },
            add_tags: manna_core::ledger::parse_tags(&a.tags).map_err(|e| AppError::Invalid(format!("Tags: {e}")))?,
            rename_merchant: Some(a.rename.trim().to_string()).filter(|r| !r.is_empty()),
        };
        // Compiling checks every limit (regexes, ranges, empty rules) with the engine's words.
        Rule::compile(Uuid::nil(), mode, &conditions, actions.clone()).map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok((name, mode, conditions, actions))
    }

    fn mode_name(mode: MatchMode) -> &'static str {
        match mode {
            MatchMode::All => "all",
            MatchMode::Any => "any",
        }
    }

    /// The form's view of a stored rule (so the page edits what it shows).
    fn to_input(row: &rules::RuleRow) -> RuleInput {
        let conditions = row
            .conditions
            .0
            .iter()
            .map(|c| {
                let text = |field: &str, op: &TextOp, value: &str| ConditionInput {
                    field: field.into(),
                    op: serde_json::to_value(op).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
                    value: value.into(),
                    ..ConditionInput::default()
                };
                match c {
                    Condition::Merchant { op, value } => text("merchant", op, value),
                    Condition::Description { op, value } => text("description", op, value),
                    Condition::Amount { test } => match test {
                        AmountTest::Between { min, max } => ConditionInput {
                            field: "amount".into(),
                            op: "between".into(),
                            min: min.map(|m| m.to_string()).unwrap_or_default(),
                            max: max.map(|m| m.to_string()).unwrap_or_default(),
                            ..ConditionInput::default()
                        },
                        AmountTest::Outflow | AmountTest::Inflow => ConditionInput {
                            field: "amount".into(),
                            op: if *test == AmountTest::Outflow { "outflow" } else { "inflow" }.into(),
                            ..ConditionInput::default()
                        },
                    },
                    Condition::Account { value } => ConditionInput {
                        field: "account".into(),
                        value: value.to_string(),
                        ..ConditionInput::default()
                    },
                    Condition::DayOfMonth { min, max } => ConditionInput {
                        field: "day_of_month".into(),
                        min: min.to_string(),
                        max: max.to_string(),
                        ..ConditionInput::default()
                    },
                    Condition::Category { value } => ConditionInput {
                        field: "category".into(),
                        value: value.map(|v| v.to_string()).unwrap_or_default(),
                        ..ConditionInput::default()
                    },
                }
            })
            .collect();
        let a = &row.actions.0;
        RuleInput {
            name: row.name.clone(),
            mode: row.match_mode.clone(),
            conditions,
            actions: ActionsInput {
                category: a.set_category.map(|c| c.to_string()).unwrap_or_default(),
                business: match a.set_business {
                    Some(true) => "business",
                    Some(false) => "personal",
                    None => "",
                }
                .into(),
                deductible: match a.set_deductible {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "",
                }
                .into(),
                tags: a.add_tags.join(", "),
                rename: a.rename_merchant.clone().unwrap_or_default(),
            },
        }
    }

    async fn names(conn: &mut PgConnection, user_id: Uuid) -> Result<HashMap<Uuid, String>, AppError> {
        let mut names: HashMap<Uuid, String> =
            categories::visible(conn, user_id, false).await?.into_iter().map(|c| (c.id, c.name)).collect();
        for a in accounts::list_all(conn, user_id).await? {
            names.insert(a.id, a.name);
        }
        Ok(names)
    }

    fn summary(row: &rules::RuleRow, names: &HashMap<Uuid, String>) -> String {
        let name = |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| "(deleted)".into());
        let conditions: Vec<String> = row
            .conditions
            .0
            .iter()
            .map(|c| match c {
                Condition::Merchant { op, value } => format!("merchant {} “{value}”", op_word(op)),
                Condition::Description { op, value } => format!("description {} “{value}”", op_word(op)),
                Condition::Amount { test: AmountTest::Outflow } => "money out".into(),
                Condition::Amount { test: AmountTest::Inflow } => "money in".into(),
                Condition::Amount { test: AmountTest::Between { min, max } } => match (min, max) {
                    (Some(lo), Some(hi)) => format!("amount {lo}–{hi}"),
                    (Some(lo), None) => format!("amount ≥ {lo}"),
                    (None, Some(hi)) => format!("amount ≤ {hi}"),
                    (None, None) => "any amount".into(),
                },
                Condition::Account { value } => format!("account is {}", name(value)),
                Condition::DayOfMonth { min, max } => format!("day {min}–{max} of the month"),
                Condition::Category { value: None } => "uncategorized".into(),
                Condition::Category { value: Some(c) } => format!("category is {}", name(c)),
            })
            .collect();
        let joiner = if row.match_mode == "any" { " or " } else { " and " };
        let a = &row.actions.0;
        let mut actions = Vec::new();
        if let Some(c) = &a.set_category {
            actions.push(name(c));
        }
        match a.set_business {
            Some(true) => actions.push("business".into()),
            Some(false) => actions.push("personal".into()),
            None => {}
        }
        match a.set_deductible {
            Some(true) => actions.push("deductible".into()),
            Some(false) => actions.push("not deductible".into()),
            None => {}
        }
        if !a.add_tags.is_empty() {
            actions.push(format!("tags {}", a.add_tags.join(", ")));
        }
        if let Some(m) = &a.rename_merchant {
            actions.push(format!("merchant “{m}”"));
        }
        format!("{} → {}", conditions.join(joiner), actions.join(", "))
    }

    fn op_word(op: &TextOp) -> &'static str {
        match op {
            TextOp::Contains => "contains",
            TextOp::Equals => "is",
            TextOp::Regex => "matches",
        }
    }

    pub async fn list() -> Result<Vec<RuleView>, AppError> {
        let (user, mut tx) = require_user_tx(None).await?;
        let names = names(&mut tx, user.user_id).await?;
        Ok(rules::all(&mut tx, user.user_id)
            .await?
            .iter()
            .map(|r| RuleView {
                id: r.id,
                name: r.name.clone(),
                active: r.is_active,
                input: to_input(r),
                summary: summary(r, &names),
                match_count: r.match_count,
                last_matched: r.last_matched_at.map(|t| t.date_naive()),
                override_count: r.override_count,
            })
            .collect())
    }

    pub async fn save(id: &str, input: RuleInput) -> Result<Uuid, AppError> {
        let user = require_user().await?;
        let id = input::optional_id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let (name, mode, conditions, actions) = parse(&mut tx, user.user_id, &input).await?;
        let rule =
            rules::NewRule { name: &name, match_mode: mode_name(mode), conditions: &conditions, actions: &actions };
        let values = serde_json::json!({ "name": name, "match_mode": mode_name(mode), "conditions": conditions, "actions": actions });
        let (id, entry) = match id {
            None => {
                let id = rules::create(&mut tx, user.user_id, &rule).await?;
                (id, audit::Entry::new("categorize.rule_created", "categorization_rule", Some(id)).new_values(values))
            }
            Some(id) => {
                let old = rules::one(&mut tx, user.user_id, id).await?;
                rules::update(&mut tx, user.user_id, id, &rule).await?;
                let old = serde_json::json!({ "name": old.name, "match_mode": old.match_mode,
                    "conditions": old.conditions.0, "actions": old.actions.0 });
                (
                    id,
                    audit::Entry::new("categorize.rule_changed", "categorization_rule", Some(id))
                        .old(old)
                        .new_values(values),
                )
            }
        };
        audit::record(&mut tx, &actor(Some(user)).await, entry).await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(id)
    }

    pub async fn delete(id: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let old = rules::one(&mut tx, user.user_id, id).await?;
        rules::delete(&mut tx, user.user_id, id).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("categorize.rule_deleted", "categorization_rule", Some(id))
                .old(serde_json::json!({ "name": old.name, "conditions": old.conditions.0, "actions": old.actions.0 })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    pub async fn set_active(id: &str, active: bool) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        rules::set_active(&mut tx, user.user_id, id, active).await?;
        let action = if active { "categorize.rule_enabled" } else { "categorize.rule_disabled" };
        audit::record(&mut tx, &actor(Some(user)).await, audit::Entry::new(action, "categorization_rule", Some(id)))
            .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    pub async fn move_rule(id: &str, direction: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let up = match direction {
            "up" => true,
            "down" => false,
            other => return Err(AppError::Invalid(format!("\"{other}\" is neither up nor down"))),
        };
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let mut order: Vec<Uuid> = rules::all(&mut tx, user.user_id).await?.into_iter().map(|r| r.id).collect();
        let at = order.iter().position(|r| *r == id).ok_or(AppError::NotFound)?;
        let to = if up { at.checked_sub(1) } else { Some(at + 1).filter(|t| *t < order.len()) };
        let Some(to) = to else { return Ok(()) };
        order.swap(at, to);
        rules::reorder(&mut tx, user.user_id, &order).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("categorize.rule_moved", "categorization_rule", Some(id))
                .new_values(serde_json::json!({ "position": to + 1 })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    /// Scans the user's changeable transactions with one rule: (matches, changes to
    /// write, the newest changed rows for a sample).
    async fn scan(
        conn: &mut PgConnection,
        user_id: Uuid,
        rule: &Rule,
    ) -> Result<(u64, rules::RuleChanges, Vec<rules::Candidate>), AppError> {
        let rule_set = std::slice::from_ref(rule);
        let mut after = None;
        let mut matched = 0u64;
        let mut all: Option<rules::RuleChanges> = None;
        let mut sample = Vec::new();
        loop {
            let batch = rules::candidates(conn, user_id, after, SCAN_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = Some((last.date, last.id));
            let (changes, matches) = rule_changes(rule_set, &batch, false);
            matched += matches.iter().map(|m| m.1 as u64).sum::<u64>();
            for id in &changes.ids {
                if sample.len() < SAMPLE
                    && let Some(c) = batch.iter().find(|c| c.id == *id)
                {
                    sample.push(c.clone());
                }
            }
            match &mut all {
                None => all = Some(changes),
                Some(a) => {
                    a.ids.extend(changes.ids);
                    a.categories.extend(changes.categories);
                    a.rules.extend(changes.rules);
                    a.business.extend(changes.business);
                    a.deductible.extend(changes.deductible);
                    a.merchants.extend(changes.merchants);
                    a.tags.extend(changes.tags);
                }
            }
            if (batch.len() as i64) < SCAN_BATCH {
                break;
            }
        }
        let all = all.unwrap_or_else(|| rule_changes(&[], &[], false).0);
        Ok((matched, all, sample))
    }

    pub async fn preview(input: RuleInput) -> Result<RulePreview, AppError> {
        let (user, mut tx) = require_user_tx(None).await?;
        let (_, mode, conditions, actions) = parse(&mut tx, user.user_id, &input).await?;
        let rule = Rule::compile(Uuid::nil(), mode, &conditions, actions.clone())
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let (matches, changes, sample) = scan(&mut tx, user.user_id, &rule).await?;
        let names = names(&mut tx, user.user_id).await?;
        let category = |id: Option<Uuid>| id.map(|c| names.get(&c).cloned().unwrap_or_else(|| "?".into()));
        let sample = sample
            .iter()
            .map(|c| {
                let outcome = manna_core::rules::run(std::slice::from_ref(&rule), &facts(c));
                PreviewRow {
                    id: c.id,
                    date: c.date,
                    description: c.merchant_name.clone().unwrap_or_else(|| c.name.clone()),
                    amount: c.amount,
                    category_now: category(c.category_id),
                    category_after: category(outcome.category.map(|(c, _)| c).or(c.category_id)),
                }
            })
            .collect();
        Ok(RulePreview { matches, changes: changes.ids.len() as u64, sample })
    }

    pub async fn apply(id: &str) -> Result<u64, AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let row = rules::one(&mut tx, user.user_id, id).await?;
        let mode = if row.match_mode == "any" { MatchMode::Any } else { MatchMode::All };
        let rule = Rule::compile(row.id, mode, &row.conditions.0, row.actions.0.clone())
            .map_err(|e| AppError::Invalid(format!("this rule cannot run: {e}")))?;
        let (matched, changes, _) = scan(&mut tx, user.user_id, &rule).await?;
        let changed = rules::apply(&mut tx, user.user_id, &changes).await?;
        // Effectiveness counts the rows the rule changed (re-applying it is not a new match).
        rules::record_matches(&mut tx, user.user_id, &[(id, changed as i64)]).await?;
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("categorize.rule_applied", "categorization_rule", Some(id))
                .flags(&["financial"])
                .new_values(serde_json::json!({ "matched": matched, "changed": changed })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(changed)
    }
}
