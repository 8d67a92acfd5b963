//! The `manna` binary's library: configuration, the embedded Postgres, the HTTP
//! server, and the CLI commands. `main.rs` only parses arguments and reports errors.
#![forbid(unsafe_code)]
// The page views of `app` are deeply nested types; rendering them here needs the same
// limit as `app` itself.
#![recursion_limit = "256"]

/// The allocator of the binary, its tests and benchmarks (they all link this crate).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod assets;
pub mod audit;
pub mod backup;
pub mod body_limit;
pub mod cli;
pub mod config;
pub mod csrf;
pub mod db;
pub mod embedded_pg;
pub mod export;
pub mod import_cli;
pub mod indexes;
pub mod ledger_export;
pub mod maintenance;
pub mod ml;
pub mod plaid_cli;
pub mod plaid_webhook;
pub mod rate_limit;
pub mod report_export;
pub mod report_pdf;
pub mod seed;
pub mod session_cache;
pub mod startup;
pub mod workers;
