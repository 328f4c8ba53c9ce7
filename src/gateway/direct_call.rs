//! One `tools/call` of a direct tool, with the same authorization experience as a
//! catalog tool: when the user has not granted the tool's provider yet, the person is
//! asked the best way the client offers (see [`super::authorization`]: the link, URL
//! elicitation that finishes the call, a multi round-trip whose `requestState` any
//! replica can finish, or an in-call wait), and the provider is called once the grant
//! is in place.

use std::time::Instant;

use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResponse, CallToolResult, JsonObject};
use rmcp::service::{RequestContext, RoleServer};

use super::authorization::{self, AskAgain, AuthorizationSettings, Outcome, Prompt, PromptedTool};
use super::call::Retry;
use crate::arcade::types::AuthorizationResponse;
use crate::audit::CallRecord;
use crate::direct::call::{DirectCall, TokenState};
use crate::results;

/// A call of one direct tool by one user, and how its prompt reaches the person.
pub(super) struct DirectToolCall<'a> {
    /// The tool's own steps: check, token, provider call.
    pub call: DirectCall<'a>,
    /// How a pending grant reaches the person.
    pub settings: &'a AuthorizationSettings,
    /// The MCP request.
    pub context: &'a RequestContext<RoleServer>,
    /// What the audit line of the call will say.
    pub record: &'a CallRecord,
}

impl DirectToolCall<'_> {
    /// Runs the call: a tool result, or an input-required result; a retry whose
    /// `requestState` does not check out is a protocol error.
    pub async fn run(
        &self,
        arguments: JsonObject,
        retry: Option<Retry>,
    ) -> Result<CallToolResponse, McpError> {
        let started = Instant::now();
        let arguments = match self.call.checked(arguments) {
            Ok(arguments) => arguments,
            Err(result) => {
                self.record.invalid_arguments();
                return Ok(result.into());
            }
        };
        let response = match retry {
            Some(retry) => {
                let prompt = self.prompt(&arguments);
                let resumed = authorization::mrtr::resume(
                    &prompt,
                    &retry.request_state,
                    retry.input_responses.as_ref(),
                )
                .await?;
                self.proceed(resumed, &arguments).await
            }
            None => self.first_round(&arguments).await,
        };
        if let CallToolResponse::Complete(result) = &response {
            self.call.log_end(started, result);
        }
        Ok(response)
    }

    /// The token, then the provider; the person is asked when a grant is missing.
    async fn first_round(&self, arguments: &JsonObject) -> CallToolResponse {
        let pending = match self.call.token().await {
            Err(result) => return result.into(),
            Ok(TokenState::Ready(token)) => match self.call.call(token, arguments).await {
                Ok(result) => return result.into(),
                Err(gone) => gone,
            },
            Ok(TokenState::Pending(auth)) => auth,
        };
        self.ask(*pending, arguments).await
    }

    async fn ask(&self, auth: AuthorizationResponse, arguments: &JsonObject) -> CallToolResponse {
        let outcome = Box::pin(self.prompt(arguments).ask(auth)).await;
        self.proceed(outcome, arguments).await
    }

    /// After a prompt: call the provider now that the grant is in place (once), or
    /// answer.
    async fn proceed(&self, outcome: Outcome, arguments: &JsonObject) -> CallToolResponse {
        match outcome {
            Outcome::Answer(response) => response,
            Outcome::Granted => self.run_granted(arguments).await.into(),
        }
    }

    async fn run_granted(&self, arguments: &JsonObject) -> CallToolResult {
        let name = self.call.entry.name();
        match self.call.token().await {
            Err(result) => result,
            Ok(TokenState::Ready(token)) => match self.call.call(token, arguments).await {
                Ok(result) => result,
                Err(_) => results::refused_despite_grant(
                    name,
                    "the provider refused the token of a grant Arcade reports complete",
                ),
            },
            Ok(TokenState::Pending(_)) => results::refused_despite_grant(
                name,
                "Arcade still reports the grant pending after it was approved",
            ),
        }
    }

    fn prompt<'p>(&'p self, arguments: &'p JsonObject) -> Prompt<'p> {
        let entry = self.call.entry;
        Prompt {
            arcade: self.call.arcade,
            tool: PromptedTool {
                name: entry.name(),
                requirement: entry.requirement(),
                ask_again: AskAgain::Provider(self.call.authorize_request()),
            },
            user: self.call.user,
            arguments,
            settings: self.settings,
            context: self.context,
            record: self.record,
        }
    }
}
