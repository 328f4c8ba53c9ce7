//! Helpers shared by the identity tests: credentials in headers, token files, a loopback
//! HTTP server, and a stand-in authorization server (`auth_server`).

pub mod auth_proxy;
pub mod auth_server;
pub mod chromium;
pub mod hostile_redis;
pub mod otlp;
pub mod redis_server;
pub mod round_robin;

use std::net::SocketAddr;
use std::path::Path;

use arcade_mcp_gateway::identity::hash_token;
use axum::Router;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use tokio::net::TcpListener;

/// Headers holding `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> HeaderMap {
    with_header(HeaderMap::new(), AUTHORIZATION, &format!("Bearer {token}"))
}

/// `headers` plus one more header.
pub fn with_header(mut headers: HeaderMap, name: HeaderName, value: &str) -> HeaderMap {
    headers.append(name, HeaderValue::from_str(value).unwrap());
    headers
}

/// Writes a token file granting each `(token, user)`, in the documented format.
pub fn write_token_file(path: &Path, grants: &[(&str, &str)]) {
    let mut text = String::from("# test tokens\n");
    for (token, user) in grants {
        text.push_str(&format!("sha256:{} {user}\n", hash_token(token)));
    }
    std::fs::write(path, text).unwrap();
}

/// A listener on a free loopback port.
pub async fn loopback_listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Serves `app` on `listener` until the test's runtime ends.
pub fn serve(listener: TcpListener, app: Router) {
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
}
