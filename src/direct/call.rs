//! One call of a direct tool, for one user, in the steps the gateway runs it by:
//!
//! 1. [`DirectCall::checked`]: arguments that fail the tool's `inputSchema` or its own
//!    check ([`super::DirectTool::check`]) → a tool error; nothing is sent;
//! 2. [`DirectCall::token`]: the user's token for the tool's grant, from the cache,
//!    else from `POST /v1/auth/authorize`; pending when the user must grant first (the
//!    gateway then asks the person as for any tool: link, URL elicitation, multi
//!    round-trip, in-call wait);
//! 3. [`DirectCall::call`]: the provider call with `Authorization: Bearer <token>`;
//!    on a 401 the token is dropped and Arcade asked once more: pending again if the
//!    grant is gone, else one more call; a second 401 is reported.

use std::time::Instant;

use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use serde_json::{Value, json};

use super::tool::{ProviderError, ProviderToken};
use super::{DirectEntry, DirectTools};
use crate::arcade::ArcadeClient;
use crate::arcade::types::{AuthAuthorizeRequest, AuthorizationResponse};
use crate::catalog::RESULT_KEY;
use crate::identity::UserId;
use crate::outcome::{Answer, CallOutcome};
use crate::results;

/// A call of one direct tool by one user.
pub struct DirectCall<'a> {
    /// The client for Arcade (for the token).
    pub arcade: &'a ArcadeClient,
    /// The set the tool belongs to (HTTP client, token cache).
    pub direct: &'a DirectTools,
    /// The tool.
    pub entry: &'a DirectEntry,
    /// The calling user (from the transport, never from the arguments).
    pub user: &'a UserId,
}

/// Where the user's token for a direct tool stands.
pub enum TokenState {
    /// In hand: the provider can be called.
    Ready(ProviderToken),
    /// The user must grant access first: Arcade's pending authorization.
    Pending(Box<AuthorizationResponse>),
}

impl DirectCall<'_> {
    /// The arguments, `null`s dropped and checked; a tool error when they do not pass
    /// (nothing is sent).
    pub fn checked(&self, mut arguments: JsonObject) -> Result<JsonObject, Answer> {
        let name = self.entry.name();
        arguments.retain(|_, value| !value.is_null());
        if let Err(error) = self.entry.validate_arguments(&arguments) {
            tracing::info!(tool = name, user = %self.user, "rejected bad arguments");
            return Err(results::bad_arguments(name, &error));
        }
        if let Err(refused) = self.entry.implementation.check(&arguments) {
            tracing::info!(tool = name, user = %self.user, "refused arguments");
            let result = error(format!(
                "Invalid arguments for `{name}`; nothing was sent. {refused}. \
                 Fix the arguments and call again."
            ));
            return Err(Answer::new(result, CallOutcome::InvalidArguments));
        }
        Ok(arguments)
    }

    /// The request that asks Arcade for the user's grant of this tool's provider and
    /// scopes.
    pub fn authorize_request(&self) -> AuthAuthorizeRequest {
        AuthAuthorizeRequest {
            auth_requirement: self.entry.requirement.clone(),
            user_id: self.user.as_str().to_owned(),
            next_uri: None,
        }
    }

    /// The user's token: from the cache, else from Arcade; pending when the user must
    /// grant access first; a tool error when Arcade cannot be asked.
    pub async fn token(&self) -> Result<TokenState, Answer> {
        if let Some(token) = self.direct.inner.tokens.get(self.user, self.entry.grant()) {
            return Ok(TokenState::Ready(token));
        }
        self.fresh_token().await
    }

    /// Calls the provider with `token`. A refused token is dropped and Arcade asked
    /// once more: `Err` with the pending authorization when the grant is gone.
    pub async fn call(
        &self,
        token: ProviderToken,
        arguments: &JsonObject,
    ) -> Result<Answer, Box<AuthorizationResponse>> {
        let grant = self.entry.grant();
        let cache = &self.direct.inner.tokens;
        match self.invoke(token, arguments).await {
            Err(ProviderError::Unauthorized) => {
                tracing::info!(tool = self.entry.name(), user = %self.user,
                    "the provider refused the token; asking Arcade again");
                cache.remove(self.user, grant);
                let token = match self.fresh_token().await {
                    Ok(TokenState::Ready(token)) => token,
                    Ok(TokenState::Pending(auth)) => return Err(auth),
                    Err(result) => return Ok(result),
                };
                let again = self.invoke(token, arguments).await;
                if matches!(again, Err(ProviderError::Unauthorized)) {
                    cache.remove(self.user, grant);
                    return Ok(self.refused_twice());
                }
                Ok(self.finish(again))
            }
            other => Ok(self.finish(other)),
        }
    }

    /// Logs how the call ended.
    pub fn log_end(&self, started: Instant, outcome: CallOutcome) {
        tracing::info!(
            tool = self.entry.name(),
            user = %self.user,
            provider = %self.entry.grant().provider_id,
            outcome = %outcome.audit_label(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "direct tool call"
        );
    }

    /// Asks Arcade for the user's token.
    async fn fresh_token(&self) -> Result<TokenState, Answer> {
        let name = self.entry.name();
        let auth = self
            .arcade
            .authorize(&self.authorize_request())
            .await
            .map_err(|error| results::upstream_error(name, &error))?;
        if !auth.is_completed() {
            tracing::info!(tool = name, user = %self.user, provider = ?auth.provider_id,
                "authorization required");
            return Ok(TokenState::Pending(Box::new(auth)));
        }
        let token = auth
            .context
            .and_then(|c| c.token)
            .filter(|t| !t.is_empty())
            .map(ProviderToken::new)
            .ok_or_else(|| {
                let result = error(format!(
                    "Arcade reports the user's {} grant for `{name}` as complete but gave no access \
                     token. Retrying will not help; check the auth provider's configuration in Arcade.",
                    self.entry.grant().provider_id
                ));
                Answer::new(result, CallOutcome::ToolError)
            })?;
        self.direct
            .inner
            .tokens
            .put(self.user, self.entry.grant(), token.clone());
        Ok(TokenState::Ready(token))
    }

    async fn invoke(
        &self,
        token: ProviderToken,
        arguments: &JsonObject,
    ) -> Result<Value, ProviderError> {
        let context = self.direct.context(self.user, token);
        let value = self.entry.implementation.call(&context, arguments).await?;
        // A provider may echo the credential in a success too; it must not reach the
        // client any more than in an error.
        Ok(context.token.scrub_value(value))
    }

    fn finish(&self, outcome: Result<Value, ProviderError>) -> Answer {
        let name = self.entry.name();
        match outcome {
            Ok(value) => success(name, value),
            Err(failure) => {
                tracing::warn!(tool = name, user = %self.user, error = %failure, "provider call failed");
                let advice = if failure.retry_may_help() {
                    "Retrying later may help."
                } else {
                    "Retrying the same call will not help; change the arguments or ask the user."
                };
                let result = error(format!("`{name}` failed: {failure}. {advice}"));
                Answer::new(result, CallOutcome::ToolError)
            }
        }
    }

    /// The provider refused a token Arcade had just issued.
    fn refused_twice(&self) -> Answer {
        let provider = &self.entry.grant().provider_id;
        tracing::warn!(tool = self.entry.name(), user = %self.user, provider,
            "the provider refused a freshly issued token");
        let result = error(format!(
            "`{}` failed: {provider} refused the access token Arcade issued for the user's grant, \
             even after asking Arcade again. The grant may have been revoked at {provider}: ask the \
             user to remove the {provider} connection in Arcade, then call again to get a new \
             authorization link.",
            self.entry.name()
        ));
        Answer::new(result, CallOutcome::ToolError)
    }
}

/// The provider's value: compact JSON (strings as they are) and `structuredContent`
/// (objects as they are, anything else under `result`).
fn success(tool: &str, value: Value) -> Answer {
    let text = match &value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let structured = match value {
        Value::Object(_) => value,
        other => json!({ RESULT_KEY: other }),
    };
    results::value_result(tool, text, structured)
}

fn error(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}
