//! The legacy HTTP+SSE transport (protocol 2024-11-05), for clients that still speak it:
//! `GET /sse` opens an event stream whose first `endpoint` event names
//! `/messages?sessionId=…`, where the client `POST`s its JSON-RPC messages; answers come
//! back on the stream.
//!
//! rmcp no longer ships this server transport, so each connection is bridged onto rmcp's
//! transport traits: a pair of channels (the inbox fed by `/messages`, the outbox read by
//! the stream) served by the [`Gateway`] like any other transport. The protocol itself
//! stays rmcp's.
//!
//! A session belongs to the user who opened the stream; `/messages` from anyone else is
//! refused, as on `/mcp`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt, stream};
use parking_lot::Mutex;
use rmcp::ServiceExt;
use rmcp::model::{ClientJsonRpcMessage, GetExtensions, ServerJsonRpcMessage};
use tokio_util::sync::CancellationToken;

mod calls;

use calls::{Calls, close_when_idle};

use super::session_binding::SessionOwners;
use super::session_binding::SessionRefusal;
use super::session_limits::SessionSlot;
use crate::gateway::{Caller, Gateway};
use crate::identity::UserId;
use fair_accept::UntilAnswered;

/// Messages a session may have queued in either direction before the sender waits: a slow
/// client slows only its own session.
const QUEUE: usize = 32;

/// The open legacy sessions.
pub struct LegacySse {
    gateway: Gateway,
    sessions: Mutex<HashMap<String, Session>>,
    close: CancellationToken,
    idle_timeout: Duration,
    sessions_open: Arc<SessionOwners>,
}

struct Session {
    user: UserId,
    inbox: mpsc::Sender<ClientJsonRpcMessage>,
    calls: Arc<Calls>,
}

/// Removes a session from the table when its event stream ends (client gone, idle, or
/// shutdown), which drops the inbox and ends the rmcp service behind it.
struct SessionGuard {
    sse: Arc<LegacySse>,
    id: String,
    session: CancellationToken,
    _slot: SessionSlot,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.session.cancel();
        self.sse.sessions.lock().remove(&self.id);
        tracing::debug!(session = %self.id, "legacy SSE session closed");
    }
}

/// Which session a `POST /messages` is for.
#[derive(Debug, serde::Deserialize)]
pub struct Target {
    #[serde(rename = "sessionId")]
    session_id: String,
}

impl LegacySse {
    /// Serves `gateway` to legacy clients until `close` is cancelled, closing sessions
    /// idle for `idle_timeout`; each open stream holds a session slot of `sessions_open`.
    pub fn new(
        gateway: Gateway,
        close: CancellationToken,
        idle_timeout: Duration,
        sessions_open: Arc<SessionOwners>,
    ) -> Self {
        Self {
            gateway,
            sessions: Mutex::new(HashMap::new()),
            close,
            idle_timeout,
            sessions_open,
        }
    }

    /// The inbox and calls of `id`, if `user` owns it.
    fn session(
        &self,
        id: &str,
        user: &UserId,
    ) -> Result<(mpsc::Sender<ClientJsonRpcMessage>, Arc<Calls>), SessionRefusal> {
        match self.sessions.lock().get(id) {
            None => Err(SessionRefusal::Unknown),
            Some(session) if session.user != *user => Err(SessionRefusal::NotYours),
            Some(session) => Ok((session.inbox.clone(), Arc::clone(&session.calls))),
        }
    }
}

/// `GET /sse`: opens a session for the calling user and streams its messages.
pub async fn open(
    State(sse): State<Arc<LegacySse>>,
    Extension(user): Extension<UserId>,
) -> Response {
    let slot = match sse.sessions_open.reserve(&user) {
        Ok(slot) => slot,
        Err(limit) => {
            tracing::warn!(user = %user, reason = %limit, "refused a new legacy SSE session");
            return limit.into_response();
        }
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (inbox, from_client) = mpsc::channel::<ClientJsonRpcMessage>(QUEUE);
    let (to_client, outbox) = mpsc::channel::<ServerJsonRpcMessage>(QUEUE);
    let calls = Arc::new(Calls::new());
    sse.sessions.lock().insert(
        id.clone(),
        Session {
            user: user.clone(),
            inbox,
            calls: Arc::clone(&calls),
        },
    );
    tracing::debug!(session = %id, user = %user, "legacy SSE session opened");
    let gateway = sse.gateway.clone().with_caller(Caller::Fixed(user));
    let session = sse.close.child_token();
    let ct = session.clone();
    tokio::spawn(async move {
        match gateway.serve_with_ct((to_client, from_client), ct).await {
            Ok(running) => {
                let _ = running.waiting().await;
            }
            Err(error) => tracing::info!(%error, "legacy SSE session ended before initialize"),
        }
    });
    tokio::spawn(close_when_idle(
        Arc::clone(&calls),
        sse.idle_timeout,
        session.clone(),
    ));
    let guard = SessionGuard {
        sse: Arc::clone(&sse),
        id: id.clone(),
        session: session.clone(),
        _slot: slot,
    };
    let endpoint = Event::default()
        .event("endpoint")
        .data(format!("/messages?sessionId={id}"));
    let answers = outbox.map(move |message| {
        calls.sending(&message);
        Event::default().event("message").json_data(message)
    });
    let events = stream::once(async move { Ok(endpoint) })
        .chain(answers)
        .map(move |event| {
            let _open = &guard;
            event
        })
        .take_until(session.cancelled_owned());
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `POST /messages?sessionId=…`: hands one JSON-RPC message to its session; the answer
/// goes out on the session's event stream, and a request keeps its guards until then.
pub async fn message(
    State(sse): State<Arc<LegacySse>>,
    Extension(user): Extension<UserId>,
    until_answered: Option<Extension<UntilAnswered>>,
    Query(target): Query<Target>,
    head: http::request::Parts,
    body: Bytes,
) -> Response {
    let mut message: ClientJsonRpcMessage = match serde_json::from_slice(&body) {
        Ok(message) => message,
        Err(error) => {
            return super::json_error(
                StatusCode::BAD_REQUEST,
                "invalid_message",
                &format!(
                    "the body is not a JSON-RPC message ({error}); send one MCP message as JSON"
                ),
            )
            .into_response();
        }
    };
    let (mut inbox, calls) = match sse.session(&target.session_id, &user) {
        Ok(session) => session,
        Err(refusal) => {
            tracing::warn!(user = %user, ?refusal, "refused a legacy SSE message");
            return refusal.into_response();
        }
    };
    let guards = until_answered
        .map(|Extension(held)| held.take())
        .unwrap_or_default();
    if let Err(in_use) = calls.received(&message, guards) {
        tracing::info!(user = %user, "refused a legacy SSE request reusing a pending id");
        let error = serde_json::json!({"jsonrpc": "2.0", "id": in_use.0, "error": {
            "code": rmcp::model::ErrorCode::INVALID_REQUEST.0, "message": in_use.to_string()}});
        return (StatusCode::CONFLICT, axum::Json(error)).into_response();
    }
    with_request_head(&mut message, head);
    match inbox.send(message).await {
        Ok(()) => (StatusCode::ACCEPTED, "Accepted").into_response(),
        Err(_) => SessionRefusal::Unknown.into_response(),
    }
}

/// Hands a request the head of the POST that carried it (its headers: a `traceparent`,
/// say), as rmcp's Streamable HTTP service does; not the POST's extensions, whose
/// guards [`Calls`] holds until the answer is sent.
fn with_request_head(message: &mut ClientJsonRpcMessage, mut head: http::request::Parts) {
    if let ClientJsonRpcMessage::Request(request) = message {
        head.extensions = http::Extensions::new();
        request.request.extensions_mut().insert(head);
    }
}
