//! The legacy HTTP+SSE transport driven by hand (`GET /sse`, `POST /messages`): a call
//! keeps its per-user slot until its answer is on the stream, idle sessions close after
//! `--idle-timeout`, and a graceful shutdown waits for the calls in flight.

use std::pin::Pin;
use std::time::{Duration, Instant};

use crate::support::http::{ANN_TOKEN, HttpGateway, bearer, token_gateway};
use crate::support::otlp::Receiver;
use crate::support::start_emulator;
use arcade_mcp_gateway::emulator::{Emulator, Faults};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use sse_stream::{Error as SseError, Sse, SseStream};

/// One legacy session of Ann's.
struct LegacySession {
    http: reqwest::Client,
    messages_url: String,
    events: Pin<Box<dyn Stream<Item = Result<Sse, SseError>> + Send>>,
}

impl LegacySession {
    /// Opens the stream, reads where to post, and goes through `initialize`.
    async fn open(gateway: &HttpGateway) -> Self {
        let http = reqwest::Client::new();
        let [(name, value)] = bearer(ANN_TOKEN);
        let stream = http
            .get(format!("{}/sse", gateway.base))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);
        let mut events = Box::pin(SseStream::from_bytes_stream(stream.bytes_stream()));
        let endpoint = events.next().await.unwrap().unwrap();
        assert_eq!(endpoint.event.as_deref(), Some("endpoint"));
        let mut session = Self {
            http,
            messages_url: format!("{}{}", gateway.base, endpoint.data.unwrap()),
            events,
        };
        session.initialize().await;
        session
    }

    async fn initialize(&mut self) {
        let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2024-11-05", "capabilities": {},
            "clientInfo": {"name": "by-hand", "version": "0"}}});
        assert_eq!(self.post(&initialize).await.status(), 202);
        let answer = self.next_message().await.expect("initialize answered");
        assert_eq!(answer["id"], 0, "{answer}");
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert_eq!(self.post(&initialized).await.status(), 202);
    }

    /// POSTs one message to the session.
    async fn post(&self, message: &Value) -> reqwest::Response {
        self.post_with(message, &[]).await
    }

    /// POSTs one message to the session with the `headers` beside Ann's token.
    async fn post_with(&self, message: &Value, headers: &[(&str, &str)]) -> reqwest::Response {
        let [(name, value)] = bearer(ANN_TOKEN);
        let mut post = self.http.post(&self.messages_url);
        for (header, value) in headers {
            post = post.header(*header, *value);
        }
        post.header(name, value)
            .header("content-type", "application/json")
            .body(message.to_string())
            .send()
            .await
            .unwrap()
    }

    /// POSTs `tools/call` of `Math_Add` with request id `id`.
    async fn add(&self, id: u64) -> reqwest::Response {
        self.post(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "Math_Add", "arguments": {"a": id, "b": 1}}}))
            .await
    }

    /// The next JSON-RPC message on the stream; `None` once the stream has ended.
    /// Panics when neither happens within 10 s.
    async fn next_message(&mut self) -> Option<Value> {
        let next = async {
            while let Some(event) = self.events.next().await {
                let Ok(event) = event else { return None };
                if event.event.as_deref() == Some("message") {
                    return Some(serde_json::from_str(&event.data.unwrap()).unwrap());
                }
            }
            None
        };
        tokio::time::timeout(Duration::from_secs(10), next)
            .await
            .expect("a message or the end of the stream within 10 s")
    }
}

/// Every tool run upstream takes `ms` milliseconds.
fn slow_tools(emulator: &Emulator, ms: u64) {
    emulator.state().set_faults(Faults {
        latency_ms: ms,
        endpoints: Some(vec!["execute".to_owned()]),
        ..Faults::default()
    });
}

/// A gateway started with `args` whose tools each take `ms` upstream, and a session of
/// Ann's on it (the emulator and the token file's directory come along to stay alive).
async fn slow_session(
    ms: u64,
    args: &[&str],
) -> (Emulator, HttpGateway, tempfile::TempDir, LegacySession) {
    let emulator = start_emulator().await;
    slow_tools(&emulator, ms);
    let (gateway, dir) = token_gateway(&emulator.base_url(), args, &[]).await;
    let session = LegacySession::open(&gateway).await;
    (emulator, gateway, dir, session)
}

/// The sum in a `Math_Add` answer.
fn sum(answer: &Value) -> &str {
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_legacy_call_keeps_its_slot_until_its_answer_is_sent() {
    let (_emulator, _gateway, _dir, mut session) =
        slow_session(1_500, &["--max-concurrent-calls", "1"]).await;

    assert_eq!(session.add(1).await.status(), 202);
    let second = session.add(2).await;
    assert_eq!(second.status(), 429, "the first call still runs");
    assert!(second.headers().contains_key("retry-after"));

    let answer = session.next_message().await.unwrap();
    assert_eq!((answer["id"].clone(), sum(&answer)), (json!(1), "2"));
    assert_eq!(session.add(3).await.status(), 202, "the slot is free again");
    let answer = session.next_message().await.unwrap();
    assert_eq!((answer["id"].clone(), sum(&answer)), (json!(3), "4"));
}

#[tokio::test]
async fn an_idle_legacy_session_is_closed_but_not_while_a_call_runs() {
    let (_emulator, _gateway, _dir, mut session) =
        slow_session(2_500, &["--idle-timeout", "1"]).await;

    assert_eq!(session.add(1).await.status(), 202);
    let answer = session.next_message().await;
    assert_eq!(
        answer.as_ref().map(sum),
        Some("2"),
        "a running call keeps the session open"
    );

    let answered = Instant::now();
    assert_eq!(session.next_message().await, None, "the stream ends");
    let closed_after = answered.elapsed();
    assert!(
        closed_after >= Duration::from_millis(900) && closed_after < Duration::from_secs(3),
        "closed {closed_after:?} after the last message"
    );
    let refused = session.add(2).await;
    assert_eq!(refused.status(), 404, "the session is gone");
}

#[tokio::test]
async fn shutdown_waits_for_a_legacy_call_in_flight() {
    let (_emulator, gateway, _dir, mut session) = slow_session(2_000, &[]).await;

    assert_eq!(session.add(1).await.status(), 202);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, answer) = tokio::join!(gateway.terminate(), session.next_message());
    assert_eq!(
        answer.as_ref().map(sum),
        Some("2"),
        "the answer went out before the stream closed: {answer:?}"
    );
    assert!(status.success(), "{status}");
    assert_eq!(session.next_message().await, None, "then the stream closed");
}

#[tokio::test]
async fn a_reused_request_id_is_refused_and_the_call_limit_holds() {
    let (_emulator, _gateway, _dir, mut session) =
        slow_session(1_500, &["--max-concurrent-calls", "2"]).await;

    assert_eq!(session.add(7).await.status(), 202);
    for _ in 0..5 {
        let twin = session.add(7).await;
        assert_eq!(twin.status(), 409, "id 7 is still running");
        let error: Value = twin.json().await.unwrap();
        assert_eq!(error["id"], 7, "{error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains("already in use"), "{message}");
    }
    assert_eq!(session.add(8).await.status(), 202, "the second slot");
    assert_eq!(
        session.add(9).await.status(),
        429,
        "the refused twins freed no slot: calls 7 and 8 still hold both"
    );

    let mut answered = Vec::new();
    for _ in 0..2 {
        let answer = session.next_message().await.unwrap();
        answered.push(answer["id"].as_u64().unwrap());
    }
    answered.sort_unstable();
    assert_eq!(answered, [7, 8], "each call answered once");
    assert_eq!(
        session.add(7).await.status(),
        202,
        "an answered id is free again"
    );
}

#[tokio::test]
async fn a_traceparent_header_on_a_posted_call_parents_its_span_and_goes_upstream() {
    let emulator = start_emulator().await;
    let receiver = Receiver::start().await;
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let (gateway, _dir) = token_gateway(&emulator.base_url(), &[], &env).await;
    let mut session = LegacySession::open(&gateway).await;
    let (trace, parent) = ("7ace0000000000000000000000000001", "00f067aa0ba902b7");
    let traceparent = format!("00-{trace}-{parent}-01");
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "Math_Add", "arguments": {"a": 1, "b": 2}}});
    let posted = session
        .post_with(&call, &[("traceparent", &traceparent)])
        .await;
    assert_eq!(posted.status(), 202);
    assert_eq!(sum(&session.next_message().await.unwrap()), "3");

    let spans = receiver
        .spans_once("the posted call's span", |spans| {
            spans.iter().any(|s| s.trace_id == trace)
        })
        .await;
    let server = spans
        .iter()
        .find(|s| s.trace_id == trace && s.name == "tools/call Math_Add")
        .expect("the call's span, in the caller's trace");
    assert_eq!(server.parent_span_id, parent);
    assert_eq!(server.attribute("network.transport"), "tcp");
    let upstream = emulator.state().last_traceparent("execute").unwrap();
    assert!(upstream.contains(trace), "{upstream}");
}
