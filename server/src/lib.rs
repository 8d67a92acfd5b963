//! The `manna` binary's library: configuration, the embedded Postgres, the HTTP
//! server, and the CLI commands. `main.rs` only parses arguments and reports errors.
#![forbid(unsafe_code)]

pub mod assets;
pub mod audit;
pub mod cli;
pub mod config;
pub mod csrf;
pub mod db;
pub mod embedded_pg;
pub mod export;
pub mod indexes;
pub mod maintenance;
pub mod seed;
pub mod startup;
