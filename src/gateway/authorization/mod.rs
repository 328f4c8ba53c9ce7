//! Getting a pending grant to the person the best way the client offers, chosen per
//! call from what the client declared:
//!
//! 1. protocol 2026-07-28 with URL elicitation → an input-required result (multi
//!    round-trip request) whose sealed `requestState` lets any replica finish the
//!    retry ([`mrtr`]);
//! 2. an older protocol with URL elicitation → `elicitation/create` in the call, then
//!    a wait for the grant and the tool's result in the same call ([`elicitation`]);
//! 3. anything else → the link as a tool result, after an optional in-call wait with
//!    progress ([`link`]).
//!
//! Every prompt and its outcome is logged (user, provider, strategy, time to grant),
//! and recorded on the call's span (strategy and outcome).

mod elicitation;
mod link;
pub(super) mod mrtr;
mod settings;
mod waiting;

use std::time::Duration;

use rmcp::model::ProtocolVersion;
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Map, Value};
use tokio::time::Instant;

pub use settings::AuthorizationSettings;
use waiting::Waited;

use crate::arcade::types::{
    AuthAuthorizeRequest, AuthRequirement, AuthorizationResponse, ToolAuthorizeRequest,
};
use crate::arcade::{ArcadeClient, ArcadeError};
use crate::audit::{CallRecord, PromptFacts};
use crate::catalog::CatalogEntry;
use crate::identity::UserId;
use crate::outcome::{Answer, CallOutcome};
use crate::results::{self, CheckedLink, LinkReason};

/// How a pending grant reaches the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    /// Protocol 2026-07-28: an input-required result with a URL elicitation.
    InputRequired,
    /// URL-mode `elicitation/create` inside the call.
    UrlElicitation,
    /// The link as a tool result, maybe after an in-call wait.
    Link,
}

impl Strategy {
    /// The best strategy the client of this request declared support for. URL-mode
    /// elicitation exists from protocol 2025-11-25 on: an older client declaring it is
    /// answered with the link.
    fn for_request(context: &RequestContext<RoleServer>) -> Self {
        let version = context.protocol_version();
        let url_elicitation = version
            .as_ref()
            .is_some_and(|v| *v >= ProtocolVersion::V_2025_11_25)
            && context
                .client_capabilities()
                .and_then(|c| c.elicitation)
                .is_some_and(|e| e.url.is_some());
        let stateless = version.is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        match (url_elicitation, stateless) {
            (true, true) => Self::InputRequired,
            (true, false) => Self::UrlElicitation,
            (false, _) => Self::Link,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::InputRequired => "input_required",
            Self::UrlElicitation => "url_elicitation",
            Self::Link => "link",
        }
    }
}

/// What asking the person came to.
pub(in crate::gateway) enum Asked {
    /// The grant is in place: run the tool (once).
    Granted,
    /// Answer the call with this (a link, a decline, an input-required result, …);
    /// `end` is how the prompt ended, for the logs: why not (`declined`, `timed_out`,
    /// `failed`, `not_granted`), `input_required` for a first round, or `error`.
    Answer { answer: Answer, end: &'static str },
}

impl Asked {
    /// Answers with `answer`, a prompt that ended in an error.
    fn error(answer: Answer) -> Self {
        Self::Answer {
            answer,
            end: "error",
        }
    }

    /// For the log: `granted`, or how the prompt ended without a grant.
    fn label(&self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Answer { end, .. } => end,
        }
    }
}

/// The tool a prompt is for: its name, the grant it needs, and how Arcade is asked for
/// that grant again after a failed one. Catalog tools and direct tools alike.
pub(in crate::gateway) struct PromptedTool<'a> {
    /// The MCP name.
    pub name: &'a str,
    /// The grant it needs.
    pub requirement: Option<&'a AuthRequirement>,
    /// The request that starts a new authorization for it.
    pub ask_again: AskAgain,
}

/// How Arcade is asked for a tool's grant: by the tool (catalog tools), or by the
/// provider and scopes (direct tools).
pub(in crate::gateway) enum AskAgain {
    /// `POST /v1/tools/authorize`.
    Tool(ToolAuthorizeRequest),
    /// `POST /v1/auth/authorize`.
    Provider(AuthAuthorizeRequest),
}

impl AskAgain {
    /// Sends the request: the user's authorization for the tool, pending or complete.
    pub async fn send(&self, arcade: &ArcadeClient) -> Result<AuthorizationResponse, ArcadeError> {
        match self {
            Self::Tool(request) => arcade.authorize_tool(request).await,
            Self::Provider(request) => arcade.authorize(request).await,
        }
    }
}

impl<'a> PromptedTool<'a> {
    /// A catalog tool, asked for by its qualified name at the served version.
    pub fn catalog(entry: &'a CatalogEntry, user: &UserId) -> Self {
        Self {
            name: entry.name(),
            requirement: entry.auth_requirement(),
            ask_again: AskAgain::Tool(authorize_request(entry, user)),
        }
    }
}

/// One call whose tool waits for the user's grant.
pub(in crate::gateway) struct Prompt<'a> {
    /// The client for Arcade.
    pub arcade: &'a ArcadeClient,
    /// The tool.
    pub tool: PromptedTool<'a>,
    /// The calling user.
    pub user: &'a UserId,
    /// The checked arguments of the call.
    pub arguments: &'a Map<String, Value>,
    /// Waits, timeouts and the state key.
    pub settings: &'a AuthorizationSettings,
    /// The MCP request (client capabilities, progress token, peer).
    pub context: &'a RequestContext<RoleServer>,
    /// The call's audit record, which writes the prompt's audit lines.
    pub record: &'a CallRecord,
}

impl Prompt<'_> {
    /// The link result for this call's tool, saying why it did not run.
    fn link(&self, auth: &AuthorizationResponse, reason: LinkReason) -> Asked {
        let answer =
            results::authorization_link(self.tool.name, self.tool.requirement, auth, reason);
        if answer.outcome == CallOutcome::AuthorizationRequired {
            Asked::Answer {
                answer,
                end: reason.status(),
            }
        } else {
            Asked::error(answer)
        }
    }

    /// Gets the pending authorization `auth` to the person and, where the strategy
    /// allows, waits for their decision.
    pub(in crate::gateway) async fn ask(&self, auth: AuthorizationResponse) -> Asked {
        let strategy = Strategy::for_request(self.context);
        let started = Instant::now();
        // The one check of Arcade's link, before any strategy shows it to anyone.
        let link = match results::checked_link(self.tool.requirement, &auth) {
            Ok(link) => link,
            Err(error) => {
                return Asked::error(results::unusable_link(self.tool.name, &error));
            }
        };
        let facts = PromptFacts {
            strategy: strategy.label(),
            provider_id: &link.access.provider_id,
            authorization_id: auth.id.as_deref(),
        };
        tracing::info!(user = %self.user, tool = self.tool.name, provider = facts.provider_id,
            strategy = facts.strategy, "asking the user for authorization");
        self.record.prompt_issued(&facts);
        let outcome = match strategy {
            Strategy::InputRequired => {
                crate::telemetry::record_authorization(strategy.label(), "input_required");
                return mrtr::input_required(self, &auth, &link);
            }
            Strategy::UrlElicitation => elicitation::ask(self, &auth, &link).await,
            Strategy::Link => link::wait_then_link(self, &auth, &link).await,
        };
        self.ended(&facts, started.elapsed(), &outcome);
        outcome
    }

    /// The answer to a finished wait: run the tool, or a result saying why not.
    async fn settle(&self, waited: Waited, auth: &AuthorizationResponse) -> Asked {
        match waited {
            Waited::Granted => Asked::Granted,
            Waited::TimedOut => self.link(auth, LinkReason::TimedOut),
            Waited::Failed => self.fresh_link().await,
            Waited::Unavailable(error) => {
                Asked::error(results::upstream_error(self.tool.name, &error))
            }
            Waited::NotTheUsers => Asked::error(results::authorization_mixup(self.tool.name)),
        }
    }

    /// After a failed or expired grant: a new authorization and its link.
    async fn fresh_link(&self) -> Asked {
        match self.tool.ask_again.send(self.arcade).await {
            Ok(fresh) => self.link(&fresh, LinkReason::GrantFailed),
            Err(error) => Asked::error(results::upstream_error(self.tool.name, &error)),
        }
    }

    /// The one place a prompt's end is told: to the log, and to the audit log.
    fn ended(&self, facts: &PromptFacts<'_>, elapsed: Duration, outcome: &Asked) {
        let label = outcome.label();
        tracing::info!(user = %self.user, tool = self.tool.name, provider = facts.provider_id,
            strategy = facts.strategy, outcome = label, elapsed_ms = elapsed.as_millis() as u64,
            "authorization prompt ended");
        crate::telemetry::record_authorization(facts.strategy, label);
        self.record.prompt_ended(facts, label, elapsed);
    }
}

/// The `tools/authorize` request for `entry` by `user`, pinned to the served version.
pub(super) fn authorize_request(entry: &CatalogEntry, user: &UserId) -> ToolAuthorizeRequest {
    ToolAuthorizeRequest {
        tool_name: entry.qualified_name().to_owned(),
        user_id: user.as_str().to_owned(),
        tool_version: entry.version().map(str::to_owned),
        ..Default::default()
    }
}
