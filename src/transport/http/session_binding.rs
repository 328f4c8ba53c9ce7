//! A stateful session belongs to the user who opened it: a request that presents someone
//! else's session id is refused (403), whatever the id.
//!
//! For `/mcp` the middleware learns the owner from the `Mcp-Session-Id` header of the
//! `initialize` answer and checks it on every later request; the legacy SSE transport
//! keeps the owner with its session and uses [`SessionOwners`] the same way.
//!
//! Deleting a session (`DELETE /mcp`) also cancels the calls still running in it: each
//! request of a session carries the session's [`ClientGone`] token to the gateway.
//!
//! A `subscriptions/listen` stream takes a session slot of its user for as long as its
//! answer is being sent, so one user cannot hold every connection with them.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::limits::Asked;
use super::session_limits::{SessionLimit, SessionSlot, SessionSlots};
use crate::gateway::ClientGone;
use crate::identity::UserId;
use fair_accept::hold_until_sent;

/// The header rmcp's Streamable HTTP service names sessions with.
const SESSION_HEADER: &str = "mcp-session-id";

/// Who opened each live session. Entries idle longer than the session idle timeout are
/// forgotten (the session behind them has been closed by then), so the table stays small.
#[derive(Clone)]
pub struct SessionOwners {
    owners: moka::sync::Cache<String, Session>,
    slots: Arc<SessionSlots>,
    stateless: bool,
}

/// A live session: who opened it, and the token its deletion cancels.
#[derive(Clone)]
struct Session {
    owner: UserId,
    gone: ClientGone,
}

/// Why a request may not use a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionRefusal {
    /// The session was opened by another user.
    #[error(
        "this session belongs to another user: a session can only be used by the identity that \
         opened it; open your own session (send `initialize` without a session id)"
    )]
    NotYours,
    /// No such session (never opened, closed, or expired).
    #[error(
        "unknown or expired session id: open a new session (send `initialize` without a session id)"
    )]
    Unknown,
}

impl IntoResponse for SessionRefusal {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            Self::NotYours => (StatusCode::FORBIDDEN, "session_not_yours"),
            Self::Unknown => (StatusCode::NOT_FOUND, "unknown_session"),
        };
        super::json_error(status, code, &self.to_string()).into_response()
    }
}

impl SessionOwners {
    /// An empty table whose entries live as long as an idle session does; opening a
    /// session (on `/mcp` unless `stateless`, or a legacy stream) needs one of `slots`.
    pub fn new(idle_timeout: Duration, slots: Arc<SessionSlots>, stateless: bool) -> Self {
        Self {
            owners: moka::sync::Cache::builder()
                .time_to_idle(idle_timeout)
                .build(),
            slots,
            stateless,
        }
    }

    /// A slot for one more session of `user`, counting the live `/mcp` sessions (the
    /// table skips expired ones, so they count no more) beside the slots taken. A legacy
    /// stream keeps its slot while open; on `/mcp` it only reserves the place until the
    /// `initialize` answer is bound.
    pub fn reserve(&self, user: &UserId) -> Result<SessionSlot, SessionLimit> {
        let (mine, all) = self
            .owners
            .iter()
            .fold((0, 0), |(mine, all), (_, session)| {
                (mine + usize::from(session.owner == *user), all + 1)
            });
        self.slots.take(user, mine, all)
    }

    /// Records that `user` opened `session`.
    pub fn bind(&self, session: &str, user: &UserId) {
        let session_state = Session {
            owner: user.clone(),
            gone: ClientGone::default(),
        };
        self.owners.insert(session.to_owned(), session_state);
    }

    /// Whether `user` may use `session`; if so, the token that the session's deletion
    /// cancels.
    pub fn check(&self, session: &str, user: &UserId) -> Result<ClientGone, SessionRefusal> {
        match self.owners.get(session) {
            Some(found) if found.owner == *user => Ok(found.gone),
            Some(_) => Err(SessionRefusal::NotYours),
            None => Err(SessionRefusal::Unknown),
        }
    }

    /// Forgets a closed session and cancels the calls still running in it.
    pub fn forget(&self, session: &str) {
        if let Some(closed) = self.owners.remove(session) {
            closed.gone.cancel();
        }
    }
}

/// The `/mcp` middleware; runs after the identity middleware, which put the [`UserId`] in.
pub async fn bind_sessions(
    State(owners): State<Arc<SessionOwners>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(user) = request.extensions().get::<UserId>().cloned() else {
        return super::json_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "no verified user on this request",
        )
        .into_response();
    };
    let presented = request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let deleting = request.method() == Method::DELETE;
    if let Some(session) = &presented {
        match owners.check(session, &user) {
            Err(refusal) => {
                tracing::warn!(user = %user, ?refusal, "refused a session id");
                return refusal.into_response();
            }
            Ok(gone) => {
                request.extensions_mut().insert(gone);
            }
        }
        if deleting {
            owners.forget(session);
        }
    }
    // Only a POST without a session id can open one (`initialize`).
    let reserved = if presented.is_none() && request.method() == Method::POST && !owners.stateless {
        match owners.reserve(&user) {
            Ok(slot) => Some(slot),
            Err(limit) => {
                tracing::warn!(user = %user, reason = %limit, "refused a new session");
                return limit.into_response();
            }
        }
    } else {
        None
    };
    let listening = match listen_slot(&owners, &request, &user) {
        Ok(slot) => slot,
        Err(limit) => {
            tracing::info!(user = %user, reason = %limit, "refused a subscriptions/listen stream");
            return limit.into_response();
        }
    };
    let mut response = next.run(request).await;
    // rmcp answers a deleted session 202 Accepted; the session is gone at once, and
    // the Python SDK takes only 200 or 204 as done (it logs anything else as a failed
    // termination), so say 204 No Content.
    if deleting && response.status() == StatusCode::ACCEPTED {
        *response.status_mut() = StatusCode::NO_CONTENT;
        *response.body_mut() = axum::body::Body::empty();
    }
    if presented.is_none()
        && let Some(opened) = response
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
    {
        owners.bind(opened, &user);
    }
    drop(reserved);
    match listening {
        // The stream keeps its slot until its last byte is sent (or it is dropped).
        Some(slot) => hold_until_sent(response, slot),
        None => response,
    }
}

/// The session slot a `subscriptions/listen` stream holds, if `request` opens one.
fn listen_slot(
    owners: &SessionOwners,
    request: &Request,
    user: &UserId,
) -> Result<Option<SessionSlot>, SessionLimit> {
    let listens = request
        .extensions()
        .get::<Asked>()
        .is_some_and(|asked| asked.listen);
    if listens {
        owners.reserve(user).map(Some)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_opener_may_use_a_session() {
        let owners = SessionOwners::new(Duration::from_secs(60), SessionSlots::new(4, 4), false);
        let ann = UserId::new("ann");
        let bob = UserId::new("bob");
        owners.bind("s1", &ann);
        assert!(owners.check("s1", &ann).is_ok());
        assert_eq!(
            owners.check("s1", &bob).err(),
            Some(SessionRefusal::NotYours)
        );
        assert_eq!(
            owners.check("s2", &ann).err(),
            Some(SessionRefusal::Unknown)
        );
        owners.forget("s1");
        assert_eq!(
            owners.check("s1", &ann).err(),
            Some(SessionRefusal::Unknown)
        );
    }

    #[test]
    fn forgetting_a_session_cancels_its_calls() {
        let owners = SessionOwners::new(Duration::from_secs(60), SessionSlots::new(4, 4), false);
        let ann = UserId::new("ann");
        owners.bind("s1", &ann);
        let gone = owners.check("s1", &ann).unwrap();
        assert!(!gone.is_cancelled());
        owners.forget("s1");
        assert!(gone.is_cancelled());
    }
}
