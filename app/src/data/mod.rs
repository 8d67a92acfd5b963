//! The data layer: all SQL, one module per aggregate, typed errors.

pub mod accounts;
pub mod audit;
pub mod privacy;
pub mod sessions;
pub mod transactions;
pub mod users;

/// What a query can fail with, in terms the caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error(transparent)]
    Other(sqlx::Error),
}

pub type DbResult<T> = Result<T, DbError>;

/// A transaction acting for one signed-in user: it runs as the `manna_app` role with
/// `app.user_id` set, so row-level security shows and accepts only that user's rows
/// even where a query forgot its `user_id` filter. Every read or write on behalf of a
/// user goes through one of these.
pub async fn user_tx(pool: &sqlx::PgPool, user_id: uuid::Uuid) -> DbResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('role', 'manna_app', true), set_config('app.user_id', $1, true)")
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => DbError::Unavailable(e),
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                DbError::Conflict(db.constraint().unwrap_or("unique").to_string())
            }
            other => DbError::Other(other),
        }
    }
}
