//! Every span the gateway exports, with its attributes, after the OpenTelemetry
//! semantic conventions for MCP (server side) and for HTTP clients. The exporting
//! layer lets through the spans made here and nothing else (see [`only_ours`]), so
//! this file is the whole list of what a collector can learn: methods, tool names,
//! ids, status codes, outcome classes, and the user only as a digest. Never an
//! argument, a token, a key or a header. Every value a client chose (a tool name, a
//! request id, a session id, a protocol version) is cut at [`MAX_ATTRIBUTE_BYTES`], so a
//! client cannot swell the spans queued for the collector.

use opentelemetry::trace::Status;
use rmcp::service::{RequestContext, RoleServer};
use sha2::{Digest, Sha256};

use crate::outcome::CallOutcome;
use tracing::field::Empty;
use tracing::{Metadata, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{FilterFn, LevelFilter, filter_fn};

/// Whether `metadata` is one of the spans made here (the stderr logger leaves them
/// out, so its lines stay as they are with traces on or off).
pub fn is_trace_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && metadata.target() == module_path!()
}

/// The filter of the exporting layer: these spans, no events, no other span.
pub(super) fn only_ours() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    filter_fn(is_trace_span as fn(&Metadata<'_>) -> bool).with_max_level_hint(LevelFilter::INFO)
}

/// The longest attribute value (or span name's target) recorded, in bytes.
pub const MAX_ATTRIBUTE_BYTES: usize = 128;

/// `value` up to [`MAX_ATTRIBUTE_BYTES`], cut at a character's edge.
fn bounded(value: &str) -> &str {
    if value.len() <= MAX_ATTRIBUTE_BYTES {
        return value;
    }
    let mut end = MAX_ATTRIBUTE_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// One MCP request, as a server span `{mcp.method.name} {target}`.
pub struct McpRequest {
    span: Span,
}

impl McpRequest {
    /// The span of the request `context` of `method`, on `tool` for a `tools/call`,
    /// child of the caller's span when `_meta` or the HTTP headers name one.
    pub fn start(
        method: &'static str,
        tool: Option<&str>,
        context: &RequestContext<RoleServer>,
    ) -> Self {
        let parts = context.extensions.get::<http::request::Parts>();
        let tool = tool.map(bounded);
        // The fields are only evaluated when some layer wants the span.
        let span = tracing::info_span!(
            "mcp.request",
            otel.name = match tool {
                Some(tool) => format!("{method} {tool}"),
                None => method.to_owned(),
            },
            otel.kind = "server",
            mcp.method.name = method,
            gen_ai.operation.name = tool.map(|_| "execute_tool"),
            gen_ai.tool.name = tool,
            jsonrpc.request.id = bounded(&context.id.to_string()),
            mcp.session.id = Empty,
            mcp.protocol.version = Empty,
            network.transport = if parts.is_some() { "tcp" } else { "pipe" },
            error.type = Empty,
            arcade.outcome = Empty,
            arcade.authorization.strategy = Empty,
            arcade.authorization.outcome = Empty,
            enduser.id = Empty,
        );
        if span.is_disabled() {
            return Self { span };
        }
        if let Some(version) = context.protocol_version() {
            span.record("mcp.protocol.version", bounded(version.as_str()));
        }
        let session = parts
            .and_then(|parts| parts.headers.get("mcp-session-id"))
            .and_then(|value| value.to_str().ok());
        if let Some(session) = session {
            span.record("mcp.session.id", bounded(session));
        }
        let headers = parts.map(|parts| &parts.headers);
        if let Some(parent) = super::propagation::incoming(&context.meta, headers) {
            // Fails only for a span already started (not this new one) or one no
            // OpenTelemetry layer took (then there is no trace to join).
            let _ = span.set_parent(parent);
        }
        Self { span }
    }

    /// The span, to run the request's handler in.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Records who the request acts for, as a digest: traces are shared more widely
    /// than the user directory.
    pub fn user(&self, user: &str) {
        if !self.span.is_disabled() {
            self.span.record("enduser.id", hashed_user(user));
        }
    }

    /// Records how the request ended.
    pub fn finish(&self, outcome: CallOutcome) {
        if self.span.is_disabled() {
            return;
        }
        self.span.record("arcade.outcome", outcome.span_label());
        if let Some(error_type) = outcome.error_type() {
            self.span.record("error.type", error_type.as_str());
            self.span.set_status(Status::error(error_type));
        }
    }
}

/// Records on the current MCP request's span how its pending grant reached the person
/// (`link`, `url_elicitation`, `input_required`) and what came of it.
pub fn record_authorization(strategy: &str, outcome: &str) {
    let span = Span::current();
    span.record("arcade.authorization.strategy", strategy);
    span.record("arcade.authorization.outcome", outcome);
}

/// `user` as the hex of the first 16 bytes of its SHA-256: the same user gives the
/// same value on every replica, and the value does not give the user back.
fn hashed_user(user: &str) -> String {
    hex::encode(&Sha256::digest(user.as_bytes())[..16])
}

/// Who a request goes to: the span says no more than this allows.
#[derive(Debug, Clone, Copy)]
pub enum Upstream {
    /// The Arcade Engine, on the route `template` (e.g. `/v1/tools/execute`): its
    /// paths carry tool names and ids, never a tool's input, so `url.path` is kept.
    Arcade {
        /// The route, low in cardinality, for the span's name.
        template: &'static str,
    },
    /// A provider's API (a direct tool): its path may hold the tool's arguments, so
    /// only the method and the host are kept.
    Provider,
}

/// The HTTP client span of one request to `upstream`.
pub(super) fn http_client(upstream: Upstream, method: &reqwest::Method, url: &url::Url) -> Span {
    let (template, path, peer) = match upstream {
        Upstream::Arcade { template } => (Some(template), Some(url.path()), "arcade"),
        Upstream::Provider => (None, None, "provider"),
    };
    tracing::info_span!(
        "http.client",
        otel.name = match template {
            Some(template) => format!("{method} {template}"),
            None => method.to_string(),
        },
        otel.kind = "client",
        http.request.method = method.as_str(),
        server.address = url.host_str(),
        server.port = url.port_or_known_default(),
        url.template = template,
        url.path = path,
        http.response.status_code = Empty,
        error.type = Empty,
        arcade.upstream = peer,
    )
}

/// Records the answer (its status) or the failure's class on `span`.
pub(super) fn record_response(span: &Span, response: &Result<reqwest::Response, reqwest::Error>) {
    let error_type = match response {
        Ok(response) => {
            let status = response.status().as_u16();
            span.record("http.response.status_code", status);
            (status >= 400).then(|| status.to_string())
        }
        Err(error) if error.is_timeout() => Some("timeout".to_owned()),
        Err(error) if error.is_connect() => Some("connect_error".to_owned()),
        Err(_) => Some("request_error".to_owned()),
    };
    if let Some(error_type) = error_type {
        span.record("error.type", error_type.as_str());
        span.set_status(Status::error(error_type));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_chosen_values_are_cut_at_a_character_edge() {
        assert_eq!(bounded("Math_Add"), "Math_Add");
        let long = "é".repeat(MAX_ATTRIBUTE_BYTES);
        assert_eq!(bounded(&long).len(), MAX_ATTRIBUTE_BYTES);
        let odd = format!("a{long}");
        assert_eq!(bounded(&odd).len(), MAX_ATTRIBUTE_BYTES - 1);
    }

    #[test]
    fn a_user_is_a_stable_digest_that_does_not_show_the_id() {
        let hashed = hashed_user("ann@example.com");
        assert_eq!(hashed.len(), 32);
        assert_eq!(hashed, hashed_user("ann@example.com"));
        assert_ne!(hashed, hashed_user("bob@example.com"));
        assert!(!hashed.contains("ann"));
    }
}
