//! The keys of `transactions` checked per statement (migrations 20 and 21): a row's
//! account and import batch must be its owner's, on insert and on update, and what the
//! foreign keys did when the referenced row goes still happens.

use crate::harness::test_db;
use crate::schema::account;
use sqlx::PgPool;
use sqlx::postgres::PgQueryResult;
use uuid::Uuid;

/// Two users, an account each: the rows' owner and a stranger.
pub(crate) struct Owners {
    pub owner: Uuid,
    pub stranger: Uuid,
    /// The owner's account.
    pub a: Uuid,
    /// The stranger's account.
    pub s: Uuid,
}

pub(crate) async fn owner_and_stranger(pool: &PgPool, tag: &str) -> Owners {
    let owner = crate::schema::user(pool, &format!("{tag}-owner@example.com"), 1).await;
    let stranger = crate::schema::user(pool, &format!("{tag}-stranger@example.com"), 1).await;
    Owners { owner, stranger, a: account(pool, owner, "A").await, s: account(pool, stranger, "S").await }
}

pub(crate) async fn rows_of(pool: &PgPool, user_id: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM transactions WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The statement was refused by `key` (SQLSTATE, constraint name).
pub(crate) fn assert_refused(result: Result<PgQueryResult, sqlx::Error>, key: (&str, &str)) {
    let err = result.expect_err("refused");
    let db = err.as_database_error().expect("a database error");
    let found = (db.code().unwrap_or_default().to_string(), db.constraint().unwrap_or_default().to_string());
    assert_eq!((found.0.as_str(), found.1.as_str()), key, "{db}");
}

const ACCOUNT_KEY: (&str, &str) = ("23503", "transactions_account_user_fkey");
const BATCH_KEY: (&str, &str) = ("23503", "transactions_import_batch_id_fkey");

#[tokio::test]
async fn a_rows_account_must_be_its_owners_and_goes_with_its_rows() {
    let db = test_db().await;
    let Owners { owner, stranger, a, s } = owner_and_stranger(&db.pool, "account").await;
    let b = account(&db.pool, owner, "B").await;
    let insert = "INSERT INTO transactions (user_id, account_id, amount, date, name)
                  SELECT $1, $2, -1, DATE '2024-01-01' + i, 'row' FROM generate_series(1, 3) i";
    sqlx::query(insert).bind(owner).bind(a).execute(&db.pool).await.unwrap();
    sqlx::query(insert).bind(owner).bind(b).execute(&db.pool).await.unwrap();

    // Another user's account, or none: refused, and nothing of the statement is written.
    for (user_id, acct) in [(owner, s), (stranger, a), (owner, Uuid::now_v7())] {
        assert_refused(sqlx::query(insert).bind(user_id).bind(acct).execute(&db.pool).await, ACCOUNT_KEY);
    }
    // One bad row among good ones refuses the whole statement.
    let mixed = sqlx::query(
        "INSERT INTO transactions (user_id, account_id, amount, date, name)
         VALUES ($1, $2, -1, '2024-02-01', 'good'), ($1, $3, -1, '2024-02-02', 'bad')",
    );
    assert_refused(mixed.bind(owner).bind(a).bind(s).execute(&db.pool).await, ACCOUNT_KEY);
    assert_eq!((rows_of(&db.pool, owner).await, rows_of(&db.pool, stranger).await), (6, 0));

    // Moving a row to another user's account is refused; to the owner's other one is not.
    let moving = sqlx::query("UPDATE transactions SET account_id = $2 WHERE account_id = $1");
    assert_refused(moving.bind(a).bind(s).execute(&db.pool).await, ACCOUNT_KEY);
    let moved = sqlx::query("UPDATE transactions SET account_id = $2 WHERE id = (SELECT id FROM transactions WHERE account_id = $1 LIMIT 1)")
        .bind(a)
        .bind(b)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(moved.rows_affected(), 1);

    // An account's owner cannot change under its rows.
    let handing_over = sqlx::query("UPDATE accounts SET user_id = $2 WHERE id = $1");
    assert_refused(handing_over.bind(a).bind(stranger).execute(&db.pool).await, ACCOUNT_KEY);

    // Removing an account removes its rows (a reconciled one too), and only its rows.
    sqlx::query("UPDATE transactions SET reconciled = true, reconciled_at = now() WHERE account_id = $1")
        .bind(a)
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM accounts WHERE id = $1").bind(a).execute(&db.pool).await.unwrap();
    let left: Vec<Uuid> = sqlx::query_scalar("SELECT account_id FROM transactions WHERE user_id = $1")
        .bind(owner)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, vec![b; 4]);
    // And a user who goes takes their accounts and rows.
    sqlx::query("DELETE FROM users WHERE id = $1").bind(owner).execute(&db.pool).await.unwrap();
    assert_eq!(rows_of(&db.pool, owner).await, 0);
}

/// A row's import batch is checked per statement, not by a foreign key: it must exist
/// and be the row owner's, on insert and on update, the row's id must lie in the
/// batch's id range (where undo finds it), and a batch that goes clears the reference
/// (what ON DELETE SET NULL did).
#[tokio::test]
async fn an_imported_rows_batch_must_be_its_owners_and_its_removal_clears_the_reference() {
    let db = test_db().await;
    let Owners { owner, stranger, a, s } = owner_and_stranger(&db.pool, "batch").await;
    // Ids as an import chooses them: time-ordered, the batch written with their range.
    let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let (first, last) = (ids[0], ids[3]);
    let batch: Uuid = sqlx::query_scalar(
        "INSERT INTO import_batches (user_id, account_id, file_name, format, file_sha256, rows_in_file, rows_added,
                                     rows_duplicate, rows_failed, first_row_id, last_row_id)
         VALUES ($1, $2, 'a.csv', 'csv', repeat('a', 64), 4, 4, 0, 0, $3, $4) RETURNING id",
    )
    .bind(owner)
    .bind(a)
    .bind(first)
    .bind(last)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let insert = "INSERT INTO transactions (id, user_id, account_id, amount, date, name, import_batch_id)
                  SELECT i.id, $1, $2, -1, DATE '2024-01-01' + i.n::int, 'row', $3
                  FROM unnest($4::uuid[]) WITH ORDINALITY AS i(id, n)";
    sqlx::query(insert).bind(owner).bind(a).bind(batch).bind(&ids[..3]).execute(&db.pool).await.unwrap();
    assert_eq!(rows_of(&db.pool, owner).await, 3);

    for (user_id, acct, bad_batch) in [(stranger, s, batch), (owner, a, Uuid::now_v7())] {
        let refused = sqlx::query(insert).bind(user_id).bind(acct).bind(bad_batch).bind(&ids[3..]);
        assert_refused(refused.execute(&db.pool).await, BATCH_KEY);
    }
    // The batch's own owner, with one id in the range and one past it: nothing written.
    let outside = [ids[3], Uuid::now_v7()];
    assert_refused(
        sqlx::query(insert).bind(owner).bind(a).bind(batch).bind(&outside[..]).execute(&db.pool).await,
        BATCH_KEY,
    );
    let written = (rows_of(&db.pool, owner).await, rows_of(&db.pool, stranger).await);
    assert_eq!(written, (3, 0), "a refused statement writes nothing");
    let repointing = sqlx::query("UPDATE transactions SET import_batch_id = $2 WHERE user_id = $1");
    assert_refused(repointing.bind(owner).bind(Uuid::now_v7()).execute(&db.pool).await, BATCH_KEY);
    let moving_out = sqlx::query("UPDATE transactions SET id = $2 WHERE id = $1");
    assert_refused(moving_out.bind(ids[0]).bind(Uuid::now_v7()).execute(&db.pool).await, BATCH_KEY);
    // The range is fixed once written: it cannot be narrowed past a row.
    let narrowing = sqlx::query("UPDATE import_batches SET first_row_id = $2 WHERE id = $1");
    assert_refused(
        narrowing.bind(batch).bind(ids[1]).execute(&db.pool).await,
        ("23514", "import_batches_row_range_check"),
    );

    sqlx::query("DELETE FROM import_batches WHERE id = $1").bind(batch).execute(&db.pool).await.unwrap();
    let still_pointing: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions WHERE user_id = $1 AND import_batch_id IS NOT NULL")
            .bind(owner)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((rows_of(&db.pool, owner).await, still_pointing), (3, 0));
}

const CATEGORY_KEY: (&str, &str) = ("23503", "transactions_category_id_fkey");
const RULE_KEY: (&str, &str) = ("23503", "transactions_rule_id_fkey");

#[tokio::test]
async fn a_rows_category_is_a_system_one_or_its_owners_and_its_rule_its_owners() {
    let db = test_db().await;
    let Owners { owner, stranger, a, .. } = owner_and_stranger(&db.pool, "category").await;
    let category = |user_id: Option<Uuid>, name: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("INSERT INTO categories (user_id, name) VALUES ($1, $2) RETURNING id")
                .bind(user_id)
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let rule = |user_id: Uuid| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>(
                "INSERT INTO categorization_rules (user_id, name, conditions, actions)
                 VALUES ($1, 'r', '[]'::jsonb, '{}'::jsonb) RETURNING id",
            )
            .bind(user_id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let system = category(None, "Key test system").await;
    let mine = category(Some(owner), "Mine").await;
    let theirs = category(Some(stranger), "Theirs").await;
    let my_rule = rule(owner).await;
    let their_rule = rule(stranger).await;
    let insert =
        "INSERT INTO transactions (user_id, account_id, amount, date, name, category_id, category_source, rule_id)
                  SELECT $1, $2, -1, DATE '2024-01-01' + i, 'row', $3::uuid,
                         CASE WHEN $3::uuid IS NOT NULL THEN 'rule'::category_source END, $4
                  FROM generate_series(1, 2) i";
    for (cat, r) in [(Some(system), None), (Some(mine), Some(my_rule)), (None, Some(my_rule))] {
        sqlx::query(insert).bind(owner).bind(a).bind(cat).bind(r).execute(&db.pool).await.unwrap();
    }
    for (cat, r, key) in [
        (Some(theirs), None, CATEGORY_KEY),
        (Some(Uuid::now_v7()), None, CATEGORY_KEY),
        (Some(mine), Some(their_rule), RULE_KEY),
        (None, Some(Uuid::now_v7()), RULE_KEY),
    ] {
        assert_refused(sqlx::query(insert).bind(owner).bind(a).bind(cat).bind(r).execute(&db.pool).await, key);
    }
    assert_eq!(rows_of(&db.pool, owner).await, 6, "refused statements write nothing");
    for (set, value, key) in
        [("category_id = $2, category_source = 'user'", theirs, CATEGORY_KEY), ("rule_id = $2", their_rule, RULE_KEY)]
    {
        let update = format!("UPDATE transactions SET {set} WHERE user_id = $1");
        assert_refused(sqlx::query(&update).bind(owner).bind(value).execute(&db.pool).await, key);
    }

    // Removing a category or a rule leaves its rows, without it.
    sqlx::query("DELETE FROM categories WHERE id = $1").bind(mine).execute(&db.pool).await.unwrap();
    sqlx::query("DELETE FROM categorization_rules WHERE id = $1").bind(my_rule).execute(&db.pool).await.unwrap();
    let (with_mine, with_rule, with_system): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE category_id = $2), count(*) FILTER (WHERE rule_id IS NOT NULL),
                count(*) FILTER (WHERE category_id = $3)
         FROM transactions WHERE user_id = $1",
    )
    .bind(owner)
    .bind(mine)
    .bind(system)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((rows_of(&db.pool, owner).await, with_mine, with_rule, with_system), (6, 0, 0, 2));
}
