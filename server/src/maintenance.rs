//! Database upkeep commands: create-indexes, analyze-performance, optimize-db.

use crate::indexes;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// Creates every index of the index migration that is missing, and rebuilds any left
/// INVALID by an interrupted concurrent build. CONCURRENTLY: writers are not blocked.
pub async fn create_indexes(pool: &PgPool, progress: bool) -> Result<(usize, usize)> {
    let defs = indexes::definitions();
    let bar = if progress { ProgressBar::new(defs.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut created, mut rebuilt) = (0, 0);
    for def in &defs {
        bar.set_message(def.name.clone());
        let state = index_validity(pool, &def.name).await?;
        match state {
            Some(true) => {}
            Some(false) => {
                sqlx::raw_sql(&format!("DROP INDEX CONCURRENTLY IF EXISTS {}", def.name)).execute(pool).await?;
                sqlx::raw_sql(&def.concurrent_sql())
                    .execute(pool)
                    .await
                    .with_context(|| format!("creating {}", def.name))?;
                rebuilt += 1;
            }
            None => {
                sqlx::raw_sql(&def.concurrent_sql())
                    .execute(pool)
                    .await
                    .with_context(|| format!("creating {}", def.name))?;
                created += 1;
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((created, rebuilt))
}

/// Whether an index exists and is valid (`None`: it does not exist; `Some(false)`: a
/// concurrent build was interrupted and left it unusable).
pub async fn index_validity(pool: &PgPool, name: &str) -> Result<Option<bool>> {
    Ok(sqlx::query_scalar(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace",
    )
    .bind(name)
    .fetch_optional(pool)
    .await?)
}

/// A hot query, as the app runs it, with parameters for the demo user.
struct HotQuery {
    name: &'static str,
    sql: String,
}

pub async fn analyze_performance(pool: &PgPool) -> Result<String> {
    let user: Option<Uuid> = sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN transactions t ON t.user_id = u.id
         GROUP BY u.id ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    let Some(user) = user else {
        return Ok("No transactions yet: run `manna seed-db` first, then analyze.\n".to_string());
    };
    let account: Uuid = sqlx::query_scalar(
        "SELECT account_id FROM transactions WHERE user_id = $1 GROUP BY account_id ORDER BY count(*) DESC LIMIT 1",
    )
    .bind(user)
    .fetch_one(pool)
    .await?;
    let middle: (chrono::NaiveDate, Uuid) = sqlx::query_as(
        "SELECT date, id FROM transactions WHERE user_id = $1 ORDER BY date DESC, id DESC OFFSET 500 LIMIT 1",
    )
    .bind(user)
    .fetch_optional(pool)
    .await?
    .unwrap_or((chrono::Utc::now().date_naive(), Uuid::max()));

    let q = |s: &str| s.replace("$user", &format!("'{user}'")).replace("$account", &format!("'{account}'"));
    let queries = [
        HotQuery {
            name: "dashboard_accounts",
            sql: app::data::accounts::DASHBOARD_ACCOUNTS_SQL.replace("$1", &format!("'{user}'")),
        },
        HotQuery {
            name: "transactions_page (keyset, page 11)",
            sql: q(&format!(
                "SELECT id, date, amount, account_id, category_id FROM transactions
                 WHERE user_id = $user AND (date, id) < ('{}', '{}') ORDER BY date DESC, id DESC LIMIT 50",
                middle.0, middle.1
            )),
        },
        HotQuery {
            name: "account_transactions",
            sql: q(
                "SELECT id, date, amount FROM transactions WHERE account_id = $account ORDER BY date DESC, id DESC LIMIT 50",
            ),
        },
        HotQuery {
            name: "transactions_search",
            sql: q(
                "SELECT id, date, amount FROM transactions WHERE user_id = $user AND search_text LIKE '%blue bottle%'
                    ORDER BY date DESC, id DESC LIMIT 50",
            ),
        },
        HotQuery {
            name: "spending_by_category (this month)",
            sql: q("SELECT category_id, sum(amount) FROM transactions
                    WHERE user_id = $user AND date >= date_trunc('month', now())::date AND amount < 0
                    GROUP BY category_id"),
        },
        HotQuery {
            name: "tax_summary (deductible this year)",
            sql: q("SELECT category_id, sum(amount) FROM transactions
                    WHERE user_id = $user AND tax_deductible AND tax_year = extract(year FROM now())::int
                    GROUP BY category_id"),
        },
        HotQuery {
            name: "transactions_page (1-year range, as the page asks)",
            // Shaped as the app sends it: the page's rows chosen from `transactions`
            // alone, then joined, with the split flag as a lateral probe of the parent
            // index (a plain EXISTS may be planned as a hash of every split part).
            sql: q("SELECT t.id, t.date, t.amount, a.name, c.name, coalesce(s.is_split, false) AS is_split
                    FROM (SELECT t.id, t.date, t.amount, t.account_id, t.category_id FROM transactions t
                          WHERE t.parent_transaction_id IS NULL AND t.user_id = $user
                            AND t.date >= (SELECT max(date) - 364 FROM transactions WHERE user_id = $user)
                          ORDER BY t.date DESC, t.id DESC LIMIT 51) t
                    JOIN accounts a ON a.id = t.account_id
                    LEFT JOIN categories c ON c.id = t.category_id
                    LEFT JOIN LATERAL (SELECT true AS is_split FROM transactions p
                                       WHERE p.parent_transaction_id = t.id LIMIT 1) s ON true
                    ORDER BY t.date DESC, t.id DESC LIMIT 51"),
        },
        HotQuery {
            name: "transactions_page (sorted by amount, largest outflow first)",
            sql: q("SELECT id, date, amount FROM transactions
                    WHERE parent_transaction_id IS NULL AND user_id = $user
                    ORDER BY amount ASC, id ASC LIMIT 51"),
        },
        HotQuery {
            name: "transactions_page (category with subcategories)",
            sql: q("SELECT t.id, t.date, t.amount FROM transactions t
                    WHERE t.parent_transaction_id IS NULL AND t.user_id = $user
                      AND t.category_id IN (SELECT id FROM categories WHERE name IN ('Food', 'Groceries', 'Restaurants', 'Coffee'))
                    ORDER BY t.date DESC, t.id DESC LIMIT 51"),
        },
        HotQuery {
            name: "transactions_totals (this year)",
            sql: q("SELECT count(*), sum(amount) FILTER (WHERE amount > 0), sum(amount) FILTER (WHERE amount < 0)
                    FROM transactions WHERE parent_transaction_id IS NULL AND user_id = $user
                      AND date >= date_trunc('year', now())::date"),
        },
        HotQuery {
            name: "account_balance_history (12 months)",
            sql: q("SELECT date_trunc('month', date), sum(amount) FROM transactions
                    WHERE account_id = $account AND parent_transaction_id IS NULL
                      AND date >= (now() - interval '12 months')::date
                    GROUP BY 1"),
        },
        HotQuery {
            name: "reconciliation_open",
            sql: q("SELECT id, date, amount FROM transactions
                    WHERE account_id = $account AND NOT reconciled AND date <= now()::date
                      AND parent_transaction_id IS NULL
                    ORDER BY date, id LIMIT 1001"),
        },
        HotQuery {
            name: "review_queue (uncategorized)",
            sql: q("SELECT id, date, amount FROM transactions WHERE user_id = $user AND category_id IS NULL
                    ORDER BY date DESC LIMIT 50"),
        },
    ];

    let mut out = String::new();
    let (mut on_index, mut small_only, mut large_scans) = (0, 0, Vec::new());
    for hq in &queries {
        let explain = format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}", hq.sql);
        let plan: Value =
            sqlx::query_scalar(&explain).fetch_one(pool).await.with_context(|| format!("explaining {}", hq.name))?;
        let root = &plan[0];
        let mut scanned = Scanned::default();
        let mut tree = String::new();
        walk(&root["Plan"], 0, &mut tree, &mut scanned);
        scanned.indexes.dedup();
        scanned.whole_tables.sort();
        scanned.whole_tables.dedup();
        let mut whole = Vec::new();
        for table in &scanned.whole_tables {
            let pages: i64 = sqlx::query_scalar(
                "SELECT greatest(relpages, 1)::bigint FROM pg_class WHERE relname = $1 AND relkind = 'r'",
            )
            .bind(table)
            .fetch_optional(pool)
            .await?
            .unwrap_or(1);
            whole.push((table.clone(), pages));
        }
        let (verdict, text) = verdict(&scanned.indexes, &whole);
        match verdict {
            Verdict::OnIndex => on_index += 1,
            Verdict::SmallTablesOnly => small_only += 1,
            Verdict::LargeScan => large_scans.push(hq.name),
        }
        out.push_str(&format!(
            "== {}\n   execution {:.3} ms, planning {:.3} ms; {text}\n{}\n",
            hq.name,
            root["Execution Time"].as_f64().unwrap_or(0.0),
            root["Planning Time"].as_f64().unwrap_or(0.0),
            tree
        ));
    }
    out.push_str(&format!(
        "{} hot queries: {on_index} on an index, {small_only} reading only small tables whole (at most {SMALL_TABLE_PAGES} pages, \
         where Postgres rightly skips the index), {} scanning a large table{}\n",
        queries.len(),
        large_scans.len(),
        if large_scans.is_empty() { String::new() } else { format!(": {}", large_scans.join(", ")) }
    ));
    Ok(out)
}

/// A table this small is read whole faster than through an index (64 KB).
const SMALL_TABLE_PAGES: i64 = 8;

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    OnIndex,
    /// No index, but only tables of a few pages were read whole.
    SmallTablesOnly,
    /// A table larger than [`SMALL_TABLE_PAGES`] was read whole.
    LargeScan,
}

/// What a plan's scans say about the query: the indexes it walked and the tables it
/// read whole, with their size in pages.
fn verdict(indexes: &[String], whole_tables: &[(String, i64)]) -> (Verdict, String) {
    let large: Vec<String> = whole_tables
        .iter()
        .filter(|(_, pages)| *pages > SMALL_TABLE_PAGES)
        .map(|(t, pages)| format!("{t} ({pages} pages)"))
        .collect();
    if !large.is_empty() {
        return (Verdict::LargeScan, format!("WARNING: sequential scan of {}", large.join(", ")));
    }
    let small: Vec<String> = whole_tables
        .iter()
        .map(|(t, pages)| format!("{t} ({pages} page{})", if *pages == 1 { "" } else { "s" }))
        .collect();
    let mut text =
        if indexes.is_empty() { "index used: none".to_string() } else { format!("index used: {}", indexes.join(", ")) };
    if !small.is_empty() {
        text.push_str(&format!("; small tables read whole: {}", small.join(", ")));
    }
    (if indexes.is_empty() { Verdict::SmallTablesOnly } else { Verdict::OnIndex }, text)
}

#[derive(Default)]
struct Scanned {
    indexes: Vec<String>,
    /// Tables under a Seq Scan node.
    whole_tables: Vec<String>,
}

fn walk(node: &Value, depth: usize, out: &mut String, scanned: &mut Scanned) {
    let kind = node["Node Type"].as_str().unwrap_or("?");
    let mut line = format!("   {}{kind}", "  ".repeat(depth));
    if let Some(rel) = node["Relation Name"].as_str() {
        line.push_str(&format!(" on {rel}"));
    }
    if let Some(idx) = node["Index Name"].as_str() {
        line.push_str(&format!(" using {idx}"));
        scanned.indexes.push(idx.to_string());
    }
    if kind == "Seq Scan"
        && let Some(rel) = node["Relation Name"].as_str()
    {
        scanned.whole_tables.push(rel.to_string());
    }
    line.push_str(&format!(
        "  (rows={} time={:.3} ms)",
        node["Actual Rows"].as_u64().unwrap_or(0),
        node["Actual Total Time"].as_f64().unwrap_or(0.0)
    ));
    out.push_str(&line);
    out.push('\n');
    if let Some(children) = node["Plans"].as_array() {
        for child in children {
            walk(child, depth + 1, out, scanned);
        }
    }
}

/// VACUUM ANALYZE every table, then report sizes and dead rows (bloat).
pub async fn optimize(pool: &PgPool, progress: bool) -> Result<String> {
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT relname::text FROM pg_stat_user_tables ORDER BY relname").fetch_all(pool).await?;
    let bar = if progress { ProgressBar::new(tables.len() as u64) } else { ProgressBar::hidden() };
    for t in &tables {
        bar.set_message(t.clone());
        sqlx::raw_sql(&format!("VACUUM (ANALYZE) \"{}\"", t.replace('"', ""))).execute(pool).await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT relname::text, n_live_tup, n_dead_tup, pg_table_size(relid), pg_indexes_size(relid)
         FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC",
    )
    .fetch_all(pool)
    .await?;
    let mut out = format!(
        "{:<24} {:>12} {:>10} {:>8} {:>12} {:>12}\n",
        "table", "live rows", "dead rows", "bloat", "table", "indexes"
    );
    for (name, live, dead, table, idx) in rows {
        let bloat = if live + dead > 0 { dead as f64 * 100.0 / (live + dead) as f64 } else { 0.0 };
        out.push_str(&format!(
            "{name:<24} {live:>12} {dead:>10} {bloat:>7.1}% {:>12} {:>12}\n",
            human_bytes(table),
            human_bytes(idx)
        ));
    }
    Ok(out)
}

fn human_bytes(n: i64) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} GiB", n / (1024.0 * 1024.0 * 1024.0))
    } else if n >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", n / (1024.0 * 1024.0))
    } else {
        format!("{:.0} KiB", n / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{Verdict, verdict};

    #[test]
    fn a_sequential_scan_is_judged_by_the_size_of_its_table() {
        let idx = vec!["transactions_user_date_idx".to_string()];
        assert_eq!(verdict(&idx, &[]).0, Verdict::OnIndex);
        let small = [("accounts".to_string(), 1), ("institutions".to_string(), 8)];
        assert_eq!(verdict(&[], &small).0, Verdict::SmallTablesOnly);
        assert!(verdict(&[], &small).1.contains("accounts (1 page), institutions (8 pages)"));
        assert_eq!(verdict(&idx, &small).0, Verdict::OnIndex);
        let large = [("accounts".to_string(), 1), ("transactions".to_string(), 9)];
        let (v, text) = verdict(&idx, &large);
        assert_eq!(v, Verdict::LargeScan);
        assert_eq!(text, "WARNING: sequential scan of transactions (9 pages)");
    }
}
