//! The request's client address (for sessions' risk checks, audit and rate limits).

use leptos::prelude::*;

/// Whether to believe `X-Forwarded-For` (only behind a proxy that sets it:
/// `MANNA_TRUSTED_PROXY=1`); otherwise the client is the TCP peer.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProxyPolicy {
    pub trust_forwarded_for: bool,
}

/// The client's address for this request.
pub async fn client_ip() -> Option<std::net::IpAddr> {
    let policy = use_context::<ProxyPolicy>().unwrap_or_default();
    let headers = leptos_axum::extract::<http::HeaderMap>().await.unwrap_or_default();
    let peer = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>().await.ok().map(|c| c.0);
    client_ip_from(&headers, peer, policy)
}

/// The client's address from the headers and the TCP peer, under `policy`.
pub fn client_ip_from(
    headers: &http::HeaderMap,
    peer: Option<std::net::SocketAddr>,
    policy: ProxyPolicy,
) -> Option<std::net::IpAddr> {
    let forwarded = policy
        .trust_forwarded_for
        .then(|| headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.split(',').next())
        .and_then(|ip| ip.trim().parse().ok());
    forwarded.or(peer.map(|p| p.ip()))
}
