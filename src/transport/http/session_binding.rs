//! A stateful session belongs to the user who opened it: a request that presents someone
//! else's session id is refused (403), whatever the id.
//!
//! For `/mcp` the middleware learns the owner from the `Mcp-Session-Id` header of the
//! `initialize` answer and checks it on every later request; the legacy SSE transport
//! keeps the owner with its session and uses [`SessionOwners`] the same way.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::identity::UserId;

/// The header rmcp's Streamable HTTP service names sessions with.
const SESSION_HEADER: &str = "mcp-session-id";

/// Who opened each live session. Entries idle longer than the session idle timeout are
/// forgotten (the session behind them has been closed by then), so the table stays small.
#[derive(Clone)]
pub struct SessionOwners {
    owners: moka::sync::Cache<String, UserId>,
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
    /// An empty table whose entries live as long as an idle session does.
    pub fn new(idle_timeout: Duration) -> Self {
        Self {
            owners: moka::sync::Cache::builder()
                .time_to_idle(idle_timeout)
                .build(),
        }
    }

    /// Records that `user` opened `session`.
    pub fn bind(&self, session: &str, user: &UserId) {
        self.owners.insert(session.to_owned(), user.clone());
    }

    /// Whether `user` may use `session`.
    pub fn check(&self, session: &str, user: &UserId) -> Result<(), SessionRefusal> {
        match self.owners.get(session) {
            Some(owner) if owner == *user => Ok(()),
            Some(_) => Err(SessionRefusal::NotYours),
            None => Err(SessionRefusal::Unknown),
        }
    }

    /// Forgets a closed session.
    pub fn forget(&self, session: &str) {
        self.owners.invalidate(session);
    }
}

/// The `/mcp` middleware; runs after the identity middleware, which put the [`UserId`] in.
pub async fn bind_sessions(
    State(owners): State<Arc<SessionOwners>>,
    request: Request,
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
    if let Some(session) = &presented {
        if let Err(refusal) = owners.check(session, &user) {
            tracing::warn!(user = %user, ?refusal, "refused a session id");
            return refusal.into_response();
        }
        if request.method() == Method::DELETE {
            owners.forget(session);
        }
    }
    let response = next.run(request).await;
    if presented.is_none()
        && let Some(opened) = response
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
    {
        owners.bind(opened, &user);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_opener_may_use_a_session() {
        let owners = SessionOwners::new(Duration::from_secs(60));
        let ann = UserId::new("ann");
        let bob = UserId::new("bob");
        owners.bind("s1", &ann);
        assert_eq!(owners.check("s1", &ann), Ok(()));
        assert_eq!(owners.check("s1", &bob), Err(SessionRefusal::NotYours));
        assert_eq!(owners.check("s2", &ann), Err(SessionRefusal::Unknown));
        owners.forget("s1");
        assert_eq!(owners.check("s1", &ann), Err(SessionRefusal::Unknown));
    }
}
