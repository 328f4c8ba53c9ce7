//! `/healthz` (the process answers) and `/readyz` (the catalog is loaded and Arcade
//! answers its health check). Readiness asks Arcade at most once every few seconds, so a
//! probe hammering it costs Arcade nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;
use tokio::sync::Mutex;

use crate::arcade::ArcadeClient;

/// How long an answer from Arcade's health check is reused.
const CACHE_FOR: Duration = Duration::from_secs(5);
/// How long the health check may take before Arcade counts as unreachable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// The readiness state behind `/readyz`.
pub struct Readiness {
    arcade: ArcadeClient,
    tools: usize,
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Readiness {
    /// Readiness for a server that has loaded `tools` tools and calls `arcade`.
    pub fn new(arcade: ArcadeClient, tools: usize) -> Self {
        Self {
            arcade,
            tools,
            last: Mutex::new(None),
        }
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
            Ok(Ok(_)) => Err("Arcade reports itself unhealthy".to_owned()),
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
/// otherwise.
pub async fn readyz(State(readiness): State<Arc<Readiness>>) -> impl IntoResponse {
    match readiness.arcade_reachable().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "tools": readiness.tools})),
        ),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready", "reason": reason})),
        ),
    }
}
