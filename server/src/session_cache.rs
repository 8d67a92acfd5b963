//! A small in-process cache in front of the Postgres session store.
//!
//! Every signed-in request reads its session record; from the cache that is no
//! database round trip (a tenth of a page render's database work). The record only
//! says which sign-in the cookie belongs to: whether that sign-in is still live
//! (not revoked, not expired) is checked in `user_sessions` on every request, so a
//! stale entry can never keep a revoked sign-in alive. Entries live at most `TTL`,
//! which bounds how stale another server process's change can look here; writes and
//! deletes go to both the cache and the store (`CachingSessionStore`).

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Result, SessionStore};

/// How long a record is served from memory before the store is asked again.
const TTL: Duration = Duration::from_secs(60);
/// At most this many records (about 1 KB each); past it the cache starts over.
const CAPACITY: usize = 20_000;

/// Clones share one cache (the session layer clones its store per request).
#[derive(Debug, Default, Clone)]
pub struct SessionCache {
    entries: Arc<Mutex<HashMap<Id, (Record, Instant)>>>,
}

impl SessionCache {
    fn put(&self, record: &Record) {
        let now = Instant::now();
        // A poisoned lock only means another request panicked mid-insert; the map
        // itself is still a valid map.
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.retain(|_, (_, at)| now.duration_since(*at) < TTL);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(record.id, (record.clone(), now));
    }
}

#[async_trait]
impl SessionStore for SessionCache {
    /// The store has already chosen a unique id; the cache keeps it as it is.
    async fn create(&self, record: &mut Record) -> Result<()> {
        self.put(record);
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.put(record);
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = match entries.get(id) {
            None => return Ok(None),
            Some((record, at)) => at.elapsed() < TTL && record.expiry_date > OffsetDateTime::now_utc(),
        };
        if fresh {
            Ok(entries.get(id).map(|(record, _)| record.clone()))
        } else {
            entries.remove(id);
            Ok(None)
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
        Ok(())
    }
}

/// A session store whose `create` runs to the end in its own task. The Postgres store
/// opens a transaction there, and sqlx 0.8 hands a connection whose BEGIN was
/// abandoned mid-flight (the client went away) back to the pool still inside it
/// (see `app::data::begin_with`).
#[derive(Debug, Clone)]
pub struct DetachedCreate<S>(pub S);

#[async_trait]
impl<S: SessionStore + Clone> SessionStore for DetachedCreate<S> {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let (store, mut owned) = (self.0.clone(), record.clone());
        let (result, owned) = tokio::spawn(async move {
            let result = store.create(&mut owned).await;
            (result, owned)
        })
        .await
        .map_err(|e| {
            tower_sessions::session_store::Error::Backend(format!("creating a session was interrupted: {e}"))
        })?;
        *record = owned;
        result
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.0.save(record).await
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        self.0.load(id).await
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.0.delete(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::session::Id;

    fn record(expires_in: time::Duration) -> Record {
        Record { id: Id::default(), data: Default::default(), expiry_date: OffsetDateTime::now_utc() + expires_in }
    }

    #[tokio::test]
    async fn serves_what_was_saved_until_deleted() -> Result<()> {
        let cache = SessionCache::default();
        let r = record(time::Duration::hours(1));
        cache.save(&r).await?;
        assert_eq!(cache.load(&r.id).await?.map(|x| x.id), Some(r.id));
        cache.delete(&r.id).await?;
        assert!(cache.load(&r.id).await?.is_none());
        Ok(())
    }

    #[tokio::test]
    async fn never_serves_an_expired_session() -> Result<()> {
        let cache = SessionCache::default();
        let r = record(time::Duration::seconds(-1));
        cache.save(&r).await?;
        assert!(cache.load(&r.id).await?.is_none());
        assert!(cache.entries.lock().unwrap_or_else(|e| e.into_inner()).is_empty());
        Ok(())
    }
}
