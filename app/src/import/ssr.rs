//! The import's server side, shared by the server functions and `manna import`: read a
//! file, match it against the account, write the batch (one transaction), undo it.

use super::{Batch, Imported, Preview, PreviewRow};
use crate::auth::ssr::{actor, pool, require_user, require_user_tx};
use crate::categorize::ssr as categorize;
use crate::data::imports::{self, ImportPredictions, ImportRows, ImportTarget, NewBatch, TargetAccount};
use crate::data::predictions::Unpredicted;
use crate::data::rules::{self, Candidate};
use crate::data::{DbError, audit, categories, user_tx};
use crate::error::AppError;
use manna_core::import::{
    self as core, CsvGuess, Decision, DuplicateReason, Existing, Format, ParseOptions, QifOptions, Statement,
};
use manna_core::rules::Rule;
use serde_json::json;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use uuid::Uuid;

/// Days either side of a row's date in which an existing row with the same amount and
/// a similar description counts as the same transaction.
pub const DUPLICATE_WINDOW_DAYS: i64 = 3;

fn invalid(e: core::ImportError) -> AppError {
    AppError::Invalid(e.to_string())
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    id.trim().parse().map_err(|_| AppError::NotFound)
}

fn decode_content(content: &str) -> Result<Vec<u8>, AppError> {
    use base64::Engine;
    if content.len() > core::MAX_FILE_BYTES / 3 * 4 + 4 {
        return Err(invalid(core::ImportError::TooLarge { limit: core::MAX_FILE_BYTES }));
    }
    base64::engine::general_purpose::STANDARD
        .decode(content.trim())
        .map_err(|_| AppError::Invalid("the file did not arrive intact; please choose it again".into()))
}

/// How to read the file: as the caller says, else detected (a CSV with the account's
/// saved mapping, or a guess; a QIF with the date order it shows).
pub fn read(
    file_name: &str,
    bytes: &[u8],
    options: Option<ParseOptions>,
    saved: Option<&serde_json::Value>,
) -> Result<(Statement, ParseOptions, Option<CsvGuess>), AppError> {
    if bytes.len() > core::MAX_FILE_BYTES {
        return Err(invalid(core::ImportError::TooLarge { limit: core::MAX_FILE_BYTES }));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(invalid(core::ImportError::Empty));
    }
    let (options, guess) = match options {
        Some(o) => (o, None),
        None => match core::detect_named(file_name, bytes) {
            Some(Format::Ofx) => (ParseOptions::Ofx, None),
            Some(Format::Qfx) => (ParseOptions::Qfx, None),
            Some(Format::Qif) => {
                let (text, _) = core::decode_text(bytes);
                let date_order = core::guess_date_order(&text).unwrap_or(QifOptions::default().date_order);
                let decimal_comma = core::qif::guess_decimal_comma(&text).unwrap_or(false);
                (ParseOptions::Qif(QifOptions { date_order, decimal_comma }), None)
            }
            Some(Format::Csv) => {
                let (text, _) = core::decode_text(bytes);
                let guess = core::guess_mapping(&text).map_err(invalid)?;
                let saved = saved.and_then(|m| serde_json::from_value::<core::CsvMapping>(m.clone()).ok());
                (ParseOptions::Csv(saved.unwrap_or_else(|| guess.mapping.clone())), Some(guess))
            }
            None => return Err(invalid(core::ImportError::NotRecognized)),
        },
    };
    let statement = core::parse_file(bytes, &options).map_err(invalid)?;
    if statement.rows.is_empty() {
        return Err(match statement.errors.first() {
            Some(e) => AppError::Invalid(format!("no transaction could be read; {e}")),
            None => AppError::Invalid("the file has no transactions".into()),
        });
    }
    Ok((statement, options, guess))
}

/// The duplicate decision for every row, and where each matched row came from.
pub async fn match_rows(
    conn: &mut PgConnection,
    user_id: Uuid,
    account: Uuid,
    statement: &Statement,
) -> Result<(Vec<Decision>, HashMap<Uuid, String>), AppError> {
    let (Some(first), Some(last)) =
        (statement.rows.iter().map(|r| r.date).min(), statement.rows.iter().map(|r| r.date).max())
    else {
        return Ok((Vec::new(), HashMap::new()));
    };
    let window = chrono::Duration::days(DUPLICATE_WINDOW_DAYS);
    let rows = imports::existing(conn, user_id, account, first - window, last + window).await?;
    let sources: HashMap<Uuid, String> = rows.iter().map(|r| (r.id, r.source.clone())).collect();
    let existing: Vec<Existing> = rows
        .into_iter()
        .map(|r| Existing {
            id: r.id,
            date: r.date,
            amount: r.amount,
            normalized: core::normalize_description(r.merchant_name.as_deref().unwrap_or(&r.name)),
            fitid: r.import_hash.and_then(|h| h.strip_prefix("fitid:").map(str::to_string)),
            source: r.source,
        })
        .collect();
    let candidates = statement.candidates();
    Ok((core::duplicates(&candidates, &existing, DUPLICATE_WINDOW_DAYS), sources))
}

/// Whether the preview imports a row before the user flips it.
fn imported_by_default(reason: DuplicateReason) -> bool {
    matches!(reason, DuplicateReason::New)
}

pub async fn preview(account: &str, file_name: &str, content: &str, options: &str) -> Result<Preview, AppError> {
    let user = require_user().await?;
    let account_id = parse_id(account)?;
    let options = parse_options(options)?;
    let bytes = decode_content(content)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let target = imports::target_account(&mut tx, user.user_id, account_id).await?;
    let (statement, options, guess) = read(file_name, &bytes, options, target.import_mapping.as_ref())?;
    let (decisions, sources) = match_rows(&mut tx, user.user_id, account_id, &statement).await?;
    let rows: Vec<PreviewRow> = decisions
        .iter()
        .filter_map(|d| {
            let r = statement.rows.get(d.index)?;
            Some(PreviewRow {
                index: d.index,
                line: r.line,
                date: r.date,
                amount: r.amount,
                description: r.description.clone(),
                reason: d.reason,
                duplicate_of: d.duplicate_of,
                duplicate_source: d.duplicate_of.and_then(|id| sources.get(&id).cloned()),
                import: imported_by_default(d.reason),
            })
        })
        .collect();
    let new_rows = rows.iter().filter(|r| r.import).count();
    Ok(Preview {
        account_id,
        account: target.name,
        format: statement.format.as_str().into(),
        format_label: statement.format.label().into(),
        options,
        guess,
        duplicates: rows.len() - new_rows,
        new_rows,
        rows,
        errors: statement.errors,
        ledger_balance: statement.ledger_balance,
    })
}

fn parse_options(options: &str) -> Result<Option<ParseOptions>, AppError> {
    if options.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(options)
        .map(Some)
        .map_err(|e| AppError::Invalid(format!("the import settings are not usable: {e}")))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Rows per insert statement. A large import is written in parts so that while the
/// database writes one part, another core prepares the next (rules, the model's
/// predictions, encoding the statement): a 100,000-row file spent about 0.7 s of its
/// ~4 s (1.4 s more with a model to ask) preparing before its single statement could
/// start. Each statement adds a round trip and per-statement checks, so the parts are
/// large, except the first, which nothing can overlap.
const ROWS_PER_STATEMENT: usize = 25_000;
const ROWS_IN_FIRST_STATEMENT: usize = 2_500;

/// The parts of `rows` rows, in order: a small first one, then full ones.
fn part_ranges(rows: usize) -> impl Iterator<Item = Range<usize>> {
    let first = ROWS_IN_FIRST_STATEMENT.min(rows);
    std::iter::once(0..first)
        .filter(|r| !r.is_empty())
        .chain((first..rows).step_by(ROWS_PER_STATEMENT).map(move |from| from..(from + ROWS_PER_STATEMENT).min(rows)))
}

/// Writes one batch: the rows to import (the preview's decisions, with `flip`ped
/// indexes reversed), categorized by the file's category names where they match the
/// user's, then by rules and the model. Runs in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn write(
    conn: &mut PgConnection,
    user_id: Uuid,
    target: &TargetAccount,
    file_name: &str,
    bytes: &[u8],
    statement: Statement,
    options: &ParseOptions,
    decisions: &[Decision],
    flip: &[usize],
) -> Result<Imported, AppError> {
    let by_name: HashMap<String, Uuid> =
        categories::visible(conn, user_id, false).await?.into_iter().map(|c| (c.name.to_lowercase(), c.id)).collect();
    let mut duplicates = 0;
    let mut chosen = Vec::with_capacity(decisions.len());
    for d in decisions {
        if d.index >= statement.rows.len() {
            continue;
        }
        if imported_by_default(d.reason) == flip.contains(&d.index) {
            duplicates += 1;
            continue;
        }
        chosen.push(d.index);
    }
    // In date order with time-ordered ids: consecutive rows land on the same index pages
    // (most indexes lead with the user or account, then the date), a third less work
    // for a large file than the file's own order.
    chosen.sort_by_key(|&i| statement.rows[i].date);
    let rules = categorize::compiled_rules(conn, user_id).await?;
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let mapping = match options {
        ParseOptions::Csv(m) => serde_json::to_value(m).ok(),
        _ => None,
    };
    let added = chosen.len();
    let failed = statement.errors.len();
    // Time-ordered, and chosen before the batch is written: the batch records their
    // range, which is where its rows are found again (undo).
    let ids: Vec<Uuid> = (0..added).map(|_| Uuid::now_v7()).collect();
    let row_ids = ids.iter().min().copied().zip(ids.iter().max().copied());
    let batch = imports::insert_batch(
        conn,
        user_id,
        &NewBatch {
            account: target.id,
            file_name: file_name.trim(),
            format: statement.format.as_str(),
            file_sha256: &sha256_hex(bytes),
            rows_in_file: count(statement.rows.len() + failed),
            rows_added: count(added),
            rows_duplicate: count(duplicates),
            rows_failed: count(failed),
            mapping: mapping.clone(),
            row_ids,
        },
    )
    .await?;
    let model = if added > 0 { Some(categorize::model_for(conn, user_id).await?) } else { None };
    imports::prepare_bulk_insert(conn, added).await?;
    let parts = Arc::new(Parts {
        statement,
        chosen,
        ids,
        by_name,
        rules,
        model,
        to: ImportTarget { user_id, account: target.id, currency: target.currency.clone(), batch },
        is_business: target.is_business,
    });
    let prepare = |range: Range<usize>| {
        let parts = parts.clone();
        tokio::task::spawn_blocking(move || parts.prepare(range))
    };
    let mut ranges = part_ranges(added);
    let mut next = ranges.next().map(prepare);
    let mut matches: HashMap<Uuid, i64> = HashMap::new();
    while let Some(preparing) = next.take() {
        let part = preparing.await.map_err(|e| {
            tracing::error!("preparing an import's rows failed: {e}");
            AppError::Internal
        })?;
        next = ranges.next().map(prepare);
        part.insert.execute(&mut *conn).await.map_err(DbError::from)?;
        for (rule, n) in part.matches {
            *matches.entry(rule).or_default() += n;
        }
    }
    rules::record_matches(conn, user_id, &matches.into_iter().collect::<Vec<_>>()).await?;
    if let Some(m) = &mapping {
        imports::save_mapping(conn, user_id, target.id, m).await?;
    }
    Ok(Imported { batch, added, duplicates, failed })
}

/// What every part of an import needs to prepare its rows, shared with the threads
/// that prepare them.
struct Parts {
    statement: Statement,
    /// Indexes into `statement.rows` of the rows to import, in date order.
    chosen: Vec<usize>,
    /// The id of each chosen row.
    ids: Vec<Uuid>,
    /// The user's categories by lowercased name, for a file's category column.
    by_name: HashMap<String, Uuid>,
    rules: Vec<Rule>,
    model: Option<Arc<categorize::Trained>>,
    to: ImportTarget,
    is_business: bool,
}

/// One part's insert statement, ready to run, with its rule matches.
struct PreparedPart {
    insert: sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments>,
    matches: Vec<(Uuid, i64)>,
}

impl Parts {
    /// The rows `range` of `chosen` as columns, with what the file, rules and the model
    /// decided: pure work, no I/O.
    fn prepare(&self, range: Range<usize>) -> PreparedPart {
        let mut rows = ImportRows::default();
        for (&index, &id) in self.chosen[range.clone()].iter().zip(&self.ids[range]) {
            let r = &self.statement.rows[index];
            let category = r.category.as_ref().and_then(|c| self.by_name.get(&c.trim().to_lowercase()).copied());
            rows.ids.push(id);
            rows.dates.push(r.date);
            rows.amounts.push(r.amount);
            rows.names.push(r.description.chars().take(500).collect());
            rows.merchants.push(r.merchant.as_ref().map(|m| m.chars().take(200).collect()));
            rows.notes.push(r.memo.as_ref().map(|m| m.chars().take(2000).collect()));
            rows.hashes.push(r.fitid.as_ref().map(|f| format!("fitid:{f}")));
            rows.categories.push(category);
            rows.category_sources.push(category.map(|_| "import"));
            rows.rules.push(None);
            rows.predictions.push(None);
            rows.business.push(self.is_business);
            rows.deductible.push(false);
            rows.tags.push(String::new());
            rows.types.push(manna_core::bank_sync::transaction_type(r.amount));
        }
        // Rules run here, on the rows in memory, so each row is written once with what
        // they decided (an UPDATE afterwards would write every matched row and its
        // indexes twice).
        let matches = apply_rules(&self.rules, self.to.account, &mut rows);
        let predicted = match &self.model {
            Some(model) => predict(model, self.to.account, &mut rows),
            None => ImportPredictions::default(),
        };
        PreparedPart { insert: imports::insert_rows(&self.to, rows, predicted), matches }
    }
}

/// Where each row id stands in the columns of an [`ImportRows`].
fn positions(ids: &[Uuid]) -> HashMap<Uuid, usize> {
    ids.iter().enumerate().map(|(i, id)| (*id, i)).collect()
}

/// Runs the user's rules over the rows about to be imported, as over any new
/// transaction: a category lands only where the file named none. Returns the match
/// count per rule.
fn apply_rules(rule_set: &[Rule], account: Uuid, rows: &mut ImportRows) -> Vec<(Uuid, i64)> {
    if rule_set.is_empty() {
        return vec![];
    }
    let candidates: Vec<Candidate> = (0..rows.ids.len())
        .map(|i| Candidate {
            id: rows.ids[i],
            date: rows.dates[i],
            amount: rows.amounts[i],
            name: rows.names[i].clone(),
            merchant_name: rows.merchants[i].clone(),
            account_id: account,
            category_id: rows.categories[i],
            is_business: rows.business[i],
            tax_deductible: rows.deductible[i],
            tags: vec![],
        })
        .collect();
    let (changes, matches) = categorize::rule_changes(rule_set, &candidates, true);
    let position = positions(&rows.ids);
    for (k, id) in changes.ids.iter().enumerate() {
        let Some(&i) = position.get(id) else { continue };
        if let Some(category) = changes.categories[k] {
            rows.categories[i] = Some(category);
            rows.category_sources[i] = Some("rule");
            rows.rules[i] = changes.rules[k];
        }
        if let Some(business) = changes.business[k] {
            rows.business[i] = business;
        }
        if let Some(deductible) = changes.deductible[k] {
            rows.deductible[i] = deductible;
        }
        if let Some(merchant) = &changes.merchants[k] {
            rows.merchants[i] = Some(merchant.clone());
        }
        rows.tags[i].clone_from(&changes.tags[k]);
    }
    matches
}

/// The model's predictions for the rows neither the file nor a rule categorized, as for
/// any new transaction; each row is linked to its prediction (and takes its category
/// when confident) before it is written.
fn predict(model: &categorize::Trained, account: Uuid, rows: &mut ImportRows) -> ImportPredictions {
    let unfiled: Vec<Unpredicted> = (0..rows.ids.len())
        .filter(|&i| rows.categories[i].is_none())
        .map(|i| Unpredicted {
            id: rows.ids[i],
            date: rows.dates[i],
            amount: rows.amounts[i],
            name: rows.names[i].clone(),
            merchant_name: rows.merchants[i].clone(),
            account_id: account,
        })
        .collect();
    if unfiled.is_empty() {
        return ImportPredictions::default();
    }
    let predicted = categorize::predictions_from(model, &unfiled);
    let position = positions(&rows.ids);
    let mut ids = Vec::with_capacity(predicted.len());
    for p in &predicted {
        let id = Uuid::now_v7();
        ids.push(id);
        let Some(&i) = position.get(&p.transaction_id) else { continue };
        rows.predictions[i] = Some(id);
        if p.apply {
            rows.categories[i] = Some(p.category_id);
            rows.category_sources[i] = Some("ml");
        }
    }
    ImportPredictions { model_version: model.version_label(), ids, rows: predicted }
}

pub async fn import(
    account: &str,
    file_name: &str,
    content: &str,
    options: &str,
    flip: &[usize],
) -> Result<Imported, AppError> {
    let user = require_user().await?;
    let account_id = parse_id(account)?;
    if file_name.trim().is_empty() {
        return Err(AppError::Invalid("the file has no name".into()));
    }
    let options = parse_options(options)?;
    let bytes = decode_content(content)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let target = imports::target_account(&mut tx, user.user_id, account_id).await?;
    let (statement, options, _) = read(file_name, &bytes, options, target.import_mapping.as_ref())?;
    let (decisions, _) = match_rows(&mut tx, user.user_id, account_id, &statement).await?;
    let format = statement.format.as_str();
    let imported =
        write(&mut tx, user.user_id, &target, file_name, &bytes, statement, &options, &decisions, flip).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("import.created", "import_batch", Some(imported.batch))
            .impact(audit::Impact::Medium)
            .new_values(json!({
                "account": account_id, "file": file_name, "format": format,
                "added": imported.added, "duplicates": imported.duplicates, "failed": imported.failed,
            })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    if imported.added >= imports::DEFER_INDEX_MERGE_FROM {
        let pool = pool()?;
        tokio::spawn(async move {
            if let Err(e) = imports::merge_pending_index_entries(&pool).await {
                tracing::warn!("merging an import's search-index entries failed (autovacuum will): {e}");
            }
        });
    }
    Ok(imported)
}

pub async fn batches() -> Result<Vec<Batch>, AppError> {
    let (user, mut tx) = require_user_tx(None).await?;
    Ok(imports::batches(&mut tx, user.user_id, 50)
        .await?
        .into_iter()
        .map(|b| Batch {
            id: b.id,
            account_id: b.account_id,
            account: b.account_name,
            file_name: b.file_name,
            format: b.format,
            rows_in_file: b.rows_in_file,
            added: b.rows_added,
            duplicates: b.rows_duplicate,
            failed: b.rows_failed,
            undone: b.undone_at.is_some(),
            created_at: b.created_at,
        })
        .collect())
}

pub async fn undo(batch: &str) -> Result<u64, AppError> {
    let user = require_user().await?;
    let batch = parse_id(batch)?;
    let mut tx = user_tx(&pool()?, user.user_id).await?;
    let removed = imports::undo(&mut tx, user.user_id, batch).await?;
    audit::record(
        &mut tx,
        &actor(Some(user)).await,
        audit::Entry::new("import.undone", "import_batch", Some(batch))
            .impact(audit::Impact::Medium)
            .old(json!({ "rows_removed": removed })),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_every_row_once_in_order_with_a_small_first_part() {
        assert_eq!(part_ranges(0).count(), 0);
        assert_eq!(part_ranges(3).collect::<Vec<_>>(), vec![0..3]);
        assert_eq!(part_ranges(ROWS_IN_FIRST_STATEMENT).collect::<Vec<_>>(), vec![0..ROWS_IN_FIRST_STATEMENT]);
        for rows in [ROWS_IN_FIRST_STATEMENT + 1, 25_001, 100_000, 123_457] {
            let all: Vec<Range<usize>> = part_ranges(rows).collect();
            assert_eq!(all[0], 0..ROWS_IN_FIRST_STATEMENT);
            assert!(all.windows(2).all(|w| w[0].end == w[1].start), "{all:?}");
            assert_eq!(all.last().map(|r| r.end), Some(rows));
            assert!(all.iter().all(|r| !r.is_empty() && r.len() <= ROWS_PER_STATEMENT), "{all:?}");
        }
    }
}
