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

/// A manual account as the user describes it, validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    pub name: String,
    pub kind: AccountKind,
    pub subtype: Option<String>,
    pub is_business: bool,
    pub currency: crate::Currency,
    /// What the account holds today (for credit and loans: what is owed).
    pub opening_balance: Decimal,
    pub credit_limit: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("give the account a name")]
    NameEmpty,
    #[error("account names are at most 200 characters")]
    NameTooLong,
    #[error("choose an account type")]
    UnknownKind,
    #[error("opening balance: {0}")]
    Balance(crate::MoneyError),
    #[error("credit limit: {0}")]
    Limit(crate::MoneyError),
    #[error("a credit limit cannot be negative")]
    NegativeLimit,
    #[error("only credit accounts have a credit limit")]
    LimitOnNonCredit,
    #[error("{0}")]
    Currency(crate::MoneyError),
}

/// The account name, trimmed, without control characters, 1..=200 characters.
pub fn parse_account_name(input: &str) -> Result<String, AccountError> {
    let name: String = input.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountError::NameEmpty);
    }
    if name.chars().count() > 200 {
        return Err(AccountError::NameTooLong);
    }
    Ok(name.to_string())
}

impl NewAccount {
    /// Parses a manual account from what a form sends. Empty balance means zero; an
    /// empty limit means none.
    pub fn parse(
        name: &str,
        kind: &str,
        subtype: &str,
        is_business: bool,
        currency: &str,
        opening_balance: &str,
        credit_limit: &str,
    ) -> Result<Self, AccountError> {
        let name = parse_account_name(name)?;
        let kind = AccountKind::parse(kind.trim()).ok_or(AccountError::UnknownKind)?;
        let subtype = Some(subtype.trim()).filter(|s| !s.is_empty()).map(|s| s.chars().take(50).collect());
        let currency = crate::Currency::parse(currency).map_err(AccountError::Currency)?;
        let opening_balance = if opening_balance.trim().is_empty() {
            Decimal::ZERO
        } else {
            crate::parse_amount(opening_balance).map_err(AccountError::Balance)?
        };
        let credit_limit = if credit_limit.trim().is_empty() {
            None
        } else {
            let limit = crate::parse_amount(credit_limit).map_err(AccountError::Limit)?;
            if limit.is_sign_negative() {
                return Err(AccountError::NegativeLimit);
            }
            if kind != AccountKind::Credit {
                return Err(AccountError::LimitOnNonCredit);
            }
            Some(limit)
        };
        Ok(NewAccount { name, kind, subtype, is_business, currency, opening_balance, credit_limit })
    }

    /// The ledger entry that gives the account its opening balance (positive = money
    /// in): a liability's balance is what is owed, so it enters negated.
    pub fn opening_entry(&self) -> Decimal {
        if self.kind.is_liability() { -self.opening_balance } else { self.opening_balance }
    }
}

#[cfg(test)]
mod new_account_tests {
    use super::*;

    #[test]
    fn parses_a_form() {
        let a = NewAccount::parse("  Travel card ", "credit", "credit card", false, "usd", "1,200.50", "5000").unwrap();
        assert_eq!(a.name, "Travel card");
        assert_eq!(a.kind, AccountKind::Credit);
        assert_eq!(a.currency.as_str(), "USD");
        assert_eq!(a.opening_balance, Decimal::new(120050, 2));
        assert_eq!(a.opening_entry(), Decimal::new(-120050, 2));
        assert_eq!(a.credit_limit, Some(Decimal::new(5000, 0)));
        let cash = NewAccount::parse("Wallet", "depository", "", false, "USD", "", "").unwrap();
        assert_eq!(cash.opening_balance, Decimal::ZERO);
        assert_eq!(cash.subtype, None);
    }

    #[test]
    fn refuses_with_reasons() {
        let p = |name: &str, kind: &str, bal: &str, limit: &str| {
            NewAccount::parse(name, kind, "", false, "USD", bal, limit)
        };
        assert_eq!(p(" ", "depository", "", ""), Err(AccountError::NameEmpty));
        let long = "x".repeat(201);
        assert_eq!(p(&long, "depository", "", ""), Err(AccountError::NameTooLong));
        assert_eq!(p("A", "piggy", "", ""), Err(AccountError::UnknownKind));
        assert!(matches!(p("A", "depository", "12.345", ""), Err(AccountError::Balance(_))));
        assert_eq!(p("A", "depository", "", "100"), Err(AccountError::LimitOnNonCredit));
        assert_eq!(p("A", "credit", "", "-5"), Err(AccountError::NegativeLimit));
        assert!(NewAccount::parse("A", "depository", "", false, "dollars", "", "").is_err());
    }
}
