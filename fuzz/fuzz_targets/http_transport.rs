//! HTTP request bodies and headers → the HTTP transport.
//!
//! The input reads like an HTTP request: a first line `METHOD PATH` (prefixed with
//! `stateless ` to hit the `--stateless` server), header lines `name: value`, an empty
//! line, the body. It is sent in-process (tower's `oneshot`) to the real router of
//! `serve --transport http` ([`app`]), backed by the in-process emulator. Every request
//! must get an answer in time and nothing may panic; a streamed answer may stay open
//! (an SSE stream does), so only its first 200 ms are read.

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use arcade_mcp_gateway::config::TransportConfig;
use arcade_mcp_gateway::gateway::Caller;
use arcade_mcp_gateway::startup::Serving;
use arcade_mcp_gateway::transport::http::{HttpSettings, Readiness, app};
use axum::Router;
use axum::body::Body;
use http::{HeaderName, HeaderValue, Method, Request};
use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;
use tower::ServiceExt;

/// How long the router may take to produce the answer's head.
const LIMIT: Duration = Duration::from_secs(10);

struct Fixture {
    runtime: Runtime,
    stateful: Router,
    stateless: Router,
    _serving: Serving,
}

/// The checked HTTP settings of `serve --emulator --transport http` with `extra` flags.
fn http_settings(extra: &[&str]) -> HttpSettings {
    let http = [
        "--transport",
        "http",
        "--bind",
        "127.0.0.1:0",
        "--idle-timeout",
        "5",
        "--http-timeout",
        "5",
        "--calls-per-minute",
        "1000000",
    ];
    let flags: Vec<&str> = http.iter().chain(extra).copied().collect();
    match arcade_mcp_gateway_fuzz::serve_config(&flags).transport {
        TransportConfig::Http(settings) => *settings,
        TransportConfig::Stdio { .. } => unreachable!("--transport http"),
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = arcade_mcp_gateway_fuzz::runtime();
        let config = arcade_mcp_gateway_fuzz::serve_config(&["--transport", "http"]);
        let (serving, stateful, stateless) = runtime.block_on(async {
            let serving = Serving::new(&config).await.expect("serving");
            let readiness = || {
                let tools = serving.prepared.catalog.current().len();
                Readiness::new(serving.prepared.arcade.clone(), tools)
            };
            let gateway = serving.gateway(Caller::FromTransport);
            let shared = || serving.shared_state().clone();
            let (stateful, _) = app(gateway.clone(), readiness(), shared(), &http_settings(&[]))
                .await
                .expect("stateful app");
            let (stateless, _) = app(
                gateway,
                readiness(),
                shared(),
                &http_settings(&["--stateless"]),
            )
            .await
            .expect("stateless app");
            (serving, stateful, stateless)
        });
        Fixture {
            runtime,
            stateful,
            stateless,
            _serving: serving,
        }
    })
}

/// The request the input describes, and whether it goes to the stateless server.
fn request(data: &[u8]) -> Option<(bool, Request<Body>)> {
    let head_end = data
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or(data.len());
    let body = data.get(head_end + 2..).unwrap_or_default().to_vec();
    let head = String::from_utf8_lossy(&data[..head_end]);
    let mut lines = head.lines();
    let first = lines.next()?;
    let (stateless, first) = match first.strip_prefix("stateless ") {
        Some(rest) => (true, rest),
        None => (false, first),
    };
    let (method, path) = first.split_once(' ')?;
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).ok()?)
        .uri(path);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) {
            builder = builder.header(name, value);
        }
    }
    Some((stateless, builder.body(Body::from(body)).ok()?))
}

fuzz_target!(|data: &[u8]| {
    let Some((stateless, request)) = request(data) else {
        return;
    };
    let fixture = fixture();
    let router = if stateless {
        fixture.stateless.clone()
    } else {
        fixture.stateful.clone()
    };
    fixture.runtime.block_on(async move {
        let response = tokio::time::timeout(LIMIT, router.oneshot(request))
            .await
            .expect("the router answers in time")
            .expect("the router is infallible");
        let body = response.into_body();
        let _ = tokio::time::timeout(
            Duration::from_millis(200),
            axum::body::to_bytes(body, 16 * 1024 * 1024),
        )
        .await;
    });
});
