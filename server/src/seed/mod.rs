//! `manna seed-db`: deterministic, realistic demo data, fast enough for a million rows.
//!
//! The same `--seed` gives the same accounts, transactions and amounts (only ids of
//! shared rows and password salts differ). Everything is written in one transaction:
//! a failed seed leaves nothing behind. Transactions go in through COPY; above
//! `BULK_THRESHOLD` rows the transactions indexes are dropped first and rebuilt after
//! the load (same transaction), which is several times faster than maintaining them.

mod catalog;
mod generator;

use crate::indexes;
use anyhow::{Context, Result, bail};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use generator::Generator;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use std::time::Instant;
use uuid::Uuid;

pub const DEMO_EMAIL: &str = "demo@manna.local";
/// The password of every seeded user (they are demo accounts on a local install).
pub const DEMO_PASSWORD: &str = "manna-demo-2026";
const BULK_THRESHOLD: u64 = 100_000;
pub(super) const COPY_BATCH: usize = 50_000;

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
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = $1)")
        .bind(DEMO_EMAIL)
        .fetch_one(pool)
        .await?)
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

    let mut tx = app::data::begin(pool).await?;
    sqlx::raw_sql(
        "SET LOCAL synchronous_commit = off; SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL statement_timeout = 0",
    )
    .execute(&mut *tx)
    .await?;
    if opts.reset {
        sqlx::query("DELETE FROM users WHERE email LIKE '%@manna.local'").execute(&mut *tx).await?;
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
    let dropped = if bulk { drop_transaction_indexes(&mut tx).await? } else { Vec::new() };

    let bar = if opts.progress { ProgressBar::new(opts.transactions) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seeding [{bar:40}] {human_pos}/{human_len} transactions ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );

    let mut report = SeedReport { users: opts.users, ..Default::default() };
    let per_user = opts.transactions / u64::from(opts.users);
    let today = Utc::now().date_naive();
    for u in 0..opts.users {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed.wrapping_add(u64::from(u) * 7919));
        let count = if u == 0 { per_user + opts.transactions % u64::from(opts.users) } else { per_user };
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
        count_rule_matches(&mut tx, user.id).await?;
    }
    bar.finish_and_clear();

    if !dropped.is_empty() {
        // Indexes cannot be built over pending deferred checks: run them now.
        sqlx::raw_sql("SET CONSTRAINTS ALL IMMEDIATE").execute(&mut *tx).await.context("checking the loaded data")?;
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
    // VACUUM sets the visibility map, so the covering indexes answer sums without the heap.
    sqlx::raw_sql("VACUUM (ANALYZE)").execute(pool).await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

pub fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    // OWASP: argon2id, m = 19 MiB, t = 2, p = 1.
    let params = argon2::Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon.hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?.to_string())
}

/// Sparse partial indexes the deferred ledger checks look rows up by (journal legs,
/// split parts): kept through a bulk load, or each check at commit would scan the
/// whole table once per journal leg. They hold few rows, so keeping them costs little.
const KEPT_DURING_BULK_LOAD: [&str; 3] =
    ["transactions_journal_entry_idx", "transactions_parent_idx", "transactions_contra_idx"];

async fn drop_transaction_indexes(tx: &mut PgConnection) -> Result<Vec<indexes::IndexDef>> {
    let defs: Vec<_> = indexes::definitions()
        .into_iter()
        .filter(|d| d.table == "transactions" && !KEPT_DURING_BULK_LOAD.contains(&d.name.as_str()))
        .collect();
    for def in &defs {
        sqlx::raw_sql(&format!("DROP INDEX IF EXISTS {}", def.name)).execute(&mut *tx).await?;
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
    let rows: Vec<(String, Uuid)> =
        sqlx::query_as("SELECT name, id FROM categories WHERE user_id IS NULL").fetch_all(&mut *tx).await?;
    let map: HashMap<_, _> = rows.into_iter().collect();
    if map.len() < 40 {
        bail!("the default categories are missing: run `manna migrate` first");
    }
    Ok(map)
}

pub(super) struct SeedUser {
    id: Uuid,
    is_business: bool,
}

async fn insert_user(tx: &mut PgConnection, index: u32, password_hash: &str, rng: &mut ChaCha8Rng) -> Result<SeedUser> {
    const FIRST: [&str; 8] = ["Avery", "Jordan", "Riley", "Morgan", "Casey", "Quinn", "Harper", "Rowan"];
    let (email, name) = if index == 0 {
        (DEMO_EMAIL.to_string(), "Demo".to_string())
    } else {
        (format!("user{index}@manna.local"), FIRST[rng.gen_range(0..FIRST.len())].to_string())
    };
    let is_business = index.is_multiple_of(2);
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
pub(super) enum Role {
    Checking,
    Savings,
    Card,
    BizChecking,
    BizCard,
}

pub(super) struct SeedAccount {
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
        specs.push((Role::BizChecking, "Business Checking", "depository", "checking", 0, None));
        specs.push((Role::BizCard, "Business Platinum Card", "credit", "credit card", 2, Some(15_000)));
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

/// The seeded rules' effectiveness, from the rows credited to them.
async fn count_rule_matches(tx: &mut PgConnection, user_id: Uuid) -> Result<()> {
    sqlx::query(
        "UPDATE categorization_rules r SET match_count = s.n, last_matched_at = s.last
         FROM (SELECT rule_id, count(*) AS n, max(date)::timestamptz AS last FROM transactions
               WHERE user_id = $1 AND rule_id IS NOT NULL GROUP BY rule_id) s
         WHERE r.id = s.rule_id",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await
    .context("counting rule matches")?;
    Ok(())
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
    for (cat, amount) in
        [("Groceries", 600), ("Restaurants", 300), ("Coffee", 60), ("Transportation", 250), ("Shopping", 400)]
    {
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

pub(super) fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(months)).unwrap_or(d)
}
