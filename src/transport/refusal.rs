//! What a stdio client sees when the server cannot start. Desktop clients launch the
//! server and show its answers, but seldom its stderr: a server that printed "the key
//! was rejected" and exited would show up only as "Connection closed". So a server that
//! cannot start still speaks MCP on stdin/stdout, for a while, and answers `initialize`
//! (and any request of a client that skips it) with an error that says what is wrong
//! and what to set. Clients show that message where they show a server's failure.

use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorData, InitializeRequestParams, InitializeResult,
    ListToolsResult, PaginatedRequestParams, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, ServiceExt};

/// How long the refusal is served before the program ends anyway: long enough for a
/// client to connect, short enough that a forgotten process does not linger.
const REFUSAL_SERVED_FOR: Duration = Duration::from_secs(30);

/// A server that answers every request with why it could not start.
#[derive(Debug, Clone)]
struct Refusal {
    reason: String,
}

impl Refusal {
    fn error(&self) -> ErrorData {
        ErrorData::internal_error(
            format!("arcade-mcp-gateway could not start: {}", self.reason),
            None,
        )
    }
}

impl ServerHandler for Refusal {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::default()
    }

    async fn initialize(
        &self,
        _request: InitializeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        Err(self.error())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Err(self.error())
    }

    async fn call_tool(
        &self,
        _request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        Err(self.error())
    }
}

/// Answers the client on stdin/stdout with `reason` until it goes away (or for
/// [`REFUSAL_SERVED_FOR`]).
pub async fn refuse(reason: &str) {
    let refusal = Refusal {
        reason: reason.to_owned(),
    };
    let served = async {
        if let Ok(running) = refusal
            .serve((tokio::io::stdin(), tokio::io::stdout()))
            .await
        {
            let _ = running.waiting().await;
        }
    };
    let _ = tokio::time::timeout(REFUSAL_SERVED_FOR, served).await;
}
