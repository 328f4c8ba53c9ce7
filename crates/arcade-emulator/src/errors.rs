//! The emulator's error answers: every 4xx/5xx carries the `{"name", "message"}` body
//! of `docs/arcade-api.md` ([`ErrorBody`]), including axum's own rejections of bad bodies
//! and queries, which [`ApiJson`] and [`ApiQuery`] turn into that shape.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use arcade_types::ErrorBody;

/// Everything a `/v1` or admin request can fail with, as the engine would say it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No key or the wrong key.
    #[error("missing or invalid API key: send `Authorization: Bearer <key>`")]
    Unauthorized,
    /// The user has not granted what the tool needs.
    #[error(
        "authorization required: user '{user}' has not granted {provider} access with scopes [{scopes}]; call /v1/tools/authorize"
    )]
    AuthorizationRequired {
        /// The user.
        user: String,
        /// The provider.
        provider: String,
        /// The scopes, comma separated.
        scopes: String,
    },
    /// Unknown tool, id or path.
    #[error("{0}")]
    NotFound(String),
    /// A known path asked with the wrong method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A request that cannot be understood.
    #[error("{0}")]
    BadRequest(String),
    /// A body or query of the wrong shape (axum's rejection, reworded).
    #[error("{message}")]
    Rejected {
        /// The rejection's status (400, 415, 422).
        status: StatusCode,
        /// What axum said was wrong.
        message: String,
    },
    /// An injected 429.
    #[error("rate limit exceeded (emulator fault injection); retry after the Retry-After delay")]
    RateLimited,
    /// An injected 5xx of this status.
    #[error("server error {0} (emulator fault injection)")]
    InjectedServerError(u16),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::AuthorizationRequired { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Rejected { status, .. } => *status,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::InjectedServerError(status) => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    fn name(&self) -> &'static str {
        match self.status() {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "permission_denied",
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::UNPROCESSABLE_ENTITY => "validation_error",
            StatusCode::TOO_MANY_REQUESTS => "rate_limited",
            s if s.is_server_error() => "internal_error",
            _ => "bad_request",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            name: Some(self.name().to_owned()),
            message: Some(self.to_string()),
        };
        (self.status(), Json(body)).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::Rejected {
            status: rejection.status(),
            message: format!("invalid JSON body: {}", rejection.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Rejected {
            status: StatusCode::BAD_REQUEST,
            message: format!("invalid query: {}", rejection.body_text()),
        }
    }
}

/// `axum::Json` whose rejection is an [`ApiError`].
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

/// `axum::extract::Query` whose rejection is an [`ApiError`].
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}
