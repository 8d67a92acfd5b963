//! Isolation: every ledger server function, called by one user with another user's
//! ids, answers "not found" and changes nothing of theirs.

use crate::harness::{spawn_app, test_db};
use crate::ledger::{books, call, ok};
use serde_json::json;

/// Every ledger server function, called by B with A's ids, answers "not found" and
/// changes nothing of A's.
#[tokio::test]
async fn isolation_matrix_another_users_ids_are_not_found() {
    let db = test_db().await;
    let app = spawn_app(db.pool.clone()).await;
    let a = books(&app, "ann@example.com").await;
    let b = books(&app, "bob@example.com").await;
    let transfer = [
        ("from", a.checking.as_str()),
        ("to", a.savings.as_str()),
        ("amount", "5"),
        ("date", "2024-03-05"),
        ("description", "x"),
    ];
    let entry = ok(&app, &a.client, "create_transfer", &transfer).await.as_str().unwrap().to_string();
    let a_cat = ok(&app, &a.client, "create_category", &[("name", "Ann's")]).await.as_str().unwrap().to_string();
    let a_sub = ok(&app, &a.client, "create_category", &[("name", "Ann's sub"), ("parent", a_cat.as_str())])
        .await
        .as_str()
        .unwrap()
        .to_string();
    ok(
        &app,
        &a.client,
        "reconcile",
        &[
            ("account", a.checking.as_str()),
            ("through", "2024-03-01"),
            ("statement_balance", "-700"),
            ("ids[0]", a.rent.as_str()),
        ],
    )
    .await;
    let b_cat = ok(&app, &b.client, "create_category", &[("name", "Bob's")]).await.as_str().unwrap().to_string();
    let before: String = sqlx::query_scalar("SELECT md5(string_agg(t::text, '' ORDER BY id)) FROM transactions t")
        .fetch_one(&db.pool)
        .await
        .unwrap();

    let edit = |id: &str| -> Vec<(String, String)> {
        vec![
            ("id".into(), id.into()),
            ("edit[category]".into(), String::new()),
            ("edit[notes]".into(), "mine".into()),
            ("edit[tags]".into(), String::new()),
            ("edit[business]".into(), "false".into()),
            ("edit[deductible]".into(), "false".into()),
        ]
    };
    let s = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let matrix: Vec<(&str, Vec<(String, String)>)> = vec![
        ("account_detail", s(&[("id", &a.checking)])),
        ("transactions", s(&[("query[account]", &a.checking)])),
        ("transactions", s(&[("query[category]", &a_cat)])),
        ("transaction_totals", s(&[("query[account]", &a.checking)])),
        ("update_transaction", edit(&a.coffee)),
        (
            "update_transaction",
            edit(&b.coffee)
                .into_iter()
                .map(|(k, v)| if k == "edit[category]" { (k, a_cat.clone()) } else { (k, v) })
                .collect(),
        ),
        ("bulk_edit_transactions", s(&[("ids[0]", &a.coffee), ("edit[business]", "true")])),
        ("bulk_edit_transactions", s(&[("ids[0]", &b.coffee), ("ids[1]", &a.coffee), ("edit[business]", "true")])),
        ("transaction_splits", s(&[("id", &a.rent)])),
        (
            "split_transaction",
            s(&[
                ("id", &a.coffee),
                ("parts[0][category]", ""),
                ("parts[0][amount]", "-2"),
                ("parts[0][notes]", ""),
                ("parts[1][category]", ""),
                ("parts[1][amount]", "-2.50"),
                ("parts[1][notes]", ""),
            ]),
        ),
        (
            "split_transaction",
            s(&[
                ("id", &b.coffee),
                ("parts[0][category]", &a_cat),
                ("parts[0][amount]", "-2"),
                ("parts[0][notes]", ""),
                ("parts[1][category]", ""),
                ("parts[1][amount]", "-2.50"),
                ("parts[1][notes]", ""),
            ]),
        ),
        (
            "create_transaction",
            s(&[("account", &a.checking), ("date", "2024-01-01"), ("description", "x"), ("amount", "1")]),
        ),
        ("delete_transaction", s(&[("id", &a.coffee)])),
        (
            "create_transfer",
            s(&[
                ("from", &b.checking),
                ("to", &a.savings),
                ("amount", "5"),
                ("date", "2024-03-05"),
                ("description", "x"),
            ]),
        ),
        ("journal_entry", s(&[("id", &entry)])),
        ("update_transfer", s(&[("id", &entry), ("amount", "1"), ("date", "2024-03-05"), ("description", "x")])),
        ("delete_journal_entry", s(&[("id", &entry)])),
        ("match_transfer", s(&[("first", &b.coffee), ("second", &a.coffee)])),
        (
            "create_adjustment",
            s(&[
                ("date", "2024-03-05"),
                ("description", "x"),
                ("legs[0][account]", &b.checking),
                ("legs[0][amount]", "1"),
                ("legs[1][account]", &a.checking),
                ("legs[1][amount]", "-1"),
            ]),
        ),
        ("reconciliation", s(&[("account", &a.checking), ("through", "2024-12-31")])),
        (
            "reconcile",
            s(&[
                ("account", &a.checking),
                ("through", "2024-12-31"),
                ("statement_balance", "-704.50"),
                ("ids[0]", &a.coffee),
            ]),
        ),
        ("unreconcile", s(&[("id", &a.rent), ("reason", "mine")])),
        ("create_category", s(&[("name", "x"), ("parent", &a_cat)])),
        ("rename_category", s(&[("id", &a_cat), ("name", "mine")])),
        ("move_category", s(&[("id", &a_sub), ("parent", "")])),
        ("move_category", s(&[("id", &b_cat), ("parent", &a_cat)])),
        ("merge_category", s(&[("source", &a_cat), ("target", &b_cat)])),
        ("merge_category", s(&[("source", &b_cat), ("target", &a_cat)])),
        ("archive_category", s(&[("id", &a_cat), ("archived", "true")])),
    ];
    for (endpoint, form) in &matrix {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, body) = call(&app, &b.client, endpoint, &form).await;
        assert_eq!((status, &body), (404, &json!("NotFound")), "{endpoint} {form:?}");
    }
    let after: String = sqlx::query_scalar("SELECT md5(string_agg(t::text, '' ORDER BY id)) FROM transactions t")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(before, after, "nothing changed");
    // B's own lists never show A's rows or categories.
    let page = ok(&app, &b.client, "transactions", &[]).await;
    assert!(!page.to_string().contains(&a.coffee));
    let choices = ok(&app, &b.client, "ledger_choices", &[]).await;
    assert_eq!(choices["accounts"].as_array().unwrap().len(), 3);
    assert!(!choices.to_string().contains(&a.checking) && !choices.to_string().contains(&a_cat));
    let cats = ok(&app, &b.client, "categories", &[]).await;
    assert!(!cats.to_string().contains(&a_cat));
    let tax = ok(&app, &b.client, "tax_summary", &[]).await;
    assert_eq!(tax["total"], json!("0"));
    // Signed out: asked to sign in.
    assert_eq!(call(&app, &crate::harness::new_client(), "categories", &[]).await.0, 401);
}
