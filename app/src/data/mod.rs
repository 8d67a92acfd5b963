//! The data layer: all SQL, one module per aggregate, typed errors.

pub mod accounts;
pub mod audit;
pub mod budgets;
pub mod categories;
pub mod dashboard;
pub mod imports;
pub mod jobs;
pub mod journal;
pub mod plaid;
pub mod predictions;
pub mod privacy;
pub mod reconciliation;
pub mod reports;
pub mod rules;
pub mod sessions;
pub mod tax;
pub mod transactions;
pub mod users;
pub mod webhooks;

/// What a query can fail with, in terms the caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// A ledger rule the database enforces (balanced journals, splits that add up,
    /// reconciled rows locked), in words for the person who broke it.
    #[error("{0}")]
    Rule(&'static str),
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error(transparent)]
    Other(sqlx::Error),
}

/// The message for a violated ledger rule, by constraint name.
fn rule_message(constraint: &str) -> Option<&'static str> {
    Some(match constraint {
        "transactions_journal_balanced" => "the legs of a journal entry must add up to exactly zero",
        "transactions_split_adds_up" => "the parts of a split must add up to the transaction exactly",
        "transactions_reconciled_locked" => "this transaction is reconciled; un-reconcile it before changing it",
        _ => return None,
    })
}

pub type DbResult<T> = Result<T, DbError>;

/// A transaction acting for one signed-in user: it runs as the `manna_app` role with
/// `app.user_id` set, so row-level security shows and accepts only that user's rows
/// even where a query forgot its `user_id` filter. Every read or write on behalf of a
/// user goes through one of these.
pub async fn user_tx(pool: &sqlx::PgPool, user_id: uuid::Uuid) -> DbResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    user_tx_planned(pool, user_id, None).await
}

/// [`user_tx`] that also sets `plan_cache_mode` (one of Postgres's values, e.g. from
/// [`transactions::plan_mode`]) for the whole transaction, in the same round trip.
pub async fn user_tx_planned(
    pool: &sqlx::PgPool,
    user_id: uuid::Uuid,
    plan_mode: Option<&'static str>,
) -> DbResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    Ok(begin_with(pool, user_begin(user_id, plan_mode)).await?)
}

/// [`user_tx_planned`] on a connection the caller already holds (free, outside any
/// transaction).
pub async fn user_tx_on(
    conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
    user_id: uuid::Uuid,
    plan_mode: Option<&'static str>,
) -> DbResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    Ok(begin_on(conn, user_begin(user_id, plan_mode)).await?)
}

/// The statement that opens a user's transaction.
fn user_begin(user_id: uuid::Uuid, plan_mode: Option<&'static str>) -> String {
    // One round trip: BEGIN and the settings go as one simple query. The id is a
    // formatted Uuid (hex and dashes) and the mode one of our constants, so inlining
    // them is safe.
    let plan = plan_mode.map(|m| format!(", set_config('plan_cache_mode', '{m}', true)")).unwrap_or_default();
    format!("BEGIN; SELECT set_config('role', 'manna_app', true), set_config('app.user_id', '{user_id}', true){plan}")
}

/// A plain transaction (as the database owner), safe to abandon: use this, never
/// `pool.begin()`.
pub async fn begin(pool: &sqlx::PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    begin_with(pool, "BEGIN".to_string()).await
}

/// Opens a transaction with `statement` (which must start with BEGIN), to the end even
/// if the caller gives up waiting.
///
/// sqlx 0.8 counts a transaction as open only once Postgres has answered its BEGIN. A
/// request dropped in between (the browser went away) returned the connection to the
/// pool inside a transaction nobody would end, still as `manna_app` for the user who
/// started it: the next request to get that connection ran in it (seen in a browser
/// journey as "permission denied for table session"). In its own task the BEGIN always
/// completes, and a transaction nobody takes is dropped there, which rolls it back.
pub async fn begin_with(
    pool: &sqlx::PgPool,
    statement: String,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with(statement).await })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("starting a transaction was interrupted: {e}")))?
}

/// [`begin_with`] on a connection the caller holds (free, outside any transaction).
pub async fn begin_on(
    conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
    statement: String,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    tokio::spawn(sqlx::Transaction::begin(conn, Some(statement.into())))
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("starting a transaction was interrupted: {e}")))?
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => DbError::Unavailable(e),
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                DbError::Conflict(db.constraint().unwrap_or("unique").to_string())
            }
            sqlx::Error::Database(ref db) if db.code().as_deref() == Some("23514") => {
                match db.constraint().and_then(rule_message) {
                    Some(message) => DbError::Rule(message),
                    None => DbError::Other(e),
                }
            }
            other => DbError::Other(other),
        }
    }
}
