//! One user's transactions, generated day by day and written through COPY.

use super::catalog::{CITIES, MISFILED_PERCENT, MIXED, NO_MERCHANT_PERCENT, SPENDS};
use super::{COPY_BATCH, Role, SeedAccount, SeedUser, add_months};
use anyhow::{Context, Result};
use chrono::{Datelike, Duration, NaiveDate};
use indicatif::ProgressBar;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::fmt::Write as _;
use uuid::Uuid;

/// The columns the generator writes, in its COPY text's order.
const ROW_COLUMNS: &str = "id, user_id, account_id, amount, date, pending, name, merchant_name, category_id,
    category_source, rule_id, prediction_id, payment_channel, tags, is_business, tax_deductible, journal_entry_id,
    contra_transaction_id, transaction_type, reconciled, reconciled_at, source";
const PREDICTION_COLUMNS: &str =
    "id, user_id, transaction_id, predicted_category_id, confidence, model_version, features_used, top_alternatives";

/// Writes one user's transactions, day by day, through COPY.
pub(super) struct Generator<'a> {
    user: &'a SeedUser,
    accounts: HashMap<Role, Uuid>,
    cats: &'a HashMap<String, Uuid>,
    rules: &'a HashMap<&'static str, Uuid>,
    today: NaiveDate,
    target: u64,
    rng: ChaCha8Rng,
    written: u64,
    predictions: u64,
    rows: String,
    prediction_rows: String,
    pending_rows: usize,
    personal_weights: Vec<(usize, u32)>,
    business_weights: Vec<(usize, u32)>,
    card_spend: [i64; 2],
    /// Spending since the last income, personal and business: incomes keep pace with
    /// it, so balances stay plausible at any density of data.
    outflow: [i64; 2],
}

impl<'a> Generator<'a> {
    pub(super) fn new(
        user: &'a SeedUser,
        accounts: &[SeedAccount],
        cats: &'a HashMap<String, Uuid>,
        rules: &'a HashMap<&'static str, Uuid>,
        today: NaiveDate,
        target: u64,
        rng: ChaCha8Rng,
    ) -> Self {
        let weights = |business: bool| {
            SPENDS.iter().enumerate().filter(|(_, s)| s.business == business).map(|(i, s)| (i, s.weight)).collect()
        };
        Generator {
            user,
            accounts: accounts.iter().map(|a| (a.role, a.id)).collect(),
            cats,
            rules,
            today,
            target,
            rng,
            written: 0,
            predictions: 0,
            rows: String::with_capacity(COPY_BATCH * 400),
            prediction_rows: String::new(),
            pending_rows: 0,
            personal_weights: weights(false),
            business_weights: weights(true),
            card_spend: [0, 0],
            outflow: [0, 0],
        }
    }

    pub(super) async fn copy_all(&mut self, tx: &mut PgConnection, bar: &ProgressBar) -> Result<(u64, u64)> {
        // Recurring rows are ~12 a month; keep them under a third of the total.
        let months = ((self.target as f64 * 0.3 / 12.0) as u32).clamp(1, 24);
        let start = add_months(self.today.with_day(1).unwrap_or(self.today), 0)
            .checked_sub_months(chrono::Months::new(months))
            .unwrap_or(self.today);
        let days = (self.today - start).num_days().max(1) as u64;
        let recurring_estimate = u64::from(months) * if self.user.is_business { 14 } else { 8 };
        let fill_per_day = self.target.saturating_sub(recurring_estimate) as f64 / days as f64;

        if self.target >= 2 {
            self.opening_balances(start);
        }
        let mut carry = 0.0f64;
        let mut date = start;
        while date <= self.today && self.written < self.target {
            self.recurring(date);
            carry += fill_per_day;
            let n = carry.floor() as u64;
            carry -= n as f64;
            for _ in 0..n {
                if self.written >= self.target {
                    break;
                }
                self.random_spend(date);
            }
            if self.pending_rows >= COPY_BATCH {
                self.flush(tx, bar).await?;
            }
            date += Duration::days(1);
        }
        while self.written < self.target {
            self.random_spend(self.today);
            if self.pending_rows >= COPY_BATCH {
                self.flush(tx, bar).await?;
            }
        }
        self.flush(tx, bar).await?;
        Ok((self.written, self.predictions))
    }

    /// Writes the pending rows and their predictions. They link to each other and each
    /// side's key check runs once per statement (migration 27), so both are staged by
    /// COPY in temporary tables and written by one statement.
    async fn flush(&mut self, tx: &mut PgConnection, bar: &ProgressBar) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        sqlx::raw_sql(&format!(
            "CREATE TEMP TABLE IF NOT EXISTS seed_rows ON COMMIT DROP AS SELECT {ROW_COLUMNS} FROM transactions WITH NO DATA;
             CREATE TEMP TABLE IF NOT EXISTS seed_predictions ON COMMIT DROP AS
                 SELECT {PREDICTION_COLUMNS} FROM ml_predictions WITH NO DATA;
             TRUNCATE seed_rows, seed_predictions"
        ))
        .execute(&mut *tx)
        .await?;
        for (table, columns, data) in [
            ("seed_rows", ROW_COLUMNS, std::mem::take(&mut self.rows)),
            ("seed_predictions", PREDICTION_COLUMNS, std::mem::take(&mut self.prediction_rows)),
        ] {
            if data.is_empty() {
                continue;
            }
            let mut copy = tx.copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN")).await?;
            copy.send(data.into_bytes()).await?;
            copy.finish().await.context("staging transactions")?;
        }
        sqlx::raw_sql(&format!(
            "WITH predicted AS (INSERT INTO ml_predictions ({PREDICTION_COLUMNS})
                                SELECT {PREDICTION_COLUMNS} FROM seed_predictions)
             INSERT INTO transactions ({ROW_COLUMNS}) SELECT {ROW_COLUMNS} FROM seed_rows"
        ))
        .execute(&mut *tx)
        .await
        .context("loading transactions")?;
        bar.inc(self.pending_rows as u64);
        self.pending_rows = 0;
        self.rows = String::with_capacity(COPY_BATCH * 400);
        Ok(())
    }

    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.r#gen()).into_uuid()
    }

    fn opening_balances(&mut self, date: NaiveDate) {
        let cat = self.cats.get("Transfer").copied();
        for (role, cents) in [(Role::Checking, 450_000), (Role::Savings, 1_200_000), (Role::BizChecking, 900_000)] {
            if let Some(account) = self.accounts.get(&role).copied()
                && self.written < self.target
            {
                let business = role == Role::BizChecking;
                let row = Row::new(account, cents, date, "Opening balance", None, cat, "adjustment", business);
                self.push(row, "user");
            }
        }
    }

    fn recurring(&mut self, date: NaiveDate) {
        let day = date.day();
        let biz = self.user.is_business;
        match day {
            1 | 15 => {
                let pay = self.income_covering(0, 385_000, 115);
                self.simple(Role::Checking, pay, "ACME CORP PAYROLL", "Acme Corp", "Salary", date);
                if day == 1 {
                    self.simple(Role::Checking, -210_000, "Rent", "Greenview Property Mgmt", "Rent", date);
                }
            }
            2 => self.transfer(Role::Checking, Role::Savings, 50_000, "Savings transfer", date),
            5 => {
                let amount = -self.rng.gen_range(9_000..18_000);
                self.simple(Role::Checking, amount, "PG&E utility bill", "PG&E", "Utilities", date);
            }
            20 => {
                let owed = std::mem::take(&mut self.card_spend[0]);
                if owed > 0 {
                    self.transfer(Role::Checking, Role::Card, owed, "Credit card payment", date);
                }
            }
            _ => {}
        }
        if biz {
            if matches!(day, 3 | 17) {
                let floor = self.rng.gen_range(250_000..900_000);
                let amount = self.income_covering(1, floor, 130);
                self.simple(Role::BizChecking, amount, "STRIPE TRANSFER", "Stripe", "Business income", date);
            }
            if day == 22 {
                let owed = std::mem::take(&mut self.card_spend[1]);
                if owed > 0 {
                    self.transfer(Role::BizChecking, Role::BizCard, owed, "Credit card payment", date);
                }
            }
        }
    }

    /// An income of at least `floor` cents that covers `percent`% of the spending since
    /// the last one (side 0 personal, 1 business), in whole dollars.
    fn income_covering(&mut self, side: usize, floor: i64, percent: i64) -> i64 {
        let spent = std::mem::take(&mut self.outflow[side]);
        (spent * percent / 100 / 100 * 100).max(floor)
    }

    fn simple(&mut self, role: Role, cents: i64, name: &str, merchant: &str, cat: &str, date: NaiveDate) {
        if self.written >= self.target {
            return;
        }
        let Some(account) = self.accounts.get(&role).copied() else {
            return;
        };
        let business = matches!(role, Role::BizChecking | Role::BizCard);
        if cents < 0 {
            self.outflow[usize::from(business)] -= cents;
        }
        let kind = if cents > 0 { "income" } else { "expense" };
        let category = self.cats.get(cat).copied();
        let row = Row::new(account, cents, date, name, Some(merchant), category, kind, business);
        self.push(row, "plaid");
    }

    /// A transfer between two of the user's accounts: one journal entry, two legs
    /// pointing at each other, amounts summing to zero.
    fn transfer(&mut self, from: Role, to: Role, cents: i64, label: &str, date: NaiveDate) {
        if self.written + 2 > self.target {
            return;
        }
        let (Some(from_id), Some(to_id)) = (self.accounts.get(&from).copied(), self.accounts.get(&to).copied()) else {
            return;
        };
        let journal = self.uuid();
        let out_id = self.uuid();
        let in_id = self.uuid();
        let category = self.cats.get(label).copied();
        let business = matches!(from, Role::BizChecking);
        let mut out = Row::new(
            from_id,
            -cents,
            date,
            &format!("{label} to {}", role_name(to)),
            None,
            category,
            "transfer",
            business,
        );
        out.id = out_id;
        out.journal = Some(journal);
        out.contra = Some(in_id);
        let mut inn = Row::new(
            to_id,
            cents,
            date,
            &format!("{label} from {}", role_name(from)),
            None,
            category,
            "transfer",
            business,
        );
        inn.id = in_id;
        inn.journal = Some(journal);
        inn.contra = Some(out_id);
        self.push(out, "user");
        self.push(inn, "user");
    }

    fn random_spend(&mut self, date: NaiveDate) {
        let business = self.user.is_business && self.rng.gen_ratio(1, 5);
        let idx = {
            let weights = if business { &self.business_weights } else { &self.personal_weights };
            let total: u32 = weights.iter().map(|w| w.1).sum();
            let mut pick = self.rng.gen_range(0..total);
            let mut chosen = weights[0].0;
            for (i, w) in weights {
                if pick < *w {
                    chosen = *i;
                    break;
                }
                pick -= w;
            }
            chosen
        };
        let spend = &SPENDS[idx];
        let cents = if spend.min == spend.max { spend.min } else { self.rng.gen_range(spend.min..=spend.max) };
        let on_card = self.rng.gen_ratio(7, 10);
        let role = match (business, on_card) {
            (true, true) => Role::BizCard,
            (true, false) => Role::BizChecking,
            (false, true) => Role::Card,
            (false, false) => Role::Checking,
        };
        let Some(account) = self.accounts.get(&role).copied() else {
            return;
        };
        match role {
            Role::Card => self.card_spend[0] += cents,
            Role::BizCard => self.card_spend[1] += cents,
            _ => {}
        }
        self.outflow[usize::from(business)] += cents;
        let (city, state) = CITIES[self.rng.gen_range(0..CITIES.len())];
        let (category, word) = self.category_of(spend.merchant, spend.category, business);
        let name = self.description(spend.merchant, word, city, state);
        let merchant = (self.rng.gen_range(0..100) >= NO_MERCHANT_PERCENT).then_some(spend.merchant);
        let mut row =
            Row::new(account, -cents, date, &name, merchant, self.cats.get(category).copied(), "expense", business);
        row.channel = Some(spend.channel);
        row.deductible = spend.business;
        if business && self.rng.gen_ratio(1, 4) {
            row.tags = "{client-work}";
        }
        let age = (self.today - date).num_days();
        row.pending = age <= 2 && self.rng.gen_ratio(1, 3);
        row.reconciled = age > 60;
        // Where the category came from: mostly the bank, then rules, the model, the user.
        let source_roll = self.rng.gen_range(0..100);
        let source = if source_roll < 3 {
            row.category = None;
            "none"
        } else if let (true, Some(rule), Some(_)) = (source_roll < 30, self.rules.get(spend.merchant), merchant) {
            row.rule = Some(*rule);
            // a rule files every row the same way, mixed merchant or not
            row.category = self.cats.get(spend.category).copied();
            "rule"
        } else if (30..45).contains(&source_roll) {
            "ml"
        } else if source_roll < 50 {
            "user"
        } else {
            "plaid"
        };
        self.push(row, source);
    }

    /// The category a purchase at `merchant` belongs to, with the description word
    /// that tells it apart (if any); now and then misfiled by the user.
    fn category_of(&mut self, merchant: &str, usual: &'static str, business: bool) -> (&'static str, &'static str) {
        let mut roll = self.rng.gen_range(0..100);
        let mut chosen = (usual, "");
        if let Some((_, others)) = MIXED.iter().find(|(m, _)| *m == merchant) {
            for (category, percent, word) in others.iter() {
                if roll < *percent {
                    chosen = (category, word);
                    break;
                }
                roll -= percent;
            }
        }
        if self.rng.gen_range(0..100) < MISFILED_PERCENT {
            let same_side: Vec<&'static str> =
                SPENDS.iter().filter(|s| s.business == business).map(|s| s.category).collect();
            chosen.0 = same_side[self.rng.gen_range(0..same_side.len())];
        }
        chosen
    }

    /// A statement line as banks write them: the same shop reads differently by
    /// processor and by store.
    fn description(&mut self, merchant: &str, word: &str, city: &str, state: &str) -> String {
        let upper = merchant.to_uppercase();
        let store = self.rng.gen_range(1..9999);
        let word = if word.is_empty() { String::new() } else { format!(" *{word}") };
        match self.rng.gen_range(0..4) {
            0 => format!("{upper}{word} #{store:04} {} {state}", city.to_uppercase()),
            1 => format!("POS PURCHASE {upper}{word} {}", city.to_uppercase()),
            2 => format!("SQ *{}{word} {store}", upper.replace(' ', "")),
            _ => format!("{merchant}{word} {city} {state}"),
        }
    }

    fn push(&mut self, mut row: Row<'_>, source: &str) {
        if row.id.is_nil() {
            row.id = self.uuid();
        }
        if source == "ml"
            && let Some(category) = row.category
        {
            let prediction_id = self.uuid();
            row.prediction = Some(prediction_id);
            let confidence = self.rng.gen_range(5_500..9_990) as f64 / 10_000.0;
            let alternative = self.cats.get("Shopping").copied().unwrap_or(category);
            let top: Vec<(String, f64)> = row
                .merchant
                .unwrap_or(&row.name)
                .split_whitespace()
                .take(2)
                .map(|w| (format!("w:{}", w.to_lowercase()), 2.5))
                .collect();
            let _ = writeln!(
                self.prediction_rows,
                "{}\t{}\t{}\t{}\t{:.4}\tnb-2026.1\t{}\t{}",
                prediction_id,
                self.user.id,
                row.id,
                category,
                confidence,
                serde_json::json!({"top": top, "amount_bucket": amount_bucket(row.cents)}),
                serde_json::json!([{"category_id": alternative, "confidence": ((1.0 - confidence) * 0.6 * 10_000.0).round() / 10_000.0}]),
            );
            self.predictions += 1;
            // Below the threshold the model only suggests: the row waits for review.
            if confidence < manna_core::categorizer::DEFAULT_THRESHOLD {
                row.category = None;
            }
        }
        let category_source = match (row.category, source) {
            (None, _) => "\\N",
            (Some(_), "none") => "\\N",
            // The bank's own category arrives with the statement.
            (Some(_), "plaid") => "import",
            (Some(_), s) => s,
        };
        if category_source == "\\N" {
            row.category = None;
        }
        let opt = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_else(|| "\\N".into());
        let reconciled_at =
            if row.reconciled { format!("{} 12:00:00+00", row.date + Duration::days(35)) } else { "\\N".into() };
        let _ = writeln!(
            self.rows,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            row.id,
            self.user.id,
            row.account,
            rust_decimal::Decimal::new(row.cents, 2),
            row.date,
            pg_bool(row.pending),
            row.name,
            row.merchant.unwrap_or("\\N"),
            opt(row.category),
            category_source,
            opt(row.rule),
            opt(row.prediction),
            row.channel.unwrap_or("\\N"),
            row.tags,
            pg_bool(row.business),
            pg_bool(row.deductible),
            opt(row.journal),
            opt(row.contra),
            row.kind,
            pg_bool(row.reconciled),
            reconciled_at,
            if source == "plaid" || source == "ml" || source == "rule" || source == "none" {
                "import"
            } else {
                "manual"
            },
        );
        self.written += 1;
        self.pending_rows += 1;
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Checking => "Everyday Checking",
        Role::Savings => "High-Yield Savings",
        Role::Card => "Rewards Visa",
        Role::BizChecking => "Business Checking",
        Role::BizCard => "Business Platinum Card",
    }
}

fn amount_bucket(cents: i64) -> &'static str {
    match cents.abs() {
        0..=1_000 => "<10",
        1_001..=5_000 => "10-50",
        5_001..=20_000 => "50-200",
        _ => ">200",
    }
}

fn pg_bool(b: bool) -> &'static str {
    if b { "t" } else { "f" }
}

struct Row<'a> {
    id: Uuid,
    account: Uuid,
    cents: i64,
    date: NaiveDate,
    name: String,
    merchant: Option<&'a str>,
    category: Option<Uuid>,
    rule: Option<Uuid>,
    prediction: Option<Uuid>,
    kind: &'static str,
    business: bool,
    channel: Option<&'static str>,
    tags: &'static str,
    deductible: bool,
    journal: Option<Uuid>,
    contra: Option<Uuid>,
    pending: bool,
    reconciled: bool,
}

impl<'a> Row<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        account: Uuid,
        cents: i64,
        date: NaiveDate,
        name: &str,
        merchant: Option<&'a str>,
        category: Option<Uuid>,
        kind: &'static str,
        business: bool,
    ) -> Self {
        Row {
            id: Uuid::nil(),
            account,
            cents,
            date,
            name: name.replace(['\t', '\n', '\\'], " "),
            merchant,
            category,
            rule: None,
            prediction: None,
            kind,
            business,
            channel: None,
            tags: "{}",
            deductible: false,
            journal: None,
            contra: None,
            pending: false,
            reconciled: false,
        }
    }
}
