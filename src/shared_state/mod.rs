//! What stateless HTTP replicas share through Redis (`--redis-url`), so that N replicas
//! behind one load balancer hold one user to one set of limits: the per-user call rate
//! and concurrency ([`admission`]), and the single use of a multi round-trip
//! `requestState` ([`replay`]).
//!
//! Without `--redis-url` nothing is shared: the HTTP transport counts limits per replica,
//! and [`ReplayGuard::local`] keeps used states in this process.
//!
//! When Redis cannot be reached ([`connection`] probes it and keeps the verdict), each
//! feature fails the way `docs/shared-state.md` says: the limits fall back to this
//! replica's own counters (open), a retry with `requestState` is refused (closed).

mod address;
mod admission;
mod connection;
mod replay;

use sha2::{Digest, Sha256};

pub use address::{RedisUrl, RedisUrlError};
pub use admission::{Admission, CallRules, LEASE_TTL, Lease};
pub use bounded_redis_stream::MAX_REPLY_BYTES;
pub use connection::{OP_TIMEOUT, PROBE_EVERY, Redis};
pub use replay::{ReplayError, ReplayGuard};

/// The prefix of every key this gateway writes, so that it can share a Redis with others.
pub const KEY_PREFIX: &str = "arcade-mcp-gateway:";

/// What the replicas share: Redis, or nothing (each replica on its own).
#[derive(Clone, Default)]
pub struct SharedState {
    redis: Option<Redis>,
}

impl SharedState {
    /// Nothing shared: every limit and every used `requestState` is this process's.
    pub fn local() -> Self {
        Self::default()
    }

    /// State shared through the Redis at `url`. Never fails: a Redis unreachable at start
    /// is a degraded state like one lost later, logged, and retried in the background.
    pub async fn connect(url: &RedisUrl) -> Self {
        Self {
            redis: Some(Redis::connect(url).await),
        }
    }

    /// The shared Redis, if `--redis-url` is given.
    pub fn redis(&self) -> Option<&Redis> {
        self.redis.as_ref()
    }

    /// One admission of a call of `user` by the shared counters, or `None` when they
    /// cannot answer (no Redis, or Redis unreachable): the caller then counts locally.
    pub async fn admit(&self, user: &str, rules: &CallRules) -> Option<Admission> {
        admission::admit(self.redis.as_ref()?, user, rules).await
    }

    /// What makes a used `requestState` unusable: in Redis when shared, else in memory.
    pub fn replay_guard(&self) -> ReplayGuard {
        match &self.redis {
            Some(redis) => ReplayGuard::Shared(redis.clone()),
            None => ReplayGuard::local(),
        }
    }
}

/// The key of `kind` for `id`: the id only as its SHA-256 (user ids may be emails, and a
/// sealed state is a credential for one retry), in braces so that a Redis Cluster proxy
/// would keep one user's keys in one slot.
fn key(kind: &str, id: &str) -> String {
    format!(
        "{KEY_PREFIX}{kind}:{{{}}}",
        hex::encode(Sha256::digest(id.as_bytes()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_no_id_in_the_clear() {
        let key = key("rate", "ann@example.com");
        assert!(key.starts_with("arcade-mcp-gateway:rate:{"), "{key}");
        assert!(!key.contains("ann"), "{key}");
        assert_eq!(key.len(), "arcade-mcp-gateway:rate:{}".len() + 64);
    }
}
