//! Integration tests: real Postgres (a project-local cluster), real HTTP, the real binary.
//! One test binary, so the server links once.

mod accounts;
mod auth;
mod backup;
mod budgets;
mod categorize;
mod cli;
mod faults;
mod harness;
mod http;
mod import;
mod keys;
mod ledger;
mod ledger_isolation;
mod mfa;
mod pickers;
mod plaid;
mod plaid_cli;
mod plaid_nodes;
mod plaid_setup;
mod prediction_keys;
mod privacy;
mod reports;
mod rls;
mod row_links;
mod schema;
mod seed;
mod settings;
mod transactions;
