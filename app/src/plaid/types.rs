//! Plaid's request and response shapes (API version 2020-09-14), only the fields Manna
//! reads. Amounts arrive as JSON numbers; they become `Decimal` through their shortest
//! decimal text, so 12.34 is exactly 12.34 (never 12.339999…).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

/// A JSON number (or numeric string) as an exact amount with two decimals.
fn number_to_decimal(value: serde_json::Number) -> Result<Decimal, String> {
    let text = value.to_string();
    let parsed = text
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| format!("{text} is not an amount"))?;
    Ok(parsed.round_dp(2))
}

pub fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    number_to_decimal(n).map_err(serde::de::Error::custom)
}

pub fn optional_money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        Some(n) => number_to_decimal(n).map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

/// Plaid's error object (also inside `item.error` and ITEM ERROR webhooks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error_type: String,
    pub error_code: String,
    #[serde(default)]
    pub error_message: String,
    #[serde(default)]
    pub display_message: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct LinkUser<'a> {
    pub client_user_id: &'a str,
}

#[derive(Debug, Serialize)]
pub struct TransactionsOptions {
    pub days_requested: u32,
}

/// `/link/token/create`: `products` for a new item, `access_token` (and no products)
/// for update mode.
#[derive(Debug, Serialize)]
pub struct LinkTokenCreate<'a> {
    pub client_name: &'a str,
    pub language: &'a str,
    pub country_codes: &'a [&'a str],
    pub user: LinkUser<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<&'a [&'a str]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<TransactionsOptions>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LinkToken {
    pub link_token: String,
    pub expiration: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Exchanged {
    pub access_token: String,
    pub item_id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Balances {
    #[serde(default, deserialize_with = "optional_money")]
    pub available: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_money")]
    pub current: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_money")]
    pub limit: Option<Decimal>,
    #[serde(default)]
    pub iso_currency_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub account_id: String,
    #[serde(default)]
    pub balances: Balances,
    #[serde(default)]
    pub mask: Option<String>,
    pub name: String,
    #[serde(default)]
    pub official_name: Option<String>,
    #[serde(rename = "type")]
    pub account_type: String,
    #[serde(default)]
    pub subtype: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    pub item_id: String,
    #[serde(default)]
    pub institution_id: Option<String>,
    #[serde(default)]
    pub webhook: Option<String>,
    #[serde(default)]
    pub error: Option<ApiError>,
    #[serde(default)]
    pub consent_expiration_time: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AccountsResponse {
    pub accounts: Vec<Account>,
    pub item: Item,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ItemResponse {
    pub item: Item,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Institution {
    pub institution_id: String,
    pub name: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub primary_color: Option<String>,
    #[serde(default)]
    pub logo: Option<String>,
    #[serde(default)]
    pub oauth: bool,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub country_codes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InstitutionResponse {
    pub institution: Institution,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PersonalFinanceCategory {
    pub primary: String,
    #[serde(default)]
    pub detailed: Option<String>,
    #[serde(default)]
    pub confidence_level: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Transaction {
    pub transaction_id: String,
    pub account_id: String,
    /// Plaid's sign: positive = money out. Convert with `manna_core::bank_sync::manna_amount`.
    #[serde(deserialize_with = "money")]
    pub amount: Decimal,
    #[serde(default)]
    pub iso_currency_code: Option<String>,
    #[serde(default)]
    pub unofficial_currency_code: Option<String>,
    pub date: NaiveDate,
    #[serde(default)]
    pub authorized_date: Option<NaiveDate>,
    #[serde(default)]
    pub pending: bool,
    #[serde(default)]
    pub pending_transaction_id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub merchant_name: Option<String>,
    #[serde(default)]
    pub payment_channel: Option<String>,
    #[serde(default)]
    pub location: Option<serde_json::Value>,
    #[serde(default)]
    pub personal_finance_category: Option<PersonalFinanceCategory>,
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
}

impl manna_core::bank_sync::BankRow for Transaction {
    fn bank_id(&self) -> &str {
        &self.transaction_id
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Removed {
    pub transaction_id: String,
}

#[derive(Debug, Serialize)]
pub struct SyncRequest<'a> {
    pub access_token: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub cursor: &'a str,
    pub count: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SyncPage {
    #[serde(default)]
    pub added: Vec<Transaction>,
    #[serde(default)]
    pub modified: Vec<Transaction>,
    #[serde(default)]
    pub removed: Vec<Removed>,
    #[serde(default)]
    pub next_cursor: String,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub transactions_update_status: Option<String>,
    #[serde(default)]
    pub accounts: Vec<Account>,
}

/// A webhook signing key (`/webhook_verification_key/get`), a P-256 JWK.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookKey {
    pub alg: String,
    pub crv: String,
    pub kid: String,
    pub kty: String,
    pub x: String,
    pub y: String,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default)]
    pub expired_at: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookKeyResponse {
    pub key: WebhookKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact() {
        let t: Transaction = serde_json::from_str(
            r#"{"transaction_id":"t","account_id":"a","amount":12.34,"date":"2024-03-01","name":"x"}"#,
        )
        .unwrap();
        assert_eq!(t.amount.to_string(), "12.34");
        let b: Balances = serde_json::from_str(r#"{"available":null,"current":0.1,"limit":2000}"#).unwrap();
        assert_eq!(b.current.map(|d| d.to_string()), Some("0.1".into()));
        assert_eq!(b.limit.map(|d| d.to_string()), Some("2000".into()));
        assert_eq!(b.available, None);
        for (json, text) in [("1099.99", "1099.99"), ("-0.07", "-0.07"), ("4.2e1", "42")] {
            let d = number_to_decimal(serde_json::from_str(json).unwrap()).unwrap();
            assert_eq!(d.normalize().to_string(), text);
        }
    }
}
