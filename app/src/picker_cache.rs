//! The ledger's pickers (a user's accounts and categories), kept in the server's memory.
//!
//! The transactions and rules pages read them on every render and they change rarely;
//! reading them cost a render four database round trips. A copy is kept per user under
//! the version the database bumps on every change to what they show (migration 29),
//! which the session check reads along with the session: a request uses the copy only
//! when its version is the one the request saw, so it is never older than the
//! request's own view of the database, whoever made the change.

use crate::accounts::PickerChoices;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The most users kept; past it, one is dropped for each new one (a miss only costs
/// a read).
const MOST_USERS: usize = 2048;

/// A user's pickers and the version they were read at (or after).
type Kept = (i64, Arc<PickerChoices>);

/// Shared by every request of one server (provided through context).
#[derive(Clone, Default)]
pub struct PickerCache(Arc<Mutex<HashMap<Uuid, Kept>>>);

impl PickerCache {
    /// The user's pickers, if kept at exactly `version`.
    pub fn get(&self, user_id: Uuid, version: i64) -> Option<Arc<PickerChoices>> {
        let kept = self.0.lock().ok()?;
        kept.get(&user_id).filter(|(v, _)| *v == version).map(|(_, c)| c.clone())
    }

    /// Keeps `choices`, read after the request saw `version` (so at least that new).
    pub fn put(&self, user_id: Uuid, version: i64, choices: Arc<PickerChoices>) {
        let Ok(mut kept) = self.0.lock() else { return };
        if kept.len() >= MOST_USERS && !kept.contains_key(&user_id) {
            let some = kept.keys().next().copied();
            if let Some(some) = some {
                kept.remove(&some);
            }
        }
        kept.insert(user_id, (version, choices));
    }

    /// How many users are kept.
    pub fn len(&self) -> usize {
        self.0.lock().map(|k| k.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(name: &str) -> Arc<PickerChoices> {
        Arc::new(PickerChoices {
            accounts: vec![crate::accounts::PickerAccount {
                id: Uuid::nil(),
                name: name.into(),
                kind: manna_core::AccountKind::Depository,
                is_business: false,
                currency: manna_core::Currency::USD,
                manual: true,
                open: true,
            }],
            categories: vec![],
        })
    }

    #[test]
    fn a_copy_serves_only_its_own_version_and_user() {
        let cache = PickerCache::default();
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        cache.put(me, 3, choices("Checking"));
        assert_eq!(cache.get(me, 3).unwrap().accounts[0].name, "Checking");
        assert!(cache.get(me, 4).is_none(), "a newer version is a miss");
        assert!(cache.get(me, 2).is_none());
        assert!(cache.get(other, 3).is_none(), "never another user's");
        cache.put(me, 4, choices("Savings"));
        assert!(cache.get(me, 3).is_none());
        assert_eq!(cache.get(me, 4).unwrap().accounts[0].name, "Savings");
    }

    #[test]
    fn it_keeps_at_most_its_bound() {
        let cache = PickerCache::default();
        for _ in 0..MOST_USERS + 10 {
            cache.put(Uuid::now_v7(), 0, choices("x"));
        }
        assert_eq!(cache.len(), MOST_USERS);
        let last = Uuid::now_v7();
        cache.put(last, 1, choices("kept"));
        assert_eq!(cache.len(), MOST_USERS);
        assert!(cache.get(last, 1).is_some(), "the newest is kept");
    }
}
