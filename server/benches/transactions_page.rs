//! The transactions page at a million rows: server-side latency of the page (SSR) and
//! of its server function for a one-year range with 50 rows, with and without a text
//! filter, next to the bare SQL of the same query, then throughput under `wrk` at
//! concurrency 32. Latency is taken server-side (from the router receiving the request
//! to the server dropping the finished response body); the client-observed figures of
//! the same requests, which add reqwest's work and the loopback, are printed as well.
//!
//! Run: `cargo bench -p manna-server --bench transactions_page` (release build). The
//! first run seeds 1,000,000 transactions over 10 users into a Postgres cluster under
//! `target/tmp/bench-pg` (about two minutes) and keeps it for later runs; set
//! `DATABASE_URL` to use another database, `BENCH_REQUESTS` for the sample size,
//! `BENCH_POOL` for a pool size other than the app's default.

use manna_server::seed::DEMO_EMAIL;
use manna_server::startup::{AppState, router};
use std::net::SocketAddr;
use std::process::Command;

mod common;

use common::{ServerClock, USERS, measure, measure_http};

fn main() -> anyhow::Result<()> {
    common::run_on_runtime(run())
}

async fn run() -> anyhow::Result<()> {
    let (pool, _cluster) = common::seeded_database().await?;
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(&pool).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(pool.clone(), addr, rand::random());
    let clock = ServerClock::default();
    let app = clock.layer(router(state));
    tokio::spawn(async move {
        axum::serve(manna_server::startup::no_delay(listener), app.into_make_service_with_connect_info::<SocketAddr>())
            .await
    });

    let (user_id, to): (uuid::Uuid, chrono::NaiveDate) = sqlx::query_as(
        "SELECT u.id, max(t.date) FROM users u JOIN transactions t ON t.user_id = u.id WHERE u.email = $1 GROUP BY u.id",
    )
    .bind(DEMO_EMAIL)
    .fetch_one(&pool)
    .await?;
    let from = to - chrono::Days::new(364);
    let user_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&pool)
        .await?;
    let in_range: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions WHERE user_id = $1 AND date BETWEEN $2 AND $3")
            .bind(user_id)
            .bind(from)
            .bind(to)
            .fetch_one(&pool)
            .await?;
    let text = "coffee";

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let base = format!("http://{addr}");
    let cookie = common::sign_in(&client, &base).await?;

    let n: usize = std::env::var("BENCH_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let page_url = format!("{base}/transactions?from={from}&to={to}");
    let search_url = format!("{page_url}&q={text}");
    let range = [("query[from]", from.to_string()), ("query[to]", to.to_string())];
    let mut with_text = range.to_vec();
    with_text.push(("query[q]", text.to_string()));

    let page = |url: String| {
        let (client, cookie) = (client.clone(), cookie.clone());
        move || {
            let (client, cookie, url) = (client.clone(), cookie.clone(), url.clone());
            async move {
                let r = client.get(&url).header("cookie", cookie).send().await?;
                anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
                let body = r.text().await?;
                anyhow::ensure!(body.contains("data-transaction-id"), "{url}: no rows rendered");
                Ok(())
            }
        }
    };
    let server_fn = |form: Vec<(&'static str, String)>| {
        let (client, cookie, url) = (client.clone(), cookie.clone(), format!("{base}/api/transactions"));
        move || {
            let (client, cookie, url, form) = (client.clone(), cookie.clone(), url.clone(), form.clone());
            let base = format!("http://{addr}");
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
                let body = r.bytes().await?;
                anyhow::ensure!(body.len() > 100, "{url}: empty page");
                Ok(())
            }
        }
    };
    let bare = |text: Option<&'static str>| {
        let pool = pool.clone();
        move || {
            let pool = pool.clone();
            async move {
                let filter = app::data::transactions::ListFilter {
                    from: Some(from),
                    to: Some(to),
                    text: text.map(str::to_string),
                    ..Default::default()
                };
                // The same statements the app sends, in a plain transaction planned as
                // the app's is: no role switch, no row-level security, no session check,
                // no HTTP.
                let plan = filter.plan_mode().map(|m| format!("; SET LOCAL plan_cache_mode = {m}")).unwrap_or_default();
                let mut tx = app::data::begin_with(&pool, format!("BEGIN{plan}")).await?;
                let rows = app::data::transactions::list(&mut tx, user_id, &filter, None, 51).await?;
                anyhow::ensure!(!rows.is_empty(), "no rows");
                Ok(())
            }
        }
    };

    // Server-side figures first (what the targets are about), then the bare SQL, then
    // what the client saw of the same requests.
    let [page_server, page_client] =
        measure_http("page (SSR), 1-year range", n, &clock, page(page_url.clone())).await?;
    let [page_text_server, page_text_client] =
        measure_http("page (SSR), 1-year range + text", n, &clock, page(search_url)).await?;
    let [fn_server, fn_client] = measure_http("server fn, 1-year range", n, &clock, server_fn(range.to_vec())).await?;
    let [fn_text_server, fn_text_client] =
        measure_http("server fn, 1-year range + text", n, &clock, server_fn(with_text)).await?;
    let bare_range = measure("bare SQL, 1-year range", n, bare(None)).await?;
    let bare_text = measure("bare SQL, 1-year range + text", n, bare(Some(text))).await?;
    let ratio = |app: &common::Figures, sql: &common::Figures| app.pct(0.5) / sql.pct(0.5);
    let ratios = format!(
        "app time / bare SQL at p50, server-side: server fn {:.2}× ({:.2}× with text); page {:.2}× ({:.2}× with text); \
         client-observed server fn {:.2}× ({:.2}× with text)",
        ratio(&fn_server, &bare_range),
        ratio(&fn_text_server, &bare_text),
        ratio(&page_server, &bare_range),
        ratio(&page_text_server, &bare_text),
        ratio(&fn_client, &bare_range),
        ratio(&fn_text_client, &bare_text),
    );
    let table = [
        page_server,
        page_text_server,
        fn_server,
        fn_text_server,
        bare_range,
        bare_text,
        page_client,
        page_text_client,
        fn_client,
        fn_text_client,
    ];

    println!();
    println!(
        "transactions page at {have} rows ({USERS} users; the demo user has {user_rows}, {in_range} in the range {from}..{to}), {n} sequential requests each, release build"
    );
    println!("| measurement | p50 ms | p95 ms | p99 ms |");
    println!("|---|---:|---:|---:|");
    for f in &table {
        println!("| {} | {:.2} | {:.2} | {:.2} |", f.name, f.pct(0.50), f.pct(0.95), f.pct(0.99));
    }
    println!("{ratios}");

    // Throughput, then the ceiling rendering sets: the same page and server fn for a
    // month before the user's first row (no rows: the session check, the shell, the
    // filters and an empty list), so that what the 50 rows add to the data alone can be
    // told apart from what rendering them adds.
    let first: chrono::NaiveDate = sqlx::query_scalar("SELECT min(date) FROM transactions WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&pool)
        .await?;
    let (empty_from, empty_to) = (first - chrono::Days::new(31), first - chrono::Days::new(1));
    let list_url = format!("{base}/api/transactions");
    let empty_url = format!("{base}/transactions?from={empty_from}&to={empty_to}");
    let empty = client.get(&empty_url).header("cookie", &cookie).send().await?;
    anyhow::ensure!(empty.status().is_success(), "{empty_url}: {}", empty.status());
    anyhow::ensure!(!empty.text().await?.contains("data-transaction-id"), "{empty_url}: rows where none were expected");
    let body = |from: chrono::NaiveDate, to: chrono::NaiveDate| format!("query%5Bfrom%5D={from}&query%5Bto%5D={to}");
    let runs = [
        wrk("page (SSR), 1-year range", &page_url, &cookie, None),
        // The page's list alone, as its server function: the part of a render that is
        // data (session check, the query, JSON, HTTP), without the HTML around it.
        wrk("server fn alone, 1-year range", &list_url, &cookie, Some((&body(from, to), &base))),
        wrk("page (SSR), a month with no rows", &empty_url, &cookie, None),
        wrk("server fn alone, a month with no rows", &list_url, &cookie, Some((&body(empty_from, empty_to), &base))),
    ];
    for run in &runs {
        match run {
            Ok(run) => println!("{}", run.line),
            Err(e) => println!("wrk: not run ({e})"),
        }
    }
    if let [Ok(page), Ok(list), Ok(empty_page), Ok(empty_list)] = &runs
        && runs.iter().flatten().all(|run| run.clean)
    {
        // With wrk keeping the machine busy, a request's share of it is 1 / (requests/s):
        // those shares add up.
        let rows_as_data = 1.0 / list.rps - 1.0 / empty_list.rps;
        let ceiling = 1.0 / (1.0 / empty_page.rps + rows_as_data);
        println!(
            "ceiling if the 50 rows cost nothing to render: {ceiling:.0} renders/s, the page with no rows plus what the \
             rows add to the server fn alone (per render, with the machine busy: {:.2} ms = {:.2} ms page with no rows \
             + {:.2} ms the rows' data; the page measured {:.0}/s, {:.2} ms)",
            1000.0 / ceiling,
            1000.0 / empty_page.rps,
            1000.0 * rows_as_data,
            page.rps,
            1000.0 / page.rps
        );
    } else {
        println!("ceiling: not worked out (a wrk run failed or had error responses)");
    }
    Ok(())
}

/// CPU time so far: (this process, the whole machine), in seconds.
fn cpu_seconds() -> (f64, f64) {
    let tick = 100.0; // USER_HZ: /proc reports CPU time in hundredths of a second on Linux
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            Some(after.get(11)?.parse::<f64>().ok()? + after.get(12)?.parse::<f64>().ok()?)
        })
        .unwrap_or(0.0);
    let all = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<f64> = s.lines().next()?.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
            // user nice system (idle iowait skipped) irq softirq steal
            Some(
                f.first()?
                    + f.get(1)?
                    + f.get(2)?
                    + f.get(5).unwrap_or(&0.0)
                    + f.get(6).unwrap_or(&0.0)
                    + f.get(7).unwrap_or(&0.0),
            )
        })
        .unwrap_or(0.0);
    (own / tick, all / tick)
}

/// What one wrk run printed, its requests per second, and whether every response was a
/// success (an error page is cheap, and its rate says nothing about the real one).
struct WrkRun {
    line: String,
    rps: f64,
    clean: bool,
}

/// `wrk -t2 -c32 -d10s` on `url`, signed in (a form POST when `post` gives the body
/// and origin): requests per second and errors, and where the CPU went (the app is
/// this process; the rest is Postgres and wrk).
fn wrk(what: &str, url: &str, cookie: &str, post: Option<(&str, &str)>) -> anyhow::Result<WrkRun> {
    let mut args: Vec<String> =
        ["-t2", "-c32", "-d10s", "--latency", "-H", &format!("Cookie: {cookie}")].map(String::from).into();
    let script = std::env::temp_dir().join(format!("manna-bench-wrk-{}.lua", std::process::id()));
    if let Some((body, origin)) = post {
        std::fs::write(
            &script,
            format!(
                "wrk.method = \"POST\"\nwrk.body = \"{body}\"\n\
                 wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
                 wrk.headers[\"Origin\"] = \"{origin}\"\nwrk.headers[\"Accept\"] = \"application/json\"\n"
            ),
        )?;
        args.extend(["-s".to_string(), script.display().to_string()]);
    }
    args.push(url.to_string());
    let before = cpu_seconds();
    let out = Command::new("wrk")
        .args(&args)
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run wrk: {e}; install it with scripts/install.sh"));
    let _ = std::fs::remove_file(&script);
    let out = out?;
    let after = cpu_seconds();
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| {
        text.lines().find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string())).unwrap_or_default()
    };
    let rps = field("Requests/sec:");
    let non_2xx = field("Non-2xx or 3xx responses:");
    let socket = field("Socket errors:");
    let p99 = text.lines().find_map(|l| l.trim().strip_prefix("99%").map(|v| v.trim().to_string())).unwrap_or_default();
    let rate = rps.parse::<f64>().unwrap_or(0.0);
    anyhow::ensure!(rate > 0.0, "wrk gave no rate for {what}: {}", String::from_utf8_lossy(&out.stderr).trim());
    let requests = rate * 10.0;
    let per = |secs: f64| secs * 1000.0 / requests;
    let (app_cpu, all_cpu) = (after.0 - before.0, after.1 - before.1);
    let clean = non_2xx.is_empty() && socket.is_empty();
    let line = format!(
        "wrk -t2 -c32 -d10s {what}: {rps} requests/s, latency p99 {p99}, non-2xx {}, socket errors {}\n\
         CPU per request: app {:.2} ms, everything else (Postgres, wrk) {:.2} ms",
        if non_2xx.is_empty() { "0".into() } else { non_2xx },
        if socket.is_empty() { "none".into() } else { socket },
        per(app_cpu),
        per(all_cpu - app_cpu)
    );
    Ok(WrkRun { line, rps: rate, clean })
}
