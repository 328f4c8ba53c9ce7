//! OpenTelemetry traces: the real gateway over HTTP exports to an OTLP/HTTP receiver
//! inside the test. One authorized call, its parent taken from an incoming
//! `traceparent` (a header, or the request's `_meta`), is one server span with a
//! client span per Arcade request, and the emulator sees the trace go on in the W3C
//! header of the execute. A collector that never answers costs a call nothing.

use std::time::{Duration, Instant};

use arcade_mcp_gateway::emulator::Emulator;
use rmcp::model::{CallToolRequestParams, JsonObject, RequestMetaObject};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::support::http::{
    ANN_TOKEN, BOB_TOKEN, HttpGateway, McpClient, bearer, headers, token_gateway,
};
use crate::support::otlp::{CLIENT, Receiver, SERVER, Span};
use crate::support::{API_KEY, approve, authorization_url, start_emulator, text};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";
const TRACESTATE: &str = "vendor=abc123";
/// An argument value that must never reach a span.
const BODY: &str = "BODY_ARGUMENT_must_not_be_traced_3c8e1f";

fn traceparent(trace_id: &str, parent_id: &str) -> String {
    format!("00-{trace_id}-{parent_id}-01")
}

fn send_email() -> Value {
    json!({"recipient": "carol@example.com", "subject": "Quarterly", "body": BODY})
}

/// The variables of a gateway exporting to `receiver` in `protocol`, quickly.
fn otel_env<'a>(endpoint: &'a str, protocol: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_SERVICE_NAME", "gateway-under-test"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ]
}

/// The server span of the `tools/call` of `tool` in the trace `trace_id`, and the
/// client span of its execute.
fn call_spans(spans: &[Span], trace_id: &str, tool: &str) -> Option<(Span, Span)> {
    let name = format!("tools/call {tool}");
    let server = spans
        .iter()
        .find(|s| s.trace_id == trace_id && s.name == name)?;
    let execute = spans
        .iter()
        .find(|s| s.parent_span_id == server.span_id && s.name == "POST /v1/tools/execute")?;
    Some((server.clone(), execute.clone()))
}

/// Every span received once the `Mail_SendEmail` call of the trace `trace_id` is in,
/// with that call's server and execute spans.
async fn sent_email_spans(receiver: &Receiver, trace_id: &str) -> (Vec<Span>, Span, Span) {
    let spans = receiver
        .spans_once("the traced call's spans", |spans| {
            call_spans(spans, trace_id, "Mail_SendEmail").is_some()
        })
        .await;
    let (server, execute) = call_spans(&spans, trace_id, "Mail_SendEmail").unwrap();
    (spans, server, execute)
}

/// What `enduser.id` must be for `user`: a digest, never the id.
fn hashed(user: &str) -> String {
    hex::encode(&Sha256::digest(user.as_bytes())[..16])
}

/// Nothing secret, and no argument, in any attribute of any span.
fn assert_nothing_secret(spans: &[Span]) {
    let secrets = [
        API_KEY,
        ANN_TOKEN,
        BOB_TOKEN,
        BODY,
        "carol@example.com",
        "ann@example.com",
    ];
    for span in spans {
        for (key, value) in &span.attributes {
            for secret in secrets {
                assert!(
                    !value.contains(secret),
                    "span {} attribute {key} holds {secret:?}",
                    span.name
                );
            }
        }
    }
}

/// Ann's grant for `Mail_SendEmail`, approved through a client that sends no trace.
async fn grant_send_email(url: &str) {
    let ann = bearer(ANN_TOKEN);
    let plain = McpClient::connect(url, &headers(&ann)).await;
    let first = plain.call("Mail_SendEmail", send_email()).await;
    approve(&authorization_url(&first)).await;
}

/// An emulator, a receiver, and a gateway exporting to it in `protocol`, where ann has
/// granted `Mail_SendEmail`.
async fn granted_gateway(protocol: &str) -> (Emulator, Receiver, HttpGateway, TempDir) {
    let emulator = start_emulator().await;
    let receiver = Receiver::start().await;
    let env = otel_env(&receiver.endpoint, protocol);
    let (gateway, dir) = token_gateway(&emulator.base_url(), &[], &env).await;
    grant_send_email(&gateway.mcp_url()).await;
    (emulator, receiver, gateway, dir)
}

#[tokio::test]
async fn an_authorized_call_continues_the_callers_trace_to_arcade() {
    let (emulator, receiver, gateway, _dir) = granted_gateway("http/protobuf").await;

    let mut traced = bearer(ANN_TOKEN).to_vec();
    traced.push(("traceparent", traceparent(TRACE_ID, PARENT_ID)));
    traced.push(("tracestate", TRACESTATE.to_owned()));
    let client = McpClient::connect(&gateway.mcp_url(), &headers(&traced)).await;
    let sent = client.call("Mail_SendEmail", send_email()).await;
    assert_eq!(sent.is_error, Some(false), "{}", text(&sent));

    let (spans, server, execute) = sent_email_spans(&receiver, TRACE_ID).await;
    assert_eq!(
        server.parent_span_id, PARENT_ID,
        "the caller's span is the parent"
    );
    assert_eq!(server.trace_state, TRACESTATE);
    assert_eq!(server.kind, SERVER);
    assert_eq!(server.service, "gateway-under-test");
    assert_eq!(server.attribute("mcp.method.name"), "tools/call");
    assert_eq!(server.attribute("gen_ai.tool.name"), "Mail_SendEmail");
    assert_eq!(server.attribute("gen_ai.operation.name"), "execute_tool");
    assert_eq!(server.attribute("network.transport"), "tcp");
    assert_eq!(server.attribute("arcade.outcome"), "ok");
    assert!(!server.attribute("jsonrpc.request.id").is_empty());
    assert!(!server.attribute("mcp.session.id").is_empty());
    assert_eq!(server.attribute("enduser.id"), hashed("ann@example.com"));
    assert!(!server.attributes.contains_key("error.type"));

    assert_eq!(execute.kind, CLIENT);
    assert_eq!(execute.trace_id, TRACE_ID);
    assert_eq!(execute.attribute("http.request.method"), "POST");
    assert_eq!(execute.attribute("http.response.status_code"), "200");
    assert_eq!(execute.attribute("url.path"), "/v1/tools/execute");
    assert_eq!(execute.attribute("url.template"), "/v1/tools/execute");
    assert_eq!(execute.attribute("server.address"), "127.0.0.1");
    assert_eq!(execute.attribute("arcade.upstream"), "arcade");

    let seen = emulator.state().last_traceparent("execute");
    assert_eq!(
        seen.as_deref(),
        Some(traceparent(TRACE_ID, &execute.span_id).as_str()),
        "Arcade sees the execute's own span as its parent"
    );
    assert_nothing_secret(&spans);

    // The first, unauthorized call is its own trace, and says how it ended.
    let link = spans
        .iter()
        .find(|s| s.name == "tools/call Mail_SendEmail" && s.trace_id != TRACE_ID)
        .expect("the first call's span");
    assert_eq!(link.attribute("arcade.outcome"), "authorization_required");
    assert_eq!(link.attribute("arcade.authorization.strategy"), "link");
    assert!(
        receiver
            .content_types()
            .iter()
            .all(|t| t == "application/x-protobuf")
    );
}

#[tokio::test]
async fn a_traceparent_in_meta_wins_over_the_header_and_json_is_spoken() {
    let (emulator, receiver, gateway, _dir) = granted_gateway("http/json").await;

    let meta_trace = "0af7651916cd43dd8448eb211c80319c";
    let meta_parent = "b7ad6b7169203331";
    let mut traced = bearer(ANN_TOKEN).to_vec();
    traced.push(("traceparent", traceparent(TRACE_ID, PARENT_ID)));
    let client = McpClient::connect(&gateway.mcp_url(), &headers(&traced)).await;
    let mut meta = RequestMetaObject::new();
    meta.set_traceparent(traceparent(meta_trace, meta_parent));
    let arguments: JsonObject = serde_json::from_value(send_email()).unwrap();
    let mut request = CallToolRequestParams::new("Mail_SendEmail").with_arguments(arguments);
    request.meta = Some(meta);
    let sent = client.client.call_tool(request).await.unwrap();
    assert_eq!(sent.is_error, Some(false), "{}", text(&sent));

    let (spans, server, execute) = sent_email_spans(&receiver, meta_trace).await;
    assert_eq!(server.parent_span_id, meta_parent);
    assert_eq!(server.attribute("mcp.method.name"), "tools/call");
    assert_eq!(
        emulator.state().last_traceparent("execute").as_deref(),
        Some(traceparent(meta_trace, &execute.span_id).as_str())
    );
    assert_nothing_secret(&spans);
    assert!(
        receiver
            .content_types()
            .iter()
            .all(|t| t.starts_with("application/json"))
    );
}

#[tokio::test]
async fn a_direct_tool_call_traces_the_provider_request_without_its_path() {
    let emulator = start_emulator().await;
    let receiver = Receiver::start().await;
    let file = crate::direct_tools::tools_file(&emulator.base_url());
    let tools = file.path().join("direct.toml");
    let env = otel_env(&receiver.endpoint, "http/protobuf");
    let flags = ["--direct-tools", tools.to_str().unwrap()];
    let (gateway, _dir) = token_gateway(&emulator.base_url(), &flags, &env).await;
    // The message id goes into the provider's URL path: an argument all the same.
    let arguments = json!({"id": "MSG_ID_ARGUMENT_71b2"});
    let ann = bearer(ANN_TOKEN);
    let plain = McpClient::connect(&gateway.mcp_url(), &headers(&ann)).await;
    let first = plain.call("Gmail_GetMyMessage", arguments.clone()).await;
    approve(&authorization_url(&first)).await;

    let mut traced = ann.to_vec();
    traced.push(("traceparent", traceparent(TRACE_ID, PARENT_ID)));
    let client = McpClient::connect(&gateway.mcp_url(), &headers(&traced)).await;
    let message = client.call("Gmail_GetMyMessage", arguments).await;
    assert_eq!(message.is_error, Some(false), "{}", text(&message));

    let provider_call = |spans: &[Span]| {
        let server = spans
            .iter()
            .find(|s| s.trace_id == TRACE_ID && s.name == "tools/call Gmail_GetMyMessage")?;
        spans
            .iter()
            .find(|s| s.parent_span_id == server.span_id && s.name == "GET")
            .cloned()
    };
    let spans = receiver
        .spans_once("the provider request's span", |spans| {
            provider_call(spans).is_some()
        })
        .await;
    let provider = provider_call(&spans).unwrap();
    assert_eq!(provider.kind, CLIENT);
    assert_eq!(provider.attribute("arcade.upstream"), "provider");
    assert_eq!(provider.attribute("http.response.status_code"), "200");
    assert_eq!(provider.attribute("server.address"), "127.0.0.1");
    assert!(
        !provider.attributes.contains_key("url.path"),
        "{:?}",
        provider.attributes
    );
    assert_eq!(
        emulator.state().last_traceparent("provider").as_deref(),
        Some(traceparent(TRACE_ID, &provider.span_id).as_str()),
        "the provider sees the trace go on"
    );
    for span in &spans {
        assert!(
            !span
                .attributes
                .values()
                .any(|v| v.contains("MSG_ID_ARGUMENT_71b2")),
            "{span:?}"
        );
    }
    assert_nothing_secret(&spans);
}

/// Writes one JSON-RPC message to the gateway's stdin.
async fn send_line(stdin: &mut tokio::process::ChildStdin, message: Value) {
    use tokio::io::AsyncWriteExt;
    stdin
        .write_all(format!("{message}\n").as_bytes())
        .await
        .unwrap();
}

#[tokio::test]
async fn over_stdio_the_meta_parent_is_kept_and_the_last_spans_leave_at_exit() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let emulator = start_emulator().await;
    let receiver = Receiver::start().await;
    let cache = tempfile::tempdir().unwrap();
    let mut env = otel_env(&receiver.endpoint, "http/protobuf").to_vec();
    // No timer fires before the exit: only the flush at exit can send the spans.
    env.push(("OTEL_BSP_SCHEDULE_DELAY", "600000"));
    let mut child = tokio::process::Command::new(crate::support::gateway_bin())
        .arg("serve")
        .env("ARCADE_API_KEY", API_KEY)
        .env("ARCADE_BASE_URL", emulator.base_url())
        .env("ARCADE_USER_ID", "ann@example.com")
        .env("ARCADE_GATEWAY_CACHE_DIR", cache.path())
        .envs(env)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "trace-test", "version": "1"}}});
    send_line(&mut stdin, initialize).await;
    stdout
        .next_line()
        .await
        .unwrap()
        .expect("the initialize answer");
    send_line(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    let meta_trace = "5c0ffee5c0ffee5c0ffee5c0ffee5c0f";
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "Math_Add", "arguments": {"a": 1, "b": 2},
        "_meta": {"traceparent": traceparent(meta_trace, PARENT_ID)}}});
    send_line(&mut stdin, call).await;
    let answer: Value = serde_json::from_str(&stdout.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(answer["result"]["content"][0]["text"], "3", "{answer}");
    let unserved = json!({"jsonrpc": "2.0", "id": 3, "method": "prompts/list", "params": {
        "_meta": {"traceparent": traceparent(meta_trace, PARENT_ID)}}});
    send_line(&mut stdin, unserved).await;
    let answer: Value = serde_json::from_str(&stdout.next_line().await.unwrap().unwrap()).unwrap();
    assert!(answer["error"].is_object(), "{answer}");

    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the gateway exits when stdin closes")
        .unwrap();
    assert!(status.success(), "{status}");
    let spans = receiver
        .spans_once("the spans flushed at exit", |spans| {
            spans.iter().any(|s| s.trace_id == meta_trace)
        })
        .await;
    let server = spans
        .iter()
        .find(|s| s.trace_id == meta_trace && s.name == "tools/call Math_Add")
        .expect("the call's span");
    assert_eq!(server.parent_span_id, PARENT_ID);
    assert_eq!(server.attribute("network.transport"), "pipe");
    assert_eq!(server.attribute("enduser.id"), hashed("ann@example.com"));
    assert!(!server.attributes.contains_key("mcp.session.id"));
    // Every request has its span, the ones answered at once too.
    assert!(
        spans.iter().any(|s| s.name == "initialize"),
        "no initialize span"
    );
    let unserved = spans
        .iter()
        .find(|s| s.trace_id == meta_trace && s.name == "prompts/list")
        .expect("the unserved request's span");
    assert_eq!(unserved.parent_span_id, PARENT_ID);
    assert!(!unserved.attribute("error.type").is_empty());
    assert!(
        spans
            .iter()
            .any(|s| s.parent_span_id == server.span_id && s.name == "POST /v1/tools/execute")
    );
    assert_nothing_secret(&spans);
}

/// A `Math_Add` call over HTTP whose `traceparent` says the caller did not sample it.
async fn call_unsampled(gateway: &HttpGateway, trace_id: &str) {
    let mut traced = bearer(ANN_TOKEN).to_vec();
    traced.push(("traceparent", format!("00-{trace_id}-{PARENT_ID}-00")));
    let client = McpClient::connect(&gateway.mcp_url(), &headers(&traced)).await;
    let sum = client.call("Math_Add", json!({"a": 1, "b": 2})).await;
    assert_eq!(text(&sum), "3");
}

#[tokio::test]
async fn the_sampler_follows_the_callers_choice_unless_otel_traces_sampler_says_otherwise() {
    let emulator = start_emulator().await;
    let receiver = Receiver::start().await;
    let env = otel_env(&receiver.endpoint, "http/protobuf");
    // The default sampler, parentbased_always_on: an unsampled caller is not traced.
    let (default, _dir) = token_gateway(&emulator.base_url(), &[], &env).await;
    let unsampled = "0000000000000000000000000000000a";
    call_unsampled(&default, unsampled).await;
    // Another gateway, told to sample every request whatever the caller says.
    let mut always = env.to_vec();
    always.push(("OTEL_TRACES_SAMPLER", "always_on"));
    let (always, _dir2) = token_gateway(&emulator.base_url(), &[], &always).await;
    let overridden = "0000000000000000000000000000000b";
    call_unsampled(&always, overridden).await;
    // A sampled call through the first, exported after its unsampled one would be.
    let later = McpClient::connect(&default.mcp_url(), &headers(&bearer(ANN_TOKEN))).await;
    later.call("Math_Add", json!({"a": 2, "b": 2})).await;

    let spans = receiver
        .spans_once(
            "the always_on gateway's span and the later call's",
            |spans| {
                spans.iter().any(|s| s.trace_id == overridden)
                    && spans
                        .iter()
                        .filter(|s| s.name == "tools/call Math_Add")
                        .count()
                        >= 2
            },
        )
        .await;
    assert!(
        spans.iter().all(|s| s.trace_id != unsampled),
        "an unsampled caller's request was traced under the default sampler"
    );
}

/// A listener that takes connections and never answers, as a stuck collector would.
async fn stuck_collector() -> (tokio::task::JoinHandle<()>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (task, endpoint)
}

/// Calls `Math_Add` `n` times through `url`; the slowest call.
async fn slowest_of(url: &str, n: usize) -> Duration {
    let ann = bearer(ANN_TOKEN);
    let client = McpClient::connect(url, &headers(&ann)).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..n {
        let started = Instant::now();
        let sum = client.call("Math_Add", json!({"a": 1, "b": 2})).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(text(&sum), "3");
    }
    slowest
}

#[tokio::test]
async fn a_stuck_or_absent_collector_costs_a_call_nothing() {
    let emulator = start_emulator().await;
    let (_collector, stuck) = stuck_collector().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    for (endpoint, is_stuck) in [(stuck, true), (closed, false)] {
        let mut env = otel_env(&endpoint, "http/protobuf").to_vec();
        // A small queue, so that the stuck collector fills it.
        env.push(("OTEL_BSP_MAX_QUEUE_SIZE", "4"));
        let (gateway, _dir) = token_gateway(&emulator.base_url(), &[], &env).await;
        let slowest = slowest_of(&gateway.mcp_url(), 30).await;
        // An export on the call path would wait for the collector's 10 s timeout.
        assert!(
            slowest < Duration::from_secs(2),
            "a call took {slowest:?} with the collector at {endpoint}"
        );
        if is_stuck {
            let logs = gateway.logs();
            assert!(
                logs.contains("BatchSpanProcessor dropped a Span due to queue full"),
                "spans are dropped, not waited for: {logs}"
            );
        }
        let stopping = Instant::now();
        let status = gateway.terminate().await;
        assert!(status.success(), "{status}");
        assert!(
            stopping.elapsed() < Duration::from_secs(10),
            "the exit waited {:?} for the collector",
            stopping.elapsed()
        );
        eprintln!(
            "collector {endpoint}: slowest of 30 calls {slowest:?}, exit in {:?}",
            stopping.elapsed()
        );
    }
}

#[test]
fn otlp_over_grpc_is_refused_at_start_with_what_to_use() {
    let output = std::process::Command::new(crate::support::gateway_bin())
        .args(["serve", "--transport", "http", "--bind", "127.0.0.1:0"])
        .env("ARCADE_API_KEY", API_KEY)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("OTLP over gRPC is not supported"),
        "{stderr}"
    );
    assert!(stderr.contains("http/protobuf"), "{stderr}");
}

#[test]
fn commands_that_serve_nothing_ignore_the_otel_variables() {
    let output = std::process::Command::new(crate::support::gateway_bin())
        .args(["completions", "bash"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("arcade-mcp-gateway"));
}

#[tokio::test]
async fn huge_ids_names_and_a_bad_tracestate_are_bounded_in_spans() {
    let emulator = start_emulator().await;
    let receiver = Receiver::start().await;
    let (gateway, _dir) = token_gateway(
        &emulator.base_url(),
        &[],
        &otel_env(&receiver.endpoint, "http/protobuf"),
    )
    .await;
    let trace_id = "6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d";
    let long_members: Vec<String> = (0..3)
        .map(|n| format!("v{n}={}", "v".repeat(250)))
        .collect();
    let many_members: Vec<String> = (0..40).map(|n| format!("k{n}=v")).collect();
    let cases = [long_members.join(","), many_members.join(",")];
    for (n, tracestate) in cases.iter().enumerate() {
        let extra = [
            ("traceparent", traceparent(trace_id, PARENT_ID)),
            ("tracestate", tracestate.clone()),
        ];
        let session = crate::support::http::RawSession::open(&gateway, ANN_TOKEN, &extra).await;
        let huge = "n".repeat(50_000);
        let call = json!({"jsonrpc": "2.0", "id": format!("{huge}{n}"), "method": "tools/call",
            "params": {"name": format!("Math_Add{huge}"), "arguments": {}}});
        let answer = session.post(&call).await;
        let _ = answer.bytes().await;
        let add = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "Math_Add", "arguments": {"a": 1, "b": 2}}});
        let answer = session.post(&add).await;
        let _ = answer.bytes().await;
    }
    let spans = receiver
        .spans_once("the calls' spans", |spans| {
            spans
                .iter()
                .filter(|s| s.trace_id == trace_id && s.name == "tools/call Math_Add")
                .count()
                >= 2
        })
        .await;
    assert!(
        spans
            .iter()
            .any(|s| s.trace_id == trace_id && s.name.starts_with("tools/call Math_Addnnnn")),
        "the call of the huge name has its span"
    );
    for span in spans.iter().filter(|s| s.trace_id == trace_id) {
        assert!(
            span.name.len() <= 256,
            "a span name of {} bytes",
            span.name.len()
        );
        for (key, value) in &span.attributes {
            assert!(value.len() <= 256, "{key} of {} bytes", value.len());
        }
        assert!(
            span.trace_state.is_empty(),
            "a tracestate past the W3C bounds was kept: {} bytes",
            span.trace_state.len()
        );
    }
}
