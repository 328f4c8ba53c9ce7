//! The MCP side: an rmcp [`ServerHandler`] that lists the catalog and runs each
//! `tools/call` through Arcade for the calling user.
//!
//! - [`call`]: the pipeline of one call (check, execute, authorize when needed).
//! - [`authorization`]: how a pending grant reaches the person, per client.
//!
//! How Arcade's answers become MCP tool results is [`crate::results`], shared with the
//! direct tools.
//!
//! Direct tools ([`crate::direct`]) are listed next to the catalog and dispatched by name.

mod authorization;
mod call;

pub use authorization::AuthorizationSettings;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, InitializeResult,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler};
use tokio_util::sync::CancellationToken;

use crate::arcade::ArcadeClient;
use crate::catalog::{CatalogEntry, LiveCatalog};
use crate::direct::DirectTools;
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
    catalog: LiveCatalog,
    caller: Caller,
    authorization: AuthorizationSettings,
    direct: Option<DirectTools>,
    observer: Option<Arc<dyn CallObserver>>,
    /// Cancelled when the client is gone (stdio: its end of stdin closed); an HTTP
    /// request may carry its session's own [`ClientGone`] instead.
    client_gone: ClientGone,
}

impl Gateway {
    /// A gateway serving `catalog` (a fixed [`Catalog`](crate::catalog::Catalog) or a
    /// [`LiveCatalog`] a refresh may replace) through `arcade`, acting for whoever
    /// `caller` names and prompting for grants as `authorization` says.
    pub fn new(
        arcade: ArcadeClient,
        catalog: impl Into<LiveCatalog>,
        caller: Caller,
        authorization: AuthorizationSettings,
    ) -> Self {
        Self {
            arcade,
            catalog: catalog.into(),
            caller,
            authorization,
            direct: None,
            observer: None,
            client_gone: ClientGone::default(),
        }
    }

    /// Also serves `direct`: tools that call a provider's API with the user's token.
    /// Check them with [`DirectTools::check_against`] first: a catalog tool of the
    /// same name would hide one.
    pub fn with_direct_tools(mut self, direct: DirectTools) -> Self {
        self.direct = Some(direct).filter(|d| !d.is_empty());
        self
    }

    /// The same gateway, reporting every finished call to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The same gateway, cancelling every call in flight once `client_gone` is
    /// cancelled: a client that went away does not leave upstream requests behind.
    pub fn with_client_gone(mut self, client_gone: ClientGone) -> Self {
        self.client_gone = client_gone;
        self
    }

    /// The same gateway acting for another caller (one per legacy SSE connection).
    pub fn with_caller(mut self, caller: Caller) -> Self {
        self.caller = caller;
        self
    }

    /// Tells the observer, if any, how a call ended.
    fn observe(&self, tool: &str, response: &Result<CallToolResponse, McpError>, started: Instant) {
        if let (Some(observer), Ok(CallToolResponse::Complete(result))) = (&self.observer, response)
        {
            observer.tool_call(tool, result, started.elapsed());
        }
    }
}

/// Cancelled when a client is gone: its calls still in flight are dropped, with their
/// upstream requests. Stdio cancels it when stdin closes; the HTTP transport puts a
/// session's into every request of the session and cancels it on `DELETE /mcp`.
#[derive(Debug, Clone, Default)]
pub struct ClientGone(CancellationToken);

impl ClientGone {
    /// Marks the client gone.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// Whether the client is gone.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Completes once the client is gone.
    pub async fn cancelled(&self) {
        self.0.cancelled().await;
    }
}

impl ServerHandler for Gateway {
    // Logging (deprecated by SEP-2577, still what 2025-11-25 clients show) carries the
    // authorization link while a call waits for the grant.
    #[allow(deprecated)]
    fn get_info(&self) -> ServerConfig {
        let mut info = InitializeResult::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .enable_logging()
                .build(),
        )
        .with_instructions(INSTRUCTIONS);
        info.server_info = Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
        info
    }

    /// Accepted so that clients may ask: the only messages sent are the notices that
    /// carry an authorization link while a call waits, which a client asked for by
    /// calling.
    #[allow(deprecated)]
    async fn set_level(
        &self,
        _request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        Ok(())
    }

    /// Remembers the client, to tell it when a refreshed catalog replaces this one.
    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.catalog.watch(context.peer);
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let mut tools = self.catalog.current().tools();
        if let Some(direct) = &self.direct {
            tools.extend(direct.tools().iter().cloned());
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.catalog
            .current()
            .get(name)
            .and_then(CatalogEntry::tool)
            .or_else(|| Some(self.direct.as_ref()?.get(name)?.tool.clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let user = self.caller.resolve(&context)?;
        let started = Instant::now();
        let name = request.name.clone();
        // Dropping a call on cancellation drops any upstream request or wait in flight.
        let client_gone = self.client_gone(&context);
        // Boxed: rmcp spawns every request's handler (and a Streamable HTTP session's
        // task holds one for its life), so the handler's future should hold a pointer,
        // not the call's large state machine, which every spawn would copy.
        let dispatch = Box::pin(self.dispatch(request, &user, &context));
        let response = tokio::select! {
            response = dispatch => response,
            () = context.ct.cancelled() => Err(McpError::internal_error(
                "the call was cancelled by the client; nothing more was sent upstream",
                None,
            )),
            () = client_gone.cancelled() => Err(McpError::internal_error(
                "the client disconnected; the call was cancelled and nothing more was sent upstream",
                None,
            )),
        };
        self.observe(&name, &response, started);
        response
    }
}

impl Gateway {
    /// The token saying this request's client is gone: its session's, else the
    /// connection's.
    fn client_gone(&self, context: &RequestContext<RoleServer>) -> ClientGone {
        context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<ClientGone>())
            .unwrap_or(&self.client_gone)
            .clone()
    }

    /// Runs a call for `user`: a direct tool through its provider, a catalog tool
    /// through Arcade.
    async fn dispatch(
        &self,
        request: CallToolRequestParams,
        user: &UserId,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let arguments = request.arguments.unwrap_or_default();
        let catalog = self.catalog.current();
        if catalog.get(&request.name).is_none()
            && let Some(direct) = &self.direct
            && let Some(entry) = direct.get(&request.name)
        {
            let call = crate::direct::call::DirectCall {
                arcade: &self.arcade,
                direct,
                entry,
                user,
            };
            // Boxed like the authorization paths (see `call::ToolCall::run`).
            return Ok(Box::pin(call.run(arguments)).await.into());
        }
        let entry = catalog.get(&request.name).ok_or_else(|| {
            McpError::invalid_params(
                format!(
                    "unknown tool `{}`: call tools/list to see the tools this server offers",
                    request.name
                ),
                None,
            )
        })?;
        let retry = request.request_state.map(|request_state| call::Retry {
            request_state,
            input_responses: request.input_responses,
        });
        let call = call::ToolCall {
            arcade: &self.arcade,
            entry,
            user,
            settings: &self.authorization,
            context,
        };
        call.run(arguments, retry).await
    }
}
