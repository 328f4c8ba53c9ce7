//! The real gateway binary serving HTTP on a free loopback port, and rmcp's Streamable
//! HTTP client connected to it as one user.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::CallToolResult;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{API_KEY, GATEWAY_BIN};

/// What the server prints when it listens.
const LISTENING: &str = "arcade-mcp-gateway listening on ";

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
        let cache = tempfile::tempdir().unwrap();
        let mut command = Command::new(GATEWAY_BIN);
        command
            .args(["serve", "--transport", "http", "--bind", "127.0.0.1:0"])
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

    /// Everything logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
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

/// An rmcp client over Streamable HTTP with the given extra headers.
pub struct McpClient {
    /// The client.
    pub client: RunningService<RoleClient, ()>,
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
        let headers: HashMap<http::HeaderName, http::HeaderValue> = headers
            .iter()
            .map(|(n, v)| (n.parse().unwrap(), v.parse().unwrap()))
            .collect();
        let config = StreamableHttpClientTransportConfig::with_uri(url).custom_headers(headers);
        let transport = StreamableHttpClientTransport::from_config(config);
        Ok(Self {
            client: ().serve(transport).await?,
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
