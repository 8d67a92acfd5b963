//! Categorization over real HTTP and Postgres: rules (save, preview, apply, run on new
//! rows, effectiveness), the model (predictions, review queue, feedback that changes
//! the next prediction), explanations, and isolation of every server function.

use crate::harness::{TestApp, spawn_app, test_db};
use crate::ledger::{audit_count, books, call, category_id, ok, refused};
use serde_json::Value;
use sqlx::PgPool;

fn rule_form(name: &str, conditions: &[&[(&str, &str)]], category: &str) -> Vec<(String, String)> {
    let mut form = vec![("rule[name]".to_string(), name.to_string()), ("rule[mode]".into(), "all".into())];
    for (i, c) in conditions.iter().enumerate() {
        for (k, v) in c.iter() {
            form.push((format!("rule[conditions][{i}][{k}]"), v.to_string()));
        }
    }
    form.push(("rule[actions][category]".into(), category.to_string()));
    form
}

async fn post(app: &TestApp, c: &reqwest::Client, endpoint: &str, form: &[(String, String)]) -> (u16, Value) {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    call(app, c, endpoint, &pairs).await
}

async fn category_of(pool: &PgPool, id: &str) -> (Option<String>, Option<String>) {
    sqlx::query_as(
        "SELECT c.name, t.category_source::text FROM transactions t LEFT JOIN categories c ON c.id = t.category_id
         WHERE t.id = $1::uuid",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_rule_previews_applies_and_categorizes_new_transactions() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let coffee = category_id(&db.pool, "Coffee").await;
    let form = rule_form("Blue Bottle is coffee", &[&[("field", "description"), ("value", "blue bottle")]], &coffee);

    // Preview: the one existing Blue Bottle row would change; nothing is written.
    let (status, preview) = post(&app, &a.client, "preview_rule", &form).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!((preview["matches"].as_u64(), preview["changes"].as_u64()), (Some(1), Some(1)));
    assert_eq!(preview["sample"][0]["category_after"], "Coffee");
    assert_eq!(category_of(&db.pool, &a.coffee).await.0, None);

    let (status, id) = post(&app, &a.client, "save_rule", &form).await;
    assert_eq!(status, 200, "{id}");
    let rule = id.as_str().unwrap().to_string();
    let changed = ok(&app, &a.client, "apply_rule", &[("id", &rule)]).await;
    assert_eq!(changed.as_u64(), Some(1));
    assert_eq!(category_of(&db.pool, &a.coffee).await, (Some("Coffee".into()), Some("rule".into())));
    assert_eq!(ok(&app, &a.client, "apply_rule", &[("id", &rule)]).await.as_u64(), Some(0), "nothing left to change");

    // A new transaction is categorized by the rule before anyone sees it.
    let new = ok(
        &app,
        &a.client,
        "create_transaction",
        &[("account", &a.checking), ("date", "2024-03-09"), ("description", "BLUE BOTTLE OAKLAND"), ("amount", "-6")],
    )
    .await;
    let new = new.as_str().unwrap();
    assert_eq!(category_of(&db.pool, new).await, (Some("Coffee".into()), Some("rule".into())));
    let why = ok(&app, &a.client, "explain_category", &[("id", new)]).await;
    assert!(why["summary"].as_str().unwrap().contains("Blue Bottle is coffee"), "{why}");

    // Effectiveness: matches counted; the user overriding the rule is counted too.
    let groceries = category_id(&db.pool, "Groceries").await;
    let edit = [
        ("id", new),
        ("edit[category]", groceries.as_str()),
        ("edit[notes]", ""),
        ("edit[tags]", ""),
        ("edit[business]", "false"),
        ("edit[deductible]", "false"),
    ];
    ok(&app, &a.client, "update_transaction", &edit).await;
    let rules = ok(&app, &a.client, "rules", &[]).await;
    let listed = &rules.as_array().unwrap()[0];
    assert_eq!(listed["match_count"].as_i64(), Some(2), "{listed}");
    assert_eq!(listed["override_count"].as_i64(), Some(1));
    assert!(listed["summary"].as_str().unwrap().contains("→ Coffee"), "{listed}");
    assert_eq!(audit_count(&db.pool, "categorize.rule_created").await, 1);
    assert_eq!(audit_count(&db.pool, "categorize.rule_applied").await, 2);

    // Disabled rules do not run; order and deletion work and are audited.
    ok(&app, &a.client, "set_rule_active", &[("id", &rule), ("active", "false")]).await;
    let other = ok(
        &app,
        &a.client,
        "create_transaction",
        &[("account", &a.checking), ("date", "2024-03-10"), ("description", "BLUE BOTTLE SF"), ("amount", "-5")],
    )
    .await;
    assert_ne!(category_of(&db.pool, other.as_str().unwrap()).await.1.as_deref(), Some("rule"));
    let second = rule_form("Rent", &[&[("field", "description"), ("value", "rent")]], &groceries);
    let (_, second) = post(&app, &a.client, "save_rule", &second).await;
    ok(&app, &a.client, "move_rule", &[("id", second.as_str().unwrap()), ("direction", "up")]).await;
    let rules = ok(&app, &a.client, "rules", &[]).await;
    assert_eq!(rules[0]["name"], "Rent");
    ok(&app, &a.client, "delete_rule", &[("id", &rule)]).await;
    assert_eq!(ok(&app, &a.client, "rules", &[]).await.as_array().unwrap().len(), 1);
    assert_eq!(audit_count(&db.pool, "categorize.rule_deleted").await, 1);
}

#[tokio::test]
async fn bad_rules_are_refused_with_a_reason_and_nothing_is_saved() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let coffee = category_id(&db.pool, "Coffee").await;
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        (
            rule_form("x", &[&[("field", "description"), ("op", "regex"), ("value", "(open")]], &coffee),
            "not a valid pattern",
        ),
        (rule_form("x", &[], &coffee), "at least one condition"),
        (rule_form("x", &[&[("field", "description"), ("value", "a")]], ""), "at least one action"),
        (rule_form("x", &[&[("field", "day_of_month"), ("min", "20"), ("max", "3")]], &coffee), "days of the month"),
        (rule_form("x", &[&[("field", "amount"), ("min", "50"), ("max", "10")]], &coffee), "smallest amount is larger"),
        (rule_form("x", &[&[("field", "amount"), ("min", "ten")]], &coffee), "smallest amount"),
        (rule_form("x", &[&[("field", "colour"), ("value", "red")]], &coffee), "not something to test"),
        (rule_form("x", &[&[("field", "description"), ("value", "  ")]], &coffee), "cannot be empty"),
        (rule_form("", &[&[("field", "description"), ("value", "a")]], &coffee), "Name"),
    ];
    for (form, reason) in cases {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let message = refused(&app, &a.client, "save_rule", &pairs).await;
        assert!(message.contains(reason), "{message:?} should say {reason:?}");
        let message = refused(&app, &a.client, "preview_rule", &pairs).await;
        assert!(message.contains(reason), "preview: {message:?} should say {reason:?}");
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM categorization_rules").fetch_one(&db.pool).await.unwrap();
    assert_eq!(n, 0);
}

/// Adds `n` transactions named `description` in `category` (empty: none).
async fn add(
    app: &TestApp,
    c: &reqwest::Client,
    account: &str,
    description: &str,
    amount: &str,
    category: &str,
    n: u32,
) -> Vec<String> {
    let mut ids = Vec::new();
    for day in 1..=n {
        let date = format!("2024-02-{:02}", day.min(28));
        let form = [
            ("account", account),
            ("date", date.as_str()),
            ("description", description),
            ("amount", amount),
            ("category", category),
        ];
        ids.push(ok(app, c, "create_transaction", &form).await.as_str().unwrap().to_string());
    }
    ids
}

#[tokio::test]
async fn the_model_suggests_learns_from_a_correction_and_explains_itself() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let (restaurants, fuel, coffee) = (
        category_id(&db.pool, "Restaurants").await,
        category_id(&db.pool, "Fuel").await,
        category_id(&db.pool, "Coffee").await,
    );
    add(&app, &a.client, &a.checking, "JOES DINER", "-24.00", &restaurants, 8).await;
    add(&app, &a.client, &a.checking, "SHELL OIL 5542", "-41.00", &fuel, 8).await;

    // A familiar merchant: predicted with confidence and applied, with its reasons.
    let diner = add(&app, &a.client, &a.checking, "JOES DINER", "-22.00", "", 1).await.remove(0);
    assert_eq!(category_of(&db.pool, &diner).await, (Some("Restaurants".into()), Some("ml".into())));
    let why = ok(&app, &a.client, "explain_category", &[("id", &diner)]).await;
    assert!(why["summary"].as_str().unwrap().contains("model"), "{why}");
    assert!(why["details"].to_string().contains("joes") || why["details"].to_string().contains("diner"), "{why}");

    // An unknown one: not sure enough, so it waits in the review queue with a guess.
    let bistro = add(&app, &a.client, &a.checking, "CORNER BISTRO", "-9.00", "", 1).await.remove(0);
    assert_eq!(category_of(&db.pool, &bistro).await.0, None);
    let queue = ok(&app, &a.client, "review_queue", &[]).await;
    let row = queue["rows"].as_array().unwrap().iter().find(|r| r["id"] == bistro.as_str()).cloned().unwrap();
    let first_guess = row["suggestion"]["category_id"].as_str().unwrap().to_string();
    assert_ne!(first_guess, coffee);
    assert!(row["suggestion"]["confidence"].as_f64().unwrap() < 0.9);

    // The user corrects it: the prediction records the correction, and the next row from
    // the same merchant is predicted as the user said.
    let edit = [
        ("id", bistro.as_str()),
        ("edit[category]", coffee.as_str()),
        ("edit[notes]", ""),
        ("edit[tags]", ""),
        ("edit[business]", "false"),
        ("edit[deductible]", "false"),
    ];
    ok(&app, &a.client, "update_transaction", &edit).await;
    let feedback: (String, String) = sqlx::query_as(
        "SELECT feedback::text, corrected_category_id::text FROM ml_predictions WHERE transaction_id = $1::uuid",
    )
    .bind(&bistro)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(feedback, ("corrected".to_string(), coffee.clone()));
    let next = add(&app, &a.client, &a.checking, "CORNER BISTRO", "-9.50", "", 1).await.remove(0);
    let predicted: String = sqlx::query_scalar(
        "SELECT p.predicted_category_id::text FROM ml_predictions p JOIN transactions t ON t.prediction_id = p.id
         WHERE t.id = $1::uuid",
    )
    .bind(&next)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(predicted, coffee, "the correction changed the next prediction");

    // Accepting a suggestion from the queue files the row and records the acceptance.
    let mixed = add(&app, &a.client, &a.checking, "JOES DINER SHELL OIL", "-100.00", "", 1).await.remove(0);
    assert_eq!(category_of(&db.pool, &mixed).await.0, None, "half one, half the other: not sure");
    let queue = ok(&app, &a.client, "review_queue", &[]).await;
    let waiting: Vec<String> = queue["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["suggestion"].is_null())
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(waiting.contains(&mixed), "the ambiguous row waits with a suggestion");
    let id = &mixed;
    assert_eq!(ok(&app, &a.client, "accept_suggestions", &[("ids[0]", id)]).await.as_u64(), Some(1));
    let accepted: String = sqlx::query_scalar(
        "SELECT p.feedback::text FROM ml_predictions p JOIN transactions t ON t.prediction_id = p.id WHERE t.id = $1::uuid",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(accepted, "accepted");
    assert_eq!(audit_count(&db.pool, "categorize.suggestions_accepted").await, 1);
    assert!(refused(&app, &a.client, "accept_suggestions", &[]).await.contains("choose"));

    // Quality is measured and reported.
    let quality = ok(&app, &a.client, "model_quality", &[]).await;
    assert!(quality["tested_on"].as_u64().unwrap() > 0, "{quality}");
    assert!(quality["feedback"].as_array().unwrap().iter().any(|m| m["corrected"].as_i64() == Some(1)), "{quality}");
}

/// Every categorization server function, called by B with A's ids, answers "not found"
/// and changes nothing of A's; lists show only B's own.
#[tokio::test]
async fn isolation_another_users_rules_and_rows_are_not_found() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let b = books(&app, "bob@example.com").await;
    let coffee = category_id(&db.pool, "Coffee").await;
    let (_, rule) = post(
        &app,
        &a.client,
        "save_rule",
        &rule_form("A's", &[&[("field", "description"), ("value", "blue")]], &coffee),
    )
    .await;
    let rule = rule.as_str().unwrap().to_string();
    let a_cat = ok(&app, &a.client, "create_category", &[("name", "Ann's")]).await.as_str().unwrap().to_string();
    let before: String = sqlx::query_scalar(
        "SELECT md5(coalesce((SELECT string_agg(r::text, '' ORDER BY id) FROM categorization_rules r), '')
                 || (SELECT string_agg(t::text, '' ORDER BY id) FROM transactions t))",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();

    let s = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let matrix: Vec<(&str, Vec<(String, String)>)> = vec![
        ("save_rule", {
            let mut f = rule_form("mine now", &[&[("field", "description"), ("value", "x")]], &coffee);
            f.push(("id".into(), rule.clone()));
            f
        }),
        ("save_rule", rule_form("uses A's category", &[&[("field", "description"), ("value", "x")]], &a_cat)),
        ("save_rule", rule_form("tests A's account", &[&[("field", "account"), ("value", &a.checking)]], &coffee)),
        ("preview_rule", rule_form("A's category", &[&[("field", "category"), ("value", &a_cat)]], &coffee)),
        ("delete_rule", s(&[("id", &rule)])),
        ("set_rule_active", s(&[("id", &rule), ("active", "false")])),
        ("move_rule", s(&[("id", &rule), ("direction", "down")])),
        ("apply_rule", s(&[("id", &rule)])),
        ("explain_category", s(&[("id", &a.coffee)])),
        ("accept_suggestions", s(&[("ids[0]", &a.coffee)])),
        ("map_bank_category", s(&[("code", "FOOD_AND_DRINK_COFFEE"), ("category", &a_cat)])),
    ];
    for (endpoint, form) in &matrix {
        let (status, body) = post(&app, &b.client, endpoint, form).await;
        assert_eq!(status, 404, "{endpoint} {form:?}: {body}");
    }
    // Lists and runs over everything see only B's own.
    assert_eq!(ok(&app, &b.client, "rules", &[]).await.as_array().unwrap().len(), 0);
    let queue = ok(&app, &b.client, "review_queue", &[]).await;
    assert!(
        queue["rows"].as_array().unwrap().iter().all(|r| r["id"] != a.coffee.as_str() && r["id"] != a.rent.as_str())
    );
    ok(&app, &b.client, "suggest_categories", &[]).await;
    ok(&app, &b.client, "model_quality", &[]).await;
    // B's preview scans B's rows only: A's Blue Bottle is not among them.
    let (_, preview) = post(
        &app,
        &b.client,
        "preview_rule",
        &rule_form("b", &[&[("field", "description"), ("value", "blue")]], &coffee),
    )
    .await;
    assert_eq!(preview["matches"].as_u64(), Some(1), "{preview}");
    assert_eq!(preview["sample"][0]["id"], b.coffee.as_str());

    let after: String = sqlx::query_scalar(
        "SELECT md5(coalesce((SELECT string_agg(r::text, '' ORDER BY id) FROM categorization_rules r), '')
                 || (SELECT string_agg(t::text, '' ORDER BY id) FROM transactions t))",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(before, after, "nothing of A's changed");
}

#[tokio::test]
async fn bank_categories_map_to_defaults_and_to_the_users_choice() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let b = books(&app, "bob@example.com").await;
    let coffee = category_id(&db.pool, "Coffee").await;
    let line =
        |lines: &Value, code: &str| lines.as_array().unwrap().iter().find(|l| l["code"] == code).cloned().unwrap();
    let lines = ok(&app, &a.client, "bank_categories", &[]).await;
    assert_eq!(line(&lines, "FOOD_AND_DRINK_COFFEE")["category_id"], coffee.as_str());
    assert_eq!(line(&lines, "FOOD_AND_DRINK_COFFEE")["chosen"], false);

    let treats = ok(&app, &a.client, "create_category", &[("name", "Treats")]).await.as_str().unwrap().to_string();
    ok(&app, &a.client, "map_bank_category", &[("code", "FOOD_AND_DRINK_COFFEE"), ("category", &treats)]).await;
    let lines = ok(&app, &a.client, "bank_categories", &[]).await;
    assert_eq!(line(&lines, "FOOD_AND_DRINK_COFFEE")["category_id"], treats.as_str());
    assert_eq!(line(&lines, "FOOD_AND_DRINK_COFFEE")["chosen"], true);
    // B's map is B's own.
    let theirs = ok(&app, &b.client, "bank_categories", &[]).await;
    assert_eq!(line(&theirs, "FOOD_AND_DRINK_COFFEE")["category_id"], coffee.as_str());
    // Back to the default; unknown codes refused.
    ok(&app, &a.client, "map_bank_category", &[("code", "FOOD_AND_DRINK_COFFEE"), ("category", "")]).await;
    let lines = ok(&app, &a.client, "bank_categories", &[]).await;
    assert_eq!(line(&lines, "FOOD_AND_DRINK_COFFEE")["category_id"], coffee.as_str());
    let message = refused(&app, &a.client, "map_bank_category", &[("code", "NOT_A_CODE"), ("category", &coffee)]).await;
    assert!(message.contains("not a bank category"), "{message}");
    assert_eq!(audit_count(&db.pool, "categorize.bank_category_mapped").await, 2);
}
