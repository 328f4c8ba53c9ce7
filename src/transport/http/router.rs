//! The routes and the order of the layers around them.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use super::health::{self, Readiness};
use super::legacy_sse::{self, LegacySse};
use super::limits::{CallLimits, limit_calls};
use super::metrics::{self, Metrics};
use super::origin::{OriginPolicy, check_origin};
use super::session_binding::{SessionOwners, bind_sessions};
use super::session_limits::SessionSlots;
use super::settings::Limits;
use super::shutdown::{Shutdown, track_in_flight};
use super::verifier::{self, BrowserIdentityError, VerifierParts, VerifierSettings};
use crate::gateway::Gateway;
use crate::identity::{Authenticator, protected_resource_routes, require_identity};
use crate::shared_state::SharedState;
use fair_accept::mark_authenticated;

/// What the router is built from.
pub struct Parts<'a> {
    /// The MCP server, taking each caller from the request.
    pub gateway: Gateway,
    /// What `/readyz` checks.
    pub readiness: Readiness,
    /// Who is calling.
    pub auth: Arc<Authenticator>,
    /// Allowed hosts and origins.
    pub policy: OriginPolicy,
    /// Sizes, rates and times.
    pub limits: &'a Limits,
    /// `/mcp` without sessions.
    pub stateless: bool,
    /// What shutdown waits for and closes.
    pub shutdown: Arc<Shutdown>,
    /// What the replicas share (limits across replicas).
    pub shared: SharedState,
    /// Arcade's custom user verifier, when served.
    pub verifier: Option<&'a VerifierSettings>,
}

/// The whole HTTP application; fails only when the user verifier cannot be set up.
pub fn router(parts: Parts<'_>) -> Result<Router, BrowserIdentityError> {
    let metrics = Arc::new(Metrics::new().with_shared_state(&parts.shared));
    let gateway = parts
        .gateway
        .clone()
        .with_observer(metrics.clone())
        .with_listen_lifetime(parts.limits.listen_lifetime);
    let close = parts.shutdown.close_streams.clone();

    let slots = SessionSlots::new(
        parts.limits.max_sessions_per_user,
        parts.limits.max_sessions,
    );
    let owners = Arc::new(SessionOwners::new(
        parts.limits.idle_timeout,
        slots,
        parts.stateless,
    ));
    let mcp = Router::new()
        .route("/mcp", streamable_http(gateway.clone(), &parts))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&owners),
            bind_sessions,
        ));
    let legacy = Router::new()
        .route("/sse", get(legacy_sse::open))
        .route("/messages", post(legacy_sse::message))
        .with_state(Arc::new(LegacySse::new(
            gateway,
            close,
            parts.limits.idle_timeout,
            owners,
        )));
    let calls = CallLimits::new(
        parts.limits,
        metrics.clone(),
        parts.gateway.audit_log().clone(),
        parts.shared.clone(),
    );
    // One `ServiceBuilder` a group: axum wraps each route once for the whole group, where
    // a `Router::layer` a middleware would box the route again at every level, and every
    // level clones (and drops) all the boxed levels under it on every request.
    let protected = mcp.merge(legacy).layer(
        ServiceBuilder::new()
            .layer(middleware::from_fn_with_state(
                parts.shutdown.clone(),
                track_in_flight,
            ))
            .layer(middleware::from_fn_with_state(
                parts.auth.clone(),
                require_identity,
            ))
            .layer(middleware::from_fn(mark_authenticated))
            .layer(middleware::from_fn_with_state(Arc::new(calls), limit_calls)),
    );

    let verifier = match parts.verifier {
        Some(settings) => verifier::routes(
            settings,
            VerifierParts {
                arcade: parts.gateway.arcade().clone(),
                auth: parts.auth.clone(),
                codec: parts.gateway.authorization_settings().codec.clone(),
                replay: parts.shared.replay_guard(),
                audit: parts.gateway.audit_log().clone(),
                metrics: metrics.clone(),
            },
        )?,
        None => Router::new(),
    };
    let open = Router::new()
        .route("/healthz", get(health::healthz))
        .route(
            "/readyz",
            get(health::readyz).with_state(Arc::new(parts.readiness)),
        )
        .route("/metrics", get(metrics::render).with_state(metrics.clone()));

    Ok(protected
        .merge(open)
        .merge(verifier)
        .merge(protected_resource_routes(parts.auth))
        // Apart: the timeout's own answer needs a response body it can make empty.
        .layer(RequestBodyLimitLayer::new(parts.limits.max_body_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn_with_state(
                    Arc::new(parts.policy),
                    check_origin,
                ))
                .layer(middleware::from_fn_with_state(
                    metrics,
                    metrics::count_requests,
                ))
                .layer(middleware::from_fn_with_state(
                    Arc::new(parts.limits.clone()),
                    explain_refusals,
                ))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    parts.limits.request_timeout,
                )),
        ))
}

/// rmcp's Streamable HTTP service. Its own Host check is off: [`check_origin`] applies
/// the same rules to every route.
fn streamable_http(gateway: Gateway, parts: &Parts<'_>) -> axum::routing::MethodRouter {
    let config = StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .with_cancellation_token(parts.shutdown.close_streams.clone())
        .with_max_request_body_bytes(parts.limits.max_body_bytes)
        .with_legacy_session_mode(!parts.stateless)
        .with_json_response(parts.stateless);
    let factory = move || Ok(gateway.clone());
    if parts.stateless {
        let service =
            StreamableHttpService::new(factory, Arc::new(NeverSessionManager::default()), config);
        axum::routing::any_service(service)
    } else {
        let mut sessions = LocalSessionManager::default();
        sessions.session_config.keep_alive = Some(parts.limits.idle_timeout);
        let service = StreamableHttpService::new(factory, Arc::new(sessions), config);
        axum::routing::any_service(service)
    }
}

/// Gives the bare answers of the body limit (413) and request timeout (408) layers a
/// JSON body saying what happened and what to do, like every other refusal.
async fn explain_refusals(
    State(limits): State<Arc<Limits>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let explained = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    match response.status() {
        _ if explained => response,
        StatusCode::PAYLOAD_TOO_LARGE => super::body_too_large(limits.max_body_bytes),
        StatusCode::REQUEST_TIMEOUT => super::timed_out(limits.request_timeout),
        _ => response,
    }
}
