//! Request body limits. Server functions read their whole body into memory, so without
//! a limit one request could take the server's memory. Every request may carry
//! `DEFAULT_LIMIT`; the two import functions carry a statement file (base64 in a form,
//! up to `manna_core::import::MAX_FILE_BYTES` of file) and get `IMPORT_LIMIT`.
//!
//! A declared `Content-Length` over the limit is refused at once with 413; a body
//! without one is cut off at the limit while it is read.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const DEFAULT_LIMIT: usize = 1024 * 1024;
/// base64 makes 4 bytes of 3, and form encoding escapes `+` and `/` (1 in 32 chars, ×3).
pub const IMPORT_LIMIT: usize = manna_core::import::MAX_FILE_BYTES / 3 * 4 * 5 / 4 + DEFAULT_LIMIT;

const IMPORT_PATHS: [&str; 2] = ["/api/preview_import", "/api/import_statement"];

/// The most bytes a request to `path` may carry.
pub fn limit_for(path: &str) -> usize {
    if IMPORT_PATHS.contains(&path) { IMPORT_LIMIT } else { DEFAULT_LIMIT }
}

pub async fn limit_request_body(req: Request<Body>, next: Next) -> Response {
    let limit = limit_for(req.uri().path());
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        tracing::warn!(path = req.uri().path(), declared, limit, "request body too large");
        let message = format!("the request is larger than the {} MB this address accepts", limit / (1024 * 1024));
        return (StatusCode::PAYLOAD_TOO_LARGE, message).into_response();
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_functions_take_a_whole_statement_file_and_nothing_else_does() {
        let largest_form = manna_core::import::MAX_FILE_BYTES.div_ceil(3) * 4 * 106 / 100;
        assert!(limit_for("/api/import_statement") > largest_form);
        assert!(limit_for("/api/preview_import") > largest_form);
        assert_eq!(limit_for("/api/undo_import"), DEFAULT_LIMIT);
        assert_eq!(limit_for("/login"), DEFAULT_LIMIT);
        assert_eq!(limit_for("/api/import_statement/x"), DEFAULT_LIMIT);
    }
}
