//! Which rows of a file Manna already has: matched against the account's existing rows
//! (from Plaid, an earlier import, or typed by hand) before anything is written.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// A row of the file being imported. `normalized` is [`super::normalize_description`]'s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Its position in the file's rows; echoed in its [`Decision`].
    pub index: usize,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub normalized: String,
    pub fitid: Option<String>,
}

/// A row the account already has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Existing {
    pub id: Uuid,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub normalized: String,
    /// The FITID an earlier OFX/QFX import stored, if any.
    pub fitid: Option<String>,
    /// `"plaid"`, `"import"` or `"manual"`; shown to the person, not used for matching.
    pub source: String,
}

/// Why a candidate is or is not a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DuplicateReason {
    /// An existing row has the same FITID (the bank's own id for the transaction).
    SameFitid,
    /// Same date, same amount, similar description.
    SameDayAmountDescription,
    /// Same amount and similar description, `days` apart (within the window).
    NearDateAmountDescription { days: i64 },
    /// The same FITID came earlier in this very file (overlapping statements in one
    /// download): the first one stands for both.
    AlsoInThisFile,
    /// Nothing matches: import it.
    New,
}

/// The verdict on one candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub index: usize,
    /// The existing row it repeats; `None` for [`DuplicateReason::New`] and
    /// [`DuplicateReason::AlsoInThisFile`].
    pub duplicate_of: Option<Uuid>,
    pub reason: DuplicateReason,
}

/// The widest window [`duplicates`] honours.
pub const MAX_WINDOW_DAYS: i64 = 366;

fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or_default()
}

/// Whether two normalized descriptions name the same payee: equal, one a word-prefix of
/// the other (`"starbucks"` / `"starbucks seattle wa"`), or the same first word of at
/// least four letters (`"amazon mktp"` / `"amazon com"`).
pub fn similar_descriptions(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let word_prefix = !short.is_empty() && long.strip_prefix(short).is_some_and(|rest| rest.starts_with(' '));
    let first = first_word(a);
    let shared_first = first.chars().filter(|c| c.is_alphabetic()).count() >= 4 && first == first_word(b);
    word_prefix || shared_first
}

/// Decides, for each candidate in order, whether the account already has it.
///
/// The caller passes the existing rows of the same account only. A FITID match wins; a
/// FITID repeated within the file is [`DuplicateReason::AlsoInThisFile`]. Otherwise a
/// candidate repeats an existing row with an equal amount, a date at most `window_days`
/// away and a similar description — unless both rows carry different FITIDs (banks keep
/// FITIDs stable, so those are two transactions). Each existing row is taken at most
/// once, closest dates first, then file order; so two identical rows in one file (two
/// coffees on one day) are both new unless the account has two such rows already.
/// `window_days` is clamped to `0..=366`. Deterministic; memory linear in the rows.
pub fn duplicates(new: &[Candidate], existing: &[Existing], window_days: i64) -> Vec<Decision> {
    let window = window_days.clamp(0, MAX_WINDOW_DAYS);
    let mut decided: Vec<Option<(Option<Uuid>, DuplicateReason)>> = vec![None; new.len()];
    let mut used = vec![false; existing.len()];

    let mut by_fitid: HashMap<&str, usize> = HashMap::new();
    for (i, row) in existing.iter().enumerate() {
        if let Some(fitid) = row.fitid.as_deref().filter(|f| !f.is_empty()) {
            by_fitid.entry(fitid).or_insert(i);
        }
    }
    let mut seen_fitids: HashMap<&str, usize> = HashMap::new();
    for (slot, candidate) in decided.iter_mut().zip(new) {
        let Some(fitid) = candidate.fitid.as_deref().filter(|f| !f.is_empty()) else { continue };
        if seen_fitids.insert(fitid, candidate.index).is_some() {
            *slot = Some((None, DuplicateReason::AlsoInThisFile));
        } else if let Some(&i) = by_fitid.get(fitid)
            && let Some(flag) = used.get_mut(i)
            && !*flag
        {
            *flag = true;
            *slot = Some((existing.get(i).map(|e| e.id), DuplicateReason::SameFitid));
        }
    }

    // Similar descriptions always share their first word, so rows are bucketed by amount,
    // date and first word; memory stays linear however alike the rows are.
    let mut buckets: HashMap<(Decimal, NaiveDate, &str), Vec<usize>> = HashMap::new();
    for (i, row) in existing.iter().enumerate() {
        buckets.entry((row.amount.normalize(), row.date, first_word(&row.normalized))).or_default().push(i);
    }
    for bucket in buckets.values_mut() {
        bucket.sort_by_key(|&i| existing.get(i).map(|e| e.id));
    }
    // Closest dates first; at one distance, candidates in file order, and each takes the
    // earliest-dated (then lowest id) free row: a greedy matching, deterministic.
    for days in 0..=window {
        for (slot, candidate) in decided.iter_mut().zip(new) {
            if slot.is_some() {
                continue;
            }
            let span = chrono::Days::new(days.unsigned_abs());
            let earlier = candidate.date.checked_sub_days(span);
            let later = candidate.date.checked_add_days(span).filter(|_| days > 0);
            let key = |date: NaiveDate| (candidate.amount.normalize(), date, first_word(&candidate.normalized));
            let found = [earlier, later].into_iter().flatten().find_map(|date| {
                buckets.get(&key(date))?.iter().copied().find(|&e| {
                    let Some(row) = existing.get(e) else { return false };
                    let other_transaction = matches!((&candidate.fitid, &row.fitid), (Some(a), Some(b)) if a != b);
                    !used.get(e).copied().unwrap_or(true)
                        && !other_transaction
                        && similar_descriptions(&candidate.normalized, &row.normalized)
                })
            });
            let Some(e) = found else { continue };
            if let Some(flag) = used.get_mut(e) {
                *flag = true;
            }
            let reason = if days == 0 {
                DuplicateReason::SameDayAmountDescription
            } else {
                DuplicateReason::NearDateAmountDescription { days }
            };
            *slot = Some((existing.get(e).map(|row| row.id), reason));
        }
    }

    new.iter()
        .zip(decided)
        .map(|(candidate, verdict)| {
            let (duplicate_of, reason) = verdict.unwrap_or((None, DuplicateReason::New));
            Decision { index: candidate.index, duplicate_of, reason }
        })
        .collect()
}

#[cfg(test)]
#[path = "duplicates_tests.rs"]
mod tests;
