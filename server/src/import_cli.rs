//! `manna import FILE --account ID [--format …] [--date-order …] [--dry-run]`: the same
//! reading, duplicate matching and one-transaction write as the Import page.

use anyhow::{Context, Result, anyhow, bail};
use app::data::{audit, imports, user_tx};
use app::import::ssr::{match_rows, read, write};
use manna_core::import::{DateFormat, DateOrder, DuplicateReason, Format, ParseOptions, QifOptions};
use sqlx::PgPool;
use uuid::Uuid;

pub struct ImportArgs {
    pub file: std::path::PathBuf,
    pub account: Uuid,
    pub format: Option<String>,
    pub date_order: Option<String>,
    pub dry_run: bool,
    pub progress: bool,
}

fn date_order(text: &str) -> Result<DateOrder> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "mdy" | "month-first" => DateOrder::MonthFirst,
        "dmy" | "day-first" => DateOrder::DayFirst,
        "ymd" | "year-first" => DateOrder::YearFirst,
        other => bail!("--date-order {other:?}: use mdy, dmy or ymd"),
    })
}

pub async fn run(pool: PgPool, args: ImportArgs) -> Result<()> {
    let bar = if args.progress { indicatif::ProgressBar::new(4) } else { indicatif::ProgressBar::hidden() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("reading the file");
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let file_name = args.file.file_name().and_then(|n| n.to_str()).unwrap_or("statement").to_string();
    let owner: Uuid = sqlx::query_scalar("SELECT user_id FROM accounts WHERE id = $1 AND is_active")
        .bind(args.account)
        .fetch_optional(&pool)
        .await?
        .ok_or_else(|| anyhow!("no open account {}", args.account))?;
    let mut tx = user_tx(&pool, owner).await?;
    let target = imports::target_account(&mut tx, owner, args.account).await?;
    let order = args.date_order.as_deref().map(date_order).transpose()?;
    let options = match args
        .format
        .as_deref()
        .map(|f| Format::parse(f).ok_or_else(|| anyhow!("--format {f:?}: use ofx, qfx, qif or csv")))
        .transpose()?
    {
        None => None,
        Some(Format::Ofx) => Some(ParseOptions::Ofx),
        Some(Format::Qfx) => Some(ParseOptions::Qfx),
        Some(Format::Qif) => Some(ParseOptions::Qif(QifOptions {
            date_order: order.unwrap_or(QifOptions::default().date_order),
            ..QifOptions::default()
        })),
        Some(Format::Csv) => {
            let (text, _) = manna_core::import::decode_text(&bytes);
            let guess = manna_core::import::guess_mapping(&text).map_err(|e| anyhow!("{e}"))?;
            let mut mapping = guess.mapping;
            if let Some(order) = order {
                mapping.date_format = DateFormat::from_order(order);
            } else if guess.ambiguous_date {
                bail!("the dates read both as month/day and day/month: say which with --date-order mdy|dmy");
            }
            Some(ParseOptions::Csv(mapping))
        }
    };
    let (statement, options, _) =
        read(&file_name, &bytes, options, target.import_mapping.as_ref()).map_err(|e| anyhow!("{e}"))?;
    bar.inc(1);
    bar.set_message("matching against the account");
    let (decisions, _) = match_rows(&mut tx, owner, args.account, &statement).await.map_err(|e| anyhow!("{e}"))?;
    bar.inc(1);
    let new = decisions.iter().filter(|d| d.reason == DuplicateReason::New).count();
    for e in &statement.errors {
        eprintln!("skipped {e}");
    }
    if args.dry_run {
        bar.finish_and_clear();
        println!(
            "{}: {} rows read ({}), {new} new, {} already there, {} unreadable; nothing written (--dry-run)",
            file_name,
            statement.rows.len(),
            statement.format.label(),
            decisions.len() - new,
            statement.errors.len()
        );
        return Ok(());
    }
    bar.set_message("writing");
    let imported = write(&mut tx, owner, &target, &file_name, &bytes, statement, &options, &decisions, &[])
        .await
        .map_err(|e| anyhow!("{e}"))?;
    audit::record(
        &mut tx,
        &audit::Actor { user_id: Some(owner), user_agent: Some("manna import (CLI)".into()), ..Default::default() },
        audit::Entry::new("import.created", "import_batch", Some(imported.batch))
            .impact(audit::Impact::Medium)
            .new_values(serde_json::json!({ "account": args.account, "file": file_name, "added": imported.added,
                                "duplicates": imported.duplicates, "failed": imported.failed })),
    )
    .await?;
    tx.commit().await?;
    if imported.added >= app::data::imports::DEFER_INDEX_MERGE_FROM {
        bar.set_message("indexing");
        app::data::imports::merge_pending_index_entries(&pool).await?;
    }
    bar.inc(2);
    bar.finish_and_clear();
    println!(
        "imported {} rows from {file_name} into {} (batch {}); {} already there, {} unreadable",
        imported.added, target.name, imported.batch, imported.duplicates, imported.failed
    );
    Ok(())
}
