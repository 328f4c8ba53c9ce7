//! A small OTLP/HTTP trace receiver on loopback: takes `POST /v1/traces` as protobuf
//! (decoded with `opentelemetry-proto`) or as JSON, and keeps every span it was sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;
use serde_json::Value;

use super::{loopback_listener, serve};

/// `SPAN_KIND_SERVER` in OTLP.
pub const SERVER: i32 = 2;
/// `SPAN_KIND_CLIENT` in OTLP.
pub const CLIENT: i32 = 3;

/// One received span, ids in lowercase hex as in `traceparent`.
#[derive(Debug, Clone)]
pub struct Span {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    pub trace_state: String,
    pub name: String,
    pub kind: i32,
    /// Each attribute's value as text.
    pub attributes: BTreeMap<String, String>,
    /// The resource's `service.name`.
    pub service: String,
}

impl Span {
    /// The attribute `key`, which must be there.
    pub fn attribute(&self, key: &str) -> &str {
        self.attributes
            .get(key)
            .unwrap_or_else(|| panic!("span {} has no {key}: {:?}", self.name, self.attributes))
    }
}

/// What the receiver has taken in.
#[derive(Default)]
struct Received {
    spans: Vec<Span>,
    /// The `Content-Type` of each export.
    content_types: Vec<String>,
}

/// The running receiver.
pub struct Receiver {
    /// `http://127.0.0.1:PORT`, for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub endpoint: String,
    received: Arc<Mutex<Received>>,
}

impl Receiver {
    /// Starts one on a free loopback port.
    pub async fn start() -> Self {
        let received = Arc::new(Mutex::new(Received::default()));
        let app = Router::new()
            .route("/v1/traces", post(export))
            .with_state(received.clone());
        let (listener, addr) = loopback_listener().await;
        serve(listener, app);
        Self {
            endpoint: format!("http://{addr}"),
            received,
        }
    }

    /// The `Content-Type` of every export so far.
    pub fn content_types(&self) -> Vec<String> {
        self.received.lock().unwrap().content_types.clone()
    }

    /// Every span so far, once `ready` holds for them (polled for up to 10 s).
    pub async fn spans_once(&self, what: &str, ready: impl Fn(&[Span]) -> bool) -> Vec<Span> {
        for _ in 0..200 {
            let spans = self.received.lock().unwrap().spans.clone();
            if ready(&spans) {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let spans = self.received.lock().unwrap().spans.clone();
        panic!("the receiver never got {what}; it has {spans:#?}");
    }
}

async fn export(
    State(received): State<Arc<Mutex<Received>>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, [(header::HeaderName, &'static str); 1], Vec<u8>) {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (spans, answer) = if content_type.starts_with("application/json") {
        let request: Value = serde_json::from_slice(&body).expect("an OTLP/JSON export");
        (from_json(&request), ("application/json", b"{}".to_vec()))
    } else {
        let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
        (from_proto(request), ("application/x-protobuf", Vec::new()))
    };
    let mut received = received.lock().unwrap();
    received.spans.extend(spans);
    received.content_types.push(content_type);
    (StatusCode::OK, [(header::CONTENT_TYPE, answer.0)], answer.1)
}

fn from_proto(request: ExportTraceServiceRequest) -> Vec<Span> {
    let mut spans = Vec::new();
    for resource_spans in request.resource_spans {
        let resource = resource_spans.resource.map(|r| attributes(&r.attributes));
        let service = resource
            .and_then(|mut r| r.remove("service.name"))
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            spans.extend(scope.spans.into_iter().map(|span| Span {
                trace_id: hex::encode(&span.trace_id),
                span_id: hex::encode(&span.span_id),
                parent_span_id: hex::encode(&span.parent_span_id),
                trace_state: span.trace_state,
                name: span.name,
                kind: span.kind,
                attributes: attributes(&span.attributes),
                service: service.clone(),
            }));
        }
    }
    spans
}

fn attributes(pairs: &[KeyValue]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|pair| (pair.key.clone(), proto_text(pair.value.as_ref())))
        .collect()
}

fn proto_text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

/// OTLP/JSON: ids in hex, enums as numbers, each value as `{"<type>Value": …}`.
fn from_json(request: &Value) -> Vec<Span> {
    let mut spans = Vec::new();
    for resource_spans in request["resourceSpans"].as_array().into_iter().flatten() {
        let service = json_attributes(&resource_spans["resource"]["attributes"])
            .remove("service.name")
            .unwrap_or_default();
        for scope in resource_spans["scopeSpans"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for span in scope["spans"].as_array().into_iter().flatten() {
                let text = |key: &str| span[key].as_str().unwrap_or_default().to_owned();
                spans.push(Span {
                    trace_id: text("traceId"),
                    span_id: text("spanId"),
                    parent_span_id: text("parentSpanId"),
                    trace_state: text("traceState"),
                    name: text("name"),
                    kind: span["kind"].as_i64().unwrap_or_default() as i32,
                    attributes: json_attributes(&span["attributes"]),
                    service: service.clone(),
                });
            }
        }
    }
    spans
}

fn json_attributes(pairs: &Value) -> BTreeMap<String, String> {
    let mut attributes = BTreeMap::new();
    for pair in pairs.as_array().into_iter().flatten() {
        let value = pair["value"]
            .as_object()
            .and_then(|typed| typed.values().next())
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        attributes.insert(pair["key"].as_str().unwrap_or_default().to_owned(), value);
    }
    attributes
}
