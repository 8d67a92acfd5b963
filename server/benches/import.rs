//! Importing a 100,000-row statement (CSV, then OFX) into an empty account of the
//! seeded database (1,000,000 rows over 10 users, all indexes) for a user with six
//! rules: read and parse, match against the account, write the batch in one
//! transaction with categorization (rules, then the model), commit.
//! Each file is imported for a new user twice over: with no history (the model has
//! nothing to learn from, only the rules apply) and with a history of 20,000 categorized
//! rows (copied from a seeded user), so the model is trained and predicts every row the
//! rules leave, as for a user who has been filing for a while.
//! Prints each phase. "Total" is what the user waits for; the merge of the search-index
//! entries the import left pending runs after the answer, in the background, and is
//! printed on its own. "Postgres alone" writes the same rows again under new ids, as
//! one INSERT … SELECT from the table (no client, no parsing, no predictions), through
//! the same indexes and triggers, and rolls it back (then vacuums, untimed): what the
//! database's own write of the rows costs on the machine at that moment, so a slow
//! phase of a shared machine shows as such next to the import it slowed.
//!
//! Run: `cargo bench -p manna-server --bench import` (release build). Same database as
//! the other benchmarks (`target/tmp/bench-pg`, or `DATABASE_URL`); `BENCH_ROWS` for
//! the rows per file (default 100,000), `BENCH_RUNS` (default 3).

use app::import::ssr::{match_rows, read, write};
use std::fmt::Write as _;
use std::time::Instant;

mod common;

const BENCH_DOMAIN: &str = "@import-bench.local";
const MERCHANTS: [&str; 12] = [
    "STARBUCKS STORE",
    "WHOLE FOODS MARKET",
    "SHELL OIL",
    "AMAZON MKTP US",
    "UBER TRIP",
    "NETFLIX.COM",
    "CITY PARKING",
    "TRADER JOES",
    "CVS PHARMACY",
    "DELTA AIR LINES",
    "COMCAST CABLE",
    "PAYROLL ACME CORP",
];

fn row(i: usize) -> (chrono::NaiveDate, String, String) {
    let date = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default() + chrono::Days::new((i % 700) as u64);
    let merchant = MERCHANTS[i % MERCHANTS.len()];
    let cents = (i * 7919) % 25_000 + 1;
    let amount = if merchant.starts_with("PAYROLL") {
        format!("{}.{:02}", 2000 + cents / 100, cents % 100)
    } else {
        format!("-{}.{:02}", cents / 100, cents % 100)
    };
    (date, format!("{merchant} #{}", i % 9000), amount)
}

fn csv(rows: usize) -> Vec<u8> {
    let mut s = String::from("Date,Description,Amount\r\n");
    for i in 0..rows {
        let (date, name, amount) = row(i);
        let _ = write!(s, "{},{},{}\r\n", date.format("%m/%d/%Y"), name, amount);
    }
    s.into_bytes()
}

fn ofx(rows: usize) -> Vec<u8> {
    let mut s = String::from(
        "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\n\
         COMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1\
         <STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>000123456789<ACCTTYPE>CHECKING</BANKACCTFROM>\
         <BANKTRANLIST><DTSTART>20230101<DTEND>20241231\r\n",
    );
    for i in 0..rows {
        let (date, name, amount) = row(i);
        let _ = write!(
            s,
            "<STMTTRN><TRNTYPE>{}<DTPOSTED>{}<TRNAMT>{}<FITID>{}<NAME>{}</STMTTRN>\r\n",
            if amount.starts_with('-') { "DEBIT" } else { "CREDIT" },
            date.format("%Y%m%d"),
            amount,
            900_000_000 + i,
            name
        );
    }
    s.push_str("</BANKTRANLIST><LEDGERBAL><BALAMT>1000.00<DTASOF>20241231</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n");
    s.into_bytes()
}

/// A filing history for the model to learn from: 20,000 of the newest rows of the
/// seeded user with the most, that are in a system category, in an account of their own.
async fn add_history(pool: &sqlx::PgPool, user: uuid::Uuid) -> anyhow::Result<()> {
    let account: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO accounts (user_id, name, account_type) VALUES ($1, 'History', 'depository') RETURNING id",
    )
    .bind(user)
    .fetch_one(pool)
    .await?;
    sqlx::query(
        "INSERT INTO transactions (user_id, account_id, amount, date, name, merchant_name, category_id, category_source,
                                   transaction_type, source)
         SELECT $1, $2, t.amount, t.date, t.name, t.merchant_name, t.category_id, 'user', t.transaction_type, 'manual'
         FROM transactions t JOIN categories c ON c.id = t.category_id AND c.user_id IS NULL
         WHERE t.user_id = (SELECT user_id FROM transactions GROUP BY user_id ORDER BY count(*) DESC LIMIT 1)
           AND t.parent_transaction_id IS NULL AND t.transaction_type IN ('income', 'expense')
         ORDER BY t.date DESC LIMIT 20000",
    )
    .bind(user)
    .bind(account)
    .execute(pool)
    .await?;
    Ok(())
}

/// Rules as a user who files by merchant keeps them: six of the twelve merchants in
/// the file match one (half the rows get a category, a business flag or a tag).
async fn add_rules(pool: &sqlx::PgPool, user: uuid::Uuid) -> anyhow::Result<()> {
    let rules = [
        ("starbucks", "Coffee", r#""add_tags": ["coffee"]"#),
        ("whole foods", "Groceries", ""),
        ("shell", "Fuel", r#""set_business": true"#),
        ("uber", "Rideshare", r#""set_business": true, "set_deductible": true"#),
        ("netflix", "Streaming", ""),
        ("trader joe", "Groceries", ""),
    ];
    for (i, (text, category, extra)) in rules.iter().enumerate() {
        let category: uuid::Uuid = sqlx::query_scalar("SELECT id FROM categories WHERE user_id IS NULL AND name = $1")
            .bind(category)
            .fetch_one(pool)
            .await?;
        let set = format!(r#""set_category": "{category}""#);
        let sep = if extra.is_empty() { "" } else { ", " };
        sqlx::query(
            "INSERT INTO categorization_rules (user_id, name, priority, match_mode, conditions, actions)
             VALUES ($1, $2, $3, 'any', $4::jsonb, $5::jsonb)",
        )
        .bind(user)
        .bind(format!("{text} rule"))
        .bind(i as i32 * 10)
        .bind(format!(r#"[{{"field": "description", "op": "contains", "value": "{text}"}}]"#))
        .bind(format!("{{{set}{sep}{extra}}}"))
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// The batch's rows written again by Postgres alone, rolled back (see the module docs).
/// The new ids keep the rows' order and land past every existing id, as the import's
/// time-ordered ids do; no batch (its range check is the import's) and no predictions.
async fn postgres_alone(pool: &sqlx::PgPool, batch: uuid::Uuid, rows: usize) -> anyhow::Result<std::time::Duration> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('gin_pending_list_limit', '512MB', true), set_config('work_mem', '64MB', true)")
        .execute(&mut *tx)
        .await?;
    let started = Instant::now();
    let written = sqlx::query(
        "INSERT INTO transactions (id, user_id, account_id, amount, currency, date, name, merchant_name, notes,
                                   import_hash, category_id, category_source, rule_id, is_business, tax_deductible,
                                   tags, transaction_type, source, tax_year)
         SELECT ('ffffffff' || substr(t.id::text, 9))::uuid, t.user_id, t.account_id, t.amount, t.currency, t.date,
                t.name, t.merchant_name, t.notes, t.import_hash, t.category_id, t.category_source, t.rule_id,
                t.is_business, t.tax_deductible, t.tags, t.transaction_type, t.source, t.tax_year
         FROM import_batches b JOIN transactions t ON t.id BETWEEN b.first_row_id AND b.last_row_id
                                                   AND t.import_batch_id = b.id
         WHERE b.id = $1 ORDER BY t.id",
    )
    .bind(batch)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let took = started.elapsed();
    anyhow::ensure!(written == rows as u64, "Postgres alone wrote {written} of {rows} rows");
    tx.rollback().await?;
    // Clear the rolled-back rows out of the heap and the indexes, so the next run's
    // import does not write among them.
    sqlx::query("VACUUM transactions").execute(pool).await?;
    Ok(took)
}

fn main() -> anyhow::Result<()> {
    common::run_on_runtime(run())
}

async fn run() -> anyhow::Result<()> {
    let (pool, _cluster) = common::seeded_database().await?;
    common::delete_users(&pool, BENCH_DOMAIN).await?;
    let rows: usize = std::env::var("BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let table: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(&pool).await?;
    println!("import of a {rows}-row statement into an empty account; table of {table} rows (release)\n");
    println!(
        "| file | history | run | size MB | parse ms | match ms | write ms | commit ms | total s | index merge after, ms | Postgres alone, s |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let result = async {
        for ((kind, bytes), history) in [("csv", csv(rows)), ("ofx", ofx(rows))]
            .into_iter()
            .flat_map(|file| [(file.clone(), false), (file, true)])
        {
            for run in 1..=runs {
                let user: uuid::Uuid = sqlx::query_scalar(
                    "INSERT INTO users (email, password_hash) VALUES ($1, '$argon2id$v=19$bench') RETURNING id",
                )
                .bind(format!("{kind}{run}{}{BENCH_DOMAIN}", if history { "h" } else { "" }))
                .fetch_one(&pool)
                .await?;
                let account: uuid::Uuid = sqlx::query_scalar(
                    "INSERT INTO accounts (user_id, name, account_type) VALUES ($1, 'Checking', 'depository') RETURNING id",
                )
                .bind(user)
                .fetch_one(&pool)
                .await?;
                add_rules(&pool, user).await?;
                if history {
                    add_history(&pool, user).await?;
                }
                let started = Instant::now();
                let mut tx = app::data::user_tx(&pool, user).await?;
                let target = app::data::imports::target_account(&mut tx, user, account).await?;
                let name = format!("statement.{kind}");
                let (statement, options, _) = read(&name, &bytes, None, None).map_err(|e| anyhow::anyhow!("{e}"))?;
                let parsed = started.elapsed();
                let (decisions, _) =
                    match_rows(&mut tx, user, account, &statement).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                let matched = started.elapsed();
                let imported =
                    write(&mut tx, user, &target, &name, &bytes, statement, &options, &decisions, &[])
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                let written = started.elapsed();
                tx.commit().await?;
                let total = started.elapsed();
                let merge_started = Instant::now();
                app::data::imports::merge_pending_index_entries(&pool).await?;
                let merge = merge_started.elapsed();
                anyhow::ensure!(imported.added == rows, "{kind}: added {} of {rows}", imported.added);
                let alone = postgres_alone(&pool, imported.batch, rows).await?;
                let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
                println!(
                    "| {kind} | {} | {run} | {:.1} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} |",
                    if history { "20,000 rows" } else { "none" },
                    bytes.len() as f64 / 1e6,
                    ms(parsed),
                    ms(matched - parsed),
                    ms(written - matched),
                    ms(total - written),
                    total.as_secs_f64(),
                    ms(merge),
                    alone.as_secs_f64()
                );
            }
        }
        anyhow::Ok(())
    }
    .await;
    common::delete_users(&pool, BENCH_DOMAIN).await?;
    result
}
