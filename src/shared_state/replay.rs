//! A used `requestState` is used once: the first retry that presents it marks it used
//! (atomically: in Redis `SET key NX PX`, in memory an insert-if-absent), any later one
//! is refused. The mark lives as long as the state could still be opened, plus
//! [`CLOCK_MARGIN`] for the replicas' clocks to differ, then goes: an expired state is
//! refused by its seal anyway.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use sha2::Digest as _;

use super::{Redis, key};

/// States remembered in one process without Redis: at the default `--auth-timeout` of
/// 300 s, more than 300 first retries a second, sustained. Past it marks are evicted
/// before they expire, and a replay of an evicted one would be let through.
const LOCAL_CAPACITY: u64 = 100_000;

/// How long a mark outlives its state's expiry, for replicas whose clocks differ.
pub const CLOCK_MARGIN: Duration = Duration::from_secs(5);

/// Where used states are marked.
#[derive(Clone)]
pub enum ReplayGuard {
    /// In this process (no `--redis-url`, or stdio): a bounded set with expiry.
    Local(Arc<moka::sync::Cache<[u8; 32], Duration>>),
    /// In the Redis the replicas share.
    Shared(Redis),
}

/// Why a retry's `requestState` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// It was used before.
    #[error(
        "requestState has already been used: each one finishes one call, once; call the \
         tool again without requestState to start over"
    )]
    AlreadyUsed,
    /// Redis, which knows whether it was, cannot be reached.
    #[error(
        "requestState cannot be checked for single use right now (the replicas' shared store, \
         Redis, is unreachable), so this retry is refused rather than risk running the tool \
         twice; retry with the same requestState in a few seconds"
    )]
    Unverifiable,
}

impl std::fmt::Debug for ReplayGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local(used) => write!(f, "ReplayGuard::Local({} marks)", used.entry_count()),
            Self::Shared(redis) => write!(f, "ReplayGuard::Shared({})", redis.shown()),
        }
    }
}

/// Each mark expires when its state does (the value is its time to live).
struct UntilStateExpires;

impl Expiry<[u8; 32], Duration> for UntilStateExpires {
    fn expire_after_create(&self, _: &[u8; 32], ttl: &Duration, _: Instant) -> Option<Duration> {
        Some(*ttl)
    }
}

impl ReplayGuard {
    /// Marks in this process only.
    pub fn local() -> Self {
        Self::Local(Arc::new(
            moka::sync::Cache::builder()
                .max_capacity(LOCAL_CAPACITY)
                .expire_after(UntilStateExpires)
                .build(),
        ))
    }

    /// Marks `sealed` used, if it was not: `valid_for` is how long it could still be
    /// opened.
    pub async fn first_use(&self, sealed: &str, valid_for: Duration) -> Result<(), ReplayError> {
        let ttl = valid_for + CLOCK_MARGIN;
        match self {
            Self::Local(used) => {
                let digest: [u8; 32] = sha2::Sha256::digest(sealed.as_bytes()).into();
                let entry = used.entry(digest).or_insert(ttl);
                if entry.is_fresh() {
                    Ok(())
                } else {
                    Err(ReplayError::AlreadyUsed)
                }
            }
            Self::Shared(redis) => {
                let key = key("used-state", sealed);
                let set = redis
                    .run(|mut connection| async move {
                        redis::cmd("SET")
                            .arg(&key)
                            .arg(1)
                            .arg("NX")
                            .arg("PX")
                            .arg(ttl.as_millis() as u64)
                            .query_async::<Option<String>>(&mut connection)
                            .await
                    })
                    .await;
                match set {
                    Some(Some(_)) => Ok(()),
                    Some(None) => Err(ReplayError::AlreadyUsed),
                    None => Err(ReplayError::Unverifiable),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_state_is_used_once_in_one_process() {
        let guard = ReplayGuard::local();
        let valid = Duration::from_secs(300);
        guard.first_use("state-1", valid).await.unwrap();
        let again = guard.first_use("state-1", valid).await.unwrap_err();
        assert!(matches!(again, ReplayError::AlreadyUsed), "{again}");
        assert!(again.to_string().contains("without requestState"));
        guard.first_use("state-2", valid).await.unwrap();
    }
}
