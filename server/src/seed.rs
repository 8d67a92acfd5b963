//! `manna seed-db`: deterministic, realistic demo data, fast enough for a million rows.
//!
//! The same `--seed` gives the same accounts, transactions and amounts (only ids of
//! shared rows and password salts differ). Everything is written in one transaction:
//! a failed seed leaves nothing behind. Transactions go in through COPY; above
//! `BULK_THRESHOLD` rows the transactions indexes are dropped first and rebuilt after
//! the load (same transaction), which is several times faster than maintaining them.

use crate::indexes;
use anyhow::{Context, Result, bail};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;
use uuid::Uuid;

pub const DEMO_EMAIL: &str = "demo@manna.local";
/// The password of every seeded user (they are demo accounts on a local install).
pub const DEMO_PASSWORD: &str = "manna-demo-2026";
const BULK_THRESHOLD: u64 = 100_000;
const COPY_BATCH: usize = 50_000;

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub users: u32,
    pub transactions: u64,
    pub seed: u64,
    pub reset: bool,
    pub progress: bool,
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub users: u32,
    pub accounts: u32,
    pub transactions: u64,
    pub predictions: u64,
    pub seconds: f64,
}

pub async fn demo_user_exists(pool: &PgPool) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = $1)")
            .bind(DEMO_EMAIL)
            .fetch_one(pool)
            .await?,
    )
}

pub async fn seed(pool: &PgPool, opts: &SeedOptions) -> Result<SeedReport> {
    if opts.users == 0 {
        bail!("--users must be at least 1");
    }
    if opts.transactions > 50_000_000 {
        bail!("--transactions is limited to 50,000,000");
    }
    let started = Instant::now();
    let password_hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;

    let mut tx = pool.begin().await?;
    sqlx::raw_sql(
        "SET LOCAL synchronous_commit = off; SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL statement_timeout = 0",
    )
    .execute(&mut *tx)
    .await?;
    if opts.reset {
        sqlx::query("DELETE FROM users WHERE email LIKE '%@manna.local'")
            .execute(&mut *tx)
            .await?;
    } else {
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email LIKE '%@manna.local')")
            .fetch_one(&mut *tx)
            .await?;
        if exists {
            bail!("the database already has seeded users ({DEMO_EMAIL}); pass --reset to replace them");
        }
    }

    let institutions = upsert_institutions(&mut tx).await?;
    let categories = load_categories(&mut tx).await?;
    let bulk = opts.transactions >= BULK_THRESHOLD;
    let dropped = if bulk {
        drop_transaction_indexes(&mut tx).await?
    } else {
        Vec::new()
    };

    let bar = if opts.progress {
        ProgressBar::new(opts.transactions)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seeding [{bar:40}] {human_pos}/{human_len} transactions ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );

    let mut report = SeedReport {
        users: opts.users,
        ..Default::default()
    };
    let per_user = opts.transactions / u64::from(opts.users);
    let today = Utc::now().date_naive();
    for u in 0..opts.users {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed.wrapping_add(u64::from(u) * 7919));
        let count = if u == 0 {
            per_user + opts.transactions % u64::from(opts.users)
        } else {
            per_user
        };
        let user = insert_user(&mut tx, u, &password_hash, &mut rng).await?;
        let accounts = insert_accounts(&mut tx, &user, &institutions, &mut rng).await?;
        report.accounts += accounts.len() as u32;
        let rules = insert_rules(&mut tx, &user, &categories).await?;
        insert_budget(&mut tx, &user, &categories, today).await?;
        let mut generator = Generator::new(&user, &accounts, &categories, &rules, today, count, rng);
        let (rows, predictions) = generator.copy_all(&mut tx, &bar).await?;
        report.transactions += rows;
        report.predictions += predictions;
        set_balances(&mut tx, user.id).await?;
    }
    bar.finish_and_clear();

    if !dropped.is_empty() {
        // Indexes cannot be built over pending deferred checks: run them now.
        sqlx::raw_sql("SET CONSTRAINTS ALL IMMEDIATE")
            .execute(&mut *tx)
            .await
            .context("checking the loaded data")?;
        if opts.progress {
            eprintln!("rebuilding {} transaction indexes…", dropped.len());
        }
        for def in &dropped {
            sqlx::raw_sql(&def.sql)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("rebuilding index {}", def.name))?;
        }
    }
    tx.commit().await.context("committing the seed")?;
    sqlx::raw_sql("ANALYZE").execute(pool).await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

pub fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    // OWASP: argon2id, m = 19 MiB, t = 2, p = 1.
    let params = argon2::Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_string())
}

async fn drop_transaction_indexes(tx: &mut PgConnection) -> Result<Vec<indexes::IndexDef>> {
    let defs: Vec<_> = indexes::definitions()
        .into_iter()
        .filter(|d| d.table == "transactions")
        .collect();
    for def in &defs {
        sqlx::raw_sql(&format!("DROP INDEX IF EXISTS {}", def.name))
            .execute(&mut *tx)
            .await?;
    }
    Ok(defs)
}

struct Institution {
    id: Uuid,
}

async fn upsert_institutions(tx: &mut PgConnection) -> Result<Vec<Institution>> {
    let rows = [
        ("ins_manna_1", "First Platypus Bank", "#1F6FEB"),
        ("ins_manna_2", "Harbor Credit Union", "#0E7C66"),
        ("ins_manna_3", "Summit Card Services", "#B3261E"),
    ];
    let mut out = Vec::new();
    for (plaid_id, name, color) in rows {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO institutions (plaid_institution_id, name, primary_color, products)
             VALUES ($1, $2, $3, '{transactions}')
             ON CONFLICT (plaid_institution_id) DO UPDATE SET name = EXCLUDED.name
             RETURNING id",
        )
        .bind(plaid_id)
        .bind(name)
        .bind(color)
        .fetch_one(&mut *tx)
        .await?;
        out.push(Institution { id });
    }
    Ok(out)
}

async fn load_categories(tx: &mut PgConnection) -> Result<HashMap<String, Uuid>> {
    let rows: Vec<(String, Uuid)> = sqlx::query_as("SELECT name, id FROM categories WHERE user_id IS NULL")
        .fetch_all(&mut *tx)
        .await?;
    let map: HashMap<_, _> = rows.into_iter().collect();
    if map.len() < 40 {
        bail!("the default categories are missing: run `manna migrate` first");
    }
    Ok(map)
}

struct SeedUser {
    id: Uuid,
    is_business: bool,
}

async fn insert_user(tx: &mut PgConnection, index: u32, password_hash: &str, rng: &mut ChaCha8Rng) -> Result<SeedUser> {
    const FIRST: [&str; 8] = [
        "Avery", "Jordan", "Riley", "Morgan", "Casey", "Quinn", "Harper", "Rowan",
    ];
    let (email, name) = if index == 0 {
        (DEMO_EMAIL.to_string(), "Demo".to_string())
    } else {
        (
            format!("user{index}@manna.local"),
            FIRST[rng.gen_range(0..FIRST.len())].to_string(),
        )
    };
    let is_business = index % 2 == 0;
    let business_name = is_business.then(|| format!("{name} Studio LLC"));
    let fiscal_start: i16 = if index % 3 == 2 { 7 } else { 1 };
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, display_name, is_business, business_name, business_type,
                            fiscal_year_start_month, preferences)
         VALUES ($1, $2, $3, $4, $5, $6, $7, '{\"theme\": \"light\"}')
         RETURNING id",
    )
    .bind(&email)
    .bind(password_hash)
    .bind(&name)
    .bind(is_business)
    .bind(&business_name)
    .bind(is_business.then_some("Design consultancy"))
    .bind(fiscal_start)
    .fetch_one(&mut *tx)
    .await?;
    Ok(SeedUser { id, is_business })
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Role {
    Checking,
    Savings,
    Card,
    BizChecking,
    BizCard,
}

struct SeedAccount {
    id: Uuid,
    role: Role,
}

async fn insert_accounts(
    tx: &mut PgConnection,
    user: &SeedUser,
    institutions: &[Institution],
    rng: &mut ChaCha8Rng,
) -> Result<Vec<SeedAccount>> {
    let mut specs = vec![
        (Role::Checking, "Everyday Checking", "depository", "checking", 0, None),
        (Role::Savings, "High-Yield Savings", "depository", "savings", 1, None),
        (Role::Card, "Rewards Visa", "credit", "credit card", 2, Some(8_000)),
    ];
    if user.is_business {
        specs.push((
            Role::BizChecking,
            "Business Checking",
            "depository",
            "checking",
            0,
            None,
        ));
        specs.push((
            Role::BizCard,
            "Business Platinum Card",
            "credit",
            "credit card",
            2,
            Some(15_000),
        ));
    }
    let mut out = Vec::new();
    for (role, name, kind, subtype, inst, limit) in specs {
        let mask = format!("{:04}", rng.gen_range(0..10_000));
        let is_business = matches!(role, Role::BizChecking | Role::BizCard);
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO accounts (user_id, institution_id, name, official_name, mask, account_type, account_subtype,
                                   is_business, credit_limit, is_manual)
             VALUES ($1, $2, $3, $3, $4, $5::account_type, $6, $7, $8, true)
             RETURNING id",
        )
        .bind(user.id)
        .bind(institutions[inst].id)
        .bind(name)
        .bind(mask)
        .bind(kind)
        .bind(subtype)
        .bind(is_business)
        .bind(limit.map(rust_decimal::Decimal::from))
        .fetch_one(&mut *tx)
        .await?;
        out.push(SeedAccount { id, role });
    }
    Ok(out)
}

async fn insert_rules(
    tx: &mut PgConnection,
    user: &SeedUser,
    cats: &HashMap<String, Uuid>,
) -> Result<HashMap<&'static str, Uuid>> {
    let rules: [(&'static str, &str, &str); 3] = [
        ("Coffee shops", "Starbucks", "Coffee"),
        ("Groceries at Whole Foods", "Whole Foods Market", "Groceries"),
        ("Streaming services", "Netflix", "Streaming"),
    ];
    let mut out = HashMap::new();
    for (i, (name, merchant, category)) in rules.into_iter().enumerate() {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO categorization_rules (user_id, name, priority, conditions, actions)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user.id)
        .bind(name)
        .bind(10 * (i as i32 + 1))
        .bind(serde_json::json!([{"field": "merchant", "op": "contains", "value": merchant}]))
        .bind(serde_json::json!({"set_category": cats.get(category)}))
        .fetch_one(&mut *tx)
        .await?;
        out.insert(merchant_key(merchant), id);
    }
    Ok(out)
}

fn merchant_key(m: &str) -> &'static str {
    match m {
        "Starbucks" => "Starbucks",
        "Whole Foods Market" => "Whole Foods Market",
        _ => "Netflix",
    }
}

async fn insert_budget(
    tx: &mut PgConnection,
    user: &SeedUser,
    cats: &HashMap<String, Uuid>,
    today: NaiveDate,
) -> Result<()> {
    let start = today.with_day(1).unwrap_or(today);
    let end = add_months(start, 1) - Duration::days(1);
    let budget_id: Uuid = sqlx::query_scalar(
        "INSERT INTO budgets (user_id, name, budget_type, scope, period_start, period_end, rollover_enabled)
         VALUES ($1, $2, 'monthly', 'personal', $3, $4, true) RETURNING id",
    )
    .bind(user.id)
    .bind(format!("{} budget", start.format("%B %Y")))
    .bind(start)
    .bind(end)
    .fetch_one(&mut *tx)
    .await?;
    for (cat, amount) in [
        ("Groceries", 600),
        ("Restaurants", 300),
        ("Coffee", 60),
        ("Transportation", 250),
        ("Shopping", 400),
    ] {
        if let Some(category_id) = cats.get(cat) {
            sqlx::query(
                "INSERT INTO budget_items (user_id, budget_id, category_id, amount, rollover) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(user.id)
            .bind(budget_id)
            .bind(category_id)
            .bind(rust_decimal::Decimal::from(amount))
            .bind(cat == "Groceries")
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// Balances from the ledger: cash accounts hold the sum of their transactions; cards
/// owe the negated sum (purchases are negative, payments positive).
async fn set_balances(tx: &mut PgConnection, user_id: Uuid) -> Result<()> {
    sqlx::query(
        "UPDATE accounts a SET
            current_balance = CASE WHEN a.account_type IN ('credit', 'loan') THEN -s.total ELSE s.total END,
            available_balance = CASE WHEN a.account_type IN ('credit', 'loan')
                                     THEN a.credit_limit + s.total ELSE s.total - s.pending END
         FROM (SELECT account_id, sum(amount) AS total,
                      coalesce(sum(amount) FILTER (WHERE pending AND amount < 0), 0) * -1 AS pending
               FROM transactions WHERE user_id = $1 GROUP BY account_id) s
         WHERE a.id = s.account_id AND a.user_id = $1",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(months)).unwrap_or(d)
}

/// A kind of everyday spending: where, which category, how much (cents).
struct Spend {
    merchant: &'static str,
    category: &'static str,
    min: i64,
    max: i64,
    weight: u32,
    business: bool,
    channel: &'static str,
}

const SPENDS: &[Spend] = &[
    Spend {
        merchant: "Whole Foods Market",
        category: "Groceries",
        min: 2_000,
        max: 18_000,
        weight: 9,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Trader Joe's",
        category: "Groceries",
        min: 1_500,
        max: 12_000,
        weight: 8,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Safeway",
        category: "Groceries",
        min: 1_000,
        max: 9_000,
        weight: 6,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Chipotle",
        category: "Restaurants",
        min: 1_100,
        max: 3_500,
        weight: 6,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Sweetgreen",
        category: "Restaurants",
        min: 1_300,
        max: 2_800,
        weight: 5,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Olive Garden",
        category: "Restaurants",
        min: 3_500,
        max: 9_500,
        weight: 2,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Starbucks",
        category: "Coffee",
        min: 375,
        max: 1_150,
        weight: 10,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Blue Bottle Coffee",
        category: "Coffee",
        min: 450,
        max: 1_300,
        weight: 4,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Shell",
        category: "Fuel",
        min: 3_000,
        max: 7_500,
        weight: 4,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Chevron",
        category: "Fuel",
        min: 2_800,
        max: 7_000,
        weight: 3,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Clipper Card",
        category: "Public transit",
        min: 250,
        max: 5_000,
        weight: 3,
        business: false,
        channel: "online",
    },
    Spend {
        merchant: "Uber",
        category: "Rideshare",
        min: 900,
        max: 4_500,
        weight: 4,
        business: false,
        channel: "online",
    },
    Spend {
        merchant: "Lyft",
        category: "Rideshare",
        min: 850,
        max: 4_200,
        weight: 2,
        business: false,
        channel: "online",
    },
    Spend {
        merchant: "Uniqlo",
        category: "Clothing",
        min: 2_000,
        max: 12_000,
        weight: 2,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Best Buy",
        category: "Electronics",
        min: 1_500,
        max: 90_000,
        weight: 1,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Target",
        category: "Home",
        min: 800,
        max: 15_000,
        weight: 5,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "IKEA",
        category: "Home",
        min: 2_500,
        max: 40_000,
        weight: 1,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "CVS Pharmacy",
        category: "Pharmacy",
        min: 500,
        max: 6_000,
        weight: 3,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "Planet Fitness",
        category: "Fitness",
        min: 2_499,
        max: 2_499,
        weight: 1,
        business: false,
        channel: "online",
    },
    Spend {
        merchant: "Netflix",
        category: "Streaming",
        min: 1_549,
        max: 1_549,
        weight: 1,
        business: false,
        channel: "online",
    },
    Spend {
        merchant: "Spotify",
        category: "Streaming",
        min: 1_199,
        max: 1_199,
        weight: 1,
        business: false,
        channel: "online",
    },
    Spend {
        merchant: "AMC Theatres",
        category: "Events",
        min: 1_400,
        max: 6_000,
        weight: 2,
        business: false,
        channel: "in store",
    },
    Spend {
        merchant: "United Airlines",
        category: "Flights",
        min: 9_000,
        max: 80_000,
        weight: 1,
        business: false,
        channel: "online",
    },
    Spend {
        merchant: "Airbnb",
        category: "Lodging",
        min: 12_000,
        max: 90_000,
        weight: 1,
        business: false,
        channel: "online",
    },
    Spend {
        merchant: "GitHub",
        category: "Software",
        min: 400,
        max: 2_100,
        weight: 3,
        business: true,
        channel: "online",
    },
    Spend {
        merchant: "Figma",
        category: "Software",
        min: 1_500,
        max: 4_500,
        weight: 2,
        business: true,
        channel: "online",
    },
    Spend {
        merchant: "Amazon Web Services",
        category: "Software",
        min: 2_000,
        max: 60_000,
        weight: 3,
        business: true,
        channel: "online",
    },
    Spend {
        merchant: "Staples",
        category: "Office supplies",
        min: 700,
        max: 25_000,
        weight: 2,
        business: true,
        channel: "in store",
    },
    Spend {
        merchant: "LegalZoom",
        category: "Professional services",
        min: 7_900,
        max: 39_900,
        weight: 1,
        business: true,
        channel: "online",
    },
    Spend {
        merchant: "Google Ads",
        category: "Advertising",
        min: 5_000,
        max: 80_000,
        weight: 2,
        business: true,
        channel: "online",
    },
    Spend {
        merchant: "Delta Air Lines",
        category: "Business travel",
        min: 15_000,
        max: 90_000,
        weight: 1,
        business: true,
        channel: "online",
    },
    Spend {
        merchant: "The Capital Grille",
        category: "Business meals",
        min: 6_000,
        max: 40_000,
        weight: 1,
        business: true,
        channel: "in store",
    },
];

const CITIES: [(&str, &str); 4] = [
    ("San Francisco", "CA"),
    ("Oakland", "CA"),
    ("Seattle", "WA"),
    ("Portland", "OR"),
];

/// Writes one user's transactions, day by day, through COPY.
struct Generator<'a> {
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
}

impl<'a> Generator<'a> {
    fn new(
        user: &'a SeedUser,
        accounts: &[SeedAccount],
        cats: &'a HashMap<String, Uuid>,
        rules: &'a HashMap<&'static str, Uuid>,
        today: NaiveDate,
        target: u64,
        rng: ChaCha8Rng,
    ) -> Self {
        let weights = |business: bool| {
            SPENDS
                .iter()
                .enumerate()
                .filter(|(_, s)| s.business == business)
                .map(|(i, s)| (i, s.weight))
                .collect()
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
        }
    }

    async fn copy_all(&mut self, tx: &mut PgConnection, bar: &ProgressBar) -> Result<(u64, u64)> {
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
        if !self.prediction_rows.is_empty() {
            let mut copy = tx
                .copy_in_raw(
                    "COPY ml_predictions (id, user_id, transaction_id, predicted_category_id, confidence, model_version,
                                          features_used, top_alternatives) FROM STDIN",
                )
                .await?;
            copy.send(std::mem::take(&mut self.prediction_rows).into_bytes())
                .await?;
            copy.finish().await?;
        }
        Ok((self.written, self.predictions))
    }

    async fn flush(&mut self, tx: &mut PgConnection, bar: &ProgressBar) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut copy = tx
            .copy_in_raw(
                "COPY transactions (id, user_id, account_id, amount, date, pending, name, merchant_name, category_id,
                    category_source, rule_id, prediction_id, payment_channel, tags, is_business, tax_deductible,
                    journal_entry_id, contra_transaction_id, transaction_type, reconciled, reconciled_at, source)
                 FROM STDIN",
            )
            .await?;
        copy.send(std::mem::take(&mut self.rows).into_bytes()).await?;
        copy.finish().await.context("loading transactions")?;
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
        for (role, cents) in [
            (Role::Checking, 450_000),
            (Role::Savings, 1_200_000),
            (Role::BizChecking, 900_000),
        ] {
            if let Some(account) = self.accounts.get(&role).copied() {
                if self.written < self.target {
                    let row = Row::new(
                        account,
                        cents,
                        date,
                        "Opening balance",
                        None,
                        cat,
                        "adjustment",
                        role == Role::BizChecking,
                    );
                    self.push(row, "user");
                }
            }
        }
    }

    fn recurring(&mut self, date: NaiveDate) {
        let day = date.day();
        let biz = self.user.is_business;
        match day {
            1 => {
                self.income(
                    Role::Checking,
                    385_000,
                    "ACME CORP PAYROLL",
                    "Acme Corp",
                    "Salary",
                    date,
                );
                self.simple(
                    Role::Checking,
                    -210_000,
                    "Rent",
                    "Greenview Property Mgmt",
                    "Rent",
                    date,
                );
            }
            2 => self.transfer(Role::Checking, Role::Savings, 50_000, "Savings transfer", date),
            5 => {
                let amount = -self.rng.gen_range(9_000..18_000);
                self.simple(Role::Checking, amount, "PG&E utility bill", "PG&E", "Utilities", date);
            }
            15 => self.income(
                Role::Checking,
                385_000,
                "ACME CORP PAYROLL",
                "Acme Corp",
                "Salary",
                date,
            ),
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
                let amount = self.rng.gen_range(250_000..900_000);
                self.income(
                    Role::BizChecking,
                    amount,
                    "STRIPE TRANSFER",
                    "Stripe",
                    "Business income",
                    date,
                );
            }
            if day == 22 {
                let owed = std::mem::take(&mut self.card_spend[1]);
                if owed > 0 {
                    self.transfer(Role::BizChecking, Role::BizCard, owed, "Credit card payment", date);
                }
            }
        }
    }

    fn income(&mut self, role: Role, cents: i64, name: &str, merchant: &str, cat: &str, date: NaiveDate) {
        self.simple(role, cents, name, merchant, cat, date);
    }

    fn simple(&mut self, role: Role, cents: i64, name: &str, merchant: &str, cat: &str, date: NaiveDate) {
        if self.written >= self.target {
            return;
        }
        let Some(account) = self.accounts.get(&role).copied() else {
            return;
        };
        let kind = if cents > 0 { "income" } else { "expense" };
        let category = self.cats.get(cat).copied();
        let row = Row::new(
            account,
            cents,
            date,
            name,
            Some(merchant),
            category,
            kind,
            matches!(role, Role::BizChecking | Role::BizCard),
        );
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
            let weights = if business {
                &self.business_weights
            } else {
                &self.personal_weights
            };
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
        let cents = if spend.min == spend.max {
            spend.min
        } else {
            self.rng.gen_range(spend.min..=spend.max)
        };
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
        let (city, state) = CITIES[self.rng.gen_range(0..CITIES.len())];
        let name = format!(
            "{} #{:04} {} {}",
            spend.merchant.to_uppercase(),
            self.rng.gen_range(1..9999),
            city.to_uppercase(),
            state
        );
        let mut row = Row::new(
            account,
            -cents,
            date,
            &name,
            Some(spend.merchant),
            self.cats.get(spend.category).copied(),
            "expense",
            business,
        );
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
        } else if let (true, Some(rule)) = (source_roll < 30, self.rules.get(spend.merchant)) {
            row.rule = Some(*rule);
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

    fn push(&mut self, mut row: Row<'_>, source: &str) {
        if row.id.is_nil() {
            row.id = self.uuid();
        }
        if source == "ml" {
            if let Some(category) = row.category {
                let prediction_id = self.uuid();
                row.prediction = Some(prediction_id);
                let confidence = self.rng.gen_range(5_500..9_990) as f64 / 10_000.0;
                let alternative = self.cats.get("Shopping").copied().unwrap_or(category);
                let tokens: Vec<String> = row
                    .merchant
                    .unwrap_or("")
                    .split_whitespace()
                    .map(str::to_lowercase)
                    .collect();
                let _ = writeln!(
                    self.prediction_rows,
                    "{}\t{}\t{}\t{}\t{:.4}\tnb-2026.1\t{}\t{}",
                    prediction_id,
                    self.user.id,
                    row.id,
                    category,
                    confidence,
                    serde_json::json!({"tokens": tokens, "amount_bucket": amount_bucket(row.cents)}),
                    serde_json::json!([{"category_id": alternative, "confidence": ((1.0 - confidence) * 0.6 * 10_000.0).round() / 10_000.0}]),
                );
                self.predictions += 1;
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
        let reconciled_at = if row.reconciled {
            format!("{} 12:00:00+00", row.date + Duration::days(35))
        } else {
            "\\N".into()
        };
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
    fn new(
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
