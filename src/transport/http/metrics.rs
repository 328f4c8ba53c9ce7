//! `/metrics` in the Prometheus text format: HTTP requests, tool calls by outcome,
//! authorization prompts, refusals over the limits, how long tool calls take, and whether
//! the replicas' Redis answers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::gateway::CallObserver;
use crate::outcome::CallOutcome;
use crate::shared_state::SharedState;

/// The content type Prometheus scrapers expect for the text format.
const TEXT_FORMAT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every label value comes from a fixed set: a label copied from the request would add
/// a series, never freed, for each new value a client makes up.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

/// The route label of a request: the template of the route it matched (one of this
/// server's own), or `unmatched`.
fn route_label(matched: Option<&MatchedPath>) -> String {
    matched.map_or("unmatched", MatchedPath::as_str).to_owned()
}

/// The method label of a request: a standard method, or `other`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: &[Method] = &[
        Method::GET,
        Method::POST,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::PUT,
        Method::PATCH,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", Method::as_str)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// The server's counters, shared by the middleware, the gateway and the `/metrics` route.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    tool_calls: Family<OutcomeLabels, Counter>,
    authorization_prompts: Counter,
    rate_limited: Counter,
    user_verifications: Family<OutcomeLabels, Counter>,
    call_duration: Histogram,
    /// 1 while the replicas' Redis answers, 0 while not; read from `shared` at each scrape.
    redis_reachable: Option<(Gauge, SharedState)>,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("arcade_gateway");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let tool_calls = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "tool_calls",
            "Tool calls finished, by outcome (ok, tool_error, authorization_required)",
            tool_calls.clone(),
        );
        let authorization_prompts = Counter::default();
        registry.register(
            "authorization_prompts",
            "Tool calls answered with an authorization link for the user",
            authorization_prompts.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "rate_limited",
            "Tool calls refused with 429 because a per-user limit was reached",
            rate_limited.clone(),
        );
        let user_verifications = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "user_verifications",
            "Pages of the user verifier (/arcade/verify), by outcome (granted, verification_refused, no_identity, bad_link, …)",
            user_verifications.clone(),
        );
        let call_duration = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register(
            "tool_call_duration_seconds",
            "Time from a tool call's arrival to its result, including every upstream request to Arcade",
            call_duration.clone(),
        );
        Self {
            registry,
            requests,
            tool_calls,
            authorization_prompts,
            rate_limited,
            user_verifications,
            call_duration,
            redis_reachable: None,
        }
    }

    /// The same metrics, with `redis_reachable` when `shared` has a Redis.
    pub fn with_shared_state(mut self, shared: &SharedState) -> Self {
        if shared.redis().is_some() {
            let gauge = Gauge::default();
            self.registry.register(
                "redis_reachable",
                "1 while the Redis replicas share answers, 0 while limits count per replica and retries with requestState are refused",
                gauge.clone(),
            );
            self.redis_reachable = Some((gauge, shared.clone()));
        }
        self
    }

    /// Counts one call refused over a limit.
    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Counts one answer of the user verifier, by its outcome (one of a fixed set).
    pub fn user_verification(&self, outcome: &'static str) {
        self.user_verifications
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    fn render(&self) -> String {
        if let Some((gauge, shared)) = &self.redis_reachable {
            gauge.set(i64::from(shared.redis().is_some_and(|r| r.reachable())));
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl CallObserver for Metrics {
    fn tool_call(&self, _tool: &str, outcome: CallOutcome, elapsed: Duration) {
        let Some(label) = outcome.metric_label() else {
            return;
        };
        if outcome == CallOutcome::AuthorizationRequired {
            self.authorization_prompts.inc();
        }
        let outcome = label;
        self.tool_calls
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
        self.call_duration.observe(elapsed.as_secs_f64());
    }
}

/// The middleware counting every answered request; it runs after the Host/Origin check,
/// so requests from hosts the server does not answer to add nothing.
pub async fn count_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = route_label(request.extensions().get::<MatchedPath>());
    let method = method_label(request.method());
    let response = next.run(request).await;
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// `GET /metrics`.
pub async fn render(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, TEXT_FORMAT)],
        metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_fixed_sets() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(
            method_label(&Method::from_bytes(b"XYZZY").unwrap()),
            "other"
        );
        assert_eq!(route_label(None), "unmatched");
    }
}
