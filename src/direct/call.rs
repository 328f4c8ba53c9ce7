//! One call of a direct tool, for one user:
//!
//! 1. arguments that fail the tool's `inputSchema` or its own check
//!    ([`super::DirectTool::check`]) → a tool error; nothing is sent;
//! 2. the user's token for the tool's grant: from the cache, else
//!    `POST /v1/auth/authorize` → not completed: the authorization link (as for
//!    Arcade tools) → completed: `context.token`;
//! 3. the provider call with `Authorization: Bearer <token>`;
//! 4. the provider answers 401 → the token is dropped and Arcade asked once more:
//!    a link if the grant is gone, else one more call; a second 401 is reported.

use std::time::{Duration, Instant};

use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use serde_json::{Value, json};

use super::tool::{ProviderError, ProviderToken};
use super::{DirectEntry, DirectTools};
use crate::arcade::ArcadeClient;
use crate::arcade::types::AuthAuthorizeRequest;
use crate::audit::{CallRecord, PromptFacts};
use crate::catalog::RESULT_KEY;
use crate::identity::UserId;
use crate::results;

/// A call of one direct tool by one user.
pub(crate) struct DirectCall<'a> {
    /// The client for Arcade (for the token).
    pub arcade: &'a ArcadeClient,
    /// The set the tool belongs to (HTTP client, token cache).
    pub direct: &'a DirectTools,
    /// The tool.
    pub entry: &'a DirectEntry,
    /// The calling user (from the transport, never from the arguments).
    pub user: &'a UserId,
    /// What the audit line of the call will say.
    pub record: &'a CallRecord,
}

impl DirectCall<'_> {
    /// Runs the call and always answers with a tool result.
    pub async fn run(&self, mut arguments: JsonObject) -> CallToolResult {
        let started = Instant::now();
        let name = self.entry.name();
        arguments.retain(|_, value| !value.is_null());
        let result = match self.entry.validate_arguments(&arguments) {
            Err(error) => {
                tracing::info!(tool = name, user = %self.user, "rejected bad arguments");
                self.record.invalid_arguments();
                results::bad_arguments(name, &error)
            }
            Ok(()) => match self.entry.implementation.check(&arguments) {
                Err(refused) => {
                    tracing::info!(tool = name, user = %self.user, "refused arguments");
                    self.record.invalid_arguments();
                    error(format!(
                        "Invalid arguments for `{name}`; nothing was sent. {refused}. \
                         Fix the arguments and call again."
                    ))
                }
                Ok(()) => self.authorized_call(&arguments).await,
            },
        };
        tracing::info!(
            tool = name,
            user = %self.user,
            provider = %self.entry.grant().provider_id,
            is_error = result.is_error.unwrap_or(false),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "direct tool call"
        );
        result
    }

    async fn authorized_call(&self, arguments: &JsonObject) -> CallToolResult {
        let grant = self.entry.grant();
        let cache = &self.direct.inner.tokens;
        let token = match cache.get(self.user, grant) {
            Some(token) => token,
            None => match self.fresh_token().await {
                Ok(token) => token,
                Err(result) => return result,
            },
        };
        match self.invoke(token, arguments).await {
            Err(ProviderError::Unauthorized) => {
                tracing::info!(tool = self.entry.name(), user = %self.user,
                    "the provider refused the token; asking Arcade again");
                cache.remove(self.user, grant);
                let token = match self.fresh_token().await {
                    Ok(token) => token,
                    Err(result) => return result,
                };
                let again = self.invoke(token, arguments).await;
                if matches!(again, Err(ProviderError::Unauthorized)) {
                    cache.remove(self.user, grant);
                    return self.refused_twice();
                }
                self.finish(again)
            }
            other => self.finish(other),
        }
    }

    /// Asks Arcade for the user's token; a tool result (the link, or an error) when
    /// there is none to use.
    async fn fresh_token(&self) -> Result<ProviderToken, CallToolResult> {
        let name = self.entry.name();
        let requirement = self.entry.grant().requirement();
        let request = AuthAuthorizeRequest {
            auth_requirement: requirement.clone(),
            user_id: self.user.as_str().to_owned(),
            next_uri: None,
        };
        let auth = self
            .arcade
            .authorize(&request)
            .await
            .map_err(|error| results::upstream_error(name, &error))?;
        if !auth.is_completed() {
            tracing::info!(tool = name, user = %self.user, provider = ?auth.provider_id,
                "authorization required; returning the link");
            if let Ok(link) = results::checked_link(Some(&requirement), &auth) {
                // The link result is the `link` strategy of the catalog's tools, without
                // a wait: the prompt ends as it is given.
                let prompt = PromptFacts {
                    strategy: "link",
                    provider_id: &link.access.provider_id,
                    authorization_id: auth.id.as_deref(),
                };
                self.record.prompt_issued(&prompt);
                self.record
                    .prompt_ended(&prompt, "not_granted", Duration::ZERO);
            }
            return Err(results::authorization_required(
                name,
                &auth,
                Some(&requirement),
            ));
        }
        let token = auth
            .context
            .and_then(|c| c.token)
            .filter(|t| !t.is_empty())
            .map(ProviderToken::new)
            .ok_or_else(|| {
                error(format!(
                    "Arcade reports the user's {} grant for `{name}` as complete but gave no access \
                     token. Retrying will not help; check the auth provider's configuration in Arcade.",
                    self.entry.grant().provider_id
                ))
            })?;
        self.direct
            .inner
            .tokens
            .put(self.user, self.entry.grant(), token.clone());
        Ok(token)
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

    fn finish(&self, outcome: Result<Value, ProviderError>) -> CallToolResult {
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
                error(format!("`{name}` failed: {failure}. {advice}"))
            }
        }
    }

    /// The provider refused a token Arcade had just issued.
    fn refused_twice(&self) -> CallToolResult {
        let provider = &self.entry.grant().provider_id;
        tracing::warn!(tool = self.entry.name(), user = %self.user, provider,
            "the provider refused a freshly issued token");
        error(format!(
            "`{}` failed: {provider} refused the access token Arcade issued for the user's grant, \
             even after asking Arcade again. The grant may have been revoked at {provider}: ask the \
             user to remove the {provider} connection in Arcade, then call again to get a new \
             authorization link.",
            self.entry.name()
        ))
    }
}

/// The provider's value: compact JSON (strings as they are) and `structuredContent`
/// (objects as they are, anything else under `result`).
fn success(tool: &str, value: Value) -> CallToolResult {
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
