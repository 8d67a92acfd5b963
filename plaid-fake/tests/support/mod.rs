//! Shared by the integration tests: an HTTP harness around a running fake, a webhook
//! receiver, and a receiver-side JWT check.
#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use plaid_fake::FakePlaid;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::sync::mpsc;

pub struct Harness {
    pub fake: FakePlaid,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn new() -> Harness {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Harness { fake: FakePlaid::start().await, http }
    }

    /// A Plaid call with the credentials in the body.
    pub async fn plaid(&self, path: &str, mut body: Value) -> (u16, Value) {
        body["client_id"] = json!(self.fake.client_id());
        body["secret"] = json!(self.fake.secret());
        self.raw(path, body.to_string().into_bytes()).await
    }

    pub async fn raw(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self.http.post(format!("{}{path}", self.fake.base_url())).body(body).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.plaid(path, body).await;
        assert_eq!(status, 200, "{path}: {v}");
        assert!(v["request_id"].is_string(), "{path} has a request_id");
        v
    }

    pub async fn control(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.post(format!("{}{path}", self.fake.base_url())).json(&body).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// A new item through the sandbox shortcut: (item_id, access_token).
    pub async fn item(&self, webhook: Option<&str>) -> (String, String) {
        let mut body = json!({ "institution_id": "ins_109508", "initial_products": ["transactions"] });
        if let Some(url) = webhook {
            body["options"] = json!({ "webhook": url });
        }
        let public = self.ok("/sandbox/public_token/create", body).await;
        let public_token = public["public_token"].as_str().unwrap();
        assert!(public_token.starts_with("public-sandbox-"));
        let ex = self.ok("/item/public_token/exchange", json!({ "public_token": public_token })).await;
        let access = ex["access_token"].as_str().unwrap().to_string();
        assert!(access.starts_with("access-sandbox-"));
        (ex["item_id"].as_str().unwrap().to_string(), access)
    }

    pub async fn sync(&self, access: &str, cursor: &str, count: u32) -> (u16, Value) {
        self.plaid("/transactions/sync", json!({ "access_token": access, "cursor": cursor, "count": count })).await
    }

    /// Pages of one run from `cursor` to `has_more: false`: (added, modified, removed, end cursor).
    pub async fn run(&self, access: &str, cursor: &str, count: u32) -> (Vec<Value>, Vec<Value>, Vec<Value>, String) {
        let (mut added, mut modified, mut removed) = (vec![], vec![], vec![]);
        let mut cursor = cursor.to_string();
        loop {
            let (status, page) = self.sync(access, &cursor, count).await;
            assert_eq!(status, 200, "{page}");
            added.extend(page["added"].as_array().unwrap().iter().cloned());
            modified.extend(page["modified"].as_array().unwrap().iter().cloned());
            removed.extend(page["removed"].as_array().unwrap().iter().cloned());
            cursor = page["next_cursor"].as_str().unwrap().to_string();
            if !page["has_more"].as_bool().unwrap() {
                return (added, modified, removed, cursor);
            }
        }
    }
}

pub fn code(v: &Value) -> &str {
    v["error_code"].as_str().unwrap_or("")
}

pub fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter().map(|t| t["transaction_id"].as_str().unwrap().to_string()).collect()
}

/// A webhook receiver: every POST is reported (path, headers, body); paths containing
/// "503" answer 503, others 200.
pub async fn receiver() -> (String, mpsc::UnboundedReceiver<(String, HeaderMap, Bytes)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let tx = tx.clone();
        async move {
            let path = uri.path().to_string();
            let status = if path.contains("503") { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
            let _ = tx.send((path, headers, body));
            status
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

pub async fn next_webhook(rx: &mut mpsc::UnboundedReceiver<(String, HeaderMap, Bytes)>) -> (String, HeaderMap, Bytes) {
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("a webhook within 10 s").unwrap()
}

pub fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// What a receiver checks, given the JWT, the raw body and the fake's JWK answer.
pub fn verify(jwt: &str, body: &[u8], jwk: &Value) -> Result<(), &'static str> {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = decode_part(parts[0]);
    assert_eq!(header["alg"], "ES256");
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let y = URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap();
    assert_eq!((x.len(), y.len()), (32, 32));
    let point = p256::EncodedPoint::from_affine_coordinates(x.as_slice().into(), y.as_slice().into(), false);
    let key = VerifyingKey::from_encoded_point(&point).unwrap();
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    key.verify(signed.as_bytes(), &signature).map_err(|_| "signature")?;
    let claims = decode_part(parts[1]);
    let age = chrono::Utc::now().timestamp() - claims["iat"].as_i64().unwrap();
    if age > 300 {
        return Err("iat");
    }
    let hash: String = Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect();
    if claims["request_body_sha256"] != hash {
        return Err("body hash");
    }
    Ok(())
}
