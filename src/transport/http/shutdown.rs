//! Graceful shutdown: on SIGTERM or SIGINT stop accepting connections, let the requests in
//! flight (tool calls among them) finish for up to a deadline, then close every stream and
//! session.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use fair_accept::{UntilAnswered, hold_until_sent};

/// What shutdown waits for and what it closes.
#[derive(Clone, Default)]
pub struct Shutdown {
    /// Cancelled last: ends rmcp's sessions and the legacy SSE streams.
    pub close_streams: CancellationToken,
    in_flight: TaskTracker,
}

impl Shutdown {
    /// Waits for the requests in flight, for `grace` at most, then closes the streams.
    pub async fn drain(&self, grace: Duration) {
        self.in_flight.close();
        let pending = self.in_flight.len();
        if pending > 0 {
            tracing::info!(
                pending,
                grace_s = grace.as_secs(),
                "waiting for requests in flight"
            );
        }
        if tokio::time::timeout(grace, self.in_flight.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                pending = self.in_flight.len(),
                "requests still running at the shutdown deadline are cut off"
            );
        }
        self.close_streams.cancel();
    }
}

/// The middleware that counts a `POST` as in flight until its answer has been sent (on
/// the legacy transport: until the answer has gone out on the session's stream).
pub async fn track_in_flight(
    State(shutdown): State<Arc<Shutdown>>,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let token = shutdown.in_flight.token();
    let release = UntilAnswered::hold(request.extensions_mut(), token);
    hold_until_sent(next.run(request).await, release)
}

/// Resolves at the first SIGTERM or SIGINT (Ctrl-C).
pub async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server gracefully");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
