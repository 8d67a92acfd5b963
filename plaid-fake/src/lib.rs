//! A local fake of Plaid for Manna's tests: an axum server speaking Plaid's API
//! (version 2020-09-14 shapes) from memory, with signed webhooks, a stand-in
//! `link-initialize.js`, and fake-only controls under `/fake/`.
//!
//! ```no_run
//! # async fn demo() {
//! let fake = plaid_fake::FakePlaid::start().await;
//! // Point the client at `fake.base_url()` with `fake.client_id()` / `fake.secret()`.
//! fake.state().set_initial_transactions(250);
//! # }
//! ```

mod controls;
mod data;
mod errors;
mod fake_state;
mod link;
mod link_js;
mod plaid_api;
mod state;
mod sync;
mod txgen;
mod webhooks;

pub use errors::PlaidError;
pub use fake_state::FakeState;
pub use link::{GOOD_PASSWORD, GOOD_USERNAME};
pub use link_js::LINK_INITIALIZE_JS;
pub use webhooks::{Delivery, Tamper};

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

pub const DEFAULT_CLIENT_ID: &str = "manna-test-client";
pub const DEFAULT_SECRET: &str = "manna-test-secret";

/// Sandbox institutions the fake knows: (institution_id, name).
pub const INSTITUTIONS: &[(&str, &str)] =
    &[("ins_109508", "First Platypus Bank"), ("ins_109509", "First Gingham Credit Union")];

/// The fake's routes over a state (to serve it yourself).
pub fn router(state: Arc<FakeState>) -> Router {
    let mut router = Router::new();
    for (path, endpoint) in plaid_api::endpoints() {
        router = router.route(path, plaid_api::plaid_route(path, endpoint));
    }
    router
        .merge(link::routes())
        .merge(controls::routes())
        .fallback(|| async { PlaidError::not_found("unknown path") })
        .with_state(state)
}

/// Serves the fake on a bound listener until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<FakeState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

/// A running fake; it stops when dropped.
#[derive(Debug)]
pub struct FakePlaid {
    addr: SocketAddr,
    state: Arc<FakeState>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FakePlaid {
    /// Binds 127.0.0.1 on a free port and serves in a tokio task.
    pub async fn start() -> FakePlaid {
        FakePlaid::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("plaid-fake: binding 127.0.0.1:0")
    }

    /// Binds `addr` (port 0 for a free one) and serves in a tokio task.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<FakePlaid> {
        FakePlaid::start_with(addr, DEFAULT_CLIENT_ID, DEFAULT_SECRET).await
    }

    /// Like `start_on`, accepting other credentials.
    pub async fn start_with(addr: SocketAddr, client_id: &str, secret: &str) -> std::io::Result<FakePlaid> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(FakeState::new(client_id, secret));
        let (tx, rx) = oneshot::channel::<()>();
        let served = Arc::clone(&state);
        tokio::spawn(async move {
            let stop = async {
                let _ = rx.await;
            };
            if let Err(e) = serve(listener, served, stop).await {
                tracing::error!("plaid-fake stopped: {e}");
            }
        });
        Ok(FakePlaid { addr, state, shutdown: Some(tx) })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where the stand-in `link-initialize.js` is served.
    pub fn link_script_url(&self) -> String {
        format!("{}/link-initialize.js", self.base_url())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn client_id(&self) -> &str {
        &self.state.client_id
    }

    pub fn secret(&self) -> &str {
        &self.state.secret
    }

    /// Direct control over the fake (the same operations as the `/fake/` endpoints).
    pub fn state(&self) -> &Arc<FakeState> {
        &self.state
    }
}

impl Drop for FakePlaid {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
