//! The connection to Redis: one multiplexed connection shared by every call (the `redis`
//! crate's `ConnectionManager`, which pipelines concurrent commands on it and reconnects
//! by itself: a pool's parallelism without a checkout, nor the round trip a pool spends
//! checking each connection it hands out), every command bounded in time, and a probe
//! that keeps the verdict "reachable or not".
//!
//! While Redis is unreachable no call waits for it: [`Redis::run`] answers `None` at once,
//! and the probe, every [`PROBE_EVERY`], finds it back. Each change is logged once: a
//! warning when it is lost, an info line when it is back.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, RedisResult};

use super::RedisUrl;

/// The longest one Redis command may take, connecting included, before Redis counts as
/// unreachable: a hung Redis costs a call at most this.
pub const OP_TIMEOUT: Duration = Duration::from_millis(250);

/// How often Redis is probed (`PING`), so that a loss is seen without traffic and a
/// recovery is seen at all (no command is sent while it is unreachable).
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The shared Redis: cheap to clone.
#[derive(Clone)]
pub struct Redis(Arc<Inner>);

struct Inner {
    manager: ConnectionManager,
    reachable: AtomicBool,
    shown: String,
}

impl Redis {
    /// Connects (lazily: an unreachable Redis is a state, not an error), probes it once
    /// and starts probing it in the background.
    pub(super) async fn connect(url: &RedisUrl) -> Self {
        let client = redis::Client::open(url.expose()).expect("RedisUrl::parse checked the URL");
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(OP_TIMEOUT))
            .set_response_timeout(Some(OP_TIMEOUT))
            // The probe is the retry: a command never waits through reconnection attempts.
            .set_number_of_retries(0);
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .expect("a connection manager without a push sender is always valid");
        let redis = Self(Arc::new(Inner {
            manager,
            reachable: AtomicBool::new(false),
            shown: url.shown().to_owned(),
        }));
        match redis.ping().await {
            Ok(()) => {
                redis.0.reachable.store(true, Ordering::SeqCst);
                tracing::info!(
                    redis = redis.shown(),
                    "sharing limits and used requestState with the other replicas through Redis"
                );
            }
            Err(cause) => redis.lost(&cause),
        }
        spawn_probe(Arc::downgrade(&redis.0));
        redis
    }

    /// Whether the last command or probe reached Redis.
    pub fn reachable(&self) -> bool {
        self.0.reachable.load(Ordering::SeqCst)
    }

    /// Which Redis, without its credentials.
    pub fn shown(&self) -> &str {
        &self.0.shown
    }

    /// Runs `command` on the shared connection within [`OP_TIMEOUT`]; `None` when Redis
    /// is unreachable (known before, or found now) or answered with an error.
    pub(super) async fn run<T, F>(&self, command: impl FnOnce(ConnectionManager) -> F) -> Option<T>
    where
        F: Future<Output = RedisResult<T>>,
    {
        if !self.reachable() {
            return None;
        }
        match tokio::time::timeout(OP_TIMEOUT, command(self.0.manager.clone())).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(error)) if is_unreachable(&error) => {
                self.mark(false, &error.to_string());
                None
            }
            Ok(Err(error)) => {
                tracing::error!(redis = self.shown(), %error, "Redis refused a command; this call counts locally");
                None
            }
            Err(_) => {
                self.mark(false, &no_answer());
                None
            }
        }
    }

    /// One `PING`, within [`OP_TIMEOUT`].
    async fn ping(&self) -> Result<(), String> {
        let mut manager = self.0.manager.clone();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut manager);
        match tokio::time::timeout(OP_TIMEOUT, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(no_answer()),
        }
    }

    /// Records whether Redis answered, logging only a change.
    fn mark(&self, reachable: bool, cause: &str) {
        if self.0.reachable.swap(reachable, Ordering::SeqCst) == reachable {
            return;
        }
        if reachable {
            tracing::info!(
                redis = self.shown(),
                "Redis is reachable again: per-user limits and single-use requestState are \
                 shared across replicas again"
            );
        } else {
            self.lost(cause);
        }
    }

    fn lost(&self, cause: &str) {
        tracing::warn!(
            redis = self.shown(),
            cause,
            "Redis is unreachable: per-user limits fall back to this replica's own counters \
             (fail open), and retries with requestState are refused until it is back (fail \
             closed); probing it every second"
        );
    }
}

/// Probes the Redis of `inner` every [`PROBE_EVERY`] for as long as it is in use.
fn spawn_probe(inner: Weak<Inner>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PROBE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            let Some(inner) = inner.upgrade() else {
                return;
            };
            let redis = Redis(inner);
            match redis.ping().await {
                Ok(()) => redis.mark(true, ""),
                Err(cause) => redis.mark(false, &cause),
            }
        }
    });
}

/// Whether `error` says Redis cannot be reached (rather than that it refused a command).
fn is_unreachable(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
}

fn no_answer() -> String {
    format!("no answer within {} ms", OP_TIMEOUT.as_millis())
}
