//! The OTLP/HTTP exporter, from the standard variables. The SDK reads most of them
//! itself: the endpoint, headers, timeout and compression (`OTEL_EXPORTER_OTLP_*`), the
//! sampler (`OTEL_TRACES_SAMPLER[_ARG]`), the batch processor (`OTEL_BSP_*`) and the
//! resource (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`). Read here: whether
//! traces are on at all, the protocol and the compression, because the SDK only warns
//! about a value it cannot use (before the logger is there to show it) and sends
//! something else.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// The most attributes a span (or one of its events or links) keeps.
const SPAN_ATTRIBUTES_AT_MOST: u32 = 32;
/// The most events a span keeps.
const SPAN_EVENTS_AT_MOST: u32 = 16;
/// The most links a span keeps.
const SPAN_LINKS_AT_MOST: u32 = 4;

/// The variables that turn traces on: an OTLP endpoint, for traces or for every signal.
const ENDPOINT_VARS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];
/// The protocol variables, the traces one first (it wins, as the SDK has it).
const PROTOCOL_VARS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
];
/// The compression variables, likewise.
const COMPRESSION_VARS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
];
/// How long the last spans may take to leave at exit; a collector that is gone must
/// not hold the process up for long.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Why traces could not be set up as the variables say.
#[derive(Debug, thiserror::Error)]
pub enum TracesError {
    /// A protocol this build does not speak.
    #[error(
        "{var}={value}: OTLP over gRPC is not supported by arcade-mcp-gateway; \
         set {var}=http/protobuf (or http/json) and point OTEL_EXPORTER_OTLP_ENDPOINT at the \
         collector's OTLP/HTTP port (usually 4318)"
    )]
    Grpc {
        /// The variable that said `grpc`.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// A protocol nobody speaks.
    #[error("{var}={value:?} is not an OTLP protocol; use http/protobuf or http/json")]
    UnknownProtocol {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// A compression this build does not have.
    #[error(
        "{var}={value:?}: arcade-mcp-gateway sends OTLP uncompressed; unset {var} or set it \
         to none"
    )]
    Compression {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// An exporter other than OTLP.
    #[error(
        "OTEL_TRACES_EXPORTER={0:?} is not supported; arcade-mcp-gateway exports traces over \
         OTLP only: set OTEL_TRACES_EXPORTER=otlp (or none, for no traces), or unset it"
    )]
    UnsupportedExporter(String),
    /// The SDK refused the configuration (e.g. a malformed endpoint URL).
    #[error(
        "cannot set up the OTLP trace exporter: {0}; check OTEL_EXPORTER_OTLP_ENDPOINT \
         (e.g. http://127.0.0.1:4318) and the other OTEL_EXPORTER_OTLP_* variables"
    )]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// The trace pipeline while it runs: the layer that turns this crate's spans into
/// OpenTelemetry spans, and the provider that batches and exports them.
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// The pipeline the variables ask for, or `None` when they ask for none: no
    /// endpoint set, `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
    pub fn from_env() -> Result<Option<Self>, TracesError> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, TracesError> {
        if !wanted(&var)? {
            return Ok(None);
        }
        uncompressed(&var)?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(protocol(&var)?)
            .build()?;
        // A span here has about a dozen attributes, no events and one link at most: the
        // limits only stop a span swelling if a library ever adds to them.
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(Resource::builder().build())
            .with_max_attributes_per_span(SPAN_ATTRIBUTES_AT_MOST)
            .with_max_events_per_span(SPAN_EVENTS_AT_MOST)
            .with_max_links_per_span(SPAN_LINKS_AT_MOST)
            .with_max_attributes_per_event(SPAN_ATTRIBUTES_AT_MOST)
            .with_max_attributes_per_link(SPAN_ATTRIBUTES_AT_MOST)
            .build();
        Ok(Some(Self { provider }))
    }

    /// The layer to install: only the spans of [`super::spans`] pass it, never an
    /// event, so a log line (or a library's span) cannot carry anything into a trace.
    pub fn layer<S>(&self) -> impl Layer<S> + Send + Sync + 'static
    where
        S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    {
        let tracer = self.provider.tracer(env!("CARGO_PKG_NAME"));
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_filter(super::spans::only_ours())
    }

    /// Sends the spans still queued and stops the exporter, waiting a few seconds at
    /// most: call once, as the process ends.
    pub fn shutdown(self) {
        if let Err(error) = self.provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT) {
            tracing::warn!(%error, "the last spans may not have reached the OTLP collector");
        }
    }
}

/// Whether the variables ask for traces.
fn wanted(var: &impl Fn(&str) -> Option<String>) -> Result<bool, TracesError> {
    if var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return Ok(false);
    }
    match var("OTEL_TRACES_EXPORTER").map(|v| v.trim().to_ascii_lowercase()) {
        Some(exporter) if exporter == "none" => return Ok(false),
        Some(exporter) if exporter != "otlp" => {
            return Err(TracesError::UnsupportedExporter(exporter));
        }
        _ => {}
    }
    Ok(ENDPOINT_VARS.iter().any(|name| var(name).is_some()))
}

/// Checks that no compression is asked for: the SDK would warn (before any logger is
/// there to show it) and send uncompressed anyway.
fn uncompressed(var: &impl Fn(&str) -> Option<String>) -> Result<(), TracesError> {
    let asked = COMPRESSION_VARS
        .iter()
        .find_map(|name| var(name).map(|value| (*name, value)));
    match asked {
        Some((name, value)) if !value.trim().eq_ignore_ascii_case("none") => {
            Err(TracesError::Compression { var: name, value })
        }
        _ => Ok(()),
    }
}

/// The protocol the variables name, `http/protobuf` when they name none.
fn protocol(var: &impl Fn(&str) -> Option<String>) -> Result<Protocol, TracesError> {
    let Some((name, value)) = PROTOCOL_VARS
        .iter()
        .find_map(|name| var(name).map(|value| (*name, value)))
    else {
        return Ok(Protocol::HttpBinary);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "http/protobuf" => Ok(Protocol::HttpBinary),
        "http/json" => Ok(Protocol::HttpJson),
        "grpc" => Err(TracesError::Grpc { var: name, value }),
        _ => Err(TracesError::UnknownProtocol { var: name, value }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn traces_are_off_without_an_endpoint_or_when_disabled() {
        assert!(!wanted(&vars(&[("OTEL_SERVICE_NAME", "gw")])).unwrap());
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
        assert!(wanted(&vars(&[endpoint])).unwrap());
        assert!(
            wanted(&vars(&[(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://c:4318"
            )]))
            .unwrap()
        );
        assert!(!wanted(&vars(&[endpoint, ("OTEL_SDK_DISABLED", "TRUE")])).unwrap());
        assert!(!wanted(&vars(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")])).unwrap());
        assert!(wanted(&vars(&[endpoint, ("OTEL_TRACES_EXPORTER", "otlp")])).unwrap());
        let zipkin = wanted(&vars(&[endpoint, ("OTEL_TRACES_EXPORTER", "zipkin")])).unwrap_err();
        assert!(zipkin.to_string().contains("OTLP only"), "{zipkin}");
    }

    #[test]
    fn the_protocol_is_http_and_grpc_is_refused_with_what_to_use() {
        assert_eq!(protocol(&vars(&[])).unwrap(), Protocol::HttpBinary);
        let json = vars(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "HTTP/JSON")]);
        assert_eq!(protocol(&json).unwrap(), Protocol::HttpJson);
        let traces_first = vars(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
        ]);
        assert_eq!(protocol(&traces_first).unwrap(), Protocol::HttpBinary);
        let grpc = protocol(&vars(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")])).unwrap_err();
        let message = grpc.to_string();
        assert!(message.contains("gRPC is not supported"), "{message}");
        assert!(
            message.contains("http/protobuf") && message.contains("4318"),
            "{message}"
        );
        let typo = protocol(&vars(&[(
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "http/proto",
        )]));
        assert!(
            typo.unwrap_err()
                .to_string()
                .contains("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        );
    }

    #[test]
    fn a_compression_is_refused_rather_than_ignored() {
        assert!(uncompressed(&vars(&[])).is_ok());
        assert!(uncompressed(&vars(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "NONE")])).is_ok());
        let gzip = uncompressed(&vars(&[("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip")]));
        let message = gzip.unwrap_err().to_string();
        assert!(
            message.contains("uncompressed") && message.contains("none"),
            "{message}"
        );
    }
}
