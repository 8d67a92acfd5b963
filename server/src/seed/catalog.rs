//! What seeded people buy, where, and for how much.

/// A kind of everyday spending: where, which category, how much (cents).
pub struct Spend {
    pub merchant: &'static str,
    pub category: &'static str,
    pub min: i64,
    pub max: i64,
    pub weight: u32,
    pub business: bool,
    pub channel: &'static str,
}

#[rustfmt::skip]
pub const SPENDS: &[Spend] = &[
    Spend { merchant: "Whole Foods Market", category: "Groceries", min: 2_000, max: 18_000, weight: 9, business: false, channel: "in store" },
    Spend { merchant: "Trader Joe's", category: "Groceries", min: 1_500, max: 12_000, weight: 8, business: false, channel: "in store" },
    Spend { merchant: "Safeway", category: "Groceries", min: 1_000, max: 9_000, weight: 6, business: false, channel: "in store" },
    Spend { merchant: "Chipotle", category: "Restaurants", min: 1_100, max: 3_500, weight: 6, business: false, channel: "in store" },
    Spend { merchant: "Sweetgreen", category: "Restaurants", min: 1_300, max: 2_800, weight: 5, business: false, channel: "in store" },
    Spend { merchant: "Olive Garden", category: "Restaurants", min: 3_500, max: 9_500, weight: 2, business: false, channel: "in store" },
    Spend { merchant: "Starbucks", category: "Coffee", min: 375, max: 1_150, weight: 10, business: false, channel: "in store" },
    Spend { merchant: "Blue Bottle Coffee", category: "Coffee", min: 450, max: 1_300, weight: 4, business: false, channel: "in store" },
    Spend { merchant: "Shell", category: "Fuel", min: 3_000, max: 7_500, weight: 4, business: false, channel: "in store" },
    Spend { merchant: "Chevron", category: "Fuel", min: 2_800, max: 7_000, weight: 3, business: false, channel: "in store" },
    Spend { merchant: "Clipper Card", category: "Public transit", min: 250, max: 5_000, weight: 3, business: false, channel: "online" },
    Spend { merchant: "Uber", category: "Rideshare", min: 900, max: 4_500, weight: 4, business: false, channel: "online" },
    Spend { merchant: "Lyft", category: "Rideshare", min: 850, max: 4_200, weight: 2, business: false, channel: "online" },
    Spend { merchant: "Uniqlo", category: "Clothing", min: 2_000, max: 12_000, weight: 2, business: false, channel: "in store" },
    Spend { merchant: "Best Buy", category: "Electronics", min: 1_500, max: 90_000, weight: 1, business: false, channel: "in store" },
    Spend { merchant: "Target", category: "Home", min: 800, max: 15_000, weight: 5, business: false, channel: "in store" },
    Spend { merchant: "IKEA", category: "Home", min: 2_500, max: 40_000, weight: 1, business: false, channel: "in store" },
    Spend { merchant: "CVS Pharmacy", category: "Pharmacy", min: 500, max: 6_000, weight: 3, business: false, channel: "in store" },
    Spend { merchant: "Planet Fitness", category: "Fitness", min: 2_499, max: 2_499, weight: 1, business: false, channel: "online" },
    Spend { merchant: "Netflix", category: "Streaming", min: 1_549, max: 1_549, weight: 1, business: false, channel: "online" },
    Spend { merchant: "Spotify", category: "Streaming", min: 1_199, max: 1_199, weight: 1, business: false, channel: "online" },
    Spend { merchant: "AMC Theatres", category: "Events", min: 1_400, max: 6_000, weight: 2, business: false, channel: "in store" },
    Spend { merchant: "United Airlines", category: "Flights", min: 9_000, max: 80_000, weight: 1, business: false, channel: "online" },
    Spend { merchant: "Airbnb", category: "Lodging", min: 12_000, max: 90_000, weight: 1, business: false, channel: "online" },
    Spend { merchant: "GitHub", category: "Software", min: 400, max: 2_100, weight: 3, business: true, channel: "online" },
    Spend { merchant: "Figma", category: "Software", min: 1_500, max: 4_500, weight: 2, business: true, channel: "online" },
    Spend { merchant: "Amazon Web Services", category: "Software", min: 2_000, max: 60_000, weight: 3, business: true, channel: "online" },
    Spend { merchant: "Staples", category: "Office supplies", min: 700, max: 25_000, weight: 2, business: true, channel: "in store" },
    Spend { merchant: "LegalZoom", category: "Professional services", min: 7_900, max: 39_900, weight: 1, business: true, channel: "online" },
    Spend { merchant: "Google Ads", category: "Advertising", min: 5_000, max: 80_000, weight: 2, business: true, channel: "online" },
    Spend { merchant: "Delta Air Lines", category: "Business travel", min: 15_000, max: 90_000, weight: 1, business: true, channel: "online" },
    Spend { merchant: "The Capital Grille", category: "Business meals", min: 6_000, max: 40_000, weight: 1, business: true, channel: "in store" },
];

pub const CITIES: [(&str, &str); 4] =
    [("San Francisco", "CA"), ("Oakland", "CA"), ("Seattle", "WA"), ("Portland", "OR")];

/// Another category a merchant's row may belong to: (category, percent, description word).
pub type Other = (&'static str, u32, &'static str);

/// Merchants that sell more than one kind of thing: a share of their rows (percent)
/// belong to another category, sometimes with a word in the description that tells
/// (Uber Eats), sometimes with nothing but the amount to go on (Target).
#[rustfmt::skip]
pub const MIXED: &[(&str, &[Other])] = &[
    ("Uber", &[("Restaurants", 30, "EATS")]),
    ("Target", &[("Groceries", 25, ""), ("Clothing", 10, "")]),
    ("CVS Pharmacy", &[("Groceries", 15, "")]),
    ("Amazon Web Services", &[("Office supplies", 10, "MKTP")]),
    ("Staples", &[("Software", 10, "")]),
];

/// How often the user filed a row under a wrong category, percent: the noise a
/// categorizer must live with.
pub const MISFILED_PERCENT: u32 = 3;
/// How often the bank sent no merchant name, percent: the description must carry it.
pub const NO_MERCHANT_PERCENT: u32 = 25;
