//! The real gateway binary serving HTTP on a free loopback port, and rmcp's Streamable
//! HTTP client connected to it as one user.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::CallToolResult;
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, RoleClient};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{API_KEY, gateway_bin};

/// What the server prints when it listens.
const LISTENING: &str = "arcade-mcp-gateway listening on ";

/// Ann's bearer token in [`token_gateway`]'s file.
pub const ANN_TOKEN: &str = "ann-token-7f3a9c1e5b2d4f6a8c0e";
/// Bob's bearer token in [`token_gateway`]'s file.
pub const BOB_TOKEN: &str = "bob-token-2b4d6f8a0c1e3a5c7e9b";
/// `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> [(&'static str, String); 1] {
    [("authorization", format!("Bearer {token}"))]
}

/// Header pairs as [`McpClient::connect`] takes them.
pub fn headers<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// A gateway with a token file for ann and bob, and the directory that holds the file.
pub async fn token_gateway(
    arcade: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (HttpGateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens");
    crate::support::write_token_file(
        &file,
        &[
            (ANN_TOKEN, "ann@example.com"),
            (BOB_TOKEN, "bob@example.com"),
        ],
    );
    let mut args = vec!["--tokens-file", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    (HttpGateway::start(arcade, &args, env).await, dir)
}

/// A gateway in OAuth mode trusting `issuer`, on a free loopback port (its public URL
/// must be known before it starts), with `extra` flags; and that URL, the resource.
pub async fn oauth_gateway(arcade: &str, issuer: &str, extra: &[&str]) -> (HttpGateway, String) {
    let (listener, addr) = crate::support::loopback_listener().await;
    drop(listener);
    let resource = format!("http://{addr}/mcp");
    let mut args = vec!["--oauth-issuer", issuer, "--public-url", &resource];
    args.extend_from_slice(extra);
    let gateway = HttpGateway::start_on(&addr.to_string(), arcade, &args, &[]).await;
    (gateway, resource)
}

/// A running `serve --transport http` process.
pub struct HttpGateway {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    child: Child,
    logs: Arc<Mutex<String>>,
    _cache: tempfile::TempDir,
}

impl HttpGateway {
    /// Starts the gateway against `arcade_url` with extra flags (identity mode, limits…),
    /// and waits for its listening line.
    pub async fn start(arcade_url: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_on("127.0.0.1:0", arcade_url, extra, env).await
    }

    /// Like [`HttpGateway::start`], listening on `bind` (when the test must know the
    /// address before the server starts, e.g. for its public URL).
    pub async fn start_on(
        bind: &str,
        arcade_url: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        Self::launch(Command::new(gateway_bin()), bind, arcade_url, extra, env).await
    }

    /// Like [`HttpGateway::start`], with the process allowed only `open_files` file
    /// descriptors (through `prlimit`), as a server under attack would run out of them.
    pub async fn start_with_open_files(
        open_files: u32,
        arcade_url: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={open_files}:{open_files}"))
            .arg("--");
        Self::start_wrapped(command, arcade_url, extra, env).await
    }

    /// Like [`HttpGateway::start`], run through `wrapper` (a program taking the gateway's
    /// command line after its own arguments, as `prlimit … --` does).
    pub async fn start_wrapped(
        mut wrapper: Command,
        arcade_url: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        wrapper.arg(gateway_bin());
        Self::launch(wrapper, "127.0.0.1:0", arcade_url, extra, env).await
    }

    /// Runs `command` (the gateway binary, perhaps behind a wrapper) with the serve flags.
    async fn launch(
        mut command: Command,
        bind: &str,
        arcade_url: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let cache = tempfile::tempdir().unwrap();
        command
            .args(["serve", "--transport", "http", "--bind", bind])
            .env("ARCADE_GATEWAY_CACHE_DIR", cache.path())
            .args(extra)
            .env("ARCADE_API_KEY", API_KEY)
            .env("ARCADE_BASE_URL", arcade_url)
            .env_remove("ARCADE_USER_ID")
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("gateway spawns");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let logs = Arc::new(Mutex::new(String::new()));
        let base = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                logs.lock().unwrap().push_str(&line);
                logs.lock().unwrap().push('\n');
                if let Some(url) = line.strip_prefix(LISTENING) {
                    return url.trim().to_owned();
                }
            }
            panic!("the gateway exited: {}", logs.lock().unwrap());
        })
        .await
        .expect("the gateway prints where it listens");
        let sink = logs.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut logs = sink.lock().unwrap();
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        Self {
            base,
            child,
            logs,
            _cache: cache,
        }
    }

    /// `base` + `/mcp`.
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    /// What `/metrics` says now.
    pub async fn metrics(&self) -> String {
        let answer = reqwest::get(format!("{}/metrics", self.base))
            .await
            .unwrap();
        answer.text().await.unwrap()
    }

    /// Everything logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// The gateway's process id, to read its memory in `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Sends SIGTERM and waits for the exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running") as i32;
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .unwrap()
    }
}

/// An rmcp client over Streamable HTTP with the given extra headers; `H` is the client's
/// handler (the person behind the client, for authorization prompts).
pub struct McpClient<H: ClientHandler = ()> {
    /// The client.
    pub client: RunningService<RoleClient, H>,
}

impl McpClient {
    /// Connects to `url` presenting `headers`.
    pub async fn connect(url: &str, headers: &[(&str, &str)]) -> Self {
        Self::try_connect(url, headers)
            .await
            .expect("MCP handshake over HTTP")
    }

    /// Connects, keeping a failure.
    pub async fn try_connect(
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Self, rmcp::service::ClientInitializeError> {
        McpClient::try_connect_with((), ClientLifecycleMode::Initialize, url, headers).await
    }
}

impl<H: ClientHandler> McpClient<H> {
    /// Connects with `handler` as the client and the given lifecycle (`Initialize` up to
    /// 2025-11-25, `Discover` for 2026-07-28).
    pub async fn connect_with(
        handler: H,
        lifecycle: ClientLifecycleMode,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Self {
        Self::try_connect_with(handler, lifecycle, url, headers)
            .await
            .expect("MCP handshake over HTTP")
    }

    async fn try_connect_with(
        handler: H,
        lifecycle: ClientLifecycleMode,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Self, rmcp::service::ClientInitializeError> {
        let headers: HashMap<http::HeaderName, http::HeaderValue> = headers
            .iter()
            .map(|(n, v)| (n.parse().unwrap(), v.parse().unwrap()))
            .collect();
        let config = StreamableHttpClientTransportConfig::with_uri(url).custom_headers(headers);
        let transport = StreamableHttpClientTransport::from_config(config);
        Ok(Self {
            client: handler.serve_with_lifecycle(transport, lifecycle).await?,
        })
    }

    /// Calls a tool, keeping a protocol error.
    pub async fn try_call(
        &self,
        tool: &str,
        arguments: Value,
    ) -> Result<CallToolResult, rmcp::ServiceError> {
        super::call_tool(&self.client, tool, arguments).await
    }

    /// Calls a tool; panics on a protocol error.
    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        self.try_call(tool, arguments)
            .await
            .expect("tools/call answers")
    }
}

/// A session of plain JSON-RPC messages posted to `/mcp`: what a client sends is in
/// plain view, however odd.
pub struct RawSession {
    token: String,
    extra: Vec<(&'static str, String)>,
    http: reqwest::Client,
    url: String,
    id: Option<String>,
}

impl RawSession {
    /// Opens a session (`initialize`, then `notifications/initialized`) as the owner of
    /// `token`, every message sent with the `extra` headers too.
    pub async fn open(
        gateway: &HttpGateway,
        token: &str,
        extra: &[(&'static str, String)],
    ) -> Self {
        let mut session = Self {
            token: token.to_owned(),
            extra: extra.to_vec(),
            http: reqwest::Client::new(),
            url: gateway.mcp_url(),
            id: None,
        };
        let opened = session
            .post(
                &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "flooding-client", "version": "0"}}}),
            )
            .await;
        assert!(opened.status().is_success(), "{}", opened.status());
        session.id = Some(
            opened.headers()["mcp-session-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
        let _ = opened.bytes().await;
        let ack = session
            .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert!(ack.status().is_success(), "{}", ack.status());
        session
    }

    /// Posts one message in the session.
    pub async fn post(&self, body: &Value) -> reqwest::Response {
        let mut request = self
            .http
            .post(&self.url)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-11-25")
            .header("Authorization", format!("Bearer {}", self.token))
            .json(body);
        for (name, value) in &self.extra {
            request = request.header(*name, value);
        }
        if let Some(id) = &self.id {
            request = request.header("Mcp-Session-Id", id);
        }
        request.send().await.unwrap()
    }
}
