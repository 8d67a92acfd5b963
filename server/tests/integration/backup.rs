//! `manna backup` and `manna restore` through the real binary.

use crate::cli::{manna, stderr};
use crate::harness::{empty_db, seed, test_db};
use sqlx::PgPool;

/// Every table's row count, and the money in it: equal fingerprints, equal databases.
async fn fingerprint(pool: &PgPool) -> Vec<(String, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{t}\"")).fetch_one(pool).await.unwrap();
        out.push((t, n.to_string()));
    }
    let sums: (String, String, String) = sqlx::query_as(
        "SELECT (SELECT coalesce(sum(amount), 0)::text FROM transactions),
                (SELECT coalesce(sum(current_balance), 0)::text FROM accounts),
                (SELECT coalesce(string_agg(encode(row_hash, 'hex'), '' ORDER BY created_at, id), '') FROM audit_logs)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    out.push(("sum(transactions.amount)".into(), sums.0));
    out.push(("sum(accounts.current_balance)".into(), sums.1));
    out.push(("audit hash chain".into(), sums.2));
    out
}

fn backup_file() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("backup-{}.dump", uuid::Uuid::new_v4().simple()))
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_database_exactly() {
    let source = test_db().await;
    seed(&source.pool, 3, 3_000).await;
    let file = backup_file();
    let path = file.to_str().unwrap();
    let o = manna(&["backup", path], &[("DATABASE_URL", &source.url())]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("3 users") && said.contains("3000 transactions"), "{said}");
    assert!(!std::path::Path::new(&format!("{path}.partial")).exists());

    let target = empty_db().await;
    let o = manna(&["restore", path], &[("DATABASE_URL", &target.url())]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("restored 3 users"));
    let expected = fingerprint(&source.pool).await;
    assert!(expected.iter().any(|(t, n)| t == "transactions" && n == "3000"));
    assert_eq!(fingerprint(&target.pool).await, expected);

    // The restored database is a working one: row-level security and triggers included.
    let policies: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_policies WHERE schemaname = 'public'")
        .fetch_one(&target.pool)
        .await
        .unwrap();
    let source_policies: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_policies WHERE schemaname = 'public'")
        .fetch_one(&source.pool)
        .await
        .unwrap();
    assert_eq!(policies, source_policies);
    let o = manna(&["audit", "verify"], &[("DATABASE_URL", &target.url())]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test]
async fn a_restore_never_half_replaces_a_database() {
    let db = test_db().await;
    seed(&db.pool, 2, 500).await;
    let before = fingerprint(&db.pool).await;
    let file = backup_file();
    let path = file.to_str().unwrap();
    assert!(manna(&["backup", path], &[("DATABASE_URL", &db.url())]).status.success());

    // A database with users is replaced only on purpose.
    let o = manna(&["restore", path], &[("DATABASE_URL", &db.url())]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already holds 2 users"), "{}", stderr(&o));

    // Not a backup: refused before anything is touched.
    let junk = backup_file();
    std::fs::write(&junk, "date,amount\n2024-01-01,1.00\n").unwrap();
    let o = manna(&["restore", junk.to_str().unwrap(), "--force"], &[("DATABASE_URL", &db.url())]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is not a backup made by `manna backup`"), "{}", stderr(&o));

    // A restore that fails half way (here: the app holds a lock on a table) changes nothing.
    let mut holder = db.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE budgets IN ACCESS SHARE MODE").execute(&mut *holder).await.unwrap();
    let url = db.url();
    let p = path.to_string();
    let o = tokio::task::spawn_blocking(move || manna(&["restore", &p, "--force"], &[("DATABASE_URL", &url)]))
        .await
        .unwrap();
    holder.rollback().await.unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nothing was changed"), "{}", stderr(&o));
    assert_eq!(fingerprint(&db.pool).await, before);

    // With --force and no one in the way, it goes through and gives the same data back.
    sqlx::query("DELETE FROM budgets").execute(&db.pool).await.unwrap();
    let o = manna(&["restore", path, "--force"], &[("DATABASE_URL", &db.url())]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fingerprint(&db.pool).await, before);

    // A backup to a folder that does not exist is a clear error.
    let o = manna(&["backup", "/no/such/folder/x.dump"], &[("DATABASE_URL", &db.url())]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
    std::fs::remove_file(&file).unwrap();
    std::fs::remove_file(&junk).unwrap();
}
