//! MCP over HTTP for many users: the real gateway binary on loopback, rmcp's Streamable
//! HTTP client (stateful and stateless), plain HTTP requests for the refusals, and two
//! stateless replicas behind a round-robin proxy.

use crate::support::auth_server::{AuthServer, TestKey, claims};
use crate::support::http::{
    ANN_TOKEN, BOB_TOKEN, HttpGateway, McpClient, bearer, headers, oauth_gateway, token_gateway,
};
use crate::support::round_robin::RoundRobin;
use crate::support::{approve, assert_inbox_of, authorization_url, start_emulator, text};
use arcade_mcp_gateway::emulator::{Emulator, Faults};
use serde_json::{Value, json};

const PROXY_SECRET: &str = "proxy-secret-0123456789abcdef0123456789";

/// The authorization story for two users at once: each their own link, grant and result.
async fn two_users_each_their_own_grant(ann: &McpClient, bob: &McpClient) {
    let tools = ann.client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "Mail_ListEmails"));
    assert_eq!(
        bob.client.list_all_tools().await.unwrap().len(),
        tools.len()
    );

    let (ann_first, bob_first) = tokio::join!(
        ann.call("Mail_ListEmails", json!({})),
        bob.call("Mail_ListEmails", json!({}))
    );
    let ann_url = authorization_url(&ann_first);
    let bob_url = authorization_url(&bob_first);
    assert_ne!(ann_url, bob_url, "each user gets their own link");

    approve(&ann_url).await;
    let ann_again = ann.call("Mail_ListEmails", json!({})).await;
    assert_inbox_of(&ann_again, "ann@example.com");
    let bob_again = bob.call("Mail_ListEmails", json!({})).await;
    assert_eq!(
        authorization_url(&bob_again),
        bob_url,
        "ann's grant is not bob's"
    );
}

/// A user id in the arguments changes nothing: it is refused by the schema and the call
/// never reaches Arcade as anyone.
async fn a_user_id_in_the_arguments_changes_nothing(client: &McpClient, emulator: &Emulator) {
    let before = emulator.state().requests("execute");
    let forged = client
        .call(
            "Math_Add",
            json!({"a": 1, "b": 2, "user_id": "bob@example.com"}),
        )
        .await;
    assert_eq!(forged.is_error, Some(true));
    assert!(text(&forged).contains("user_id"), "{}", text(&forged));
    assert_eq!(emulator.state().requests("execute"), before);
    let sum = client.call("Math_Add", json!({"a": 1, "b": 2})).await;
    assert_eq!(text(&sum), "3");
    assert_eq!(emulator.state().requests("execute"), before + 1);
}

/// Bob presenting the session Ann opened at `url` is refused with 403.
async fn bob_cannot_use_anns_session(
    url: &str,
    ann: &[(&'static str, String)],
    bob: &[(&'static str, String)],
) -> String {
    let opened = initialize(url, ann).await;
    assert_eq!(opened.status(), 200);
    let session = opened.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let mut stolen = bob.to_vec();
    stolen.push(("mcp-session-id", session.clone()));
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let answer = post(url, &stolen, &list).await;
    assert_eq!(answer.status(), 403);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "session_not_yours", "{body}");
    session
}

#[tokio::test]
async fn bearer_tokens_two_users_stateful_sessions() {
    let emulator = start_emulator().await;
    let (gateway, _dir) = token_gateway(&emulator.base_url(), &[], &[]).await;
    let ann = McpClient::connect(&gateway.mcp_url(), &headers(&bearer(ANN_TOKEN))).await;
    let bob = McpClient::connect(&gateway.mcp_url(), &headers(&bearer(BOB_TOKEN))).await;
    two_users_each_their_own_grant(&ann, &bob).await;
    a_user_id_in_the_arguments_changes_nothing(&ann, &emulator).await;

    let logs = gateway.logs();
    for secret in [ANN_TOKEN, BOB_TOKEN, crate::support::API_KEY] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
}

#[tokio::test]
async fn bearer_tokens_two_users_stateless() {
    let emulator = start_emulator().await;
    let (gateway, _dir) = token_gateway(&emulator.base_url(), &["--stateless"], &[]).await;
    let ann = McpClient::connect(&gateway.mcp_url(), &headers(&bearer(ANN_TOKEN))).await;
    let bob = McpClient::connect(&gateway.mcp_url(), &headers(&bearer(BOB_TOKEN))).await;
    two_users_each_their_own_grant(&ann, &bob).await;
}

#[tokio::test]
async fn trusted_header_two_users_and_forged_headers_refused() {
    let emulator = start_emulator().await;
    let gateway = HttpGateway::start(
        &emulator.base_url(),
        &["--trust-user-header"],
        &[("ARCADE_GATEWAY_PROXY_SECRET", PROXY_SECRET)],
    )
    .await;
    let as_user = |user: &str| {
        vec![
            ("arcade-user-id", user.to_owned()),
            ("x-gateway-proxy-secret", PROXY_SECRET.to_owned()),
        ]
    };
    let ann_headers = as_user("ann@example.com");
    let bob_headers = as_user("bob@example.com");
    let ann = McpClient::connect(&gateway.mcp_url(), &headers(&ann_headers)).await;
    let bob = McpClient::connect(&gateway.mcp_url(), &headers(&bob_headers)).await;
    two_users_each_their_own_grant(&ann, &bob).await;

    // The header without the proxy's secret (or with a wrong one) is not believed.
    for forged in [
        vec![("arcade-user-id", "ann@example.com".to_owned())],
        vec![
            ("arcade-user-id", "ann@example.com".to_owned()),
            (
                "x-gateway-proxy-secret",
                "wrong-secret-0123456789abcdef012345".to_owned(),
            ),
        ],
    ] {
        let answer = initialize(&gateway.mcp_url(), &forged).await;
        assert!(
            matches!(answer.status().as_u16(), 401 | 403),
            "{}",
            answer.status()
        );
        let body: Value = answer.json().await.unwrap();
        assert!(body["error_description"].as_str().is_some(), "{body}");
    }
}

#[tokio::test]
async fn fixed_user_on_loopback_serves_and_refuses_a_public_bind() {
    let emulator = start_emulator().await;
    let gateway =
        HttpGateway::start(&emulator.base_url(), &["--user-id", "ann@example.com"], &[]).await;
    let client = McpClient::connect(&gateway.mcp_url(), &[]).await;
    let sum = client.call("Math_Add", json!({"a": 40, "b": 2})).await;
    assert_eq!(text(&sum), "42");

    let refused = std::process::Command::new(crate::support::gateway_bin())
        .args(["serve", "--transport", "http", "--bind", "0.0.0.0:0"])
        .args(["--user-id", "ann@example.com", "--emulator"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("loopback"), "{stderr}");
}

/// A raw `initialize` POST to `/mcp` with the given headers.
async fn initialize(url: &str, extra: &[(&'static str, String)]) -> reqwest::Response {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"}}});
    post(url, extra, &body).await
}

async fn post(url: &str, extra: &[(&'static str, String)], body: &Value) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body.to_string());
    for (name, value) in extra {
        request = request.header(*name, value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn refusals_say_why_and_the_server_keeps_serving() {
    let emulator = start_emulator().await;
    let (gateway, _dir) = token_gateway(
        &emulator.base_url(),
        &["--max-body-bytes", "4096", "--calls-per-minute", "2"],
        &[],
    )
    .await;
    let url = gateway.mcp_url();
    let ann = bearer(ANN_TOKEN).to_vec();
    let bob = bearer(BOB_TOKEN).to_vec();

    // No credentials: 401 with a Bearer challenge.
    let answer = initialize(&url, &[]).await;
    assert_eq!(answer.status(), 401);
    assert!(
        answer.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    // An unknown token: 401 saying so.
    let answer = initialize(&url, &bearer("not-a-known-token-at-all-000000")).await;
    assert_eq!(answer.status(), 401);
    assert!(
        answer.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );

    // Bob presenting Ann's session id: 403.
    let session = bob_cannot_use_anns_session(&url, &ann, &bob).await;

    // A browser page from elsewhere, or a rebound host name: 403.
    let mut from_evil = ann.clone();
    from_evil.push(("origin", "https://evil.example".to_owned()));
    let answer = initialize(&url, &from_evil).await;
    assert_eq!(answer.status(), 403);
    assert!(answer.text().await.unwrap().contains("--allowed-origin"));
    let mut rebound = ann.clone();
    rebound.push(("host", "evil.example".to_owned()));
    assert_eq!(initialize(&url, &rebound).await.status(), 403);

    // An oversized body: 413 naming the limit.
    let huge = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {"pad": "x".repeat(10_000)}});
    let answer = post(&url, &ann, &huge).await;
    assert_eq!(answer.status(), 413);
    assert!(answer.text().await.unwrap().contains("4096"));

    // Over the per-minute limit: 429 with Retry-After, for Ann only.
    let client = McpClient::connect(&url, &headers(&ann)).await;
    for _ in 0..2 {
        let sum = client.call("Math_Add", json!({"a": 1, "b": 1})).await;
        assert_eq!(text(&sum), "2");
    }
    let mut in_session = ann.clone();
    in_session.push(("mcp-session-id", session));
    in_session.push(("mcp-protocol-version", "2025-06-18".to_owned()));
    let call = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
        "params": {"name": "Math_Add", "arguments": {"a": 1, "b": 1}}});
    let answer = post(&url, &in_session, &call).await;
    assert_eq!(answer.status(), 429);
    let wait: u64 = answer.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    assert!(answer.text().await.unwrap().contains("per minute"));
    assert!(
        client
            .try_call("Math_Add", json!({"a": 1, "b": 1}))
            .await
            .is_err()
    );

    let bob_client = McpClient::connect(&url, &headers(&bob)).await;
    let sum = bob_client.call("Math_Add", json!({"a": 2, "b": 2})).await;
    assert_eq!(text(&sum), "4", "others are still served");

    // The counters show what happened.
    let metrics = gateway.metrics().await;
    assert!(
        metrics.contains("arcade_gateway_rate_limited_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("arcade_gateway_tool_calls_total{outcome=\"ok\"} 3"),
        "{metrics}"
    );
}

#[tokio::test]
async fn health_readiness_and_graceful_shutdown() {
    let emulator = start_emulator().await;
    let (gateway, _dir) = token_gateway(&emulator.base_url(), &[], &[]).await;
    let health = reqwest::get(format!("{}/healthz", gateway.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = reqwest::get(format!("{}/readyz", gateway.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert!(ready["tools"].as_u64().unwrap() > 0, "{ready}");

    let client = McpClient::connect(&gateway.mcp_url(), &headers(&bearer(ANN_TOKEN))).await;
    client.call("Math_Add", json!({"a": 1, "b": 1})).await;
    let status = gateway.terminate().await;
    assert!(
        status.success(),
        "SIGTERM ends the server cleanly: {status}"
    );
}

#[tokio::test]
async fn stateless_replicas_behind_round_robin_answer_alternately() {
    let emulator = start_emulator().await;
    let (one, _dir_one) = token_gateway(&emulator.base_url(), &["--stateless"], &[]).await;
    let (two, _dir_two) = token_gateway(&emulator.base_url(), &["--stateless"], &[]).await;
    let proxy = RoundRobin::start(vec![one.base.clone(), two.base.clone()]).await;

    let client =
        McpClient::connect(&format!("{}/mcp", proxy.base), &headers(&bearer(ANN_TOKEN))).await;
    for i in 0..6 {
        let sum = client.call("Math_Add", json!({"a": i, "b": 1})).await;
        assert_eq!(text(&sum), (i + 1).to_string());
    }
    assert!(
        proxy.forwarded() >= 7,
        "every request went through the proxy"
    );
    let calls_on = |gateway: &HttpGateway| gateway.logs().matches("tool call").count();
    assert!(
        calls_on(&one) >= 2 && calls_on(&two) >= 2,
        "both replicas served calls"
    );
}

#[tokio::test]
async fn oauth_two_users_metadata_challenge_and_scopes() {
    let emulator = start_emulator().await;
    let key = TestKey::rsa_a();
    let server = AuthServer::start(&[&key]).await;
    let extra = ["--oauth-scope", "mcp:tools"];
    let (gateway, resource) = oauth_gateway(&emulator.base_url(), &server.issuer, &extra).await;
    let url = gateway.mcp_url();
    let token = |user: &str, scope: &str| {
        let mut claims = claims(&server.issuer, &resource, user);
        claims["scope"] = json!(scope);
        bearer(&key.sign(&claims)).to_vec()
    };
    let (ann, bob) = (
        token("ann@example.com", "mcp:tools"),
        token("bob@example.com", "mcp:tools openid"),
    );
    let ann_client = McpClient::connect(&url, &headers(&ann)).await;
    let bob_client = McpClient::connect(&url, &headers(&bob)).await;
    two_users_each_their_own_grant(&ann_client, &bob_client).await;
    a_user_id_in_the_arguments_changes_nothing(&ann_client, &emulator).await;
    bob_cannot_use_anns_session(&url, &ann, &bob).await;

    // No token: 401 pointing at the protected resource metadata, which is served.
    let answer = initialize(&url, &[]).await;
    assert_eq!(answer.status(), 401);
    let metadata_url = format!("{}/.well-known/oauth-protected-resource/mcp", gateway.base);
    assert_eq!(
        answer.headers()["www-authenticate"],
        format!("Bearer resource_metadata=\"{metadata_url}\"").as_str()
    );
    let metadata: Value = reqwest::get(&metadata_url)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], resource.as_str());
    assert_eq!(
        metadata["authorization_servers"],
        json!([format!("{}/", server.issuer)])
    );
    assert_eq!(metadata["scopes_supported"], json!(["mcp:tools"]));

    // A token without the required scope: 403 insufficient_scope naming it.
    let answer = initialize(&url, &token("ann@example.com", "openid")).await;
    assert_eq!(answer.status(), 403);
    let challenge = answer.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\"")
            && challenge.contains("scope=\"mcp:tools\"")
            && challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")),
        "{challenge}"
    );
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope", "{body}");

    let logs = gateway.logs();
    assert!(
        !logs.contains(&ann[0].1[7..]) && !logs.contains(crate::support::API_KEY),
        "a token reached the logs"
    );
}

#[tokio::test]
async fn a_request_over_the_time_limit_gets_408_saying_what_to_do() {
    let emulator = start_emulator().await;
    emulator.state().set_faults(Faults {
        latency_ms: 3_000,
        endpoints: Some(vec!["execute".to_owned()]),
        ..Faults::default()
    });
    let (gateway, _dir) = token_gateway(
        &emulator.base_url(),
        &["--stateless", "--http-timeout", "1"],
        &[],
    )
    .await;
    let mut ann = bearer(ANN_TOKEN).to_vec();
    ann.push(("mcp-protocol-version", "2025-06-18".to_owned()));
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "Math_Add", "arguments": {"a": 1, "b": 1}}});
    let started = std::time::Instant::now();
    let answer = post(&gateway.mcp_url(), &ann, &call).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(answer.status(), 408);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "request_timeout", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("1 s") && description.contains("--http-timeout"),
        "{description}"
    );

    // The server keeps answering.
    emulator.state().set_faults(Faults::default());
    let client = McpClient::connect(&gateway.mcp_url(), &headers(&bearer(BOB_TOKEN))).await;
    assert_eq!(
        text(&client.call("Math_Add", json!({"a": 2, "b": 2})).await),
        "4"
    );
}
