//! Categorization at work: rules then the model on every new transaction, the review
//! queue with its feedback, the model's measured quality, and why a row has its category.

use crate::error::AppError;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub category_id: Uuid,
    /// 0–1.
    pub confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub id: Uuid,
    pub date: chrono::NaiveDate,
    pub amount: Decimal,
    pub currency: String,
    pub description: String,
    pub account: String,
    /// The model's best guess and the runners-up, if it has seen this row.
    pub suggestion: Option<Suggestion>,
    pub alternatives: Vec<Suggestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuePage {
    pub rows: Vec<ReviewRow>,
    /// Cursor of the next page (`date,id`), if any.
    pub next: Option<String>,
    pub waiting: i64,
    pub suggested: i64,
}

/// The review queue: uncategorized rows, newest first, with the model's suggestions.
#[server(prefix = "/api", endpoint = "review_queue")]
pub async fn review_queue(#[server(default)] after: String) -> Result<QueuePage, AppError> {
    crate::error::respond(ssr::queue(&after).await)
}

/// Gives the listed rows their suggested categories (the user's acceptance).
#[server(prefix = "/api", endpoint = "accept_suggestions")]
pub async fn accept_suggestions(#[server(default)] ids: Vec<String>) -> Result<u64, AppError> {
    crate::error::respond(ssr::accept(&ids).await)
}

/// Runs the model over uncategorized rows it has not seen yet (newest first, a batch).
#[server(prefix = "/api", endpoint = "suggest_categories")]
pub async fn suggest_categories() -> Result<SuggestOutcome, AppError> {
    crate::error::respond(ssr::suggest().await)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestOutcome {
    pub predicted: u64,
    pub applied: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryQuality {
    pub category_id: Uuid,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackMonth {
    pub month: chrono::NaiveDate,
    pub accepted: i64,
    pub corrected: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    pub model_version: String,
    pub trained_on: usize,
    pub train_millis: u64,
    pub threshold: f64,
    /// Held out by time: trained on the older 80 %, tested on the newer 20 %.
    pub tested_on: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub coverage: f64,
    pub accuracy_above_threshold: f64,
    pub per_category: Vec<CategoryQuality>,
    pub feedback: Vec<FeedbackMonth>,
}

/// How good the model is on the user's own data, measured honestly, and how its
/// suggestions fared with the user month by month.
#[server(prefix = "/api", endpoint = "model_quality")]
pub async fn model_quality() -> Result<Option<ModelReport>, AppError> {
    crate::error::respond(ssr::quality().await)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// One sentence: who chose this category.
    pub summary: String,
    /// Details: the rule, the model's confidence and strongest signals.
    pub details: Vec<String>,
}

/// Why a transaction has its category (or none).
#[server(prefix = "/api", endpoint = "explain_category")]
pub async fn explain_category(id: String) -> Result<Explanation, AppError> {
    crate::error::respond(ssr::explain(&id).await)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::auth::ssr::{actor, pool, require_user, require_user_tx};
    use crate::data::{DbError, DbResult, audit, predictions, rules, user_tx};
    use crate::input;
    use manna_core::categorizer::{self, DEFAULT_THRESHOLD, Example, Model, Scorer};
    use manna_core::rules::{Facts, MatchMode, Rule};
    use sqlx::PgConnection;
    use std::collections::HashMap;
    use std::sync::{Arc, LazyLock, Mutex};
    use std::time::{Duration, Instant};

    const QUEUE_PAGE: i64 = 50;
    const SUGGEST_BATCH: i64 = 2_000;
    /// A cached model is retrained after this long even if nothing was recategorized
    /// (new rows categorized on arrival add evidence without bumping the version).
    const MODEL_MAX_AGE: Duration = Duration::from_secs(15 * 60);

    /// A model trained for one user, with what it was trained on.
    pub struct Trained {
        /// The model laid out for prediction (an import asks it about every row).
        pub scorer: Scorer,
        pub state_version: i64,
        pub rows: usize,
        pub trained_at: Instant,
        pub train_millis: u64,
    }

    impl Trained {
        pub fn version_label(&self) -> String {
            format!("{}:{}:{}", categorizer::MODEL_KIND, self.state_version, self.rows)
        }
    }

    // Per process, keyed by user: a user's model is a function of their rows, and the
    // state version tells when those changed.
    static MODELS: LazyLock<Mutex<HashMap<Uuid, Arc<Trained>>>> = LazyLock::new(Default::default);
    const MAX_CACHED_MODELS: usize = 256;

    /// The user's model, retrained when their categorized rows changed.
    pub async fn model_for(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Arc<Trained>> {
        let version = predictions::state_version(conn, user_id).await?;
        if let Some(m) = MODELS.lock().map_err(|_| poisoned())?.get(&user_id)
            && m.state_version == version
            && m.trained_at.elapsed() < MODEL_MAX_AGE
        {
            return Ok(m.clone());
        }
        let rows = predictions::training_rows(conn, user_id).await?;
        let trained = tokio::task::spawn_blocking(move || train(&rows, version)).await.map_err(|_| poisoned())?;
        let trained = Arc::new(trained);
        let mut cache = MODELS.lock().map_err(|_| poisoned())?;
        if cache.len() >= MAX_CACHED_MODELS {
            cache.clear();
        }
        cache.insert(user_id, trained.clone());
        Ok(trained)
    }

    fn poisoned() -> DbError {
        DbError::Other(sqlx::Error::Protocol("model cache unavailable".into()))
    }

    pub fn train(rows: &[predictions::TrainingRow], state_version: i64) -> Trained {
        let started = Instant::now();
        let labelled: Vec<(Example<'_>, Uuid)> = rows.iter().map(|r| (example(r), r.category_id)).collect();
        Trained {
            scorer: Model::train_calibrated(&labelled).scorer(),
            state_version,
            rows: rows.len(),
            trained_at: Instant::now(),
            train_millis: started.elapsed().as_millis() as u64,
        }
    }

    pub fn example(r: &predictions::TrainingRow) -> Example<'_> {
        Example {
            merchant: r.merchant_name.as_deref(),
            description: &r.name,
            amount: r.amount,
            account_id: r.account_id,
            date: r.date,
        }
    }

    /// The user's active rules, compiled. A stored rule that no longer compiles is
    /// skipped with a log line rather than blocking every new transaction.
    pub async fn compiled_rules(conn: &mut PgConnection, user_id: Uuid) -> DbResult<Vec<Rule>> {
        let rows = rules::active(conn, user_id).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let mode = if r.match_mode == "any" { MatchMode::Any } else { MatchMode::All };
                match Rule::compile(r.id, mode, &r.conditions.0, r.actions.0.clone()) {
                    Ok(rule) => Some(rule),
                    Err(e) => {
                        tracing::warn!(rule = %r.id, error = %e, "stored rule does not compile; skipped");
                        None
                    }
                }
            })
            .collect())
    }

    /// Categorizes new transactions: the rules first (on every field they set; the
    /// category only where the row has none), then the model for rows still without a
    /// category. Runs inside the caller's transaction, so the new rows and their
    /// categories commit together.
    pub async fn new_rows(conn: &mut PgConnection, user_id: Uuid, ids: &[Uuid]) -> DbResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let rule_set = compiled_rules(conn, user_id).await?;
        if !rule_set.is_empty() {
            let candidates: Vec<rules::Candidate> = rules::candidates_by_id(conn, user_id, ids).await?;
            let (changes, matches) = rule_changes(&rule_set, &candidates, true);
            rules::apply(conn, user_id, &changes).await?;
            rules::record_matches(conn, user_id, &matches).await?;
        }
        predict(conn, user_id, ids, i64::try_from(ids.len()).unwrap_or(i64::MAX)).await?;
        Ok(())
    }

    /// What `rule_set` would change on `candidates`: the changes to write, and the
    /// match count per rule. With `only_uncategorized`, a rule's category lands only on
    /// rows without one (new rows the user already filed keep their category).
    pub fn rule_changes(
        rule_set: &[Rule],
        candidates: &[rules::Candidate],
        only_uncategorized: bool,
    ) -> (rules::RuleChanges, Vec<(Uuid, i64)>) {
        let mut changes = rules::RuleChanges {
            ids: vec![],
            categories: vec![],
            rules: vec![],
            business: vec![],
            deductible: vec![],
            merchants: vec![],
            tags: vec![],
        };
        let mut matches: HashMap<Uuid, i64> = HashMap::new();
        for c in candidates {
            let mut outcome = manna_core::rules::run(rule_set, &facts(c));
            if outcome.matched.is_empty() {
                continue;
            }
            for id in &outcome.matched {
                *matches.entry(*id).or_default() += 1;
            }
            if only_uncategorized && c.category_id.is_some() {
                outcome.category = None;
            }
            if !manna_core::rules::changes(
                &outcome,
                c.category_id,
                c.is_business,
                c.tax_deductible,
                c.merchant_name.as_deref(),
                &c.tags,
            ) {
                continue;
            }
            changes.ids.push(c.id);
            changes.categories.push(outcome.category.map(|(cat, _)| cat));
            changes.rules.push(outcome.category.map(|(_, rule)| rule));
            changes.business.push(outcome.business);
            changes.deductible.push(outcome.deductible);
            changes.merchants.push(outcome.merchant.clone());
            changes.tags.push(outcome.add_tags.join(","));
        }
        let mut matches: Vec<(Uuid, i64)> = matches.into_iter().collect();
        matches.sort();
        (changes, matches)
    }

    pub fn facts(c: &rules::Candidate) -> Facts<'_> {
        Facts {
            merchant: c.merchant_name.as_deref(),
            description: &c.name,
            amount: c.amount,
            account_id: c.account_id,
            date: c.date,
            category_id: c.category_id,
        }
    }

    /// Predicts a category for uncategorized rows (the listed ones, or the newest
    /// unpredicted ones when `ids` is empty) and stores the predictions; confident ones
    /// are applied. Returns (predicted, applied).
    pub async fn predict(conn: &mut PgConnection, user_id: Uuid, ids: &[Uuid], limit: i64) -> DbResult<(u64, u64)> {
        let rows = predictions::unpredicted(conn, user_id, ids, limit).await?;
        predict_rows(conn, user_id, &rows).await
    }

    async fn predict_rows(
        conn: &mut PgConnection,
        user_id: Uuid,
        rows: &[predictions::Unpredicted],
    ) -> DbResult<(u64, u64)> {
        let (version, new) = predictions_for(conn, user_id, rows).await?;
        let applied = predictions::store(conn, user_id, &version, &new).await?;
        Ok((new.len() as u64, applied))
    }

    /// What the user's model predicts for `rows` (nothing stored): the model's version
    /// label and one prediction per row it has an opinion on.
    pub async fn predictions_for(
        conn: &mut PgConnection,
        user_id: Uuid,
        rows: &[predictions::Unpredicted],
    ) -> DbResult<(String, Vec<predictions::NewPrediction>)> {
        if rows.is_empty() {
            return Ok((String::new(), vec![]));
        }
        let trained = model_for(conn, user_id).await?;
        Ok((trained.version_label(), predictions_from(&trained, rows)))
    }

    /// What `trained` predicts for `rows`: one prediction per row it has an opinion on.
    /// Pure work, so a caller may run it off the async threads (an import scores a part
    /// of its rows while the database writes the previous part).
    pub fn predictions_from(trained: &Trained, rows: &[predictions::Unpredicted]) -> Vec<predictions::NewPrediction> {
        rows.iter()
            .filter_map(|r| {
                let example = Example {
                    merchant: r.merchant_name.as_deref(),
                    description: &r.name,
                    amount: r.amount,
                    account_id: r.account_id,
                    date: r.date,
                };
                let p = trained.scorer.predict(&categorizer::features(&example))?;
                Some(predictions::NewPrediction {
                    transaction_id: r.id,
                    category_id: p.category_id,
                    confidence: Decimal::from_f64_retain(p.confidence)
                        .map(|d| d.round_dp(4).min(Decimal::ONE))
                        .unwrap_or_default(),
                    features: stored_features(&p.top_features),
                    alternatives: stored_alternatives(&p.alternatives),
                    apply: p.confidence >= DEFAULT_THRESHOLD,
                })
            })
            .collect()
    }

    /// The strongest signals as stored with a prediction (`explain` reads them back).
    fn stored_features(top: &[(String, f64)]) -> String {
        #[derive(Serialize)]
        struct Stored<'a> {
            top: Vec<(&'a str, f64)>,
        }
        let top = top.iter().map(|(f, w)| (f.as_str(), (w * 100.0).round() / 100.0)).collect();
        serde_json::to_string(&Stored { top }).unwrap_or_else(|_| "{}".into())
    }

    /// The runners-up as stored with a prediction (the review queue reads them back).
    fn stored_alternatives(alternatives: &[(Uuid, f64)]) -> String {
        let stored: Vec<predictions::Alternative> = alternatives
            .iter()
            .map(|(c, p)| predictions::Alternative {
                category_id: Some(*c),
                confidence: (p * 10_000.0).round() / 10_000.0,
            })
            .collect();
        serde_json::to_string(&stored).unwrap_or_else(|_| "[]".into())
    }

    fn cursor(after: &str) -> Result<Option<(chrono::NaiveDate, Uuid)>, AppError> {
        if after.trim().is_empty() {
            return Ok(None);
        }
        let bad = || AppError::Invalid("not a page cursor".into());
        let (date, id) = after.split_once(',').ok_or_else(bad)?;
        Ok(Some((date.parse().map_err(|_| bad())?, id.parse().map_err(|_| bad())?)))
    }

    pub async fn queue(after: &str) -> Result<QueuePage, AppError> {
        let user = require_user().await?;
        let after = cursor(after)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let mut rows = predictions::queue(&mut tx, user.user_id, after, QUEUE_PAGE + 1).await?;
        let next = (rows.len() as i64 > QUEUE_PAGE).then(|| {
            rows.truncate(QUEUE_PAGE as usize);
            rows.last().map(|r| format!("{},{}", r.date, r.id)).unwrap_or_default()
        });
        let (waiting, suggested) = predictions::queue_size(&mut tx, user.user_id).await?;
        let confidence = |d: Decimal| rust_decimal::prelude::ToPrimitive::to_f64(&d).unwrap_or(0.0);
        let rows = rows
            .into_iter()
            .map(|r| ReviewRow {
                id: r.id,
                date: r.date,
                amount: r.amount,
                currency: r.currency,
                description: r.description,
                account: r.account_name,
                suggestion: r
                    .predicted_category_id
                    .map(|c| Suggestion { category_id: c, confidence: r.confidence.map(confidence).unwrap_or(0.0) }),
                alternatives: r
                    .alternatives
                    .map(|a| {
                        a.0.into_iter()
                            .filter_map(|a| {
                                a.category_id.map(|c| Suggestion { category_id: c, confidence: a.confidence })
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        Ok(QueuePage { rows, next, waiting, suggested })
    }

    pub async fn accept(ids: &[String]) -> Result<u64, AppError> {
        let user = require_user().await?;
        if ids.is_empty() {
            return Err(AppError::Invalid("choose the rows to accept".into()));
        }
        if ids.len() > 500 {
            return Err(AppError::Invalid("accept at most 500 rows at a time".into()));
        }
        let ids = ids.iter().map(|i| input::id(i)).collect::<Result<Vec<_>, _>>()?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let accepted = predictions::accept(&mut tx, user.user_id, &ids).await?;
        if accepted.is_empty() {
            return Err(AppError::NotFound);
        }
        audit::record(
            &mut tx,
            &actor(Some(user)).await,
            audit::Entry::new("categorize.suggestions_accepted", "transaction", accepted.first().copied())
                .new_values(serde_json::json!({ "transactions": accepted })),
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(accepted.len() as u64)
    }

    pub async fn suggest() -> Result<SuggestOutcome, AppError> {
        let (user, mut tx) = require_user_tx(None).await?;
        let (predicted, applied) = predict(&mut tx, user.user_id, &[], SUGGEST_BATCH).await?;
        if predicted > 0 {
            audit::record(
                &mut tx,
                &actor(Some(user)).await,
                audit::Entry::new("categorize.model_run", "transaction", None)
                    .new_values(serde_json::json!({ "predicted": predicted, "applied": applied })),
            )
            .await?;
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok(SuggestOutcome { predicted, applied })
    }

    pub async fn quality() -> Result<Option<ModelReport>, AppError> {
        let (user, mut tx) = require_user_tx(None).await?;
        let trained = model_for(&mut tx, user.user_id).await?;
        let rows = predictions::training_rows(&mut tx, user.user_id).await?;
        let feedback = predictions::feedback_by_month(&mut tx, user.user_id).await?;
        let evaluation = tokio::task::spawn_blocking(move || {
            let labelled: Vec<(Example<'_>, Uuid)> = rows.iter().map(|r| (example(r), r.category_id)).collect();
            categorizer::evaluate(&labelled, 0.8, DEFAULT_THRESHOLD)
        })
        .await
        .map_err(|_| AppError::Internal)?;
        let Some(e) = evaluation else { return Ok(None) };
        Ok(Some(ModelReport {
            model_version: trained.version_label(),
            trained_on: trained.rows,
            train_millis: trained.train_millis,
            threshold: e.threshold,
            tested_on: e.tested_on,
            accuracy: e.accuracy,
            macro_f1: e.macro_f1,
            coverage: e.coverage,
            accuracy_above_threshold: e.accuracy_above_threshold,
            per_category: e
                .per_category
                .into_iter()
                .map(|(category_id, precision, recall, f1, support)| CategoryQuality {
                    category_id,
                    precision,
                    recall,
                    f1,
                    support,
                })
                .collect(),
            feedback: feedback
                .into_iter()
                .map(|(month, accepted, corrected)| FeedbackMonth { month, accepted, corrected })
                .collect(),
        }))
    }

    pub async fn explain(id: &str) -> Result<Explanation, AppError> {
        let user = require_user().await?;
        let id = input::id(id)?;
        let mut tx = user_tx(&pool()?, user.user_id).await?;
        let e = predictions::explanation(&mut tx, user.user_id, id).await?;
        let percent = |d: Decimal| format!("{}%", (d * Decimal::from(100)).round());
        let signals = |e: &predictions::ExplanationRow| -> Option<String> {
            let top = e.features.as_ref()?.0.get("top")?.as_array()?.clone();
            let names: Vec<String> = top
                .iter()
                .filter_map(|t| t.get(0).and_then(|f| f.as_str()).map(categorizer::describe_feature))
                .take(3)
                .collect();
            (!names.is_empty()).then(|| format!("Strongest signals: {}.", names.join(", ")))
        };
        let mut details = Vec::new();
        let summary = match (e.category_id, e.category_source.as_deref()) {
            (None, _) => match e.confidence {
                Some(c) => {
                    details.extend(signals(&e));
                    format!(
                        "Not categorized yet: the model's best guess is only {} sure, so it waits for review.",
                        percent(c)
                    )
                }
                None => "Not categorized yet.".to_string(),
            },
            (Some(_), Some("rule")) => match &e.rule_name {
                Some(name) => format!("Categorized by your rule “{name}”."),
                None => "Categorized by a rule that has since been deleted.".to_string(),
            },
            (Some(_), Some("ml")) => {
                details.extend(signals(&e));
                if let Some(v) = &e.model_version {
                    details.push(format!("Model version {v}."));
                }
                format!("Categorized by the model, {} sure.", e.confidence.map(percent).unwrap_or_else(|| "?".into()))
            }
            (Some(c), Some("user")) => match (e.feedback.as_deref(), e.predicted_category_id, e.confidence) {
                (Some("accepted"), _, Some(conf)) => {
                    format!("You accepted the model's suggestion ({} sure).", percent(conf))
                }
                (Some("corrected"), Some(p), _) if p != c => {
                    "You chose it, correcting the model's suggestion; the model learns from that.".to_string()
                }
                _ => "You chose it.".to_string(),
            },
            (Some(_), Some("plaid")) => "From the bank's own category (mapped to yours).".to_string(),
            (Some(_), Some("import")) => {
                if e.source == "import" { "From the import file or the bank statement." } else { "Imported." }
                    .to_string()
            }
            (Some(_), _) => "Categorized.".to_string(),
        };
        Ok(Explanation { summary, details })
    }
}
