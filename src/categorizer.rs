//! The local categorizer: a multinomial naive Bayes model over a transaction's words and
//! a few coarse facts, trained on the user's own categorized transactions.
//!
//! Why naive Bayes: training is one counting pass (100k rows in well under a second),
//! learning from one correction is adding counts (no retrain for the feedback loop), it
//! does well with the few examples a new user has and with many sparse tokens, and its
//! reasons are readable (a token's weight is a log-ratio of counts). Its probabilities
//! are over-confident, which is why the apply threshold is high and the threshold's
//! effect is measured on held-out data (`evaluate`).
//!
//! Features: lower-cased words of the merchant and the description (store numbers and
//! other digits dropped), the merchant as a whole, the size bucket of the amount (by
//! powers of two in dollars) with its direction, the account, and the part of the month.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

mod scorer;
pub use scorer::Scorer;

/// Stored with each prediction; bump when features or maths change.
pub const MODEL_KIND: &str = "nb-1";
/// Laplace smoothing: how much an unseen token counts.
const ALPHA: f64 = 0.5;
/// Predictions at or above this are applied; below it the row waits for review.
pub const DEFAULT_THRESHOLD: f64 = 0.9;

/// What the model sees of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example<'a> {
    pub merchant: Option<&'a str>,
    pub description: &'a str,
    pub amount: Decimal,
    pub account_id: Uuid,
    pub date: NaiveDate,
}

/// The features of one transaction, each a short string (`w:` word, `m:` merchant,
/// `a:` amount bucket, `acct:` account, `d:` part of month).
pub fn features(example: &Example<'_>) -> Vec<String> {
    let mut out = Vec::with_capacity(12);
    let mut words = |text: &str| {
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if word.chars().count() >= 2 && !word.chars().any(|c| c.is_ascii_digit()) {
                let f = format!("w:{}", word.to_lowercase());
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
    };
    if let Some(m) = example.merchant {
        words(m);
    }
    words(example.description);
    if let Some(m) = example.merchant.map(str::trim).filter(|m| !m.is_empty()) {
        out.push(format!("m:{}", m.to_lowercase()));
    }
    out.push(amount_bucket(example.amount));
    out.push(format!("acct:{}", example.account_id.simple()));
    out.push(
        match example.date.day() {
            1..=7 => "d:early",
            8..=21 => "d:mid",
            _ => "d:late",
        }
        .to_string(),
    );
    out
}

fn amount_bucket(amount: Decimal) -> String {
    let direction = if amount.is_sign_negative() { "out" } else { "in" };
    let dollars = amount.abs().to_f64().unwrap_or(0.0);
    let bucket = if dollars < 1.0 { 0 } else { dollars.log2().floor() as i32 + 1 };
    format!("a:{direction}{bucket}")
}

#[derive(Debug, Clone, Default)]
struct ClassCounts {
    examples: u32,
    features: u64,
    counts: HashMap<String, u32>,
}

/// The trained model. Labels are category ids.
#[derive(Debug, Clone)]
pub struct Model {
    classes: HashMap<Uuid, ClassCounts>,
    vocabulary: HashMap<String, u32>,
    examples: u32,
    /// Divides the log-scores before they become probabilities. Naive Bayes counts
    /// correlated features (a merchant's name and its words) as independent evidence
    /// and so is far too sure of itself; a temperature fitted on newer, held-out rows
    /// makes "90 % sure" mean right about 9 times in 10.
    temperature: f64,
}

impl Default for Model {
    fn default() -> Self {
        Model { classes: HashMap::new(), vocabulary: HashMap::new(), examples: 0, temperature: 1.0 }
    }
}

/// Temperatures tried when calibrating.
const TEMPERATURES: [f64; 12] = [1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 14.0];

/// A model's answer for one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub category_id: Uuid,
    pub confidence: f64,
    /// The next most likely categories, most likely first (at most 3).
    pub alternatives: Vec<(Uuid, f64)>,
    /// The features that pushed hardest towards the chosen category, strongest first.
    pub top_features: Vec<(String, f64)>,
}

impl Model {
    pub fn train<'a>(examples: impl IntoIterator<Item = (Example<'a>, Uuid)>) -> Model {
        let mut model = Model::default();
        for (example, label) in examples {
            model.learn(&features(&example), label);
        }
        model
    }

    /// Trains on `labelled` (oldest first) with a calibrated temperature: a first model
    /// trained on the older 80 % picks the temperature that best predicts the newer
    /// 20 % (lowest log-loss), then the model is trained on everything.
    pub fn train_calibrated(labelled: &[(Example<'_>, Uuid)]) -> Model {
        let featured: Vec<(Vec<String>, Uuid)> = labelled.iter().map(|(e, l)| (features(e), *l)).collect();
        let cut = featured.len() * 4 / 5;
        let mut model = Model::default();
        for (f, l) in &featured[..cut] {
            model.learn(f, *l);
        }
        let temperature = model.fit_temperature(&featured[cut..]);
        for (f, l) in &featured[cut..] {
            model.learn(f, *l);
        }
        model.temperature = temperature;
        model
    }

    /// The temperature (from a fixed grid) with the lowest log-loss on `held_out`.
    fn fit_temperature(&mut self, held_out: &[(Vec<String>, Uuid)]) -> f64 {
        if held_out.is_empty() || self.classes.is_empty() {
            return 1.0;
        }
        let scored: Vec<(Vec<(Uuid, f64)>, Uuid)> = held_out.iter().map(|(f, l)| (self.scores(f), *l)).collect();
        let log_loss = |t: f64| -> f64 {
            scored
                .iter()
                .map(|(scores, label)| {
                    let best = scores.first().map_or(0.0, |s| s.1);
                    let norm: f64 = scores.iter().map(|(_, s)| ((s - best) / t).exp()).sum();
                    let mine =
                        scores.iter().find(|(l, _)| l == label).map_or(f64::NEG_INFINITY, |(_, s)| (s - best) / t);
                    // an unseen label costs as much as a near-impossible prediction
                    -(mine - norm.ln()).max(-30.0)
                })
                .sum()
        };
        TEMPERATURES.iter().copied().min_by(|a, b| log_loss(*a).total_cmp(&log_loss(*b))).unwrap_or(1.0)
    }

    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    /// Adds one labelled example (the feedback loop's "accept" or "correct").
    pub fn learn(&mut self, features: &[String], label: Uuid) {
        self.examples += 1;
        let class = self.classes.entry(label).or_default();
        class.examples += 1;
        for f in features {
            class.features += 1;
            *class.counts.entry(f.clone()).or_default() += 1;
            *self.vocabulary.entry(f.clone()).or_default() += 1;
        }
    }

    /// Takes back one example learned earlier with `label` (a prediction the user
    /// corrected was trained on as the old category).
    pub fn unlearn(&mut self, features: &[String], label: Uuid) {
        let Some(class) = self.classes.get_mut(&label) else { return };
        if class.examples == 0 {
            return;
        }
        class.examples -= 1;
        self.examples = self.examples.saturating_sub(1);
        for f in features {
            if let Some(n) = class.counts.get_mut(f)
                && *n > 0
            {
                *n -= 1;
                class.features = class.features.saturating_sub(1);
                if *n == 0 {
                    class.counts.remove(f);
                }
                if let Some(v) = self.vocabulary.get_mut(f) {
                    *v = v.saturating_sub(1);
                    if *v == 0 {
                        self.vocabulary.remove(f);
                    }
                }
            }
        }
        if class.examples == 0 {
            self.classes.remove(&label);
        }
    }

    pub fn examples(&self) -> u32 {
        self.examples
    }

    pub fn categories(&self) -> usize {
        self.classes.len()
    }

    fn log_likelihood(&self, class: &ClassCounts, feature: &str) -> f64 {
        let v = self.vocabulary.len() as f64;
        let n = f64::from(class.counts.get(feature).copied().unwrap_or(0));
        ((n + ALPHA) / (class.features as f64 + ALPHA * v)).ln()
    }

    /// Log-scores per category, best first (ties broken by id, so nothing depends on
    /// hash order). Features never seen in training carry no evidence and are skipped.
    fn scores(&self, features: &[String]) -> Vec<(Uuid, f64)> {
        let known: Vec<&String> = features.iter().filter(|f| self.vocabulary.contains_key(*f)).collect();
        let total = f64::from(self.examples.max(1));
        let mut scores: Vec<(Uuid, f64)> = self
            .classes
            .iter()
            .map(|(label, class)| {
                let prior = (f64::from(class.examples) / total).ln();
                (*label, prior + known.iter().map(|f| self.log_likelihood(class, f)).sum::<f64>())
            })
            .collect();
        scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scores
    }

    /// The most likely category with its probability, or `None` before any training.
    pub fn predict(&self, features: &[String]) -> Option<Prediction> {
        let known: Vec<&String> = features.iter().filter(|f| self.vocabulary.contains_key(*f)).collect();
        let scores = self.scores(features);
        let best = *scores.first()?;
        let t = self.temperature;
        let norm: f64 = scores.iter().map(|(_, s)| ((s - best.1) / t).exp()).sum();
        let probability = |s: f64| ((s - best.1) / t).exp() / norm;
        let winner = &self.classes[&best.0];
        let mut top_features: Vec<(String, f64)> = known
            .iter()
            .map(|f| {
                // How much more likely the feature is under the winner than under the
                // average of the rest: its pull towards this category.
                let others: Vec<f64> = self
                    .classes
                    .iter()
                    .filter(|(l, _)| **l != best.0)
                    .map(|(_, c)| self.log_likelihood(c, f))
                    .collect();
                let rest = if others.is_empty() { 0.0 } else { others.iter().sum::<f64>() / others.len() as f64 };
                ((*f).clone(), self.log_likelihood(winner, f) - rest)
            })
            .filter(|(_, w)| *w > 0.0)
            .collect();
        top_features.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top_features.truncate(5);
        Some(Prediction {
            category_id: best.0,
            confidence: probability(best.1),
            alternatives: scores.iter().skip(1).take(3).map(|(l, s)| (*l, probability(*s))).collect(),
            top_features,
        })
    }
}

/// A readable form of a feature for the page ("word: starbucks", "amount: $16–32 out").
pub fn describe_feature(feature: &str) -> String {
    if let Some(w) = feature.strip_prefix("w:") {
        return format!("word “{w}”");
    }
    if let Some(m) = feature.strip_prefix("m:") {
        return format!("merchant “{m}”");
    }
    if let Some(a) = feature.strip_prefix("a:") {
        let (direction, bucket) =
            if let Some(b) = a.strip_prefix("out") { ("spent", b) } else { ("received", a.trim_start_matches("in")) };
        let bucket: i32 = bucket.parse().unwrap_or(0);
        return if bucket == 0 {
            format!("{direction} under $1")
        } else {
            format!("{direction} ${}–{}", 1_u64 << (bucket - 1), 1_u64 << bucket)
        };
    }
    if feature.starts_with("acct:") {
        return "the account".to_string();
    }
    match feature {
        "d:early" => "first week of the month".to_string(),
        "d:mid" => "middle of the month".to_string(),
        "d:late" => "end of the month".to_string(),
        other => other.to_string(),
    }
}

/// Held-out quality of a model: trained on the older share, tested on the newer.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub trained_on: usize,
    pub tested_on: usize,
    /// Share of test rows whose top prediction is right.
    pub accuracy: f64,
    /// Unweighted mean of per-category F1 over categories seen in the test set.
    pub macro_f1: f64,
    /// Share of test rows predicted at or above the threshold (applied automatically).
    pub coverage: f64,
    /// Accuracy among those applied automatically.
    pub accuracy_above_threshold: f64,
    pub threshold: f64,
    /// Per category: (label, precision, recall, F1, rows in the test set).
    pub per_category: Vec<(Uuid, f64, f64, f64, usize)>,
}

/// Splits `labelled` (sorted by date, oldest first) at `train_share`, trains on the
/// first part and scores the second. `None` when either part would be empty.
pub fn evaluate(labelled: &[(Example<'_>, Uuid)], train_share: f64, threshold: f64) -> Option<Evaluation> {
    let cut = ((labelled.len() as f64) * train_share.clamp(0.0, 1.0)).round() as usize;
    let (train, test) = labelled.split_at(cut.min(labelled.len()));
    if train.is_empty() || test.is_empty() {
        return None;
    }
    let scorer = Model::train_calibrated(train).scorer();
    let outcomes: Vec<(Uuid, Option<Prediction>)> =
        test.iter().map(|(e, label)| (*label, scorer.predict(&features(e)))).collect();
    Some(score(&outcomes, threshold, train.len()))
}

/// Scores predictions against the truth: `(true label, prediction)` pairs.
pub fn score(outcomes: &[(Uuid, Option<Prediction>)], threshold: f64, trained_on: usize) -> Evaluation {
    let n = outcomes.len().max(1) as f64;
    let mut right = 0usize;
    let mut applied = 0usize;
    let mut applied_right = 0usize;
    // label → (true positives, predicted as label, actually label)
    let mut tally: BTreeMap<Uuid, (usize, usize, usize)> = BTreeMap::new();
    for (truth, prediction) in outcomes {
        tally.entry(*truth).or_default().2 += 1;
        let Some(p) = prediction else { continue };
        tally.entry(p.category_id).or_default().1 += 1;
        let hit = p.category_id == *truth;
        if hit {
            right += 1;
            tally.entry(*truth).or_default().0 += 1;
        }
        if p.confidence >= threshold {
            applied += 1;
            applied_right += usize::from(hit);
        }
    }
    let per_category: Vec<(Uuid, f64, f64, f64, usize)> = tally
        .iter()
        .filter(|(_, (_, _, actual))| *actual > 0)
        .map(|(label, (tp, predicted, actual))| {
            let precision = ratio(*tp, *predicted);
            let recall = ratio(*tp, *actual);
            let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
            (*label, precision, recall, f1, *actual)
        })
        .collect();
    let macro_f1 = if per_category.is_empty() {
        0.0
    } else {
        per_category.iter().map(|c| c.3).sum::<f64>() / per_category.len() as f64
    };
    Evaluation {
        trained_on,
        tested_on: outcomes.len(),
        accuracy: right as f64 / n,
        macro_f1,
        coverage: applied as f64 / n,
        accuracy_above_threshold: ratio(applied_right, applied),
        threshold,
        per_category,
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn ex<'a>(merchant: Option<&'a str>, description: &'a str, amount: &str, day: u32) -> Example<'a> {
        Example {
            merchant,
            description,
            amount: amount.parse().unwrap(),
            account_id: id(100),
            date: NaiveDate::from_ymd_opt(2026, 1, day).unwrap(),
        }
    }

    const COFFEE: u128 = 1;
    const GROCERIES: u128 = 2;
    const RIDES: u128 = 3;

    fn training() -> Vec<(Example<'static>, Uuid)> {
        let mut rows = Vec::new();
        for day in 1..=20 {
            rows.push((ex(Some("Starbucks"), "STARBUCKS #1234 SEATTLE WA", "-5.75", day), id(COFFEE)));
            rows.push((ex(Some("Safeway"), "SAFEWAY 0042 OAKLAND CA", "-64.10", day), id(GROCERIES)));
            rows.push((ex(None, "UBER *TRIP HELP.UBER.COM", "-18.20", day), id(RIDES)));
        }
        rows
    }

    #[test]
    fn features_drop_digits_and_bucket_amounts() {
        let f = features(&ex(Some("Blue Bottle"), "SQ *BLUE BOTTLE #0042 OAKLAND CA", "-5.25", 3));
        assert!(f.contains(&"w:blue".to_string()));
        assert!(f.contains(&"w:oakland".to_string()));
        assert!(f.contains(&"m:blue bottle".to_string()));
        assert!(f.contains(&"a:out3".to_string()), "{f:?}"); // $4–8
        assert!(f.contains(&"d:early".to_string()));
        assert!(!f.iter().any(|x| x.contains("0042")));
        assert_eq!(f.iter().filter(|x| *x == "w:blue").count(), 1);
        assert_eq!(amount_bucket("0.50".parse().unwrap()), "a:in0");
        assert_eq!(describe_feature("a:out3"), "spent $4–8");
    }

    #[test]
    fn learns_merchants_and_is_confident_on_them() {
        let model = Model::train(training());
        assert_eq!(model.examples(), 60);
        let p = model.predict(&features(&ex(Some("Starbucks"), "STARBUCKS #9 PORTLAND OR", "-4.95", 25))).unwrap();
        assert_eq!(p.category_id, id(COFFEE));
        assert!(p.confidence > 0.95, "{p:?}");
        assert_eq!(p.alternatives.len(), 2);
        assert!(p.alternatives.iter().all(|(_, c)| *c < 0.05));
        assert!(p.top_features.iter().any(|(f, _)| f == "w:starbucks"), "{:?}", p.top_features);
        // a description alone carries it when the bank gave no merchant
        let p = model.predict(&features(&ex(None, "UBER *TRIP", "-25.00", 9))).unwrap();
        assert_eq!(p.category_id, id(RIDES));
    }

    #[test]
    fn unknown_words_give_an_unsure_answer() {
        let model = Model::train(training());
        let p = model.predict(&features(&ex(Some("Zzyzx"), "ZZYZX LLC", "-1000", 15))).unwrap();
        assert!(p.confidence < DEFAULT_THRESHOLD, "{p:?}");
        assert!(Model::default().predict(&features(&ex(None, "x", "-1", 1))).is_none());
    }

    #[test]
    fn a_correction_moves_the_next_prediction() {
        let mut model = Model::train(training());
        let row = ex(Some("Starbucks Reserve"), "STARBUCKS RESERVE ROASTERY", "-64.00", 12);
        let f = features(&row);
        let before = model.predict(&f).unwrap();
        // The user says roastery visits are groceries (beans by the bag): a few corrections flip it.
        for _ in 0..6 {
            model.learn(&f, id(GROCERIES));
        }
        let after = model.predict(&f).unwrap();
        assert_ne!(before.category_id, after.category_id);
        assert_eq!(after.category_id, id(GROCERIES));
        // and taking them back restores the old answer exactly
        for _ in 0..6 {
            model.unlearn(&f, id(GROCERIES));
        }
        assert_eq!(model.predict(&f).unwrap(), before);
    }

    #[test]
    fn evaluation_splits_by_time_and_scores() {
        let rows = training();
        let e = evaluate(&rows, 0.75, 0.9).unwrap();
        assert_eq!(e.trained_on, 45);
        assert_eq!(e.tested_on, 15);
        assert_eq!(e.accuracy, 1.0);
        assert_eq!(e.macro_f1, 1.0);
        assert_eq!(e.per_category.len(), 3);
        assert!(evaluate(&rows, 1.0, 0.9).is_none());
        assert!(evaluate(&[], 0.8, 0.9).is_none());
    }

    #[test]
    fn scoring_counts_misses_in_precision_and_recall() {
        let p = |label: u128, confidence: f64| {
            Some(Prediction { category_id: id(label), confidence, alternatives: vec![], top_features: vec![] })
        };
        let outcomes = vec![(id(1), p(1, 0.99)), (id(1), p(2, 0.95)), (id(2), p(2, 0.5)), (id(2), None)];
        let e = score(&outcomes, 0.9, 10);
        assert_eq!(e.accuracy, 0.5);
        assert_eq!(e.coverage, 0.5);
        assert_eq!(e.accuracy_above_threshold, 0.5);
        // label 1: precision 1, recall 1/2 → F1 2/3; label 2: precision 1/2, recall 1/2 → 1/2
        assert!((e.macro_f1 - (2.0 / 3.0 + 0.5) / 2.0).abs() < 1e-12);
    }
}
