//! Logs: `tracing` to stderr only, because stdout belongs to the stdio protocol.
//! `RUST_LOG` sets the level; without it, each command has its own default.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One readable line an event.
    #[default]
    Text,
    /// One JSON object an event (`timestamp`, `level`, `fields`, `span`, `spans`), for
    /// log collectors.
    Json,
}

/// Installs the stderr logger in `format`, at `default_level` unless `RUST_LOG` says
/// otherwise. Call once, first thing.
pub fn init(default_level: &str, format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let logger = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    match format {
        LogFormat::Text => logger.init(),
        LogFormat::Json => logger.json().init(),
    }
}
