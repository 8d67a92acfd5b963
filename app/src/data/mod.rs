//! The data layer: all SQL, one module per aggregate, typed errors.

pub mod accounts;
pub mod audit;
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
