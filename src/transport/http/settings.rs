//! What the HTTP transport runs with, checked from `serve`'s flags by [`crate::cli`].

use std::net::SocketAddr;
use std::time::Duration;

use super::origin::OriginPolicy;
use super::verifier::VerifierSettings;
use crate::identity::IdentityConfig;
use crate::shared_state::RedisUrl;

/// Where to listen, who may call, and the limits.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The address to listen on.
    pub bind: SocketAddr,
    /// `/mcp` without sessions.
    pub stateless: bool,
    /// How callers prove who they are.
    pub identity: IdentityConfig,
    /// Sizes, rates and times.
    pub limits: Limits,
    /// The hosts and browser origins allowed.
    pub origins: OriginPolicy,
    /// The Redis that replicas share limits and used `requestState` through, if any.
    pub redis: Option<RedisUrl>,
    /// Arcade's custom user verifier at `/arcade/verify` (`--user-verifier`), if served.
    pub user_verifier: Option<VerifierSettings>,
}

/// The limits, checked and in their working units.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Tool calls one user may have running at once.
    pub max_concurrent_calls: u32,
    /// Tool calls one user may start per minute.
    pub calls_per_minute: u32,
    /// Time for one request.
    pub request_timeout: Duration,
    /// Time a session may sit unused.
    pub idle_timeout: Duration,
    /// Time calls in flight get at shutdown.
    pub shutdown_grace: Duration,
    /// Time a new connection has to send its first request's headers: a client that
    /// connects and sends nothing (or trickles) would otherwise hold a socket forever.
    pub header_read_timeout: Duration,
    /// Time a connection may stay open with no request in flight.
    pub keep_alive_timeout: Duration,
    /// Connections served at once, asked for: the server serves at most what the
    /// open-file limit allows (see `fair_accept::connection_cap`).
    pub max_connections: usize,
    /// Age after which a connection is closed, once its answers in flight are sent.
    pub max_connection_age: Duration,
    /// Requests after which a connection is closed, once its answers are sent.
    pub max_connection_requests: u32,
    /// Sessions (Streamable HTTP and legacy SSE together) and `subscriptions/listen`
    /// streams one user may have open.
    pub max_sessions_per_user: usize,
    /// Sessions and listen streams open on the whole server.
    pub max_sessions: usize,
    /// How long a `subscriptions/listen` stream lasts before the server ends it (the
    /// client listens again).
    pub listen_lifetime: Duration,
    /// Requests other than tool calls and listings one user may send per minute; `None`
    /// where there is one fixed user (nobody else to protect).
    pub requests_per_minute: Option<u32>,
}

impl Limits {
    /// The limits the connections are served with.
    pub fn connection_limits(&self) -> fair_accept::ConnectionLimits {
        fair_accept::ConnectionLimits {
            header_read_timeout: self.header_read_timeout,
            keep_alive_timeout: self.keep_alive_timeout,
            max_connections: self.max_connections,
            max_age: self.max_connection_age,
            max_requests: self.max_connection_requests,
        }
    }
}
