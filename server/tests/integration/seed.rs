use crate::harness::{seed, test_db};
use rust_decimal::Decimal;

#[tokio::test]
async fn seeding_is_exact_deterministic_and_consistent() {
    let a = test_db().await;
    let b = test_db().await;
    let ra = seed(&a.pool, 2, 3_001).await;
    let rb = seed(&b.pool, 2, 3_001).await;
    assert_eq!(ra.transactions, 3_001);
    assert_eq!(ra.users, 2);

    // Same seed, same data: per-account sums and counts agree across databases.
    let fingerprint = "SELECT u.email, a.name, count(t.id), coalesce(sum(t.amount), 0)
                       FROM users u JOIN accounts a ON a.user_id = u.id LEFT JOIN transactions t ON t.account_id = a.id
                       GROUP BY 1, 2 ORDER BY 1, 2";
    let fa: Vec<(String, String, i64, Decimal)> = sqlx::query_as(fingerprint).fetch_all(&a.pool).await.unwrap();
    let fb: Vec<(String, String, i64, Decimal)> = sqlx::query_as(fingerprint).fetch_all(&b.pool).await.unwrap();
    assert_eq!(fa, fb);
    assert_eq!(fa.iter().map(|r| r.2).sum::<i64>(), 3_001);
    assert_eq!(rb.predictions, ra.predictions);

    // Every transfer is a balanced pair pointing at each other.
    let bad: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT journal_entry_id FROM transactions WHERE journal_entry_id IS NOT NULL
                               GROUP BY 1 HAVING sum(amount) <> 0 OR count(*) <> 2) x",
    )
    .fetch_one(&a.pool)
    .await
    .unwrap();
    assert_eq!(bad, 0);
    let transfers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transactions t JOIN transactions c ON c.id = t.contra_transaction_id
         WHERE c.contra_transaction_id = t.id AND t.amount = -c.amount AND t.transaction_type = 'transfer'",
    )
    .fetch_one(&a.pool)
    .await
    .unwrap();
    assert!(transfers >= 2, "the seed has transfers ({transfers} legs)");

    // Balances come from the ledger.
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM accounts a
         JOIN (SELECT account_id, sum(amount) s FROM transactions GROUP BY 1) t ON t.account_id = a.id
         WHERE a.current_balance <> CASE WHEN a.account_type IN ('credit', 'loan') THEN -t.s ELSE t.s END",
    )
    .fetch_one(&a.pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);

    // Predictions point at transactions of the same user and back.
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ml_predictions p JOIN transactions t ON t.id = p.transaction_id
         WHERE t.user_id <> p.user_id OR t.prediction_id <> p.id",
    )
    .fetch_one(&a.pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    assert!(ra.predictions > 0);

    // The rest of the demo: rules, a budget with items, a business profile.
    let (rules, items, business): (i64, i64, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM categorization_rules), (SELECT count(*) FROM budget_items),
                (SELECT is_business FROM users WHERE email = 'demo@manna.local')",
    )
    .fetch_one(&a.pool)
    .await
    .unwrap();
    assert!(rules >= 3 && items >= 3 && business);
}

#[tokio::test]
async fn seeding_twice_needs_reset_and_a_failed_seed_leaves_nothing() {
    let db = test_db().await;
    seed(&db.pool, 1, 200).await;
    let opts = manna_server::seed::SeedOptions { users: 1, transactions: 200, seed: 7, reset: false, progress: false };
    let err = manna_server::seed::seed(&db.pool, &opts).await.unwrap_err();
    assert!(err.to_string().contains("--reset"), "{err}");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&db.pool).await.unwrap();
    assert_eq!(users, 1);

    let opts = manna_server::seed::SeedOptions { reset: true, transactions: 300, ..opts };
    manna_server::seed::seed(&db.pool, &opts).await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(&db.pool).await.unwrap();
    assert_eq!(count, 300);
}

#[tokio::test]
async fn bulk_seeding_rebuilds_every_transactions_index() {
    let db = test_db().await;
    seed(&db.pool, 1, 100_000).await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions").fetch_one(&db.pool).await.unwrap();
    assert_eq!(count, 100_000);
    for def in manna_server::indexes::definitions().into_iter().filter(|d| d.table == "transactions") {
        let valid = manna_server::maintenance::index_validity(&db.pool, &def.name).await.unwrap();
        assert_eq!(valid, Some(true), "index {} after a bulk seed", def.name);
    }
    // create-indexes has nothing to do afterwards, and rebuilds a dropped one.
    assert_eq!(manna_server::maintenance::create_indexes(&db.pool, false).await.unwrap(), (0, 0));
    sqlx::query("DROP INDEX transactions_tagged_gin").execute(&db.pool).await.unwrap();
    assert_eq!(manna_server::maintenance::create_indexes(&db.pool, false).await.unwrap(), (1, 0));
    let report = manna_server::maintenance::analyze_performance(&db.pool).await.unwrap();
    assert!(report.contains("transactions_user_date_idx"), "{report}");
    // Every shape of the list is on an index. (With one user owning the whole table, a
    // year's totals may rightly be a sequential scan, so only the list is held to it.)
    for block in report.split("== ").filter(|b| b.starts_with("transactions_page")) {
        assert!(block.contains("index used: transactions_") && !block.contains("WARNING"), "{block}");
    }
}
