//! Cross-site request forgery: a state-changing request must come from our own pages.
//!
//! Browsers send `Origin` on every cross-site POST (and `Referer` when they do not),
//! so a mutating request whose Origin/Referer names another host is refused. Requests
//! with neither header are not from a browser page and carry no ambient cookie risk
//! beyond what SameSite=Lax already blocks.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn reject_cross_site(req: Request<Body>, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let source =
        req.headers().get(header::ORIGIN).or_else(|| req.headers().get(header::REFERER)).and_then(|v| v.to_str().ok());
    match source {
        Some(source) if !same_host(source, host) => {
            tracing::warn!(source, host, "cross-site request refused");
            (StatusCode::FORBIDDEN, "cross-site requests are not allowed").into_response()
        }
        _ => next.run(req).await,
    }
}

/// Whether `url` (an Origin or Referer) points at `host` (the Host header).
fn same_host(url: &str, host: &str) -> bool {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or("");
    let authority = rest.split('/').next().unwrap_or("");
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::same_host;

    #[test]
    fn hosts() {
        assert!(same_host("http://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(same_host("https://manna.example/transactions?x=1", "manna.example"));
        assert!(!same_host("https://evil.example", "manna.example"));
        assert!(!same_host("https://manna.example.evil.example", "manna.example"));
        assert!(!same_host("null", "manna.example"));
        assert!(!same_host("http://127.0.0.1:3001", "127.0.0.1:3000"));
    }
}
