//! What one `tools/call` gathers for its audit line as it goes through the pipeline,
//! and the authorization lines it writes on the way. With the audit log off, a record
//! holds nothing and each step costs a branch.

use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Map, Value};

use super::arguments::arguments_sha256;
use super::event::{
    CallAuthorization, Client, Line, Prompt, SCHEMA_VERSION, ToolCall, bounded, millis,
};
use super::writer::AuditLog;
use crate::identity::UserId;
use crate::outcome::CallOutcome;

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
            change(&mut facts.lock());
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

    /// Writes the call's line, now that it ended as `outcome`.
    pub fn finish(self, outcome: CallOutcome) {
        self.with(|facts| self.write_call(facts, &outcome.audit_label()));
    }

    /// Writes the line of a call refused before it ran, with `outcome`.
    pub fn refused(self, outcome: CallOutcome) {
        self.finish(outcome);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts::new(&UserId::new("ann"), Client::default(), "Math_Add", None)
    }

    #[test]
    fn a_name_the_client_chose_is_cut_to_128_characters() {
        let long = "x".repeat(10_000);
        let facts = Facts::new(&UserId::new("ann"), Client::default(), &long, None);
        assert_eq!(facts.tool.len(), 128);
        assert_eq!(self::facts().tool, "Math_Add");
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
