//! Per-user limits across replicas: the call rate (`--calls-per-minute`, GCRA) and the
//! calls running at once (`--max-concurrent-calls`, leases), checked together by one Lua
//! script (`admit.lua`) in one round trip, atomically.
//!
//! A running call holds a lease: an id in the user's sorted set, scored by its expiry.
//! It is renewed every [`RENEW_EVERY`] while the call runs and removed when the answer
//! has been sent; a replica that dies stops renewing, and its leases expire within
//! [`LEASE_TTL`], freeing the slots.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::{Redis, key};

/// How long a lease lives unless renewed: how long a killed replica's calls keep their
/// slots at most.
pub const LEASE_TTL: Duration = Duration::from_secs(10);

/// How often a running call renews its lease: three chances before it expires.
const RENEW_EVERY: Duration = Duration::from_millis(LEASE_TTL.as_millis() as u64 / 3);

static ADMIT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("admit.lua")));
static RENEW: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("renew.lua")));

/// The per-user limits to hold across replicas.
#[derive(Debug, Clone, Copy)]
pub struct CallRules {
    /// Calls one user may start per minute (also the burst: so many at once).
    pub calls_per_minute: u32,
    /// Calls one user may have running at once.
    pub max_concurrent_calls: u32,
}

/// What the shared counters say of one call.
pub enum Admission {
    /// Admitted: the lease is the call's slot until it is dropped.
    Admitted(Lease),
    /// Over the rate: the next call is admitted in `retry_after`.
    TooFast {
        /// How long until one more call is allowed.
        retry_after: Duration,
    },
    /// As many calls running as allowed.
    TooMany,
}

/// Asks Redis to admit one call of `user`; `None` when it cannot answer.
pub(super) async fn admit(redis: &Redis, user: &str, rules: &CallRules) -> Option<Admission> {
    let rate_key = key("rate", user);
    let leases_key = key("leases", user);
    let id = uuid::Uuid::new_v4().to_string();
    let interval_ms = 60_000.0 / f64::from(rules.calls_per_minute.max(1));
    let (verdict, wait_ms) = redis
        .run(|mut connection| {
            let mut invocation = ADMIT.key(&rate_key);
            invocation
                .key(&leases_key)
                .arg(interval_ms)
                .arg(rules.calls_per_minute)
                .arg(rules.max_concurrent_calls)
                .arg(LEASE_TTL.as_millis() as u64)
                .arg(&id);
            async move { invocation.invoke_async::<(u8, u64)>(&mut connection).await }
        })
        .await?;
    Some(match verdict {
        0 => Admission::Admitted(Lease::hold(redis.clone(), leases_key, id)),
        1 => Admission::TooFast {
            retry_after: Duration::from_millis(wait_ms),
        },
        _ => Admission::TooMany,
    })
}

/// A running call's slot in the shared count: renewed while it lives, released when
/// dropped (or left to expire if Redis cannot be reached then).
pub struct Lease {
    redis: Redis,
    key: String,
    id: String,
    renewal: tokio::task::JoinHandle<()>,
}

impl Lease {
    fn hold(redis: Redis, key: String, id: String) -> Self {
        let renewal = tokio::spawn(renew_while_held(redis.clone(), key.clone(), id.clone()));
        Self {
            redis,
            key,
            id,
            renewal,
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewal.abort();
        let (redis, key, id) = (
            self.redis.clone(),
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.id),
        );
        // Without a runtime (the process is ending) the lease expires by itself.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                redis
                    .run(|mut connection| async move {
                        redis::cmd("ZREM")
                            .arg(&key)
                            .arg(&id)
                            .query_async::<u32>(&mut connection)
                            .await
                    })
                    .await
            });
        }
    }
}

/// Renews the lease `id` every [`RENEW_EVERY`] until aborted.
async fn renew_while_held(redis: Redis, key: String, id: String) {
    let mut every = tokio::time::interval(RENEW_EVERY);
    every.tick().await;
    loop {
        every.tick().await;
        let renewed = redis
            .run(|mut connection| {
                let mut invocation = RENEW.key(&key);
                invocation.arg(&id).arg(LEASE_TTL.as_millis() as u64);
                async move { invocation.invoke_async::<u8>(&mut connection).await }
            })
            .await;
        if renewed == Some(0) {
            tracing::warn!(
                "a running call's concurrency lease expired before it was renewed (Redis \
                 was out of reach for longer than its time to live); its slot is free"
            );
            return;
        }
    }
}
