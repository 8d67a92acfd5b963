//! Categories: the system defaults everyone sees (no owner) and each user's own,
//! in one hierarchy.

use super::{DbError, DbResult};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CategoryRow {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub kind: String,
    pub icon: Option<String>,
    pub color: Option<String>,
    pub is_system: bool,
    pub archived: bool,
    pub deductible_default: bool,
    /// The user's top-level transactions and split parts in it.
    pub transactions: i64,
}

/// Query `categories_page`: every category the user sees; with `counts`, how many
/// of their transactions use each (an index-only scan of
/// `transactions_user_category_date_idx`, so only the categories page asks for it).
pub async fn visible(conn: &mut PgConnection, user_id: Uuid, counts: bool) -> DbResult<Vec<CategoryRow>> {
    let usage = if counts {
        "SELECT category_id, count(*) AS count FROM transactions
         WHERE user_id = $1 AND category_id IS NOT NULL GROUP BY category_id"
    } else {
        "SELECT NULL::uuid AS category_id, 0::bigint AS count WHERE false"
    };
    Ok(sqlx::query_as::<_, CategoryRow>(&format!(
        "SELECT c.id, c.parent_id, c.name, c.kind::text AS kind, c.icon, c.color, c.user_id IS NULL AS is_system,
                c.archived_at IS NOT NULL AS archived, c.deductible_default, coalesce(n.count, 0) AS transactions
         FROM categories c
         LEFT JOIN ({usage}) n ON n.category_id = c.id
         WHERE c.user_id IS NULL OR c.user_id = $1
         ORDER BY c.sort_order, lower(c.name), c.id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// A category and everything under it, if the user can see it.
pub async fn subtree(conn: &mut PgConnection, user_id: Uuid, root: Uuid) -> DbResult<Vec<Uuid>> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "WITH RECURSIVE tree AS (
             SELECT id FROM categories WHERE id = $1 AND (user_id IS NULL OR user_id = $2)
             UNION
             SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id
             WHERE c.user_id IS NULL OR c.user_id = $2)
         SELECT id FROM tree",
    )
    .bind(root)
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    if ids.is_empty() { Err(DbError::NotFound) } else { Ok(ids) }
}

/// The kind (income, expense, transfer) of a category the user can use; `NotFound`
/// if it is not visible to them or archived.
pub async fn usable_kind(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<String> {
    sqlx::query_scalar(
        "SELECT kind::text FROM categories
         WHERE id = $1 AND (user_id IS NULL OR user_id = $2) AND archived_at IS NULL",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)
}

pub async fn create(
    conn: &mut PgConnection,
    user_id: Uuid,
    name: &str,
    parent: Option<Uuid>,
    kind: &str,
) -> DbResult<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO categories (user_id, parent_id, name, kind) VALUES ($1, $2, $3, $4::category_kind) RETURNING id",
    )
    .bind(user_id)
    .bind(parent)
    .bind(name)
    .bind(kind)
    .fetch_one(conn)
    .await?)
}

/// The user's own category, locked: (name, parent). System defaults are nobody's to
/// change, so they are "not found" here.
pub async fn lock_own(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> DbResult<(String, Option<Uuid>)> {
    sqlx::query_as("SELECT name, parent_id FROM categories WHERE id = $1 AND user_id = $2 FOR UPDATE")
        .bind(id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?
        .ok_or(DbError::NotFound)
}

pub async fn rename(conn: &mut PgConnection, user_id: Uuid, id: Uuid, name: &str) -> DbResult<()> {
    sqlx::query("UPDATE categories SET name = $3 WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_parent(conn: &mut PgConnection, user_id: Uuid, id: Uuid, parent: Option<Uuid>) -> DbResult<()> {
    sqlx::query("UPDATE categories SET parent_id = $3 WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .bind(parent)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_archived(conn: &mut PgConnection, user_id: Uuid, id: Uuid, archived: bool) -> DbResult<()> {
    sqlx::query(
        "UPDATE categories SET archived_at = CASE WHEN $3 THEN coalesce(archived_at, now()) END
         WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .bind(archived)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a merge moved, for the audit trail.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Merged {
    pub transactions: u64,
    pub rules: u64,
    pub budget_items: u64,
    pub subcategories: u64,
}

/// Merges the user's category `source` into `target`: its transactions (reconciled
/// ones too: a merge restructures, it does not edit), rules, predictions, budget lines
/// (amounts add up where a budget had both) and subcategories move over, then it is
/// deleted. The caller has checked that `target` is usable and not under `source`.
pub async fn merge(conn: &mut PgConnection, user_id: Uuid, source: Uuid, target: Uuid) -> DbResult<Merged> {
    // Every statement takes ($1 user, $2 source, $3 target).
    async fn run(conn: &mut PgConnection, sql: &str, user_id: Uuid, source: Uuid, target: Uuid) -> DbResult<u64> {
        Ok(sqlx::query(sql).bind(user_id).bind(source).bind(target).execute(conn).await?.rows_affected())
    }
    sqlx::query("SELECT set_config('manna.restructure', 'on', true)").execute(&mut *conn).await?;
    let transactions = run(
        conn,
        "UPDATE transactions SET category_id = $3 WHERE user_id = $1 AND category_id = $2",
        user_id,
        source,
        target,
    )
    .await?;
    sqlx::query("SELECT set_config('manna.restructure', '', true)").execute(&mut *conn).await?;
    let rules = run(
        conn,
        "UPDATE categorization_rules SET actions = jsonb_set(actions, '{category_id}', to_jsonb($3::text))
         WHERE user_id = $1 AND actions ->> 'category_id' = $2::text",
        user_id,
        source,
        target,
    )
    .await?;
    for sql in [
        "UPDATE ml_predictions SET predicted_category_id = $3 WHERE user_id = $1 AND predicted_category_id = $2",
        "UPDATE ml_predictions SET corrected_category_id = $3 WHERE user_id = $1 AND corrected_category_id = $2",
        // A budget with lines for both keeps one line holding both amounts.
        "UPDATE budget_items t SET amount = t.amount + s.amount, rollover_amount = t.rollover_amount + s.rollover_amount
         FROM budget_items s
         WHERE t.user_id = $1 AND s.user_id = $1 AND t.budget_id = s.budget_id
           AND t.category_id = $3 AND s.category_id = $2",
        "DELETE FROM budget_items s WHERE s.user_id = $1 AND s.category_id = $2
           AND EXISTS (SELECT 1 FROM budget_items t WHERE t.budget_id = s.budget_id AND t.category_id = $3)",
    ] {
        run(conn, sql, user_id, source, target).await?;
    }
    let budget_items = run(
        conn,
        "UPDATE budget_items SET category_id = $3 WHERE user_id = $1 AND category_id = $2",
        user_id,
        source,
        target,
    )
    .await?;
    let subcategories = run(
        conn,
        "UPDATE categories SET parent_id = $3 WHERE user_id = $1 AND parent_id = $2",
        user_id,
        source,
        target,
    )
    .await?;
    sqlx::query("DELETE FROM categories WHERE id = $1 AND user_id = $2")
        .bind(source)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(Merged { transactions, rules, budget_items, subcategories })
}
