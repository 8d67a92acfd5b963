//! The site's static files (wasm, js, css, public/), embedded in release builds (and
//! debug builds with the `embed-site` feature) so the binary alone serves the whole site.
//!
//! `/pkg/manna-<hash>.{js,wasm,css}` is served with a one-year immutable cache: the hash
//! is of the content, so a new build changes the URL. Everything else revalidates with
//! an ETag. Compressed copies (br, gzip) are made once, on first request.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, OnceLock};

#[derive(RustEmbed)]
#[folder = "../target/site"]
#[allow_missing = true]
struct Site;

/// The name scripts/build-front.sh (like cargo-leptos) gives the front's files (`pkg/manna.js`, …).
pub const OUTPUT_NAME: &str = "manna";
pub const PKG_DIR: &str = "pkg";

struct Asset {
    bytes: Vec<u8>,
    mime: &'static str,
    etag: String,
    gzip: OnceLock<Vec<u8>>,
    brotli: OnceLock<Vec<u8>>,
}

pub struct Assets {
    files: HashMap<String, Arc<Asset>>,
    /// Short content hash over the js, wasm and css.
    build_hash: String,
}

impl Assets {
    pub fn load() -> Self {
        let mut files = HashMap::new();
        for path in Site::iter() {
            if let Some(file) = Site::get(&path) {
                let hash = file.metadata.sha256_hash();
                let etag = format!("\"{}\"", hex(&hash[..12]));
                let mime = mime_for(&path);
                files.insert(
                    path.to_string(),
                    Arc::new(Asset {
                        bytes: file.data.into_owned(),
                        mime,
                        etag,
                        gzip: OnceLock::new(),
                        brotli: OnceLock::new(),
                    }),
                );
            }
        }
        let mut hasher = Sha256::new();
        for ext in ["js", "wasm", "css"] {
            if let Some(asset) = files.get(&format!("{PKG_DIR}/{OUTPUT_NAME}.{ext}")) {
                hasher.update(&asset.bytes);
            }
        }
        let build_hash = hex(&hasher.finalize()[..6]);
        Assets { files, build_hash }
    }

    /// The output name pages reference: `manna-<hash>`.
    pub fn hashed_output_name(&self) -> String {
        format!("{OUTPUT_NAME}-{}", self.build_hash)
    }

    pub fn has_front(&self) -> bool {
        self.files.contains_key(&format!("{PKG_DIR}/{OUTPUT_NAME}.wasm"))
    }

    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Serves `path` (without the leading `/`), or `None` if there is no such file.
    pub async fn serve(&self, path: &str, headers: &HeaderMap) -> Option<Response> {
        let (key, immutable) = self.resolve(path)?;
        let asset = self.files.get(&key)?.clone();
        if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(asset.etag.as_str()) {
            let mut resp = StatusCode::NOT_MODIFIED.into_response();
            resp.headers_mut().insert(header::ETAG, HeaderValue::from_str(&asset.etag).ok()?);
            return Some(resp);
        }
        let accept = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
        let encoding = if !compressible(asset.mime) || asset.bytes.len() < 1024 {
            None
        } else if accepts(accept, "br") {
            Some("br")
        } else if accepts(accept, "gzip") {
            Some("gzip")
        } else {
            None
        };
        let body = match encoding {
            Some(enc) => {
                let a = asset.clone();
                let enc_owned = enc.to_string();
                tokio::task::spawn_blocking(move || compressed(&a, &enc_owned).to_vec()).await.ok()?
            }
            None => asset.bytes.clone(),
        };
        let mut resp = Response::new(Body::from(body));
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
        h.insert(header::ETAG, HeaderValue::from_str(&asset.etag).ok()?);
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if immutable { "public, max-age=31536000, immutable" } else { "no-cache" }),
        );
        if let Some(enc) = encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
        }
        Some(resp)
    }

    /// Maps a request path to a file, and says whether it was a content-hashed name.
    fn resolve(&self, path: &str) -> Option<(String, bool)> {
        let hashed_prefix = format!("{PKG_DIR}/{}.", self.hashed_output_name());
        if let Some(ext) = path.strip_prefix(&hashed_prefix) {
            if matches!(ext, "js" | "wasm" | "css") {
                return Some((format!("{PKG_DIR}/{OUTPUT_NAME}.{ext}"), true));
            }
            return None;
        }
        if path.contains("..") {
            return None;
        }
        self.files.contains_key(path).then(|| (path.to_string(), false))
    }
}

fn compressed<'a>(asset: &'a Asset, encoding: &str) -> &'a [u8] {
    if encoding == "br" {
        asset.brotli.get_or_init(|| {
            let mut out = Vec::with_capacity(asset.bytes.len() / 3);
            let params = brotli::enc::BrotliEncoderParams { quality: 9, lgwin: 22, ..Default::default() };
            let _ = brotli::BrotliCompress(&mut asset.bytes.as_slice(), &mut out, &params);
            out
        })
    } else {
        asset.gzip.get_or_init(|| {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let _ = enc.write_all(&asset.bytes);
            enc.finish().unwrap_or_default()
        })
    }
}

fn accepts(header: &str, coding: &str) -> bool {
    header.split(',').any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let q_zero = it.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
        name.eq_ignore_ascii_case(coding) && !q_zero
    })
}

fn compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.contains("javascript")
        || mime.contains("wasm")
        || mime.contains("json")
        || mime.contains("svg")
}

fn mime_for(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_parsing() {
        assert!(accepts("gzip, deflate, br", "br"));
        assert!(accepts("gzip;q=1.0, br;q=0.5", "gzip"));
        assert!(!accepts("gzip;q=0, br", "gzip"));
        assert!(!accepts("identity", "gzip"));
    }

    #[test]
    fn hashed_names_resolve_and_others_do_not_escape() {
        let mut files = HashMap::new();
        let asset = || {
            Arc::new(Asset {
                bytes: vec![1],
                mime: "text/css",
                etag: "\"x\"".into(),
                gzip: OnceLock::new(),
                brotli: OnceLock::new(),
            })
        };
        files.insert("pkg/manna.css".to_string(), asset());
        files.insert("favicon.svg".to_string(), asset());
        let assets = Assets { files, build_hash: "abc".into() };
        assert_eq!(assets.resolve("pkg/manna-abc.css"), Some(("pkg/manna.css".into(), true)));
        assert_eq!(assets.resolve("pkg/manna-zzz.css"), None);
        assert_eq!(assets.resolve("pkg/manna-abc.exe"), None);
        assert_eq!(assets.resolve("favicon.svg"), Some(("favicon.svg".into(), false)));
        assert_eq!(assets.resolve("../Cargo.toml"), None);
    }
}
