//! Accepting and serving connections, so that clients who connect and then send nothing,
//! trickle their headers or sit idle cannot hold sockets (and file descriptors) forever
//! and lock everyone else out.
//!
//! Each accepted connection takes one of `--max-connections` slots, held until it closes;
//! when all are taken, new connections wait in the listen queue instead of costing a
//! file descriptor each. A connection is closed when no request is in flight on it for
//! `--header-read-timeout` after it opened (it never sent a whole request head) or for
//! `--keep-alive-timeout` after its last answer went out. A request starts once its
//! headers have been read, so a client trickling them counts as sending nothing.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::settings::Limits;
use super::until_answered::hold_until_sent;

/// Why a connection closes when the server shuts down.
const SHUTDOWN: &str = "shutdown";

/// How long an idle connection told to close may take to finish before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How long to wait before accepting again after `accept` failed (out of file
/// descriptors, say): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The connection limits [`serve`] applies.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// See [`Limits::header_read_timeout`].
    pub header_read_timeout: Duration,
    /// See [`Limits::keep_alive_timeout`].
    pub keep_alive_timeout: Duration,
    /// See [`Limits::max_connections`].
    pub max_connections: usize,
}

impl From<&Limits> for ConnectionLimits {
    fn from(limits: &Limits) -> Self {
        Self {
            header_read_timeout: limits.header_read_timeout,
            keep_alive_timeout: limits.keep_alive_timeout,
            max_connections: limits.max_connections,
        }
    }
}

/// Serves `app` on `listener` until `stop` is cancelled, then asks every connection to
/// close after its answers in flight and waits for them.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let connections = TaskTracker::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let mut full = false;
    loop {
        if slots.available_permits() == 0 && !full {
            full = true;
            tracing::warn!(
                max = limits.max_connections,
                "every connection slot is taken (--max-connections); new connections wait"
            );
        }
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = stop.cancelled() => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => break,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "cannot accept a connection; trying again shortly");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        if full && slots.available_permits() > 0 {
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
            serve_one(&builder, tcp, peer, app, limits, stop).await;
            drop(slot);
        });
    }
    connections.close();
    connections.wait().await;
}

/// Serves one connection until the client closes it, it sits idle too long, or shutdown.
/// Each request carries the peer's address (`ConnectInfo`), for limits per client.
async fn serve_one(
    builder: &Builder<TokioExecutor>,
    tcp: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    app: axum::Router,
    limits: ConnectionLimits,
    stop: CancellationToken,
) {
    let activity = Arc::new(Activity::new());
    let seen = Arc::clone(&activity);
    let service = tower::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let busy = Busy::begin(&seen);
        let app = app.clone();
        async move {
            let response = match app.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
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
        idle = activity.idle_too_long(limits) => idle,
        () = stop.cancelled() => SHUTDOWN,
    };
    tracing::debug!(reason = closing, "closing a connection");
    connection.as_mut().graceful_shutdown();
    if closing == SHUTDOWN {
        // Its calls in flight get the whole --shutdown-grace, which `serve` enforces.
        let _ = connection.await;
    } else {
        let _ = tokio::time::timeout(CLOSE_GRACE, connection).await;
    }
}

/// What a connection's watchdog needs to know: requests in flight, whether any came at
/// all, and since when nothing has been in flight.
struct Activity {
    in_flight: AtomicUsize,
    had_request: AtomicBool,
    idle_since: Mutex<Instant>,
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            had_request: AtomicBool::new(false),
            idle_since: Mutex::new(Instant::now()),
            changed: Notify::new(),
        }
    }

    fn idle_since(&self) -> Instant {
        *self
            .idle_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Returns (with the reason) once no request has been in flight for the limit that
    /// applies: the header-read timeout before the first request, the keep-alive timeout
    /// after.
    async fn idle_too_long(&self, limits: ConnectionLimits) -> &'static str {
        loop {
            let changed = self.changed.notified();
            if self.in_flight.load(Ordering::SeqCst) > 0 {
                changed.await;
                continue;
            }
            let (limit, reason) = if self.had_request.load(Ordering::SeqCst) {
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
            let deadline = self.idle_since() + limit;
            if Instant::now() >= deadline {
                return reason;
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {}
                () = changed => {}
            }
        }
    }
}

/// One request in flight on a connection, from its headers until its answer's body has
/// been sent.
struct Busy(Arc<Activity>);

impl Busy {
    fn begin(activity: &Arc<Activity>) -> Self {
        activity.had_request.store(true, Ordering::SeqCst);
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        activity.changed.notify_one();
        Self(Arc::clone(activity))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let activity = &self.0;
        *activity
            .idle_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
        activity.in_flight.fetch_sub(1, Ordering::SeqCst);
        activity.changed.notify_one();
    }
}
