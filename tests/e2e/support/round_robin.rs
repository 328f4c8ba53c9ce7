//! A plain round-robin HTTP proxy on loopback, as a load balancer without session
//! affinity: each request goes to the next upstream in turn.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Request, State};
use axum::response::Response;

use super::{loopback_listener, serve};

/// The running proxy.
pub struct RoundRobin {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    forwarded: Arc<AtomicUsize>,
}

impl RoundRobin {
    /// Starts forwarding to `upstreams` (base URLs) in turn.
    pub async fn start(upstreams: Vec<String>) -> Self {
        let forwarded = Arc::new(AtomicUsize::new(0));
        let proxy = axum::Router::new()
            .fallback(forward)
            .with_state((Arc::new(upstreams), forwarded.clone()));
        let (listener, addr) = loopback_listener().await;
        serve(listener, proxy);
        Self {
            base: format!("http://{addr}"),
            forwarded,
        }
    }

    /// How many requests were forwarded.
    pub fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

/// Forwards one request to the next upstream and its whole answer back.
async fn forward(
    State((upstreams, next)): State<(Arc<Vec<String>>, Arc<AtomicUsize>)>,
    request: Request,
) -> Response {
    let upstream = &upstreams[next.fetch_add(1, Ordering::SeqCst) % upstreams.len()];
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut forward = reqwest::Client::new()
        .request(parts.method, format!("{upstream}{}", parts.uri.path()))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" {
            forward = forward.header(name, value);
        }
    }
    let answer = forward.send().await.unwrap();
    super::relay(answer).await
}
