//! The `/v1` endpoints of `docs/arcade-api.md`, and the layer in front of them that
//! counts requests, checks the API key (all but health, as on Arcade) and injects
//! faults.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::catalog::PageQuery;
use super::catalog::{CatalogTool, Runner};
use super::errors::{ApiError, ApiJson, ApiQuery};
use super::faults::{Fault, canned_response, drop_after_headers, fault_response, truncate};
use super::formats::ToolFormat;
use super::grants::Ask;
use super::options::AuthRequiredStyle;
use super::state::EmulatorState;
use super::tools;
use arcade_types::{
    AuthAuthorizeRequest, AuthStatus, AuthorizationResponse, ConfirmUserRequest,
    ConfirmUserResponse, ExecuteToolRequest, ExecuteToolResponse, HealthResponse, Page,
    ToolAuthorizeRequest, ToolDefinition, UserConnection,
};

/// The longest `auth/status` long-poll, as on Arcade.
const MAX_WAIT: Duration = Duration::from_secs(59);

/// The key under which [`EmulatorState::requests`] counts a route, and by which
/// `Faults::endpoints` selects it.
pub fn endpoint_key(route: &str) -> &'static str {
    match route {
        "/v1/health" => "health",
        "/v1/tools" => "tools.list",
        "/v1/tools/{name}" => "tools.get",
        "/v1/formatted_tools" => "formatted_tools",
        "/v1/tools/authorize" => "tools.authorize",
        "/v1/tools/execute" => "execute",
        "/v1/auth/authorize" => "auth.authorize",
        "/v1/auth/status" => "auth.status",
        "/v1/auth/confirm_user" => "auth.confirm_user",
        "/v1/admin/user_connections" => "user_connections.list",
        "/v1/admin/user_connections/{id}" => "user_connections.delete",
        _ => "other",
    }
}

/// In front of every `/v1` route: count, check the key, then delay and fault as set.
/// A request whose client goes away before its answer is ready is counted as
/// abandoned (see [`EmulatorState::abandoned`]).
pub async fn v1_layer(
    State(state): State<EmulatorState>,
    route: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let endpoint = endpoint_key(route.as_str());
    state.count_request(endpoint);
    state.note_traceparent(endpoint, request.headers());
    let unfinished = state.unfinished(endpoint);
    let response = faulted(&state, endpoint, request, next).await;
    unfinished.finish();
    response
}

async fn faulted(state: &EmulatorState, endpoint: &str, request: Request, next: Next) -> Response {
    if endpoint != "health" && !state.key_ok(request.headers()) {
        return ApiError::Unauthorized.into_response();
    }
    let decision = state.faults().decide(endpoint);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let Some(fault) = decision.fault else {
        return next.run(request).await;
    };
    tracing::debug!(endpoint, ?fault, "injecting fault");
    match (fault_response(fault), fault) {
        (Some(response), _) => response,
        (None, Fault::Truncate) => truncate(next.run(request).await).await,
        (None, Fault::Canned) => canned_response(state.faults().get().answer),
        (None, _) => drop_after_headers(next.run(request).await).await,
    }
}

/// `GET /v1/health`: 200 `{healthy: true}`, or 503 with the reason while a test has
/// made the engine unhealthy (`Faults::unhealthy`).
pub async fn health(State(state): State<EmulatorState>) -> (StatusCode, Json<HealthResponse>) {
    match state.faults().get().unhealthy {
        None => (
            StatusCode::OK,
            Json(HealthResponse {
                healthy: true,
                reason: None,
            }),
        ),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(HealthResponse {
                healthy: false,
                reason: Some(reason),
            }),
        ),
    }
}

/// The query of the tool listings (`include_format` and `filter` are accepted and
/// ignored).
#[derive(Debug, Deserialize)]
pub struct ToolsParams {
    toolkit: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
    user_id: Option<String>,
    format: Option<String>,
    include_all_versions: Option<bool>,
}

impl ToolsParams {
    fn page(&self, state: &EmulatorState) -> PageQuery {
        PageQuery {
            limit: self.limit,
            offset: self.offset,
        }
        .capped(state.faults().get().max_page_size)
    }
}

/// `GET /v1/tools`.
pub async fn list_tools(
    State(state): State<EmulatorState>,
    ApiQuery(params): ApiQuery<ToolsParams>,
) -> Json<Page<Value>> {
    let user = params.user_id.as_deref();
    Json(listing(&state, &params, |tool| state.listed(tool, user)))
}

/// `GET /v1/formatted_tools`.
pub async fn formatted_tools(
    State(state): State<EmulatorState>,
    ApiQuery(params): ApiQuery<ToolsParams>,
) -> Result<Json<Page<Value>>, ApiError> {
    let format = ToolFormat::parse(params.format.as_deref()).ok_or_else(|| {
        ApiError::BadRequest("unknown format: use `openai` or `anthropic`".to_owned())
    })?;
    let user = params.user_id.as_deref();
    Ok(Json(listing(&state, &params, |tool| {
        format.render(&state.describe(tool, user))
    })))
}

fn listing<T>(
    state: &EmulatorState,
    params: &ToolsParams,
    render: impl Fn(&CatalogTool) -> T,
) -> Page<T> {
    let all_versions = params.include_all_versions.unwrap_or(false);
    let matching = (state.catalog()).matching(params.toolkit.as_deref(), all_versions);
    let page = params.page(state);
    let window = page.window(matching.len());
    let items = matching[window].iter().map(|tool| render(tool)).collect();
    page.page(items, matching.len())
}

/// The query of `GET /v1/tools/{name}`.
#[derive(Debug, Deserialize)]
pub struct UserParam {
    user_id: Option<String>,
}

/// `GET /v1/tools/{name}`.
pub async fn get_tool(
    State(state): State<EmulatorState>,
    Path(name): Path<String>,
    ApiQuery(params): ApiQuery<UserParam>,
) -> Result<Json<Value>, ApiError> {
    let tool = served(&state, &name, None)?;
    Ok(Json(state.listed(tool, params.user_id.as_deref())))
}

/// The tool `name` at `version` (or its newest), or the engine's error saying which is
/// missing: the tool (404), or that version of it (400, a status the spec lists for
/// execute and authorize).
fn served<'a>(
    state: &'a EmulatorState,
    name: &str,
    version: Option<&str>,
) -> Result<&'a CatalogTool, ApiError> {
    if let Some(tool) = state.catalog().get(name, version) {
        return Ok(tool);
    }
    Err(match version {
        Some(version) if state.catalog().knows(name) => ApiError::BadRequest(format!(
            "tool '{name}' has no version '{version}': list tools with GET /v1/tools"
        )),
        _ => ApiError::NotFound(format!(
            "tool '{name}' not found: list tools with GET /v1/tools"
        )),
    })
}

/// `POST /v1/tools/authorize`: completed (no token) when granted or needing no grant,
/// else the user's pending authorization.
pub async fn authorize_tool(
    State(state): State<EmulatorState>,
    ApiJson(request): ApiJson<ToolAuthorizeRequest>,
) -> Result<Json<AuthorizationResponse>, ApiError> {
    state.note_pinned_version(&request.tool_name, request.tool_version.as_deref());
    let tool = served(&state, &request.tool_name, request.tool_version.as_deref())?;
    let Some(ask) = user_ask(&tool.definition, &request.user_id)? else {
        return Ok(Json(AuthorizationResponse {
            status: Some(AuthStatus::Completed),
            user_id: Some(request.user_id),
            ..AuthorizationResponse::default()
        }));
    };
    Ok(Json(
        state
            .grants()
            .authorize(ask, request.next_uri)
            .to_response(false),
    ))
}

/// `POST /v1/tools/execute`.
pub async fn execute(
    State(state): State<EmulatorState>,
    ApiJson(request): ApiJson<ExecuteToolRequest>,
) -> Result<Json<ExecuteToolResponse>, ApiError> {
    let started = Instant::now();
    state.note_pinned_version(&request.tool_name, request.tool_version.as_deref());
    let tool = served(&state, &request.tool_name, request.tool_version.as_deref())?;
    if tool.runner == Runner::Unreadable {
        return Ok(Json(tools::bad_definition(&tool.definition, started)));
    }
    let missing = tool.definition.unmet_secrets();
    if !missing.is_empty() {
        return Ok(Json(tools::secrets_not_set(&missing, started)));
    }
    let user = request.user_id.as_str();
    if let Some(ask) =
        user_ask(&tool.definition, user)?.filter(|ask| !state.grants().is_granted(ask))
    {
        return authorization_required(&state, ask, started);
    }
    if let Err(error) = tools::check_input(&tool.definition, &request.input) {
        return Ok(Json(tools::executed(Err(error), started)));
    }
    let run = state.record_execution(&tool.definition.qualified_name, user);
    let outcome = tools::run(tool, user, &request.input, run.number);
    let mut response = tools::executed(outcome, started);
    response.execution_id = Some(run.execution_id);
    Ok(Json(response))
}

/// The grant `tool` needs from `user`; a tool that needs one needs a user id.
fn user_ask(tool: &ToolDefinition, user: &str) -> Result<Option<Ask>, ApiError> {
    match EmulatorState::ask_for(tool, user) {
        Some(_) if user.is_empty() => Err(ApiError::BadRequest(format!(
            "`user_id` is required: {} needs the user's authorization",
            tool.qualified_name
        ))),
        ask => Ok(ask),
    }
}

/// Says "authorization required" in the configured style.
fn authorization_required(
    state: &EmulatorState,
    ask: Ask,
    started: Instant,
) -> Result<Json<ExecuteToolResponse>, ApiError> {
    let error = ApiError::AuthorizationRequired {
        user: ask.user_id.clone(),
        provider: ask.provider_id.clone(),
        scopes: ask.scopes.iter().cloned().collect::<Vec<_>>().join(", "),
    };
    match state.auth_required_style() {
        AuthRequiredStyle::Forbidden => Err(error),
        AuthRequiredStyle::OutputAuthorization => {
            let pending = state.grants().authorize(ask, None).to_response(false);
            Ok(Json(tools::authorization_pending(pending, started)))
        }
        AuthRequiredStyle::RequirementsNotMet => Ok(Json(tools::requirements_not_met(
            error.to_string(),
            started,
        ))),
    }
}

/// `POST /v1/auth/authorize`: completed with `context.token` when granted, else the
/// user's pending authorization.
pub async fn auth_authorize(
    State(state): State<EmulatorState>,
    ApiJson(request): ApiJson<AuthAuthorizeRequest>,
) -> Result<Json<AuthorizationResponse>, ApiError> {
    let requirement = &request.auth_requirement;
    let provider = requirement
        .provider_id
        .as_deref()
        .or(requirement.id.as_deref())
        .ok_or_else(|| {
            ApiError::BadRequest(
                "auth_requirement needs `provider_id` (or `id`), e.g. \"google\"".to_owned(),
            )
        })?;
    if request.user_id.is_empty() {
        return Err(ApiError::BadRequest(
            "`user_id` must not be empty".to_owned(),
        ));
    }
    let ask = Ask::new(&request.user_id, provider, requirement.scopes());
    Ok(Json(
        state
            .grants()
            .authorize(ask, request.next_uri.clone())
            .to_response(true),
    ))
}

/// The query of `GET /v1/auth/status`.
#[derive(Debug, Deserialize)]
pub struct StatusParams {
    id: String,
    wait: Option<u64>,
}

/// `GET /v1/auth/status`, long-polling up to `wait` seconds (at most 59) while pending.
pub async fn auth_status(
    State(state): State<EmulatorState>,
    ApiQuery(params): ApiQuery<StatusParams>,
) -> Result<Json<AuthorizationResponse>, ApiError> {
    let wait = Duration::from_secs(params.wait.unwrap_or(0)).min(MAX_WAIT);
    let snapshot =
        state.grants().wait(&params.id, wait).await.ok_or_else(|| {
            ApiError::NotFound(format!("authorization '{}' not found", params.id))
        })?;
    Ok(Json(snapshot.to_response(true)))
}

/// `POST /v1/auth/confirm_user`: completes a flow the consent page sent to the user
/// verifier, for the flow's own user only.
pub async fn confirm_user(
    State(state): State<EmulatorState>,
    ApiJson(request): ApiJson<ConfirmUserRequest>,
) -> Result<Json<ConfirmUserResponse>, ApiError> {
    use super::grants::ConfirmError;
    let snapshot = state
        .grants()
        .confirm_user(&request.flow_id, &request.user_id)
        .map_err(|e| match e {
            ConfirmError::UnknownFlow(_) => ApiError::NotFound(e.to_string()),
            // 400: of the statuses Arcade's document lists for this operation, the one
            // that says "this request cannot be honoured" without blaming the key.
            ConfirmError::OtherUser(_) => ApiError::BadRequest(e.to_string()),
        })?;
    Ok(Json(ConfirmUserResponse {
        auth_id: snapshot.id,
        next_uri: snapshot.next_uri,
    }))
}

/// The query of `GET /v1/admin/user_connections`. Like the engine, any other name
/// (`user.id`, say) is ignored, which lists everyone's connections.
#[derive(Debug, Deserialize)]
pub struct ConnectionParams {
    user_id: Option<String>,
    provider_id: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

/// `GET /v1/admin/user_connections`.
pub async fn list_connections(
    State(state): State<EmulatorState>,
    ApiQuery(params): ApiQuery<ConnectionParams>,
) -> Json<Page<UserConnection>> {
    let all = state
        .grants()
        .connections(params.user_id.as_deref(), params.provider_id.as_deref());
    Json(
        PageQuery {
            limit: params.limit,
            offset: params.offset,
        }
        .capped(state.faults().get().max_page_size)
        .page_of(all),
    )
}

/// `DELETE /v1/admin/user_connections/{id}`: revokes the grant.
pub async fn delete_connection(
    State(state): State<EmulatorState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.grants().revoke(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "user connection '{id}' not found"
        )))
    }
}

/// Any other path.
pub async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no endpoint {} {}",
        request.method(),
        request.uri().path()
    ))
}

/// A known path with the wrong method.
pub async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "{} is not allowed on {}",
        request.method(),
        request.uri().path()
    ))
}
