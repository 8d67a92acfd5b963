//! Fixed sandbox data: institutions, the accounts every item has, the merchants
//! transactions are drawn from.

use serde_json::{Value, json};

pub struct Institution {
    pub id: &'static str,
    pub name: &'static str,
    pub url: &'static str,
    pub primary_color: &'static str,
}

pub const INSTITUTIONS: &[Institution] = &[
    Institution {
        id: "ins_109508",
        name: "First Platypus Bank",
        url: "https://www.platypus.example",
        primary_color: "#1f6f5c",
    },
    Institution {
        id: "ins_109509",
        name: "First Gingham Credit Union",
        url: "https://www.gingham.example",
        primary_color: "#8a3b5d",
    },
];

pub fn institution(id: &str) -> Option<&'static Institution> {
    INSTITUTIONS.iter().find(|i| i.id == id)
}

pub const INSTITUTION_PRODUCTS: &[&str] =
    &["assets", "auth", "balance", "identity", "investments", "liabilities", "transactions"];

impl Institution {
    pub fn to_json(&self) -> Value {
        json!({
            "institution_id": self.id,
            "name": self.name,
            "products": INSTITUTION_PRODUCTS,
            "country_codes": ["US"],
            "url": self.url,
            "primary_color": self.primary_color,
            "logo": null,
            "oauth": false,
            "routing_numbers": [],
        })
    }
}

/// Products `/link/token/create` accepts.
pub const LINK_PRODUCTS: &[&str] = &[
    "assets",
    "auth",
    "employment",
    "identity",
    "income_verification",
    "identity_verification",
    "investments",
    "liabilities",
    "payment_initiation",
    "standing_orders",
    "statements",
    "transactions",
    "transfer",
];

pub const LANGUAGES: &[&str] =
    &["da", "de", "en", "es", "et", "fr", "it", "lt", "lv", "nl", "no", "pl", "po", "ro", "sv"];

pub const COUNTRY_CODES: &[&str] =
    &["US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL", "DK", "NO", "SE", "EE", "LT", "LV", "PT", "BE"];

pub struct AccountTemplate {
    pub name: &'static str,
    pub official_name: &'static str,
    pub kind: &'static str,
    pub subtype: &'static str,
    pub mask: &'static str,
    pub current: f64,
    pub available: Option<f64>,
    pub limit: Option<f64>,
}

/// Every item has these three accounts (index 0 checking, 1 savings, 2 credit card).
pub const ACCOUNTS: &[AccountTemplate] = &[
    AccountTemplate {
        name: "Plaid Checking",
        official_name: "Plaid Gold Standard 0% Interest Checking",
        kind: "depository",
        subtype: "checking",
        mask: "0000",
        current: 110.0,
        available: Some(100.0),
        limit: None,
    },
    AccountTemplate {
        name: "Plaid Saving",
        official_name: "Plaid Silver Standard 0.1% Interest Saving",
        kind: "depository",
        subtype: "savings",
        mask: "1111",
        current: 210.0,
        available: Some(200.0),
        limit: None,
    },
    AccountTemplate {
        name: "Plaid Credit Card",
        official_name: "Plaid Diamond 12.5% APR Interest Credit Card",
        kind: "credit",
        subtype: "credit card",
        mask: "3333",
        current: 410.0,
        available: None,
        limit: Some(2000.0),
    },
];

pub const CHECKING: usize = 0;
pub const SAVINGS: usize = 1;
pub const CREDIT: usize = 2;

/// Where a merchant's money moves from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pays {
    /// Checking or the credit card.
    Card,
    Checking,
    Savings,
}

pub struct Merchant {
    pub name: &'static str,
    pub merchant_name: Option<&'static str>,
    pub website: Option<&'static str>,
    pub channel: &'static str,
    pub primary: &'static str,
    pub detailed: &'static str,
    pub category: &'static [&'static str],
    pub category_id: &'static str,
    /// Amount range in Plaid's sign (positive = money out).
    pub min: f64,
    pub max: f64,
    pub pays: Pays,
    /// Relative frequency.
    pub weight: u32,
    /// Counterparty type (`merchant`, `income_source`, `financial_institution`).
    pub counterparty: &'static str,
    /// `(address, city, region, postal_code, lat, lon)` for in-store merchants.
    pub place: Option<(&'static str, &'static str, &'static str, &'static str, f64, f64)>,
}

#[allow(clippy::too_many_arguments)]
const fn m(
    name: &'static str,
    merchant_name: Option<&'static str>,
    website: Option<&'static str>,
    channel: &'static str,
    (primary, detailed): (&'static str, &'static str),
    (category, category_id): (&'static [&'static str], &'static str),
    (min, max): (f64, f64),
    pays: Pays,
    weight: u32,
) -> Merchant {
    Merchant {
        name,
        merchant_name,
        website,
        channel,
        primary,
        detailed,
        category,
        category_id,
        min,
        max,
        pays,
        weight,
        counterparty: "merchant",
        place: None,
    }
}

const fn at(
    mut merchant: Merchant,
    place: (&'static str, &'static str, &'static str, &'static str, f64, f64),
) -> Merchant {
    merchant.place = Some(place);
    merchant
}

const fn source(mut merchant: Merchant, kind: &'static str) -> Merchant {
    merchant.counterparty = kind;
    merchant
}

const COFFEE: (&str, &str) = ("FOOD_AND_DRINK", "FOOD_AND_DRINK_COFFEE");
const GROCERIES: (&str, &str) = ("FOOD_AND_DRINK", "FOOD_AND_DRINK_GROCERIES");
const FAST_FOOD: (&str, &str) = ("FOOD_AND_DRINK", "FOOD_AND_DRINK_FAST_FOOD");
const RIDES: (&str, &str) = ("TRANSPORTATION", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES");
const GAS: (&str, &str) = ("TRANSPORTATION", "TRANSPORTATION_GAS");
const ELECTRONICS: (&str, &str) = ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_ELECTRONICS");
const MARKETPLACE: (&str, &str) = ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES");
const RENT: (&str, &str) = ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_RENT");
const INTERNET: (&str, &str) = ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_INTERNET_AND_CABLE");
const WAGES: (&str, &str) = ("INCOME", "INCOME_WAGES");
const INTEREST: (&str, &str) = ("INCOME", "INCOME_INTEREST_EARNED");
const MOVIES: (&str, &str) = ("ENTERTAINMENT", "ENTERTAINMENT_TV_AND_MOVIES");
const MUSIC: (&str, &str) = ("ENTERTAINMENT", "ENTERTAINMENT_MUSIC_AND_AUDIO");

const SF_POST: (&str, &str, &str, &str, f64, f64) = ("300 Post St", "San Francisco", "CA", "94108", 37.7887, -122.4075);
const SF_MARKET: (&str, &str, &str, &str, f64, f64) =
    ("399 4th St", "San Francisco", "CA", "94107", 37.7812, -122.3997);
const OAKLAND: (&str, &str, &str, &str, f64, f64) = ("3201 Broadway", "Oakland", "CA", "94611", 37.8232, -122.2562);
const SF_MISSION: (&str, &str, &str, &str, f64, f64) =
    ("2100 Mission St", "San Francisco", "CA", "94110", 37.7632, -122.4194);

pub const MERCHANTS: &[Merchant] = &[
    at(
        m(
            "Starbucks",
            Some("Starbucks"),
            Some("starbucks.com"),
            "in store",
            COFFEE,
            (&["Food and Drink", "Restaurants", "Coffee Shop"], "13005043"),
            (3.45, 8.95),
            Pays::Card,
            14,
        ),
        SF_POST,
    ),
    m(
        "Uber 063015 SF**POOL**",
        Some("Uber"),
        Some("uber.com"),
        "online",
        RIDES,
        (&["Travel", "Taxi"], "22016000"),
        (7.5, 42.0),
        Pays::Card,
        9,
    ),
    at(
        m(
            "Whole Foods Market",
            Some("Whole Foods Market"),
            Some("wholefoodsmarket.com"),
            "in store",
            GROCERIES,
            (&["Shops", "Supermarkets and Groceries"], "19047000"),
            (18.0, 165.0),
            Pays::Card,
            11,
        ),
        SF_MARKET,
    ),
    at(
        m(
            "Trader Joe's #236",
            Some("Trader Joe's"),
            Some("traderjoes.com"),
            "in store",
            GROCERIES,
            (&["Shops", "Supermarkets and Groceries"], "19047000"),
            (12.0, 95.0),
            Pays::Card,
            7,
        ),
        OAKLAND,
    ),
    at(
        m(
            "Shell Oil 57444",
            Some("Shell"),
            Some("shell.com"),
            "in store",
            GAS,
            (&["Travel", "Gas Stations"], "22009000"),
            (28.0, 72.0),
            Pays::Card,
            7,
        ),
        OAKLAND,
    ),
    at(
        m(
            "Chipotle Mexican Grill",
            Some("Chipotle"),
            Some("chipotle.com"),
            "in store",
            FAST_FOOD,
            (&["Food and Drink", "Restaurants", "Fast Food"], "13005032"),
            (9.8, 24.5),
            Pays::Card,
            8,
        ),
        SF_MISSION,
    ),
    m(
        "Netflix.com",
        Some("Netflix"),
        Some("netflix.com"),
        "online",
        MOVIES,
        (&["Service", "Subscription"], "18061000"),
        (15.49, 15.49),
        Pays::Card,
        3,
    ),
    m(
        "Spotify USA",
        Some("Spotify"),
        Some("spotify.com"),
        "online",
        MUSIC,
        (&["Service", "Subscription"], "18061000"),
        (11.99, 11.99),
        Pays::Card,
        3,
    ),
    m(
        "AMZN Mktp US*2K4RT1",
        Some("Amazon"),
        Some("amazon.com"),
        "online",
        MARKETPLACE,
        (&["Shops", "Digital Purchase"], "19013000"),
        (6.99, 189.0),
        Pays::Card,
        9,
    ),
    at(
        m(
            "Best Buy 00004",
            Some("Best Buy"),
            Some("bestbuy.com"),
            "in store",
            ELECTRONICS,
            (&["Shops", "Computers and Electronics"], "19013000"),
            (19.99, 649.0),
            Pays::Card,
            3,
        ),
        SF_MARKET,
    ),
    m(
        "Comcast Xfinity",
        Some("Xfinity"),
        Some("xfinity.com"),
        "online",
        INTERNET,
        (&["Service", "Cable"], "18009000"),
        (79.99, 79.99),
        Pays::Checking,
        2,
    ),
    m(
        "Greenview Apartments Rent",
        None,
        None,
        "other",
        RENT,
        (&["Payment", "Rent"], "16002000"),
        (1850.0, 1850.0),
        Pays::Checking,
        2,
    ),
    source(
        m(
            "Gusto Payroll",
            Some("Gusto Payroll"),
            Some("gusto.com"),
            "other",
            WAGES,
            (&["Transfer", "Payroll"], "21009000"),
            (-2650.0, -1980.0),
            Pays::Checking,
            7,
        ),
        "income_source",
    ),
    source(
        m(
            "Interest Earned",
            None,
            None,
            "other",
            INTEREST,
            (&["Transfer", "Credit"], "21005000"),
            (-2.4, -0.11),
            Pays::Savings,
            2,
        ),
        "financial_institution",
    ),
];
