//! `manna ml evaluate`: the categorizer's held-out quality on the data in the database.

use anyhow::{Context, Result};
use app::categorize::ssr::{example, train};
use app::data::{predictions, user_tx};
use manna_core::categorizer::{self, DEFAULT_THRESHOLD};
use sqlx::PgPool;
use std::fmt::Write as _;
use std::time::Instant;
use uuid::Uuid;

/// Share of each user's categorized rows (the oldest) the evaluation trains on; the
/// newer rest is the test set, as it will be in use: the model predicts the future.
pub const TRAIN_SHARE: f64 = 0.8;

/// Trains and tests the model per user (all users, or one by email) and prints
/// accuracy, macro-F1 and coverage at the threshold, plus a full retrain's time.
pub async fn evaluate(pool: &PgPool, email: Option<&str>) -> Result<String> {
    let users: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, email FROM users WHERE ($1::text IS NULL OR lower(email) = lower($1))
         ORDER BY email",
    )
    .bind(email)
    .fetch_all(pool)
    .await
    .context("listing users")?;
    if users.is_empty() {
        anyhow::bail!("no such user");
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "naive Bayes ({}), time split: train on the oldest {:.0} %, test on the newest; threshold {:.2}\n",
        categorizer::MODEL_KIND,
        TRAIN_SHARE * 100.0,
        DEFAULT_THRESHOLD
    );
    let _ = writeln!(
        out,
        "{:<28} {:>8} {:>7} {:>9} {:>9} {:>9} {:>12} {:>11}",
        "user", "train", "test", "accuracy", "macro-F1", "coverage", "acc.≥thresh", "retrain ms"
    );
    let (mut tested, mut right, mut applied, mut applied_right, mut f1_sum, mut evaluated) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0);
    for (id, email) in users {
        let mut tx = user_tx(pool, id).await?;
        let rows = predictions::training_rows(&mut tx, id).await?;
        tx.rollback().await?;
        let started = Instant::now();
        let full = train(&rows, 0);
        let retrain_ms = started.elapsed().as_secs_f64() * 1000.0;
        let labelled: Vec<_> = rows.iter().map(|r| (example(r), r.category_id)).collect();
        let Some(e) = categorizer::evaluate(&labelled, TRAIN_SHARE, DEFAULT_THRESHOLD) else {
            let _ = writeln!(out, "{email:<28} too few categorized transactions ({})", full.rows);
            continue;
        };
        let _ = writeln!(
            out,
            "{:<28} {:>8} {:>7} {:>8.1}% {:>9.3} {:>8.1}% {:>11.1}% {:>11.1}  T={}",
            email,
            e.trained_on,
            e.tested_on,
            e.accuracy * 100.0,
            e.macro_f1,
            e.coverage * 100.0,
            e.accuracy_above_threshold * 100.0,
            retrain_ms,
            full.scorer.temperature()
        );
        let n = e.tested_on as f64;
        tested += n;
        right += e.accuracy * n;
        applied += e.coverage * n;
        applied_right += e.accuracy_above_threshold * e.coverage * n;
        f1_sum += e.macro_f1;
        evaluated += 1;
    }
    if evaluated > 1 {
        let _ = writeln!(
            out,
            "{:<28} {:>8} {:>7} {:>8.1}% {:>9.3} {:>8.1}% {:>11.1}%",
            "all users",
            "",
            tested as u64,
            right / tested * 100.0,
            f1_sum / f64::from(evaluated),
            applied / tested * 100.0,
            if applied > 0.0 { applied_right / applied * 100.0 } else { 0.0 }
        );
    }
    let _ = writeln!(
        out,
        "\naccuracy: top prediction right; coverage: share predicted at or above the threshold (applied\nwithout review); acc.≥thresh: accuracy among those; macro-F1: mean over categories."
    );
    Ok(out)
}
