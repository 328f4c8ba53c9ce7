//! `/healthz` (the process answers) and `/readyz` (the catalog is loaded and Arcade
//! answers its health check). Readiness asks Arcade at most once every few seconds, so a
//! probe hammering it costs Arcade nothing.
//!
//! With `--redis-url`, `/readyz` also reports Redis (from the background probe, no round
//! trip of its own) and, while it is unreachable, the direction each feature fails in.
//! That stays `200`: every replica shares the one Redis, so a `503` would have the load
//! balancer pull all of them at once, turning a Redis outage into a full one, while the
//! degraded replicas still serve every call (limits per replica, no retries with
//! `requestState`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;
use tokio::sync::Mutex;

use crate::arcade::ArcadeClient;
use crate::shared_state::SharedState;

/// How long an answer from Arcade's health check is reused.
const CACHE_FOR: Duration = Duration::from_secs(5);
/// How long the health check may take before Arcade counts as unreachable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// The readiness state behind `/readyz`.
pub struct Readiness {
    arcade: ArcadeClient,
    tools: usize,
    last: Mutex<Option<(Instant, Result<(), String>)>>,
    shared: SharedState,
}

impl Readiness {
    /// Readiness for a server that has loaded `tools` tools and calls `arcade`.
    pub fn new(arcade: ArcadeClient, tools: usize) -> Self {
        Self {
            arcade,
            tools,
            last: Mutex::new(None),
            shared: SharedState::local(),
        }
    }

    /// The same readiness, also reporting the Redis of `shared`, if any.
    pub fn with_shared_state(mut self, shared: SharedState) -> Self {
        self.shared = shared;
        self
    }

    /// The `redis` check of `/readyz`, when there is a Redis: its address without
    /// credentials, whether it is reachable and, when not, how each feature fails.
    fn redis_check(&self) -> Option<serde_json::Value> {
        let redis = self.shared.redis()?;
        Some(if redis.reachable() {
            json!({"status": "ok", "url": redis.shown()})
        } else {
            json!({
                "status": "degraded",
                "url": redis.shown(),
                "reason": "Redis is unreachable; probing it every second",
                "rate_limits": "fail open: each replica applies --calls-per-minute and \
                    --max-concurrent-calls on its own",
                "request_state": "fail closed: retries with requestState are refused",
            })
        })
    }

    /// How many tools the server serves.
    pub fn tools(&self) -> usize {
        self.tools
    }

    /// Arcade's answer, from the cache when it is fresh; concurrent probes share one check.
    async fn arcade_reachable(&self) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, verdict)) = last.as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return verdict.clone();
        }
        let verdict = match tokio::time::timeout(CHECK_TIMEOUT, self.arcade.health()).await {
            Ok(Ok(health)) if health.healthy => Ok(()),
            Ok(Ok(health)) => Err(format!(
                "Arcade reports itself unhealthy: {}",
                health.reason.as_deref().unwrap_or("no reason given")
            )),
            Ok(Err(error)) => {
                // The detail (the engine's address, socket errors) is for the operator's
                // log; a probe anyone can reach learns only that Arcade did not answer.
                tracing::warn!(%error, "readiness: Arcade's health check failed");
                Err("Arcade's health check failed; see the gateway's log".to_owned())
            }
            Err(_) => Err(format!(
                "Arcade's health check took longer than {} s",
                CHECK_TIMEOUT.as_secs()
            )),
        };
        *last = Some((Instant::now(), verdict.clone()));
        verdict
    }
}

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: 200 when the catalog is loaded and Arcade answers, 503 with the reason
/// otherwise; with a `redis` check when there is one (degraded Redis is still 200).
pub async fn readyz(State(readiness): State<Arc<Readiness>>) -> impl IntoResponse {
    let (status, mut body) = match readiness.arcade_reachable().await {
        Ok(()) => (
            StatusCode::OK,
            json!({"status": "ready", "tools": readiness.tools}),
        ),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "not_ready", "reason": reason}),
        ),
    };
    if let Some(redis) = readiness.redis_check() {
        body["redis"] = redis;
    }
    (status, Json(body))
}
