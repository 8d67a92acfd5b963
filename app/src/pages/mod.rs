pub mod accounts;
pub mod auth;
pub mod dashboard;
pub mod not_found;
pub mod placeholder;
pub mod settings;
pub mod transactions;
