//! Logs: `tracing` to stderr only, because stdout belongs to the stdio protocol.
//! `RUST_LOG` sets the level (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the stderr logger. Call once, first thing.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .init();
}
