//! An authenticating reverse proxy on loopback, as a team puts in front of the gateway:
//! whoever reaches the gateway through it is the person it has signed in (here, the
//! one the test names), named in `Arcade-User-Id` beside the shared secret. What the client sent
//! in those headers is dropped, and redirects are passed back, not followed.

use axum::extract::{Request, State};
use axum::response::Response;

use super::{loopback_listener, serve};

/// The running proxy.
pub struct AuthProxy {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

#[derive(Clone)]
struct Forwarding {
    upstream: String,
    secret: String,
    person: String,
    http: reqwest::Client,
}

impl AuthProxy {
    /// Starts forwarding to `upstream` (a base URL) for `person`, proving itself with
    /// `secret`.
    pub async fn start(upstream: &str, secret: &str, person: &str) -> Self {
        let forwarding = Forwarding {
            upstream: upstream.to_owned(),
            secret: secret.to_owned(),
            person: person.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        let (listener, addr) = loopback_listener().await;
        serve(
            listener,
            axum::Router::new().fallback(forward).with_state(forwarding),
        );
        Self {
            base: format!("http://{addr}"),
        }
    }
}

/// Forwards one request, path and query, with the proxy's identity headers.
async fn forward(State(proxy): State<Forwarding>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let target = format!(
        "{}{}",
        proxy.upstream,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut forward = proxy.http.request(parts.method, target).body(body);
    for (name, value) in &parts.headers {
        if !matches!(
            name.as_str(),
            "host" | "arcade-user-id" | "x-gateway-proxy-secret"
        ) {
            forward = forward.header(name, value);
        }
    }
    let answer = forward
        .header("arcade-user-id", &proxy.person)
        .header("x-gateway-proxy-secret", &proxy.secret)
        .send()
        .await
        .unwrap();
    super::relay(answer).await
}
