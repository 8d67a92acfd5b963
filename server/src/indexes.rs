//! The index list, read from the migration that creates the indexes, so
//! `create-indexes`, the bulk loader and the migration can never disagree.

/// The migrations that create (or drop) indexes, in order.
const INDEX_MIGRATIONS: [&str; 12] = [
    include_str!("../../migrations/20250101000002_indexes.sql"),
    include_str!("../../migrations/20250101000009_ledger_rules.sql"),
    include_str!("../../migrations/20250101000011_categorization.sql"),
    include_str!("../../migrations/20250101000012_budget_periods.sql"),
    include_str!("../../migrations/20250101000013_covering_report_index.sql"),
    include_str!("../../migrations/20250101000014_plaid_jobs.sql"),
    include_str!("../../migrations/20250101000016_import_batches.sql"),
    include_str!("../../migrations/20250101000018_bulk_insert_tax_year.sql"),
    include_str!("../../migrations/20250101000019_drop_business_date_index.sql"),
    include_str!("../../migrations/20250101000020_bulk_insert_index_diet.sql"),
    include_str!("../../migrations/20250101000024_prediction_keys_per_statement.sql"),
    include_str!("../../migrations/20250101000030_import_batch_row_range.sql"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    pub table: String,
    /// The `CREATE [UNIQUE] INDEX IF NOT EXISTS …` statement, without the `;`.
    pub sql: String,
    /// The comment above it: the query it serves.
    pub purpose: String,
}

impl IndexDef {
    /// The same statement, built without blocking writes.
    pub fn concurrent_sql(&self) -> String {
        self.sql.replacen(" INDEX IF NOT EXISTS", " INDEX CONCURRENTLY IF NOT EXISTS", 1)
    }
}

pub fn definitions() -> Vec<IndexDef> {
    let mut defs: Vec<IndexDef> = Vec::new();
    for text in INDEX_MIGRATIONS {
        for name in dropped(text) {
            defs.retain(|d| d.name != name);
        }
        defs.extend(parse(text));
    }
    defs
}

/// The indexes a migration drops (`DROP INDEX IF EXISTS name;`).
fn dropped(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("DROP INDEX IF EXISTS "))
        .map(|rest| rest.trim_end_matches(';').trim().to_string())
        .collect()
}

fn parse(text: &str) -> Vec<IndexDef> {
    let mut defs = Vec::new();
    let mut comments: Vec<String> = Vec::new();
    let mut statement = String::new();
    // A comment serves every statement below it until the next comment.
    let mut after_statement = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if statement.is_empty() {
            if let Some(c) = trimmed.strip_prefix("--") {
                if after_statement {
                    comments.clear();
                    after_statement = false;
                }
                let c = c.trim();
                if !c.chars().all(|ch| ch == '-') && !c.ends_with("---") {
                    comments.push(c.to_string());
                }
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
        }
        statement.push_str(line);
        statement.push('\n');
        if trimmed.ends_with(';') {
            let sql = statement.trim().trim_end_matches(';').to_string();
            statement.clear();
            if let Some(def) = parse_statement(&sql, &comments) {
                defs.push(def);
            }
            after_statement = true;
        }
    }
    defs
}

fn parse_statement(sql: &str, comments: &[String]) -> Option<IndexDef> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let creates_index = matches!(words.get(..2), Some(["CREATE", "INDEX"]))
        || matches!(words.get(..3), Some(["CREATE", "UNIQUE", "INDEX"]));
    if !creates_index {
        return None; // functions, triggers, extensions in the same migration
    }
    let at = words.iter().position(|w| w.eq_ignore_ascii_case("EXISTS"))?;
    let name = words.get(at + 1)?.to_string();
    let on = words.iter().position(|w| w.eq_ignore_ascii_case("ON"))?;
    let table = words.get(on + 1)?.to_string();
    Some(IndexDef { name, table, sql: sql.to_string(), purpose: comments.join(" ") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migration_parses_into_named_indexes() {
        let defs = definitions();
        assert!(defs.len() >= 40, "only {} indexes", defs.len());
        let names: std::collections::HashSet<_> = defs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names.len(), defs.len(), "duplicate index names");
        for d in &defs {
            assert!(d.sql.starts_with("CREATE "), "{}", d.sql);
            assert!(!d.purpose.is_empty(), "index {} has no comment naming its query", d.name);
            assert!(d.concurrent_sql().contains("CONCURRENTLY IF NOT EXISTS"));
        }
        assert!(names.contains("transactions_search_trgm") && names.contains("categories_user_active_idx"));
        let t = defs.iter().find(|d| d.name == "transactions_user_date_idx").unwrap();
        assert_eq!(t.table, "transactions");
        assert!(t.sql.contains("INCLUDE"));
    }
}
