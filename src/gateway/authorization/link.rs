//! Strategy 3 (clients that cannot be asked directly): the link as a tool result.
//! With `--auth-wait`, the call first waits that long for the grant, telling the
//! client through a log message with the link and, when the call has a progress
//! token, `notifications/progress` every second.

use std::time::Duration;

#[allow(deprecated)]
use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam, ProgressNotificationParam};
use serde_json::json;

use super::waiting::{self, Waited};
use super::{Asked, CheckedLink, Prompt};
use crate::arcade::types::AuthorizationResponse;
use crate::results::LinkReason;

/// How often progress is reported while waiting.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Waits up to `--auth-wait` for the grant (when set and a link exists), else answers
/// with the link.
pub(super) async fn wait_then_link(
    prompt: &Prompt<'_>,
    auth: &AuthorizationResponse,
    checked: &CheckedLink,
) -> Asked {
    let link = || prompt.link(auth, LinkReason::NotGranted);
    let limit = prompt.settings.wait;
    let Some(id) = auth.id.as_deref() else {
        return link();
    };
    if limit.is_zero() {
        return link();
    }
    announce(prompt, auth, checked).await;
    let wait = waiting::until_decided(prompt.arcade, id, prompt.user, limit);
    let waited = with_progress(prompt, limit, wait).await;
    match waited {
        // Still pending: the plain link, which the person may yet open.
        Waited::TimedOut => link(),
        other => prompt.settle(other, auth).await,
    }
}

/// The log message that puts the link before the person while the call waits.
/// (Logging is deprecated by SEP-2577, but it is what 2025-11-25 clients show.)
#[allow(deprecated)]
async fn announce(prompt: &Prompt<'_>, auth: &AuthorizationResponse, checked: &CheckedLink) {
    let url = checked.url.as_str();
    let message = format!("{} {url}", checked.access.prompt(prompt.tool.name));
    let mut param = LoggingMessageNotificationParam::new(
        LoggingLevel::Notice,
        json!({ "message": message, "authorization_url": url, "authorization_id": auth.id }),
    );
    param.logger = Some(env!("CARGO_PKG_NAME").to_owned());
    if let Err(error) = prompt.context.peer.notify_logging_message(param).await {
        tracing::debug!(%error, "could not send the authorization log message");
    }
}

/// Runs `wait`, reporting progress every second when the call asked for progress.
async fn with_progress(
    prompt: &Prompt<'_>,
    limit: Duration,
    wait: impl Future<Output = Waited>,
) -> Waited {
    let Some(token) = prompt.context.meta.get_progress_token() else {
        return wait.await;
    };
    let mut seconds = 0u64;
    let mut ticks = tokio::time::interval(PROGRESS_EVERY);
    tokio::pin!(wait);
    loop {
        tokio::select! {
                    waited = &mut wait => return waited,
                    _ = ticks.tick() => {
                        let mut param = ProgressNotificationParam::new(
        token.clone(), seconds as f64);
                        seconds += 1;
                        param.total = Some(limit.as_secs_f64());
                        param.message = Some("waiting for the user to approve access".to_owned());
                        if let Err(error) = prompt.context.peer.notify_progress(param).await {
                            tracing::debug!(%error, "could not send progress");
                        }
                    }
                }
    }
}
