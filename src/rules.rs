//! The categorization rules engine: conditions over a transaction's facts, actions that
//! change it, run in priority order. Pure: the data layer stores rules as JSON
//! (`categorization_rules.conditions` / `.actions`) in exactly these shapes.
//!
//! Semantics, chosen to be predictable:
//! - every rule is tested against the transaction as it arrived (a rule's rename does
//!   not feed the next rule's conditions), so rule order only decides conflicts;
//! - for each field (category, business, deductible, merchant) the highest-priority
//!   matching rule that sets it wins; tags from every matching rule are added.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use regex::{Regex, RegexBuilder};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Limits that keep a rule cheap to run on every transaction.
pub const MAX_CONDITIONS: usize = 20;
pub const MAX_TEXT: usize = 200;
pub const MAX_TAGS: usize = 10;
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextOp {
    Contains,
    Equals,
    Regex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    All,
    Any,
}

/// What an amount condition tests. Ranges are on the size (absolute value), so
/// "between 10 and 50" reads the same for money in and out; the sign is its own test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AmountTest {
    Between {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<Decimal>,
    },
    Outflow,
    Inflow,
}

/// One test on a transaction. Stored as `{"field": …, "op": …, …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum Condition {
    /// The merchant name the bank (or the user) gave; no match when there is none.
    Merchant {
        op: TextOp,
        value: String,
    },
    /// The statement description (`transactions.name`).
    Description {
        op: TextOp,
        value: String,
    },
    Amount {
        #[serde(flatten)]
        test: AmountTest,
    },
    Account {
        value: Uuid,
    },
    DayOfMonth {
        min: u32,
        max: u32,
    },
    /// The category the transaction has when the rule runs; `None` = uncategorized.
    Category {
        value: Option<Uuid>,
    },
}

/// What a matching rule does. Stored as an object with the set fields only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_category: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_business: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_deductible: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rename_merchant: Option<String>,
}

impl Actions {
    pub fn is_empty(&self) -> bool {
        self == &Actions::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("a rule needs at least one condition")]
    NoConditions,
    #[error("a rule can have at most {MAX_CONDITIONS} conditions")]
    TooManyConditions,
    #[error("a rule needs at least one action")]
    NoActions,
    #[error("text to match cannot be empty")]
    EmptyText,
    #[error("text to match can be at most {MAX_TEXT} characters")]
    TextTooLong,
    #[error("not a valid pattern: {0}")]
    BadRegex(String),
    #[error("the smallest amount is larger than the largest")]
    AmountRange,
    #[error("an amount range needs a smallest or a largest amount, neither negative")]
    AmountBounds,
    #[error("days of the month run from 1 to 31, first day before last")]
    DayRange,
    #[error("a tag must be 1 to 40 characters without commas; at most {MAX_TAGS} tags")]
    BadTags,
    #[error("a merchant name must be 1 to {MAX_TEXT} characters")]
    BadMerchant,
}

/// What a rule sees of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts<'a> {
    pub merchant: Option<&'a str>,
    pub description: &'a str,
    pub amount: Decimal,
    pub account_id: Uuid,
    pub date: NaiveDate,
    pub category_id: Option<Uuid>,
}

enum Test {
    Text { merchant: bool, matcher: Matcher },
    Amount(AmountTest),
    Account(Uuid),
    Day(u32, u32),
    Category(Option<Uuid>),
}

enum Matcher {
    Contains(String),
    Equals(String),
    Regex(Regex),
}

impl Matcher {
    fn new(op: TextOp, value: &str) -> Result<Matcher, RuleError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(RuleError::EmptyText);
        }
        if value.chars().count() > MAX_TEXT {
            return Err(RuleError::TextTooLong);
        }
        Ok(match op {
            TextOp::Contains => Matcher::Contains(value.to_lowercase()),
            TextOp::Equals => Matcher::Equals(value.to_lowercase()),
            TextOp::Regex => Matcher::Regex(
                RegexBuilder::new(value)
                    .case_insensitive(true)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| RuleError::BadRegex(first_line(&e.to_string())))?,
            ),
        })
    }

    fn matches(&self, text: &str) -> bool {
        match self {
            Matcher::Contains(needle) => text.to_lowercase().contains(needle.as_str()),
            Matcher::Equals(value) => text.trim().to_lowercase() == *value,
            Matcher::Regex(re) => re.is_match(text),
        }
    }
}

fn first_line(message: &str) -> String {
    // regex errors draw the pattern with a caret over several lines; the last line says why
    message.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(message).trim().to_string()
}

/// A rule checked and ready to run: regexes compiled, limits enforced.
pub struct Rule {
    pub id: Uuid,
    mode: MatchMode,
    tests: Vec<Test>,
    pub actions: Actions,
}

impl Rule {
    pub fn compile(id: Uuid, mode: MatchMode, conditions: &[Condition], actions: Actions) -> Result<Rule, RuleError> {
        if conditions.is_empty() {
            return Err(RuleError::NoConditions);
        }
        if conditions.len() > MAX_CONDITIONS {
            return Err(RuleError::TooManyConditions);
        }
        let tests = conditions.iter().map(compile_condition).collect::<Result<Vec<_>, _>>()?;
        let actions = check_actions(actions)?;
        Ok(Rule { id, mode, tests, actions })
    }

    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        let mut results = self.tests.iter().map(|t| t.matches(facts));
        match self.mode {
            MatchMode::All => results.all(|m| m),
            MatchMode::Any => results.any(|m| m),
        }
    }
}

fn compile_condition(condition: &Condition) -> Result<Test, RuleError> {
    Ok(match condition {
        Condition::Merchant { op, value } => Test::Text { merchant: true, matcher: Matcher::new(*op, value)? },
        Condition::Description { op, value } => Test::Text { merchant: false, matcher: Matcher::new(*op, value)? },
        Condition::Amount { test } => {
            if let AmountTest::Between { min, max } = test {
                if min.is_none() && max.is_none()
                    || min.is_some_and(|m| m.is_sign_negative())
                    || max.is_some_and(|m| m.is_sign_negative())
                {
                    return Err(RuleError::AmountBounds);
                }
                if let (Some(lo), Some(hi)) = (min, max)
                    && lo > hi
                {
                    return Err(RuleError::AmountRange);
                }
            }
            Test::Amount(test.clone())
        }
        Condition::Account { value } => Test::Account(*value),
        Condition::DayOfMonth { min, max } => {
            if !(1..=31).contains(min) || !(1..=31).contains(max) || min > max {
                return Err(RuleError::DayRange);
            }
            Test::Day(*min, *max)
        }
        Condition::Category { value } => Test::Category(*value),
    })
}

fn check_actions(mut actions: Actions) -> Result<Actions, RuleError> {
    let mut seen = BTreeSet::new();
    let mut tags = Vec::new();
    for tag in &actions.add_tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > 40 || tag.contains(',') {
            return Err(RuleError::BadTags);
        }
        if seen.insert(tag.clone()) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(RuleError::BadTags);
    }
    actions.add_tags = tags;
    if let Some(name) = &actions.rename_merchant {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_TEXT {
            return Err(RuleError::BadMerchant);
        }
        actions.rename_merchant = Some(name.to_string());
    }
    if actions.is_empty() {
        return Err(RuleError::NoActions);
    }
    Ok(actions)
}

impl Test {
    fn matches(&self, facts: &Facts<'_>) -> bool {
        match self {
            Test::Text { merchant: true, matcher } => facts.merchant.is_some_and(|m| matcher.matches(m)),
            Test::Text { merchant: false, matcher } => matcher.matches(facts.description),
            Test::Amount(AmountTest::Outflow) => facts.amount.is_sign_negative() && !facts.amount.is_zero(),
            Test::Amount(AmountTest::Inflow) => facts.amount.is_sign_positive() && !facts.amount.is_zero(),
            Test::Amount(AmountTest::Between { min, max }) => {
                let size = facts.amount.abs();
                min.is_none_or(|lo| size >= lo) && max.is_none_or(|hi| size <= hi)
            }
            Test::Account(id) => facts.account_id == *id,
            Test::Day(lo, hi) => (*lo..=*hi).contains(&facts.date.day()),
            Test::Category(want) => facts.category_id == *want,
        }
    }
}

/// What running the rules decided for one transaction. `None` = no rule set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The category and the rule that chose it.
    pub category: Option<(Uuid, Uuid)>,
    pub business: Option<bool>,
    pub deductible: Option<bool>,
    pub merchant: Option<String>,
    pub add_tags: Vec<String>,
    /// Every rule that matched, in priority order.
    pub matched: Vec<Uuid>,
}

impl Outcome {
    /// The rule a transaction is credited to: the one that chose its category, else the
    /// first that matched.
    pub fn credited_rule(&self) -> Option<Uuid> {
        self.category.map(|(_, rule)| rule).or_else(|| self.matched.first().copied())
    }
}

/// Runs `rules` (already in priority order) over one transaction.
pub fn run(rules: &[Rule], facts: &Facts<'_>) -> Outcome {
    let mut out = Outcome::default();
    for rule in rules.iter().filter(|r| r.matches(facts)) {
        out.matched.push(rule.id);
        let a = &rule.actions;
        if out.category.is_none() {
            out.category = a.set_category.map(|c| (c, rule.id));
        }
        out.business = out.business.or(a.set_business);
        out.deductible = out.deductible.or(a.set_deductible);
        if out.merchant.is_none() {
            out.merchant.clone_from(&a.rename_merchant);
        }
        for tag in &a.add_tags {
            if !out.add_tags.contains(tag) {
                out.add_tags.push(tag.clone());
            }
        }
    }
    out
}

/// Whether applying `outcome` would change a transaction with these values: what a
/// preview lists and what "apply to existing" touches.
pub fn changes(
    outcome: &Outcome,
    category_id: Option<Uuid>,
    business: bool,
    deductible: bool,
    merchant: Option<&str>,
    tags: &[String],
) -> bool {
    outcome.category.is_some_and(|(c, _)| Some(c) != category_id)
        || outcome.business.is_some_and(|b| b != business)
        || outcome.deductible.is_some_and(|d| d != deductible)
        || outcome.merchant.as_deref().is_some_and(|m| Some(m) != merchant)
        || outcome.add_tags.iter().any(|t| !tags.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn facts<'a>(merchant: Option<&'a str>, description: &'a str, amount: &str) -> Facts<'a> {
        Facts {
            merchant,
            description,
            amount: amount.parse().unwrap(),
            account_id: id(100),
            date: NaiveDate::from_ymd_opt(2026, 3, 14).unwrap(),
            category_id: None,
        }
    }

    fn category(n: u128) -> Actions {
        Actions { set_category: Some(id(n)), ..Actions::default() }
    }

    fn text(op: TextOp, value: &str) -> Condition {
        Condition::Merchant { op, value: value.into() }
    }

    #[test]
    fn text_conditions_ignore_case() {
        let f = facts(Some("Blue Bottle Coffee"), "SQ *BLUE BOTTLE 0042 OAKLAND CA", "-5.25");
        let rule = |c| Rule::compile(id(1), MatchMode::All, &[c], category(9)).unwrap();
        assert!(rule(text(TextOp::Contains, "bottle")).matches(&f));
        assert!(rule(text(TextOp::Equals, " blue bottle coffee ")).matches(&f));
        assert!(!rule(text(TextOp::Equals, "blue bottle")).matches(&f));
        assert!(rule(Condition::Description { op: TextOp::Regex, value: r"^sq \*blue\b".into() }).matches(&f));
        assert!(!rule(Condition::Description { op: TextOp::Regex, value: r"^blue".into() }).matches(&f));
    }

    #[test]
    fn merchant_condition_needs_a_merchant() {
        let f = facts(None, "BLUE BOTTLE", "-5.25");
        let rule = Rule::compile(id(1), MatchMode::All, &[text(TextOp::Contains, "blue")], category(9)).unwrap();
        assert!(!rule.matches(&f));
    }

    #[test]
    fn amount_ranges_are_on_the_size_and_sign_is_separate() {
        let between = |min: &str, max: &str| Condition::Amount {
            test: AmountTest::Between { min: Some(min.parse().unwrap()), max: Some(max.parse().unwrap()) },
        };
        let rule = |c: Vec<Condition>| Rule::compile(id(1), MatchMode::All, &c, category(9)).unwrap();
        let out = facts(None, "x", "-25.00");
        let inflow = facts(None, "x", "25.00");
        assert!(rule(vec![between("10", "25")]).matches(&out));
        assert!(rule(vec![between("10", "25")]).matches(&inflow));
        assert!(!rule(vec![between("25.01", "30")]).matches(&out));
        let outflow = Condition::Amount { test: AmountTest::Outflow };
        assert!(rule(vec![between("10", "25"), outflow.clone()]).matches(&out));
        assert!(!rule(vec![between("10", "25"), outflow]).matches(&inflow));
        let open = Condition::Amount { test: AmountTest::Between { min: None, max: Some(Decimal::from(20)) } };
        assert!(!rule(vec![open]).matches(&out));
    }

    #[test]
    fn all_needs_every_condition_any_needs_one() {
        let f = facts(Some("Uber"), "UBER *TRIP", "-18.40");
        let conditions =
            [text(TextOp::Contains, "uber"), Condition::Description { op: TextOp::Contains, value: "eats".into() }];
        assert!(!Rule::compile(id(1), MatchMode::All, &conditions, category(9)).unwrap().matches(&f));
        assert!(Rule::compile(id(1), MatchMode::Any, &conditions, category(9)).unwrap().matches(&f));
    }

    #[test]
    fn account_day_and_category_conditions() {
        let mut f = facts(None, "RENT", "-2000");
        let rule = |c| Rule::compile(id(1), MatchMode::All, &[c], category(9)).unwrap();
        assert!(rule(Condition::Account { value: id(100) }).matches(&f));
        assert!(!rule(Condition::Account { value: id(101) }).matches(&f));
        assert!(rule(Condition::DayOfMonth { min: 10, max: 15 }).matches(&f));
        assert!(!rule(Condition::DayOfMonth { min: 1, max: 5 }).matches(&f));
        assert!(rule(Condition::Category { value: None }).matches(&f));
        f.category_id = Some(id(7));
        assert!(!rule(Condition::Category { value: None }).matches(&f));
        assert!(rule(Condition::Category { value: Some(id(7)) }).matches(&f));
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        let c = |cond| Rule::compile(id(1), MatchMode::All, &[cond], category(9)).err();
        assert_eq!(Rule::compile(id(1), MatchMode::All, &[], category(9)).err(), Some(RuleError::NoConditions));
        assert_eq!(c(text(TextOp::Contains, "  ")), Some(RuleError::EmptyText));
        assert_eq!(c(text(TextOp::Contains, &"x".repeat(201))), Some(RuleError::TextTooLong));
        assert!(matches!(c(text(TextOp::Regex, "(unclosed")), Some(RuleError::BadRegex(_))));
        assert_eq!(c(Condition::DayOfMonth { min: 20, max: 3 }), Some(RuleError::DayRange));
        assert_eq!(c(Condition::DayOfMonth { min: 0, max: 3 }), Some(RuleError::DayRange));
        let range = |min: i64, max: i64| Condition::Amount {
            test: AmountTest::Between { min: Some(Decimal::from(min)), max: Some(Decimal::from(max)) },
        };
        assert_eq!(c(range(50, 10)), Some(RuleError::AmountRange));
        assert_eq!(c(range(-5, 10)), Some(RuleError::AmountBounds));
        let nothing = Rule::compile(id(1), MatchMode::All, &[text(TextOp::Contains, "a")], Actions::default());
        assert_eq!(nothing.err(), Some(RuleError::NoActions));
        let tags = Actions { add_tags: vec![" ".into()], ..Actions::default() };
        assert_eq!(
            Rule::compile(id(1), MatchMode::All, &[text(TextOp::Contains, "a")], tags).err(),
            Some(RuleError::BadTags)
        );
        let huge = "(a{1000}){1000}";
        assert!(matches!(c(text(TextOp::Regex, huge)), Some(RuleError::BadRegex(_))));
    }

    #[test]
    fn higher_priority_wins_each_field_and_tags_add_up() {
        let cond = [text(TextOp::Contains, "github")];
        let first = Rule::compile(
            id(1),
            MatchMode::All,
            &cond,
            Actions { set_category: Some(id(50)), add_tags: vec!["Dev".into()], ..Actions::default() },
        )
        .unwrap();
        let second = Rule::compile(
            id(2),
            MatchMode::All,
            &cond,
            Actions {
                set_category: Some(id(60)),
                set_business: Some(true),
                add_tags: vec!["dev".into(), "saas".into()],
                rename_merchant: Some("GitHub, Inc.".into()),
                ..Actions::default()
            },
        )
        .unwrap();
        let f = facts(Some("GitHub"), "GITHUB.COM", "-21.00");
        let out = run(&[first, second], &f);
        assert_eq!(out.category, Some((id(50), id(1))));
        assert_eq!(out.business, Some(true));
        assert_eq!(out.deductible, None);
        assert_eq!(out.merchant.as_deref(), Some("GitHub, Inc."));
        assert_eq!(out.add_tags, vec!["dev".to_string(), "saas".to_string()]);
        assert_eq!(out.matched, vec![id(1), id(2)]);
        assert_eq!(out.credited_rule(), Some(id(1)));
        assert!(changes(&out, None, false, false, Some("GitHub"), &[]));
        assert!(!changes(&out, Some(id(50)), true, false, Some("GitHub, Inc."), &["dev".into(), "saas".into()]));
    }

    #[test]
    fn no_match_changes_nothing() {
        let rule = Rule::compile(id(1), MatchMode::All, &[text(TextOp::Contains, "netflix")], category(9)).unwrap();
        let out = run(&[rule], &facts(Some("Spotify"), "SPOTIFY", "-11.99"));
        assert_eq!(out, Outcome::default());
        assert!(!changes(&out, None, false, false, None, &[]));
    }

    #[test]
    fn stored_json_shapes_round_trip() {
        // The seed and older rows store `{"field": "merchant", "op": "contains", "value": …}`.
        let json = serde_json::json!([
            {"field": "merchant", "op": "contains", "value": "Starbucks"},
            {"field": "amount", "op": "between", "min": "10.00"},
            {"field": "amount", "op": "outflow"},
            {"field": "day_of_month", "min": 1, "max": 5},
            {"field": "category", "value": null},
        ]);
        let conditions: Vec<Condition> = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(conditions[0], text(TextOp::Contains, "Starbucks"));
        assert_eq!(
            conditions[1],
            Condition::Amount { test: AmountTest::Between { min: Some("10.00".parse().unwrap()), max: None } }
        );
        assert_eq!(serde_json::to_value(&conditions).unwrap(), json);
        let actions: Actions = serde_json::from_value(serde_json::json!({"set_category": id(3)})).unwrap();
        assert_eq!(actions, category(3));
    }
}
