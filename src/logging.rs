//! Logs: `tracing` to stderr only, because stdout belongs to the stdio protocol.
//! `RUST_LOG` sets the level; without it, each command has its own default.

use tracing_subscriber::EnvFilter;

/// Installs the stderr logger, at `default_level` unless `RUST_LOG` says otherwise.
/// Call once, first thing.
pub fn init(default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .init();
}
