use crate::harness::{empty_db, test_db};
use std::process::{Command, Output};

pub fn manna(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manna"));
    cmd.args(args).env_remove("DATABASE_URL").env("MANNA_LOG", "error");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run manna")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// One clear line, no panic, no backtrace.
fn assert_one_line_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn every_command_has_help() {
    let o = manna(&["--help"], &[]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    for cmd in [
        "serve",
        "init-db",
        "migrate",
        "seed-db",
        "setup-dev",
        "health-check",
        "create-indexes",
        "analyze-performance",
        "optimize-db",
        "ml",
        "backup",
        "restore",
    ] {
        assert!(text.contains(cmd), "{cmd} listed");
        let o = manna(&[cmd, "--help"], &[]);
        assert!(o.status.success(), "{cmd} --help");
    }
}

#[test]
fn unknown_flags_are_usage_errors() {
    let o = manna(&["--frobnicate"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unexpected argument"));
    let o = manna(&["seed-db", "--users", "zero"], &[]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn an_unusable_data_dir_is_a_clear_error() {
    let file = std::env::temp_dir().join(format!("manna-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, b"x").unwrap();
    let dir = file.join("data");
    let o = manna(&["health-check"], &[("MANNA_DATA_DIR", dir.to_str().unwrap())]);
    assert_one_line_error(&o, "data dir");
    std::fs::remove_file(file).ok();
}

#[test]
fn a_refused_connection_is_a_clear_error_without_the_password() {
    let o = manna(&["health-check"], &[("DATABASE_URL", "postgres://someone:s3cret-pw@127.0.0.1:1/manna")]);
    assert_one_line_error(&o, "cannot connect to the database");
    assert!(!stderr(&o).contains("s3cret-pw"));
    let o = manna(&["migrate"], &[("DATABASE_URL", "not a url")]);
    assert_one_line_error(&o, "DATABASE_URL");
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = manna(&["serve"], &[("MANNA_ADDR", &addr), ("DATABASE_URL", "postgres://x@127.0.0.1:1/x")]);
    assert_one_line_error(&o, "cannot listen on");
    let o = manna(&["serve"], &[("MANNA_ADDR", "not-an-address")]);
    assert_one_line_error(&o, "MANNA_ADDR");
}

#[tokio::test]
async fn health_check_passes_on_a_migrated_database_and_fails_on_an_empty_one() {
    let db = test_db().await;
    let o = manna(&["health-check"], &[("DATABASE_URL", &db.url())]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("migrations: current"));

    let empty = empty_db().await;
    let o = manna(&["health-check"], &[("DATABASE_URL", &empty.url())]);
    assert_one_line_error(&o, "not ready");
    assert!(String::from_utf8_lossy(&o.stdout).contains("pending"));
    let o = manna(&["migrate"], &[("DATABASE_URL", &empty.url())]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = manna(&["health-check"], &[("DATABASE_URL", &empty.url())]);
    assert!(o.status.success());
}

#[tokio::test]
async fn init_db_generates_a_private_secret_key_once() {
    use std::os::unix::fs::PermissionsExt;
    let db = test_db().await;
    let dir = std::env::temp_dir().join(format!("manna-key-{}", uuid::Uuid::new_v4()));
    let env = [("DATABASE_URL", db.url()), ("MANNA_DATA_DIR", dir.to_string_lossy().to_string())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let o = manna(&["init-db"], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    let key_path = dir.join("secret.key");
    let key = std::fs::read_to_string(&key_path).unwrap();
    assert_eq!(key.len(), 64);
    assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777, 0o600);
    let o = manna(&["init-db"], &env);
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), key, "the key is kept");
    assert!(!String::from_utf8_lossy(&o.stdout).contains(&key), "the key is never printed");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn audit_verify_passes_then_catches_a_hand_edit_and_prune_keeps_it_verifiable() {
    let db = test_db().await;
    crate::harness::seed(&db.pool, 1, 10).await;
    let app = crate::harness::spawn_app(db.pool.clone()).await;
    for _ in 0..3 {
        app.signed_in(crate::harness::DEMO.0, crate::harness::DEMO.1).await;
    }
    let url = db.url();
    let env = [("DATABASE_URL", url.as_str())];
    let o = manna(&["audit", "verify"], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("audit trail intact: 3 entries"));

    // Retention: entries older than a day go; what is left still verifies.
    sqlx::raw_sql(
        "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only;
         UPDATE audit_logs SET created_at = created_at - interval '40 days' WHERE seq = (SELECT min(seq) FROM audit_logs);
         ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    // (That edit itself is tampering, and verify says so …)
    let o = manna(&["audit", "verify"], &env);
    assert_one_line_error(&o, "contents do not match its hash");
    // … until retention removes the edited row; the rest is an intact chain again.
    let o = manna(&["audit", "prune", "--older-than", "30"], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("deleted 1 audit entries"));
    let o = manna(&["audit", "verify"], &env);
    assert!(o.status.success(), "{}", stderr(&o));

    // A row edited by hand, as with psql as a superuser, breaks the chain there.
    sqlx::raw_sql(
        "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only;
         UPDATE audit_logs SET ip_address = '10.9.9.9' WHERE seq = (SELECT max(seq) FROM audit_logs);
         ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let o = manna(&["audit", "verify"], &env);
    assert_one_line_error(&o, "audit trail broken at entry");
    let o = manna(&["audit", "prune", "--older-than", "0"], &env);
    assert_eq!(o.status.code(), Some(2), "retention of 0 days is refused");
}

#[tokio::test]
async fn ml_evaluate_prints_held_out_scores_per_user() {
    let db = test_db().await;
    let url = db.url();
    let o = manna(&["seed-db", "--users", "2", "--transactions", "4000"], &[("DATABASE_URL", &url)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = manna(&["ml", "evaluate"], &[("DATABASE_URL", &url)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    for needle in
        ["time split", "accuracy", "macro-F1", "coverage", "demo@manna.local", "user1@manna.local", "all users"]
    {
        assert!(out.contains(needle), "{needle} in\n{out}");
    }
    // The seeded categories are learnable but not trivially: well above chance, below perfect.
    let demo = out.lines().find(|l| l.starts_with("demo@manna.local")).unwrap();
    let accuracy: f64 = demo.split_whitespace().nth(3).unwrap().trim_end_matches('%').parse().unwrap();
    assert!((80.0..99.5).contains(&accuracy), "{demo}");
    let o = manna(&["ml", "evaluate", "--user", "nobody@example.com"], &[("DATABASE_URL", &url)]);
    assert_one_line_error(&o, "no such user");
}

#[tokio::test]
async fn report_export_writes_each_format_with_the_reports_totals() {
    let db = test_db().await;
    let url = db.url();
    let o = manna(&["seed-db", "--users", "1", "--transactions", "3000"], &[("DATABASE_URL", &url)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = std::env::temp_dir().join(format!("manna-cli-report-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Days::new(364)).to_string();
    let to = today.to_string();
    for format in ["csv", "xlsx", "pdf"] {
        let out = dir.join(format!("pl.{format}"));
        let args = [
            "report",
            "export",
            "--user",
            manna_server::seed::DEMO_EMAIL,
            "--type",
            "profit_loss",
            "--from",
            &from,
            "--to",
            &to,
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ];
        let o = manna(&args, &[("DATABASE_URL", &url)]);
        assert!(o.status.success(), "{format}: {}", stderr(&o));
        assert!(stderr(&o).contains("net_income: "), "{}", stderr(&o));
        let bytes = std::fs::read(&out).unwrap();
        let magic: &[u8] = if format == "pdf" { b"%PDF" } else { b"PK" };
        assert!(bytes.starts_with(magic), "{format}");
    }
    // The printed net income is the one in the workbook.
    let o = manna(
        &[
            "report",
            "export",
            "--user",
            manna_server::seed::DEMO_EMAIL,
            "--type",
            "profit_loss",
            "--from",
            &from,
            "--to",
            &to,
            "--format",
            "xlsx",
            "--out",
            dir.join("again.xlsx").to_str().unwrap(),
        ],
        &[("DATABASE_URL", &url)],
    );
    let printed: f64 = stderr(&o)
        .lines()
        .find_map(|l| l.strip_prefix("net_income: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("net income printed");
    use calamine::{DataType, Reader};
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(dir.join("again.xlsx")).unwrap();
    let sheet = book.worksheet_range("Summary").unwrap();
    let row = sheet.rows().find(|r| r[0].to_string().trim() == "Net income").unwrap();
    assert!((row[1].get_float().unwrap() - printed).abs() < 0.005);
    let bad = manna(
        &[
            "report",
            "export",
            "--user",
            "nobody@example.com",
            "--type",
            "profit_loss",
            "--from",
            &from,
            "--to",
            &to,
            "--format",
            "csv",
            "--out",
            "-",
        ],
        &[("DATABASE_URL", &url)],
    );
    assert!(!bad.status.success() && stderr(&bad).contains("no user"));
}
