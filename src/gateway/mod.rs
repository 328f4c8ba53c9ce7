//! The MCP side: an rmcp [`ServerHandler`] that lists the catalog and runs each
//! `tools/call` through Arcade for the calling user.
//!
//! - [`call`]: the pipeline of one call (check, execute, authorize when needed).
//! - [`results`]: how Arcade's answers become MCP tool results.

mod call;
mod results;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, InitializeResult,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler};

use crate::arcade::ArcadeClient;
use crate::catalog::Catalog;
use crate::identity::UserId;

/// What the server tells a client about itself at `initialize`.
const INSTRUCTIONS: &str = "Tools served from Arcade. Some act on the user's own accounts \
(mail, code hosting, …) and need the user's permission first: such a call then returns a \
link. Show that link to the user, ask them to open it and approve, and call the tool again \
once they have.";

/// Who a call acts for. The answer comes from the transport only, never from arguments.
#[derive(Debug, Clone)]
pub enum Caller {
    /// Every call acts for this user: stdio, or one legacy SSE connection whose opener the
    /// HTTP layer has already identified.
    Fixed(UserId),
    /// Each request carries its own user: the [`UserId`] that the HTTP identity
    /// middleware put into the request's extensions (rmcp hands the request's
    /// `http::request::Parts` to the handler in `RequestContext::extensions`).
    FromTransport,
}

impl Caller {
    /// The user of this request, or a protocol error saying the transport named nobody.
    fn resolve(&self, context: &RequestContext<RoleServer>) -> Result<UserId, McpError> {
        match self {
            Self::Fixed(user) => Ok(user.clone()),
            Self::FromTransport => context
                .extensions
                .get::<http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<UserId>())
                .cloned()
                .ok_or_else(|| {
                    McpError::invalid_request(
                        "this request carries no verified user: the server could not tell who \
                         is calling, so nothing was sent to Arcade; authenticate to the server \
                         (e.g. with `Authorization: Bearer <token>`) and call again",
                        None,
                    )
                }),
        }
    }
}

/// Told about every finished tool call (the HTTP server counts them for `/metrics`).
pub trait CallObserver: Send + Sync {
    /// One call of `tool` ended with `result` after `elapsed`.
    fn tool_call(&self, tool: &str, result: &CallToolResult, elapsed: Duration);
}

/// The MCP server: one per connection, cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    arcade: ArcadeClient,
    catalog: Catalog,
    caller: Caller,
    observer: Option<Arc<dyn CallObserver>>,
}

impl Gateway {
    /// A gateway serving `catalog` through `arcade`, acting for whoever `caller` names.
    pub fn new(arcade: ArcadeClient, catalog: Catalog, caller: Caller) -> Self {
        Self {
            arcade,
            catalog,
            caller,
            observer: None,
        }
    }

    /// The same gateway, reporting every finished call to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The same gateway acting for another caller (one per legacy SSE connection).
    pub fn with_caller(mut self, caller: Caller) -> Self {
        self.caller = caller;
        self
    }
}

impl ServerHandler for Gateway {
    fn get_info(&self) -> ServerConfig {
        let mut info = InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_instructions(INSTRUCTIONS);
        info.server_info = Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(
            self.catalog.tools().to_vec(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.catalog.get(name).map(|entry| entry.tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let entry = self.catalog.get(&request.name).ok_or_else(|| {
            McpError::invalid_params(
                format!(
                    "unknown tool `{}`: call tools/list to see the tools this server offers",
                    request.name
                ),
                None,
            )
        })?;
        let user = self.caller.resolve(&context)?;
        let arguments = request.arguments.unwrap_or_default();
        let call = call::ToolCall {
            arcade: &self.arcade,
            entry,
            user: &user,
        };
        let started = Instant::now();
        tokio::select! {
            result = call.run(arguments) => {
                if let Some(observer) = &self.observer {
                    observer.tool_call(entry.name(), &result, started.elapsed());
                }
                Ok(result.into())
            }
            () = context.ct.cancelled() => Err(McpError::internal_error(
                "the call was cancelled by the client; nothing more was sent to Arcade",
                None,
            )),
        }
    }
}
