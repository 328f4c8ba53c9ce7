//! The emulator's own admin endpoints (API key required), for tests and benchmarks
//! that drive a running emulator from outside the process:
//! `GET|PUT /_emulator/faults`, `PUT /_emulator/auth-style`, `GET /_emulator/stats`,
//! `DELETE /_emulator/toolkits/{toolkit}/{version}` (stop serving a toolkit version,
//! as Arcade does with an old major version).

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::errors::{ApiError, ApiJson};
use super::faults::Faults;
use super::options::AuthRequiredStyle;
use super::state::{EmulatorState, Stats};

/// In front of the admin routes: the API key is required.
pub async fn key_layer(
    State(state): State<EmulatorState>,
    request: Request,
    next: Next,
) -> Response {
    if state.key_ok(request.headers()) {
        next.run(request).await
    } else {
        ApiError::Unauthorized.into_response()
    }
}

/// `GET /_emulator/faults`: the faults in force.
pub async fn get_faults(State(state): State<EmulatorState>) -> Json<Faults> {
    Json(state.faults().get())
}

/// `PUT /_emulator/faults`: replaces the faults (restarting their counter).
pub async fn put_faults(
    State(state): State<EmulatorState>,
    ApiJson(faults): ApiJson<Faults>,
) -> Result<Json<Faults>, ApiError> {
    faults
        .validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    state.set_faults(faults.clone());
    Ok(Json(faults))
}

/// Body of `PUT /_emulator/auth-style`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AuthStyleBody {
    /// `forbidden`, `output_authorization` or `requirements_not_met`.
    pub style: AuthRequiredStyle,
}

/// `PUT /_emulator/auth-style`: how execute says "authorization required".
pub async fn put_auth_style(
    State(state): State<EmulatorState>,
    ApiJson(body): ApiJson<AuthStyleBody>,
) -> Json<AuthStyleBody> {
    state.set_auth_required_style(body.style);
    Json(body)
}

/// `GET /_emulator/stats`: request and execution counters, the last `traceparent` per
/// endpoint, faults and style.
pub async fn stats(State(state): State<EmulatorState>) -> Json<Stats> {
    Json(state.stats())
}

/// `DELETE /_emulator/toolkits/{toolkit}/{version}`: stops serving that version; its
/// tools then list and run at their newest remaining version, and an execute pinned to
/// it answers 404.
pub async fn retire_version(
    State(state): State<EmulatorState>,
    Path((toolkit, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    if state.catalog().retire(&toolkit, &version) {
        tracing::info!(toolkit, version, "toolkit version retired");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "toolkit '{toolkit}' has no version '{version}'"
        )))
    }
}
