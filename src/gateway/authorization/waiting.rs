//! Waiting for the person to decide: long-polls `auth/status?wait=` until Arcade
//! reports the grant completed or failed, or the time allowed runs out.
//!
//! Dropping the future drops the HTTP request in flight, so a cancelled call stops
//! waiting upstream at once.

use std::time::Duration;

use tokio::time::Instant;

use crate::arcade::types::{AuthStatus, AuthorizationResponse};
use crate::arcade::{ArcadeClient, ArcadeError};
use crate::identity::UserId;

/// Arcade caps one long-poll at 59 s.
const LONGEST_POLL: Duration = Duration::from_secs(59);

/// The shortest pause between two polls, should an engine answer a long-poll at once.
const LEAST_PAUSE: Duration = Duration::from_millis(200);

/// How a wait for a grant ended.
#[derive(Debug)]
pub enum Waited {
    /// The user approved: the grant is in place.
    Granted,
    /// Arcade reports the authorization failed (denied, expired or broken).
    Failed,
    /// Still pending when the time allowed ran out.
    TimedOut,
    /// Arcade could not be asked.
    Unavailable(ArcadeError),
    /// The authorization belongs to someone else (a forged or mixed-up id).
    NotTheUsers,
}

/// Long-polls the authorization `id` of `user` for up to `limit`.
pub async fn until_decided(
    arcade: &ArcadeClient,
    id: &str,
    user: &UserId,
    limit: Duration,
) -> Waited {
    let deadline = Instant::now() + limit;
    loop {
        let asked = Instant::now();
        let remaining = deadline.saturating_duration_since(asked);
        if remaining.is_zero() {
            return Waited::TimedOut;
        }
        let poll = Duration::from_secs(remaining.as_secs_f64().ceil() as u64).min(LONGEST_POLL);
        let answer = tokio::time::timeout(remaining, arcade.auth_status(id, Some(poll))).await;
        match answer {
            Err(_) => return Waited::TimedOut,
            Ok(Err(error)) => return Waited::Unavailable(error),
            Ok(Ok(status)) => match decided(&status, user) {
                Some(waited) => return waited,
                None => tokio::time::sleep_until(asked + LEAST_PAUSE).await,
            },
        }
    }
}

/// The end of the wait, if `status` is one.
fn decided(status: &AuthorizationResponse, user: &UserId) -> Option<Waited> {
    if status
        .user_id
        .as_deref()
        .is_some_and(|owner| owner != user.as_str())
    {
        return Some(Waited::NotTheUsers);
    }
    match status.status {
        Some(AuthStatus::Completed) => Some(Waited::Granted),
        Some(AuthStatus::Failed) => Some(Waited::Failed),
        _ => None,
    }
}
