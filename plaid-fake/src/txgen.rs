//! Transactions in Plaid's shape, drawn from a seeded RNG (the same item creation
//! order and date give the same merchants, amounts and dates).

use crate::data::{CHECKING, CREDIT, MERCHANTS, Merchant, Pays, SAVINGS};
use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// Rounds to cents (Plaid amounts have two decimals).
pub fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

fn pick_merchant(rng: &mut StdRng, card_only: bool) -> &'static Merchant {
    let eligible = || MERCHANTS.iter().filter(move |m| !card_only || m.pays == Pays::Card);
    let total: u32 = eligible().map(|m| m.weight).sum();
    let mut ticket = rng.gen_range(0..total.max(1));
    for merchant in eligible() {
        if ticket < merchant.weight {
            return merchant;
        }
        ticket -= merchant.weight;
    }
    &MERCHANTS[0]
}

/// What kind of row to draw.
#[derive(Clone, Copy, Debug)]
pub struct Draw {
    pub pending: bool,
    /// Days before `today`, inclusive range.
    pub days_back: (i64, i64),
}

/// One transaction. `account_ids` are the item's checking, savings and card accounts.
pub fn transaction(
    rng: &mut StdRng,
    transaction_id: &str,
    account_ids: &[String],
    today: NaiveDate,
    draw: Draw,
) -> Value {
    let merchant = pick_merchant(rng, draw.pending);
    let account = match merchant.pays {
        Pays::Checking => CHECKING,
        Pays::Savings => SAVINGS,
        Pays::Card => {
            if rng.gen_bool(0.45) {
                CHECKING
            } else {
                CREDIT
            }
        }
    };
    let account_id = account_ids.get(account).or(account_ids.first()).cloned().unwrap_or_default();
    let amount =
        if merchant.min == merchant.max { merchant.min } else { cents(rng.gen_range(merchant.min..merchant.max)) };
    let (lo, hi) = draw.days_back;
    let back = rng.gen_range(lo.min(hi)..=hi.max(lo));
    let date = today - Duration::days(back);
    let authorized = if draw.pending { date } else { date - Duration::days(rng.gen_range(0..=2)) };
    let store_number: Option<String> = merchant.place.map(|_| format!("{:04}", rng.gen_range(1..10000)));
    let location = match merchant.place {
        Some((address, city, region, postal_code, lat, lon)) => json!({
            "address": address, "city": city, "region": region, "postal_code": postal_code,
            "country": "US", "lat": lat, "lon": lon, "store_number": store_number,
        }),
        None => json!({
            "address": null, "city": null, "region": null, "postal_code": null,
            "country": null, "lat": null, "lon": null, "store_number": null,
        }),
    };
    let counterparties = match merchant.merchant_name {
        Some(name) => json!([{
            "name": name,
            "type": merchant.counterparty,
            "website": merchant.website,
            "logo_url": null,
            "entity_id": null,
            "confidence_level": "VERY_HIGH",
            "phone_number": null,
        }]),
        None => json!([]),
    };
    let transaction_type = match merchant.channel {
        "in store" => "place",
        "online" => "digital",
        _ => "special",
    };
    json!({
        "transaction_id": transaction_id,
        "account_id": account_id,
        "account_owner": null,
        "amount": amount,
        "iso_currency_code": "USD",
        "unofficial_currency_code": null,
        "date": date.format("%Y-%m-%d").to_string(),
        "authorized_date": authorized.format("%Y-%m-%d").to_string(),
        "datetime": null,
        "authorized_datetime": null,
        "pending": draw.pending,
        "pending_transaction_id": null,
        "name": merchant.name,
        "merchant_name": merchant.merchant_name,
        "merchant_entity_id": null,
        "payment_channel": merchant.channel,
        "transaction_type": transaction_type,
        "location": location,
        "payment_meta": {
            "by_order_of": null, "payee": null, "payer": null, "payment_method": null,
            "payment_processor": null, "ppd_id": null, "reason": null, "reference_number": null,
        },
        "personal_finance_category": {
            "primary": merchant.primary,
            "detailed": merchant.detailed,
            "confidence_level": "VERY_HIGH",
        },
        "counterparties": counterparties,
        "logo_url": null,
        "website": merchant.website,
        "category": merchant.category,
        "category_id": merchant.category_id,
        "transaction_code": null,
        "check_number": null,
    })
}

/// The posted row that replaces a pending one: a new id, `pending: false`,
/// `pending_transaction_id` pointing at the pending row, dated a day later (not after today).
pub fn posted_from(pending: &Value, transaction_id: &str, today: NaiveDate) -> Value {
    let mut posted = pending.clone();
    let pending_date = pending["date"].as_str().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let date = pending_date.map_or(today, |d| (d + Duration::days(1)).min(today));
    posted["transaction_id"] = json!(transaction_id);
    posted["pending"] = json!(false);
    posted["pending_transaction_id"] = pending["transaction_id"].clone();
    posted["date"] = json!(date.format("%Y-%m-%d").to_string());
    posted
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn draw_many(seed: u64, n: usize) -> Vec<Value> {
        let mut rng = StdRng::seed_from_u64(seed);
        let accounts = vec!["chk".to_string(), "sav".to_string(), "cc".to_string()];
        let today = NaiveDate::from_ymd_opt(2025, 3, 15).unwrap_or_default();
        (0..n)
            .map(|i| {
                transaction(&mut rng, &format!("t{i}"), &accounts, today, Draw { pending: false, days_back: (2, 90) })
            })
            .collect()
    }

    #[test]
    fn seeded_draws_repeat_and_look_like_plaid() {
        let a = draw_many(7, 200);
        assert_eq!(a, draw_many(7, 200));
        let negatives = a.iter().filter(|t| t["amount"].as_f64().unwrap_or(0.0) < 0.0).count();
        assert!((5..=45).contains(&negatives), "about a tenth are money in: {negatives}");
        for t in &a {
            let amount = t["amount"].as_f64().unwrap_or(f64::NAN);
            assert_eq!(cents(amount), amount);
            assert!(t["date"].as_str().is_some_and(|d| d.len() == 10 && d.as_bytes()[4] == b'-'));
            assert!(t["personal_finance_category"]["primary"].is_string());
            assert!(["online", "in store", "other"].contains(&t["payment_channel"].as_str().unwrap_or("")));
        }
        assert!(a.iter().any(|t| t["merchant_name"] == "Starbucks"));
    }

    #[test]
    fn posting_points_at_the_pending_row() {
        let pending = json!({"transaction_id": "p1", "pending": true, "date": "2025-03-15", "amount": 4.5});
        let today = NaiveDate::from_ymd_opt(2025, 3, 15).unwrap_or_default();
        let posted = posted_from(&pending, "t9", today);
        assert_eq!(posted["pending_transaction_id"], "p1");
        assert_eq!(posted["pending"], false);
        assert_eq!(posted["date"], "2025-03-15");
        assert_eq!(posted["amount"], 4.5);
    }
}
