//! What one `tools/call` gathers for its audit line as it goes through the pipeline,
//! and the authorization lines it writes on the way. With the audit log off, a record
//! holds nothing and each step costs a branch.

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResponse, CallToolResult};
use serde_json::{Map, Value};

use super::arguments::arguments_sha256;
use super::event::{
    CallAuthorization, Client, Line, Prompt, SCHEMA_VERSION, ToolCall, bounded, millis,
};
use super::writer::AuditLog;
use crate::identity::UserId;
use crate::results::ResultClass;

/// The audit record of one `tools/call`, written as one line by [`CallRecord::finish`].
pub struct CallRecord {
    log: AuditLog,
    facts: Option<Mutex<Facts>>,
}

/// What the pipeline learned about the call.
struct Facts {
    started: Instant,
    user: UserId,
    client: Client,
    tool: String,
    qualified_name: Option<String>,
    via: Option<&'static str>,
    arguments_sha256: String,
    invalid_arguments: bool,
    cancelled: bool,
    authorization: Option<CallAuthorization>,
    execution_id: Option<String>,
    upstream: Duration,
}

/// An authorization prompt, as its audit line names it.
pub struct PromptFacts<'a> {
    /// `input_required`, `url_elicitation` or `link`.
    pub strategy: &'static str,
    /// Arcade's provider id.
    pub provider_id: &'a str,
    /// Arcade's authorization id.
    pub authorization_id: Option<&'a str>,
}

impl CallRecord {
    /// The record of a call by `user` from the client `client` describes (asked only
    /// when the audit log is on), named `tool` with `arguments`.
    pub fn new(
        log: &AuditLog,
        user: &UserId,
        client: impl FnOnce() -> Client,
        tool: &str,
        arguments: Option<&Map<String, Value>>,
    ) -> Self {
        let facts = log
            .is_on()
            .then(|| Mutex::new(Facts::new(user, client(), tool, arguments)));
        Self {
            log: log.clone(),
            facts,
        }
    }

    fn with(&self, change: impl FnOnce(&mut Facts)) {
        if let Some(facts) = &self.facts {
            change(&mut facts.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// `call_tool` relays the call to `tool` with `arguments`: the line names that tool.
    pub fn relayed(&self, tool: &str, arguments: &Map<String, Value>) {
        self.with(|facts| {
            facts.tool = tool.to_owned();
            facts.via = Some("call_tool");
            facts.arguments_sha256 = arguments_sha256(arguments);
        });
    }

    /// The tool is the catalog's `qualified_name`.
    pub fn catalog_tool(&self, qualified_name: &str) {
        self.with(|facts| facts.qualified_name = Some(qualified_name.to_owned()));
    }

    /// The arguments failed the tool's schema; nothing went upstream.
    pub fn invalid_arguments(&self) {
        self.with(|facts| facts.invalid_arguments = true);
    }

    /// The client cancelled the call or went away.
    pub fn cancelled(&self) {
        self.with(|facts| facts.cancelled = true);
    }

    /// One execute request took `took` and, if the tool ran, named its run
    /// `execution_id`.
    pub fn executed(&self, execution_id: Option<&str>, took: Duration) {
        self.with(|facts| {
            facts.upstream += took;
            if let Some(id) = execution_id {
                facts.execution_id = Some(id.to_owned());
            }
        });
    }

    /// The person is asked for a grant: an `authorization` line, and the call's
    /// authorization stays `pending` until the prompt ends.
    pub fn prompt_issued(&self, prompt: &PromptFacts<'_>) {
        self.authorization_event(prompt, "prompt_issued", None);
    }

    /// The prompt ended with `outcome` after `elapsed`: an `authorization` line.
    pub fn prompt_ended(&self, prompt: &PromptFacts<'_>, outcome: &str, elapsed: Duration) {
        self.authorization_event(prompt, "prompt_ended", Some((outcome, elapsed)));
    }

    fn authorization_event(
        &self,
        prompt: &PromptFacts<'_>,
        phase: &'static str,
        ended: Option<(&str, Duration)>,
    ) {
        self.with(|facts| {
            self.log.write(&facts.line(
                "authorization",
                Prompt {
                    phase,
                    strategy: prompt.strategy,
                    provider_id: prompt.provider_id,
                    authorization_id: prompt.authorization_id,
                    outcome: ended.map(|(outcome, _)| outcome),
                    elapsed_ms: ended.map(|(_, elapsed)| millis(elapsed)),
                },
            ));
            facts.authorization = Some(CallAuthorization {
                strategy: prompt.strategy,
                outcome: ended.map_or("pending", |(outcome, _)| outcome).to_owned(),
                provider_id: prompt.provider_id.to_owned(),
            });
        });
    }

    /// Writes the call's line, now that `response` is its answer.
    pub fn finish(self, response: &Result<CallToolResponse, McpError>) {
        self.with(|facts| self.write_call(facts, &outcome_of(response, facts)));
    }

    /// Writes the line of a call refused before it ran, with `outcome`.
    pub fn refused(self, outcome: &str) {
        self.with(|facts| self.write_call(facts, outcome));
    }

    fn write_call(&self, facts: &Facts, outcome: &str) {
        self.log.write(&facts.line(
            "tool_call",
            ToolCall {
                via: facts.via,
                arguments_sha256: &facts.arguments_sha256,
                outcome,
                authorization: facts.authorization.as_ref(),
                execution_id: facts.execution_id.as_deref(),
                duration_ms: millis(facts.started.elapsed()),
                upstream_ms: millis(facts.upstream),
            },
        ));
    }
}

impl Facts {
    /// What is known as a call arrives.
    fn new(
        user: &UserId,
        client: Client,
        tool: &str,
        arguments: Option<&Map<String, Value>>,
    ) -> Self {
        Self {
            started: Instant::now(),
            user: user.clone(),
            client,
            tool: bounded(tool),
            qualified_name: None,
            via: None,
            arguments_sha256: arguments_sha256(arguments.unwrap_or(&Map::new())),
            invalid_arguments: false,
            cancelled: false,
            authorization: None,
            execution_id: None,
            upstream: Duration::ZERO,
        }
    }

    /// A line about this call, of `event` with `details`, stamped now.
    fn line<D>(&self, event: &'static str, details: D) -> Line<'_, D> {
        Line {
            schema: SCHEMA_VERSION,
            event,
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            user: self.user.as_str(),
            client: &self.client,
            tool: &self.tool,
            qualified_name: self.qualified_name.as_deref(),
            details,
        }
    }
}

/// The outcome class of a call's answer.
fn outcome_of(response: &Result<CallToolResponse, McpError>, facts: &Facts) -> Cow<'static, str> {
    match response {
        Err(_) if facts.cancelled => "cancelled".into(),
        Err(_) => "protocol_error".into(),
        Ok(CallToolResponse::Complete(_)) if facts.invalid_arguments => "invalid_arguments".into(),
        Ok(CallToolResponse::Complete(result)) => result_outcome(result).unwrap_or("ok".into()),
        Ok(CallToolResponse::InputRequired(_)) => "input_required".into(),
        // A task (SEP-2663) is answered; the tool's own end is another request.
        Ok(_) => "ok".into(),
    }
}

/// The class of a complete result that is not a plain success: `None` for a success.
fn result_outcome(result: &CallToolResult) -> Option<Cow<'static, str>> {
    Some(match ResultClass::of(result) {
        ResultClass::Ok => return None,
        ResultClass::AuthorizationRequired => "authorization_required".into(),
        ResultClass::UpstreamError(kind) => format!("upstream_error:{kind}").into(),
        ResultClass::ToolError => "tool_error".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::{ContentBlock, InputRequiredResult};
    use serde_json::json;

    fn facts() -> Facts {
        Facts::new(&UserId::new("ann"), Client::default(), "Math_Add", None)
    }

    fn error_with(structured: Value) -> Result<CallToolResponse, McpError> {
        let mut result = CallToolResult::error(vec![ContentBlock::text("no")]);
        result.structured_content = Some(structured);
        Ok(result.into())
    }

    #[test]
    fn outcomes_are_classed_from_the_answer() {
        let facts = facts();
        let class = |response: &Result<CallToolResponse, McpError>| outcome_of(response, &facts);
        let ok = Ok(CallToolResult::success(vec![ContentBlock::text("3")]).into());
        assert_eq!(class(&ok), "ok");
        let failed = Ok(CallToolResult::error(vec![ContentBlock::text("no")]).into());
        assert_eq!(class(&failed), "tool_error");
        let link = error_with(json!({"authorization_required": true, "status": "declined"}));
        assert_eq!(class(&link), "authorization_required");
        let upstream = error_with(json!({"upstream_error": "rate_limited"}));
        assert_eq!(class(&upstream), "upstream_error:rate_limited");
        let input = Ok(CallToolResponse::InputRequired(InputRequiredResult::new(
            None, None,
        )));
        assert_eq!(class(&input), "input_required");
        let refused = Err(McpError::invalid_params("unknown tool", None));
        assert_eq!(class(&refused), "protocol_error");
    }

    #[test]
    fn marks_win_over_the_answer() {
        let mut facts = facts();
        facts.invalid_arguments = true;
        let failed = Ok(CallToolResult::error(vec![ContentBlock::text("bad")]).into());
        assert_eq!(outcome_of(&failed, &facts), "invalid_arguments");
        facts.cancelled = true;
        let gone = Err(McpError::internal_error("cancelled", None));
        assert_eq!(outcome_of(&gone, &facts), "cancelled");
    }

    #[test]
    fn a_name_the_client_chose_is_cut_to_128_characters() {
        let long = "x".repeat(10_000);
        let facts = Facts::new(&UserId::new("ann"), Client::default(), &long, None);
        assert_eq!(facts.tool.len(), 128);
    }

    #[test]
    fn with_the_log_off_nothing_is_gathered() {
        let record = CallRecord::new(
            &AuditLog::default(),
            &UserId::new("ann"),
            || unreachable!("the client is not asked for"),
            "Math_Add",
            None,
        );
        assert!(record.facts.is_none());
    }
}
