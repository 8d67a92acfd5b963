//! The keys of `ml_predictions` checked per statement (migration 24): a prediction's
//! transaction must be its owner's and its category a system one or the owner's, on
//! insert and on update; removing the transaction, the user or the category does what
//! the foreign keys did. And a row's link to its prediction (migration 27): the
//! prediction must be the row owner's; removing it unlinks the row.

use crate::harness::test_db;
use crate::keys::{Owners, assert_refused, owner_and_stranger, rows_of};
use sqlx::PgPool;
use uuid::Uuid;

const TRANSACTION_KEY: (&str, &str) = ("23503", "ml_predictions_transaction_id_fkey");
const CATEGORY_KEY: (&str, &str) = ("23503", "ml_predictions_predicted_category_id_fkey");
const LINK_KEY: (&str, &str) = ("23503", "transactions_prediction_id_fkey");

async fn transactions<'e>(db: impl sqlx::PgExecutor<'e>, user_id: Uuid, account_id: Uuid, n: i32) -> Vec<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO transactions (user_id, account_id, amount, date, name)
         SELECT $1, $2, -1, DATE '2024-01-01' + i, 'row' FROM generate_series(1, $3) i RETURNING id",
    )
    .bind(user_id)
    .bind(account_id)
    .bind(n)
    .fetch_all(db)
    .await
    .unwrap()
}

async fn category(pool: &PgPool, user_id: Option<Uuid>, name: &str) -> Uuid {
    sqlx::query_scalar("INSERT INTO categories (user_id, name) VALUES ($1, $2) RETURNING id")
        .bind(user_id)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Predictions of `user_id` for each of `rows`, in `category`.
fn predict<'q>(
    user_id: Uuid,
    rows: &'q [Uuid],
    category: Option<Uuid>,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(
        "INSERT INTO ml_predictions (user_id, transaction_id, predicted_category_id, confidence, model_version)
         SELECT $1, t, $3, 0.5, 'test' FROM unnest($2::uuid[]) t",
    )
    .bind(user_id)
    .bind(rows)
    .bind(category)
}

async fn predictions_of(pool: &PgPool, user_id: Uuid) -> Vec<(Uuid, Option<Uuid>)> {
    sqlx::query_as(
        "SELECT transaction_id, predicted_category_id FROM ml_predictions WHERE user_id = $1 ORDER BY transaction_id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_predictions_transaction_and_category_are_its_owners_and_go_with_them() {
    let db = test_db().await;
    let pool = &db.pool;
    let Owners { owner, stranger, a, s } = owner_and_stranger(pool, "prediction").await;
    let mine = transactions(pool, owner, a, 3).await;
    let theirs = transactions(pool, stranger, s, 1).await;
    let system = category(pool, None, "Prediction key system").await;
    let my_category = category(pool, Some(owner), "Mine").await;
    let their_category = category(pool, Some(stranger), "Theirs").await;

    // Rows written earlier (by other transactions): accepted, with a system category, the
    // owner's, or none.
    predict(owner, &mine[..1], Some(system)).execute(pool).await.unwrap();
    predict(owner, &mine[1..], Some(my_category)).execute(pool).await.unwrap();
    predict(owner, &mine[..1], None).execute(pool).await.unwrap();
    // A row written in the same transaction as its prediction (as an import writes them).
    let mut tx = pool.begin().await.unwrap();
    let fresh = transactions(&mut *tx, owner, a, 1).await;
    predict(owner, &fresh, Some(system)).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(predictions_of(pool, owner).await.len(), 5);

    // Another user's row, a row that is not there, another user's category: refused, and
    // one bad row refuses the whole statement.
    let missing = [Uuid::now_v7()];
    let mixed = [mine[0], theirs[0]];
    for (user_id, rows, cat, key) in [
        (owner, &theirs[..], None, TRANSACTION_KEY),
        (stranger, &mine[..1], None, TRANSACTION_KEY),
        (owner, &missing[..], None, TRANSACTION_KEY),
        (owner, &mixed[..], Some(system), TRANSACTION_KEY),
        (owner, &mine[..1], Some(their_category), CATEGORY_KEY),
        (owner, &mine[..1], Some(Uuid::now_v7()), CATEGORY_KEY),
    ] {
        assert_refused(predict(user_id, rows, cat).execute(pool).await, key);
    }
    assert_eq!(predictions_of(pool, owner).await.len(), 5, "refused statements write nothing");
    assert!(predictions_of(pool, stranger).await.is_empty());

    // Updates: another user's category or row is refused.
    let set_category = sqlx::query("UPDATE ml_predictions SET predicted_category_id = $2 WHERE user_id = $1");
    assert_refused(set_category.bind(owner).bind(their_category).execute(pool).await, CATEGORY_KEY);
    let set_row = sqlx::query("UPDATE ml_predictions SET transaction_id = $2 WHERE user_id = $1");
    assert_refused(set_row.bind(owner).bind(theirs[0]).execute(pool).await, TRANSACTION_KEY);
    // A row's id cannot change under its predictions.
    assert_refused(
        sqlx::query("UPDATE transactions SET id = $2 WHERE id = $1")
            .bind(mine[0])
            .bind(Uuid::now_v7())
            .execute(pool)
            .await,
        TRANSACTION_KEY,
    );

    // Removing a category leaves its predictions without one; removing a row, or the
    // user, takes its predictions with it.
    sqlx::query("DELETE FROM categories WHERE id = $1").bind(my_category).execute(pool).await.unwrap();
    sqlx::query("DELETE FROM transactions WHERE id = $1").bind(mine[0]).execute(pool).await.unwrap();
    let mut left = vec![(mine[1], None), (mine[2], None), (fresh[0], Some(system))];
    left.sort();
    assert_eq!(predictions_of(pool, owner).await, left);
    sqlx::query("DELETE FROM users WHERE id = $1").bind(owner).execute(pool).await.unwrap();
    let remaining: i64 = sqlx::query_scalar("SELECT count(*) FROM ml_predictions WHERE user_id = $1")
        .bind(owner)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(remaining, 0);
}

async fn prediction(pool: &PgPool, user_id: Uuid, row: Uuid) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO ml_predictions (user_id, transaction_id, confidence, model_version)
         VALUES ($1, $2, 0.5, 'test') RETURNING id",
    )
    .bind(user_id)
    .bind(row)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Rows of `user_id` in `account_id`, one per entry of `links`, linked to that prediction.
fn linked_rows<'q>(
    user_id: Uuid,
    account_id: Uuid,
    links: &'q [Uuid],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(
        "INSERT INTO transactions (user_id, account_id, amount, date, name, prediction_id)
         SELECT $1, $2, -1, DATE '2024-02-01', 'linked', p FROM unnest($3::uuid[]) p",
    )
    .bind(user_id)
    .bind(account_id)
    .bind(links)
}

async fn link_of(pool: &PgPool, row: Uuid) -> Option<Uuid> {
    sqlx::query_scalar("SELECT prediction_id FROM transactions WHERE id = $1").bind(row).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn a_rows_prediction_link_is_to_its_owners_prediction_and_unlinks_with_it() {
    let db = test_db().await;
    let pool = &db.pool;
    let Owners { owner, stranger, a, s } = owner_and_stranger(pool, "prediction-link").await;
    let mine = transactions(pool, owner, a, 2).await;
    let theirs = transactions(pool, stranger, s, 1).await;
    let my_prediction = prediction(pool, owner, mine[0]).await;
    let their_prediction = prediction(pool, stranger, theirs[0]).await;

    // The owner's prediction, written earlier: accepted.
    linked_rows(owner, a, &[my_prediction]).execute(pool).await.unwrap();
    // A row and its prediction written in one statement, as an import writes them.
    let (row, fresh) = (Uuid::now_v7(), Uuid::now_v7());
    sqlx::query(
        "WITH p AS (INSERT INTO ml_predictions (id, user_id, transaction_id, confidence, model_version)
                    VALUES ($4, $1, $3, 0.5, 'test'))
         INSERT INTO transactions (id, user_id, account_id, amount, date, name, prediction_id)
         VALUES ($3, $1, $2, -1, DATE '2024-02-02', 'imported', $4)",
    )
    .bind(owner)
    .bind(a)
    .bind(row)
    .bind(fresh)
    .execute(pool)
    .await
    .unwrap();
    assert_eq!(link_of(pool, row).await, Some(fresh));

    // Another user's prediction, one that is not there, or a statement with one of them:
    // refused as a whole.
    let missing = Uuid::now_v7();
    let before = rows_of(pool, owner).await;
    for links in [vec![their_prediction], vec![missing], vec![my_prediction, their_prediction]] {
        assert_refused(linked_rows(owner, a, &links).execute(pool).await, LINK_KEY);
    }
    assert_eq!(rows_of(pool, owner).await, before, "refused statements write nothing");

    // Updates: linking to another user's prediction or a missing one is refused.
    let link = |target: Uuid| {
        sqlx::query("UPDATE transactions SET prediction_id = $2 WHERE id = $1").bind(mine[1]).bind(target)
    };
    for target in [their_prediction, missing] {
        assert_refused(link(target).execute(pool).await, LINK_KEY);
    }
    link(my_prediction).execute(pool).await.unwrap();
    // A linked prediction's id cannot change.
    assert_refused(
        sqlx::query("UPDATE ml_predictions SET id = $2 WHERE id = $1")
            .bind(my_prediction)
            .bind(Uuid::now_v7())
            .execute(pool)
            .await,
        LINK_KEY,
    );

    // Removing a prediction unlinks every row linked to it, and only those.
    sqlx::query("DELETE FROM ml_predictions WHERE id = $1").bind(my_prediction).execute(pool).await.unwrap();
    let still_linked: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions WHERE prediction_id = $1")
        .bind(my_prediction)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(still_linked, 0);
    assert_eq!(link_of(pool, mine[1]).await, None);
    assert_eq!(link_of(pool, row).await, Some(fresh));
}
