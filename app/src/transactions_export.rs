//! The transactions page's filtered view, every page of it, for a download.

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::auth::ssr::CurrentUser;
    use crate::data::transactions::{self as data, ListRow};
    use crate::error::AppError;
    use crate::transactions::TransactionQuery;
    use sqlx::PgConnection;

    /// The most rows one download carries.
    pub const MAX_ROWS: usize = 100_000;
    const CHUNK: i64 = 2_000;

    /// The rows of the view in its order (keyset pages, never OFFSET), at most
    /// [`MAX_ROWS`]; `true` when there were more.
    pub async fn rows(
        conn: &mut PgConnection,
        user: &CurrentUser,
        query: &TransactionQuery,
    ) -> Result<(Vec<ListRow>, bool), AppError> {
        let filter = crate::transactions::ssr::filter(conn, user, query).await?;
        data::set_plan_mode(conn, &filter).await?;
        let mut out: Vec<ListRow> = Vec::new();
        let mut after = None;
        loop {
            let page = data::list(conn, user.user_id, &filter, after, CHUNK).await?;
            let done = (page.len() as i64) < CHUNK;
            after = page.last().map(|r| r.key(filter.sort));
            out.extend(page);
            if out.len() > MAX_ROWS {
                out.truncate(MAX_ROWS);
                return Ok((out, true));
            }
            if done {
                return Ok((out, false));
            }
        }
    }
}
