//! Strategy 1 (protocol 2026-07-28): answer `tools/call` with an input-required
//! result (multi round-trip request, SEP-2322) holding a URL elicitation with the
//! link, and finish on the client's retry.
//!
//! Everything the retry needs travels in `requestState`, sealed with the configured
//! HMAC key and an expiry: nothing stays in process memory, so any replica sharing
//! the key can finish the retry. On the retry the seal, the expiry, the user, the
//! tool and the arguments are checked, and the state is marked used (in this process,
//! or in the Redis replicas share: [`crate::shared_state`]), before Arcade is asked
//! whether the grant is in place; only then does the tool run, once.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolResponse, ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction,
    InputRequest, InputRequests, InputRequiredResult, InputResponses, RequestStateError,
    SealOptions,
};
use serde::{Deserialize, Serialize};

use super::waiting;
use super::{Asked, AuthorizationSettings, CheckedLink, Prompt, Strategy};
use crate::arcade::types::{AuthStatus, AuthorizationResponse};
use crate::audit::{PromptFacts, arguments_sha256};
use crate::outcome::{Answer, CallOutcome};
use crate::results::{Access, LinkReason};
use crate::shared_state::ReplayError;

/// The key of the one input request: the URL elicitation.
const INPUT_KEY: &str = "authorization";

/// What the retry needs, sealed into `requestState` (signed, not encrypted: it holds
/// nothing secret — the link is the person's to see, the arguments only as a hash).
#[derive(Debug, Serialize, Deserialize)]
struct PendingCall {
    /// Arcade's authorization id (`ac_…`).
    authorization_id: String,
    /// The link, to show again if the person declines.
    url: String,
    /// The MCP tool name.
    tool: String,
    /// SHA-256 of the canonical JSON of the arguments.
    arguments_sha256: String,
    /// The user the prompt was for.
    user: String,
    /// When the prompt was issued (ms since the Unix epoch), for the time to grant.
    issued_at_ms: u64,
}

/// Why a retry's `requestState` was refused. Each says what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    /// The seal does not verify.
    #[error(
        "requestState failed its integrity check (altered, or sealed by a server with another \
         key); call the tool again without requestState to start over"
    )]
    Tampered,
    /// Too old.
    #[error(
        "requestState has expired (an authorization prompt stays open for {0} s); call the \
         tool again without requestState to get a fresh link"
    )]
    Expired(u64),
    /// Issued to someone else.
    #[error(
        "requestState belongs to another user; call the tool again without requestState to \
         get your own authorization link"
    )]
    OtherUser,
    /// Issued for another tool or other arguments.
    #[error(
        "requestState was issued for {0}; retry with exactly the tool and arguments of the \
         first call, or call again without requestState"
    )]
    OtherCall(&'static str),
    /// Used before, or its single use cannot be checked.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// `inputResponses.authorization` is not an elicitation result.
    #[error(
        "inputResponses.authorization is not an elicitation result ({0}); send the client's \
         answer to the URL elicitation, e.g. {{\"action\": \"accept\"}}"
    )]
    BadResponse(String),
}

impl From<RetryError> for McpError {
    fn from(error: RetryError) -> Self {
        McpError::invalid_params(error.to_string(), None)
    }
}

/// The first round: an input-required result asking the client to open the link,
/// with the sealed state of the call.
pub(super) fn input_required(
    prompt: &Prompt<'_>,
    auth: &AuthorizationResponse,
    link: &CheckedLink,
) -> Asked {
    let tool = prompt.tool.name;
    let access = &link.access;
    let url = link.url.to_string();
    let Some(id) = auth.id.clone() else {
        return prompt.link(auth, LinkReason::NotGranted);
    };
    let pending = PendingCall {
        authorization_id: id.clone(),
        url: url.clone(),
        tool: tool.to_owned(),
        arguments_sha256: arguments_sha256(prompt.arguments),
        user: prompt.user.as_str().to_owned(),
        issued_at_ms: now_ms(),
    };
    let options = SealOptions::new().ttl(prompt.settings.timeout);
    let sealed = match prompt.settings.codec.seal_json_with(&pending, &options) {
        Ok(sealed) => sealed,
        Err(error) => {
            tracing::error!(%error, "could not seal requestState; answering with the link");
            return prompt.link(auth, LinkReason::NotGranted);
        }
    };
    let elicitation = ElicitRequestParams::UrlElicitationParams {
        meta: None,
        message: access.prompt(tool),
        url,
        elicitation_id: id,
    };
    let mut requests = InputRequests::new();
    requests.insert(
        INPUT_KEY.to_owned(),
        InputRequest::Elicitation(ElicitRequest::new(elicitation)),
    );
    let response =
        CallToolResponse::InputRequired(InputRequiredResult::new(Some(requests), Some(sealed)));
    Asked::Answer {
        answer: Answer {
            response: Box::new(response),
            outcome: CallOutcome::InputRequired,
        },
        end: "input_required",
    }
}

/// The retry: checks `sealed` against this call, reads the client's answer, and waits
/// (at most `--auth-timeout`) for Arcade to report the grant.
pub(in crate::gateway) async fn resume(
    prompt: &Prompt<'_>,
    sealed: &str,
    responses: Option<&InputResponses>,
) -> Result<Asked, RetryError> {
    let settings = prompt.settings;
    let pending = open(settings, sealed)?;
    if pending.user != prompt.user.as_str() {
        tracing::warn!(user = %prompt.user, "refused requestState issued to another user");
        return Err(RetryError::OtherUser);
    }
    if pending.tool != prompt.tool.name {
        return Err(RetryError::OtherCall("another tool"));
    }
    if pending.arguments_sha256 != arguments_sha256(prompt.arguments) {
        return Err(RetryError::OtherCall("other arguments"));
    }
    // Last, so that only the user's own retry of this very call uses the state up.
    if let Err(refused) = settings
        .replay
        .first_use(sealed, still_valid(settings, &pending))
        .await
    {
        tracing::warn!(user = %prompt.user, tool = prompt.tool.name, reason = %refused,
            "refused a retry's requestState");
        return Err(refused.into());
    }
    let auth = AuthorizationResponse {
        id: Some(pending.authorization_id.clone()),
        status: Some(AuthStatus::Pending),
        url: Some(pending.url.clone()),
        ..Default::default()
    };
    let access = Access::of(prompt.tool.requirement, &auth);
    let action = match responses.and_then(|r| r.get(INPUT_KEY)) {
        Some(answer) => {
            ElicitResult::deserialize(answer)
                .map_err(|e| RetryError::BadResponse(e.to_string()))?
                .action
        }
        // No answer: the client may have opened the link itself; look at the grant.
        None => ElicitationAction::Accept,
    };
    let outcome = if action == ElicitationAction::Accept {
        let waited = waiting::until_decided(
            prompt.arcade,
            &pending.authorization_id,
            prompt.user,
            settings.timeout,
        )
        .await;
        prompt.settle(waited, &auth).await
    } else {
        prompt.link(&auth, LinkReason::Declined)
    };
    let facts = PromptFacts {
        strategy: Strategy::InputRequired.label(),
        provider_id: &access.provider_id,
        authorization_id: Some(&pending.authorization_id),
    };
    let elapsed = Duration::from_millis(now_ms().saturating_sub(pending.issued_at_ms));
    prompt.ended(&facts, elapsed, &outcome);
    Ok(outcome)
}

/// The state of a retry, if its seal verifies and it has not expired.
fn open(settings: &AuthorizationSettings, sealed: &str) -> Result<PendingCall, RetryError> {
    settings
        .codec
        .open_json(sealed)
        .map_err(|error| match error {
            RequestStateError::Expired => RetryError::Expired(settings.timeout.as_secs()),
            _ => RetryError::Tampered,
        })
}

/// How much longer `pending`'s seal opens: its expiry is its issue time plus the timeout.
fn still_valid(settings: &AuthorizationSettings, pending: &PendingCall) -> Duration {
    let expires_at_ms = pending.issued_at_ms + settings.timeout.as_millis() as u64;
    Duration::from_millis(expires_at_ms.saturating_sub(now_ms()))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared_state::ReplayGuard;
    use rmcp::model::RequestStateCodec;
    use serde_json::Map;

    #[test]
    fn expired_and_tampered_states_are_told_apart() {
        let settings = AuthorizationSettings {
            wait: Duration::ZERO,
            timeout: Duration::from_secs(300),
            codec: RequestStateCodec::try_new(vec![7; 32]).unwrap(),
            replay: ReplayGuard::local(),
        };
        let pending = PendingCall {
            authorization_id: "ac_1".into(),
            url: "http://127.0.0.1/authorize/ac_1".into(),
            tool: "Mail_ListEmails".into(),
            arguments_sha256: arguments_sha256(&Map::new()),
            user: "ann@example.com".into(),
            issued_at_ms: now_ms(),
        };
        let short = SealOptions::new().ttl(Duration::from_millis(1));
        let sealed = settings.codec.seal_json_with(&pending, &short).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let expired = open(&settings, &sealed).unwrap_err();
        assert!(matches!(expired, RetryError::Expired(300)), "{expired}");
        assert!(
            expired.to_string().contains("without requestState"),
            "{expired}"
        );

        let other_key = AuthorizationSettings {
            codec: RequestStateCodec::try_new(vec![8; 32]).unwrap(),
            ..settings.clone()
        };
        let sealed = settings.codec.seal_json(&pending).unwrap();
        assert!(open(&settings, &sealed).is_ok());
        assert!(matches!(
            open(&other_key, &sealed),
            Err(RetryError::Tampered)
        ));
    }
}
