//! Account kinds and what their balances mean for net worth.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The `account_type` enum in the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Depository,
    Credit,
    Loan,
    Investment,
    Other,
}

impl AccountKind {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "depository" => Self::Depository,
            "credit" => Self::Credit,
            "loan" => Self::Loan,
            "investment" => Self::Investment,
            "other" => Self::Other,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Depository => "Cash",
            Self::Credit => "Credit cards",
            Self::Loan => "Loans",
            Self::Investment => "Investments",
            Self::Other => "Other",
        }
    }

    /// Credit and loan balances are amounts owed (as Plaid reports them): positive
    /// means debt. Everything else is an asset.
    pub fn is_liability(self) -> bool {
        matches!(self, Self::Credit | Self::Loan)
    }
}

/// Assets, liabilities and net worth over a set of accounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceSummary {
    pub assets: Decimal,
    pub liabilities: Decimal,
}

impl BalanceSummary {
    pub fn from_balances<I: IntoIterator<Item = (AccountKind, Decimal)>>(balances: I) -> Self {
        let mut summary = Self::default();
        for (kind, balance) in balances {
            if kind.is_liability() {
                summary.liabilities += balance;
            } else {
                summary.assets += balance;
            }
        }
        summary
    }

    pub fn net_worth(&self) -> Decimal {
        self.assets - self.liabilities
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_worth_subtracts_debt() {
        let s = BalanceSummary::from_balances([
            (AccountKind::Depository, Decimal::new(500000, 2)),
            (AccountKind::Investment, Decimal::new(100, 0)),
            (AccountKind::Credit, Decimal::new(120050, 2)),
            (AccountKind::Loan, Decimal::new(1000, 0)),
        ]);
        assert_eq!(s.assets, Decimal::new(510000, 2));
        assert_eq!(s.liabilities, Decimal::new(220050, 2));
        assert_eq!(s.net_worth(), Decimal::new(289950, 2));
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            AccountKind::Depository,
            AccountKind::Credit,
            AccountKind::Loan,
            AccountKind::Investment,
            AccountKind::Other,
        ] {
            let s = serde_json::to_string(&k).unwrap();
            assert_eq!(AccountKind::parse(s.trim_matches('"')), Some(k));
        }
        assert_eq!(AccountKind::parse("bogus"), None);
    }
}
