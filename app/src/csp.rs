//! The page's content security policy: scripts only from this server (and the
//! configured Plaid Link origin), inline scripts only with this response's nonce
//! (Leptos puts it on its hydration and streaming scripts), and no framing.

/// The `Content-Security-Policy` of a page rendered with `nonce`. `plaid_origin` is
/// where Plaid Link's script and frame come from, when bank connections are on.
pub fn page_policy(nonce: &str, plaid_origin: Option<&str>) -> String {
    let plaid = plaid_origin.filter(|o| is_origin(o)).map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'{plaid}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'{plaid}; \
         frame-src{frame}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
        frame = if plaid.is_empty() { " 'none'".to_string() } else { plaid.clone() },
    )
}

/// What any other response (files, downloads, API answers) may do: nothing active.
pub const NON_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// `scheme://host[:port]` and nothing that could end the directive early.
fn is_origin(o: &str) -> bool {
    (o.starts_with("https://") || o.starts_with("http://"))
        && o.split_once("://").is_some_and(|(_, host)| !host.is_empty() && !host.contains('/'))
        && o.chars().all(|c| c.is_ascii_alphanumeric() || ".:/-_[]".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_come_from_self_the_nonce_and_plaid_only() {
        let p = page_policy("abc123", Some("https://cdn.plaid.com"));
        assert!(p.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval' https://cdn.plaid.com;"), "{p}");
        assert!(p.contains("frame-src https://cdn.plaid.com;"), "{p}");
        assert!(p.contains("frame-ancestors 'none'"), "{p}");
        assert!(!p.contains("script-src 'self' 'unsafe-inline'"), "{p}");
    }

    #[test]
    fn without_plaid_nothing_may_be_framed() {
        let p = page_policy("n", None);
        assert!(p.contains("frame-src 'none';"), "{p}");
        assert!(p.contains("connect-src 'self';"), "{p}");
    }

    #[test]
    fn an_odd_plaid_origin_is_left_out_rather_than_trusted() {
        for bad in ["https://x.com; script-src *", "javascript:alert(1)", "https://", "https://a.com/path", "*"] {
            let p = page_policy("n", Some(bad));
            assert!(p.contains("frame-src 'none';"), "{bad}: {p}");
        }
        assert!(page_policy("n", Some("http://127.0.0.1:4010")).contains("frame-src http://127.0.0.1:4010;"));
    }
}
