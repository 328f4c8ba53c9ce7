//! A client that goes away in the middle of a call takes the call's upstream request
//! with it: the emulator sees the execute abandoned (its handler dropped before it
//! ran), and the tool never runs, although the engine would have answered later.
//!
//! Over stdio the client closes its pipes (as a client that exits or is killed does);
//! over Streamable HTTP it deletes its session, or (stateless) drops the connection;
//! over the legacy SSE transport it closes its event stream.
//! A stateful session's connection dropping alone is not a cancellation: the MCP
//! specification lets a client resume the stream, so the call goes on.

use std::process::Stdio;
use std::time::{Duration, Instant};

use arcade_mcp_gateway::emulator::{Emulator, EmulatorState, Faults};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::support::http::HttpGateway;
use crate::support::{API_KEY, eventually, gateway_bin, start_emulator};

/// How long the engine takes to answer an execute: long enough to disconnect first,
/// shorter than rmcp's 5 s drain after stdin closes (which would let it run).
const SLOW: Duration = Duration::from_secs(3);
/// The gateway drops the upstream request well within this after the client leaves.
const PROMPTLY: Duration = Duration::from_millis(1_500);
const USER: &str = "ann@example.com";

/// An emulator whose executes take [`SLOW`].
async fn slow_engine() -> Emulator {
    let emulator = start_emulator().await;
    emulator.state().set_faults(Faults {
        latency_ms: SLOW.as_millis() as u64,
        endpoints: Some(vec!["execute".to_owned()]),
        ..Faults::default()
    });
    emulator
}

fn add_call(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": "Math_Add", "arguments": {"a": 1, "b": 2}}})
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "disconnecting-client", "version": "0"}}})
}

fn initialized() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

/// Once the execute is in flight, the client leaves (`leave`); then the engine must see
/// it abandoned promptly, and the tool must not have run even after [`SLOW`].
async fn assert_upstream_dropped_when(state: &EmulatorState, leave: impl Future<Output = ()>) {
    eventually("the execute reaches the engine", || {
        state.requests("execute") == 1
    })
    .await;
    let left = Instant::now();
    leave.await;
    eventually("the engine sees the execute abandoned", || {
        state.abandoned("execute") == 1
    })
    .await;
    assert!(
        left.elapsed() < PROMPTLY,
        "dropped after {:?}",
        left.elapsed()
    );
    tokio::time::sleep(SLOW).await;
    assert_eq!(state.executions("Math.Add", USER), 0, "the tool never ran");
}

#[tokio::test]
async fn stdio_a_client_that_closes_its_pipes_cancels_the_upstream_request() {
    let emulator = slow_engine().await;
    let mut child = Command::new(gateway_bin())
        .arg("serve")
        .env("ARCADE_API_KEY", API_KEY)
        .env("ARCADE_BASE_URL", emulator.base_url())
        .env("ARCADE_USER_ID", USER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    for message in [initialize(), initialized(), add_call(2)] {
        stdin
            .write_all(format!("{message}\n").as_bytes())
            .await
            .unwrap();
        if message["id"] == 1 {
            stdout
                .next_line()
                .await
                .unwrap()
                .expect("initialize answered");
        }
    }
    let state = emulator.state();
    assert_upstream_dropped_when(&state, async {
        drop(stdin);
        drop(stdout);
    })
    .await;
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("the gateway exits once its client is gone")
        .unwrap();
    assert!(status.success(), "{status}");
}

/// A raw Streamable HTTP client: the session and the in-flight call are in plain view.
struct RawHttp {
    http: reqwest::Client,
    url: String,
    session: Option<String>,
}

impl RawHttp {
    fn new(gateway: &HttpGateway) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: gateway.mcp_url(),
            session: None,
        }
    }

    fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        let request = self
            .http
            .post(&self.url)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-11-25")
            .json(body);
        match &self.session {
            Some(session) => request.header("Mcp-Session-Id", session),
            None => request,
        }
    }

    async fn open_session(&mut self) {
        let answer = self.post(&initialize()).send().await.unwrap();
        assert!(answer.status().is_success(), "{}", answer.status());
        let session = answer.headers()["mcp-session-id"].to_str().unwrap();
        self.session = Some(session.to_owned());
        let ack = self.post(&initialized()).send().await.unwrap();
        assert!(ack.status().is_success(), "{}", ack.status());
    }

    /// Sends the slow call in the background, reading its answer stream.
    fn start_call(&self) -> tokio::task::JoinHandle<()> {
        let request = self.post(&add_call(2));
        tokio::spawn(async move {
            if let Ok(answer) = request.send().await {
                let _ = answer.bytes().await;
            }
        })
    }
}

#[tokio::test]
async fn http_deleting_the_session_cancels_the_upstream_request() {
    let emulator = slow_engine().await;
    let gateway = HttpGateway::start(&emulator.base_url(), &["--user-id", USER], &[]).await;
    let mut client = RawHttp::new(&gateway);
    client.open_session().await;
    let call = client.start_call();
    let state = emulator.state();
    assert_upstream_dropped_when(&state, async {
        let deleted = client
            .http
            .delete(&client.url)
            .header("Mcp-Session-Id", client.session.as_deref().unwrap())
            .send()
            .await
            .unwrap();
        // 204: the session is gone (the Python SDK counts only 200 and 204 as done).
        assert_eq!(deleted.status(), reqwest::StatusCode::NO_CONTENT);
    })
    .await;
    call.abort();
}

#[tokio::test]
async fn http_stateless_a_dropped_connection_cancels_the_upstream_request() {
    let emulator = slow_engine().await;
    let gateway = HttpGateway::start(
        &emulator.base_url(),
        &["--user-id", USER, "--stateless"],
        &[],
    )
    .await;
    let client = RawHttp::new(&gateway);
    let call = client.start_call();
    let state = emulator.state();
    assert_upstream_dropped_when(&state, async {
        call.abort();
    })
    .await;
}

#[tokio::test]
async fn legacy_sse_closing_the_event_stream_cancels_the_upstream_request() {
    let emulator = slow_engine().await;
    let gateway = HttpGateway::start(&emulator.base_url(), &["--user-id", USER], &[]).await;
    let http = reqwest::Client::new();
    let mut events = http
        .get(format!("{}/sse", gateway.base))
        .send()
        .await
        .unwrap()
        .bytes_stream();
    let mut seen = String::new();
    let endpoint = loop {
        let chunk = events.next().await.expect("the endpoint event").unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(line) = seen.lines().find_map(|l| l.strip_prefix("data: /messages")) {
            break format!("{}/messages{}", gateway.base, line.trim());
        }
    };
    for message in [initialize(), initialized(), add_call(2)] {
        let sent = http.post(&endpoint).json(&message).send().await.unwrap();
        assert!(sent.status().is_success(), "{}", sent.status());
        if message["id"] == 1 {
            events.next().await.expect("initialize answered").unwrap();
        }
    }
    let state = emulator.state();
    assert_upstream_dropped_when(&state, async {
        drop(events);
    })
    .await;
}
