//! One `tools/call`, from checked arguments to a result:
//!
//! 1. arguments that fail the tool's schema → a tool error; nothing goes upstream;
//! 2. execute for the user (one round trip when access is already granted);
//! 3. "authorization required", in any of Arcade's three ways of saying it →
//!    `tools/authorize` → the link for the user, or, if the grant turns out to be in
//!    place, one more execute (never a loop).

use std::time::Instant;

use rmcp::model::CallToolResult;
use serde_json::{Map, Value};

use super::results;
use crate::arcade::types::{
    ExecuteToolRequest, ExecuteToolResponse, REQUIREMENTS_NOT_MET, ToolAuthorizeRequest,
    ToolDefinition,
};
use crate::arcade::{ArcadeClient, ArcadeError, ExecuteRetry};
use crate::catalog::CatalogEntry;
use crate::identity::UserId;

/// A call of one catalog tool by one user.
pub(super) struct ToolCall<'a> {
    /// The client for Arcade.
    pub arcade: &'a ArcadeClient,
    /// The tool.
    pub entry: &'a CatalogEntry,
    /// The calling user (from the transport, never from the arguments).
    pub user: &'a UserId,
}

/// What one execute came back with.
enum Executed {
    /// The tool ran (successfully or with its own error).
    Ran(Box<ExecuteToolResponse>),
    /// Arcade says the user must grant access first.
    NeedsAuthorization(String),
    /// Arcade could not be asked.
    Failed(ArcadeError),
}

impl ToolCall<'_> {
    /// Runs the call and always answers with a tool result: failures become tool
    /// errors that say what happened, so the server keeps serving.
    pub async fn run(&self, mut arguments: Map<String, Value>) -> CallToolResult {
        let started = Instant::now();
        let name = self.entry.name();
        drop_null_optionals(&self.entry.definition, &mut arguments);
        if let Err(error) = self.entry.validate_arguments(&arguments) {
            tracing::info!(tool = name, user = %self.user, "rejected bad arguments");
            return results::bad_arguments(name, &error);
        }
        let result = match self.execute(&arguments).await {
            Executed::NeedsAuthorization(reason) => {
                self.authorize_then_run(&arguments, reason).await
            }
            other => self.finish(other),
        };
        tracing::info!(
            tool = name,
            user = %self.user,
            is_error = result.is_error.unwrap_or(false),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "tool call"
        );
        result
    }

    /// Asks Arcade for the user's grant; shows the link, or runs the tool once more if
    /// the grant is already in place.
    async fn authorize_then_run(
        &self,
        arguments: &Map<String, Value>,
        reason: String,
    ) -> CallToolResult {
        let request = ToolAuthorizeRequest {
            tool_name: self.entry.definition.qualified_name.clone(),
            user_id: self.user.to_string(),
            ..Default::default()
        };
        let name = self.entry.name();
        match self.arcade.authorize_tool(&request).await {
            Err(error) => results::upstream_error(name, &error),
            Ok(auth) if auth.is_completed() => match self.execute(arguments).await {
                Executed::NeedsAuthorization(again) => {
                    tracing::warn!(tool = name, user = %self.user, first = %reason, again = %again,
                        "Arcade asks for authorization although the grant is complete");
                    results::refused_despite_grant(name, &again)
                }
                other => self.finish(other),
            },
            Ok(auth) => {
                tracing::info!(tool = name, user = %self.user, provider = ?auth.provider_id,
                    "authorization required; returning the link");
                results::authorization_required(
                    name,
                    &auth,
                    self.entry.definition.auth_requirement(),
                )
            }
        }
    }

    /// Sends the execute and sorts its answer.
    async fn execute(&self, arguments: &Map<String, Value>) -> Executed {
        let request = ExecuteToolRequest {
            tool_name: self.entry.definition.qualified_name.clone(),
            input: arguments.clone(),
            user_id: self.user.to_string(),
            ..Default::default()
        };
        let retry = if self.entry.safe_to_retry() {
            ExecuteRetry::SafeToRepeat
        } else {
            ExecuteRetry::OnlyIfNotRun
        };
        match self.arcade.execute_tool(&request, retry).await {
            Err(ArcadeError::PermissionDenied { message }) if self.entry.needs_authorization() => {
                Executed::NeedsAuthorization(message)
            }
            Err(error) => Executed::Failed(error),
            Ok(response) => match authorization_asked(&response) {
                Some(reason) => Executed::NeedsAuthorization(reason),
                None => Executed::Ran(Box::new(response)),
            },
        }
    }

    fn finish(&self, executed: Executed) -> CallToolResult {
        let name = self.entry.name();
        match executed {
            Executed::Ran(response) => results::from_execution(self.entry, *response),
            Executed::Failed(error) => results::upstream_error(name, &error),
            Executed::NeedsAuthorization(reason) => results::refused_despite_grant(name, &reason),
        }
    }
}

/// Treats `null` for an optional argument as "not given": models often send it, and
/// Arcade's tools take an absent argument as their default.
fn drop_null_optionals(definition: &ToolDefinition, arguments: &mut Map<String, Value>) {
    arguments.retain(|name, value| {
        !value.is_null()
            || definition
                .input
                .parameters
                .iter()
                .any(|p| p.required && p.name == *name)
    });
}

/// Arcade's ways of saying "authorization required" in a 200 answer: a pending
/// `output.authorization`, or an error of kind `TOOL_REQUIREMENTS_NOT_MET`.
fn authorization_asked(response: &ExecuteToolResponse) -> Option<String> {
    let output = response.output.as_ref()?;
    if let Some(auth) = &output.authorization
        && !auth.is_completed()
    {
        return Some("the execute answer carries a pending authorization".to_owned());
    }
    output
        .error
        .as_ref()
        .filter(|e| e.kind.as_deref() == Some(REQUIREMENTS_NOT_MET))
        .map(|e| e.message.clone())
}
