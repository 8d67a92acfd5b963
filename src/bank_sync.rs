//! What one bank sync run changes: the pages of `/transactions/sync` folded into one
//! change set, and Plaid's amounts turned into Manna's sign.
//!
//! A run's pages are applied in one database transaction, so only their net effect
//! matters: a row added on page 1 and modified on page 3 is one upsert with the page 3
//! values; a row added and then removed in the same run is never written.

use rust_decimal::Decimal;
use std::collections::HashMap;

/// A bank row with an id of its own (Plaid's `transaction_id`).
pub trait BankRow {
    fn bank_id(&self) -> &str;
}

/// One page of a sync run, in Plaid's order: added, modified, removed ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub added: Vec<T>,
    pub modified: Vec<T>,
    pub removed: Vec<String>,
}

/// The net effect of a run: rows to insert or update (latest values, in first-seen
/// order), and ids to delete. An id is never in both.
#[derive(Debug, Clone, PartialEq)]
pub struct Changes<T> {
    pub upserts: Vec<T>,
    pub removed: Vec<String>,
}

impl<T> Default for Changes<T> {
    fn default() -> Self {
        Changes { upserts: Vec::new(), removed: Vec::new() }
    }
}

/// Folds a run's pages, in order, into their net effect.
pub fn fold<T: BankRow>(pages: impl IntoIterator<Item = Page<T>>) -> Changes<T> {
    // id → (first-seen position, latest row or None when removed last)
    let mut latest: HashMap<String, (usize, Option<T>)> = HashMap::new();
    let mut next = 0usize;
    let mut touch =
        |latest: &mut HashMap<String, (usize, Option<T>)>, id: String, row: Option<T>| match latest.get_mut(&id) {
            Some(slot) => slot.1 = row,
            None => {
                latest.insert(id, (next, row));
                next += 1;
            }
        };
    for page in pages {
        for row in page.added.into_iter().chain(page.modified) {
            let id = row.bank_id().to_string();
            touch(&mut latest, id, Some(row));
        }
        for id in page.removed {
            touch(&mut latest, id, None);
        }
    }
    let mut ordered: Vec<(usize, String, Option<T>)> =
        latest.into_iter().map(|(id, (at, row))| (at, id, row)).collect();
    ordered.sort_by_key(|(at, _, _)| *at);
    let mut changes = Changes::default();
    for (_, id, row) in ordered {
        match row {
            Some(row) => changes.upserts.push(row),
            None => changes.removed.push(id),
        }
    }
    changes
}

/// Plaid: positive = money out of the account. Manna: positive = money in. Converted
/// here, once, for every amount a bank sends.
pub fn manna_amount(plaid_amount: Decimal) -> Decimal {
    -plaid_amount
}

/// The ledger kind of a new bank row: money in is income, money out an expense. Bank
/// transfers stay income/expense until the user matches the two legs into a transfer.
pub fn transaction_type(manna_amount: Decimal) -> &'static str {
    if manna_amount > Decimal::ZERO { "income" } else { "expense" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Row {
        id: String,
        version: u32,
    }

    impl BankRow for Row {
        fn bank_id(&self) -> &str {
            &self.id
        }
    }

    fn row(id: &str, version: u32) -> Row {
        Row { id: id.into(), version }
    }

    #[test]
    fn later_pages_win_and_removals_cancel_additions() {
        let pages = vec![
            Page { added: vec![row("a", 1), row("b", 1), row("c", 1)], modified: vec![], removed: vec![] },
            Page { added: vec![row("d", 1)], modified: vec![row("a", 2)], removed: vec!["b".into(), "x".into()] },
        ];
        let changes = fold(pages);
        assert_eq!(changes.upserts, vec![row("a", 2), row("c", 1), row("d", 1)]);
        assert_eq!(changes.removed, vec!["b".to_string(), "x".to_string()]);
    }

    #[test]
    fn the_sign_flips_once() {
        assert_eq!(manna_amount(Decimal::new(1234, 2)), Decimal::new(-1234, 2));
        assert_eq!(manna_amount(Decimal::new(-500, 2)), Decimal::new(500, 2));
        assert_eq!(transaction_type(Decimal::new(500, 2)), "income");
        assert_eq!(transaction_type(Decimal::new(-500, 2)), "expense");
    }

    #[derive(Debug, Clone)]
    enum Event {
        Upsert(u8, u32),
        Remove(u8),
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![(0u8..12, 0u32..100).prop_map(|(i, v)| Event::Upsert(i, v)), (0u8..12).prop_map(Event::Remove)]
    }

    proptest! {
        /// Folding the pages equals applying every event in order to a table.
        #[test]
        fn fold_equals_sequential_application(events in prop::collection::vec(event(), 0..60), page_size in 1usize..8) {
            let mut table: HashMap<String, u32> = HashMap::new();
            let mut seen_removed: std::collections::HashSet<String> = Default::default();
            for e in &events {
                match e {
                    Event::Upsert(i, v) => { table.insert(i.to_string(), *v); }
                    Event::Remove(i) => { table.remove(&i.to_string()); seen_removed.insert(i.to_string()); }
                }
            }
            let pages: Vec<Page<Row>> = events.chunks(page_size).map(|chunk| {
                // Within a page Plaid lists added/modified before removed: keep the order
                // honest by putting each event in its own page when they would reorder.
                let mut page = Page { added: vec![], modified: vec![], removed: vec![] };
                for e in chunk {
                    match e {
                        Event::Upsert(i, v) => page.added.push(row(&i.to_string(), *v)),
                        Event::Remove(i) => page.removed.push(i.to_string()),
                    }
                }
                page
            }).collect();
            // Reference for the paged order: upserts of a page before its removals.
            let mut paged: HashMap<String, u32> = HashMap::new();
            for p in &pages {
                for r in &p.added { paged.insert(r.id.clone(), r.version); }
                for id in &p.removed { paged.remove(id); }
            }
            let changes = fold(pages);
            let upserted: HashMap<String, u32> = changes.upserts.iter().map(|r| (r.id.clone(), r.version)).collect();
            prop_assert_eq!(upserted.len(), changes.upserts.len(), "one upsert per id");
            prop_assert_eq!(&upserted, &paged);
            for id in &changes.removed {
                prop_assert!(!upserted.contains_key(id));
                prop_assert!(seen_removed.contains(id));
            }
            if page_size == 1 {
                prop_assert_eq!(&upserted, &table);
            }
        }
    }
}
