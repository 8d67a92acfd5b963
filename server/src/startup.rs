//! The HTTP server: router, state, graceful shutdown.

use crate::assets::{Assets, PKG_DIR};
use crate::session_cache::{DetachedCreate, SessionCache};
use crate::{csrf, db};
use anyhow::{Context, Result};
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{CachingSessionStore, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

/// Sessions end after this much inactivity (and after 14 days regardless: see
/// `app::auth::ssr::ABSOLUTE_LIFETIME_DAYS`).
const IDLE_TIMEOUT: time::Duration = time::Duration::hours(12);

#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub assets: Arc<Assets>,
    /// Cookies are marked Secure when the public URL is https.
    pub secure_cookies: bool,
    /// Seals secrets at rest (TOTP secrets, later Plaid tokens).
    pub sealing_key: app::sealing::SealingKey,
    /// Whether X-Forwarded-For names the client (`MANNA_TRUSTED_PROXY=1`).
    pub proxy: app::auth::ssr::ProxyPolicy,
    /// Plaid (client, webhook keys, the workers' wake-up); off without credentials.
    pub webhook: crate::plaid_webhook::WebhookState,
    /// The ledger's pickers per user, between changes to them.
    pub pickers: app::picker_cache::PickerCache,
}

impl AppState {
    pub fn new(pool: PgPool, addr: SocketAddr, secret_key: [u8; 32]) -> Self {
        let assets = Arc::new(Assets::load());
        if !assets.has_front() {
            tracing::warn!(
                "no front-end assets in this build: pages render but do not hydrate (build with scripts/build.sh)"
            );
        }
        let leptos_options = LeptosOptions::builder()
            .output_name(assets.hashed_output_name())
            .site_pkg_dir(PKG_DIR)
            .site_root("target/site")
            .site_addr(addr)
            .build();
        let secure_cookies = std::env::var("MANNA_PUBLIC_URL").is_ok_and(|u| u.starts_with("https://"));
        let sealing_key = app::sealing::SealingKey::new(secret_key);
        let proxy = app::auth::ssr::ProxyPolicy {
            trust_forwarded_for: std::env::var("MANNA_TRUSTED_PROXY").is_ok_and(|v| v == "1" || v == "true"),
        };
        let plaid = match app::plaid::PlaidConfig::from_env() {
            Ok(Some(config)) => match app::plaid::PlaidClient::new(config) {
                Ok(client) => Some(client),
                Err(e) => {
                    tracing::error!(error = %e, "Plaid client not started; bank connections are off");
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                tracing::error!("Plaid is misconfigured, bank connections are off: {e}");
                None
            }
        };
        let webhook = crate::plaid_webhook::WebhookState {
            pool: pool.clone(),
            plaid,
            keys: Default::default(),
            wake: Default::default(),
        };
        let pickers = Default::default();
        AppState { leptos_options, pool, assets, secure_cookies, sealing_key, proxy, webhook, pickers }
    }

    /// The same state with this key ring (rotation: see `config::sealing_key`).
    pub fn with_sealing_key(mut self, key: app::sealing::SealingKey) -> Self {
        self.sealing_key = key;
        self
    }

    /// The same state with this Plaid client (tests point it at the local fake).
    pub fn with_plaid(mut self, plaid: Option<app::plaid::PlaidClient>) -> Self {
        self.webhook.plaid = plaid;
        self
    }

    /// The background workers of this node, sharing the state's pool, Plaid and key.
    pub fn workers(&self) -> crate::workers::Workers {
        crate::workers::Workers::new(
            self.pool.clone(),
            self.webhook.plaid.clone(),
            self.sealing_key.clone(),
            self.webhook.wake.clone(),
        )
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "manna_session";

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = request_context(&state);
    let options = state.leptos_options.clone();
    let https = state.secure_cookies;
    let proxy = state.proxy;
    let store =
        CachingSessionStore::new(SessionCache::default(), DetachedCreate(PostgresStore::new(state.pool.clone())));
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.secure_cookies)
        .with_expiry(Expiry::OnInactivity(IDLE_TIMEOUT));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/settings/export.zip", get(crate::export::my_data))
        .route("/reports/{id}/{file}", get(crate::report_export::download_saved))
        .route("/transactions/{file}", get(crate::ledger_export::download))
        .route("/shared/{token}/{file}", get(crate::report_export::download_shared))
        .route("/webhooks/plaid", axum::routing::post(crate::plaid_webhook::receive))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(fallback)
        .with_state(state)
        .layer(sessions)
        .layer(axum::middleware::from_fn(csrf::reject_cross_site))
        .layer(axum::middleware::from_fn_with_state(
            crate::rate_limit::Limiter::new(proxy),
            crate::rate_limit::limit_expensive,
        ))
        // axum's own 2 MB default would refuse a statement file; our limit is per path.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(crate::body_limit::limit_request_body))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        // Pages set their own (with a script nonce); anything else may run nothing.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(app::csp::NON_PAGE_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, hsts(https)))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(TraceLayer::new_for_http())
}

/// HSTS only when the public address is https (a plain-http install must stay reachable).
fn hsts(https: bool) -> Option<HeaderValue> {
    https.then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"))
}

/// What every page render and server function can reach through context.
fn request_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let pool = state.pool.clone();
    let key = state.sealing_key.clone();
    let proxy = state.proxy;
    let plaid = app::plaid::PlaidSetup(state.webhook.plaid.clone());
    let wake = app::plaid::JobWake(state.webhook.wake.clone());
    let pickers = state.pickers.clone();
    move || {
        provide_context(pool.clone());
        provide_context(key.clone());
        provide_context(proxy);
        provide_context(plaid.clone());
        provide_context(wake.clone());
        provide_context(app::auth::ssr::RequestUser::default());
        provide_context(pickers.clone());
    }
}

/// Ready when the database answers within two seconds.
async fn readyz(State(pool): State<PgPool>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), db::ping(&pool)).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("database unavailable: {e:#}")).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database did not answer in time").into_response(),
    }
}

/// Static files first; anything else is the app's own 404 page.
async fn fallback(State(state): State<AppState>, req: Request<Body>) -> Response {
    let path = req.uri().path().trim_start_matches('/').to_string();
    if let Some(resp) = state.assets.serve(&path, req.headers()).await {
        return resp;
    }
    let options = state.leptos_options.clone();
    let handler =
        leptos_axum::render_app_to_stream_with_context(request_context(&state), move || shell(options.clone()));
    handler(req).await.into_response()
}

/// The listener with TCP_NODELAY on every connection: a streamed page's last chunk
/// goes out at once instead of waiting for the client's delayed ACK (40 ms on Linux,
/// measured on the budget page).
pub fn no_delay(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn set(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
    }
    listener.tap_io(set as fn(&mut tokio::net::TcpStream))
}

/// Binds the address (with a clear error if it is taken) and serves until SIGINT/SIGTERM.
pub async fn serve(state: AppState, addr: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    tracing::info!("Manna is listening on http://{local}");
    println!("Manna is running at http://{local}  (Ctrl-C to stop)");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers = state.workers().spawn(stopped);
    let served = axum::serve(no_delay(listener), router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed");
    // Workers take no new work and finish what they hold (bounded: a lease outlives us).
    let _ = stop.send(true);
    for w in workers {
        if tokio::time::timeout(Duration::from_secs(30), w).await.is_err() {
            tracing::warn!("a worker did not finish in 30 s; its job will be picked up again");
        }
    }
    served?;
    Ok(())
}

pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutting down");
}
