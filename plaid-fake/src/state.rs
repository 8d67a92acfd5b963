//! The fake's memory: items, their accounts and transaction change logs, tokens, and the
//! knobs tests turn (the public face is `FakeState`, in `fake_state.rs`).

use crate::data::{self, ACCOUNTS, AccountTemplate};
use crate::errors::{PlaidError, random_id};
use crate::txgen::{self, Draw};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One entry of an item's append-only change log.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    Added(Value),
    Modified(Value),
    Removed { transaction_id: String, account_id: String },
}

pub(crate) struct Account {
    pub account_id: String,
    pub template: &'static AccountTemplate,
}

impl Account {
    pub fn to_json(&self) -> Value {
        let t = self.template;
        json!({
            "account_id": self.account_id,
            "balances": {
                "available": t.available,
                "current": t.current,
                "limit": t.limit,
                "iso_currency_code": "USD",
                "unofficial_currency_code": null,
            },
            "mask": t.mask,
            "name": t.name,
            "official_name": t.official_name,
            "type": t.kind,
            "subtype": t.subtype,
            "verification_status": null,
        })
    }
}

pub(crate) struct Item {
    pub item_id: String,
    pub institution_id: String,
    pub webhook: Option<String>,
    pub removed: bool,
    pub login_required: bool,
    pub accounts: Vec<Account>,
    pub log: Vec<Event>,
    /// The current set of transactions, in the order they were added.
    pub current: Vec<Value>,
    pub not_ready_calls: usize,
    pub arm_mutation: bool,
    pub rng: StdRng,
    pub created_at: DateTime<Utc>,
    pub last_webhook: Option<(DateTime<Utc>, String)>,
}

impl Item {
    pub fn account_ids(&self) -> Vec<String> {
        self.accounts.iter().map(|a| a.account_id.clone()).collect()
    }

    pub fn accounts_json(&self) -> Vec<Value> {
        self.accounts.iter().map(Account::to_json).collect()
    }

    pub fn institution_name(&self) -> &'static str {
        data::institution(&self.institution_id).map_or("Unknown institution", |i| i.name)
    }

    /// `item` as `/item/get` and `/accounts/get` return it.
    pub fn to_json(&self) -> Value {
        json!({
            "item_id": self.item_id,
            "institution_id": self.institution_id,
            "webhook": self.webhook,
            "error": if self.login_required { PlaidError::item_login_required().embedded() } else { Value::Null },
            "available_products": ["assets", "auth", "balance", "identity", "investments", "liabilities"],
            "billed_products": ["transactions"],
            "products": ["transactions"],
            "consent_expiration_time": null,
            "update_type": "background",
        })
    }

    /// `status` as `/item/get` returns it.
    pub fn status_json(&self) -> Value {
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        json!({
            "investments": null,
            "transactions": { "last_successful_update": time(&self.created_at), "last_failed_update": null },
            "last_webhook": self.last_webhook.as_ref().map(|(at, code)| json!({ "sent_at": time(at), "code_sent": code })),
        })
    }

    /// The metadata Link hands to `onSuccess`.
    pub fn link_metadata(&self, link_session_id: &str) -> Value {
        let accounts: Vec<Value> = self
            .accounts
            .iter()
            .map(|a| {
                json!({
                    "id": a.account_id, "name": a.template.name, "mask": a.template.mask,
                    "type": a.template.kind, "subtype": a.template.subtype, "verification_status": null,
                })
            })
            .collect();
        json!({
            "institution": { "name": self.institution_name(), "institution_id": self.institution_id },
            "accounts": accounts,
            "link_session_id": link_session_id,
        })
    }

    pub fn push_added(&mut self, transaction: Value) {
        self.current.push(transaction.clone());
        self.log.push(Event::Added(transaction));
    }

    fn find(&self, transaction_id: &str) -> Result<usize, PlaidError> {
        self.current
            .iter()
            .position(|t| t["transaction_id"] == transaction_id)
            .ok_or_else(|| PlaidError::not_found(format!("no transaction {transaction_id} in item {}", self.item_id)))
    }

    pub fn modify(
        &mut self,
        transaction_id: &str,
        amount: Option<f64>,
        name: Option<String>,
    ) -> Result<(), PlaidError> {
        let index = self.find(transaction_id)?;
        let row = &mut self.current[index];
        if let Some(amount) = amount {
            row["amount"] = json!(txgen::cents(amount));
        }
        if let Some(name) = name {
            row["name"] = json!(name);
        }
        let row = row.clone();
        self.log.push(Event::Modified(row));
        Ok(())
    }

    pub fn remove(&mut self, transaction_id: &str) -> Result<Value, PlaidError> {
        let index = self.find(transaction_id)?;
        let row = self.current.remove(index);
        let account_id = row["account_id"].as_str().unwrap_or_default().to_string();
        self.log.push(Event::Removed { transaction_id: transaction_id.to_string(), account_id });
        Ok(row)
    }
}

pub(crate) struct PublicToken {
    pub item_id: String,
    pub used: bool,
}

pub(crate) struct LinkToken {
    pub expires_at: DateTime<Utc>,
    pub webhook: Option<String>,
    #[allow(dead_code)]
    pub client_user_id: String,
    /// Update mode: the item to repair.
    pub update_item: Option<String>,
}

pub(crate) struct Config {
    pub initial_transactions: usize,
    pub not_ready_calls: usize,
}

pub(crate) struct Inner {
    pub config: Config,
    pub items: Vec<Item>,
    pub access_tokens: HashMap<String, String>,
    pub public_tokens: HashMap<String, PublicToken>,
    pub link_tokens: HashMap<String, LinkToken>,
    pub fail_next: HashMap<String, (u16, usize)>,
    pub calls: BTreeMap<String, usize>,
    used_ids: HashSet<String>,
    items_created: u64,
}

/// Days before today that new data is dated.
const INITIAL_POSTED: (i64, i64) = (2, 90);
const INITIAL_PENDING: (i64, i64) = (0, 2);
const NEW_POSTED: (i64, i64) = (0, 3);
const NEW_PENDING: (i64, i64) = (0, 1);

pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `/fake/...` paths and Plaid paths are counted and failed under one spelling.
pub(crate) fn normalize_path(path: &str) -> String {
    let path = path.trim();
    if path.starts_with('/') { path.to_string() } else { format!("/{path}") }
}

impl Inner {
    pub fn new() -> Self {
        Inner {
            config: Config { initial_transactions: 30, not_ready_calls: 0 },
            items: Vec::new(),
            access_tokens: HashMap::new(),
            public_tokens: HashMap::new(),
            link_tokens: HashMap::new(),
            fail_next: HashMap::new(),
            calls: BTreeMap::new(),
            used_ids: HashSet::new(),
            items_created: 0,
        }
    }

    /// A new id of Plaid's shape (37 alphanumerics), unique across the whole fake.
    pub fn unique_id(&mut self) -> String {
        loop {
            let id = random_id(37);
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    pub fn item(&self, item_id: &str) -> Result<&Item, PlaidError> {
        self.items
            .iter()
            .find(|i| i.item_id == item_id)
            .ok_or_else(|| PlaidError::not_found(format!("no item {item_id}")))
    }

    pub fn item_mut(&mut self, item_id: &str) -> Result<&mut Item, PlaidError> {
        self.items
            .iter_mut()
            .find(|i| i.item_id == item_id)
            .ok_or_else(|| PlaidError::not_found(format!("no item {item_id}")))
    }

    /// The item an access token opens: unknown token → INVALID_ACCESS_TOKEN, removed item →
    /// ITEM_NOT_FOUND.
    pub fn item_for_token(&mut self, access_token: &str) -> Result<&mut Item, PlaidError> {
        let item_id = self.access_tokens.get(access_token).cloned().ok_or_else(PlaidError::invalid_access_token)?;
        let item = self.item_mut(&item_id).map_err(|_| PlaidError::invalid_access_token())?;
        if item.removed {
            return Err(PlaidError::item_not_found());
        }
        Ok(item)
    }

    /// Creates an item (with its accounts and initial transactions) and returns its id.
    pub fn create_item(&mut self, institution_id: &str, webhook: Option<String>) -> Result<String, PlaidError> {
        if data::institution(institution_id).is_none() {
            return Err(PlaidError::invalid_institution(institution_id));
        }
        let item_id = self.unique_id();
        let accounts: Vec<Account> =
            ACCOUNTS.iter().map(|template| Account { account_id: self.unique_id(), template }).collect();
        let seed = 0x6d61_6e6e_6100_0000_u64 ^ self.items_created;
        self.items_created += 1;
        let mut item = Item {
            item_id: item_id.clone(),
            institution_id: institution_id.to_string(),
            webhook,
            removed: false,
            login_required: false,
            accounts,
            log: Vec::new(),
            current: Vec::new(),
            not_ready_calls: self.config.not_ready_calls,
            arm_mutation: false,
            rng: StdRng::seed_from_u64(seed),
            created_at: Utc::now(),
            last_webhook: None,
        };
        let n = self.config.initial_transactions;
        let pending = (n / 10).min(5);
        let account_ids = item.account_ids();
        let today = today();
        let mut rows: Vec<Value> = (0..n)
            .map(|i| {
                let draw = if i < n - pending {
                    Draw { pending: false, days_back: INITIAL_POSTED }
                } else {
                    Draw { pending: true, days_back: INITIAL_PENDING }
                };
                txgen::transaction(&mut item.rng, &self.unique_id(), &account_ids, today, draw)
            })
            .collect();
        rows.sort_by(|a, b| {
            (a["pending"].as_bool(), a["date"].as_str()).cmp(&(b["pending"].as_bool(), b["date"].as_str()))
        });
        for row in rows {
            item.push_added(row);
        }
        self.items.push(item);
        Ok(item_id)
    }

    /// Issues a public token for an item.
    pub fn issue_public_token(&mut self, item_id: &str) -> String {
        let token = format!("public-sandbox-{}", uuid::Uuid::new_v4());
        self.public_tokens.insert(token.clone(), PublicToken { item_id: item_id.to_string(), used: false });
        token
    }

    /// New transactions (posted or pending) appended to an item's log.
    pub fn add_generated(&mut self, item_id: &str, n: usize, pending: bool) -> Result<Vec<String>, PlaidError> {
        self.item(item_id)?;
        let ids: Vec<String> = (0..n).map(|_| self.unique_id()).collect();
        let item = self.item_mut(item_id)?;
        let account_ids = item.account_ids();
        let draw = Draw { pending, days_back: if pending { NEW_PENDING } else { NEW_POSTED } };
        let today = today();
        for id in &ids {
            let row = txgen::transaction(&mut item.rng, id, &account_ids, today, draw);
            item.push_added(row);
        }
        Ok(ids)
    }

    pub fn post_pending(&mut self, item_id: &str, pending_id: &str) -> Result<String, PlaidError> {
        let pending = {
            let item = self.item(item_id)?;
            let row = item.current.iter().find(|t| t["transaction_id"] == pending_id);
            match row {
                Some(row) if row["pending"] == true => row.clone(),
                Some(_) => return Err(PlaidError::invalid_field(format!("transaction {pending_id} is not pending"))),
                None => return Err(PlaidError::not_found(format!("no transaction {pending_id} in item {item_id}"))),
            }
        };
        let posted_id = self.unique_id();
        let item = self.item_mut(item_id)?;
        item.push_added(txgen::posted_from(&pending, &posted_id, today()));
        item.remove(pending_id)?;
        Ok(posted_id)
    }

    /// Counts a call to `path` and answers the injected failure, if one is armed.
    pub fn begin_call(&mut self, path: &str) -> Option<PlaidError> {
        *self.calls.entry(path.to_string()).or_insert(0) += 1;
        let (status, times) = self.fail_next.get_mut(path)?;
        let status = *status;
        *times = times.saturating_sub(1);
        if *times == 0 {
            self.fail_next.remove(path);
        }
        PlaidError::injected(path, status)
    }
}
