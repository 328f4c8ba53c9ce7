//! How many sessions may be open: each one (Streamable HTTP or legacy SSE) holds memory
//! until it is closed or expires, so without a bound one user opening sessions in a loop
//! would exhaust the server. A `subscriptions/listen` stream holds a connection for as
//! long as it lasts, so it counts as a session too. Each holds a [`SessionSlot`] for as
//! long as it lives; a server over `--max-sessions` is answered 503, a user over
//! `--max-sessions-per-user` 429, each saying what to do.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;

use crate::identity::UserId;

/// The counts of open sessions, per user and in all.
pub struct SessionSlots {
    per_user: usize,
    total: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_user: HashMap<UserId, usize>,
}

/// One open session's place in the counts, given back when dropped.
pub struct SessionSlot {
    slots: Arc<SessionSlots>,
    user: UserId,
}

/// Why a session may not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionLimit {
    /// The user already has as many sessions as one user may.
    #[error(
        "this user already has {limit} open sessions and listen streams, the most one user \
         may have (--max-sessions-per-user); close one (DELETE /mcp with its Mcp-Session-Id, \
         cancel a subscriptions/listen, or close the legacy SSE stream) or wait until an \
         unused one expires (--idle-timeout), then open a new one"
    )]
    PerUser {
        /// `--max-sessions-per-user`.
        limit: usize,
    },
    /// The server has as many sessions open as it may.
    #[error(
        "the server has {limit} open sessions and listen streams, the most it allows \
         (--max-sessions); try again later, or ask the operator to raise --max-sessions"
    )]
    Total {
        /// `--max-sessions`.
        limit: usize,
    },
}

impl IntoResponse for SessionLimit {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            Self::PerUser { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_sessions"),
            Self::Total { .. } => (StatusCode::SERVICE_UNAVAILABLE, "server_full"),
        };
        let mut response = super::json_error(status, code, &self.to_string());
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("5"));
        response
    }
}

impl SessionSlots {
    /// Counts allowing `per_user` sessions a user and `total` in all.
    pub fn new(per_user: usize, total: usize) -> Arc<Self> {
        Arc::new(Self {
            per_user,
            total,
            open: Mutex::new(Open::default()),
        })
    }

    /// A slot for one more session of `user`, who has `also_mine` sessions counted
    /// elsewhere among `also_open`; or why there is none.
    pub fn take(
        self: &Arc<Self>,
        user: &UserId,
        also_mine: usize,
        also_open: usize,
    ) -> Result<SessionSlot, SessionLimit> {
        let mut open = self.open.lock();
        if open.total + also_open >= self.total {
            return Err(SessionLimit::Total { limit: self.total });
        }
        let mine = open.by_user.get(user).copied().unwrap_or(0) + also_mine;
        if mine >= self.per_user {
            return Err(SessionLimit::PerUser {
                limit: self.per_user,
            });
        }
        open.total += 1;
        *open.by_user.entry(user.clone()).or_default() += 1;
        Ok(SessionSlot {
            slots: Arc::clone(self),
            user: user.clone(),
        })
    }
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(mine) = open.by_user.get_mut(&self.user) {
            *mine -= 1;
            if *mine == 0 {
                open.by_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_per_user_and_in_all_and_come_back() {
        let slots = SessionSlots::new(2, 3);
        let (ann, bob) = (UserId::new("ann"), UserId::new("bob"));
        let first = slots.take(&ann, 0, 0).unwrap();
        let _second = slots.take(&ann, 0, 0).unwrap();
        assert_eq!(
            slots.take(&ann, 0, 0).err(),
            Some(SessionLimit::PerUser { limit: 2 })
        );
        let _bob = slots.take(&bob, 0, 0).unwrap();
        assert_eq!(
            slots.take(&bob, 0, 0).err(),
            Some(SessionLimit::Total { limit: 3 })
        );
        drop(first);
        assert!(slots.take(&ann, 0, 0).is_ok());
        assert_eq!(
            slots.take(&ann, 1, 0).err(),
            Some(SessionLimit::PerUser { limit: 2 }),
            "sessions counted elsewhere count too"
        );
        assert_eq!(
            slots.take(&ann, 0, 1).err(),
            Some(SessionLimit::Total { limit: 3 }),
            "a full server says so first, whoever asks"
        );
        assert!(slots.open.lock().by_user.len() <= 2);
    }
}
