//! Budgets over real HTTP and Postgres: actuals with parents rolling up children,
//! variance, rollover carried into the next period (and kept in step with late
//! edits), templates from past spending, the page itself, refusals, audit and
//! isolation of every server function.

use crate::harness::{TestApp, spawn_app, test_db};
use crate::ledger::{audit_count, books, call, category_id, ok, refused};
use rust_decimal::Decimal;
use serde_json::Value;

async fn spend(app: &TestApp, c: &reqwest::Client, account: &str, date: &str, desc: &str, amount: &str, cat: &str) {
    let form = [("account", account), ("date", date), ("description", desc), ("amount", amount), ("category", cat)];
    ok(app, c, "create_transaction", &form).await;
}

fn line<'a>(view: &'a Value, category: &str) -> &'a Value {
    view["lines"].as_array().unwrap().iter().find(|l| l["category"] == category).unwrap_or_else(|| {
        panic!("no line {category} in {view}");
    })
}

/// An amount from the wire, compared as a number (so 0 and 0.00 are equal).
fn money(v: &Value) -> Decimal {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not an amount: {v}"))
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

async fn create_march(app: &TestApp, c: &reqwest::Client) -> String {
    let form = [("name", "Household"), ("kind", "monthly"), ("scope", "personal"), ("start", "2024-03-01")];
    ok(app, c, "create_budget", &form).await.as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_budget_rolls_up_measures_variance_and_carries_into_the_next_month() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let (food, groceries, coffee, restaurants) = (
        category_id(&db.pool, "Food").await,
        category_id(&db.pool, "Groceries").await,
        category_id(&db.pool, "Coffee").await,
        category_id(&db.pool, "Restaurants").await,
    );
    spend(&app, &a.client, &a.checking, "2024-03-05", "Market", "-120.10", &groceries).await;
    spend(&app, &a.client, &a.checking, "2024-03-09", "Market refund", "5.00", &groceries).await;
    spend(&app, &a.client, &a.checking, "2024-03-10", "Bistro", "-30.00", &restaurants).await;
    spend(&app, &a.client, &a.checking, "2024-03-15", "Espresso", "-8.00", &coffee).await;
    spend(&app, &a.client, &a.checking, "2024-03-31", "Espresso", "-4.50", &coffee).await;
    // Outside the period: not counted.
    spend(&app, &a.client, &a.checking, "2024-04-01", "Espresso", "-100.00", &coffee).await;
    spend(&app, &a.client, &a.checking, "2024-02-29", "Espresso", "-100.00", &coffee).await;

    let budget = create_march(&app, &a.client).await;
    for (cat, amount, rollover) in [(&food, "800", false), (&groceries, "300", false), (&coffee, "10.00", true)] {
        let mut form = vec![("budget", budget.as_str()), ("category", cat.as_str()), ("amount", amount)];
        if rollover {
            form.push(("rollover", "on"));
        }
        ok(&app, &a.client, "save_budget_line", &form).await;
    }
    let v = ok(&app, &a.client, "budget", &[("id", &budget)]).await;
    assert_eq!(v["budget"]["period_label"], "March 2024");
    assert_eq!((v["budget"]["start"].as_str(), v["budget"]["end"].as_str()), (Some("2024-03-01"), Some("2024-03-31")));
    // Food rolls up Groceries (net of the refund), Restaurants and Coffee.
    let f = line(&v, "Food");
    assert_eq!(
        (money(&f["actual"]), f["rolls_up"].as_bool(), f["within_parent"].as_bool()),
        (d("157.60"), Some(true), Some(false))
    );
    assert_eq!(money(&f["remaining"]), d("642.40"));
    assert_eq!(money(&line(&v, "Groceries")["actual"]), d("115.10"));
    let c = line(&v, "Coffee");
    assert_eq!(
        (money(&c["actual"]), money(&c["remaining"]), c["over"].as_bool()),
        (d("12.50"), d("-2.50"), Some(true))
    );
    assert_eq!(money(&c["variance_percent"]), d("-25.0"));
    assert_eq!(c["within_parent"], true);
    // Totals count the top-level line only; the uncategorized rent is outside the lines.
    let t = &v["totals"];
    assert_eq!((money(&t["base"]), money(&t["actual"]), money(&t["remaining"])), (d("800"), d("157.60"), d("642.40")));
    assert_eq!(money(&t["unbudgeted"]), d("704.50"), "rent 700 and the uncategorized Blue Bottle 4.50");
    assert_eq!(money(&t["projected"]), d("157.60"), "a past period's projection is its actual");
    assert!(v["chart_vs_svg"].as_str().unwrap().contains("Groceries"));
    assert!(v["chart_pace_svg"].as_str().unwrap().starts_with("<svg"));
    assert!(v["next"].is_null());
    assert_eq!(v["next_period_label"], "April 2024");

    // The page itself renders on the server with the figures.
    let html = a.client.get(app.url(&format!("/budgets/{budget}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("March 2024") && html.contains("$157.60") && html.contains("Start April 2024"), "{html}");

    // Carry forward: Coffee's overspending follows it into April, Groceries' leftover does not.
    let april = ok(&app, &a.client, "carry_forward", &[("id", &budget)]).await.as_str().unwrap().to_string();
    let v = ok(&app, &a.client, "budget", &[("id", &april)]).await;
    assert_eq!(v["budget"]["period_label"], "April 2024");
    assert_eq!(v["budget"]["name"], "Household");
    assert_eq!(v["previous"][0], budget.as_str());
    let c = line(&v, "Coffee");
    assert_eq!((money(&c["base"]), money(&c["carried"]), money(&c["available"])), (d("10.00"), d("-2.50"), d("7.50")));
    assert_eq!(money(&c["actual"]), d("100.00"));
    assert_eq!(money(&line(&v, "Groceries")["carried"]), d("0"));
    // A late March purchase moves what April carries.
    spend(&app, &a.client, &a.checking, "2024-03-20", "Espresso", "-1.25", &coffee).await;
    let v = ok(&app, &a.client, "budget", &[("id", &april)]).await;
    assert_eq!(money(&line(&v, "Coffee")["carried"]), d("-3.75"));
    let stored: rust_decimal::Decimal = sqlx::query_scalar(
        "SELECT rollover_amount FROM budget_items WHERE budget_id = $1::uuid AND category_id = $2::uuid",
    )
    .bind(&april)
    .bind(&coffee)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(stored.to_string(), "-3.75");
    let march = ok(&app, &a.client, "budget", &[("id", &budget)]).await;
    assert_eq!(march["next"][0], april.as_str());
    assert!(refused(&app, &a.client, "carry_forward", &[("id", &budget)]).await.contains("already exists"));

    // Turning rollover off on March stops the carry.
    ok(&app, &a.client, "save_budget_line", &[("budget", &budget), ("category", &coffee), ("amount", "10.00")]).await;
    let v = ok(&app, &a.client, "budget", &[("id", &april)]).await;
    assert_eq!(money(&line(&v, "Coffee")["carried"]), d("0"));

    // Listing, renaming, deleting a line and the budget; each audited.
    let list = ok(&app, &a.client, "budgets", &[]).await;
    assert_eq!(list["budgets"].as_array().unwrap().len(), 2);
    ok(&app, &a.client, "save_budget", &[("id", &april), ("name", "Home"), ("active", "on")]).await;
    let groceries_line = line(&v, "Groceries")["id"].as_str().unwrap().to_string();
    ok(&app, &a.client, "delete_budget_line", &[("id", &groceries_line)]).await;
    ok(&app, &a.client, "delete_budget", &[("id", &april)]).await;
    assert_eq!(ok(&app, &a.client, "budgets", &[]).await["budgets"].as_array().unwrap().len(), 1);
    for (action, n) in [
        ("budget.created", 1),
        ("budget.line_saved", 4),
        ("budget.carried_forward", 1),
        ("budget.updated", 1),
        ("budget.line_deleted", 1),
        ("budget.deleted", 1),
    ] {
        assert_eq!(audit_count(&db.pool, action).await, n, "{action}");
    }
}

#[tokio::test]
async fn templates_start_from_average_spending_and_the_dashboard_shows_this_month() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let groceries = category_id(&db.pool, "Groceries").await;
    let coffee = category_id(&db.pool, "Coffee").await;
    for (date, amount) in [("2024-01-10", "-100.00"), ("2024-02-10", "-110.00"), ("2024-03-10", "-120.01")] {
        spend(&app, &a.client, &a.checking, date, "Market", amount, &groceries).await;
    }
    spend(&app, &a.client, &a.checking, "2023-12-31", "Espresso", "-50", &coffee).await;
    let form = [
        ("name", "Spring"),
        ("kind", "monthly"),
        ("scope", "all"),
        ("start", "2024-04-01"),
        ("template", "average"),
        ("months", "3"),
    ];
    let id = ok(&app, &a.client, "create_budget", &form).await.as_str().unwrap().to_string();
    let v = ok(&app, &a.client, "budget", &[("id", &id)]).await;
    let lines = v["lines"].as_array().unwrap();
    // (100 + 110 + 120.01) / 3 = 110.0033…, rounded up to 111; December's coffee is too old.
    assert_eq!(lines.len(), 1, "{v}");
    assert_eq!((lines[0]["category"].as_str(), money(&lines[0]["base"])), (Some("Groceries"), d("111")));

    // A quarter follows the fiscal year: from a February date in a calendar year, Jan–Mar.
    let q = [("name", "Q"), ("kind", "quarterly"), ("scope", "business"), ("start", "2024-02-14")];
    let q = ok(&app, &a.client, "create_budget", &q).await.as_str().unwrap().to_string();
    let v = ok(&app, &a.client, "budget", &[("id", &q)]).await;
    assert_eq!((v["budget"]["start"].as_str(), v["budget"]["end"].as_str()), (Some("2024-01-01"), Some("2024-03-31")));

    // The dashboard card shows the budget covering today, once there is one.
    assert!(ok(&app, &a.client, "budget_status", &[]).await.is_null());
    let today = chrono::Utc::now().date_naive();
    let start = chrono::Datelike::with_day(&today, 1).unwrap().to_string();
    spend(&app, &a.client, &a.checking, &today.to_string(), "Espresso", "-3.00", &coffee).await;
    let now = [("name", "Now"), ("kind", "monthly"), ("scope", "personal"), ("start", start.as_str())];
    let now = ok(&app, &a.client, "create_budget", &now).await.as_str().unwrap().to_string();
    ok(&app, &a.client, "save_budget_line", &[("budget", &now), ("category", &coffee), ("amount", "20")]).await;
    let status = ok(&app, &a.client, "budget_status", &[]).await;
    assert_eq!(status["id"], now.as_str());
    assert_eq!(money(&status["totals"]["actual"]), d("3.00"));
    let html = a.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-testid=\"budget-status\""), "dashboard widget missing");
}

#[tokio::test]
async fn bad_budget_input_is_refused_and_nothing_is_written() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let salary = category_id(&db.pool, "Salary").await;
    let coffee = category_id(&db.pool, "Coffee").await;
    let base = |kind: &'static str, start: &'static str, end: &'static str| {
        vec![("name", "X"), ("kind", kind), ("scope", "personal"), ("start", start), ("end", end)]
    };
    for (form, expect) in [
        (base("weekly", "2024-03-01", ""), "monthly, quarterly"),
        (base("custom", "2024-03-01", "2024-02-01"), "ends before it starts"),
        (base("custom", "2024-03-01", "2031-01-01"), "at most 3 years"),
        (base("monthly", "March", ""), "Start"),
        (vec![("name", ""), ("kind", "monthly"), ("scope", "personal"), ("start", "2024-03-01")], "Name"),
        (vec![("name", "X"), ("kind", "monthly"), ("scope", "family"), ("start", "2024-03-01")], "personal, business"),
        (
            vec![
                ("name", "X"),
                ("kind", "monthly"),
                ("scope", "all"),
                ("start", "2024-03-01"),
                ("template", "average"),
                ("months", "0"),
            ],
            "1 to 24",
        ),
    ] {
        let message = refused(&app, &a.client, "create_budget", &form).await;
        assert!(message.contains(expect), "{form:?}: {message}");
    }
    let budget = create_march(&app, &a.client).await;
    for (category, amount, expect) in [
        (salary.as_str(), "100", "expense category"),
        (coffee.as_str(), "-5", "negative"),
        (coffee.as_str(), "12.345", ""),
        (coffee.as_str(), "lots", ""),
        ("", "5", "choose a category"),
    ] {
        let message = refused(
            &app,
            &a.client,
            "save_budget_line",
            &[("budget", &budget), ("category", category), ("amount", amount)],
        )
        .await;
        assert!(message.contains(expect), "{category} {amount}: {message}");
    }
    let lines: i64 = sqlx::query_scalar("SELECT count(*) FROM budget_items").fetch_one(&db.pool).await.unwrap();
    let budgets: i64 = sqlx::query_scalar("SELECT count(*) FROM budgets").fetch_one(&db.pool).await.unwrap();
    assert_eq!((lines, budgets), (0, 1));
    let (status, _) = call(&app, &a.client, "budget", &[("id", "not-an-id")]).await;
    assert_eq!(status, 404, "a malformed id names nothing");
}

#[tokio::test]
async fn isolation_another_users_budgets_are_not_found() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let b = books(&app, "bob@example.com").await;
    let coffee = category_id(&db.pool, "Coffee").await;
    let budget = create_march(&app, &a.client).await;
    ok(&app, &a.client, "save_budget_line", &[("budget", &budget), ("category", &coffee), ("amount", "10")]).await;
    let a_line: String = sqlx::query_scalar("SELECT id::text FROM budget_items").fetch_one(&db.pool).await.unwrap();
    let a_cat = ok(&app, &a.client, "create_category", &[("name", "Ann's")]).await.as_str().unwrap().to_string();
    let b_budget = create_march(&app, &b.client).await;
    let snapshot = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT md5(coalesce((SELECT string_agg(b::text, '' ORDER BY id) FROM budgets b), '')
                     || coalesce((SELECT string_agg(i::text, '' ORDER BY id) FROM budget_items i), ''))",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    let before = snapshot().await;
    for (endpoint, form) in [
        ("budget", vec![("id", budget.as_str())]),
        ("save_budget", vec![("id", budget.as_str()), ("name", "mine")]),
        ("delete_budget", vec![("id", budget.as_str())]),
        ("save_budget_line", vec![("budget", budget.as_str()), ("category", coffee.as_str()), ("amount", "1")]),
        ("save_budget_line", vec![("budget", b_budget.as_str()), ("category", a_cat.as_str()), ("amount", "1")]),
        ("delete_budget_line", vec![("id", a_line.as_str())]),
        ("carry_forward", vec![("id", budget.as_str())]),
    ] {
        let (status, body) = call(&app, &b.client, endpoint, &form).await;
        assert_eq!(status, 404, "{endpoint} {form:?}: {body}");
    }
    assert_eq!(snapshot().await, before, "nothing of A's changed");
    let list = ok(&app, &b.client, "budgets", &[]).await;
    let ids: Vec<&str> = list["budgets"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![b_budget.as_str()]);
    // B's budget measures B's spending only: A's coffee is not in it.
    ok(
        &app,
        &a.client,
        "create_transaction",
        &[
            ("account", &a.checking),
            ("date", "2024-03-03"),
            ("description", "A's"),
            ("amount", "-9"),
            ("category", &coffee),
        ],
    )
    .await;
    ok(&app, &b.client, "save_budget_line", &[("budget", &b_budget), ("category", &coffee), ("amount", "10")]).await;
    let v = ok(&app, &b.client, "budget", &[("id", &b_budget)]).await;
    assert_eq!(money(&line(&v, "Coffee")["actual"]), d("0"));
    // Signed out: asked to sign in.
    let (status, _) = call(&app, &crate::harness::new_client(), "budgets", &[]).await;
    assert_eq!(status, 401);
}
