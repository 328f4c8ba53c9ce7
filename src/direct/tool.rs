//! The extension point: a tool that calls a provider's own API with the token Arcade
//! issued for the calling user. The gateway does the authorization (link, token, one
//! re-authorization after a 401); the tool only builds its request and reads the
//! answer, through [`ToolContext`], which never lets the token out in a `Debug`.

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::{self, HeaderValue};
use rmcp::model::{JsonObject, Tool};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::arcade::http::{ReadError, excerpt, read_capped};
use crate::identity::UserId;
use crate::telemetry::{Upstream, send_traced};

/// The grant a direct tool needs from the user: Arcade's `auth_requirement`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The provider, e.g. `google` or `github`.
    pub provider_id: String,
    /// The OAuth scopes, e.g. `https://www.googleapis.com/auth/gmail.readonly`.
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl Grant {
    /// A grant of `scopes` of `provider_id`.
    pub fn new(provider_id: impl Into<String>, scopes: &[&str]) -> Self {
        Self {
            provider_id: provider_id.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// A provider's access token for one user. It exists so the token can be handed
/// around without being printed: `Debug` shows `[redacted]`, and the memory is wiped
/// on drop (it is a [`SecretString`]).
#[derive(Clone)]
pub struct ProviderToken(SecretString);

impl ProviderToken {
    /// Wraps a token Arcade returned.
    pub fn new(token: String) -> Self {
        Self(SecretString::from(token))
    }

    /// The token itself, for a tool that must place it somewhere other than the
    /// `Authorization` header ([`ToolContext::authorized`] covers the usual case).
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// `Bearer <token>`, marked sensitive so HTTP-layer logs never print it.
    fn bearer(&self) -> HeaderValue {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.expose_secret()))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid-token"));
        value.set_sensitive(true);
        value
    }

    /// `text` with every occurrence of the token replaced, for messages that quote a
    /// provider's answer (a provider may echo the credential it refused).
    pub(crate) fn scrub(&self, text: &str) -> String {
        let token = self.expose_secret();
        if token.is_empty() {
            text.to_owned()
        } else {
            text.replace(token, "[redacted]")
        }
    }
}

impl ProviderToken {
    /// `value` with every occurrence of the token in its strings (and keys) replaced,
    /// for a provider's successful answer.
    pub(crate) fn scrub_value(&self, value: Value) -> Value {
        let token = self.expose_secret();
        if token.is_empty() {
            return value;
        }
        match value {
            Value::String(text) => Value::String(self.scrub(&text)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.scrub_value(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.scrub(&k), self.scrub_value(v)))
                    .collect(),
            ),
            scalar => scalar,
        }
    }
}

impl fmt::Debug for ProviderToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProviderToken([redacted])")
    }
}

/// What a direct tool gets when it is called: who calls, their token for the tool's
/// grant, and the gateway's HTTP client (timeouts set, no redirect to another host).
#[derive(Debug, Clone)]
pub struct ToolContext {
    /// The calling user (from the transport, never from the arguments).
    pub user: UserId,
    /// The user's token for the tool's grant.
    pub token: ProviderToken,
    /// The client to call the provider with.
    pub http: reqwest::Client,
    /// How many bytes of a provider's answer are read at most.
    pub max_response_bytes: usize,
}

/// Why a call to a provider failed. The messages quote the provider's status and
/// (trimmed) message, never the token.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused the token (401): the gateway drops it and asks Arcade again.
    #[error("the provider refused the access token (401)")]
    Unauthorized,
    /// The provider answered with an error status.
    #[error("the provider answered {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The provider's message, trimmed.
        message: String,
    },
    /// No answer in time.
    #[error("the provider did not answer within {0:?}")]
    Timeout(Duration),
    /// The provider could not be reached.
    #[error("could not reach the provider: {0}")]
    Unreachable(String),
    /// The provider redirected to another host, which is not followed (the token
    /// must not travel there).
    #[error(
        "the provider redirected to another host ({0}); redirects off the tool's host are not followed"
    )]
    Redirected(String),
    /// The answer was larger than the cap.
    #[error(
        "the provider's answer is larger than {0} bytes; narrow the request (e.g. fewer results)"
    )]
    TooLarge(usize),
    /// The answer could not be used.
    #[error("the provider's answer could not be used: {0}")]
    BadResponse(String),
    /// The arguments could not be turned into a request (refused before sending).
    #[error("{0}")]
    BadRequest(String),
}

impl ProviderError {
    /// Whether the same call may succeed later.
    pub fn retry_may_help(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Timeout(_) | Self::Unreachable(_) => true,
            _ => false,
        }
    }
}

/// How long the provider may take to answer.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest provider message quoted in an error.
const MAX_MESSAGE_CHARS: usize = 300;

impl ToolContext {
    /// `request` with `Authorization: Bearer <token>` (marked sensitive).
    pub fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header(header::AUTHORIZATION, self.token.bearer())
    }

    /// Sends `request` with the user's token and reads the answer as JSON (a body that
    /// is not JSON comes back as a string), mapping failures to [`ProviderError`]s:
    /// a 401 to [`ProviderError::Unauthorized`], other errors with the provider's
    /// status and message, a body over [`ToolContext::max_response_bytes`] to
    /// [`ProviderError::TooLarge`].
    pub async fn send_json(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, ProviderError> {
        let response = send_traced(self.authorized(request), Upstream::Provider)
            .await
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("no location");
            return Err(ProviderError::Redirected(self.token.scrub(location)));
        }
        let body = self.read_body(response).await?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(ProviderError::Unauthorized);
        }
        if !status.is_success() {
            return Err(ProviderError::Status {
                status: status.as_u16(),
                message: self.token.scrub(&error_message(&body)),
            });
        }
        if body.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned())))
    }

    async fn read_body(&self, response: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
        read_capped(response, self.max_response_bytes)
            .await
            .map_err(|error| match error {
                ReadError::TooLarge(cap) => ProviderError::TooLarge(cap),
                ReadError::Transport(error) => self.transport_error(&error),
            })
    }

    fn transport_error(&self, error: &reqwest::Error) -> ProviderError {
        if error.is_timeout() {
            ProviderError::Timeout(PROVIDER_TIMEOUT)
        } else {
            // reqwest's message names the URL (never the headers); scrub anyway.
            let mut error_text = error.to_string();
            if let Some(url) = error.url() {
                error_text = error_text.replace(url.as_str(), "the provider");
            }
            ProviderError::Unreachable(self.token.scrub(&error_text))
        }
    }
}

/// The provider's own words from an error body: `error.message`, `message`,
/// `error_description` or `error` of a JSON body, else the text, trimmed to
/// [`MAX_MESSAGE_CHARS`].
fn error_message(body: &[u8]) -> String {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let from_json = json.as_ref().and_then(|v| {
        [
            v.pointer("/error/message"),
            v.get("message"),
            v.get("error_description"),
            v.get("error"),
        ]
        .into_iter()
        .flatten()
        .find_map(Value::as_str)
        .map(str::to_owned)
    });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let text = excerpt(&text, MAX_MESSAGE_CHARS);
    if text.is_empty() {
        return "no message".to_owned();
    }
    text
}

/// A tool that calls a provider's API with the user's token: implement it in Rust and
/// register it with [`super::DirectTools::builder`], or declare one in TOML
/// ([`super::declarative`]). The gateway lists it next to the Arcade catalog, checks
/// its arguments against its `inputSchema`, obtains the token, and turns the answer
/// into a tool result.
pub trait DirectTool: Send + Sync + 'static {
    /// The MCP tool: name, description, `inputSchema`, annotations. The gateway adds
    /// `_meta["dev.arcade/authorization"]` from [`DirectTool::grant`].
    fn tool(&self) -> Tool;

    /// The grant the tool needs.
    fn grant(&self) -> &Grant;

    /// Refuses arguments that pass the schema but cannot make a request (e.g. a path
    /// value of `..`), before anything goes to Arcade or the provider. By default
    /// everything the schema accepts is fine.
    fn check(&self, arguments: &JsonObject) -> Result<(), ProviderError> {
        let _ = arguments;
        Ok(())
    }

    /// Calls the provider for `context.user` with checked `arguments`; the value
    /// becomes the tool's result.
    fn call<'a>(
        &'a self,
        context: &'a ToolContext,
        arguments: &'a JsonObject,
    ) -> BoxFuture<'a, Result<Value, ProviderError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_show_in_debug() {
        let token = ProviderToken::new("tok_secret_123".into());
        assert_eq!(format!("{token:?}"), "ProviderToken([redacted])");
        assert_eq!(token.scrub("bad tok_secret_123!"), "bad [redacted]!");
        let echoed = serde_json::json!({"you": ["sent tok_secret_123"], "tok_secret_123": 1});
        let scrubbed = token.scrub_value(echoed).to_string();
        assert!(!scrubbed.contains("tok_secret_123"), "{scrubbed}");
    }

    #[test]
    fn provider_messages_are_found_and_trimmed() {
        assert_eq!(
            error_message(br#"{"error": {"code": 404, "message": "Not  found"}}"#),
            "Not found"
        );
        assert_eq!(
            error_message(br#"{"message": "Bad credentials"}"#),
            "Bad credentials"
        );
        assert_eq!(error_message(b""), "no message");
        let long = "x".repeat(1000);
        assert_eq!(
            error_message(long.as_bytes()).chars().count(),
            MAX_MESSAGE_CHARS + 1
        );
    }
}
