//! `FakeState`: the fake's memory behind a lock, and the direct controls tests use
//! (the same operations as the `/fake/` HTTP endpoints).

use crate::errors::PlaidError;
use crate::state::{Inner, normalize_path};
use crate::webhooks::{Delivery, WebhookSigner};
use chrono::Utc;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// Everything the fake knows; shared by the HTTP handlers and tests.
pub struct FakeState {
    pub(crate) client_id: String,
    pub(crate) secret: String,
    inner: Mutex<Inner>,
    pub(crate) signer: WebhookSigner,
    pub(crate) http: reqwest::Client,
    pub(crate) last_delivery: Mutex<Option<Delivery>>,
}

impl std::fmt::Debug for FakeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeState").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

fn or_panic<T>(result: Result<T, PlaidError>) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("plaid-fake: {e}"),
    }
}

impl FakeState {
    /// A fresh fake accepting these credentials (startup: panics if no HTTP client can be built).
    pub fn new(client_id: &str, secret: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .no_proxy()
            .user_agent("Plaid Verifier")
            .build()
            .expect("plaid-fake: building the webhook HTTP client");
        FakeState {
            client_id: client_id.to_string(),
            secret: secret.to_string(),
            inner: Mutex::new(Inner::new()),
            signer: WebhookSigner::generate(),
            http,
            last_delivery: Mutex::new(None),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The id of the key that signs webhooks (the `kid` of `/webhook_verification_key/get`).
    pub fn webhook_key_id(&self) -> &str {
        &self.signer.kid
    }

    /// How many transactions items created from now on start with (default 30, a few pending).
    pub fn set_initial_transactions(&self, n: usize) {
        self.lock().config.initial_transactions = n;
    }

    /// How many `/transactions/sync` calls of items created from now on answer NOT_READY
    /// (default 0).
    pub fn set_not_ready_calls(&self, n: usize) {
        self.lock().config.not_ready_calls = n;
    }

    /// Appends `n` new posted transactions (dated the last few days); returns their ids.
    /// Panics on an unknown item (test misuse), like the other commands below.
    pub fn add_transactions(&self, item_id: &str, n: usize) -> Vec<String> {
        or_panic(self.lock().add_generated(item_id, n, false))
    }

    /// Appends `n` new pending transactions; returns their ids.
    pub fn add_pending(&self, item_id: &str, n: usize) -> Vec<String> {
        or_panic(self.lock().add_generated(item_id, n, true))
    }

    /// Posts a pending transaction: the pending row is removed and a posted row with
    /// `pending_transaction_id` = `pending_id` is added. Returns the posted row's id.
    pub fn post_pending(&self, item_id: &str, pending_id: &str) -> String {
        or_panic(self.lock().post_pending(item_id, pending_id))
    }

    /// Changes a transaction's amount and/or name (a `modified` event).
    pub fn modify(&self, item_id: &str, transaction_id: &str, amount: Option<f64>, name: Option<String>) {
        or_panic(self.lock().item_mut(item_id).and_then(|item| item.modify(transaction_id, amount, name)))
    }

    /// Removes a transaction (a `removed` event).
    pub fn remove(&self, item_id: &str, transaction_id: &str) {
        or_panic(self.lock().item_mut(item_id).and_then(|item| item.remove(transaction_id)));
    }

    /// The item's next continuing `/transactions/sync` call first appends a transaction,
    /// so it fails with TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION.
    pub fn arm_mutation_during_pagination(&self, item_id: &str) {
        or_panic(self.lock().item_mut(item_id).map(|item| item.arm_mutation = true))
    }

    /// The next `times` calls to `path` (e.g. "/transactions/sync") fail with `status`:
    /// 429 RATE_LIMIT_EXCEEDED, 500 INTERNAL_SERVER_ERROR or 503 PLANNED_MAINTENANCE.
    pub fn fail_next(&self, path: &str, status: u16, times: usize) {
        or_panic(self.try_fail_next(path, status, times))
    }

    pub(crate) fn try_fail_next(&self, path: &str, status: u16, times: usize) -> Result<(), PlaidError> {
        let path = normalize_path(path);
        if PlaidError::injected(&path, status).is_none() {
            return Err(PlaidError::invalid_field(format!("status must be 429, 500 or 503, not {status}")));
        }
        let mut inner = self.lock();
        if times == 0 {
            inner.fail_next.remove(&path);
        } else {
            inner.fail_next.insert(path, (status, times));
        }
        Ok(())
    }

    /// Puts the item into ITEM_LOGIN_REQUIRED (no webhook; `/sandbox/item/reset_login` also
    /// fires ITEM ERROR).
    pub fn reset_login(&self, item_id: &str) {
        or_panic(self.lock().item_mut(item_id).map(|item| item.login_required = true))
    }

    /// Ids of the items that exist (not removed), in creation order.
    pub fn item_ids(&self) -> Vec<String> {
        self.lock().items.iter().filter(|i| !i.removed).map(|i| i.item_id.clone()).collect()
    }

    /// The item's current transactions as Plaid returns them (empty for an unknown item).
    pub fn transactions(&self, item_id: &str) -> Vec<Value> {
        self.lock().item(item_id).map(|item| item.current.clone()).unwrap_or_default()
    }

    /// How many calls `path` got (failed ones included), e.g. `sync_calls("/transactions/sync")`.
    pub fn sync_calls(&self, path: &str) -> usize {
        self.lock().calls.get(&normalize_path(path)).copied().unwrap_or(0)
    }

    /// Every path's call count.
    pub fn calls(&self) -> BTreeMap<String, usize> {
        self.lock().calls.clone()
    }

    /// Makes a link token unusable (as if its 4 hours had passed). False if unknown.
    pub fn expire_link_token(&self, link_token: &str) -> bool {
        match self.lock().link_tokens.get_mut(link_token) {
            Some(token) => {
                token.expires_at = Utc::now() - chrono::Duration::seconds(1);
                true
            }
            None => false,
        }
    }
}
