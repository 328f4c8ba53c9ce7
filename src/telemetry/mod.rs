//! OpenTelemetry traces: off unless the standard `OTEL_*` variables turn them on, then
//! one span per MCP request and a child span per Arcade or provider request, exported
//! over OTLP/HTTP in batches from a thread of their own (see `docs/tracing.md`).
//!
//! - [`export`]: the exporter and tracer provider, built from the environment; flushed
//!   on exit.
//! - [`propagation`]: W3C trace context in (HTTP headers, a request's `_meta`) and out
//!   (the headers of every upstream request).
//! - [`spans`]: the spans and their attributes, the only place spans are made, so
//!   that nothing but what is named there (never an argument, a token or a key)
//!   reaches a collector.
//!
//! With the variables unset no OpenTelemetry layer is installed: the spans are
//! disabled at their call sites and cost nothing.

mod export;
mod propagation;
mod spans;

pub use export::{Traces, TracesError};
pub use propagation::send_traced;
pub use spans::{McpRequest, Upstream, is_trace_span, record_authorization};
