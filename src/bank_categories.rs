//! Plaid's `personal_finance_category` (a primary and a detailed code) mapped to
//! Manna's default categories by name. A user's own choices (kept with their
//! preferences) override these, per code; a detailed code falls back to its primary.

/// Plaid codes Manna knows, with a label and the default category's name. Primary codes
/// end the list of their detailed ones' fallbacks.
#[rustfmt::skip]
pub const DEFAULTS: &[(&str, &str, &str)] = &[
    ("INCOME", "Income", "Income"),
    ("INCOME_WAGES", "Income: wages", "Salary"),
    ("INCOME_DIVIDENDS", "Income: dividends", "Interest"),
    ("INCOME_INTEREST_EARNED", "Income: interest earned", "Interest"),
    ("INCOME_TAX_REFUND", "Income: tax refund", "Refunds"),
    ("TRANSFER_IN", "Transfer in", "Transfer"),
    ("TRANSFER_IN_ACCOUNT_TRANSFER", "Transfer in: between accounts", "Savings transfer"),
    ("TRANSFER_OUT", "Transfer out", "Transfer"),
    ("TRANSFER_OUT_ACCOUNT_TRANSFER", "Transfer out: between accounts", "Savings transfer"),
    ("LOAN_PAYMENTS", "Loan payments", "Transfer"),
    ("LOAN_PAYMENTS_CREDIT_CARD_PAYMENT", "Loan payments: credit card", "Credit card payment"),
    ("BANK_FEES", "Bank fees", "Bank fees"),
    ("BANK_FEES_INTEREST_CHARGE", "Bank fees: interest charge", "Interest charges"),
    ("ENTERTAINMENT", "Entertainment", "Entertainment"),
    ("ENTERTAINMENT_TV_AND_MOVIES", "Entertainment: TV and movies", "Streaming"),
    ("ENTERTAINMENT_MUSIC_AND_AUDIO", "Entertainment: music and audio", "Streaming"),
    ("ENTERTAINMENT_SPORTING_EVENTS_AMUSEMENT_PARKS_AND_MUSEUMS", "Entertainment: events", "Events"),
    ("FOOD_AND_DRINK", "Food and drink", "Food"),
    ("FOOD_AND_DRINK_COFFEE", "Food and drink: coffee", "Coffee"),
    ("FOOD_AND_DRINK_GROCERIES", "Food and drink: groceries", "Groceries"),
    ("FOOD_AND_DRINK_RESTAURANT", "Food and drink: restaurants", "Restaurants"),
    ("FOOD_AND_DRINK_FAST_FOOD", "Food and drink: fast food", "Restaurants"),
    ("GENERAL_MERCHANDISE", "General merchandise", "Shopping"),
    ("GENERAL_MERCHANDISE_CLOTHING_AND_ACCESSORIES", "Merchandise: clothing", "Clothing"),
    ("GENERAL_MERCHANDISE_ELECTRONICS", "Merchandise: electronics", "Electronics"),
    ("GENERAL_MERCHANDISE_OFFICE_SUPPLIES", "Merchandise: office supplies", "Office supplies"),
    ("GENERAL_MERCHANDISE_SUPERSTORES", "Merchandise: superstores", "Home"),
    ("HOME_IMPROVEMENT", "Home improvement", "Home"),
    ("MEDICAL", "Medical", "Health"),
    ("MEDICAL_PHARMACIES_AND_SUPPLEMENTS", "Medical: pharmacies", "Pharmacy"),
    ("MEDICAL_PRIMARY_CARE", "Medical: primary care", "Doctor"),
    ("PERSONAL_CARE", "Personal care", "Health"),
    ("PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS", "Personal care: gyms", "Fitness"),
    ("GENERAL_SERVICES", "General services", "Shopping"),
    ("GENERAL_SERVICES_ACCOUNTING_AND_FINANCIAL_PLANNING", "Services: accounting", "Professional services"),
    ("GENERAL_SERVICES_CONSULTING_AND_LEGAL", "Services: consulting and legal", "Professional services"),
    ("GENERAL_SERVICES_INSURANCE", "Services: insurance", "Insurance"),
    ("TRANSPORTATION", "Transportation", "Transportation"),
    ("TRANSPORTATION_GAS", "Transportation: gas", "Fuel"),
    ("TRANSPORTATION_PUBLIC_TRANSIT", "Transportation: public transit", "Public transit"),
    ("TRANSPORTATION_TAXIS_AND_RIDE_SHARES", "Transportation: taxis and ride shares", "Rideshare"),
    ("TRAVEL", "Travel", "Travel"),
    ("TRAVEL_FLIGHTS", "Travel: flights", "Flights"),
    ("TRAVEL_LODGING", "Travel: lodging", "Lodging"),
    ("RENT_AND_UTILITIES", "Rent and utilities", "Housing"),
    ("RENT_AND_UTILITIES_RENT", "Rent and utilities: rent", "Rent"),
    ("RENT_AND_UTILITIES_GAS_AND_ELECTRICITY", "Rent and utilities: gas and electricity", "Utilities"),
    ("RENT_AND_UTILITIES_INTERNET_AND_CABLE", "Rent and utilities: internet and cable", "Utilities"),
    ("RENT_AND_UTILITIES_TELEPHONE", "Rent and utilities: telephone", "Utilities"),
    ("GOVERNMENT_AND_NON_PROFIT", "Government and non-profit", "Fees & Charges"),
];

/// Whether `code` is one Manna knows (the mapping page offers only these).
pub fn is_known(code: &str) -> bool {
    DEFAULTS.iter().any(|(c, _, _)| *c == code)
}

/// Where a Plaid category lands: the user's choice for the detailed code, else the
/// default for it, else the user's choice for the primary, else the primary's default.
/// `chosen` looks up the user's overrides; `by_name` finds a default category's id.
/// Returns `None` when nothing applies (then the model decides).
pub fn resolve<Id: Copy>(
    primary: &str,
    detailed: Option<&str>,
    chosen: impl Fn(&str) -> Option<Id>,
    by_name: impl Fn(&str) -> Option<Id>,
) -> Option<Id> {
    let default_for = |code: &str| DEFAULTS.iter().find(|(c, _, _)| *c == code).and_then(|(_, _, name)| by_name(name));
    detailed
        .and_then(|d| chosen(d).or_else(|| default_for(d)))
        .or_else(|| chosen(primary))
        .or_else(|| default_for(primary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_name(name: &str) -> Option<&'static str> {
        match name {
            "Coffee" => Some("coffee-id"),
            "Food" => Some("food-id"),
            _ => None,
        }
    }

    #[test]
    fn detailed_codes_win_then_primary_then_nothing() {
        let none = |_: &str| None;
        assert_eq!(resolve("FOOD_AND_DRINK", Some("FOOD_AND_DRINK_COFFEE"), none, by_name), Some("coffee-id"));
        assert_eq!(resolve("FOOD_AND_DRINK", Some("FOOD_AND_DRINK_UNKNOWN"), none, by_name), Some("food-id"));
        assert_eq!(resolve("FOOD_AND_DRINK", None, none, by_name), Some("food-id"));
        assert_eq!(resolve("SOMETHING_NEW", None, none, by_name), None);
    }

    #[test]
    fn the_users_choice_overrides_the_default() {
        let chosen = |code: &str| (code == "FOOD_AND_DRINK_COFFEE").then_some("treats-id");
        assert_eq!(resolve("FOOD_AND_DRINK", Some("FOOD_AND_DRINK_COFFEE"), chosen, by_name), Some("treats-id"));
        let primary_only = |code: &str| (code == "FOOD_AND_DRINK").then_some("eating-id");
        // a detailed default still beats a primary override: the detailed code is more specific
        assert_eq!(resolve("FOOD_AND_DRINK", Some("FOOD_AND_DRINK_COFFEE"), primary_only, by_name), Some("coffee-id"));
        assert_eq!(resolve("FOOD_AND_DRINK", Some("FOOD_AND_DRINK_OTHER"), primary_only, by_name), Some("eating-id"));
    }

    #[test]
    fn every_code_is_unique_and_upper_snake_case() {
        let mut codes: Vec<&str> = DEFAULTS.iter().map(|(c, _, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), DEFAULTS.len());
        assert!(codes.iter().all(|c| c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_')));
        assert!(is_known("TRAVEL_FLIGHTS") && !is_known("travel"));
    }
}
