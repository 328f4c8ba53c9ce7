//! The connection to Redis: one multiplexed connection shared by every call (the `redis`
//! crate's `MultiplexedConnection`, which pipelines concurrent commands on it: a pool's
//! parallelism without a checkout, nor the round trip a pool spends checking each
//! connection it hands out), every command bounded in time, every reply bounded in size
//! (the `bounded-redis-stream` crate), and a probe that keeps the verdict "reachable or not" and
//! opens a new connection when the last one broke.
//!
//! While Redis is unreachable no call waits for it: [`Redis::run`] answers `None` at once,
//! and the probe, every [`PROBE_EVERY`], finds it back. Each change is logged once: a
//! warning when it is lost, an info line when it is back.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ConnectionInfo, IntoConnectionInfo, RedisError, RedisResult};

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
    /// Where and how to connect, the password included: never shown.
    info: ConnectionInfo,
    current: Mutex<Current>,
    reachable: AtomicBool,
    shown: String,
}

/// The open connection, if any, and which one it is (so that a command failing on an
/// old connection does not drop the new one the probe opened meanwhile).
#[derive(Default)]
struct Current {
    connection: Option<MultiplexedConnection>,
    generation: u64,
}

impl Redis {
    /// Connects (an unreachable Redis is a state, not an error), probes it once and
    /// starts probing it in the background.
    pub(super) async fn connect(url: &RedisUrl) -> Self {
        let info = url
            .expose()
            .into_connection_info()
            .expect("RedisUrl::parse checked the URL");
        let redis = Self(Arc::new(Inner {
            info,
            current: Mutex::default(),
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
    pub(super) async fn run<T, F>(
        &self,
        command: impl FnOnce(MultiplexedConnection) -> F,
    ) -> Option<T>
    where
        F: Future<Output = RedisResult<T>>,
    {
        if !self.reachable() {
            return None;
        }
        let Some((generation, connection)) = self.current() else {
            self.mark(false, "the connection to Redis was closed");
            return None;
        };
        match tokio::time::timeout(OP_TIMEOUT, command(connection)).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(error)) if is_unreachable(&error) => {
                self.forget_if_broken(generation, &error);
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

    /// One `PING` within [`OP_TIMEOUT`], on the open connection or, if there is none, on
    /// a new one opened within [`OP_TIMEOUT`].
    async fn ping(&self) -> Result<(), String> {
        let (generation, mut connection) = match self.current() {
            Some(current) => current,
            None => self.open().await?,
        };
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut connection);
        match tokio::time::timeout(OP_TIMEOUT, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => {
                self.forget_if_broken(generation, &error);
                Err(error.to_string())
            }
            Err(_) => Err(no_answer()),
        }
    }

    /// The open connection and its generation, if there is one.
    fn current(&self) -> Option<(u64, MultiplexedConnection)> {
        let current = self.0.current.lock();
        Some((current.generation, current.connection.clone()?))
    }

    /// Opens a new connection (the stream, then the `redis` crate's handshake: `AUTH`,
    /// `SELECT`, `HELLO` as the URL asks) within [`OP_TIMEOUT`], and makes it current.
    async fn open(&self) -> Result<(u64, MultiplexedConnection), String> {
        let open = async {
            let stream = bounded_redis_stream::open(&self.0.info)
                .await
                .map_err(|error| error.to_string())?;
            let config = AsyncConnectionConfig::new().set_response_timeout(Some(OP_TIMEOUT));
            let (connection, driver) = MultiplexedConnection::new_with_config(
                self.0.info.redis_settings(),
                stream,
                config,
            )
            .await
            .map_err(|error| error.to_string())?;
            // The driver ends when the stream breaks or the last handle is dropped.
            tokio::spawn(driver);
            Ok::<_, String>(connection)
        };
        let connection = tokio::time::timeout(OP_TIMEOUT, open)
            .await
            .map_err(|_| no_answer())??;
        let mut current = self.0.current.lock();
        current.generation += 1;
        current.connection = Some(connection.clone());
        Ok((current.generation, connection))
    }

    /// Drops connection `generation` if `error` broke it (a connection that timed out is
    /// kept: a hung Redis may answer on it later) and it is still the current one: the
    /// next probe opens another.
    fn forget_if_broken(&self, generation: u64, error: &RedisError) {
        if !is_unreachable(error) || error.is_timeout() {
            return;
        }
        let mut current = self.0.current.lock();
        if current.generation == generation {
            current.connection = None;
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
