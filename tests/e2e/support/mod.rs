//! What the integration tests share: an emulator on loopback, the real gateway binary
//! spawned over stdio or HTTP and driven by rmcp's client, the "person" who approves an
//! authorization link in the emulator's page, credentials in headers and token files, a
//! loopback HTTP server, and stand-ins for what sits around the gateway (an
//! authorization server, a proxy, Redis, an OTLP receiver, a browser).

pub mod auth_proxy;
pub mod auth_server;
pub mod chromium;
pub mod hostile_redis;
pub mod http;
pub mod mrtr;
pub mod otlp;
pub mod person;
pub mod redis_server;
pub mod round_robin;
pub mod typescript;
pub mod verifier;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use arcade_mcp_gateway::emulator::{Emulator, EmulatorOptions};
use arcade_mcp_gateway::identity::hash_token;
use axum::Router;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::process::Command;

/// The key the test emulator accepts: long and distinctive, so a grep finds any leak.
pub const API_KEY: &str = "arc_test_SECRET_key_5f1c9e2a7b";

/// The variable naming another gateway binary for the tests to run: an older build, to
/// check that a new test fails on the code before its fix.
pub const GATEWAY_BIN_ENV: &str = "ARCADE_GATEWAY_TEST_BIN";

/// The gateway binary the tests run: the one Cargo built for them, unless
/// [`GATEWAY_BIN_ENV`] names another.
pub fn gateway_bin() -> &'static str {
    static BIN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        std::env::var(GATEWAY_BIN_ENV)
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_arcade-mcp-gateway").to_owned())
    });
    &BIN
}

/// The variables a test keeps when it clears a child process's environment: the folder
/// where every emulator, the gateway's built-in one included, records its exchanges
/// for the contract check of `scripts/test.sh`.
pub fn kept_env() -> impl Iterator<Item = (&'static str, String)> {
    const CONTRACT_LOG: &str = "ARCADE_EMULATOR_CONTRACT_LOG";
    std::env::var(CONTRACT_LOG)
        .ok()
        .map(|dir| (CONTRACT_LOG, dir))
        .into_iter()
}

/// Starts an emulator with the demo catalog on a free loopback port.
pub async fn start_emulator() -> Emulator {
    start_emulator_at(([127, 0, 0, 1], 0).into()).await
}

/// Starts an emulator on the given address (to restart one on the same port).
pub async fn start_emulator_at(addr: std::net::SocketAddr) -> Emulator {
    let options = EmulatorOptions {
        api_key: API_KEY.to_owned(),
        ..EmulatorOptions::default()
    };
    Emulator::start(options, addr)
        .await
        .expect("emulator starts")
}

/// A gateway process and the rmcp client connected to it over its stdio; `H` is the
/// client's handler (the person behind the client, for elicitation tests).
pub struct Gateway<H: ClientHandler = ()> {
    /// The MCP client.
    pub client: RunningService<RoleClient, H>,
    /// Where the gateway's stderr (its logs) goes.
    pub stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Gateway {
    /// Spawns `arcade-mcp-gateway serve` for `user` against `base_url`, logging at
    /// debug level so that a leak anywhere in the logs would be seen.
    pub async fn spawn(base_url: &str, user: &str, extra: &[&str]) -> Self {
        Gateway::spawn_with((), ClientLifecycleMode::Initialize, base_url, user, extra).await
    }
}

impl<H: ClientHandler> Gateway<H> {
    /// Like [`Gateway::spawn`], with `handler` as the client and the given lifecycle
    /// (`Initialize` for 2025-11-25, `Discover` for 2026-07-28).
    pub async fn spawn_with(
        handler: H,
        lifecycle: ClientLifecycleMode,
        base_url: &str,
        user: &str,
        extra: &[&str],
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("stderr.log");
        let mut command = Command::new(gateway_bin());
        command
            .arg("serve")
            .args(extra)
            .env("ARCADE_API_KEY", API_KEY)
            .env("ARCADE_BASE_URL", base_url)
            .env("ARCADE_USER_ID", user)
            // Each gateway its own catalog cache: no test serves another's catalog.
            .env("ARCADE_GATEWAY_CACHE_DIR", dir.path().join("cache"))
            .env("RUST_LOG", "debug");
        let (transport, _) = TokioChildProcess::builder(command)
            .stderr(Stdio::from(std::fs::File::create(&stderr).unwrap()))
            .spawn()
            .expect("gateway spawns");
        let client = handler
            .serve_with_lifecycle(transport, lifecycle)
            .await
            .expect("MCP handshake");
        Self {
            client,
            stderr,
            _dir: dir,
        }
    }

    /// Calls a tool; panics only on a protocol error.
    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        self.try_call(tool, arguments)
            .await
            .expect("tools/call answers")
    }

    /// Calls a tool, keeping a protocol error.
    pub async fn try_call(
        &self,
        tool: &str,
        arguments: Value,
    ) -> Result<CallToolResult, rmcp::ServiceError> {
        call_tool(&self.client, tool, arguments).await
    }

    /// Everything the gateway has logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

/// The text of a result's first content block.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The authorization link of an "authorization required" result.
pub fn authorization_url(result: &CallToolResult) -> String {
    let structured = result
        .structured_content
        .as_ref()
        .expect("an authorization result has structuredContent");
    assert_eq!(structured["authorization_required"], true, "{structured}");
    structured["authorization_url"]
        .as_str()
        .expect("authorization_url is a string")
        .to_owned()
}

/// What the person does: open the link and press Approve.
pub async fn approve(url: &str) {
    decide(url, "approve").await;
}

/// Opens the link and presses the given button (`approve` or `deny`).
pub async fn decide(url: &str, decision: &str) {
    let http = reqwest::Client::new();
    let page = http.get(url).send().await.unwrap();
    assert!(page.status().is_success(), "the approval page opens");
    let answer = http
        .post(url)
        .form(&[("decision", decision)])
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "the decision is taken");
}

/// Calls a tool through any rmcp client, keeping a protocol error.
pub async fn call_tool<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    tool: &str,
    arguments: Value,
) -> Result<CallToolResult, rmcp::ServiceError> {
    let arguments: JsonObject = serde_json::from_value(arguments).unwrap();
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
}

/// How often `Mail.ListEmails` really ran for `user` on `emulator`.
pub fn mail_runs(emulator: &Emulator, user: &str) -> u64 {
    emulator.state().executions("Mail.ListEmails", user)
}

/// Polls `condition` every 20 ms for up to 5 s.
pub async fn eventually(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..250 {
        if condition() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

/// The lifecycle of a client speaking `version` without `initialize` (2026-07-28 on).
pub fn discover(version: ProtocolVersion) -> ClientLifecycleMode {
    ClientLifecycleMode::Discover {
        preferred_versions: vec![version],
    }
}

/// Asserts that `result` is `Mail_ListEmails`'s real answer for `user`: their own inbox.
pub fn assert_inbox_of(result: &CallToolResult, user: &str) {
    let text = text(result);
    assert_eq!(result.is_error, Some(false), "{text}");
    assert!(text.contains(user), "not {user}'s inbox: {text}");
}

/// Headers holding `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> HeaderMap {
    with_header(HeaderMap::new(), AUTHORIZATION, &format!("Bearer {token}"))
}

/// `headers` plus one more header.
pub fn with_header(mut headers: HeaderMap, name: HeaderName, value: &str) -> HeaderMap {
    headers.append(name, HeaderValue::from_str(value).unwrap());
    headers
}

/// Writes a token file granting each `(token, user)`, in the documented format.
pub fn write_token_file(path: &Path, grants: &[(&str, &str)]) {
    let mut text = String::from("# test tokens\n");
    for (token, user) in grants {
        text.push_str(&format!("sha256:{} {user}\n", hash_token(token)));
    }
    std::fs::write(path, text).unwrap();
}

/// A listener on a free loopback port.
pub async fn loopback_listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// A free loopback port, for a child process that binds it itself (chromedriver,
/// redis-server).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An answer a test proxy received, passed on as its own: status, headers and body.
pub async fn relay(answer: reqwest::Response) -> axum::response::Response {
    let mut response = axum::response::Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response
        .body(axum::body::Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

/// Serves `app` on `listener` until the test's runtime ends.
pub fn serve(listener: TcpListener, app: Router) {
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
}
