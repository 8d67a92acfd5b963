//! The ledger's server functions over real HTTP and Postgres: edits, splits, transfers,
//! adjustments, reconciliation, categories, the tax summary, and the database rules
//! behind them. The isolation matrix over the same functions is in `ledger_isolation.rs`.

use crate::harness::{TestApp, spawn_app, test_db};
use serde_json::{Value, json};
use sqlx::PgPool;

pub(crate) async fn call(app: &TestApp, c: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = app.post_form(c, endpoint, form).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

pub(crate) async fn ok(app: &TestApp, c: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let (status, body) = call(app, c, endpoint, form).await;
    assert_eq!(status, 200, "{endpoint} {form:?}: {body}");
    body
}

pub(crate) async fn refused(app: &TestApp, c: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> String {
    let (status, body) = call(app, c, endpoint, form).await;
    assert_eq!(status, 422, "{endpoint} {form:?} should be refused: {body}");
    body["Invalid"].as_str().unwrap_or_default().to_string()
}

/// A signed-up user with three manual accounts (checking 1000, savings 0, a card owing
/// 200) and two expenses in checking.
pub(crate) struct Books {
    pub client: reqwest::Client,
    pub checking: String,
    pub savings: String,
    pub card: String,
    pub coffee: String,
    pub rent: String,
}

pub(crate) async fn books(app: &TestApp, email: &str) -> Books {
    let client = app.sign_up(email, "correct horse battery staple").await;
    let account = |name: &'static str, kind: &'static str, opening: &'static str| {
        let client = client.clone();
        async move {
            let form = [
                ("name", name),
                ("kind", kind),
                ("subtype", ""),
                ("currency", "USD"),
                ("opening_balance", opening),
                ("credit_limit", ""),
            ];
            ok(app, &client, "create_account", &form).await.as_str().unwrap().to_string()
        }
    };
    let checking = account("Checking", "depository", "1000.00").await;
    let savings = account("Savings", "depository", "0").await;
    let card = account("Card", "credit", "200.00").await;
    let add = |desc: &'static str, amount: &'static str, date: &'static str| {
        let (client, checking) = (client.clone(), checking.clone());
        async move {
            let form = [("account", checking.as_str()), ("date", date), ("description", desc), ("amount", amount)];
            ok(app, &client, "create_transaction", &form).await.as_str().unwrap().to_string()
        }
    };
    let coffee = add("Blue Bottle", "-4.50", "2024-03-02").await;
    let rent = add("Rent March", "-700.00", "2024-03-01").await;
    Books { client, checking, savings, card, coffee, rent }
}

pub(crate) async fn balance(pool: &PgPool, account: &str) -> String {
    sqlx::query_scalar::<_, rust_decimal::Decimal>("SELECT current_balance FROM accounts WHERE id = $1::uuid")
        .bind(account)
        .fetch_one(pool)
        .await
        .map(|d| format!("{d:.2}"))
        .unwrap()
}

pub(crate) async fn category_id(pool: &PgPool, name: &str) -> String {
    sqlx::query_scalar("SELECT id::text FROM categories WHERE name = $1 AND user_id IS NULL")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

pub(crate) async fn audit_count(pool: &PgPool, action: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_logs WHERE action = $1").bind(action).fetch_one(pool).await.unwrap()
}

pub(crate) fn rows(page: &Value) -> Vec<Value> {
    page["rows"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn balances_follow_the_ledger_and_edits_are_audited() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    assert_eq!(balance(&db.pool, &a.checking).await, "295.50");
    assert_eq!(balance(&db.pool, &a.card).await, "200.00", "a card owes its opening balance");

    let groceries = category_id(&db.pool, "Groceries").await;
    let form = [
        ("id", a.coffee.as_str()),
        ("edit[category]", groceries.as_str()),
        ("edit[notes]", "with Sam"),
        ("edit[tags]", "Trip, work"),
        ("edit[business]", "true"),
        ("edit[deductible]", "true"),
    ];
    let row = ok(&app, &a.client, "update_transaction", &form).await;
    assert_eq!(row["category"], "Groceries");
    assert_eq!(row["tags"], json!(["trip", "work"]));
    assert_eq!(row["notes"], "with Sam");
    assert_eq!((row["is_business"].as_bool(), row["tax_deductible"].as_bool()), (Some(true), Some(true)));
    assert_eq!(audit_count(&db.pool, "ledger.transaction_edited").await, 1);

    // A category that is not a category is "not found"; bad tags are refused.
    let bad = [
        ("id", a.coffee.as_str()),
        ("edit[category]", "nope"),
        ("edit[notes]", ""),
        ("edit[tags]", ""),
        ("edit[business]", "false"),
        ("edit[deductible]", "false"),
    ];
    assert_eq!(call(&app, &a.client, "update_transaction", &bad).await.0, 404);
    let long = "x".repeat(41);
    let bad = [
        ("id", a.coffee.as_str()),
        ("edit[category]", ""),
        ("edit[notes]", ""),
        ("edit[tags]", long.as_str()),
        ("edit[business]", "false"),
        ("edit[deductible]", "false"),
    ];
    assert!(refused(&app, &a.client, "update_transaction", &bad).await.contains("at most 40"));

    // Bulk: a category and a tag for both rows, one audit entry.
    let form = [
        ("ids[0]", a.coffee.as_str()),
        ("ids[1]", a.rent.as_str()),
        ("edit[category]", groceries.as_str()),
        ("edit[add_tags]", "march"),
    ];
    assert_eq!(ok(&app, &a.client, "bulk_edit_transactions", &form).await, json!(2));
    let page = ok(&app, &a.client, "transactions", &[("query[category]", groceries.as_str())]).await;
    assert_eq!(rows(&page).len(), 2);
    assert!(rows(&page).iter().all(|r| r["tags"].as_array().unwrap().contains(&json!("march"))));
    let coffee_row = rows(&page).into_iter().find(|r| r["id"] == a.coffee.as_str()).unwrap();
    assert_eq!(coffee_row["tags"].as_array().unwrap().len(), 3, "added to the tags already there");
    assert_eq!(audit_count(&db.pool, "ledger.transactions_bulk_edited").await, 1);
    assert!(
        refused(&app, &a.client, "bulk_edit_transactions", &[("ids[0]", a.coffee.as_str())])
            .await
            .contains("choose what")
    );

    // The account page: a year of month-end balances ending at today's, drawn as SVG.
    let detail = ok(&app, &a.client, "account_detail", &[("id", a.checking.as_str())]).await;
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.len(), 12);
    assert_eq!(history[11][1], json!("295.50"));
    assert!(detail["chart_svg"].as_str().unwrap().starts_with("<svg"));

    // Deleting a manual transaction moves the balance back.
    ok(&app, &a.client, "delete_transaction", &[("id", a.coffee.as_str())]).await;
    assert_eq!(balance(&db.pool, &a.checking).await, "300.00");
}

#[tokio::test]
async fn filters_sorts_and_totals_agree_with_sql() {
    let db = test_db().await;
    // Text search under row-level security needs LIKE to be leakproof (migration 10).
    let leakproof: bool = sqlx::query_scalar("SELECT proleakproof FROM pg_proc WHERE proname = 'textlike'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(leakproof);
    crate::harness::seed(&db.pool, 1, 1_500).await;
    let app = spawn_app(db.pool.clone()).await;
    let me = app.signed_in(crate::harness::DEMO.0, crate::harness::DEMO.1).await;
    let food = category_id(&db.pool, "Food").await;

    // Category includes subcategories; the amount range is on the size of the amount.
    let q = [("query[category]", food.as_str()), ("query[min]", "10"), ("query[max]", "60")];
    let expected: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transactions t JOIN categories c ON c.id = t.category_id
         WHERE t.parent_transaction_id IS NULL AND (c.id = $1::uuid OR c.parent_id = $1::uuid)
           AND abs(t.amount) BETWEEN 10 AND 60",
    )
    .bind(&food)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(expected > 0);
    let totals = ok(&app, &me, "transaction_totals", &q).await;
    assert_eq!(totals["count"], json!(expected));
    let page = ok(&app, &me, "transactions", &q).await;
    assert!(rows(&page).iter().all(|r| {
        let a: f64 = r["amount"].as_str().unwrap().parse().unwrap();
        (10.0..=60.0).contains(&a.abs())
    }));

    // Sorting by amount walks every row once, in order, by keyset.
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT id::text FROM transactions WHERE parent_transaction_id IS NULL AND date >= '2000-01-01'
         ORDER BY amount, id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut seen = Vec::new();
    let mut after = String::new();
    let mut running_checked = false;
    loop {
        let q = [("query[sort]", "amount-out"), ("query[from]", "2000-01-01"), ("query[after]", after.as_str())];
        let page = ok(&app, &me, "transactions", &q).await;
        if !running_checked {
            // The running total at the top of a later page is the sum from its first row on.
            let first = page["first"].as_str().unwrap().to_string();
            let t = ok(&app, &me, "transaction_totals", &[q[0], q[1], ("first", first.as_str())]).await;
            let rest: rust_decimal::Decimal = sqlx::query_scalar(
                "SELECT sum(amount) FROM (SELECT amount, id FROM transactions WHERE parent_transaction_id IS NULL
                 AND date >= '2000-01-01' ORDER BY amount, id OFFSET $1) s",
            )
            .bind(seen.len() as i64)
            .fetch_one(&db.pool)
            .await
            .unwrap();
            assert_eq!(t["from_first"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap(), rest);
            running_checked = !seen.is_empty();
        }
        seen.extend(rows(&page).iter().map(|r| r["id"].as_str().unwrap().to_string()));
        match page["next"].as_str() {
            Some(n) => after = n.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, expected);

    // Flags and presets.
    for (name, column) in [("pending", "pending"), ("reconciled", "reconciled"), ("deductible", "tax_deductible")] {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM transactions WHERE parent_transaction_id IS NULL AND {column}"
        ))
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let key = format!("query[{name}]");
        let t = ok(&app, &me, "transaction_totals", &[(key.as_str(), "yes")]).await;
        assert_eq!(t["count"], json!(n), "{name}");
    }
    let business: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions WHERE parent_transaction_id IS NULL AND is_business")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(ok(&app, &me, "transaction_totals", &[("query[kind]", "business")]).await["count"], json!(business));
    let this_month = ok(&app, &me, "transactions", &[("query[range]", "this-month")]).await;
    let month_start = chrono::Utc::now().date_naive().format("%Y-%m-01").to_string();
    assert!(rows(&this_month).iter().all(|r| r["date"].as_str().unwrap() >= month_start.as_str()));
    assert!(
        refused(&app, &me, "transactions", &[("query[min]", "50"), ("query[max]", "10")]).await.contains("minimum")
    );
    assert_eq!(call(&app, &me, "transactions", &[("query[category]", "not-a-category")]).await.0, 404);
}

#[tokio::test]
async fn splits_add_up_exactly_and_unsplit() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let (groceries, home) = (category_id(&db.pool, "Groceries").await, category_id(&db.pool, "Utilities").await);
    let parts = |x: &'static str, y: &'static str| {
        vec![
            ("id", a.rent.clone()),
            ("parts[0][category]", groceries.clone()),
            ("parts[0][amount]", x.to_string()),
            ("parts[0][notes]", "food".to_string()),
            ("parts[1][category]", home.clone()),
            ("parts[1][amount]", y.to_string()),
            ("parts[1][notes]", String::new()),
        ]
    };
    let off = parts("-600.00", "-99.99");
    let off: Vec<(&str, &str)> = off.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(refused(&app, &a.client, "split_transaction", &off).await.contains("add up to -699.99"));
    let good = parts("-600.00", "-100.00");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ok(&app, &a.client, "split_transaction", &good).await;
    let split = ok(&app, &a.client, "transaction_splits", &[("id", a.rent.as_str())]).await;
    assert_eq!(split.as_array().unwrap().len(), 2);
    assert_eq!(balance(&db.pool, &a.checking).await, "295.50", "parts do not count twice");
    // The split shows under a part's category.
    let page = ok(&app, &a.client, "transactions", &[("query[category]", home.as_str())]).await;
    assert_eq!(rows(&page).len(), 1);
    assert_eq!(rows(&page)[0]["is_split"], json!(true));

    // The database refuses parts that stop adding up, whoever writes them.
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query(
        "UPDATE transactions SET amount = amount - 1 WHERE parent_transaction_id = $1::uuid AND notes = 'food'",
    )
    .bind(&a.rent)
    .execute(&mut *tx)
    .await
    .unwrap();
    let err = tx.commit().await.unwrap_err().to_string();
    assert!(err.contains("does not add up"), "{err}");

    ok(&app, &a.client, "split_transaction", &[("id", a.rent.as_str())]).await;
    assert!(ok(&app, &a.client, "transaction_splits", &[("id", a.rent.as_str())]).await.as_array().unwrap().is_empty());
    assert!(refused(&app, &a.client, "split_transaction", &[("id", a.rent.as_str())]).await.contains("not split"));
    assert_eq!(audit_count(&db.pool, "ledger.transaction_split").await, 1);
    assert_eq!(audit_count(&db.pool, "ledger.transaction_unsplit").await, 1);
}

#[tokio::test]
async fn transfers_keep_both_legs_and_adjustments_balance() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let form = [
        ("from", a.checking.as_str()),
        ("to", a.savings.as_str()),
        ("amount", "250.00"),
        ("date", "2024-03-05"),
        ("description", "Save"),
    ];
    let entry = ok(&app, &a.client, "create_transfer", &form).await.as_str().unwrap().to_string();
    assert_eq!(
        (balance(&db.pool, &a.checking).await, balance(&db.pool, &a.savings).await),
        ("45.50".into(), "250.00".into())
    );
    let e = ok(&app, &a.client, "journal_entry", &[("id", entry.as_str())]).await;
    let legs = e["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 2);
    assert_eq!((legs[0]["amount"].as_str(), legs[1]["amount"].as_str()), (Some("-250.00"), Some("250.00")));
    let contra: Vec<(String, String)> = sqlx::query_as(
        "SELECT id::text, contra_transaction_id::text FROM transactions WHERE journal_entry_id = $1::uuid ORDER BY amount",
    )
    .bind(&entry)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (contra[0].1.clone(), contra[1].1.clone()),
        (contra[1].0.clone(), contra[0].0.clone()),
        "each leg names the other"
    );

    let edit = [("id", entry.as_str()), ("amount", "100"), ("date", "2024-03-06"), ("description", "Save less")];
    ok(&app, &a.client, "update_transfer", &edit).await;
    assert_eq!(
        (balance(&db.pool, &a.checking).await, balance(&db.pool, &a.savings).await),
        ("195.50".into(), "100.00".into())
    );
    let same = [
        ("from", a.checking.as_str()),
        ("to", a.checking.as_str()),
        ("amount", "1"),
        ("date", "2024-03-05"),
        ("description", "x"),
    ];
    assert!(refused(&app, &a.client, "create_transfer", &same).await.contains("two different"));

    // The database refuses a leg that breaks the balance, whoever writes it.
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("UPDATE transactions SET amount = 99 WHERE journal_entry_id = $1::uuid AND amount > 0")
        .bind(&entry)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert!(tx.commit().await.unwrap_err().to_string().contains("does not balance"));

    ok(&app, &a.client, "delete_journal_entry", &[("id", entry.as_str())]).await;
    assert_eq!(
        (balance(&db.pool, &a.checking).await, balance(&db.pool, &a.savings).await),
        ("295.50".into(), "0.00".into())
    );
    assert_eq!(call(&app, &a.client, "journal_entry", &[("id", entry.as_str())]).await.0, 404);

    // Two legs entered separately become one transfer.
    let add = |account: &str, amount: &str| {
        let (client, account, amount) = (a.client.clone(), account.to_string(), amount.to_string());
        let app = &app;
        async move {
            let form = [
                ("account", account.as_str()),
                ("date", "2024-03-10"),
                ("description", "Card payment"),
                ("amount", amount.as_str()),
            ];
            ok(app, &client, "create_transaction", &form).await.as_str().unwrap().to_string()
        }
    };
    let out = add(&a.checking, "-80.00").await;
    let wrong = add(&a.card, "79.00").await;
    let into = add(&a.card, "80.00").await;
    assert!(
        refused(&app, &a.client, "match_transfer", &[("first", out.as_str()), ("second", wrong.as_str())])
            .await
            .contains("do not cancel")
    );
    let matched = ok(&app, &a.client, "match_transfer", &[("first", out.as_str()), ("second", into.as_str())]).await;
    let e = ok(&app, &a.client, "journal_entry", &[("id", matched.as_str().unwrap())]).await;
    assert_eq!(e["kind"], "transfer");
    assert!(
        refused(&app, &a.client, "match_transfer", &[("first", out.as_str()), ("second", into.as_str())])
            .await
            .contains("already")
    );

    // An adjustment with three legs that balance; one that does not is refused.
    let legs = [
        ("date", "2024-03-31"),
        ("description", "Correction"),
        ("legs[0][account]", a.checking.as_str()),
        ("legs[0][amount]", "-30"),
        ("legs[1][account]", a.savings.as_str()),
        ("legs[1][amount]", "20"),
        ("legs[2][account]", a.card.as_str()),
        ("legs[2][amount]", "10"),
    ];
    ok(&app, &a.client, "create_adjustment", &legs).await;
    let mut unbalanced = legs;
    unbalanced[7] = ("legs[2][amount]", "9.99");
    assert!(refused(&app, &a.client, "create_adjustment", &unbalanced).await.contains("add up to -0.01"));
    assert_eq!(audit_count(&db.pool, "ledger.adjustment_created").await, 1);
}

#[tokio::test]
async fn reconciliation_locks_until_an_audited_unreconcile() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let view =
        ok(&app, &a.client, "reconciliation", &[("account", a.checking.as_str()), ("through", "2024-03-31")]).await;
    // Opening balance (dated today) is after the statement; the two March rows are open.
    let open: Vec<String> =
        view["open"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(open.len(), 2);
    let base = [("account", a.checking.as_str()), ("through", "2024-03-31")];
    let mut wrong = base.to_vec();
    wrong.extend([("statement_balance", "-700.00"), ("ids[0]", a.rent.as_str()), ("ids[1]", a.coffee.as_str())]);
    assert!(refused(&app, &a.client, "reconcile", &wrong).await.contains("difference is $4.50"));
    let mut right = base.to_vec();
    right.extend([("statement_balance", "-704.50"), ("ids[0]", a.rent.as_str()), ("ids[1]", a.coffee.as_str())]);
    assert_eq!(ok(&app, &a.client, "reconcile", &right).await, json!(2));

    let edit = [
        ("id", a.coffee.as_str()),
        ("edit[category]", ""),
        ("edit[notes]", "late"),
        ("edit[tags]", ""),
        ("edit[business]", "false"),
        ("edit[deductible]", "false"),
    ];
    assert!(refused(&app, &a.client, "update_transaction", &edit).await.contains("locked"));
    assert!(refused(&app, &a.client, "delete_transaction", &[("id", a.coffee.as_str())]).await.contains("locked"));
    // The lock holds below the app too.
    let direct =
        sqlx::query("UPDATE transactions SET amount = -1 WHERE id = $1::uuid").bind(&a.coffee).execute(&db.pool).await;
    assert!(direct.unwrap_err().to_string().contains("reconciled"));

    assert!(
        refused(&app, &a.client, "unreconcile", &[("id", a.coffee.as_str()), ("reason", " ")]).await.contains("Reason")
    );
    ok(&app, &a.client, "unreconcile", &[("id", a.coffee.as_str()), ("reason", "bank corrected it")]).await;
    assert_eq!(audit_count(&db.pool, "ledger.transaction_unreconciled").await, 1);
    ok(&app, &a.client, "update_transaction", &edit).await;
    assert_eq!(call(&app, &a.client, "unreconcile", &[("id", a.coffee.as_str()), ("reason", "again")]).await.0, 404);

    // The lock stops edits, not erasure: deleting the user cascades through locked rows.
    sqlx::query("DELETE FROM users WHERE email = 'ann@example.com'").execute(&db.pool).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(&db.pool).await.unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn categories_create_rename_move_merge_archive_and_tax_summary() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let food = category_id(&db.pool, "Food").await;
    let snacks = ok(&app, &a.client, "create_category", &[("name", "Snacks"), ("parent", food.as_str())]).await;
    let snacks = snacks.as_str().unwrap().to_string();
    let treats = ok(&app, &a.client, "create_category", &[("name", "Treats"), ("parent", snacks.as_str())]).await;
    let treats = treats.as_str().unwrap().to_string();
    ok(&app, &a.client, "rename_category", &[("id", snacks.as_str()), ("name", "Snacks & sweets")]).await;
    assert!(
        refused(&app, &a.client, "move_category", &[("id", snacks.as_str()), ("parent", treats.as_str())])
            .await
            .contains("under itself")
    );
    assert_eq!(
        call(&app, &a.client, "rename_category", &[("id", food.as_str()), ("name", "Mine")]).await.0,
        404,
        "system defaults are nobody's to rename"
    );

    let edit = |id: String, category: String, deductible: &'static str| {
        let client = a.client.clone();
        let app = &app;
        async move {
            let form = [
                ("id", id.as_str()),
                ("edit[category]", category.as_str()),
                ("edit[notes]", ""),
                ("edit[tags]", ""),
                ("edit[business]", "false"),
                ("edit[deductible]", deductible),
            ];
            ok(app, &client, "update_transaction", &form).await;
        }
    };
    edit(a.coffee.clone(), treats.clone(), "true").await;
    edit(a.rent.clone(), snacks.clone(), "true").await;
    let page = ok(&app, &a.client, "transactions", &[("query[category]", snacks.as_str())]).await;
    assert_eq!(rows(&page).len(), 2, "a category's filter includes its subcategories");

    let tax = ok(&app, &a.client, "tax_summary", &[("year", "2024")]).await;
    assert_eq!(tax["year"], json!(2024));
    assert!(tax["years"].as_array().unwrap().contains(&json!(2024)));
    assert_eq!(tax["total"], json!("704.50"));
    assert_eq!(tax["currency"], json!("USD"));

    assert_eq!(
        ok(&app, &a.client, "merge_category", &[("source", treats.as_str()), ("target", snacks.as_str())]).await,
        json!(1)
    );
    let page = ok(&app, &a.client, "transactions", &[("query[category]", snacks.as_str())]).await;
    assert!(rows(&page).iter().all(|r| r["category"] == "Snacks & sweets"));
    ok(&app, &a.client, "archive_category", &[("id", snacks.as_str()), ("archived", "true")]).await;
    let cats = ok(&app, &a.client, "categories", &[("counts", "true")]).await;
    let mine = cats.as_array().unwrap().iter().find(|c| c["id"] == snacks.as_str()).unwrap().clone();
    assert_eq!(mine["archived"], json!(true));
    // An archived category cannot be picked for new edits.
    let form = [
        ("id", a.coffee.as_str()),
        ("edit[category]", snacks.as_str()),
        ("edit[notes]", ""),
        ("edit[tags]", ""),
        ("edit[business]", "false"),
        ("edit[deductible]", "false"),
    ];
    assert_eq!(call(&app, &a.client, "update_transaction", &form).await.0, 404);
    assert_eq!(audit_count(&db.pool, "ledger.category_merged").await, 1);
}
