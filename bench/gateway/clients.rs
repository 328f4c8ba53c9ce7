//! Minimal MCP clients for measuring: JSON-RPC lines over a child's stdio, and one
//! Streamable HTTP session over reqwest. Nothing but what a request costs on the wire,
//! so the numbers are the server's, not a client library's.

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The protocol version both clients speak.
const PROTOCOL: &str = "2025-11-25";

fn initialize_params() -> Value {
    json!({"protocolVersion": PROTOCOL, "capabilities": {},
           "clientInfo": {"name": "bench", "version": "0"}})
}

/// A gateway process spoken to over its stdin/stdout.
pub struct StdioGateway {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    next_id: u64,
    answered_at: Instant,
}

impl StdioGateway {
    /// Spawns `command` (a `serve` command line) and completes the MCP handshake.
    pub async fn start(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the gateway starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut gateway = Self {
            child,
            stdin,
            stdout,
            next_id: 0,
            answered_at: Instant::now(),
        };
        gateway.request("initialize", initialize_params()).await;
        gateway
            .send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        gateway
    }

    /// Sends a request and waits for its answer (notifications in between are skipped);
    /// returns the `result`, panicking on an error answer.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let line = self
                .stdout
                .next_line()
                .await
                .expect("stdout readable")
                .expect("the gateway answers");
            self.answered_at = Instant::now();
            let message: Value = serde_json::from_str(&line).expect("a JSON-RPC line");
            if message["id"] == id {
                return result_of(message);
            }
        }
    }

    /// When the last line arrived (before this client parsed it: parsing a 10 MB
    /// `tools/list` is the client's cost, not the server's).
    pub fn answered_at(&self) -> Instant {
        self.answered_at
    }

    /// The gateway's process id.
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    async fn send(&mut self, message: &Value) {
        let mut line = serde_json::to_vec(message).unwrap();
        line.push(b'\n');
        self.stdin.write_all(&line).await.expect("stdin writable");
        self.stdin.flush().await.expect("stdin writable");
    }
}

/// One Streamable HTTP session: stateful (the server named it in its `initialize`
/// answer), or stateless (`--stateless`: no session id, each request stands alone).
pub struct HttpSession {
    http: reqwest::Client,
    url: String,
    session: Option<String>,
    next_id: AtomicU64,
}

impl HttpSession {
    /// `initialize` and `notifications/initialized` at `url` (the gateway's `/mcp`).
    pub async fn open(http: &reqwest::Client, url: &str) -> Self {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": initialize_params()});
        let response = post(http.post(url), &init).await;
        let session = response
            .headers()
            .get("mcp-session-id")
            .map(|id| id.to_str().expect("an ASCII session id").to_owned());
        rpc_answer(response).await;
        let this = Self {
            http: http.clone(),
            url: url.to_owned(),
            session,
            next_id: AtomicU64::new(1),
        };
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let accepted = post(this.builder(), &initialized).await;
        assert!(accepted.status().is_success(), "initialized accepted");
        this
    }

    /// Sends a request in this session; returns the `result`.
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        result_of(rpc_answer(post(self.builder(), &message).await).await)
    }

    fn builder(&self) -> reqwest::RequestBuilder {
        let builder = self
            .http
            .post(&self.url)
            .header("mcp-protocol-version", PROTOCOL);
        match &self.session {
            Some(session) => builder.header("mcp-session-id", session),
            None => builder,
        }
    }
}

async fn post(builder: reqwest::RequestBuilder, message: &Value) -> reqwest::Response {
    builder
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(message).unwrap())
        .send()
        .await
        .expect("the gateway answers")
}

/// The JSON-RPC answer of a POST, sent as JSON or as an SSE stream.
async fn rpc_answer(response: reqwest::Response) -> Value {
    let status = response.status();
    let body = response.text().await.expect("a body");
    assert!(status.is_success(), "HTTP {status}: {body}");
    if body.trim_start().starts_with('{') {
        return serde_json::from_str(&body).expect("JSON");
    }
    body.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .find(|message| message.get("id").is_some())
        .unwrap_or_else(|| panic!("no answer in {body:?}"))
}

fn result_of(mut message: Value) -> Value {
    assert!(message.get("error").is_none(), "error answer: {message}");
    message["result"].take()
}
