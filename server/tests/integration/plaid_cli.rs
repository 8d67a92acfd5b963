//! `manna plaid sync` and `manna secrets reseal` (key rotation) against the fake.

use crate::plaid::Bank;
use std::process::{Command, Output};

/// Runs the binary off the test's runtime thread: the fake Plaid answers on that thread.
async fn manna(args: &[&str], env: &[(&str, String)]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    tokio::task::spawn_blocking(move || run(&args, &env)).await.unwrap()
}

fn run(args: &[String], env: &[(String, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manna"));
    cmd.args(args).env("MANNA_LOG", "error");
    for var in [
        "PLAID_CLIENT_ID",
        "PLAID_SECRET",
        "PLAID_ENV",
        "PLAID_BASE_URL",
        "MANNA_SECRET_KEY_ID",
        "MANNA_PREVIOUS_SECRET_KEYS",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run manna")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test]
async fn plaid_sync_from_the_cli_and_a_key_rotation_with_reseal() {
    let bank = Bank::start().await;
    let user = bank.app.sign_up("cli-bank@example.com", "correct horse battery").await;
    let (item, _) = bank.link(&user).await;
    let url: String = sqlx::query_scalar("SELECT current_database()").fetch_one(bank.pool()).await.unwrap();
    let url = crate::harness::cluster().url(&url);
    let old_key = "5a".repeat(32);
    let plaid = |key: &str| {
        vec![
            ("DATABASE_URL", url.clone()),
            ("MANNA_SECRET_KEY", key.to_string()),
            ("PLAID_CLIENT_ID", bank.fake.client_id().to_string()),
            ("PLAID_SECRET", bank.fake.secret().to_string()),
            ("PLAID_BASE_URL", bank.fake.base_url()),
        ]
    };

    let out = manna(&["plaid", "sync", "--user", "cli-bank@example.com"], &plaid(&old_key)).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("30 added"), "{}", text(&out));
    let status = manna(&["plaid", "status"], &plaid(&old_key)).await;
    assert!(text(&status).contains("First Platypus Bank") && text(&status).contains("good"), "{}", text(&status));

    // Without credentials: a clear error, exit 1.
    let out = manna(&["plaid", "sync"], &[("DATABASE_URL", url.clone()), ("MANNA_SECRET_KEY", old_key.clone())]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("Plaid is not configured"), "{}", text(&out));

    // Rotation: a new current key (id 2), the old one kept to open, then reseal.
    let new_key = "c3".repeat(32);
    let mut rotated = plaid(&new_key);
    rotated.push(("MANNA_SECRET_KEY_ID", "2".into()));
    rotated.push(("MANNA_PREVIOUS_SECRET_KEYS", format!("1:{old_key}")));
    let out = manna(&["secrets", "reseal"], &rotated).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("resealed 1 secrets under key 2"), "{}", text(&out));
    let (first, key_id): (Vec<u8>, i16) = sqlx::query_as(
        "SELECT substring(access_token_encrypted FROM 1 FOR 1), encryption_key_id FROM plaid_items WHERE id = $1",
    )
    .bind(item)
    .fetch_one(bank.pool())
    .await
    .unwrap();
    assert_eq!((first, key_id), (vec![2u8], 2));

    // The new key alone now opens the token; the old key alone no longer does.
    let mut only_new = plaid(&new_key);
    only_new.push(("MANNA_SECRET_KEY_ID", "2".into()));
    let out = manna(&["plaid", "sync", "--item", &item.to_string()], &only_new).await;
    assert!(out.status.success(), "{}", text(&out));
    let out = manna(&["plaid", "sync", "--item", &item.to_string()], &plaid(&old_key)).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("unknown key"), "{}", text(&out));
}
