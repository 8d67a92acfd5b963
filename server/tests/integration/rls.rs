//! Row-level security: the second wall. These queries deliberately leave out the
//! `user_id` filter every app query has, and run as the app does for a signed-in user.

use crate::harness::{seed, test_db};
use uuid::Uuid;

#[tokio::test]
async fn a_query_without_its_user_filter_still_sees_only_the_users_rows() {
    let db = test_db().await;
    seed(&db.pool, 2, 2_000).await;
    let users: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT u.id, (SELECT count(*) FROM transactions t WHERE t.user_id = u.id) FROM users u ORDER BY u.email",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(users.len(), 2);
    let (a, a_count) = users[0];
    let (b, b_count) = users[1];
    assert!(a_count > 0 && b_count > 0);

    let mut tx = app::data::user_tx(&db.pool, b).await.unwrap();
    for (table, expected) in [("transactions", b_count), ("users", 1)] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&mut *tx).await.unwrap();
        assert_eq!(n, expected, "{table} as B without a filter");
    }
    for table in
        ["accounts", "ml_predictions", "categorization_rules", "budgets", "budget_items", "user_sessions", "audit_logs"]
    {
        let foreign: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE user_id = $1"))
            .bind(a)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(foreign, 0, "B sees none of A's {table}");
    }
    // System categories stay visible to everyone.
    let shared: i64 =
        sqlx::query_scalar("SELECT count(*) FROM categories WHERE user_id IS NULL").fetch_one(&mut *tx).await.unwrap();
    assert!(shared >= 40);

    // Writes without a filter touch only B's rows, and B cannot write rows for A.
    let renamed = sqlx::query("UPDATE accounts SET name = 'mine now'").execute(&mut *tx).await.unwrap().rows_affected();
    let b_accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE user_id = $1")
        .bind(b)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(renamed as i64, b_accounts);
    let forged = sqlx::query("INSERT INTO accounts (user_id, name, account_type) VALUES ($1, 'sneaky', 'depository')")
        .bind(a)
        .execute(&mut *tx)
        .await;
    assert!(forged.is_err(), "inserting a row owned by A is refused");
    drop(tx);

    let untouched: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE user_id = $1 AND name = 'mine now'")
        .bind(a)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(untouched, 0, "A's accounts were never renamed");
}

#[tokio::test]
async fn without_a_user_the_app_role_sees_nothing() {
    let db = test_db().await;
    seed(&db.pool, 1, 100).await;
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE manna_app").execute(&mut *tx).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(n, 0);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(n, 0);
}

/// A request dropped while its BEGIN is in flight (the browser went away) must not hand
/// its connection back to the pool inside that transaction, still acting as the user:
/// the next borrower would run in it. The pool has one connection, so the check runs
/// on the very connection the abandoned BEGIN used.
#[tokio::test]
async fn an_abandoned_begin_leaves_no_transaction_open_on_its_connection() {
    let db = test_db().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(crate::harness::cluster().connect_options(&db.name))
        .await
        .unwrap();
    // The sleep keeps Postgres from answering the BEGIN before the caller gives up.
    let slow_begin = || "BEGIN; SELECT set_config('role', 'manna_app', true), pg_sleep(0.3)".to_string();
    let give_up = std::time::Duration::from_millis(50);
    let abandoned = tokio::time::timeout(give_up, app::data::begin_with(&pool, slow_begin())).await;
    assert!(abandoned.is_err(), "the BEGIN should still have been in flight");
    assert_next_borrower_starts_clean(&pool).await;
    // The same on a connection the caller held (the session check's, handed on).
    let conn = pool.acquire().await.unwrap();
    let abandoned = tokio::time::timeout(give_up, app::data::begin_on(conn, slow_begin())).await;
    assert!(abandoned.is_err(), "the BEGIN should still have been in flight");
    assert_next_borrower_starts_clean(&pool).await;
}

async fn assert_next_borrower_starts_clean(pool: &sqlx::PgPool) {
    // Outside a transaction now() is this statement's start; inside the leaked one it
    // would be the BEGIN's, from before the sleep. And the role would still be the app's.
    let (fresh, role): (bool, String) =
        sqlx::query_as("SELECT clock_timestamp() - now() < interval '100 ms', current_user::text")
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(fresh, "the next borrower ran inside the abandoned transaction");
    assert_ne!(role, "manna_app");
}
