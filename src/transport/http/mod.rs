//! MCP over HTTP for many users at once: Streamable HTTP at `/mcp` (stateful sessions, or
//! `--stateless`), the legacy HTTP+SSE transport at `/sse` + `/messages`, and `/healthz`,
//! `/readyz`, `/metrics`.
//!
//! Every MCP request passes, in order: Host/Origin checks ([`origin`]), the body size
//! limit, the identity middleware (who is calling: [`crate::identity`]), the session
//! binding ([`session_binding`]), the per-user call limits ([`limits`]); the
//! [`Gateway`](crate::gateway::Gateway) then takes the caller from the request. One module
//! a concern: [`options`] (flags), [`router`] (the wiring), [`legacy_sse`], [`health`],
//! [`metrics`], [`shutdown`], and [`until_answered`] (what lives until a request is
//! answered: call slots, the count of requests in flight).

pub mod health;
pub mod legacy_sse;
pub mod limits;
pub mod metrics;
pub mod options;
pub mod origin;
pub mod router;
pub mod session_binding;
pub mod shutdown;
pub mod until_answered;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;

pub use options::HttpArgs;

use crate::identity::{Authenticator, IdentityError, UserId};
use crate::startup::Serving;

/// The line (on stderr) that says where the server listens, so scripts and tests using
/// `--bind 127.0.0.1:0` can find the port.
pub const LISTENING_PREFIX: &str = "arcade-mcp-gateway listening on ";

/// Why the HTTP server cannot start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The identity configuration is unusable.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// More than one identity mode was asked for.
    #[error(
        "choose one identity mode: --tokens-file, --oauth-issuer or --trust-user-header (not several)"
    )]
    SeveralIdentityModes,
    /// No way to tell who is calling.
    #[error(
        "no identity mode: pass --user-id for a single user on loopback, or --tokens-file, \
         --oauth-issuer or --trust-user-header for many users"
    )]
    NoIdentityMode,
    /// OAuth without the resource URL.
    #[error(
        "--oauth-issuer needs --public-url: this server's public MCP URL, e.g. https://mcp.example.com/mcp"
    )]
    MissingPublicUrl,
    /// A public bind without host names.
    #[error(
        "listening on a non-loopback address needs --allowed-host with each host name clients \
         use to reach this server (DNS rebinding protection), e.g. --allowed-host mcp.example.com"
    )]
    NoAllowedHost,
    /// An `--allowed-origin` that is not an origin.
    #[error(
        "--allowed-origin `{0}` is not an origin: write scheme://host[:port], e.g. https://app.example.com"
    )]
    BadOrigin(String),
    /// A limit of zero.
    #[error("{0} must be at least 1")]
    ZeroLimit(&'static str),
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

/// The HTTP application of `serving` as the flags describe it, with the [`Shutdown`]
/// its in-flight calls report to. [`serve`] listens with it; tests and the fuzz target
/// drive it in-process.
///
/// [`Shutdown`]: shutdown::Shutdown
pub async fn app(
    serving: &Serving,
    fixed_user: Option<UserId>,
    args: &HttpArgs,
) -> Result<(axum::Router, Arc<shutdown::Shutdown>), HttpError> {
    let identity = args.identity(fixed_user)?;
    let limits = args.limits()?;
    let policy = origin::OriginPolicy::new(
        &args.allowed_hosts,
        &args.allowed_origins,
        args.bind.ip().to_canonical().is_loopback(),
    )?;
    let auth = Arc::new(Authenticator::new(identity).await?);
    #[cfg(unix)]
    auth.spawn_reload_on_sighup()?;
    let shutdown = Arc::new(shutdown::Shutdown::default());
    let app = router::router(router::Parts {
        serving,
        auth,
        policy,
        limits: &limits,
        stateless: args.stateless,
        shutdown: Arc::clone(&shutdown),
    });
    Ok((app, shutdown))
}

/// Serves `serving` over HTTP until SIGTERM or SIGINT, then shuts down gracefully.
/// `fixed_user` is the user of `--user-id`, used when no other identity mode is chosen.
pub async fn serve(
    serving: Serving,
    fixed_user: Option<UserId>,
    args: &HttpArgs,
) -> Result<(), HttpError> {
    let limits = args.limits()?;
    let (app, shutdown) = app(&serving, fixed_user, args).await?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|source| HttpError::Bind {
            addr: args.bind,
            source,
        })?;
    let local = listener.local_addr().map_err(HttpError::Serve)?;
    // Answers leave as soon as they are written: without TCP_NODELAY, an SSE answer
    // written in parts waits for the client's delayed ACK (~40 ms a call).
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set on a connection");
        }
    });
    eprintln!("{LISTENING_PREFIX}http://{local}");
    tracing::info!(%local, stateless = args.stateless, tools = serving.prepared.catalog.current().len(), "serving MCP over HTTP at /mcp and legacy SSE at /sse");

    let stop_accepting = tokio_util::sync::CancellationToken::new();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(stop_accepting.clone().cancelled_owned())
        .into_future();
    let mut server = tokio::spawn(server);
    tokio::select! {
        ended = &mut server => return finished(ended),
        () = shutdown::signalled() => {}
    }
    tracing::info!(
        grace_s = limits.shutdown_grace.as_secs(),
        "shutting down: no new connections"
    );
    stop_accepting.cancel();
    shutdown.drain(limits.shutdown_grace).await;
    match tokio::time::timeout(std::time::Duration::from_secs(2), &mut server).await {
        Ok(ended) => finished(ended),
        Err(_) => {
            tracing::warn!("connections still open after shutdown; closing them");
            server.abort();
            Ok(())
        }
    }
}

fn finished(ended: Result<std::io::Result<()>, tokio::task::JoinError>) -> Result<(), HttpError> {
    match ended {
        Ok(result) => result.map_err(HttpError::Serve),
        Err(join) => Err(HttpError::Serve(std::io::Error::other(join))),
    }
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
