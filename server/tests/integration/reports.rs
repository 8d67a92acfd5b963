//! Reports over real HTTP and Postgres: figures from a hand-checked ledger (with a
//! transfer and a split), every export opened by a real reader (csv, calamine,
//! pdftotext) agreeing with the report, versions, templates, share links
//! (expired, revoked and guessed tokens get 404) and isolation.

use crate::harness::{TestApp, new_client, spawn_app, test_db};
use crate::ledger::{Books, audit_count, books, call, category_id, ok, refused};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgPool;
use std::io::Read;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn figure(report: &Value, name: &str) -> Decimal {
    report["headline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == name)
        .and_then(|h| h[1].as_str())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

/// March 2024 for Ann: salary, groceries with a refund, rent split into rent and
/// utilities, a transfer to savings; February for comparison.
async fn march(app: &TestApp, pool: &PgPool, a: &Books) {
    let add = |date: &'static str, desc: &'static str, amount: &'static str, cat: String| {
        let (client, account) = (a.client.clone(), a.checking.clone());
        async move {
            let form = [
                ("account", account.as_str()),
                ("date", date),
                ("description", desc),
                ("amount", amount),
                ("category", &cat),
            ];
            ok(app, &client, "create_transaction", &form).await;
        }
    };
    let (salary, groceries, rent, utilities) = (
        category_id(pool, "Salary").await,
        category_id(pool, "Groceries").await,
        category_id(pool, "Rent").await,
        category_id(pool, "Utilities").await,
    );
    add("2024-03-01", "Payroll", "3000.00", salary.clone()).await;
    add("2024-03-05", "Market", "-120.10", groceries.clone()).await;
    add("2024-03-09", "Market refund", "10.00", groceries).await;
    add("2024-02-01", "Payroll", "2500.00", salary).await;
    add("2024-02-01", "Rent February", "-650.00", rent.clone()).await;
    let split = [
        ("id", a.rent.as_str()),
        ("parts[0][category]", rent.as_str()),
        ("parts[0][amount]", "-600.00"),
        ("parts[0][notes]", ""),
        ("parts[1][category]", utilities.as_str()),
        ("parts[1][amount]", "-100.00"),
        ("parts[1][notes]", ""),
    ];
    ok(app, &a.client, "split_transaction", &split).await;
    let transfer = [
        ("from", a.checking.as_str()),
        ("to", a.savings.as_str()),
        ("amount", "500.00"),
        ("date", "2024-03-10"),
        ("description", "To savings"),
    ];
    ok(app, &a.client, "create_transfer", &transfer).await;
}

fn march_form(kind: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![("kind", kind), ("from", "2024-03-01"), ("to", "2024-03-31"), ("scope", "all")]
}

async fn download(app: &TestApp, c: &reqwest::Client, path: &str) -> (u16, Vec<u8>) {
    let r = c.get(app.url(path)).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn reports_add_up_and_every_export_agrees() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    march(&app, &db.pool, &a).await;

    let pl = ok(&app, &a.client, "generate_report", &march_form("profit_loss")).await["report"].clone();
    // Income 3000; expenses: groceries 110.10 (after the refund), rent 600 and utilities
    // 100 (the split's parts), the uncategorized coffee 4.50; the transfer is neither.
    assert_eq!(figure(&pl, "income"), d("3000.00"));
    assert_eq!(figure(&pl, "expenses"), d("814.60"));
    assert_eq!(figure(&pl, "net_income"), d("2185.40"));
    assert_eq!(figure(&pl, "previous_net_income"), d("1850.00"), "February: 2500 - 650");

    let cf = ok(&app, &a.client, "generate_report", &march_form("cash_flow")).await["report"].clone();
    assert_eq!((figure(&cf, "inflow"), figure(&cf, "outflow")), (d("3010.00"), d("824.60")));

    // The balance sheet agrees with the ledger summed independently.
    let bs = ok(&app, &a.client, "generate_report", &march_form("balance_sheet")).await["report"].clone();
    let net_worth: Decimal = sqlx::query_scalar(
        "SELECT coalesce(sum(CASE WHEN a.account_type IN ('credit', 'loan') THEN t.amount ELSE t.amount END), 0)
         FROM transactions t JOIN accounts a ON a.id = t.account_id
         WHERE t.user_id = (SELECT id FROM users WHERE email = 'ann@example.com')
           AND t.date <= '2024-03-31' AND t.parent_transaction_id IS NULL",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(figure(&bs, "net_worth"), net_worth);

    for kind in ["category_analysis", "spending_trends", "tax_summary"] {
        let r = ok(&app, &a.client, "generate_report", &march_form(kind)).await;
        assert!(!r["charts"].as_array().unwrap().is_empty(), "{kind} draws a chart");
    }
    let ca = ok(&app, &a.client, "generate_report", &march_form("category_analysis")).await["report"].clone();
    assert_eq!(figure(&ca, "spent"), d("814.60"), "the same spending as the P&L");

    // Save, then download each format and read it back with a real reader.
    let mut save = march_form("profit_loss");
    save.push(("title", "March P&L"));
    let id = ok(&app, &a.client, "save_report", &save).await.as_str().unwrap().to_string();

    let (status, zip) = download(&app, &a.client, &format!("/reports/{id}/export.csv")).await;
    assert_eq!(status, 200);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut summary = String::new();
    archive.by_name("01-summary.csv").unwrap().read_to_string(&mut summary).unwrap();
    let mut reader = csv::Reader::from_reader(summary.as_bytes());
    let net = reader.records().map(|r| r.unwrap()).find(|r| &r[0] == "Net income").unwrap();
    assert_eq!(d(&net[1]), d("2185.40"));
    assert_eq!(archive.len(), 3, "one CSV per table");

    let (status, bytes) = download(&app, &a.client, &format!("/reports/{id}/export.xlsx")).await;
    assert_eq!(status, 200);
    use calamine::{DataType, Reader};
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Summary").unwrap();
    let row = sheet.rows().find(|r| r[0].to_string().trim() == "Net income").expect("net income row");
    assert_eq!(row[1].get_float(), Some(2185.40));
    let formulas = book.worksheet_formula("Summary").unwrap();
    assert!(formulas.used_cells().any(|(_, _, f)| f.contains('-')), "net income is a formula");
    let expenses = book.worksheet_range("Expenses").unwrap();
    let total = expenses.rows().find(|r| r[0].to_string().trim() == "Total expenses").unwrap();
    assert_eq!(total[1].get_float(), Some(814.60));

    let (status, pdf) = download(&app, &a.client, &format!("/reports/{id}/export.pdf")).await;
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF"));
    let dir = tempdir();
    let path = dir.join("report.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = std::process::Command::new("pdftotext").args(["-layout", path.to_str().unwrap(), "-"]).output().unwrap();
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let text = String::from_utf8_lossy(&text.stdout);
    for expected in ["March P&L", "Net income", "$2,185.40", "Total expenses", "$814.60", "Page 1 of"] {
        assert!(text.contains(expected), "PDF lacks {expected}:\n{text}");
    }
    let png = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "40", "-f", "1", "-l", "1"])
        .arg(&path)
        .arg(dir.join("page"))
        .status()
        .unwrap();
    assert!(png.success(), "pdftoppm renders the PDF");
    assert!(audit_count(&db.pool, "report.exported").await >= 3);
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("manna-report-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn versions_templates_and_share_links() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    march(&app, &db.pool, &a).await;
    let v1 = ok(&app, &a.client, "save_report", &march_form("profit_loss")).await.as_str().unwrap().to_string();
    // A late March expense: version 2 sees it, version 1 keeps its snapshot.
    let groceries = category_id(&db.pool, "Groceries").await;
    ok(
        &app,
        &a.client,
        "create_transaction",
        &[
            ("account", a.checking.as_str()),
            ("date", "2024-03-30"),
            ("description", "Late"),
            ("amount", "-85.40"),
            ("category", groceries.as_str()),
        ],
    )
    .await;
    let v2 = ok(&app, &a.client, "regenerate_report", &[("id", &v1)]).await.as_str().unwrap().to_string();
    let one = ok(&app, &a.client, "saved_report", &[("id", &v1)]).await;
    let two = ok(&app, &a.client, "saved_report", &[("id", &v2)]).await;
    assert_eq!(figure(&one["report"], "net_income"), d("2185.40"));
    assert_eq!(figure(&two["report"], "net_income"), d("2100.00"));
    assert_eq!(two["saved"]["version"], 2);
    assert_eq!(two["saved"]["versions"].as_array().unwrap().len(), 2);
    assert_eq!(one["saved"]["newest"], false);
    let before = &two["saved"]["previous_headline"];
    assert_eq!(before[0], 1);
    assert!(
        before[1].as_array().unwrap().iter().any(|h| h[0] == "net_income" && d(h[1].as_str().unwrap()) == d("2185.40"))
    );
    assert!(refused(&app, &a.client, "regenerate_report", &[("id", &v1)]).await.contains("newer version"));
    let list = ok(&app, &a.client, "saved_reports", &[]).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "the list shows the newest version");

    // A template runs for another period as a new report.
    assert!(
        refused(&app, &a.client, "run_template", &[("id", &v2), ("from", "2024-02-01"), ("to", "2024-02-29")])
            .await
            .contains("not a template")
    );
    ok(&app, &a.client, "set_report_template", &[("id", &v2), ("on", "on")]).await;
    let feb = ok(&app, &a.client, "run_template", &[("id", &v2), ("from", "2024-02-01"), ("to", "2024-02-29")]).await;
    let feb = ok(&app, &a.client, "saved_report", &[("id", feb.as_str().unwrap())]).await;
    assert_eq!(figure(&feb["report"], "net_income"), d("1850.00"));

    // Share: anyone with the link sees this report and nothing else, until it is revoked.
    let path = ok(&app, &a.client, "share_report", &[("id", &v2), ("days", "7")]).await.as_str().unwrap().to_string();
    let token = path.trim_start_matches("/shared/").to_string();
    let stranger = new_client();
    let page = stranger.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("$2,100.00") && html.contains("Shared report"), "{html}");
    let shared = ok(&app, &stranger, "shared_report", &[("token", &token)]).await;
    assert!(shared["saved"].is_null(), "a share link carries no ids of its owner");
    let (status, pdf) = download(&app, &stranger, &format!("{path}/export.pdf")).await;
    assert_eq!((status, pdf.starts_with(b"%PDF")), (200, true));
    // The stranger cannot reach the owner's report by id.
    assert_eq!(download(&app, &stranger, &format!("/reports/{v2}/export.csv")).await.0, 401);
    // Guessed and malformed tokens.
    let guessed = "ab".repeat(32);
    for bad in [guessed.as_str(), "short", "../../etc/passwd"] {
        let (status, _) = call(&app, &stranger, "shared_report", &[("token", bad)]).await;
        assert_eq!(status, 404, "{bad}");
        assert_eq!(download(&app, &stranger, &format!("/shared/{bad}/export.csv")).await.0, 404);
    }
    // Expired.
    sqlx::query("UPDATE reports SET share_expires_at = now() - interval '1 second' WHERE share_token = $1")
        .bind(&token)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(call(&app, &stranger, "shared_report", &[("token", &token)]).await.0, 404);
    assert_eq!(download(&app, &stranger, &format!("{path}/export.csv")).await.0, 404);
    // Revoked.
    let path = ok(&app, &a.client, "share_report", &[("id", &v2), ("days", "7")]).await.as_str().unwrap().to_string();
    let token = path.trim_start_matches("/shared/").to_string();
    assert_eq!(call(&app, &stranger, "shared_report", &[("token", &token)]).await.0, 200);
    ok(&app, &a.client, "revoke_share", &[("id", &v2)]).await;
    assert_eq!(call(&app, &stranger, "shared_report", &[("token", &token)]).await.0, 404);
    assert!(refused(&app, &a.client, "share_report", &[("id", &v2), ("days", "365")]).await.contains("1 to 90"));
    for (action, n) in
        [("report.saved", 2), ("report.regenerated", 1), ("report.shared", 2), ("report.share_revoked", 1)]
    {
        assert_eq!(audit_count(&db.pool, action).await, n, "{action}");
    }
}

#[tokio::test]
async fn bad_report_requests_are_refused() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    for (form, expect) in [
        (vec![("kind", "horoscope"), ("from", "2024-01-01"), ("to", "2024-01-31"), ("scope", "all")], "report type"),
        (vec![("kind", "cash_flow"), ("from", "2024-02-01"), ("to", "2024-01-31"), ("scope", "all")], "ends before"),
        (vec![("kind", "cash_flow"), ("from", "2000-01-01"), ("to", "2024-01-31"), ("scope", "all")], "ten years"),
        (vec![("kind", "cash_flow"), ("from", "2024-01-01"), ("to", "2024-01-31"), ("scope", "family")], "personal"),
        (vec![("kind", "budget_variance"), ("from", "2024-01-01"), ("to", "2024-01-31"), ("scope", "all")], "budget"),
    ] {
        let message = refused(&app, &a.client, "generate_report", &form).await;
        assert!(message.contains(expect), "{form:?}: {message}");
    }
    let reports: i64 = sqlx::query_scalar("SELECT count(*) FROM reports").fetch_one(&db.pool).await.unwrap();
    assert_eq!(reports, 0);
}

#[tokio::test]
async fn isolation_another_users_reports_are_not_found() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let b = books(&app, "bob@example.com").await;
    march(&app, &db.pool, &a).await;
    let id = ok(&app, &a.client, "save_report", &march_form("profit_loss")).await.as_str().unwrap().to_string();
    ok(&app, &a.client, "set_report_template", &[("id", &id), ("on", "on")]).await;
    let budget = ok(
        &app,
        &a.client,
        "create_budget",
        &[("name", "A"), ("kind", "monthly"), ("scope", "all"), ("start", "2024-03-01")],
    )
    .await
    .as_str()
    .unwrap()
    .to_string();
    let before: String = sqlx::query_scalar("SELECT md5(string_agg(r::text, '' ORDER BY id)) FROM reports r")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    for (endpoint, form) in [
        ("saved_report", vec![("id", id.as_str())]),
        ("regenerate_report", vec![("id", id.as_str())]),
        ("set_report_template", vec![("id", id.as_str())]),
        ("run_template", vec![("id", id.as_str()), ("from", "2024-01-01"), ("to", "2024-01-31")]),
        ("share_report", vec![("id", id.as_str()), ("days", "7")]),
        ("revoke_share", vec![("id", id.as_str())]),
        ("delete_report", vec![("id", id.as_str())]),
        (
            "generate_report",
            vec![
                ("kind", "budget_variance"),
                ("from", "2024-03-01"),
                ("to", "2024-03-31"),
                ("scope", "all"),
                ("budget", budget.as_str()),
            ],
        ),
    ] {
        let (status, body) = call(&app, &b.client, endpoint, &form).await;
        assert_eq!(status, 404, "{endpoint}: {body}");
    }
    for format in ["csv", "xlsx", "pdf"] {
        assert_eq!(download(&app, &b.client, &format!("/reports/{id}/export.{format}")).await.0, 404);
    }
    let after: String = sqlx::query_scalar("SELECT md5(string_agg(r::text, '' ORDER BY id)) FROM reports r")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(before, after);
    assert!(ok(&app, &b.client, "saved_reports", &[]).await.as_array().unwrap().is_empty());
    // B's own P&L for March has none of A's money.
    let pl = ok(&app, &b.client, "generate_report", &march_form("profit_loss")).await["report"].clone();
    assert_eq!(figure(&pl, "income"), Decimal::ZERO);
    assert_eq!(figure(&pl, "expenses"), d("704.50"), "B's own rent and coffee from the shared fixture");
    let (status, _) = call(&app, &new_client(), "saved_reports", &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_transactions_view_exports_with_its_filters() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let b = books(&app, "bob@example.com").await;
    march(&app, &db.pool, &a).await;
    let query = "from=2024-03-01&to=2024-03-31&q=market";
    let (status, bytes) = download(&app, &a.client, &format!("/transactions/export.csv?{query}")).await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    assert_eq!(&reader.headers().unwrap()[0], "Date");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let descriptions: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(descriptions, vec!["Market refund", "Market"], "the page's order: newest first");
    let sum: Decimal = rows.iter().map(|r| d(&r[2])).sum();
    assert_eq!(sum, d("-110.10"));
    // The same view as the page's server function shows it.
    let page = ok(
        &app,
        &a.client,
        "transactions",
        &[("query[from]", "2024-03-01"), ("query[to]", "2024-03-31"), ("query[q]", "market")],
    )
    .await;
    assert_eq!(page["rows"].as_array().unwrap().len(), rows.len());

    let (status, bytes) = download(&app, &a.client, &format!("/transactions/export.xlsx?{query}")).await;
    assert_eq!(status, 200);
    use calamine::{DataType, Reader};
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Transactions").unwrap();
    let total = sheet.rows().find(|r| r[1] == "Total").unwrap();
    assert_eq!(total[2].get_float(), Some(-110.10));

    // Bob's export of the same view holds none of Ann's rows; signed out is refused.
    let (_, bytes) = download(&app, &b.client, &format!("/transactions/export.csv?{query}")).await;
    assert_eq!(csv::Reader::from_reader(&bytes[..]).records().count(), 0);
    assert_eq!(download(&app, &new_client(), &format!("/transactions/export.csv?{query}")).await.0, 401);
    assert_eq!(download(&app, &a.client, "/transactions/export.pdf").await.0, 404);
    let (status, _) = download(&app, &a.client, "/transactions/export.csv?from=2024-03-31&to=2024-03-01").await;
    assert_eq!(status, 422, "a bad filter is refused like on the page");
}

#[tokio::test]
async fn dashboard_insights_cover_this_month_and_what_needs_attention() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let b = books(&app, "bob@example.com").await;
    let groceries = category_id(&db.pool, "Groceries").await;
    let today = chrono::Utc::now().date_naive().to_string();
    for (desc, amount) in [("Market", "-42.10"), ("Refund", "5.00")] {
        ok(
            &app,
            &a.client,
            "create_transaction",
            &[
                ("account", a.checking.as_str()),
                ("date", today.as_str()),
                ("description", desc),
                ("amount", amount),
                ("category", groceries.as_str()),
            ],
        )
        .await;
    }
    let i = ok(&app, &a.client, "insights", &[]).await;
    // Opening balances are adjustments dated today: money in this month too.
    let opening_in = d("1000.00");
    assert_eq!(d(i["month_in"].as_str().unwrap()), opening_in + d("5.00"));
    assert_eq!(
        d(i["month_out"].as_str().unwrap()),
        d("42.10") + d("200.00"),
        "the card's opening balance owed is money out"
    );
    let spending = i["spending"].as_array().unwrap();
    assert!(spending.iter().any(|s| s[0] == "Food" && d(s[1].as_str().unwrap()) == d("37.10")), "{spending:?}");
    // Ann's March 2024 rows are unreconciled: Checking needs attention.
    let attention = i["attention"].as_array().unwrap();
    assert!(
        attention
            .iter()
            .any(|x| x["account"] == "Checking"
                && x["reason"].as_str().unwrap().contains("unreconciled since 1 Mar 2024"))
    );
    assert_eq!(i["net_worth"].as_array().unwrap().len(), 12);
    let last = i["net_worth"].as_array().unwrap().last().unwrap()[1].as_str().unwrap().to_string();
    let summary = ok(&app, &a.client, "dashboard", &[]).await;
    let balances: Decimal = summary["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|acc| {
            let bal = d(acc["current_balance"].as_str().unwrap());
            if acc["kind"] == "credit" || acc["kind"] == "loan" { -bal } else { bal }
        })
        .sum();
    assert_eq!(d(&last), balances, "this month's point is today's net worth");
    // The dashboard's scope: Ann's accounts are personal, so business has nothing.
    let business = ok(&app, &a.client, "insights", &[("business", "true")]).await;
    assert!(business["attention"].as_array().unwrap().is_empty());
    assert_eq!(d(business["month_out"].as_str().unwrap()), Decimal::ZERO);
    assert!(business["spending"].as_array().unwrap().is_empty());
    let personal = ok(&app, &a.client, "insights", &[("business", "false")]).await;
    assert_eq!(personal["month_out"], i["month_out"]);
    // Bob sees his own only.
    let theirs = ok(&app, &b.client, "insights", &[]).await;
    assert!(theirs["spending"].as_array().unwrap().iter().all(|s| s[0] != "Food"));
    assert!(theirs["attention"].as_array().unwrap().iter().all(|x| x["account_id"] != a.checking.as_str()));
}
