//! W3C trace context (`traceparent`, `tracestate`) across the gateway: taken from an
//! MCP request's `_meta` (SEP-414) or its HTTP headers, given on to Arcade and to a
//! provider in the headers of each request.

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceState};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use rmcp::model::MetaObject;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::spans::{self, Upstream};

/// The keys SEP-414 reserves in `_meta` for the W3C trace context.
const META_KEYS: [&str; 2] = ["traceparent", "tracestate"];

/// The longest `tracestate` taken, in bytes, and the most list-members: what the W3C
/// Trace Context asks every vendor to pass on. A longer one, or one with more members,
/// is dropped whole (the `traceparent` stays): it is neither recorded nor forwarded.
const TRACESTATE_MAX_BYTES: usize = 512;
const TRACESTATE_MAX_MEMBERS: usize = 32;

/// The caller's trace context: the request's own `_meta` when it carries a valid
/// `traceparent` (it belongs to this MCP request, where an HTTP header may belong to
/// a proxy's), else the HTTP request's headers; `None` when neither has one. A
/// `tracestate` past the W3C bounds is left out.
pub(super) fn incoming(meta: &MetaObject, headers: Option<&http::HeaderMap>) -> Option<Context> {
    let propagator = TraceContextPropagator::new();
    let from_meta = propagator.extract(&MetaExtractor(meta));
    let (context, state) = if has_remote_parent(&from_meta) {
        (from_meta, meta.get_tracestate())
    } else {
        let headers = headers?;
        let state = headers.get("tracestate").and_then(|v| v.to_str().ok());
        (propagator.extract(&HeaderExtractor(headers)), state)
    };
    if !has_remote_parent(&context) {
        return None;
    }
    Some(if state.is_none_or(within_bounds) {
        context
    } else {
        without_trace_state(&context)
    })
}

/// Whether a `tracestate` as received is within the W3C bounds.
fn within_bounds(state: &str) -> bool {
    state.len() <= TRACESTATE_MAX_BYTES
        && state.split(',').filter(|m| !m.trim().is_empty()).count() <= TRACESTATE_MAX_MEMBERS
}

/// `context`'s remote parent with an empty `tracestate`.
fn without_trace_state(context: &Context) -> Context {
    let parent = context.span().span_context().clone();
    let parent = SpanContext::new(
        parent.trace_id(),
        parent.span_id(),
        parent.trace_flags(),
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(parent)
}

fn has_remote_parent(context: &Context) -> bool {
    context.span().span_context().is_valid()
}

/// `_meta` read as a carrier of the trace context.
struct MetaExtractor<'a>(&'a MetaObject);

impl Extractor for MetaExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "traceparent" => self.0.get_traceparent(),
            "tracestate" => self.0.get_tracestate(),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        META_KEYS
            .into_iter()
            .filter(|key| self.get(key).is_some())
            .collect()
    }
}

/// Sends `request` to `upstream` inside an HTTP client span, with that span as the
/// `traceparent` of the request, so the upstream's own spans join the trace. With
/// traces off it is a plain `send`.
pub async fn send_traced(
    request: reqwest::RequestBuilder,
    upstream: Upstream,
) -> Result<reqwest::Response, reqwest::Error> {
    let (client, request) = request.build_split();
    let mut request = request?;
    let span = spans::http_client(upstream, request.method(), request.url());
    if span.is_disabled() {
        return client.execute(request).await;
    }
    TraceContextPropagator::new()
        .inject_context(&span.context(), &mut HeaderInjector(request.headers_mut()));
    let response = client.execute(request).instrument(span.clone()).await;
    spans::record_response(&span, &response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM_META: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const FROM_HEADER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn trace_id(context: &Context) -> String {
        context.span().span_context().trace_id().to_string()
    }

    #[test]
    fn meta_wins_over_headers_and_a_bad_traceparent_is_no_parent() {
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", FROM_HEADER.parse().unwrap());
        let mut meta = MetaObject::new();
        assert_eq!(
            trace_id(&incoming(&meta, Some(&headers)).unwrap()),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        meta.set_traceparent(FROM_META);
        meta.set_tracestate("vendor=1");
        let context = incoming(&meta, Some(&headers)).unwrap();
        assert_eq!(trace_id(&context), "0af7651916cd43dd8448eb211c80319c");
        let state = context.span().span_context().trace_state().header();
        assert_eq!(state, "vendor=1");
        assert!(incoming(&meta, None).is_some(), "stdio has no headers");

        let long = format!("vendor={}", "v".repeat(TRACESTATE_MAX_BYTES));
        meta.set_tracestate(&long);
        let context = incoming(&meta, None).unwrap();
        assert_eq!(trace_id(&context), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(context.span().span_context().trace_state().header(), "");

        let mut bad = MetaObject::new();
        bad.set_traceparent("00-not-a-trace-01");
        assert!(incoming(&bad, None).is_none());
        assert!(incoming(&MetaObject::new(), None).is_none());
    }
}
