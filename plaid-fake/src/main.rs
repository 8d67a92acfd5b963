//! `plaid-fake`: the fake Plaid as a standalone server (for running Manna by hand or
//! from browser tests). `cargo run -p plaid-fake -- --port 4010`

use clap::Parser;
use plaid_fake::{DEFAULT_CLIENT_ID, DEFAULT_SECRET, FakeState};
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(name = "plaid-fake", about = "A local fake of Plaid's API for Manna's tests")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 4010)]
    port: u16,
    /// The client_id the fake accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    client_id: String,
    /// The secret the fake accepts.
    #[arg(long, default_value = DEFAULT_SECRET)]
    secret: String,
    /// Transactions each new item starts with.
    #[arg(long)]
    initial_transactions: Option<usize>,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("plaid_fake=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("plaid-fake: cannot listen on {}:{}: {e}", args.host, args.port);
            return std::process::ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(args.port);
    let state = Arc::new(FakeState::new(&args.client_id, &args.secret));
    if let Some(n) = args.initial_transactions {
        state.set_initial_transactions(n);
    }
    println!("plaid-fake listening on http://{}:{port}", args.host);
    println!("client_id: {}", args.client_id);
    println!("secret: {}", args.secret);
    println!("webhook key id: {}", state.webhook_key_id());
    match plaid_fake::serve(listener, state, shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plaid-fake: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
