//! What must live until a request has been answered: the gateway's per-user call slots
//! and its shutdown's count of requests in flight, and here the connection's own count
//! of requests in flight.
//!
//! On `/mcp` the answer is the HTTP response (perhaps a stream), so a guard lives until
//! the response body has been sent. A legacy `/messages` POST is answered `202` at once
//! and for real later, on the session's SSE stream: its handler [`take`](UntilAnswered::take)s
//! the guards from the request and keeps them with the pending call until that answer
//! goes out (the gateway's legacy SSE transport).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::Extensions;
use axum::response::Response;
use parking_lot::Mutex;

/// Something held for as long as a request is unanswered (dropped to release it).
pub type Guard = Box<dyn Send>;

/// The guards of one request, in its extensions: shared by the middlewares that added
/// them and the handler that may take them.
#[derive(Clone, Default)]
pub struct UntilAnswered(Arc<Mutex<Vec<Guard>>>);

impl UntilAnswered {
    /// Adds `guard` to the guards of the request whose `extensions` these are. The
    /// returned [`Release`] lets go of every guard still there when it is dropped.
    pub fn hold(extensions: &mut Extensions, guard: impl Send + 'static) -> Release {
        let held = extensions.get_or_insert_default::<Self>().clone();
        held.0.lock().push(Box::new(guard));
        Release(held)
    }

    /// Takes the request's guards, to keep until its answer goes out another way.
    pub fn take(&self) -> Vec<Guard> {
        std::mem::take(&mut *self.0.lock())
    }
}

/// Lets go of the guards a request still holds when dropped (whoever else keeps a clone
/// of the request's extensions).
pub struct Release(UntilAnswered);

impl Drop for Release {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

/// Keeps `guard` alive until `response`'s body has been sent or dropped: a streamed
/// answer (SSE) is still in flight after its headers are out.
pub fn hold_until_sent<G: Send + Unpin + 'static>(response: Response, guard: G) -> Response {
    let (parts, body) = response.into_parts();
    Response::from_parts(
        parts,
        Body::new(Holding {
            body,
            _guard: guard,
        }),
    )
}

/// A body that hands on its inner body's frames as they are (no conversion to a stream
/// of chunks and back, which costs every frame of every answer) and keeps a guard.
struct Holding<G> {
    body: Body,
    _guard: G,
}

impl<G: Unpin> http_body::Body for Holding<G> {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts itself out when dropped.
    struct Slot(Arc<std::sync::atomic::AtomicUsize>);

    impl Drop for Slot {
        fn drop(&mut self) {
            self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn guards_go_with_the_release_unless_taken() {
        let held = Arc::new(std::sync::atomic::AtomicUsize::new(2));
        let count = || held.load(std::sync::atomic::Ordering::SeqCst);
        let mut extensions = Extensions::new();
        let outer = UntilAnswered::hold(&mut extensions, Slot(held.clone()));
        let inner = UntilAnswered::hold(&mut extensions, Slot(held.clone()));
        let kept_by_the_handler = extensions.get::<UntilAnswered>().unwrap().take();
        drop((outer, inner));
        assert_eq!(count(), 2, "taken guards outlive the response");
        drop(kept_by_the_handler);
        assert_eq!(count(), 0);

        let release = UntilAnswered::hold(&mut extensions, Slot(held.clone()));
        held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let _clone_kept_elsewhere = extensions.clone();
        drop(release);
        assert_eq!(count(), 0, "released even while the extensions live on");
    }
}
