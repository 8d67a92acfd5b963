//! A row's links to other rows checked only where set (migration 26): a split part's
//! parent and a transfer leg's contra leg must be the owner's; removing a parent takes
//! its parts, removing a leg unlinks the other; a linked row's id cannot change.

use crate::harness::test_db;
use crate::keys::{Owners, assert_refused, owner_and_stranger};
use sqlx::PgPool;
use uuid::Uuid;

const PARENT_KEY: (&str, &str) = ("23503", "transactions_parent_transaction_id_fkey");
const CONTRA_KEY: (&str, &str) = ("23503", "transactions_contra_transaction_id_fkey");

/// A row of `user_id` in `account_id`: a plain one, a split part of `parent`, or a
/// transfer leg of `journal` linked to `contra`.
fn row<'q>(
    user_id: Uuid,
    account_id: Uuid,
    amount: &'q str,
    parent: Option<Uuid>,
    leg: Option<(Uuid, Uuid)>,
) -> sqlx::query::QueryScalar<'q, sqlx::Postgres, Uuid, sqlx::postgres::PgArguments> {
    sqlx::query_scalar(
        "INSERT INTO transactions (user_id, account_id, amount, date, name, parent_transaction_id, journal_entry_id,
                                   contra_transaction_id, transaction_type)
         VALUES ($1, $2, $3::numeric, DATE '2024-03-01', 'row', $4, $5, $6,
                 CASE WHEN $5::uuid IS NULL THEN 'expense' ELSE 'transfer' END::transaction_type)
         RETURNING id",
    )
    .bind(user_id)
    .bind(account_id)
    .bind(amount)
    .bind(parent)
    .bind(leg.map(|l| l.0))
    .bind(leg.map(|l| l.1))
}

async fn exists(pool: &PgPool, id: Uuid) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM transactions WHERE id = $1)")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn change_id<'q>(id: Uuid) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query("UPDATE transactions SET id = $2 WHERE id = $1").bind(id).bind(Uuid::now_v7())
}

fn as_result(r: Result<Uuid, sqlx::Error>) -> Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
    r.map(|_| sqlx::postgres::PgQueryResult::default())
}

#[tokio::test]
async fn a_split_parts_parent_is_its_owners_and_takes_its_parts_with_it() {
    let db = test_db().await;
    let pool = &db.pool;
    let Owners { owner, stranger, a, s } = owner_and_stranger(pool, "parent-link").await;
    let parent = row(owner, a, "-30.00", None, None).fetch_one(pool).await.unwrap();
    let theirs = row(stranger, s, "-30.00", None, None).fetch_one(pool).await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    let parts = [
        row(owner, a, "-10.00", Some(parent), None).fetch_one(&mut *tx).await.unwrap(),
        row(owner, a, "-20.00", Some(parent), None).fetch_one(&mut *tx).await.unwrap(),
    ];
    tx.commit().await.unwrap();

    // Another user's row or a missing one as the parent: refused when the statement ends.
    for missing_or_theirs in [theirs, Uuid::now_v7()] {
        assert_refused(
            as_result(row(owner, a, "-1.00", Some(missing_or_theirs), None).fetch_one(pool).await),
            PARENT_KEY,
        );
    }
    // A parent's id cannot change under its parts.
    assert_refused(change_id(parent).execute(pool).await, PARENT_KEY);

    // Removing the parent removes its parts, and nothing else.
    sqlx::query("DELETE FROM transactions WHERE id = $1").bind(parent).execute(pool).await.unwrap();
    for part in parts {
        assert!(!exists(pool, part).await, "a part outlived its parent");
    }
    assert!(exists(pool, theirs).await);
}

#[tokio::test]
async fn a_transfer_legs_contra_is_its_owners_and_a_removed_leg_unlinks_the_other() {
    let db = test_db().await;
    let pool = &db.pool;
    let Owners { owner, stranger, a, s } = owner_and_stranger(pool, "contra-link").await;
    let b = crate::schema::account(pool, owner, "B").await;
    let theirs = row(stranger, s, "5.00", None, None).fetch_one(pool).await.unwrap();

    // Two legs pointing at each other: checked at commit, when both are there.
    let (journal, x, y) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut tx = pool.begin().await.unwrap();
    let leg = |id: Uuid, account: Uuid, amount: &'static str, contra: Uuid| {
        sqlx::query(
            "INSERT INTO transactions (id, user_id, account_id, amount, date, name, journal_entry_id,
                                       contra_transaction_id, transaction_type)
             VALUES ($1, $2, $3, $4::numeric, DATE '2024-03-02', 'transfer', $5, $6, 'transfer')",
        )
        .bind(id)
        .bind(owner)
        .bind(account)
        .bind(amount)
        .bind(journal)
        .bind(contra)
    };
    leg(x, a, "-100.00", y).execute(&mut *tx).await.unwrap();
    leg(y, b, "100.00", x).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();

    // A leg linked to another user's row, or to a missing one: the commit is refused.
    for missing_or_theirs in [theirs, Uuid::now_v7()] {
        let other = Uuid::now_v7();
        let mut tx = pool.begin().await.unwrap();
        let first = row(owner, a, "-5.00", None, Some((other, missing_or_theirs))).fetch_one(&mut *tx).await.unwrap();
        row(owner, b, "5.00", None, Some((other, first))).fetch_one(&mut *tx).await.unwrap();
        let err = tx.commit().await.expect_err("refused at commit");
        let db_err = err.as_database_error().expect("a database error");
        assert_eq!(
            (db_err.code().as_deref(), db_err.constraint()),
            (Some(CONTRA_KEY.0), Some(CONTRA_KEY.1)),
            "{db_err}"
        );
    }
    // A leg's id cannot change while the other links to it.
    assert_refused(change_id(x).execute(pool).await, CONTRA_KEY);

    // Removing one leg unlinks the other at once (here the other is then made a plain
    // row, so the entry balances).
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("DELETE FROM transactions WHERE id = $1").bind(y).execute(&mut *tx).await.unwrap();
    let contra: Option<Uuid> = sqlx::query_scalar("SELECT contra_transaction_id FROM transactions WHERE id = $1")
        .bind(x)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(contra, None);
    sqlx::query("UPDATE transactions SET journal_entry_id = NULL, transaction_type = 'expense' WHERE id = $1")
        .bind(x)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(exists(pool, x).await && !exists(pool, y).await);
}
