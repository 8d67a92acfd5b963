use crate::harness::{empty_db, test_db};
use chrono::NaiveDate;
use manna_core::ledger::tax_year;
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

pub(crate) async fn user(pool: &PgPool, email: &str, fiscal_start: i16) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, fiscal_year_start_month) VALUES ($1, '$argon2id$v=19$x', $2) RETURNING id",
    )
    .bind(email)
    .bind(fiscal_start)
    .fetch_one(pool)
    .await
    .unwrap()
}

pub(crate) async fn account(pool: &PgPool, user_id: Uuid, name: &str) -> Uuid {
    sqlx::query_scalar("INSERT INTO accounts (user_id, name, account_type) VALUES ($1, $2, 'depository') RETURNING id")
        .bind(user_id)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_schema_has_the_fourteen_tables_the_job_queue_and_forty_indexes() {
    let db = test_db().await;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations' ORDER BY 1")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let expected = [
        "accounts",
        "audit_logs",
        "budget_items",
        "budgets",
        "categories",
        "categorization_rules",
        // Not among the 14 of the design: statement import batches (undo), the
        // background job queue (ARCHITECTURE.md) and the pickers' versions (the
        // server's copy of each user's accounts and categories, migration 29).
        "import_batches",
        "institutions",
        "jobs",
        "ml_predictions",
        "picker_versions",
        "plaid_items",
        "plaid_webhooks",
        "reports",
        "transactions",
        "user_sessions",
        "users",
    ];
    assert_eq!(tables, expected);
    let indexes: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(indexes >= 40, "{indexes} indexes");
    // Every index of the index migration exists and is valid.
    for def in manna_server::indexes::definitions() {
        let valid = manna_server::maintenance::index_validity(&db.pool, &def.name).await.unwrap();
        assert_eq!(valid, Some(true), "index {}", def.name);
    }
}

#[tokio::test]
async fn migrations_are_idempotent_and_health_is_ok() {
    let db = empty_db().await;
    let health = manna_server::db::health(&db.pool).await.unwrap();
    assert!(!health.is_ok(), "an empty database is not ready");
    assert!(!health.pending_migrations.is_empty());
    let first = manna_server::db::migrate(&db.pool).await.unwrap();
    assert_eq!(first, manna_server::db::MIGRATOR.iter().count());
    assert_eq!(manna_server::db::migrate(&db.pool).await.unwrap(), 0);
    assert!(manna_server::db::health(&db.pool).await.unwrap().is_ok());
}

#[tokio::test]
async fn emails_are_unique_whatever_their_case() {
    let db = test_db().await;
    user(&db.pool, "Ann@Example.com", 1).await;
    let err = sqlx::query("INSERT INTO users (email, password_hash) VALUES ('ann@example.COM', '$argon2id$x')")
        .execute(&db.pool)
        .await
        .unwrap_err();
    assert!(err.as_database_error().unwrap().is_unique_violation());
}

#[tokio::test]
async fn a_transfer_must_balance_at_commit() {
    let db = test_db().await;
    let u = user(&db.pool, "t@example.com", 1).await;
    let (a, b) = (account(&db.pool, u, "A").await, account(&db.pool, u, "B").await);
    let insert_leg = |id: Uuid, acct: Uuid, amount: &str, journal: Uuid, contra: Uuid| {
        sqlx::query(
            "INSERT INTO transactions (id, user_id, account_id, amount, date, name, transaction_type, journal_entry_id, contra_transaction_id)
             VALUES ($1, $2, $3, $4::numeric, '2024-05-01', 'transfer', 'transfer', $5, $6)",
        )
        .bind(id)
        .bind(u)
        .bind(acct)
        .bind(amount.to_string())
        .bind(journal)
        .bind(contra)
    };

    // Unbalanced: 100.00 out, 99.99 in. Each statement succeeds; the commit does not.
    let (j, x, y) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mut tx = db.pool.begin().await.unwrap();
    insert_leg(x, a, "-100.00", j, y).execute(&mut *tx).await.unwrap();
    insert_leg(y, b, "99.99", j, x).execute(&mut *tx).await.unwrap();
    let err = tx.commit().await.unwrap_err();
    assert!(err.to_string().contains("does not balance"), "{err}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(&db.pool).await.unwrap();
    assert_eq!(count, 0, "nothing of the failed entry remains");

    // Balanced: accepted.
    let (j, x, y) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mut tx = db.pool.begin().await.unwrap();
    insert_leg(x, a, "-100.00", j, y).execute(&mut *tx).await.unwrap();
    insert_leg(y, b, "100.00", j, x).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();

    // Editing one leg alone, or deleting it, unbalances the entry: refused.
    let err =
        sqlx::query("UPDATE transactions SET amount = 50 WHERE id = $1").bind(y).execute(&db.pool).await.unwrap_err();
    assert!(err.to_string().contains("does not balance"), "{err}");
    let err = sqlx::query("DELETE FROM transactions WHERE id = $1").bind(y).execute(&db.pool).await.unwrap_err();
    assert!(err.to_string().contains("does not balance"), "{err}");
    // Deleting the whole entry is fine.
    sqlx::query("DELETE FROM transactions WHERE journal_entry_id = $1").bind(j).execute(&db.pool).await.unwrap();
}

#[tokio::test]
async fn tax_year_follows_the_users_fiscal_year_as_in_rust() {
    let db = test_db().await;
    let u = user(&db.pool, "fy@example.com", 7).await;
    let a = account(&db.pool, u, "A").await;
    let dates = ["2024-01-01", "2024-06-30", "2024-07-01", "2024-12-31", "2025-03-15"];
    for d in dates {
        sqlx::query(
            "INSERT INTO transactions (user_id, account_id, amount, date, name) VALUES ($1, $2, -1, $3::date, 'x')",
        )
        .bind(u)
        .bind(a)
        .bind(d)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    for start in [7i16, 1, 4, 10] {
        sqlx::query("UPDATE users SET fiscal_year_start_month = $2 WHERE id = $1")
            .bind(u)
            .bind(start)
            .execute(&db.pool)
            .await
            .unwrap();
        let rows: Vec<(NaiveDate, i32)> = sqlx::query_as("SELECT date, tax_year FROM transactions WHERE user_id = $1")
            .bind(u)
            .fetch_all(&db.pool)
            .await
            .unwrap();
        assert_eq!(rows.len(), dates.len());
        for (date, year) in rows {
            assert_eq!(year, tax_year(date, start as u32), "{date} with a fiscal year starting in month {start}");
        }
    }
    // Moving a transaction's date moves its tax year.
    sqlx::query("UPDATE transactions SET date = '2030-08-01' WHERE user_id = $1 AND date = '2024-01-01'")
        .bind(u)
        .execute(&db.pool)
        .await
        .unwrap();
    let year: i32 = sqlx::query_scalar("SELECT tax_year FROM transactions WHERE date = '2030-08-01'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(year, tax_year(NaiveDate::from_ymd_opt(2030, 8, 1).unwrap(), 10));
}

#[tokio::test]
async fn money_is_exact_numeric_and_bounded() {
    let db = test_db().await;
    let u = user(&db.pool, "m@example.com", 1).await;
    let a = account(&db.pool, u, "A").await;
    for amount in ["0.10", "0.20", "-0.30"] {
        sqlx::query("INSERT INTO transactions (user_id, account_id, amount, date, name) VALUES ($1, $2, $3::numeric, '2024-01-01', 'x')")
            .bind(u)
            .bind(a)
            .bind(amount)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let sum: Decimal = sqlx::query_scalar("SELECT sum(amount) FROM transactions").fetch_one(&db.pool).await.unwrap();
    assert!(sum.is_zero(), "0.10 + 0.20 - 0.30 = {sum}");
    let too_big = sqlx::query(
        "INSERT INTO transactions (user_id, account_id, amount, date, name) VALUES ($1, $2, 1e13, '2024-01-01', 'x')",
    )
    .bind(u)
    .bind(a)
    .execute(&db.pool)
    .await;
    assert!(too_big.is_err(), "NUMERIC(15,2) holds at most 13 integer digits");
}

#[tokio::test]
async fn updated_at_moves_on_update() {
    let db = test_db().await;
    let u = user(&db.pool, "ts@example.com", 1).await;
    let before: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT updated_at FROM users WHERE id = $1").bind(u).fetch_one(&db.pool).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let after: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("UPDATE users SET display_name = 'New' WHERE id = $1 RETURNING updated_at")
            .bind(u)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(after > before);
}

/// The tax-year trigger caches the owner's fiscal start per transaction: another user,
/// or a fiscal-year change, in the same transaction must not see a stale value.
#[tokio::test]
async fn tax_years_stay_right_for_two_users_and_a_fiscal_change_in_one_transaction() {
    let db = test_db().await;
    let july = user(&db.pool, "july@example.com", 7).await;
    let april = user(&db.pool, "april@example.com", 4).await;
    let a = account(&db.pool, july, "A").await;
    let b = account(&db.pool, april, "B").await;
    let mut tx = db.pool.begin().await.unwrap();
    async fn year(tx: &mut sqlx::PgConnection, u: Uuid, acct: Uuid, name: &str) -> i32 {
        sqlx::query_scalar(
            "INSERT INTO transactions (user_id, account_id, amount, date, name)
             VALUES ($1, $2, -1, '2024-08-01', $3) RETURNING tax_year",
        )
        .bind(u)
        .bind(acct)
        .bind(name)
        .fetch_one(tx)
        .await
        .unwrap()
    }
    assert_eq!(year(&mut tx, july, a, "j1").await, 2025);
    assert_eq!(year(&mut tx, april, b, "a1").await, 2025);
    assert_eq!(year(&mut tx, july, a, "j2").await, 2025);
    sqlx::query("UPDATE users SET fiscal_year_start_month = 9 WHERE id = $1")
        .bind(july)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(year(&mut tx, july, a, "j3").await, 2024, "after the change, in the same transaction");
    tx.commit().await.unwrap();
    let years: Vec<i32> = sqlx::query_scalar("SELECT tax_year FROM transactions WHERE user_id = $1")
        .bind(july)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert!(years.iter().all(|y| *y == 2024), "{years:?}");
}

/// The list of tax years is a loose scan over dates: every year with a row, newest
/// first, across a fiscal year that does not start in January and a gap of a year.
#[tokio::test]
async fn the_tax_years_listed_are_those_of_the_rows_dates() {
    let db = test_db().await;
    let july = user(&db.pool, "july-years@example.com", 7).await;
    let other = user(&db.pool, "january-years@example.com", 1).await;
    let a = account(&db.pool, july, "A").await;
    let b = account(&db.pool, other, "B").await;
    for (owner, acct, date) in [
        (july, a, "2021-06-30"), // tax year 2021
        (july, a, "2021-07-01"), // 2022
        (july, a, "2022-06-30"), // 2022
        (july, a, "2024-07-01"), // 2025 (nothing in 2023 or 2024)
        (other, b, "2019-03-01"),
    ] {
        sqlx::query(
            "INSERT INTO transactions (user_id, account_id, amount, date, name) VALUES ($1, $2, -1, $3::date, 'x')",
        )
        .bind(owner)
        .bind(acct)
        .bind(date)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(app::data::tax::years(&mut conn, july).await.unwrap(), vec![2025, 2022, 2021]);
    assert_eq!(app::data::tax::years(&mut conn, other).await.unwrap(), vec![2019]);
    let nobody = user(&db.pool, "no-rows@example.com", 4).await;
    assert_eq!(app::data::tax::years(&mut conn, nobody).await.unwrap(), Vec::<i32>::new());
}
