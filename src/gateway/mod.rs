//! The MCP side: an rmcp [`ServerHandler`] that lists the catalog and runs each
//! `tools/call` through Arcade for the calling user.
//!
//! - [`call`]: the pipeline of one call (check, execute, authorize when needed).
//! - [`authorization`]: how a pending grant reaches the person, per client.
//! - [`results`]: how Arcade's answers become MCP tool results.
//!
//! Direct tools ([`crate::direct`]) are listed next to the catalog and dispatched by name.

mod authorization;
mod call;
pub(crate) mod results;

pub use authorization::{AuthorizationArgs, AuthorizationSettings, SettingsError};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, InitializeResult, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData as McpError, ServerHandler};

use crate::arcade::ArcadeClient;
use crate::catalog::Catalog;
use crate::direct::DirectTools;
use crate::identity::UserId;

/// What the server tells a client about itself at `initialize`.
const INSTRUCTIONS: &str = "Tools served from Arcade. Some act on the user's own accounts \
(mail, code hosting, …) and need the user's permission first: such a call then returns a \
link. Show that link to the user, ask them to open it and approve, and call the tool again \
once they have.";

/// The MCP server: one per connection, cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    arcade: ArcadeClient,
    catalog: Catalog,
    user: UserId,
    authorization: AuthorizationSettings,
    direct: Option<DirectTools>,
}

impl Gateway {
    /// A gateway serving `catalog` through `arcade` for `user`, prompting for grants
    /// as `authorization` says.
    pub fn new(
        arcade: ArcadeClient,
        catalog: Catalog,
        user: UserId,
        authorization: AuthorizationSettings,
    ) -> Self {
        Self {
            arcade,
            catalog,
            user,
            authorization,
            direct: None,
        }
    }

    /// Also serves `direct`: tools that call a provider's API with the user's token.
    /// Check them with [`DirectTools::check_against`] first: a catalog tool of the
    /// same name would hide one.
    pub fn with_direct_tools(mut self, direct: DirectTools) -> Self {
        self.direct = Some(direct).filter(|d| !d.is_empty());
        self
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

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let mut tools = self.catalog.tools().to_vec();
        if let Some(direct) = &self.direct {
            tools.extend(direct.tools().iter().cloned());
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.catalog
            .get(name)
            .map(|entry| entry.tool.clone())
            .or_else(|| Some(self.direct.as_ref()?.get(name)?.tool.clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let arguments = request.arguments.unwrap_or_default();
        if self.catalog.get(&request.name).is_none()
            && let Some(direct) = &self.direct
            && let Some(entry) = direct.get(&request.name)
        {
            let call = crate::direct::call::DirectCall {
                arcade: &self.arcade,
                direct,
                entry,
                user: &self.user,
            };
            return tokio::select! {
                result = call.run(arguments) => Ok(result.into()),
                () = context.ct.cancelled() => Err(McpError::internal_error(
                    "the call was cancelled by the client; the provider's answer is discarded",
                    None,
                )),
            };
        }
        let entry = self.catalog.get(&request.name).ok_or_else(|| {
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
            user: &self.user,
            settings: &self.authorization,
            context: &context,
        };
        // Dropping the call on cancellation drops any upstream request or wait in flight.
        tokio::select! {
            response = call.run(arguments, retry) => response,
            () = context.ct.cancelled() => Err(McpError::internal_error(
                "the call was cancelled by the client; nothing more was sent to Arcade",
                None,
            )),
        }
    }
}
