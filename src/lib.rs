//! Manna's domain: pure logic with no I/O and no framework.
//!
//! Compiled for the server and for the browser (wasm), so anything the page needs to
//! format or validate lives here once.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod bank_categories;
pub mod bank_sync;
pub mod budget;
pub mod categorizer;
pub mod identity;
pub mod import;
pub mod ledger;
pub mod money;
pub mod period;
pub mod report;
pub mod risk;
pub mod rules;
pub mod totp;

pub use accounts::{AccountKind, BalanceSummary};
pub use money::{Currency, MoneyError, format_money, parse_amount};
