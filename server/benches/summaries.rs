//! The summary pages for a user with 100,000 transactions: the budget page (SSR, its
//! server function, and the measuring alone), profit and loss and cash flow for a
//! year (server function and building alone), and the dashboard (SSR and its server
//! function). Server-side latency, sequential requests, p50/p95/p99.
//!
//! Run: `cargo bench -p manna-server --bench summaries` (release build). Uses the
//! same seeded database as the transactions page benchmark (1,000,000 transactions
//! over 10 users, seeded on first use under `target/tmp/bench-pg`); set
//! `DATABASE_URL` to use another database, `BENCH_REQUESTS` for the sample size.

use manna_server::seed::DEMO_EMAIL;
use manna_server::startup::{AppState, router};
use std::net::SocketAddr;

mod common;

use common::{USERS, measure};

fn main() -> anyhow::Result<()> {
    common::run_on_runtime(run())
}

async fn run() -> anyhow::Result<()> {
    let (pool, _cluster) = common::seeded_database().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(pool.clone(), addr, rand::random());
    tokio::spawn(async move {
        axum::serve(
            manna_server::startup::no_delay(listener),
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    let user_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(DEMO_EMAIL).fetch_one(&pool).await?;
    let user_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&pool)
        .await?;
    // The seeded monthly budget of the month the data was seeded in.
    let (budget, start, end, lines): (uuid::Uuid, chrono::NaiveDate, chrono::NaiveDate, i64) = sqlx::query_as(
        "SELECT b.id, b.period_start, b.period_end, (SELECT count(*) FROM budget_items i WHERE i.budget_id = b.id)
         FROM budgets b WHERE b.user_id = $1 ORDER BY b.period_start DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_one(&pool)
    .await?;
    let in_period: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions WHERE user_id = $1 AND date BETWEEN $2 AND $3")
            .bind(user_id)
            .bind(start)
            .bind(end)
            .fetch_one(&pool)
            .await?;

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let base = format!("http://{addr}");
    let cookie = common::sign_in(&client, &base).await?;
    let n: usize = std::env::var("BENCH_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(500);

    let page = {
        let (client, cookie, url) = (client.clone(), cookie.clone(), format!("{base}/budgets/{budget}"));
        move || {
            let (client, cookie, url) = (client.clone(), cookie.clone(), url.clone());
            async move {
                let r = client.get(&url).header("cookie", cookie).send().await?;
                anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
                let body = r.text().await?;
                anyhow::ensure!(body.contains("budget-lines"), "{url}: no lines rendered");
                Ok(())
            }
        }
    };
    let server_fn = {
        let (client, cookie, url, base) = (client.clone(), cookie.clone(), format!("{base}/api/budget"), base.clone());
        move || {
            let (client, cookie, url, base) = (client.clone(), cookie.clone(), url.clone(), base.clone());
            async move {
                let r = client
                    .post(&url)
                    .header("cookie", cookie)
                    .header("origin", base)
                    .header("accept", "application/json")
                    .form(&[("id", budget.to_string())])
                    .send()
                    .await?;
                anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
                anyhow::ensure!(r.bytes().await?.len() > 100, "{url}: empty");
                Ok(())
            }
        }
    };
    let bare = {
        let pool = pool.clone();
        move || {
            let pool = pool.clone();
            async move {
                // The same statements the page's server function sends, in a plain
                // transaction: no session, no row-level security, no HTTP, no charts.
                let mut tx = pool.begin().await?;
                let m = app::budgets::ssr::measure(&mut tx, user_id, budget)
                    .await
                    .map_err(|e| anyhow::anyhow!("measure: {e}"))?;
                anyhow::ensure!(!m.lines.is_empty(), "no lines");
                Ok(())
            }
        }
    };

    let post = |endpoint: &'static str, form: Vec<(&'static str, String)>, needle: &'static str| {
        let (client, cookie, url, base) =
            (client.clone(), cookie.clone(), format!("{base}/api/{endpoint}"), base.clone());
        move || {
            let (client, cookie, url, base, form) =
                (client.clone(), cookie.clone(), url.clone(), base.clone(), form.clone());
            async move {
                let r = client
                    .post(&url)
                    .header("cookie", cookie)
                    .header("origin", base)
                    .header("accept", "application/json")
                    .form(&form)
                    .send()
                    .await?;
                anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
                anyhow::ensure!(r.text().await?.contains(needle), "{url}: no {needle}");
                Ok(())
            }
        }
    };
    let get = |path: String, needle: &'static str| {
        let (client, cookie, url) = (client.clone(), cookie.clone(), format!("{base}{path}"));
        move || {
            let (client, cookie, url) = (client.clone(), cookie.clone(), url.clone());
            async move {
                let r = client.get(&url).header("cookie", cookie).send().await?;
                anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
                anyhow::ensure!(r.text().await?.contains(needle), "{url}: no {needle}");
                Ok(())
            }
        }
    };
    // A year of the demo user's data, ending on their newest transaction.
    let newest: chrono::NaiveDate = sqlx::query_scalar("SELECT max(date) FROM transactions WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&pool)
        .await?;
    let year_from = newest - chrono::Days::new(364);
    let in_year: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions WHERE user_id = $1 AND date BETWEEN $2 AND $3")
            .bind(user_id)
            .bind(year_from)
            .bind(newest)
            .fetch_one(&pool)
            .await?;
    let report_form = |kind: &'static str| {
        vec![
            ("kind", kind.to_string()),
            ("from", year_from.to_string()),
            ("to", newest.to_string()),
            ("scope", "all".into()),
        ]
    };
    let build = |kind: manna_core::report::ReportKind| {
        let pool = pool.clone();
        move || {
            let pool = pool.clone();
            async move {
                let params = app::reports::ReportParams {
                    kind,
                    from: year_from,
                    to: newest,
                    scope: manna_core::budget::Scope::All,
                    budget: None,
                };
                let mut tx = pool.begin().await?;
                let r =
                    app::reports::ssr::build(&mut tx, user_id, &params).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                anyhow::ensure!(!r.tables.is_empty(), "empty report");
                Ok(())
            }
        }
    };
    use manna_core::report::ReportKind;
    let table = [
        measure("budget page (SSR)", n, page).await?,
        measure("budget server fn", n, server_fn).await?,
        measure("budget measuring only (SQL + math)", n, bare).await?,
        measure("P&L, 1 year (server fn)", n, post("generate_report", report_form("profit_loss"), "net_income"))
            .await?,
        measure("P&L, 1 year (SQL + math only)", n, build(ReportKind::ProfitLoss)).await?,
        measure("cash flow, 1 year (server fn)", n, post("generate_report", report_form("cash_flow"), "inflow"))
            .await?,
        measure("cash flow, 1 year (SQL + math only)", n, build(ReportKind::CashFlow)).await?,
        measure("dashboard (SSR)", n, get("/".into(), "net-worth")).await?,
        measure("dashboard server fns (accounts + budget card + insights)", n, {
            let a = post("dashboard", vec![], "accounts");
            let b = post("budget_status", vec![], "totals");
            let c = post("insights", vec![], "net_worth");
            move || {
                let (a, b, c) = (a.clone(), b.clone(), c.clone());
                async move {
                    a().await?;
                    b().await?;
                    c().await
                }
            }
        })
        .await?,
    ];
    println!();
    println!(
        "summaries: the demo user has {user_rows} transactions ({USERS} users seeded); budget period {start}..{end} holds {in_period} ({lines} lines); the report year {year_from}..{newest} holds {in_year}; {n} sequential requests each, release build"
    );
    println!("| measurement | p50 ms | p95 ms | p99 ms |");
    println!("|---|---:|---:|---:|");
    for f in &table {
        println!("| {} | {:.2} | {:.2} | {:.2} |", f.name, f.pct(0.50), f.pct(0.95), f.pct(0.99));
    }
    Ok(())
}
