//! One `tools/call`, from checked arguments to a result:
//!
//! 1. arguments that fail the tool's schema → a tool error; nothing goes upstream;
//! 2. execute for the user (one round trip when access is already granted);
//! 3. "authorization required", in any of Arcade's three ways of saying it →
//!    `tools/authorize` → the prompt to the user (see [`super::authorization`]), or,
//!    if the grant turns out to be in place, one more execute (never a loop);
//! 4. a multi round-trip retry (`requestState`) → checked, then one execute once the
//!    grant is in place.
//!
//! Every execute and authorize is pinned to the toolkit version whose schema was
//! served. When the engine no longer has that version, the call is not run: the
//! catalog is fetched again, clients are told the list changed, and the model is told
//! to read the tool's schema again. Only a tool that declares a user grant takes the
//! authorization path; a requirement only a project admin can meet (a secret) is a
//! tool error saying so.

use std::time::{Duration, Instant};

use rmcp::ErrorData as McpError;
use rmcp::model::InputResponses;
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Map, Value};

use super::authorization::{self, Asked, AuthorizationSettings, Prompt, PromptedTool};
use crate::arcade::types::{ExecuteToolRequest, ExecuteToolResponse, REQUIREMENTS_NOT_MET};
use crate::arcade::{ArcadeClient, ArcadeError, ExecuteRetry};
use crate::audit::CallRecord;
use crate::catalog::{CatalogEntry, LiveCatalog, UnmetRequirement};
use crate::identity::UserId;
use crate::outcome::Answer;
use crate::results;

/// How long a call whose tool version is gone waits for the catalog to be fetched
/// again before it answers.
const REFRESH_WAIT: Duration = Duration::from_secs(20);

/// A call of one catalog tool by one user.
pub(super) struct ToolCall<'a> {
    /// The client for Arcade.
    pub arcade: &'a ArcadeClient,
    /// The served catalog, fetched again when the tool's version is gone.
    pub catalog: &'a LiveCatalog,
    /// The tool.
    pub entry: &'a CatalogEntry,
    /// The calling user (from the transport, never from the arguments).
    pub user: &'a UserId,
    /// How a pending grant reaches the person.
    pub settings: &'a AuthorizationSettings,
    /// The MCP request.
    pub context: &'a RequestContext<RoleServer>,
    /// What the audit line of the call will say.
    pub record: &'a CallRecord,
}

/// What a multi round-trip retry echoes back.
pub(super) struct Retry {
    /// The sealed `requestState` of the first round.
    pub request_state: String,
    /// The client's answers to the input requests.
    pub input_responses: Option<InputResponses>,
}

/// What one execute came back with.
enum Executed {
    /// The tool ran (successfully or with its own error).
    Ran(Box<ExecuteToolResponse>),
    /// Arcade says the user must grant access first.
    NeedsAuthorization(String),
    /// Arcade no longer has the tool at the version whose schema was served.
    Gone(ArcadeError),
    /// Arcade could not be asked.
    Failed(ArcadeError),
}

impl ToolCall<'_> {
    /// Runs the call and answers with a tool result (failures become tool errors that
    /// say what happened, so the server keeps serving) or an input-required result. A
    /// retry whose `requestState` does not check out is a protocol error.
    pub async fn run(
        &self,
        mut arguments: Map<String, Value>,
        retry: Option<Retry>,
    ) -> Result<Answer, McpError> {
        let started = Instant::now();
        let name = self.entry.name();
        self.entry.drop_null_optionals(&mut arguments);
        if let Err(error) = self.entry.validate_arguments(&arguments) {
            tracing::info!(tool = name, user = %self.user, "rejected bad arguments");
            return Ok(results::bad_arguments(name, &error));
        }
        // The authorization paths wait for the person and hold much more state than an
        // execute: boxed, they stay out of the future of every call,
        // which the runtime copies several times when it spawns the call, and which each
        // Streamable HTTP session's task holds for its life (rmcp answers `initialize`
        // inline there, in the future that can answer any request).
        let answer = match retry {
            Some(retry) => Box::pin(self.resume(retry, &arguments)).await?,
            None => match self.execute(&arguments).await {
                Executed::NeedsAuthorization(reason) => {
                    Box::pin(self.authorize_then_run(&arguments, reason)).await
                }
                other => self.finish(other).await,
            },
        };
        tracing::info!(
            tool = name,
            user = %self.user,
            outcome = %answer.outcome.audit_label(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "tool call"
        );
        Ok(answer)
    }

    /// A multi round-trip retry: checks its `requestState`, then runs the tool or
    /// answers again.
    async fn resume(
        &self,
        retry: Retry,
        arguments: &Map<String, Value>,
    ) -> Result<Answer, McpError> {
        let resumed = authorization::mrtr::resume(
            &self.prompt(arguments),
            &retry.request_state,
            retry.input_responses.as_ref(),
        )
        .await?;
        Ok(self.proceed(resumed, arguments).await)
    }

    /// Asks Arcade for the user's grant; prompts the user, or runs the tool once more
    /// if the grant is already in place.
    async fn authorize_then_run(&self, arguments: &Map<String, Value>, reason: String) -> Answer {
        let request = authorization::authorize_request(self.entry, self.user);
        let name = self.entry.name();
        match self.arcade.authorize_tool(&request).await {
            Err(error) if self.version_gone(&error).await => self.gone(&error).await,
            Err(error) => results::upstream_error(name, &error),
            Ok(auth) if auth.is_completed() => self.run_granted(arguments, &reason).await,
            Ok(auth) => {
                let outcome = self.prompt(arguments).ask(auth).await;
                self.proceed(outcome, arguments).await
            }
        }
    }

    /// What to do after a prompt: run the tool now that it is granted, or answer.
    async fn proceed(&self, asked: Asked, arguments: &Map<String, Value>) -> Answer {
        match asked {
            Asked::Granted => {
                self.run_granted(arguments, "the user approved access")
                    .await
            }
            Asked::Answer { answer, .. } => answer,
        }
    }

    /// The one execute once the grant is in place (never a loop).
    async fn run_granted(&self, arguments: &Map<String, Value>, reason: &str) -> Answer {
        let name = self.entry.name();
        match self.execute(arguments).await {
            Executed::NeedsAuthorization(again) => {
                tracing::warn!(tool = name, user = %self.user, first = %reason, again = %again,
                    "Arcade asks for authorization although the grant is complete");
                results::refused_despite_grant(name, &again)
            }
            other => self.finish(other).await,
        }
    }

    /// Whether `error`, refusing a request pinned to the served version, means that
    /// version is gone. The engine's statuses for it vary (404, 400), so the engine is
    /// asked which version of the tool it serves now: another one, or none.
    async fn version_gone(&self, error: &ArcadeError) -> bool {
        let refused = matches!(
            error,
            ArcadeError::NotFound { .. } | ArcadeError::Rejected { status: 400, .. }
        );
        let Some(pinned) = self.entry.version().filter(|_| refused) else {
            return false;
        };
        match self
            .arcade
            .get_tool(self.entry.qualified_name(), None)
            .await
        {
            Ok(now) => now.toolkit_version() != Some(pinned),
            Err(ArcadeError::NotFound { .. }) => true,
            Err(_) => false,
        }
    }

    /// The engine no longer has the tool at the served version: fetch the catalog
    /// again (which tells every client the list changed), and tell the model to read
    /// the tool's schema again. Nothing ran.
    async fn gone(&self, error: &ArcadeError) -> Answer {
        let name = self.entry.name();
        tracing::warn!(tool = name, version = ?self.entry.version(), %error,
            "the engine no longer has the served version of the tool; fetching the catalog again");
        let refreshed = self.catalog.refresh_now(REFRESH_WAIT).await;
        let now = refreshed.then(|| self.catalog.current());
        let served = now.as_ref().and_then(|catalog| catalog.get(name));
        results::tool_changed(
            name,
            self.entry.version(),
            refreshed,
            served.map(|e| e.version()),
        )
    }

    fn prompt<'a>(&'a self, arguments: &'a Map<String, Value>) -> Prompt<'a> {
        Prompt {
            arcade: self.arcade,
            tool: PromptedTool::catalog(self.entry, self.user),
            user: self.user,
            arguments,
            settings: self.settings,
            context: self.context,
            record: self.record,
        }
    }

    /// Sends the execute and sorts its answer.
    async fn execute(&self, arguments: &Map<String, Value>) -> Executed {
        let request = ExecuteToolRequest {
            tool_name: self.entry.qualified_name().to_owned(),
            input: arguments.clone(),
            user_id: self.user.as_str().to_owned(),
            tool_version: self.entry.version().map(str::to_owned),
            ..Default::default()
        };
        let retry = if self.entry.safe_to_retry() {
            ExecuteRetry::SafeToRepeat
        } else {
            ExecuteRetry::OnlyIfNotRun
        };
        let sent = Instant::now();
        let executed = match self.arcade.execute_tool(&request, retry).await {
            Err(ArcadeError::PermissionDenied { message }) if self.entry.needs_authorization() => {
                Executed::NeedsAuthorization(message)
            }
            Err(error) if self.version_gone(&error).await => Executed::Gone(error),
            Err(error) => Executed::Failed(error),
            Ok(response) => match self.grant_asked(&response) {
                Some(reason) => Executed::NeedsAuthorization(reason),
                None => Executed::Ran(Box::new(response)),
            },
        };
        // The execution id is the tool's run: an answer asking for a grant ran nothing.
        let execution_id = match &executed {
            Executed::Ran(response) => response.execution_id.as_deref(),
            _ => None,
        };
        self.record.executed(execution_id, sent.elapsed());
        executed
    }

    /// Whether a 200 answer asks for the user's grant, which only a tool that declares
    /// one can be helped by, and only when no secret is known to be missing: a pending
    /// `output.authorization`, or an error of kind `TOOL_REQUIREMENTS_NOT_MET`. Any
    /// other unmet requirement is the tool's error (see [`results::from_execution`]).
    fn grant_asked(&self, response: &ExecuteToolResponse) -> Option<String> {
        let secret_missing = (self.entry.unmet_requirements().iter())
            .any(|unmet| matches!(unmet, UnmetRequirement::Secret(_)));
        if !self.entry.needs_authorization() || secret_missing {
            return None;
        }
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

    async fn finish(&self, executed: Executed) -> Answer {
        let name = self.entry.name();
        match executed {
            Executed::Ran(response) => results::from_execution(self.entry, *response),
            Executed::Failed(error) => results::upstream_error(name, &error),
            Executed::NeedsAuthorization(reason) => results::refused_despite_grant(name, &reason),
            Executed::Gone(error) => self.gone(&error).await,
        }
    }
}
