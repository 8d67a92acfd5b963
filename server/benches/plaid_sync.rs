//! A first sync of 10,000 transactions from the local fake Plaid into the seeded
//! database (1,000,000 rows over 10 users, all indexes): pages fetched over HTTP with
//! the real client, folded, written in one transaction with categorization, cursor
//! stored. Prints each run and min/p50/max.
//!
//! Run: `cargo bench -p manna-server --bench plaid_sync` (release build). Same database
//! as the other benchmarks (`target/tmp/bench-pg`, or `DATABASE_URL`); `BENCH_RUNS` for
//! the number of runs (default 5), `BENCH_ROWS` for the rows per sync (default 10,000).

use app::plaid::{PlaidClient, PlaidConfig};
use std::time::Instant;

mod common;

const BENCH_DOMAIN: &str = "@sync-bench.local";

fn main() -> anyhow::Result<()> {
    common::run_on_runtime(run())
}

async fn run() -> anyhow::Result<()> {
    let (pool, _cluster) = common::seeded_database().await?;
    common::delete_users(&pool, BENCH_DOMAIN).await?;
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let rows: usize = std::env::var("BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let fake = plaid_fake::FakePlaid::start().await;
    fake.state().set_initial_transactions(rows);
    let mut config = PlaidConfig::new(&fake.base_url(), fake.client_id(), fake.secret());
    config.max_attempts = 1;
    let client = PlaidClient::new(config)?;
    let key = app::sealing::SealingKey::new(rand::random());
    let table: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(&pool).await?;
    println!("first sync of {rows} transactions from the fake Plaid into a table of {table} rows (release)");

    let mut times = Vec::new();
    let result = async {
        for run in 1..=runs {
            let user: uuid::Uuid = sqlx::query_scalar(
                "INSERT INTO users (email, password_hash) VALUES ($1, '$argon2id$v=19$bench') RETURNING id",
            )
            .bind(format!("run{run}{BENCH_DOMAIN}"))
            .fetch_one(&pool)
            .await?;
            let public = client.sandbox_public_token("ins_109508", None).await?;
            let exchanged = client.exchange_public_token(&public).await?;
            let accounts = client.accounts(&exchanged.access_token).await?;
            let mut tx = app::data::user_tx(&pool, user).await?;
            let sealed = key.seal(exchanged.access_token.as_bytes());
            let item = app::data::plaid::insert_item(&mut tx, user, None, &exchanged.item_id, &sealed, 1).await?;
            let row = app::data::plaid::item(&mut tx, user, item).await?;
            app::plaid::sync::store_accounts(&mut tx, &row, &accounts.accounts).await?;
            tx.commit().await?;

            let started = Instant::now();
            let outcome = app::plaid::sync::sync_item(&pool, &client, &key, item).await?;
            let took = started.elapsed();
            anyhow::ensure!(outcome.applied.added as usize == rows, "added {} of {rows}", outcome.applied.added);
            println!(
                "run {run}: {:.3} s ({} pages fetched in {} ms, written in {} ms; {:.0} rows/s)",
                took.as_secs_f64(),
                outcome.pages,
                outcome.fetch_ms,
                outcome.write_ms,
                rows as f64 / took.as_secs_f64()
            );
            times.push(took.as_secs_f64());
        }
        anyhow::Ok(())
    }
    .await;
    common::delete_users(&pool, BENCH_DOMAIN).await?;
    result?;
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "\n| rows | runs | min s | p50 s | max s |\n|---:|---:|---:|---:|---:|\n| {rows} | {runs} | {:.3} | {:.3} | {:.3} |",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
    Ok(())
}
