//! MCP over HTTP for many users at once: Streamable HTTP at `/mcp` (stateful sessions, or
//! `--stateless`), the legacy HTTP+SSE transport at `/sse` + `/messages`, and `/healthz`,
//! `/readyz`, `/metrics`.
//!
//! Every MCP request passes, in order: Host/Origin checks ([`origin`]), the body size
//! limit, the identity middleware (who is calling: [`crate::identity`]), the session
//! binding ([`session_binding`]), the per-user call limits ([`limits`]); the
//! [`Gateway`](crate::gateway::Gateway) then takes the caller from the request. One module
//! a concern: [`settings`] (what it runs with), [`router`] (the wiring),
//! [`session_limits`], [`legacy_sse`], [`health`], [`metrics`], [`shutdown`], and
//! [`verifier`] (Arcade's custom user verifier at `/arcade/verify`, with
//! `--user-verifier`). Connections are accepted, shared fairly and closed by the
//! `fair-accept` crate, with the limits of [`settings`].

pub mod health;
pub mod legacy_sse;
pub mod limits;
pub mod metrics;
pub mod origin;
pub mod router;
pub mod session_binding;
pub mod session_limits;
pub mod settings;
pub mod shutdown;
pub mod verifier;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use health::Readiness;
pub use origin::{OriginError, OriginPolicy};
pub use settings::{HttpSettings, Limits};

use crate::gateway::Gateway;
use crate::identity::{Authenticator, IdentityError};
use crate::shared_state::SharedState;

/// The line (on stderr) that says where the server listens, so scripts and tests using
/// `--bind 127.0.0.1:0` can find the port.
pub const LISTENING_PREFIX: &str = "arcade-mcp-gateway listening on ";

/// Why the HTTP server cannot start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The identity configuration is unusable.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The user verifier cannot identify browsers as configured.
    #[error(transparent)]
    Verifier(#[from] verifier::BrowserIdentityError),
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {source}; pick a free port or another address with --bind")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("the HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// The HTTP application serving `gateway` as `settings` describe it, counting limits
/// through `shared`, with the [`Shutdown`] its in-flight calls report to. [`serve`]
/// listens with it; tests and the fuzz target drive it in-process.
///
/// [`Shutdown`]: shutdown::Shutdown
pub async fn app(
    gateway: Gateway,
    readiness: Readiness,
    shared: SharedState,
    settings: &HttpSettings,
) -> Result<(axum::Router, Arc<shutdown::Shutdown>), HttpError> {
    let auth = Arc::new(Authenticator::new(settings.identity.clone()).await?);
    #[cfg(unix)]
    auth.spawn_reload_on_sighup()?;
    let shutdown = Arc::new(shutdown::Shutdown::default());
    let app = router::router(router::Parts {
        gateway,
        readiness,
        auth,
        policy: settings.origins.clone(),
        limits: &settings.limits,
        stateless: settings.stateless,
        shutdown: Arc::clone(&shutdown),
        shared,
        verifier: settings.user_verifier.as_ref(),
    })?;
    Ok((app, shutdown))
}

/// Serves `gateway` over HTTP until SIGTERM or SIGINT, then shuts down gracefully.
pub async fn serve(
    gateway: Gateway,
    readiness: Readiness,
    shared: SharedState,
    settings: &HttpSettings,
) -> Result<(), HttpError> {
    let tools = readiness.tools();
    let (app, shutdown) = app(gateway, readiness, shared, settings).await?;
    let mut limits = settings.limits.connection_limits();
    limits.max_connections = fair_accept::connection_cap(limits.max_connections);
    let bind = settings.bind;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|source| HttpError::Bind { addr: bind, source })?;
    let local = listener.local_addr().map_err(HttpError::Serve)?;
    eprintln!("{LISTENING_PREFIX}http://{local}");
    tracing::info!(%local, stateless = settings.stateless, tools, "serving MCP over HTTP at /mcp and legacy SSE at /sse");

    let grace = settings.limits.shutdown_grace;
    let stop_accepting = tokio_util::sync::CancellationToken::new();
    let server = fair_accept::serve(listener, app, limits, stop_accepting.clone());
    let mut server = tokio::spawn(server);
    tokio::select! {
        ended = &mut server => return finished(ended),
        () = shutdown::signalled() => {}
    }
    tracing::info!(
        grace_s = grace.as_secs(),
        "shutting down: no new connections"
    );
    stop_accepting.cancel();
    shutdown.drain(grace).await;
    match tokio::time::timeout(std::time::Duration::from_secs(2), &mut server).await {
        Ok(ended) => finished(ended),
        Err(_) => {
            tracing::warn!("connections still open after shutdown; closing them");
            server.abort();
            Ok(())
        }
    }
}

fn finished(ended: Result<(), tokio::task::JoinError>) -> Result<(), HttpError> {
    ended.map_err(|join| HttpError::Serve(std::io::Error::other(join)))
}

/// A JSON error answer `{"error", "error_description"}`, the shape the identity layer
/// uses too, so clients read every refusal the same way.
pub(crate) fn json_error(status: StatusCode, code: &str, description: &str) -> Response {
    let body = serde_json::json!({"error": code, "error_description": description});
    (status, Json(body)).into_response()
}

/// 413 saying what the limit is.
pub(crate) fn body_too_large(max: usize) -> Response {
    json_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        &format!(
            "the request body is larger than this server accepts ({max} bytes); send a smaller request"
        ),
    )
}

/// 408 saying how long a request may take and what may have happened to it.
pub(crate) fn timed_out(limit: std::time::Duration) -> Response {
    json_error(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        &format!(
            "the server stopped this request after {} s (its limit per request, --http-timeout) \
             and stopped working on it; a tool call cut off this way may already have acted \
             upstream, so check before calling it again. If calls this slow are expected, ask \
             the operator to raise --http-timeout",
            limit.as_secs()
        ),
    )
}
