//! One tool call from a script: what the `call` subcommand runs. The gateway serves an
//! in-process MCP client over an in-memory pipe, and the client sends one `tools/call`,
//! so the tool goes through the very pipeline any client's call takes: the argument
//! check, authorization, the result mapping.
//!
//! When the caller may wait for a grant, the client asks for URL elicitation: the
//! gateway then hands it the authorization link (printed for the person) and finishes
//! the call once access is granted.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, ElicitationCapability, ErrorData, Implementation, JsonObject,
    UrlElicitationCapability,
};
use rmcp::service::RequestContext;
use rmcp::{ClientHandler, RoleClient, ServiceExt};

use crate::catalog::Catalog;
use crate::gateway::Gateway;
use crate::transport::stdio::serve_io;

/// How one call ended, each a different exit code of `call`.
#[derive(Debug)]
pub enum Outcome {
    /// The tool ran and succeeded.
    Succeeded(CallToolResult),
    /// The tool reported an error (or its arguments were refused).
    Failed(CallToolResult),
    /// The user must grant access first, at `url`.
    NeedsAuthorization {
        /// The authorization link.
        url: String,
        /// The result carrying it, when the call ended with one.
        result: Option<CallToolResult>,
    },
    /// The engine did not answer.
    Unreachable(CallToolResult),
}

/// The call could not be made.
#[derive(Debug, thiserror::Error)]
pub enum InProcessCallError {
    /// The gateway refused the request itself (e.g. an unknown tool).
    #[error("{0}")]
    Refused(String),
    /// The in-process MCP connection failed.
    #[error("the in-process MCP connection failed: {0}")]
    Connection(String),
}

/// How long to wait for a grant, and how to show the person the link meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct Wait {
    /// The longest wait for the grant (and the call after it).
    pub at_most: Duration,
    /// Shows the authorization link.
    pub show_link: fn(&str),
}

/// Runs `tool` (an MCP or a qualified name) with `arguments` through `gateway`; with
/// `wait`, shows a needed authorization link and waits for the grant.
pub async fn call(
    gateway: Gateway,
    catalog: &Catalog,
    tool: &str,
    arguments: JsonObject,
    wait: Option<Wait>,
) -> Result<Outcome, InProcessCallError> {
    let (client_side, server_side) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_side);
    tokio::spawn(serve_io(gateway, server_read, server_write));
    let person = Person {
        show_link: wait.map(|wait| wait.show_link),
        link: Arc::default(),
    };
    let link = Arc::clone(&person.link);
    let client = person
        .serve(client_side)
        .await
        .map_err(|e| InProcessCallError::Connection(e.to_string()))?;
    let request = CallToolRequestParams::new(mcp_name(catalog, tool)).with_arguments(arguments);
    let answer = client.call_tool(request);
    let answered = match wait {
        Some(wait) => match tokio::time::timeout(wait.at_most, answer).await {
            Ok(answered) => answered,
            Err(_) => return Ok(not_granted_in_time(&link)),
        },
        None => answer.await,
    };
    let result = answered.map_err(|error| match error {
        rmcp::ServiceError::McpError(error) => InProcessCallError::Refused(error.message.into()),
        other => InProcessCallError::Connection(other.to_string()),
    })?;
    let _ = client.cancel().await;
    Ok(outcome(result))
}

/// The MCP name of `tool` (see [`Catalog::mcp_name_of`]); else `tool` with its first
/// `.` made `_`, which the gateway names as unknown unless a direct tool has it.
fn mcp_name(catalog: &Catalog, tool: &str) -> String {
    catalog
        .mcp_name_of(tool)
        .map_or_else(|| tool.replacen('.', "_", 1), str::to_owned)
}

fn not_granted_in_time(link: &Mutex<Option<String>>) -> Outcome {
    Outcome::NeedsAuthorization {
        url: link.lock().clone().unwrap_or_default(),
        result: None,
    }
}

/// Sorts a result by what the caller should do next.
fn outcome(result: CallToolResult) -> Outcome {
    if result.is_error != Some(true) {
        return Outcome::Succeeded(result);
    }
    let structured = result.structured_content.as_ref();
    let field = |key: &str| structured.and_then(|s| s.get(key));
    if let Some(url) = field("authorization_url").and_then(|u| u.as_str()) {
        let url = url.to_owned();
        return Outcome::NeedsAuthorization {
            url,
            result: Some(result),
        };
    }
    let unreachable = matches!(
        field("upstream_error").and_then(|k| k.as_str()),
        Some("unreachable" | "timeout")
    );
    if unreachable {
        Outcome::Unreachable(result)
    } else {
        Outcome::Failed(result)
    }
}

/// The in-process client: it accepts a URL elicitation (the gateway then waits for the
/// grant) after showing the link, when the caller waits; otherwise it cannot be asked,
/// and the call ends with the link.
struct Person {
    show_link: Option<fn(&str)>,
    link: Arc<Mutex<Option<String>>>,
}

impl ClientHandler for Person {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        if self.show_link.is_some() {
            capabilities.elicitation =
                Some(ElicitationCapability::new().with_url(UrlElicitationCapability::new()));
        }
        ClientConfig::new(
            capabilities,
            Implementation::new(
                concat!(env!("CARGO_PKG_NAME"), " call"),
                env!("CARGO_PKG_VERSION"),
            ),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let (ElicitRequestParams::UrlElicitationParams { url, .. }, Some(show)) =
            (request, self.show_link)
        else {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        };
        show(&url);
        *self.link.lock() = Some(url);
        Ok(ElicitResult::new(ElicitationAction::Accept))
    }
}
