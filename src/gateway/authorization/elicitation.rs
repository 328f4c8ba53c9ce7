//! Strategy 2 (protocol 2025-11-25 with `elicitation.url`): ask the person in the
//! client with a URL-mode `elicitation/create`, wait for Arcade to report the grant,
//! tell the client the elicitation is complete, and let the call run the tool — one
//! `tools/call`, no retry by the model.

use rmcp::model::{CustomNotification, ElicitationAction, ServerNotification};
use rmcp::service::{ElicitationError, ServiceError};
use serde_json::json;
use tokio::time::Instant;

use super::waiting::{self, Waited};
use super::{Asked, CheckedLink, Prompt};
use crate::arcade::types::AuthorizationResponse;
use crate::results::LinkReason;

/// The notification that closes a URL elicitation once its out-of-band step is done.
const COMPLETE: &str = "notifications/elicitation/complete";

/// Asks the person through the client; on `accept`, waits for the grant.
pub(super) async fn ask(
    prompt: &Prompt<'_>,
    auth: &AuthorizationResponse,
    link: &CheckedLink,
) -> Asked {
    let access = &link.access;
    let not_granted = || prompt.link(auth, LinkReason::NotGranted);
    let url = link.url.clone();
    let started = Instant::now();
    let timeout = prompt.settings.timeout;
    let elicitation_id = uuid::Uuid::new_v4().to_string();
    let answer = prompt
        .context
        .peer
        .elicit_url_with_timeout(
            access.prompt(prompt.tool.name),
            url,
            &elicitation_id,
            Some(timeout),
        )
        .await;
    match answer {
        Ok(ElicitationAction::Accept) => {}
        Ok(_) => {
            tracing::info!(user = %prompt.user, provider = %access.provider_id, "the user declined");
            return prompt.link(auth, LinkReason::Declined);
        }
        Err(ElicitationError::Service(ServiceError::Timeout { .. })) => {
            return prompt.link(auth, LinkReason::TimedOut);
        }
        Err(error) => {
            tracing::warn!(%error, "URL elicitation failed; answering with the link");
            return not_granted();
        }
    }
    let Some(id) = auth.id.as_deref() else {
        return not_granted();
    };
    let left = timeout.saturating_sub(started.elapsed());
    let waited = waiting::until_decided(prompt.arcade, id, prompt.user, left).await;
    if matches!(waited, Waited::Granted) {
        complete(prompt, &elicitation_id).await;
    }
    prompt.settle(waited, auth).await
}

/// Tells the client the out-of-band step of `elicitation_id` is done.
async fn complete(prompt: &Prompt<'_>, elicitation_id: &str) {
    let notification =
        CustomNotification::new(COMPLETE, Some(json!({ "elicitationId": elicitation_id })));
    if let Err(error) = prompt
        .context
        .peer
        .send_notification(ServerNotification::CustomNotification(notification))
        .await
    {
        tracing::debug!(%error, "could not send the elicitation-complete notification");
    }
}
