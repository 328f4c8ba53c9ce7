//! What one connection has done, for the watchdog that closes it and for the fair
//! sharing of slots ([`slots`](super::slots)): requests in flight
//! and since when none is, how many it carried, how many were refused, and whether one
//! of them was authenticated.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The activity of one connection, shared by its requests and its watchdog.
pub struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    requests: AtomicU32,
    refusals: AtomicU32,
    authenticated: AtomicBool,
    idle_since: Mutex<Instant>,
    changed: Notify,
}

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

impl Activity {
    /// A connection opened now, that has done nothing yet.
    pub fn new() -> Self {
        let now = Instant::now();
        Self {
            opened: now,
            in_flight: AtomicUsize::new(0),
            requests: AtomicU32::new(0),
            refusals: AtomicU32::new(0),
            authenticated: AtomicBool::new(false),
            idle_since: Mutex::new(now),
            changed: Notify::new(),
        }
    }

    /// When the connection was accepted.
    pub fn opened(&self) -> Instant {
        self.opened
    }

    /// Since when no request has been in flight (when it opened, before the first).
    pub fn idle_since(&self) -> Instant {
        *self.idle_since.lock()
    }

    /// Whether no request is in flight.
    pub fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) == 0
    }

    /// How many requests have started on it.
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::SeqCst)
    }

    /// How many of its requests were refused.
    pub fn refusals(&self) -> u32 {
        self.refusals.load(Ordering::SeqCst)
    }

    /// Whether one of its requests said, provably, who is calling.
    pub fn authenticated(&self) -> bool {
        self.authenticated.load(Ordering::Relaxed)
    }

    /// Notes that a request on it was authenticated.
    pub fn mark_authenticated(&self) {
        self.authenticated.store(true, Ordering::Relaxed);
    }

    /// Notes that a request was refused.
    pub fn refused(&self) {
        self.refusals.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// One request starting, in flight until the returned guard is dropped.
    pub fn begin(self: &Arc<Self>) -> Busy {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
        Busy(Arc::clone(self))
    }

    /// A future that completes at the next change: made before reading the state, so a
    /// change between the read and the wait is not missed.
    pub fn next_change(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }
}

/// One request in flight on a connection, from its headers until its answer's body has
/// been sent.
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let activity = &self.0;
        *activity.idle_since.lock() = Instant::now();
        activity.in_flight.fetch_sub(1, Ordering::SeqCst);
        activity.changed.notify_one();
    }
}

/// The middleware noting, on the connection a request came on, that it was
/// authenticated; it runs after the identity middleware, so only requests whose caller
/// was verified reach it.
pub async fn mark_authenticated(request: Request, next: Next) -> Response {
    if let Some(activity) = request.extensions().get::<Arc<Activity>>() {
        activity.mark_authenticated();
    }
    next.run(request).await
}
