//! The MCP side: an rmcp [`ServerHandler`] that lists the catalog and runs each
//! `tools/call` through Arcade for the calling user.
//!
//! - [`call`]: the pipeline of one call (check, execute, authorize when needed).
//! - [`direct_call`]: the same for a direct tool (check, token, provider).
//! - [`authorization`]: how a pending grant reaches the person, per client, for both.
//!
//! How Arcade's answers become MCP tool results is [`crate::results`], shared with the
//! direct tools.
//!
//! Direct tools ([`crate::direct`]) are listed next to the catalog and dispatched by name.

mod authorization;
mod call;
mod direct_call;
mod own_tools;
mod search;
mod tool_list;
mod unserved;

pub use authorization::AuthorizationSettings;
pub use own_tools::{DiscoveryMode, LISTED_TOOLS_AT_MOST};
pub use tool_list::{PAGE_MAX_BYTES, PAGE_MAX_TOOLS};

use own_tools::OwnTool;
use own_tools::served::Served;
use tool_list::ToolList;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation,
    InitializeRequestParams, InitializeResult, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::model::{
    CompleteRequestParams, CompleteResult, GetPromptRequestParams, GetPromptResponse,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ReadResourceRequestParams,
    ReadResourceResponse, ServerNotification, SubscriptionFilter, ToolListChangedNotification,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData as McpError, ServerHandler};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::arcade::ArcadeClient;
use crate::audit::{self, AuditLog, CallRecord};
use crate::catalog::{Catalog, CatalogEntry, LiveCatalog};
use crate::direct::DirectTools;
use crate::identity::{OAuthClientId, UserId};
use crate::outcome::{Answer, CallOutcome};
use crate::telemetry::McpRequest;

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
    /// One call of `tool` ended as `outcome` after `elapsed`.
    fn tool_call(&self, tool: &str, outcome: CallOutcome, elapsed: Duration);
}

/// What `tools/list` shows besides the served tools.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListingSettings {
    /// When the discovery tools stand in for the served tools.
    pub discovery: DiscoveryMode,
    /// Leave out `list_connections` and `revoke_connection`.
    pub no_connection_tools: bool,
}

/// The longest a discovery tool may work on one call: with its inputs bounded, the work
/// takes milliseconds, so only an overloaded server reaches it.
const DISCOVERY_TIME: Duration = Duration::from_secs(10);

/// The MCP server: one per connection, cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    arcade: ArcadeClient,
    catalog: LiveCatalog,
    caller: Caller,
    authorization: AuthorizationSettings,
    listing: ListingSettings,
    /// The search index of `search_tools`, shared by every clone.
    search: search::Search,
    direct: Option<DirectTools>,
    observer: Option<Arc<dyn CallObserver>>,
    /// Where each call's audit line goes (nowhere by default).
    audit: AuditLog,
    /// Cancelled when the client is gone (stdio: its end of stdin closed); an HTTP
    /// request may carry its session's own [`ClientGone`] instead.
    client_gone: ClientGone,
    /// How long a `subscriptions/listen` lasts before it is ended (over HTTP, where each
    /// holds a connection); `None`: until the client leaves.
    listen_lifetime: Option<Duration>,
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
            listing: ListingSettings::default(),
            search: search::Search::default(),
            direct: None,
            observer: None,
            audit: AuditLog::default(),
            client_gone: ClientGone::default(),
            listen_lifetime: None,
        }
    }

    /// Also serves `direct`: tools that call a provider's API with the user's token.
    /// Check them with [`DirectTools::check_against`] first: a catalog tool of the
    /// same name would hide one.
    pub fn with_direct_tools(mut self, direct: DirectTools) -> Self {
        self.direct = Some(direct).filter(|d| !d.is_empty());
        self
    }

    /// The same gateway, listing its tools as `listing` says.
    pub fn with_listing(mut self, listing: ListingSettings) -> Self {
        self.listing = listing;
        self
    }

    /// Builds the search index in the background when discovery stands in for the
    /// served tools, so the first `search_tools` finds it ready.
    pub fn warm_search(&self) {
        let catalog = self.catalog.current();
        if self.discovering(&catalog) {
            self.search.warm(catalog, self.direct.clone());
        }
    }

    /// The same gateway, reporting every finished call to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The same gateway, ending each `subscriptions/listen` after `lifetime` (the
    /// client listens again): over HTTP a stream holds a connection while it lasts.
    pub fn with_listen_lifetime(mut self, lifetime: Duration) -> Self {
        self.listen_lifetime = Some(lifetime);
        self
    }

    /// The same gateway, writing an audit line for every call and prompt to `audit`.
    pub fn with_audit(mut self, audit: AuditLog) -> Self {
        self.audit = audit;
        self
    }

    /// Where the audit lines go: the HTTP layer writes those of the calls it refuses.
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// The client of Arcade: the user verifier confirms people through it.
    pub fn arcade(&self) -> &ArcadeClient {
        &self.arcade
    }

    /// How grants reach the person: the user verifier seals its cookies with the
    /// `requestState` key, so replicas sharing that key read each other's.
    pub fn authorization_settings(&self) -> &AuthorizationSettings {
        &self.authorization
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
    fn observe(&self, tool: &str, outcome: CallOutcome, started: Instant) {
        if let Some(observer) = &self.observer {
            observer.tool_call(tool, outcome, started.elapsed());
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
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        traced("logging/setLevel", &context, || Ok(()))
    }

    /// rmcp's own answer, in the request's span.
    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        traced("initialize", &context, || {
            context.peer.set_peer_info(request.clone());
            self.negotiate_initialize(&request)
        })
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        traced("prompts/list", &context, || {
            Err(unserved::not_served("prompts/list"))
        })
    }

    async fn get_prompt(
        &self,
        _request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        traced("prompts/get", &context, || {
            Err(unserved::not_served("prompts/get"))
        })
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        traced("resources/list", &context, || {
            Err(unserved::not_served("resources/list"))
        })
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        traced("resources/templates/list", &context, || {
            Err(unserved::not_served("resources/templates/list"))
        })
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        traced("resources/read", &context, || {
            Err(unserved::unknown_resource(&request.uri))
        })
    }

    async fn complete(
        &self,
        _request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        traced("completion/complete", &context, || {
            Err(unserved::not_served("completion/complete"))
        })
    }

    /// `subscriptions/listen` (2026-07-28): only the tool list changes here.
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let mut accepted = SubscriptionFilter::new();
        accepted.tools_list_changed = requested.tools_list_changed;
        Some(accepted)
    }

    /// Tells the subscriber each time a refresh replaces the catalog, until it leaves.
    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), McpError> {
        let mut changes = self.catalog.changes();
        let lifetime = self.listen_lifetime;
        let ended = async move {
            match lifetime {
                Some(lifetime) => tokio::time::sleep(lifetime).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(ended);
        loop {
            tokio::select! {
                () = subscription.cancelled() => return Ok(()),
                () = &mut ended => return Ok(()),
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    let notice = ServerNotification::ToolListChangedNotification(
                        ToolListChangedNotification::default(),
                    );
                    if let Err(error) = subscription.sink().send(notice).await {
                        tracing::debug!(%error, "a subscriber could not be told that the tool list changed");
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Remembers the client, to tell it when a refreshed catalog replaces this one.
    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.catalog.watch(context.peer);
    }

    /// One page of the tools, in the request's span.
    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        traced("tools/list", &context, || self.list_page(request))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        let catalog = self.catalog.current();
        if let Some(own) = self.own_tool(name, &catalog) {
            return Some(own.definition());
        }
        catalog
            .get(name)
            .and_then(CatalogEntry::tool)
            .or_else(|| Some(self.direct.as_ref()?.get(name)?.tool.clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let trace = McpRequest::start("tools/call", Some(&request.name), &context);
        let span = trace.span().clone();
        let (response, outcome) = self
            .call_tool_traced(request, context, &trace)
            .instrument(span)
            .await;
        trace.finish(outcome);
        response
    }
}

/// Answers a request that does its work at once (no upstream call, no wait) in a span
/// of its own, so that every MCP request shows in a trace.
fn traced<T>(
    method: &'static str,
    context: &RequestContext<RoleServer>,
    answer: impl FnOnce() -> Result<T, McpError>,
) -> Result<T, McpError> {
    let trace = McpRequest::start(method, None, context);
    let _entered = trace.span().enter();
    let answer = answer();
    trace.finish(match &answer {
        Ok(_) => CallOutcome::Ok,
        Err(error) => CallOutcome::ProtocolError(error.code.0),
    });
    answer
}

impl Gateway {
    /// One page of the tools: the gateway's own, then the served ones unless discovery
    /// stands in for them (see [`tool_list`]).
    fn list_page(
        &self,
        request: Option<PaginatedRequestParams>,
    ) -> Result<ListToolsResult, McpError> {
        let catalog = self.catalog.current();
        let direct = self.direct.as_ref().map(DirectTools::tools);
        let direct: &[Tool] = direct.as_deref().unwrap_or_default();
        let discovering = self.discovering(&catalog);
        let own: Vec<Tool> = self
            .own_tools(discovering)
            .map(OwnTool::definition)
            .collect();
        let list = ToolList {
            own: &own,
            catalog: (!discovering).then_some(&catalog),
            direct: if discovering { &[] } else { direct },
        };
        let cursor = request.and_then(|r| r.cursor);
        list.page(cursor.as_deref())
            .map_err(|error| McpError::invalid_params(error.to_string(), None))
    }

    /// A `tools/call` inside its span: the user, then the call, cancelled with the
    /// client.
    async fn call_tool_traced(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
        trace: &McpRequest,
    ) -> (Result<CallToolResponse, McpError>, CallOutcome) {
        let user = match self.caller.resolve(&context) {
            Ok(user) => user,
            Err(error) => {
                let outcome = CallOutcome::ProtocolError(error.code.0);
                return (Err(error), outcome);
            }
        };
        trace.user(user.as_str());
        let started = Instant::now();
        let name = request.name.clone();
        let record = CallRecord::new(
            &self.audit,
            &user,
            || client_of(&context),
            &name,
            request.arguments.as_ref(),
        );
        // Dropping a call on cancellation drops any upstream request or wait in flight.
        let client_gone = self.client_gone(&context);
        // Boxed: rmcp spawns every request's handler (and a Streamable HTTP session's
        // task holds one for its life), so the handler's future should hold a pointer,
        // not the call's large state machine, which every spawn would copy.
        let dispatch = Box::pin(self.dispatch(request, &user, &context, &record));
        let cancelled = |why: &'static str| Err(McpError::internal_error(why, None));
        let (answered, outcome) = tokio::select! {
            answered = dispatch => {
                let outcome = match &answered {
                    Ok(answer) => answer.outcome,
                    Err(error) => CallOutcome::ProtocolError(error.code.0),
                };
                (answered, outcome)
            }
            () = context.ct.cancelled() => (
                cancelled("the call was cancelled by the client; nothing more was sent upstream"),
                CallOutcome::Cancelled,
            ),
            () = client_gone.cancelled() => (
                cancelled(
                    "the client disconnected; the call was cancelled and nothing more was sent upstream",
                ),
                CallOutcome::Cancelled,
            ),
        };
        self.observe(&name, outcome, started);
        record.finish(outcome);
        (answered.map(|answer| *answer.response), outcome)
    }

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

    /// Whether the discovery tools stand in for the served tools of `catalog`.
    fn discovering(&self, catalog: &Catalog) -> bool {
        let direct = self.direct.as_ref().map_or(0, DirectTools::len);
        self.listing.discovery.discovers(catalog.len() + direct)
    }

    /// The own tools listed now: the discovery tools while discovering, and the
    /// connection tools unless turned off.
    fn own_tools(&self, discovering: bool) -> impl Iterator<Item = OwnTool> {
        let discovery = OwnTool::DISCOVERY.into_iter().filter(move |_| discovering);
        let with_connections = !self.listing.no_connection_tools;
        let connections = OwnTool::CONNECTIONS
            .into_iter()
            .filter(move |_| with_connections);
        discovery.chain(connections)
    }

    /// The own tool called `name`, if it is listed now (a served tool of the same name
    /// keeps its name only where the own one is not listed).
    fn own_tool(&self, name: &str, catalog: &Catalog) -> Option<OwnTool> {
        let tool = OwnTool::named(name)?;
        self.own_tools(self.discovering(catalog))
            .any(|listed| listed == tool)
            .then_some(tool)
    }

    /// Runs a call for `user`: one of the gateway's own tools, a direct tool through its
    /// provider, or a catalog tool through Arcade.
    async fn dispatch(
        &self,
        request: CallToolRequestParams,
        user: &UserId,
        context: &RequestContext<RoleServer>,
        record: &CallRecord,
    ) -> Result<Answer, McpError> {
        let catalog = self.catalog.current();
        let call = Call {
            user,
            context,
            record,
        };
        match self.own_tool(&request.name, &catalog) {
            Some(own) => self.run_own_tool(own, request, &catalog, &call).await,
            None => self.dispatch_served(request, &catalog, &call).await,
        }
    }

    /// Runs one of the gateway's own tools.
    async fn run_own_tool(
        &self,
        tool: OwnTool,
        request: CallToolRequestParams,
        catalog: &Catalog,
        call: &Call<'_>,
    ) -> Result<Answer, McpError> {
        let user = call.user;
        let arguments = request.arguments.clone().unwrap_or_default();
        let served = Served {
            catalog,
            direct: self.direct.as_ref(),
        };
        let result = match tool {
            OwnTool::SearchTools => self
                .discovery_work(catalog, move |search, catalog, direct| {
                    own_tools::search_tools::run(search, catalog, direct, arguments)
                })
                .await
                .unwrap_or_else(|slow| slow),
            OwnTool::DescribeTools => self
                .discovery_work(catalog, move |search, catalog, direct| {
                    let served = Served { catalog, direct };
                    own_tools::describe_tools::run(&served, arguments, |name| {
                        search.closest_names(catalog, direct, name)
                    })
                })
                .await
                .unwrap_or_else(|slow| slow),
            OwnTool::CallTool => {
                return Box::pin(self.call_through(request, &served, call)).await;
            }
            OwnTool::ListConnections => {
                return Ok(own_tools::list_connections::run(&self.arcade, user).await);
            }
            OwnTool::RevokeConnection => {
                return Ok(own_tools::revoke_connection::run(&self.arcade, user, arguments).await);
            }
        };
        Ok(Answer::own(result))
    }

    /// Runs CPU-heavy discovery work (building the search index, ranking, comparing a
    /// name with every served one) on the blocking pool, so it never holds up the
    /// threads serving other requests, within [`DISCOVERY_TIME`]; past it, a tool error
    /// saying so (`Err`).
    async fn discovery_work<T: Send + 'static>(
        &self,
        catalog: &Catalog,
        work: impl FnOnce(&search::Search, &Catalog, Option<&DirectTools>) -> T + Send + 'static,
    ) -> Result<T, CallToolResult> {
        let (search, catalog, direct) = (self.search.clone(), catalog.clone(), self.direct.clone());
        let job = tokio::task::spawn_blocking(move || work(&search, &catalog, direct.as_ref()));
        match tokio::time::timeout(DISCOVERY_TIME, job).await {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(failed)) => {
                tracing::error!(error = %failed, "discovery work failed");
                Err(own_tools::tool_error(
                    "The tool search failed on the server; call again, and if it fails again, \
                     report it to the server's operator."
                        .to_owned(),
                ))
            }
            Err(_) => Err(own_tools::tool_error(format!(
                "The tool search took longer than {} s; call again with a shorter query.",
                DISCOVERY_TIME.as_secs()
            ))),
        }
    }

    /// `call_tool {name, arguments}`: the named tool, run as a direct call of it would
    /// run, with this request's `requestState` and input responses (sealed for the
    /// inner tool and its arguments).
    async fn call_through(
        &self,
        request: CallToolRequestParams,
        served: &Served<'_>,
        call: &Call<'_>,
    ) -> Result<Answer, McpError> {
        let arguments = request.arguments.unwrap_or_default();
        let relayed = match own_tools::call_tool::checked_arguments(arguments) {
            Ok(relayed) => relayed,
            Err(result) => return Ok(Answer::new(result, CallOutcome::InvalidArguments)),
        };
        let Some(name) = served.resolve(&relayed.name) else {
            let wanted = relayed.name.clone();
            let closest = self
                .discovery_work(served.catalog, move |search, catalog, direct| {
                    search.closest_names(catalog, direct, &wanted)
                })
                .await
                .unwrap_or_default();
            let unknown = own_tools::served::unknown_tool(&relayed.name, &closest);
            return Ok(Answer::own(unknown));
        };
        call.record.relayed(&name, &relayed.arguments);
        let mut inner = CallToolRequestParams::new(name).with_arguments(relayed.arguments);
        inner.meta = request.meta;
        inner.input_responses = request.input_responses;
        inner.request_state = request.request_state;
        self.dispatch_served(inner, served.catalog, call).await
    }

    /// Runs a served tool for `user`: a direct tool through its provider, a catalog
    /// tool through Arcade.
    async fn dispatch_served(
        &self,
        request: CallToolRequestParams,
        catalog: &Catalog,
        call: &Call<'_>,
    ) -> Result<Answer, McpError> {
        let user = call.user;
        let arguments = request.arguments.unwrap_or_default();
        if catalog.get(&request.name).is_none()
            && let Some(direct) = &self.direct
            && let Some(entry) = direct.get(&request.name)
        {
            let direct_call = direct_call::DirectToolCall {
                call: crate::direct::call::DirectCall {
                    arcade: &self.arcade,
                    direct,
                    entry,
                    user,
                },
                settings: &self.authorization,
                context: call.context,
                record: call.record,
            };
            let retry = request.request_state.map(|request_state| call::Retry {
                request_state,
                input_responses: request.input_responses,
            });
            // Boxed like the authorization paths (see `call::ToolCall::run`).
            return Box::pin(direct_call.run(arguments, retry)).await;
        }
        let entry = catalog.get(&request.name).ok_or_else(|| {
            McpError::invalid_params(
                format!(
                    "unknown tool {}: call tools/list to see the tools this server offers",
                    own_tools::served::quoted_name(&request.name)
                ),
                None,
            )
        })?;
        let retry = request.request_state.map(|request_state| call::Retry {
            request_state,
            input_responses: request.input_responses,
        });
        call.record.catalog_tool(entry.qualified_name());
        let tool_call = call::ToolCall {
            arcade: &self.arcade,
            catalog: &self.catalog,
            entry,
            user,
            settings: &self.authorization,
            context: call.context,
            record: call.record,
        };
        tool_call.run(arguments, retry).await
    }
}

/// Who a call is for and what it carries through the dispatch: the user, the MCP
/// request, and its audit record.
struct Call<'a> {
    user: &'a UserId,
    context: &'a RequestContext<RoleServer>,
    record: &'a CallRecord,
}

/// The client of this request, for the audit line: its `clientInfo`, and the OAuth
/// client its access token was issued to.
fn client_of(context: &RequestContext<RoleServer>) -> audit::Client {
    let info = context.client_info();
    let oauth_client = context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<OAuthClientId>());
    audit::Client::new(
        info.as_ref().map(|i| i.name.as_str()),
        info.as_ref().map(|i| i.version.as_str()),
        oauth_client.map(OAuthClientId::as_str),
    )
}
