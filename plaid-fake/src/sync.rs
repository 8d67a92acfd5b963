//! `/transactions/sync` over each item's append-only change log.
//!
//! A cursor names a position in the log and the snapshot (log length) of the run it
//! belongs to. A call at the end of its run (or without a cursor) starts a new run whose
//! snapshot is the log's current length; a call inside a run fails with
//! TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION once the log has grown past the snapshot.

use crate::errors::PlaidError;
use crate::fake_state::FakeState;
use crate::plaid_api::parse;
use crate::state::Event;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

const DEFAULT_COUNT: i64 = 100;
const MAX_COUNT: i64 = 500;

pub(crate) fn encode_cursor(item_id: &str, position: usize, snapshot: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1.{item_id}.{position}.{snapshot}"))
}

/// `(position, snapshot)` of a cursor issued for this item.
pub(crate) fn decode_cursor(cursor: &str, item_id: &str) -> Result<(usize, usize), PlaidError> {
    let invalid =
        || PlaidError::invalid_field("cursor is not valid for this item; use a next_cursor this item returned");
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.split('.');
    let (Some("v1"), Some(id), Some(position), Some(snapshot), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if id != item_id {
        return Err(invalid());
    }
    let position = position.parse::<usize>().map_err(|_| invalid())?;
    let snapshot = snapshot.parse::<usize>().map_err(|_| invalid())?;
    if position > snapshot {
        return Err(invalid());
    }
    Ok((position, snapshot))
}

#[derive(Deserialize)]
struct SyncRequest {
    access_token: String,
    cursor: Option<String>,
    count: Option<i64>,
    #[allow(dead_code)]
    options: Option<Value>,
}

pub(crate) fn transactions_sync(state: &Arc<FakeState>, request: &Value) -> Result<Value, PlaidError> {
    let r: SyncRequest = parse(request)?;
    let mut inner = state.lock();
    let item = inner.item_for_token(&r.access_token)?;
    if item.login_required {
        return Err(PlaidError::item_login_required());
    }
    let item_id = item.item_id.clone();
    let count = r.count.unwrap_or(DEFAULT_COUNT);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(PlaidError::invalid_field(format!("count must be between 1 and {MAX_COUNT}, not {count}")));
    }
    let count = usize::try_from(count).unwrap_or(1);
    let cursor = r.cursor.unwrap_or_default();
    let decoded = if cursor.is_empty() { None } else { Some(decode_cursor(&cursor, &item_id)?) };

    if item.not_ready_calls > 0 {
        item.not_ready_calls -= 1;
        return Ok(json!({
            "added": [], "modified": [], "removed": [],
            "next_cursor": "", "has_more": false,
            "transactions_update_status": "NOT_READY",
            "accounts": item.accounts_json(),
        }));
    }

    let (position, snapshot) = match decoded {
        // A continuing call of a run.
        Some((position, snapshot)) if position < snapshot => {
            if item.arm_mutation {
                item.arm_mutation = false;
                inner.add_generated(&item_id, 1, false)?;
            }
            let log_len = inner.item(&item_id)?.log.len();
            if snapshot > log_len {
                return Err(PlaidError::invalid_field("cursor is not valid for this item"));
            }
            if log_len > snapshot {
                return Err(PlaidError::mutation_during_pagination());
            }
            (position, snapshot)
        }
        // A new run: from the start, or from the end of the previous run.
        other => {
            let position = other.map_or(0, |(position, _)| position);
            let log_len = item.log.len();
            if position > log_len {
                return Err(PlaidError::invalid_field("cursor is not valid for this item"));
            }
            (position, log_len)
        }
    };

    let item = inner.item(&item_id)?;
    let end = (position + count).min(snapshot);
    let (mut added, mut modified, mut removed) = (Vec::new(), Vec::new(), Vec::new());
    for event in &item.log[position..end] {
        match event {
            Event::Added(t) => added.push(t.clone()),
            Event::Modified(t) => modified.push(t.clone()),
            Event::Removed { transaction_id, account_id } => {
                removed.push(json!({ "transaction_id": transaction_id, "account_id": account_id }))
            }
        }
    }
    Ok(json!({
        "added": added,
        "modified": modified,
        "removed": removed,
        "next_cursor": encode_cursor(&item_id, end, snapshot),
        "has_more": end < snapshot,
        "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
        "accounts": item.accounts_json(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_item() {
        let c = encode_cursor("abc", 3, 7);
        assert_eq!(decode_cursor(&c, "abc"), Ok((3, 7)));
        assert_eq!(decode_cursor(&c, "xyz").map_err(|e| e.error_code), Err("INVALID_FIELD"));
        assert!(decode_cursor("not a cursor!", "abc").is_err());
        assert!(decode_cursor(&encode_cursor("abc", 8, 7), "abc").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("v1.abc.1.2.3"), "abc").is_err());
    }
}
