//! Logs: `tracing` to stderr only, because stdout belongs to the stdio protocol.
//! `RUST_LOG` sets the level; without it, each command has its own default. When
//! traces are on, their layer sits beside the logger (see [`crate::telemetry`]).

use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::telemetry::{Traces, is_trace_span};

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
/// otherwise, and the layer of `traces` when there are any. Call once, first thing.
pub fn init(default_level: &str, format: LogFormat, traces: Option<&Traces>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let logger = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    let logger: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Text => logger.boxed(),
        LogFormat::Json => logger.json().boxed(),
    };
    // The trace spans are for the collector: log lines look the same with traces on.
    let logged = filter.and(filter_fn(|metadata| !is_trace_span(metadata)));
    tracing_subscriber::registry()
        .with(logger.with_filter(logged))
        .with(traces.map(Traces::layer))
        .init();
}
