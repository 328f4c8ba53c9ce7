//! Accepting and serving the gateway's HTTP connections, so that clients who connect and
//! then send nothing, trickle their headers, sit idle, or hold many sockets cannot hold
//! slots (and file descriptors) forever and lock everyone else out.
//!
//! It is a crate of its own because it needs nothing of MCP or of the gateway: it serves
//! any axum router. The gateway's flags set its [`ConnectionLimits`].
//!
//! Each accepted connection holds one of the connection slots (`--max-connections`, at
//! most what the open-file limit allows: [`connection_cap`]) until it closes; when all
//! are taken, a new connection takes the slot of another by the rules of [`slots`], or
//! is refused at once with a 503. A connection is closed when no request is in flight
//! on it for `--header-read-timeout` after it opened (it never sent a whole request
//! head) or for `--keep-alive-timeout` after its last answer went out. A request starts once its
//! headers have been read, so a client trickling them counts as sending nothing. A
//! connection is also closed, after its answers in flight, once it is
//! `--max-connection-age` old, has carried `--max-connection-requests` requests, or had
//! [`REFUSALS_TO_CLOSE`] of them refused (a request to no route, from a refused `Host`, too
//! large…): a cheap request every few seconds does not keep a slot for ever.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

mod activity;
mod file_limit;
pub mod slots;
mod until_answered;

use activity::Activity;
use slots::{ConnectionSlots, Peer, Slot};

pub use activity::mark_authenticated;
pub use file_limit::connection_cap;
pub use until_answered::{Guard, Release, UntilAnswered, hold_until_sent};

/// Why a connection closes when the server shuts down.
const SHUTDOWN: &str = "shutdown";

/// How long an idle connection told to close may take to finish before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How long to wait before accepting again after `accept` failed (out of file
/// descriptors, say): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Refused requests after which a connection is closed: a few are part of normal use (a
/// 404 for an expired session), a stream of them is not.
pub const REFUSALS_TO_CLOSE: u32 = 8;

/// Whether an answer refuses the request: a 4xx, but for those a client meets in normal
/// use (a 401 asking for a token, the 405 a stateless server answers the `GET` and
/// `DELETE` of a session) and a 429, which its own limit already bounds.
fn is_refusal(status: http::StatusCode) -> bool {
    use http::StatusCode;
    status.is_client_error()
        && ![
            StatusCode::UNAUTHORIZED,
            StatusCode::METHOD_NOT_ALLOWED,
            StatusCode::TOO_MANY_REQUESTS,
        ]
        .contains(&status)
}

/// The answer written, without waiting, to a connection refused because every slot is
/// taken by others.
const SERVER_FULL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
Connection: close\r\nContent-Type: application/json\r\nContent-Length: 161\r\n\r\n\
{\"error\":\"server_full\",\"error_description\":\"every connection slot is taken \
(--max-connections); try again in a second, reusing one connection for many requests\"}";

/// The connection limits [`serve`] applies.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a new connection may take to send a whole request head.
    pub header_read_timeout: Duration,
    /// How long a connection may stay open with nothing in flight after its last answer.
    pub keep_alive_timeout: Duration,
    /// How many connections are served at once (no more than [`connection_cap`] allows).
    pub max_connections: usize,
    /// How old a connection may grow before it is closed after its answers in flight.
    pub max_age: Duration,
    /// How many requests one connection may carry before it is closed.
    pub max_requests: u32,
}

/// Serves `app` on `listener` until `stop` is cancelled, then asks every connection to
/// close after its answers in flight and waits for them.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    stop: CancellationToken,
) {
    let slots = ConnectionSlots::new(limits.max_connections);
    let connections = TaskTracker::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let mut full = false;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => break,
        };
        let (tcp, from) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "cannot accept a connection; trying again shortly");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let Some(slot) = slots.admit(Peer::of(from.ip())) else {
            refuse(&tcp);
            if !full {
                full = true;
                tracing::warn!(
                    max = limits.max_connections,
                    "every connection slot is taken (--max-connections) by connections that \
                     keep theirs; refusing new ones"
                );
            }
            continue;
        };
        if full && slots.held() < limits.max_connections {
            full = false;
            tracing::info!("connection slots free again");
        }
        // Answers leave as soon as they are written: without TCP_NODELAY, an SSE answer
        // written in parts waits for the client's delayed ACK.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set on a connection");
        }
        let builder = Arc::clone(&builder);
        let app = app.clone();
        let stop = stop.clone();
        connections.spawn(async move {
            serve_one(&builder, tcp, from, app, limits, stop, &slot).await;
            drop(slot);
        });
    }
    connections.close();
    connections.wait().await;
}

/// Tells a refused client why, if its socket takes the answer at once, and closes it.
fn refuse(tcp: &TcpStream) {
    let _ = tcp.try_write(SERVER_FULL);
}

/// Serves one connection until the client closes it, it sits idle too long, it has
/// done what one connection may, another took its slot, or shutdown. Each request
/// carries the peer's address (`ConnectInfo`), for limits per client.
async fn serve_one(
    builder: &Builder<TokioExecutor>,
    tcp: TcpStream,
    peer: std::net::SocketAddr,
    app: axum::Router,
    limits: ConnectionLimits,
    stop: CancellationToken,
    slot: &Slot,
) {
    let activity = Arc::clone(&slot.activity);
    let seen = Arc::clone(&activity);
    let service = tower::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
        let busy = seen.begin();
        request.extensions_mut().insert(Arc::clone(&seen));
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let http1 = request.version() < http::Version::HTTP_2;
        let app = app.clone();
        let seen = Arc::clone(&seen);
        async move {
            let mut response = match app.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if is_refusal(response.status()) {
                seen.refused();
            }
            // The client learns with this answer that the connection ends after it, so
            // it sends its next request on a new one rather than into a closing socket.
            if http1 && spent(&seen, limits) {
                response.headers_mut().insert(
                    http::header::CONNECTION,
                    http::HeaderValue::from_static("close"),
                );
            }
            Ok::<_, Infallible>(hold_until_sent(response, busy))
        }
    });
    let connection = builder.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service));
    tokio::pin!(connection);
    let closing = tokio::select! {
        served = connection.as_mut() => {
            if let Err(error) = served {
                tracing::debug!(%error, "connection ended with an error");
            }
            return;
        }
        reason = done_with(&activity, limits) => reason,
        () = slot.evicted.cancelled() => {
            tracing::debug!("closing a connection whose slot another took");
            return;
        }
        () = stop.cancelled() => SHUTDOWN,
    };
    tracing::debug!(reason = closing, "closing a connection");
    connection.as_mut().graceful_shutdown();
    if closing == SHUTDOWN || !activity.is_idle() {
        // Answers in flight finish (at shutdown within the whole --shutdown-grace,
        // which `serve` enforces).
        let _ = connection.await;
    } else {
        let _ = tokio::time::timeout(CLOSE_GRACE, connection).await;
    }
}

/// Whether the connection has carried as many requests, or refused ones, as one may.
fn spent(activity: &Activity, limits: ConnectionLimits) -> bool {
    activity.refusals() >= REFUSALS_TO_CLOSE || activity.requests() >= limits.max_requests
}

/// Returns (with the reason) once the connection has done what one may: no request in
/// flight for the limit that applies (the header-read timeout before the first
/// request, the keep-alive timeout after), too old, too many requests or refusals.
async fn done_with(activity: &Activity, limits: ConnectionLimits) -> &'static str {
    let too_old = activity.opened() + limits.max_age;
    loop {
        let changed = activity.next_change();
        if spent(activity, limits) {
            return "--max-connection-requests or too many refused requests";
        }
        if Instant::now() >= too_old {
            return "--max-connection-age reached";
        }
        let idle_deadline = if activity.is_idle() {
            let (limit, reason) = if activity.requests() > 0 {
                (
                    limits.keep_alive_timeout,
                    "no request for --keep-alive-timeout",
                )
            } else {
                (
                    limits.header_read_timeout,
                    "no whole request head within --header-read-timeout",
                )
            };
            let deadline = activity.idle_since() + limit;
            if Instant::now() >= deadline {
                return reason;
            }
            deadline
        } else {
            too_old
        };
        tokio::select! {
            () = tokio::time::sleep_until(idle_deadline.min(too_old)) => {}
            () = changed => {}
        }
    }
}
