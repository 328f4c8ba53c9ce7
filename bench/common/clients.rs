//! Minimal MCP clients for measuring: JSON-RPC lines over a child's stdio, and one
//! Streamable HTTP session over reqwest. Nothing but what a request costs on the wire,
//! so the numbers are the server's, not a client library's. Shared by the `gateway`
//! bench (which panics on any failure) and the `soak` bench (which counts them).

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
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
    pub async fn start(command: Command) -> Self {
        let gateway = Self::try_start(command).await;
        gateway.expect("the gateway starts and answers `initialize`")
    }

    /// [`Self::start`], telling why it failed.
    pub async fn try_start(mut command: Command) -> Result<Self, ClientError> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().ok_or(ClientError::Closed)?;
        let stdout = BufReader::new(child.stdout.take().ok_or(ClientError::Closed)?).lines();
        let mut gateway = Self {
            child,
            stdin,
            stdout,
            next_id: 0,
            answered_at: Instant::now(),
        };
        let answer = gateway
            .try_request("initialize", initialize_params())
            .await?;
        if answer.get("error").is_some() {
            return Err(ClientError::Protocol(answer.to_string()));
        }
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        gateway.send(&initialized).await?;
        Ok(gateway)
    }

    /// Sends a request and waits for its answer (notifications in between are skipped);
    /// returns the `result`, panicking on an error answer.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let answer = self.try_request(method, params).await;
        result_of(answer.expect("the gateway answers"))
    }

    /// Sends a request and waits for its answer, skipping notifications and answers to
    /// earlier (cancelled) requests; returns the whole JSON-RPC answer.
    pub async fn try_request(&mut self, method: &str, params: Value) -> Result<Value, ClientError> {
        let id = self.send_request(method, params).await?;
        loop {
            let line = self.stdout.next_line().await?.ok_or(ClientError::Closed)?;
            self.answered_at = Instant::now();
            let message: Value = serde_json::from_str(&line)
                .map_err(|e| ClientError::Protocol(format!("not JSON-RPC ({e}): {line}")))?;
            if message["id"] == id {
                return Ok(message);
            }
        }
    }

    /// Sends a request and, without waiting for it, `notifications/cancelled` for it: a
    /// client that gave up. Its answer, if one still comes, is skipped by later requests.
    pub async fn request_and_cancel(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<(), ClientError> {
        let id = self.send_request(method, params).await?;
        let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                            "params": {"requestId": id, "reason": "the client gave up"}});
        self.send(&cancel).await
    }

    async fn send_request(&mut self, method: &str, params: Value) -> Result<u64, ClientError> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        Ok(id)
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

    async fn send(&mut self, message: &Value) -> Result<(), ClientError> {
        let mut line = serde_json::to_vec(message).unwrap();
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        Ok(self.stdin.flush().await?)
    }
}

/// Why a request got no JSON-RPC answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The connection failed, or the client gave up waiting.
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The server answered with an HTTP error status.
    #[error("HTTP {status}: {body}")]
    Status {
        /// The status.
        status: reqwest::StatusCode,
        /// The body, for the message.
        body: String,
    },
    /// The pipe to or from a stdio server broke.
    #[error("stdio pipe: {0}")]
    Pipe(#[from] std::io::Error),
    /// A stdio server closed its stdout.
    #[error("the server closed its output")]
    Closed,
    /// No answer came in time.
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
    /// The answer was not the JSON-RPC the protocol says.
    #[error("not an MCP answer: {0}")]
    Protocol(String),
}

/// One Streamable HTTP session: stateful (the server named it in its `initialize`
/// answer), or stateless (`--stateless`: no session id, each request stands alone).
pub struct HttpSession {
    http: reqwest::Client,
    url: String,
    session: Option<String>,
    headers: HeaderMap,
    next_id: AtomicU64,
}

impl HttpSession {
    /// `initialize` and `notifications/initialized` at `url` (the gateway's `/mcp`).
    pub async fn open(http: &reqwest::Client, url: &str) -> Self {
        let session = Self::open_with(http, url, HeaderMap::new()).await;
        session.expect("the session opens")
    }

    /// Opens a session whose every request carries `headers` (who the caller is).
    pub async fn open_with(
        http: &reqwest::Client,
        url: &str,
        headers: HeaderMap,
    ) -> Result<Self, ClientError> {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": initialize_params()});
        let response = post(http.post(url).headers(headers.clone()), &init).await?;
        let session = match response.headers().get("mcp-session-id") {
            Some(id) => Some(
                id.to_str()
                    .map_err(|_| ClientError::Protocol("a session id that is not ASCII".into()))?
                    .to_owned(),
            ),
            None => None,
        };
        rpc_answer(response).await?;
        let this = Self {
            http: http.clone(),
            url: url.to_owned(),
            session,
            headers,
            next_id: AtomicU64::new(1),
        };
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let accepted = post(this.builder(this.http.post(&this.url)), &initialized).await?;
        check_status(accepted).await?;
        Ok(this)
    }

    /// Sends a request in this session; returns the `result`.
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let answer = self.send_request(self.http.post(&self.url), method, params);
        result_of(answer.await.expect("the gateway answers"))
    }

    /// Sends a request in this session, giving up (and dropping the connection) after
    /// `timeout`; returns the whole JSON-RPC answer.
    pub async fn try_request_within(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, ClientError> {
        let builder = self.http.post(&self.url).timeout(timeout);
        self.send_request(builder, method, params).await
    }

    async fn send_request(
        &self,
        builder: reqwest::RequestBuilder,
        method: &str,
        params: Value,
    ) -> Result<Value, ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = post(self.builder(builder), &message).await?;
        rpc_answer(response).await
    }

    /// `DELETE /mcp`: ends the session.
    pub async fn close(self) -> Result<(), ClientError> {
        let response = self.builder(self.http.delete(&self.url)).send().await?;
        check_status(response).await
    }

    fn builder(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let builder = builder
            .headers(self.headers.clone())
            .header("mcp-protocol-version", PROTOCOL);
        match &self.session {
            Some(session) => builder.header("mcp-session-id", session),
            None => builder,
        }
    }
}

async fn post(
    builder: reqwest::RequestBuilder,
    message: &Value,
) -> Result<reqwest::Response, ClientError> {
    let response = builder
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(message).unwrap())
        .send()
        .await?;
    Ok(response)
}

/// The response, if its status is a success.
async fn check_status(response: reqwest::Response) -> Result<(), ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    Err(ClientError::Status { status, body })
}

/// The JSON-RPC answer of a POST, sent as JSON or as an SSE stream.
async fn rpc_answer(response: reqwest::Response) -> Result<Value, ClientError> {
    let status = response.status();
    let body = response.text().await?;
    if !status.is_success() {
        return Err(ClientError::Status { status, body });
    }
    if body.trim_start().starts_with('{') {
        return serde_json::from_str(&body).map_err(|e| ClientError::Protocol(e.to_string()));
    }
    body.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .find(|message| message.get("id").is_some())
        .ok_or_else(|| ClientError::Protocol(format!("no answer in {body:?}")))
}

fn result_of(mut message: Value) -> Value {
    assert!(message.get("error").is_none(), "error answer: {message}");
    message["result"].take()
}
