//! Statement import over HTTP and from the CLI: preview, duplicates (against earlier
//! imports and bank-synced rows), one batch per import, undo to the exact prior state.

use crate::harness::{TestApp, spawn_app, test_db};
use crate::ledger::{books, ok};
use base64::Engine;
use serde_json::Value;
use sqlx::PgPool;

const MARCH: &str = "Date,Description,Amount\r\n\
03/01/2024,STARBUCKS #1234 SEATTLE,-4.50\r\n\
03/02/2024,Payroll ACME,2500.00\r\n\
03/03/2024,Whole Foods Market,-82.17\r\n\
03/03/2024,Whole Foods Market,-82.17\r\n";

const MARCH_AND_APRIL: &str = "Date,Description,Amount\r\n\
03/02/2024,Payroll ACME,2500.00\r\n\
03/03/2024,Whole Foods Market,-82.17\r\n\
03/03/2024,Whole Foods Market,-82.17\r\n\
04/01/2024,Rent April,-1800.00\r\n\
04/02/2024,Shell Oil 5541,-45.10\r\n";

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

async fn call(app: &TestApp, c: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = app.post_form(c, endpoint, form).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Every column of the user's transactions, for comparing the table before and after.
async fn snapshot(pool: &PgPool, account: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT (to_jsonb(t) - 'updated_at')::text FROM transactions t WHERE account_id = $1::uuid ORDER BY id",
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn preview_import_reimport_overlap_and_undo() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let b = books(&app, "importer@example.com").await;
    let before = snapshot(&db.pool, &b.checking).await;

    // Preview writes nothing and says what would happen.
    let form = [("account", b.checking.as_str()), ("file_name", "march.csv"), ("content", &b64(MARCH))];
    let preview = ok(&app, &b.client, "preview_import", &form).await;
    assert_eq!(preview["format"], "csv");
    assert_eq!(preview["new_rows"], 4, "two identical rows in one statement are both real: {preview}");
    assert_eq!(snapshot(&db.pool, &b.checking).await, before);

    let imported = ok(&app, &b.client, "import_statement", &form).await;
    assert_eq!((imported["added"].as_u64(), imported["duplicates"].as_u64()), (Some(4), Some(0)));
    let amounts: Vec<String> = sqlx::query_scalar(
        "SELECT amount::text FROM transactions WHERE account_id = $1::uuid AND source = 'import' ORDER BY date, amount",
    )
    .bind(&b.checking)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(amounts, ["-4.50", "2500.00", "-82.17", "-82.17"]);

    // The same file again: every row is a duplicate, nothing added.
    let again = ok(&app, &b.client, "preview_import", &form).await;
    assert_eq!((again["new_rows"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(4)));
    assert_eq!(again["rows"][0]["duplicate_source"], "import");
    let none = ok(&app, &b.client, "import_statement", &form).await;
    assert_eq!(none["added"], 0);

    // An overlapping statement adds only the April rows.
    let overlap = [("account", b.checking.as_str()), ("file_name", "mar-apr.csv"), ("content", &b64(MARCH_AND_APRIL))];
    let imported = ok(&app, &b.client, "import_statement", &overlap).await;
    assert_eq!((imported["added"].as_u64(), imported["duplicates"].as_u64()), (Some(2), Some(3)));
    let batch = imported["batch"].as_str().unwrap().to_string();
    let after_overlap = snapshot(&db.pool, &b.checking).await;

    // A flagged duplicate can be imported anyway (the user flips it).
    let flip =
        [("account", b.checking.as_str()), ("file_name", "march.csv"), ("content", &b64(MARCH)), ("flip[0]", "0")];
    let flipped = ok(&app, &b.client, "import_statement", &flip).await;
    assert_eq!(flipped["added"], 1);
    let flipped_batch = flipped["batch"].as_str().unwrap().to_string();

    // Undo restores exactly the state before that batch, and only once.
    assert_eq!(ok(&app, &b.client, "undo_import", &[("batch", &flipped_batch)]).await, 1);
    assert_eq!(snapshot(&db.pool, &b.checking).await, after_overlap);
    let (status, body) = call(&app, &b.client, "undo_import", &[("batch", &flipped_batch)]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(ok(&app, &b.client, "undo_import", &[("batch", &batch)]).await, 2);
    let batches = ok(&app, &b.client, "import_batches", &[]).await;
    assert_eq!(batches.as_array().unwrap().len(), 4);
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_logs WHERE action LIKE 'import.%'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(audited, 6, "4 imports, 2 undos");
    // The mapping that worked is kept for the account's next file.
    let saved: Option<Value> = sqlx::query_scalar("SELECT import_mapping FROM accounts WHERE id = $1::uuid")
        .bind(&b.checking)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(saved.unwrap()["delimiter"], 44);
}

#[tokio::test]
async fn ofx_fitids_and_bank_synced_rows_are_duplicates() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let b = books(&app, "ofx-importer@example.com").await;
    let ofx =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/import/ofx1_bank_sgml.ofx")).unwrap();
    let content = base64::engine::general_purpose::STANDARD.encode(&ofx);
    let form = [("account", b.checking.as_str()), ("file_name", "statement.ofx"), ("content", content.as_str())];
    let preview = ok(&app, &b.client, "preview_import", &form).await;
    assert_eq!(preview["format"], "ofx");
    let rows = preview["rows"].as_array().unwrap().len();
    assert!(rows >= 3, "{preview}");
    let imported = ok(&app, &b.client, "import_statement", &form).await;
    assert!(imported["added"].as_u64().unwrap() >= 3);
    let fitids: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions WHERE import_hash LIKE 'fitid:%'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(fitids as u64, imported["added"].as_u64().unwrap());
    let again = ok(&app, &b.client, "preview_import", &form).await;
    assert_eq!(again["rows"][0]["reason"]["kind"], "same_fitid");

    // A row the bank sync already brought in (another account's statement here) is
    // matched by date, amount and description.
    sqlx::query(
        "INSERT INTO transactions (user_id, account_id, amount, date, name, source, plaid_transaction_id, tax_year)
         SELECT user_id, id, -12.34, DATE '2024-05-10', 'NETFLIX.COM', 'plaid', 'plaid-abc', 0 FROM accounts WHERE id = $1::uuid",
    )
    .bind(&b.savings)
    .execute(&db.pool)
    .await
    .unwrap();
    let csv = "Date,Description,Amount\n2024-05-11,Netflix.com 866-579-7172,-12.34\n2024-05-12,Netflix,-15.99\n";
    let form = [("account", b.savings.as_str()), ("file_name", "savings.csv"), ("content", &b64(csv))];
    let preview = ok(&app, &b.client, "preview_import", &form).await;
    assert_eq!(preview["rows"][0]["import"], false, "{preview}");
    assert_eq!(preview["rows"][0]["duplicate_source"], "plaid");
    assert_eq!(preview["rows"][1]["import"], true);
}

#[tokio::test]
async fn malformed_files_are_refused_with_a_reason_and_write_nothing() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let b = books(&app, "bad-files@example.com").await;
    let before = snapshot(&db.pool, &b.checking).await;
    for (name, content, says) in [
        ("empty.csv", String::new(), "empty"),
        (
            "photo.jpg",
            base64::engine::general_purpose::STANDARD.encode([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]),
            "not a statement file",
        ),
        ("dates.csv", b64("Date,Description,Amount\nnot a date,Coffee,-1\nnever,Tea,-2\n"), "line"),
        ("garbage", "%%%not base64%%%".into(), "did not arrive intact"),
    ] {
        for endpoint in ["preview_import", "import_statement"] {
            let form = [("account", b.checking.as_str()), ("file_name", name), ("content", content.as_str())];
            let (status, body) = call(&app, &b.client, endpoint, &form).await;
            assert_eq!(status, 422, "{name} {endpoint}: {body}");
            assert!(body["Invalid"].as_str().unwrap_or_default().contains(says), "{name}: {body}");
        }
    }
    let (status, _) = call(
        &app,
        &b.client,
        "import_statement",
        &[("account", &b.checking), ("file_name", "x.csv"), ("content", &b64(MARCH)), ("options", "{not json")],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(snapshot(&db.pool, &b.checking).await, before);
    let batches: i64 = sqlx::query_scalar("SELECT count(*) FROM import_batches").fetch_one(&db.pool).await.unwrap();
    assert_eq!(batches, 0);
}

#[tokio::test]
async fn import_functions_answer_not_found_for_another_users_account_and_batch() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let owner = books(&app, "import-owner@example.com").await;
    let other = books(&app, "import-other@example.com").await;
    let form = [("account", owner.checking.as_str()), ("file_name", "march.csv"), ("content", &b64(MARCH))];
    let batch = ok(&app, &owner.client, "import_statement", &form).await["batch"].as_str().unwrap().to_string();
    for endpoint in ["preview_import", "import_statement"] {
        let (status, body) = call(&app, &other.client, endpoint, &form).await;
        assert_eq!(status, 404, "{endpoint}: {body}");
    }
    let (status, _) = call(&app, &other.client, "undo_import", &[("batch", &batch)]).await;
    assert_eq!(status, 404);
    assert_eq!(ok(&app, &other.client, "import_batches", &[]).await, serde_json::json!([]));
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions WHERE import_batch_id = $1::uuid")
        .bind(&batch)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 4, "the owner's batch is untouched");
}

#[tokio::test]
async fn the_cli_imports_a_file_and_a_dry_run_writes_nothing() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let b = books(&app, "cli-import@example.com").await;
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join(format!("import-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, MARCH).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["import".to_string(), file.display().to_string(), "--account".into(), b.checking.clone()];
        args.extend(extra.iter().map(|s| s.to_string()));
        let url = db.url();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_manna"))
                .args(&args)
                .env("DATABASE_URL", url)
                .env("MANNA_LOG", "error")
                .output()
                .unwrap()
        })
    };
    let dry = run(&["--dry-run"]).await.unwrap();
    let text = String::from_utf8_lossy(&dry.stdout).to_string();
    assert!(dry.status.success(), "{text}{}", String::from_utf8_lossy(&dry.stderr));
    assert!(text.contains("4 new") && text.contains("nothing written"), "{text}");
    let batches: i64 = sqlx::query_scalar("SELECT count(*) FROM import_batches").fetch_one(&db.pool).await.unwrap();
    assert_eq!(batches, 0);
    let real = run(&[]).await.unwrap();
    let text = String::from_utf8_lossy(&real.stdout).to_string();
    assert!(real.status.success(), "{text}{}", String::from_utf8_lossy(&real.stderr));
    assert!(text.contains("imported 4 rows"), "{text}");
    let again = run(&[]).await.unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("imported 0 rows"));
    let bad = run(&["--format", "pdf"]).await.unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--format"));
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn request_bodies_are_limited_and_a_large_statement_still_fits() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let b = books(&app, "big-import@example.com").await;

    // A 2 MB form to any other function is refused before it is read.
    let padding = "x".repeat(2 * 1024 * 1024);
    let (status, body) = call(&app, &b.client, "import_batches", &[("padding", &padding)]).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.as_str().is_some_and(|m| m.contains("larger than the 1 MB")), "{body}");

    // Even an import function refuses more than a 16 MB file could make.
    let huge = "A".repeat(manna_server::body_limit::IMPORT_LIMIT);
    let (status, body) = call(&app, &b.client, "preview_import", &[("content", &huge)]).await;
    assert_eq!(status, 413, "{}", body.as_str().map(|s| &s[..s.len().min(200)]).unwrap_or_default());

    // A statement of 3 MB (4 MB as a base64 form) goes through the import functions.
    let mut csv = String::from("Date,Description,Amount\r\n");
    let mut rows = 0;
    while csv.len() < 3 * 1024 * 1024 {
        csv.push_str(&format!(
            "05/{:02}/2024,Coffee shop number {rows:06} on the corner of the street,-{}.25\r\n",
            rows % 28 + 1,
            rows % 90 + 1
        ));
        rows += 1;
    }
    let form = [("account", b.checking.as_str()), ("file_name", "big.csv"), ("content", &b64(&csv))];
    // (`call`, not `ok`: a failure must not print the 4 MB form.)
    let (status, preview) = call(&app, &b.client, "preview_import", &form).await;
    assert_eq!((status, preview["new_rows"].as_u64()), (200, Some(rows as u64)), "{}", preview["errors"]);
    let (status, imported) = call(&app, &b.client, "import_statement", &form).await;
    assert_eq!((status, imported["added"].as_u64()), (200, Some(rows as u64)), "{imported}");

    // A large import leaves its search-index entries pending and merges them after it
    // answers: a text search finds the rows either way.
    let search = [("query[q]", "number 000123 on"), ("query[range]", "custom"), ("query[from]", "2024-01-01")];
    let page = ok(&app, &b.client, "transactions", &search).await;
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(1), "{page}");
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pgstattuple").execute(&db.pool).await.unwrap();
    let merged = async {
        loop {
            let pending: i64 =
                sqlx::query_scalar("SELECT pending_pages::bigint FROM pgstatginindex('transactions_search_trgm')")
                    .fetch_one(&db.pool)
                    .await
                    .unwrap();
            if pending == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), merged).await.expect("the index merge finishes");
    let page = ok(&app, &b.client, "transactions", &search).await;
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(1), "{page}");
}

/// Name, category, category source, rule, tax year, predictions stored for the row.
type FiledRow = (String, Option<String>, Option<String>, Option<String>, i32, i64);

/// Saves the rule "description contains starbucks: Coffee"; returns its id.
async fn starbucks_is_coffee(app: &TestApp, client: &reqwest::Client, pool: &PgPool) -> Value {
    let coffee = crate::ledger::category_id(pool, "Coffee").await;
    let rule = [
        ("rule[name]", "Starbucks is coffee"),
        ("rule[mode]", "all"),
        ("rule[conditions][0][field]", "description"),
        ("rule[conditions][0][value]", "starbucks"),
        ("rule[actions][category]", coffee.as_str()),
    ];
    ok(app, client, "save_rule", &rule).await
}

/// Imported rows go through the user's rules like any new transaction (written once,
/// with what the rules decided), the model sees the rest, and each gets the tax year
/// of the owner's fiscal year. The DB refuses a row whose given tax year is wrong.
#[tokio::test]
async fn imported_rows_go_through_rules_and_get_the_fiscal_tax_year() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let b = books(&app, "rules-import@example.com").await;
    let owner: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'rules-import@example.com'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET fiscal_year_start_month = 4 WHERE id = $1")
        .bind(owner)
        .execute(&db.pool)
        .await
        .unwrap();
    let rule_id = starbucks_is_coffee(&app, &b.client, &db.pool).await;
    let file = "Date,Description,Amount\r\n\
03/01/2024,STARBUCKS #1234 SEATTLE,-4.50\r\n\
03/31/2024,Starbucks Reserve,-6.10\r\n\
04/01/2024,Rent April,-1800.00\r\n";
    let form = [("account", b.checking.as_str()), ("file_name", "rules.csv"), ("content", &b64(file))];
    let imported = ok(&app, &b.client, "import_statement", &form).await;
    assert_eq!(imported["added"].as_u64(), Some(3), "{imported}");

    let rows: Vec<FiledRow> = sqlx::query_as(
        "SELECT t.name, c.name, t.category_source::text, t.rule_id::text, t.tax_year,
                (SELECT count(*) FROM ml_predictions p WHERE p.transaction_id = t.id)
         FROM transactions t LEFT JOIN categories c ON c.id = t.category_id
         WHERE t.import_batch_id = $1::uuid ORDER BY t.date",
    )
    .bind(imported["batch"].as_str().unwrap())
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let rule_id = rule_id.as_str().map(str::to_string);
    assert_eq!(rows.len(), 3, "{rows:?}");
    // Both Starbucks rows fall in the fiscal year that ends in March 2024.
    let by_rule = (Some("Coffee".to_string()), Some("rule".to_string()), rule_id.clone());
    for (row, name) in rows[..2].iter().zip(["STARBUCKS #1234 SEATTLE", "Starbucks Reserve"]) {
        let seen = (row.0.as_str(), (row.1.clone(), row.2.clone(), row.3.clone()), row.4, row.5);
        assert_eq!(seen, (name, by_rule.clone(), 2024, 0));
    }
    let rent = &rows[2];
    assert_eq!((rent.0.as_str(), rent.3.as_deref(), rent.4), ("Rent April", None, 2025), "{rent:?}");
    assert_ne!(rent.2.as_deref(), Some("rule"));

    // The model, which has now learnt from the rows the rule filed, has its say on a
    // row of the next file that no rule matches: a prediction linked to the row.
    let next = "Date,Description,Amount\r\n05/01/2024,Rent May,-1800.00\r\n";
    let form = [("account", b.checking.as_str()), ("file_name", "may.csv"), ("content", &b64(next))];
    let imported = ok(&app, &b.client, "import_statement", &form).await;
    let linked: (i64, bool) = sqlx::query_as(
        "SELECT count(p.id), bool_and(t.category_source IS DISTINCT FROM 'ml' OR t.category_id = p.predicted_category_id)
         FROM transactions t JOIN ml_predictions p ON p.id = t.prediction_id AND p.transaction_id = t.id
         WHERE t.import_batch_id = $1::uuid",
    )
    .bind(imported["batch"].as_str().unwrap())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(linked, (1, true));
    let rules = ok(&app, &b.client, "rules", &[]).await;
    assert_eq!(rules[0]["match_count"].as_i64(), Some(2), "{rules}");

    // A row given a tax year that its date and the owner's fiscal year do not make.
    let wrong = sqlx::query(
        "INSERT INTO transactions (user_id, account_id, amount, date, name, source, tax_year)
         VALUES ($1, $2::uuid, -1, '2024-05-01', 'wrong year', 'manual', 2024)",
    )
    .bind(owner)
    .bind(&b.checking)
    .execute(&db.pool)
    .await
    .unwrap_err();
    assert!(wrong.to_string().contains("fiscal year makes it 2025"), "{wrong}");
}

/// A file larger than one insert statement is written in parts (prepared on another
/// thread while the previous part is written): still one batch, every part through the
/// rules and the model, and the rules' match counts summed over the parts.
#[tokio::test]
async fn a_file_written_in_several_statements_is_one_batch_with_rules_and_the_model_on_every_part() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let b = books(&app, "parts-import@example.com").await;
    starbucks_is_coffee(&app, &b.client, &db.pool).await;
    // History for the model to learn from (the rule files it).
    let form = [("account", b.checking.as_str()), ("file_name", "march.csv"), ("content", &b64(MARCH))];
    ok(&app, &b.client, "import_statement", &form).await;

    let mut file = String::from("Date,Description,Amount\r\n");
    let (mut rows, mut starbucks) = (0u64, 0u64);
    while rows < 30_001 {
        let name = if rows % 5 == 0 { "STARBUCKS" } else { "Corner bakery" };
        starbucks += u64::from(rows % 5 == 0);
        file.push_str(&format!("06/{:02}/2024,{name} {rows:06},-{}.25\r\n", rows % 28 + 1, rows % 90 + 1));
        rows += 1;
    }
    let form = [("account", b.checking.as_str()), ("file_name", "june.csv"), ("content", &b64(&file))];
    let imported = ok(&app, &b.client, "import_statement", &form).await;
    assert_eq!(imported["added"].as_u64(), Some(rows), "{imported}");

    let (in_batch, distinct_ids, by_rule, linked_predictions): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT t.id), count(*) FILTER (WHERE t.rule_id IS NOT NULL),
                count(p.id) FILTER (WHERE t.rule_id IS NULL)
         FROM transactions t LEFT JOIN ml_predictions p ON p.id = t.prediction_id AND p.transaction_id = t.id
         WHERE t.import_batch_id = $1::uuid",
    )
    .bind(imported["batch"].as_str().unwrap())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let rows = rows as i64;
    let starbucks = starbucks as i64;
    assert_eq!((in_batch, distinct_ids, by_rule), (rows, rows, starbucks));
    // Every row no rule filed was put to the model, whichever part it was in.
    assert_eq!(linked_predictions, rows - starbucks);
    let batches: i64 = sqlx::query_scalar("SELECT count(*) FROM import_batches WHERE account_id = $1::uuid")
        .bind(&b.checking)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(batches, 2);
    // The March file's Starbucks row, then every part's.
    let rules = ok(&app, &b.client, "rules", &[]).await;
    assert_eq!(rules[0]["match_count"].as_i64(), Some(1 + starbucks), "{rules}");
}
