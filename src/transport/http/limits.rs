//! Per-user limits on requests: how many tool calls may run at once and how many may
//! start per minute, how many pages of `tools/list` a minute, and (with many users) how
//! many other requests a minute, whatever their method: one the gateway refuses still
//! costs a parse, an answer and a log line. Over any, the request is answered
//! `429 Too Many Requests` with `Retry-After`, and only that user waits: others keep
//! being served.
//!
//! The limits apply on `/mcp` and `/messages`; sessions and `subscriptions/listen`
//! streams are bounded apart ([`session_limits`](super::session_limits)), from the
//! [`Asked`] this middleware leaves on the request. A call holds its slot until its
//! answer has been sent: on `/mcp` the response, on legacy `/messages` the answer on the
//! session's SSE stream ([`UntilAnswered`]).
//!
//! With `--redis-url` the call limits hold across every replica sharing that Redis
//! ([`crate::shared_state`]: one round trip a call); while Redis cannot answer, and
//! without it, each replica counts its own (failing open: a user gets at most the limit
//! per replica). The `tools/list` bound is always per replica.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parking_lot::Mutex;
use tokio::sync::Semaphore;

use super::metrics::Metrics;
use super::settings::Limits;
use crate::audit::{self, AuditLog};
use crate::identity::UserId;
use crate::shared_state::{Admission, CallRules, SharedState};
use fair_accept::{Guard, UntilAnswered, hold_until_sent};

/// How often the rate counters of users without a call in the last minute are dropped:
/// a server meeting new users all day would otherwise keep a counter for each, and its
/// memory would grow without bound.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Pages of `tools/list` one user may ask for in a minute: enough to page through the
/// largest catalog many times over, few enough that listing, the costliest request to
/// answer, cannot be used to load the server.
pub const LIST_PAGES_PER_MINUTE: u32 = 600;

/// The per-user counters.
pub struct CallLimits {
    per_minute: DefaultKeyedRateLimiter<UserId>,
    listings_per_minute: DefaultKeyedRateLimiter<UserId>,
    /// Every other request, when users are told apart (see [`Limits::requests_per_minute`]).
    requests_per_minute: Option<(u32, DefaultKeyedRateLimiter<UserId>)>,
    running: moka::sync::Cache<UserId, Arc<Semaphore>>,
    max_concurrent: usize,
    calls_per_minute: u32,
    max_body_bytes: usize,
    last_sweep: Mutex<Instant>,
    metrics: Arc<Metrics>,
    /// Where the lines of refused calls go.
    audit: AuditLog,
    shared: SharedState,
}

/// Why a call was turned away.
#[derive(Debug, thiserror::Error)]
enum OverLimit {
    #[error(
        "too many tool calls per minute for this user (limit {limit}); wait {wait_s} s and call again"
    )]
    Rate { limit: u32, wait_s: u64 },
    #[error(
        "too many tool calls running at once for this user (limit {limit}); wait for one to finish and call again"
    )]
    Concurrency { limit: usize },
    #[error(
        "too many tools/list requests per minute for this user (limit {limit}); wait {wait_s} s \
         and list again (a client needs to list once, and again only when told the list changed)"
    )]
    Listing { limit: u32, wait_s: u64 },
    #[error(
        "too many requests per minute for this user (limit {limit}, --requests-per-minute); \
         wait {wait_s} s and send again"
    )]
    Requests { limit: u32, wait_s: u64 },
}

impl OverLimit {
    fn retry_after(&self) -> u64 {
        match self {
            Self::Rate { wait_s, .. }
            | Self::Listing { wait_s, .. }
            | Self::Requests { wait_s, .. } => *wait_s,
            Self::Concurrency { .. } => 1,
        }
    }
}

impl IntoResponse for OverLimit {
    fn into_response(self) -> Response {
        let mut response = super::json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            &self.to_string(),
        )
        .into_response();
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(self.retry_after()));
        response
    }
}

impl CallLimits {
    /// Counters for the configured limits (which [`Limits`] has checked to be non-zero),
    /// shared through `shared` when it has a Redis.
    pub fn new(
        limits: &Limits,
        metrics: Arc<Metrics>,
        audit: AuditLog,
        shared: SharedState,
    ) -> Self {
        let per_minute = NonZeroU32::new(limits.calls_per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            per_minute: RateLimiter::keyed(Quota::per_minute(per_minute)),
            listings_per_minute: RateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(LIST_PAGES_PER_MINUTE).unwrap_or(NonZeroU32::MIN),
            )),
            requests_per_minute: limits
                .requests_per_minute
                .and_then(NonZeroU32::new)
                .map(|n| (n.get(), RateLimiter::keyed(Quota::per_minute(n)))),
            running: moka::sync::Cache::builder()
                .time_to_idle(Duration::from_secs(600))
                .build(),
            max_concurrent: limits.max_concurrent_calls as usize,
            calls_per_minute: limits.calls_per_minute,
            max_body_bytes: limits.max_body_bytes,
            last_sweep: Mutex::new(Instant::now()),
            metrics,
            audit,
            shared,
        }
    }

    /// Drops the rate counters of users idle for the last minute, at most once a
    /// [`SWEEP_EVERY`] (a call that finds another sweeping goes on).
    fn sweep_idle_users(&self) {
        let Some(mut last) = self.last_sweep.try_lock() else {
            return;
        };
        if last.elapsed() >= SWEEP_EVERY {
            *last = Instant::now();
            self.per_minute.retain_recent();
            self.per_minute.shrink_to_fit();
            self.listings_per_minute.retain_recent();
            self.listings_per_minute.shrink_to_fit();
            if let Some((_, requests)) = &self.requests_per_minute {
                requests.retain_recent();
                requests.shrink_to_fit();
            }
        }
    }

    /// Whether `user` may send one more request (neither a call nor a listing) this
    /// minute.
    fn admit_request(&self, user: &UserId) -> Result<(), OverLimit> {
        let Some((limit, requests)) = &self.requests_per_minute else {
            return Ok(());
        };
        self.sweep_idle_users();
        requests.check_key(user).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            OverLimit::Requests {
                limit: *limit,
                wait_s: wait.as_secs().max(1),
            }
        })
    }

    /// Whether `user` may have one more page of `tools/list` this minute.
    fn admit_listing(&self, user: &UserId) -> Result<(), OverLimit> {
        self.sweep_idle_users();
        self.listings_per_minute
            .check_key(user)
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                OverLimit::Listing {
                    limit: LIST_PAGES_PER_MINUTE,
                    wait_s: wait.as_secs().max(1),
                }
            })
    }

    /// A slot for one call of `user`, held until the returned guard is dropped: from the
    /// counters the replicas share when they can answer, else from this replica's.
    async fn admit(&self, user: &UserId) -> Result<Guard, OverLimit> {
        let rules = CallRules {
            calls_per_minute: self.calls_per_minute,
            max_concurrent_calls: self.max_concurrent as u32,
        };
        match self.shared.admit(user.as_str(), &rules).await {
            Some(Admission::Admitted(lease)) => Ok(Box::new(lease)),
            Some(Admission::TooFast { retry_after }) => Err(OverLimit::Rate {
                limit: self.calls_per_minute,
                wait_s: retry_after.as_secs_f64().ceil().max(1.0) as u64,
            }),
            Some(Admission::TooMany) => Err(OverLimit::Concurrency {
                limit: self.max_concurrent,
            }),
            None => self
                .admit_locally(user)
                .map(|permit| Box::new(permit) as Guard),
        }
    }

    /// A slot for one call of `user` from this replica's own counters.
    fn admit_locally(&self, user: &UserId) -> Result<tokio::sync::OwnedSemaphorePermit, OverLimit> {
        self.sweep_idle_users();
        if let Err(not_until) = self.per_minute.check_key(user) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return Err(OverLimit::Rate {
                limit: self.calls_per_minute,
                wait_s: wait.as_secs().max(1),
            });
        }
        let semaphore = self
            .running
            .get_with_by_ref(user, || Arc::new(Semaphore::new(self.max_concurrent)));
        semaphore
            .try_acquire_owned()
            .map_err(|_| OverLimit::Concurrency {
                limit: self.max_concurrent,
            })
    }
}

/// What a request asks for, as the limits count it: read once from its JSON-RPC body
/// (one message or a batch), and left on the request for the session middleware.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asked {
    /// A `tools/call`.
    pub call: bool,
    /// A page of `tools/list`.
    pub listing: bool,
    /// A `subscriptions/listen` stream.
    pub listen: bool,
}

impl Asked {
    /// What `body` asks for. A batch is told apart by its first byte, so one message is
    /// parsed straight into its `method` (an untagged enum would first copy the whole
    /// body into an intermediate tree).
    pub fn of(body: &[u8]) -> Self {
        #[derive(serde::Deserialize)]
        struct Message<'a> {
            #[serde(borrow)]
            method: Option<std::borrow::Cow<'a, str>>,
        }
        let mut asked = Self::default();
        let mut note = |message: &Message| match message.method.as_deref() {
            Some("tools/call") => asked.call = true,
            Some("tools/list") => asked.listing = true,
            Some("subscriptions/listen") => asked.listen = true,
            _ => {}
        };
        if body.trim_ascii_start().starts_with(b"[") {
            if let Ok(batch) = serde_json::from_slice::<Vec<Message>>(body) {
                batch.iter().for_each(&mut note);
            }
        } else if let Ok(message) = serde_json::from_slice::<Message>(body) {
            note(&message);
        }
        asked
    }
}

/// The middleware; runs after the identity middleware, which put the [`UserId`] in.
pub async fn limit_calls(
    State(limits): State<Arc<CallLimits>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(user) = request.extensions().get::<UserId>().cloned() else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let bytes = match to_bytes(body, limits.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => return super::body_too_large(limits.max_body_bytes),
    };
    let asked = Asked::of(&bytes);
    parts.extensions.insert(asked);
    if asked.listing
        && let Err(over) = limits.admit_listing(&user)
    {
        tracing::info!(user = %user, reason = %over, "refused a tools/list over the limit");
        limits.metrics.rate_limited();
        return over.into_response();
    }
    if !asked.listing
        && !asked.call
        && let Err(over) = limits.admit_request(&user)
    {
        // One line a refusal would itself be a flood: the metric counts them.
        tracing::debug!(user = %user, reason = %over, "refused a request over the limit");
        limits.metrics.rate_limited();
        return over.into_response();
    }
    let release = if asked.call {
        match limits.admit(&user).await {
            Ok(slot) => Some(UntilAnswered::hold(&mut parts.extensions, slot)),
            Err(over) => {
                tracing::info!(user = %user, reason = %over, "refused a tool call over the limit");
                limits.metrics.rate_limited();
                audit::refused_calls(
                    &limits.audit,
                    &user,
                    &bytes,
                    crate::outcome::CallOutcome::RateLimited,
                );
                return over.into_response();
            }
        }
    } else {
        None
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    match release {
        None => response,
        // The slot is freed when the answer has been sent (or dropped).
        Some(release) => hold_until_sent(response, release),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counters allowing `calls_per_minute`, every other limit at its least.
    fn counters(calls_per_minute: u32) -> CallLimits {
        let limits = Limits {
            max_body_bytes: 1024,
            max_concurrent_calls: 1,
            calls_per_minute,
            request_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(1),
            header_read_timeout: Duration::from_secs(1),
            keep_alive_timeout: Duration::from_secs(1),
            max_connections: 1,
            max_sessions_per_user: 1,
            max_sessions: 1,
            max_connection_age: Duration::from_secs(1),
            max_connection_requests: 1,
            listen_lifetime: Duration::from_secs(1),
            requests_per_minute: None,
        };
        CallLimits::new(
            &limits,
            Arc::new(Metrics::default()),
            AuditLog::default(),
            SharedState::local(),
        )
    }

    #[test]
    fn users_idle_for_a_minute_are_swept() {
        // One call's cell refills in a millisecond.
        let calls = counters(60_000);
        for n in 0..100 {
            let user = UserId::new(format!("user{n}@example.com"));
            drop(calls.admit_locally(&user).unwrap());
        }
        assert_eq!(calls.per_minute.len(), 100);
        std::thread::sleep(Duration::from_millis(20));
        calls.sweep_idle_users();
        assert_eq!(
            calls.per_minute.len(),
            100,
            "not before a minute has passed"
        );
        *calls.last_sweep.lock() -= SWEEP_EVERY;
        calls.sweep_idle_users();
        assert_eq!(calls.per_minute.len(), 0);
    }

    #[test]
    fn recognises_what_is_asked_for() {
        let call = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#;
        assert!(Asked::of(call).call);
        assert!(!Asked::of(call).listing);
        let batch = br#"[{"jsonrpc":"2.0","id":1,"method":"tools/call"},
                         {"jsonrpc":"2.0","id":2,"method":"subscriptions/listen"}]"#;
        assert_eq!(
            Asked::of(batch),
            Asked {
                call: true,
                listing: false,
                listen: true
            }
        );
        assert!(Asked::of(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).listing);
        assert_eq!(Asked::of(b"not json"), Asked::default());
    }

    #[test]
    fn other_requests_are_bounded_per_user_when_asked() {
        let mut calls = counters(1);
        assert!(
            calls.admit_request(&UserId::new("ann")).is_ok(),
            "off by default"
        );
        calls.requests_per_minute = Some((
            2,
            RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(2).unwrap())),
        ));
        let ann = UserId::new("ann");
        calls.admit_request(&ann).unwrap();
        calls.admit_request(&ann).unwrap();
        let over = calls.admit_request(&ann).unwrap_err();
        assert!(over.to_string().contains("--requests-per-minute"), "{over}");
        assert!(calls.admit_request(&UserId::new("bob")).is_ok());
    }

    #[test]
    fn listing_is_bounded_per_user() {
        let calls = counters(1);
        let (ann, bob) = (UserId::new("ann"), UserId::new("bob"));
        for _ in 0..LIST_PAGES_PER_MINUTE {
            calls.admit_listing(&ann).expect("within the limit");
        }
        let over = calls.admit_listing(&ann).unwrap_err();
        assert!(over.to_string().contains("tools/list"), "{over}");
        assert!(over.retry_after() >= 1);
        assert!(
            calls.admit_listing(&bob).is_ok(),
            "another user is not slowed"
        );
    }
}
