//! Statement imports: batches, the rows an import adds, duplicate candidates, undo.

use super::predictions::NewPrediction;
use super::{DbError, DbResult};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// An account the user may import into: theirs and open.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TargetAccount {
    pub id: Uuid,
    pub name: String,
    pub currency: String,
    pub is_business: bool,
    pub import_mapping: Option<serde_json::Value>,
}

pub async fn target_account(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<TargetAccount> {
    sqlx::query_as::<_, TargetAccount>(
        "SELECT id, name, currency::text AS currency, is_business, import_mapping
         FROM accounts WHERE id = $1 AND user_id = $2 AND is_active",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}

/// Keeps a CSV mapping that worked for the account's next file.
pub async fn save_mapping(
    conn: &mut PgConnection,
    user_id: Uuid,
    account: Uuid,
    mapping: &serde_json::Value,
) -> DbResult<()> {
    sqlx::query("UPDATE accounts SET import_mapping = $3 WHERE id = $1 AND user_id = $2")
        .bind(account)
        .bind(user_id)
        .bind(mapping)
        .execute(conn)
        .await?;
    Ok(())
}

/// A row already in the account, for duplicate detection (any source: bank sync,
/// an earlier import, typed by hand).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExistingRow {
    pub id: Uuid,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub name: String,
    pub merchant_name: Option<String>,
    pub import_hash: Option<String>,
    pub source: String,
}

/// Query `import_duplicates`: the account's top-level rows in a date range
/// (`transactions_account_date_idx`).
pub async fn existing(
    conn: &mut PgConnection,
    user_id: Uuid,
    account: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<ExistingRow>> {
    Ok(sqlx::query_as::<_, ExistingRow>(
        "SELECT id, date, amount, name, merchant_name, import_hash, source::text AS source
         FROM transactions
         WHERE account_id = $2 AND user_id = $1 AND date BETWEEN $3 AND $4 AND parent_transaction_id IS NULL",
    )
    .bind(user_id)
    .bind(account)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

pub struct NewBatch<'a> {
    pub account: Uuid,
    pub file_name: &'a str,
    pub format: &'a str,
    pub file_sha256: &'a str,
    pub rows_in_file: i32,
    pub rows_added: i32,
    pub rows_duplicate: i32,
    pub rows_failed: i32,
    pub mapping: Option<serde_json::Value>,
    /// The first and last (lowest and highest) id of the rows the batch will add: the
    /// range its rows are found in (`import_batch_row_range`). None for no rows.
    pub row_ids: Option<(Uuid, Uuid)>,
}

pub async fn insert_batch(conn: &mut PgConnection, user_id: Uuid, b: &NewBatch<'_>) -> DbResult<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO import_batches (user_id, account_id, file_name, format, file_sha256, rows_in_file, rows_added,
                                     rows_duplicate, rows_failed, mapping, first_row_id, last_row_id)
         VALUES ($1, $2, left($3, 255), $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(user_id)
    .bind(b.account)
    .bind(b.file_name)
    .bind(b.format)
    .bind(b.file_sha256)
    .bind(b.rows_in_file)
    .bind(b.rows_added)
    .bind(b.rows_duplicate)
    .bind(b.rows_failed)
    .bind(&b.mapping)
    .bind(b.row_ids.map(|r| r.0))
    .bind(b.row_ids.map(|r| r.1))
    .fetch_one(conn)
    .await?)
}

/// Column arrays for one bulk insert of imported rows.
#[derive(Default)]
pub struct ImportRows {
    /// Chosen by the caller (time-ordered), so the insert need not return them.
    pub ids: Vec<Uuid>,
    pub dates: Vec<NaiveDate>,
    pub amounts: Vec<Decimal>,
    pub names: Vec<String>,
    pub merchants: Vec<Option<String>>,
    pub notes: Vec<Option<String>>,
    pub hashes: Vec<Option<String>>,
    /// The category: named in the file (one of the user's), or set by a rule.
    pub categories: Vec<Option<Uuid>>,
    /// `import` (named in the file), `rule` or `ml`; None without a category.
    pub category_sources: Vec<Option<&'static str>>,
    /// The rule that set the category.
    pub rules: Vec<Option<Uuid>>,
    /// The model's prediction for the row, one of [`ImportPredictions`]'s ids.
    pub predictions: Vec<Option<Uuid>>,
    pub business: Vec<bool>,
    pub deductible: Vec<bool>,
    /// Tags a rule added, comma-joined (Postgres arrays cannot be ragged); "" for none.
    pub tags: Vec<String>,
    pub types: Vec<&'static str>,
}

/// The model's predictions for an import's rows, written in the same statement as the
/// rows: each links to the other, and each side's key check (once per statement) sees
/// the other side.
#[derive(Default)]
pub struct ImportPredictions {
    pub model_version: String,
    /// `ids[i]` is the id of `rows[i]`, and what its row's `predictions` entry holds.
    pub ids: Vec<Uuid>,
    pub rows: Vec<NewPrediction>,
}

/// From this many rows, an import leaves its search-index entries in the GIN pending
/// lists instead of merging them in the request: merging 100,000 rows' trigrams cost
/// about 0.45 s of the import. The caller merges them once the import has committed
/// ([`merge_pending_index_entries`]); until then searches also scan the pending list.
pub const DEFER_INDEX_MERGE_FROM: usize = 1_000;

/// Readies the transaction for an import of `rows` rows, before its first
/// [`insert_rows`] statement.
pub async fn prepare_bulk_insert(conn: &mut PgConnection, rows: usize) -> DbResult<()> {
    if rows >= DEFER_INDEX_MERGE_FROM {
        // work_mem: the rows arrive as arrays that Postgres unnests into a tuplestore;
        // at the 4 MB default a 100,000-row batch spilled 18 MB to a temp file.
        sqlx::query("SELECT set_config('gin_pending_list_limit', '512MB', true), set_config('work_mem', '64MB', true)")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Where the imported rows go: the batch, and its account's owner and currency.
#[derive(Debug, Clone)]
pub struct ImportTarget {
    pub user_id: Uuid,
    pub account: Uuid,
    pub currency: String,
    pub batch: Uuid,
}

/// Query `import_insert`: a part of the batch's rows and their predictions in one
/// statement, in the account's currency, in the order given, with what rules and the
/// model decided already applied. Each row's tax year is worked out here as a set (the
/// DB checks it per statement), not by the row trigger.
///
/// Built apart from running it (the arguments are encoded here), so the caller can
/// build the next part's statement on another thread while the database runs this one.
pub fn insert_rows(
    to: &ImportTarget,
    r: ImportRows,
    predicted: ImportPredictions,
) -> sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let mut transaction_ids = Vec::with_capacity(predicted.rows.len());
    let mut category_ids = Vec::with_capacity(predicted.rows.len());
    let mut confidences = Vec::with_capacity(predicted.rows.len());
    let mut features = Vec::with_capacity(predicted.rows.len());
    let mut alternatives = Vec::with_capacity(predicted.rows.len());
    for p in predicted.rows {
        transaction_ids.push(p.transaction_id);
        category_ids.push(p.category_id);
        confidences.push(p.confidence);
        features.push(p.features);
        alternatives.push(p.alternatives);
    }
    sqlx::query(
        "WITH predicted AS (
             INSERT INTO ml_predictions (id, user_id, transaction_id, predicted_category_id, confidence, model_version,
                                         features_used, top_alternatives)
             SELECT p.id, $1, p.transaction_id, p.category_id, p.confidence, $20, p.features::jsonb,
                    p.alternatives::jsonb
             FROM unnest($21::uuid[], $22::uuid[], $23::uuid[], $24::numeric[], $25::text[], $26::text[])
                  AS p(id, transaction_id, category_id, confidence, features, alternatives))
         INSERT INTO transactions (id, user_id, account_id, amount, currency, date, name, merchant_name, notes,
                                   import_hash, category_id, category_source, rule_id, is_business, tax_deductible,
                                   tags, prediction_id, transaction_type, source, import_batch_id, tax_year)
         SELECT u.id, $1, $2, u.amount, $3, u.date, u.name, u.merchant, u.notes, u.hash, u.category,
                u.category_source::category_source, u.rule, u.business, u.deductible,
                CASE WHEN u.tags = '' THEN '{}'::text[]
                     ELSE ARRAY(SELECT DISTINCT x FROM unnest(string_to_array(u.tags, ',')) x ORDER BY x) END,
                u.prediction, u.kind::transaction_type, 'import', $4, manna_tax_year(u.date, f.start)
         FROM unnest($5::uuid[], $6::date[], $7::numeric[], $8::text[], $9::text[], $10::text[], $11::text[],
                     $12::text[], $13::uuid[], $14::text[], $15::uuid[], $16::bool[], $17::bool[], $18::text[],
                     $19::uuid[])
              AS u(id, date, amount, name, merchant, notes, hash, kind, category, category_source, rule, business,
                   deductible, tags, prediction)
         CROSS JOIN (SELECT fiscal_year_start_month AS start FROM users WHERE id = $1) f",
    )
    .bind(to.user_id)
    .bind(to.account)
    .bind(to.currency.clone())
    .bind(to.batch)
    .bind(r.ids)
    .bind(r.dates)
    .bind(r.amounts)
    .bind(r.names)
    .bind(r.merchants)
    .bind(r.notes)
    .bind(r.hashes)
    .bind(r.types)
    .bind(r.categories)
    .bind(r.category_sources)
    .bind(r.rules)
    .bind(r.business)
    .bind(r.deductible)
    .bind(r.tags)
    .bind(r.predictions)
    .bind(predicted.model_version)
    .bind(predicted.ids)
    .bind(transaction_ids)
    .bind(category_ids)
    .bind(confidences)
    .bind(features)
    .bind(alternatives)
}

/// Merges the GIN pending lists of `transactions` (search text, tags) into the indexes,
/// after a large import left its entries there. Runs on a pool connection as the
/// tables' owner (the function needs it), outside any user's transaction.
pub async fn merge_pending_index_entries(pool: &sqlx::PgPool) -> DbResult<()> {
    sqlx::query(
        "SELECT gin_clean_pending_list('transactions_search_trgm'::regclass),
                gin_clean_pending_list('transactions_tagged_gin'::regclass)",
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub account_name: String,
    pub file_name: String,
    pub format: String,
    pub rows_in_file: i32,
    pub rows_added: i32,
    pub rows_duplicate: i32,
    pub rows_failed: i32,
    pub undone_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Query `import_batches`: the user's latest batches (`import_batches_user_idx`).
pub async fn batches(conn: &mut PgConnection, user_id: Uuid, limit: i64) -> DbResult<Vec<BatchRow>> {
    Ok(sqlx::query_as::<_, BatchRow>(
        "SELECT b.id, b.account_id, a.name AS account_name, b.file_name, b.format, b.rows_in_file, b.rows_added,
                b.rows_duplicate, b.rows_failed, b.undone_at, b.created_at
         FROM import_batches b JOIN accounts a ON a.id = b.account_id
         WHERE b.user_id = $1 ORDER BY b.created_at DESC, b.id LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Query `import_undo`: removes exactly the batch's rows. Refused (nothing changed)
/// when the batch was already undone or when some of its rows were reconciled since.
/// Matched transfer legs are unlinked first. Returns the rows removed.
pub async fn undo(conn: &mut PgConnection, user_id: Uuid, batch: Uuid) -> DbResult<u64> {
    type Undone = (Option<chrono::DateTime<chrono::Utc>>, Option<Uuid>, Option<Uuid>);
    let found: Option<Undone> = sqlx::query_as(
        "SELECT undone_at, first_row_id, last_row_id FROM import_batches WHERE id = $1 AND user_id = $2 FOR UPDATE",
    )
    .bind(batch)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (first, last) = match found {
        None => return Err(DbError::NotFound),
        Some((Some(_), _, _)) => return Err(DbError::Rule("this import was already undone")),
        Some((None, first, last)) => (first, last),
    };
    // The batch's rows are found through the primary key, within their id range.
    let reconciled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transactions
         WHERE user_id = $1 AND import_batch_id = $2 AND id BETWEEN $3 AND $4 AND reconciled",
    )
    .bind(user_id)
    .bind(batch)
    .bind(first)
    .bind(last)
    .fetch_one(&mut *conn)
    .await?;
    if reconciled > 0 {
        return Err(DbError::Rule(
            "some rows of this import were reconciled since; un-reconcile them before undoing it",
        ));
    }
    let entries: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT journal_entry_id FROM transactions
         WHERE user_id = $1 AND import_batch_id = $2 AND id BETWEEN $3 AND $4 AND journal_entry_id IS NOT NULL",
    )
    .bind(user_id)
    .bind(batch)
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    for entry in entries {
        super::journal::delete(conn, user_id, entry).await?;
    }
    let removed =
        sqlx::query("DELETE FROM transactions WHERE user_id = $1 AND import_batch_id = $2 AND id BETWEEN $3 AND $4")
            .bind(user_id)
            .bind(batch)
            .bind(first)
            .bind(last)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    sqlx::query("UPDATE import_batches SET undone_at = now() WHERE id = $1").bind(batch).execute(conn).await?;
    Ok(removed)
}
