//! The calls of one legacy SSE session: each request POSTed to `/messages` keeps its
//! guards (call slot, place among the requests in flight) until its answer goes out on
//! the stream, and a session with no call running and no message for `--idle-timeout`
//! is closed.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rmcp::model::{ClientJsonRpcMessage, ClientNotification, RequestId, ServerJsonRpcMessage};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use fair_accept::Guard;

/// A request came with the id of a request of the same session still unanswered.
#[derive(Debug, thiserror::Error)]
#[error(
    "request id {0} is already in use by a request of this session still waiting for its \
     answer; give every request a new id"
)]
pub(super) struct IdInUse(pub(super) RequestId);

/// The requests of one session still waiting for their answer, each with its guards,
/// and when the session was last used.
pub(super) struct Calls {
    pending: Mutex<HashMap<RequestId, Vec<Guard>>>,
    last_used: Mutex<Instant>,
}

impl Calls {
    pub(super) fn new() -> Self {
        Self {
            pending: Mutex::new(HashMap::new()),
            last_used: Mutex::new(Instant::now()),
        }
    }

    fn touch(&self) {
        *self.last_used.lock() = Instant::now();
    }

    /// A message came from the client: a request keeps `guards` until it is answered;
    /// a cancellation lets the cancelled request's go (rmcp sends no answer to it). A
    /// request reusing the id of one still unanswered is refused: taking its place would
    /// drop the guards (the call slot) of the request still running.
    pub(super) fn received(
        &self,
        message: &ClientJsonRpcMessage,
        guards: Vec<Guard>,
    ) -> Result<(), IdInUse> {
        self.touch();
        match message {
            ClientJsonRpcMessage::Request(request) => {
                match self.pending.lock().entry(request.id.clone()) {
                    Entry::Occupied(_) => return Err(IdInUse(request.id.clone())),
                    Entry::Vacant(free) => {
                        free.insert(guards);
                    }
                }
            }
            ClientJsonRpcMessage::Notification(notification) => {
                if let ClientNotification::CancelledNotification(cancelled) =
                    &notification.notification
                    && let Some(id) = &cancelled.params.request_id
                {
                    self.pending.lock().remove(id);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A message goes out to the client: an answer lets its request's guards go.
    pub(super) fn sending(&self, message: &ServerJsonRpcMessage) {
        self.touch();
        let answered = match message {
            ServerJsonRpcMessage::Response(response) => Some(&response.id),
            ServerJsonRpcMessage::Error(error) => error.id.as_ref(),
            _ => None,
        };
        if let Some(id) = answered {
            self.pending.lock().remove(id);
        }
    }

    /// How long the session has been unused; `None` while a call runs.
    fn idle_for(&self) -> Option<Duration> {
        if !self.pending.lock().is_empty() {
            return None;
        }
        Some(self.last_used.lock().elapsed())
    }
}

/// Ends the session (`session` cancelled) once it has been idle for `limit`.
pub(super) async fn close_when_idle(
    calls: Arc<Calls>,
    limit: Duration,
    session: CancellationToken,
) {
    loop {
        let wait = match calls.idle_for() {
            Some(idle) if idle >= limit => break,
            Some(idle) => limit - idle,
            None => limit,
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = session.cancelled() => return,
        }
    }
    tracing::info!(
        idle_s = limit.as_secs(),
        "closing a legacy SSE session idle for --idle-timeout"
    );
    session.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from_client(message: serde_json::Value) -> ClientJsonRpcMessage {
        serde_json::from_value(message).unwrap()
    }

    fn guard(released: &Arc<std::sync::atomic::AtomicBool>) -> Vec<Guard> {
        struct Flag(Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        vec![Box::new(Flag(released.clone()))]
    }

    #[test]
    fn a_request_holds_its_guards_until_answered_or_cancelled() {
        let calls = Calls::new();
        let released = |flag: &Arc<std::sync::atomic::AtomicBool>| {
            flag.load(std::sync::atomic::Ordering::SeqCst)
        };
        let (answered, cancelled) = (Arc::default(), Arc::default());
        let call = |id: u32| {
            from_client(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": "Math_Add"}}))
        };
        calls.received(&call(1), guard(&answered)).unwrap();
        calls.received(&call(2), guard(&cancelled)).unwrap();
        assert!(
            calls.received(&call(2), Vec::new()).is_err(),
            "id 2 is in use"
        );
        assert!(!released(&cancelled), "the refused twin took nothing away");
        assert_eq!(calls.idle_for(), None, "calls are running");

        let answer: ServerJsonRpcMessage =
            serde_json::from_value(json!({"jsonrpc": "2.0", "id": 1, "result": {"content": []}}))
                .unwrap();
        calls.sending(&answer);
        assert!(released(&answered) && !released(&cancelled));

        let cancel = from_client(
            json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 2}}),
        );
        calls.received(&cancel, Vec::new()).unwrap();
        assert!(released(&cancelled));
        assert!(calls.idle_for().is_some(), "nothing runs any more");
    }
}
