//! One `tools/call` of a direct tool, with the same authorization experience as a
//! catalog tool: when the user has not granted the tool's provider yet, the person is
//! asked the best way the client offers (see [`super::authorization`]: the link, URL
//! elicitation that finishes the call, a multi round-trip whose `requestState` any
//! replica can finish, or an in-call wait), and the provider is called once the grant
//! is in place.

use std::time::Instant;

use rmcp::ErrorData as McpError;
use rmcp::model::JsonObject;
use rmcp::service::{RequestContext, RoleServer};

use super::authorization::{self, AskAgain, Asked, AuthorizationSettings, Prompt, PromptedTool};
use super::call::Retry;
use crate::arcade::types::AuthorizationResponse;
use crate::audit::CallRecord;
use crate::direct::call::{DirectCall, TokenState};
use crate::outcome::Answer;
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
    ) -> Result<Answer, McpError> {
        let started = Instant::now();
        let arguments = match self.call.checked(arguments) {
            Ok(arguments) => arguments,
            Err(answer) => return Ok(answer),
        };
        let answer = match retry {
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
        self.call.log_end(started, answer.outcome);
        Ok(answer)
    }

    /// The token, then the provider; the person is asked when a grant is missing.
    async fn first_round(&self, arguments: &JsonObject) -> Answer {
        let pending = match self.call.token().await {
            Err(answer) => return answer,
            Ok(TokenState::Ready(token)) => match self.call.call(token, arguments).await {
                Ok(answer) => return answer,
                Err(gone) => gone,
            },
            Ok(TokenState::Pending(auth)) => auth,
        };
        self.ask(*pending, arguments).await
    }

    async fn ask(&self, auth: AuthorizationResponse, arguments: &JsonObject) -> Answer {
        let asked = Box::pin(self.prompt(arguments).ask(auth)).await;
        self.proceed(asked, arguments).await
    }

    /// After a prompt: call the provider now that the grant is in place (once), or
    /// answer.
    async fn proceed(&self, asked: Asked, arguments: &JsonObject) -> Answer {
        match asked {
            Asked::Answer { answer, .. } => answer,
            Asked::Granted => self.run_granted(arguments).await,
        }
    }

    async fn run_granted(&self, arguments: &JsonObject) -> Answer {
        let name = self.call.entry.name();
        match self.call.token().await {
            Err(answer) => answer,
            Ok(TokenState::Ready(token)) => match self.call.call(token, arguments).await {
                Ok(answer) => answer,
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
