//! Rate limits on the expensive endpoints (report generation and the file exports):
//! a token bucket per session (or per client address when signed out), per node.
//! Sign-in has its own, database-backed throttle (app::auth).

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A bucket of `burst` requests, refilled at `per_minute`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub burst: f64,
    pub per_minute: f64,
}

/// Reports and exports: 30 at once, then one a second (a person clicking through report
/// settings stays well under it; a script pulling exports in a loop does not).
pub const EXPENSIVE: Limit = Limit { burst: 30.0, per_minute: 60.0 };

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Takes one token from `bucket` at `now`, or says how long until one is there.
fn take(bucket: &mut Bucket, limit: Limit, now: Instant) -> Result<(), Duration> {
    let refill = now.saturating_duration_since(bucket.at).as_secs_f64() * limit.per_minute / 60.0;
    bucket.tokens = (bucket.tokens + refill).min(limit.burst);
    bucket.at = now;
    if bucket.tokens >= 1.0 {
        bucket.tokens -= 1.0;
        Ok(())
    } else {
        Err(Duration::from_secs_f64((1.0 - bucket.tokens) * 60.0 / limit.per_minute))
    }
}

/// At most this many reports and exports run at once on a node: the rest wait their
/// turn, so they can never hold more than 4 of the pool's 20 connections and page
/// renders always find one.
pub const EXPENSIVE_AT_ONCE: usize = 4;

#[derive(Clone)]
pub struct Limiter {
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
    running: Arc<tokio::sync::Semaphore>,
    /// Whom the client address comes from (behind a proxy: X-Forwarded-For).
    proxy: app::auth::ssr::ProxyPolicy,
}

impl Limiter {
    pub fn new(proxy: app::auth::ssr::ProxyPolicy) -> Self {
        Limiter { buckets: Arc::default(), running: Arc::new(tokio::sync::Semaphore::new(EXPENSIVE_AT_ONCE)), proxy }
    }
}

impl Limiter {
    fn check(&self, key: String, limit: Limit, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(()); // a poisoned map limits nothing rather than refusing everyone
        };
        // Forget full buckets now and then, so the map stays as small as the active users.
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| {
                now.saturating_duration_since(b.at).as_secs_f64() * limit.per_minute / 60.0 < limit.burst
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: limit.burst, at: now });
        take(bucket, limit, now)
    }
}

/// Whether a request is one of the expensive ones.
pub fn is_expensive(method: &axum::http::Method, path: &str) -> bool {
    const FUNCTIONS: [&str; 3] = ["/api/generate_report", "/api/run_template", "/api/regenerate_report"];
    let download = method == axum::http::Method::GET
        && (path == "/settings/export.zip"
            || (path.starts_with("/reports/") && path.matches('/').count() == 3)
            || (path.starts_with("/shared/") && path.matches('/').count() == 3)
            || (path.starts_with("/transactions/") && path.len() > "/transactions/".len()));
    download || FUNCTIONS.contains(&path)
}

/// Who a request counts against: its session cookie, else its peer address. Shared
/// report links need no sign-in, so they always count against the address: a made-up
/// cookie per request must not buy a fresh allowance. (Elsewhere a made-up cookie only
/// earns a quick "sign in".)
fn client_key(req: &Request<Body>, proxy: app::auth::ssr::ProxyPolicy) -> String {
    if req.uri().path().starts_with("/shared/") {
        return address_key(req, proxy);
    }
    let session = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(crate::startup::SESSION_COOKIE)?.strip_prefix('='));
    match session {
        Some(id) => format!("s:{id}"),
        None => address_key(req, proxy),
    }
}

/// The client's address as sign-in throttling sees it (the proxy's word only if trusted).
fn address_key(req: &Request<Body>, proxy: app::auth::ssr::ProxyPolicy) -> String {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    match app::auth::ssr::client_ip_from(req.headers(), peer, proxy) {
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".into(),
    }
}

pub async fn limit_expensive(limiter: axum::extract::State<Limiter>, req: Request<Body>, next: Next) -> Response {
    if !is_expensive(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    match limiter.check(client_key(&req, limiter.proxy), EXPENSIVE, Instant::now()) {
        Ok(()) => {
            // Never closed; if it were, running unthrottled beats refusing.
            let _turn = limiter.running.acquire().await.ok();
            next.run(req).await
        }
        Err(wait) => {
            let secs = wait.as_secs().max(1);
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many reports and exports at once: try again in {secs} s."),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_refill_interval() {
        let limit = Limit { burst: 3.0, per_minute: 60.0 };
        let t0 = Instant::now();
        let mut b = Bucket { tokens: limit.burst, at: t0 };
        for _ in 0..3 {
            assert!(take(&mut b, limit, t0).is_ok());
        }
        let wait = take(&mut b, limit, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 1.0).abs() < 1e-9, "{wait:?}");
        assert!(take(&mut b, limit, t0 + Duration::from_millis(500)).is_err());
        assert!(take(&mut b, limit, t0 + Duration::from_millis(1000)).is_ok());
        // A long pause refills to the burst, not beyond.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(take(&mut b, limit, later).is_ok());
        }
        assert!(take(&mut b, limit, later).is_err());
    }

    #[test]
    fn each_client_has_its_own_bucket() {
        let limiter = Limiter::new(Default::default());
        let now = Instant::now();
        let limit = Limit { burst: 1.0, per_minute: 1.0 };
        assert!(limiter.check("s:a".into(), limit, now).is_ok());
        assert!(limiter.check("s:a".into(), limit, now).is_err());
        assert!(limiter.check("s:b".into(), limit, now).is_ok());
    }

    #[test]
    fn shared_links_count_against_the_address_whatever_the_cookie() {
        let request = |path: &str, cookie: &str| {
            let mut r = Request::builder().uri(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
            r.extensions_mut().insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 7], 5555))));
            r
        };
        let direct = app::auth::ssr::ProxyPolicy::default();
        let key = |path: &str, cookie: &str| client_key(&request(path, cookie), direct);
        assert_eq!(key("/shared/tok/report.pdf", "manna_session=made-up-1"), "ip:10.0.0.7");
        assert_eq!(key("/shared/tok/report.pdf", "manna_session=made-up-2"), "ip:10.0.0.7");
        assert_eq!(key("/settings/export.zip", "a=b; manna_session=abc"), "s:abc");
        assert_eq!(key("/settings/export.zip", "a=b; manna_sessionx=abc"), "ip:10.0.0.7");
        // Behind a trusted proxy, the forwarded address is the client.
        let mut behind = request("/shared/tok/report.pdf", "");
        behind.headers_mut().insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9, 10.0.0.7"));
        let proxied = app::auth::ssr::ProxyPolicy { trust_forwarded_for: true };
        assert_eq!(client_key(&behind, proxied), "ip:203.0.113.9");
        assert_eq!(client_key(&behind, direct), "ip:10.0.0.7");
    }

    #[test]
    fn only_reports_and_exports_are_limited() {
        use axum::http::Method;
        assert!(is_expensive(&Method::POST, "/api/generate_report"));
        assert!(is_expensive(&Method::GET, "/settings/export.zip"));
        assert!(is_expensive(&Method::GET, "/reports/0b7e/report.pdf"));
        assert!(is_expensive(&Method::GET, "/transactions/export.csv"));
        assert!(is_expensive(&Method::GET, "/shared/tok/report.xlsx"));
        assert!(!is_expensive(&Method::GET, "/transactions"));
        assert!(!is_expensive(&Method::GET, "/reports"));
        assert!(!is_expensive(&Method::GET, "/reports/0b7e"));
        assert!(!is_expensive(&Method::POST, "/api/transactions"));
    }
}
