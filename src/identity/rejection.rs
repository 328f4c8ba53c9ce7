//! A refused request as the HTTP answer a client can act on: status, `WWW-Authenticate`
//! challenge (RFC 6750, RFC 9728) and a JSON body saying what was wrong and what to do.

use std::fmt;

use axum::Json;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

/// What kind of refusal; decides the status and the `error` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No credentials at all: the client should go and get some.
    Missing,
    /// Credentials sent in a shape this server cannot read.
    Malformed,
    /// Credentials sent but not accepted.
    Invalid,
    /// A valid token that lacks a required scope.
    InsufficientScope,
    /// The credentials could not be checked right now (authorization server unreachable).
    Unavailable,
}

/// Why a request was refused. Answered as-is by [`require_identity`](super::require_identity);
/// its messages never contain a token or a secret.
#[derive(Debug, Clone)]
pub struct AuthRejection {
    kind: Kind,
    description: String,
    scope: Option<String>,
    resource_metadata: Option<String>,
}

impl AuthRejection {
    fn new(kind: Kind, description: impl Into<String>) -> Self {
        Self {
            kind,
            description: description.into(),
            scope: None,
            resource_metadata: None,
        }
    }

    /// No credentials were presented.
    pub(crate) fn missing(description: impl Into<String>) -> Self {
        Self::new(Kind::Missing, description)
    }

    /// Credentials were presented in a shape this server cannot read.
    pub(crate) fn malformed(description: impl Into<String>) -> Self {
        Self::new(Kind::Malformed, description)
    }

    /// Credentials were presented and refused.
    pub(crate) fn invalid(description: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, description)
    }

    /// A valid token lacks scopes; `scope` lists every scope the request needs.
    pub(crate) fn insufficient_scope(scope: String, description: impl Into<String>) -> Self {
        Self {
            scope: Some(scope),
            ..Self::new(Kind::InsufficientScope, description)
        }
    }

    /// The credentials could not be checked now; the client should retry later.
    pub(crate) fn unavailable(description: impl Into<String>) -> Self {
        Self::new(Kind::Unavailable, description)
    }

    /// Points the client at the protected resource metadata, where it learns how to get a token.
    pub(crate) fn with_resource_metadata(mut self, url: &Url) -> Self {
        self.resource_metadata = Some(url.to_string());
        self
    }

    /// The HTTP status this refusal is answered with.
    pub fn status(&self) -> StatusCode {
        match self.kind {
            Kind::Missing | Kind::Invalid => StatusCode::UNAUTHORIZED,
            Kind::Malformed => StatusCode::BAD_REQUEST,
            Kind::InsufficientScope => StatusCode::FORBIDDEN,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The machine-readable `error` code (RFC 6750 where one applies).
    pub fn error_code(&self) -> &'static str {
        match self.kind {
            Kind::Missing => "unauthorized",
            Kind::Malformed => "invalid_request",
            Kind::Invalid => "invalid_token",
            Kind::InsufficientScope => "insufficient_scope",
            Kind::Unavailable => "temporarily_unavailable",
        }
    }

    /// What was wrong and what to do, for a person.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The `WWW-Authenticate` challenge; RFC 6750 leaves out the error when nothing was sent.
    fn challenge(&self) -> Option<String> {
        if self.kind == Kind::Unavailable {
            return None;
        }
        let mut params = Vec::new();
        if self.kind != Kind::Missing {
            params.push(("error", self.error_code().to_owned()));
            params.push(("error_description", self.description.clone()));
        }
        if let Some(scope) = &self.scope {
            params.push(("scope", scope.clone()));
        }
        if let Some(url) = &self.resource_metadata {
            params.push(("resource_metadata", url.clone()));
        }
        let params: Vec<String> = params
            .into_iter()
            .map(|(name, value)| format!("{name}=\"{}\"", quotable(&value)))
            .collect();
        Some(
            format!("Bearer {}", params.join(", "))
                .trim_end()
                .to_owned(),
        )
    }
}

/// Keeps only the characters RFC 6750 allows inside a quoted challenge parameter.
fn quotable(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => ' ',
        })
        .collect()
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_code(), self.description)
    }
}

impl std::error::Error for AuthRejection {}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.error_code(),
            "error_description": self.description,
        });
        let mut response = (self.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge().and_then(|c| HeaderValue::try_from(c).ok()) {
            headers.insert(WWW_AUTHENTICATE, challenge);
        }
        if self.kind == Kind::Unavailable {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> Url {
        Url::parse("https://mcp.example/.well-known/oauth-protected-resource/mcp").unwrap()
    }

    #[test]
    fn missing_credentials_point_at_the_metadata_without_an_error_code() {
        let rejection = AuthRejection::missing("send a token").with_resource_metadata(&metadata());
        assert_eq!(rejection.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            rejection.challenge().unwrap(),
            "Bearer resource_metadata=\"https://mcp.example/.well-known/oauth-protected-resource/mcp\""
        );
    }

    #[test]
    fn a_bare_challenge_without_metadata() {
        assert_eq!(AuthRejection::missing("x").challenge().unwrap(), "Bearer");
    }

    #[test]
    fn insufficient_scope_names_the_scopes() {
        let rejection = AuthRejection::insufficient_scope("mcp:tools".into(), "needs mcp:tools")
            .with_resource_metadata(&metadata());
        assert_eq!(rejection.status(), StatusCode::FORBIDDEN);
        let challenge = rejection.challenge().unwrap();
        assert!(challenge.starts_with("Bearer error=\"insufficient_scope\""));
        assert!(challenge.contains("scope=\"mcp:tools\""));
        assert!(challenge.contains("resource_metadata=\""));
    }

    #[test]
    fn descriptions_are_made_safe_to_quote() {
        let challenge = AuthRejection::invalid("bad \"quote\" \\ é")
            .challenge()
            .unwrap();
        assert!(challenge.contains("error_description=\"bad  quote     \""));
    }

    #[test]
    fn unavailable_asks_to_retry() {
        let response = AuthRejection::unavailable("later").into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
        assert!(response.headers().get(RETRY_AFTER).is_some());
    }
}
