//! The gateway's own [`ArcadeClient`] against the emulator: both use the same wire
//! types, and this proves they also agree on paths, queries, statuses and faults, and
//! that the client's retry policy never sends a side-effecting execute twice.

use std::time::Duration;

use arcade_mcp_gateway::arcade::types::{
    AuthAuthorizeRequest, AuthRequirement, AuthStatus, ExecuteToolRequest, ToolAuthorizeRequest,
};
use arcade_mcp_gateway::arcade::{
    ArcadeClient, ArcadeError, ArcadeSettings, ExecuteRetry, ToolsQuery,
};
use arcade_mcp_gateway::emulator::{Emulator, EmulatorOptions, EmulatorState, Faults};
use serde_json::json;

async fn start() -> (Emulator, ArcadeClient) {
    let emulator = Emulator::start(EmulatorOptions::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let settings = ArcadeSettings::new(
        emulator.base_url().parse().unwrap(),
        EmulatorOptions::default().api_key.into(),
    );
    (emulator, ArcadeClient::new(settings).unwrap())
}

fn execute(tool: &str, user: &str, input: serde_json::Value) -> ExecuteToolRequest {
    ExecuteToolRequest {
        tool_name: tool.into(),
        user_id: user.into(),
        input: input.as_object().unwrap().clone(),
        ..ExecuteToolRequest::default()
    }
}

async fn grant(client: &ArcadeClient, tool: &str, user: &str) {
    let request = ToolAuthorizeRequest {
        tool_name: tool.into(),
        user_id: user.into(),
        ..Default::default()
    };
    let pending = client.authorize_tool(&request).await.unwrap();
    let form = reqwest::Client::new()
        .post(pending.url.unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("decision=approve");
    assert!(form.send().await.unwrap().status().is_success());
    let done = client
        .auth_status(pending.id.as_deref().unwrap(), Some(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(done.status, Some(AuthStatus::Completed));
}

fn send_email() -> ExecuteToolRequest {
    execute(
        "Mail.SendEmail",
        "sam",
        json!({"recipient": "a@b.example", "subject": "Hi", "body": "Hello"}),
    )
}

fn set(state: &EmulatorState, f: impl FnOnce(&mut Faults)) {
    let mut faults = Faults::default();
    f(&mut faults);
    state.set_faults(faults);
}

#[tokio::test]
async fn client_round_trip_through_every_endpoint() {
    let (emulator, client) = start().await;
    assert!(client.health().await.unwrap().healthy);
    let query = ToolsQuery {
        toolkit: Some("mail".into()),
        limit: 10,
        offset: 0,
        user_id: Some("sam".into()),
    };
    let mail = client.list_tools(&query).await.unwrap();
    assert_eq!(mail.total_count, Some(2));
    let tool = client
        .get_tool("Mail.SendEmail", Some("sam"))
        .await
        .unwrap();
    assert!(!tool.safe_to_retry());

    let denied = client
        .execute_tool(&send_email(), ExecuteRetry::OnlyIfNotRun)
        .await
        .unwrap_err();
    assert!(
        matches!(denied, ArcadeError::PermissionDenied { .. }),
        "{denied}"
    );
    grant(&client, "Mail.SendEmail", "sam").await;
    let sent = client
        .execute_tool(&send_email(), ExecuteRetry::OnlyIfNotRun)
        .await
        .unwrap();
    assert_eq!(sent.success, Some(true));

    let connections = client
        .list_user_connections(Some("sam"), Some("google"))
        .await
        .unwrap();
    assert_eq!(connections.len(), 1);
    assert_eq!(
        connections[0].provider_user_info.as_ref().unwrap()["email"],
        "sam"
    );
    client
        .delete_user_connection(connections[0].id.as_deref().unwrap())
        .await
        .unwrap();
    assert!(
        client
            .list_user_connections(Some("sam"), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(emulator.state().executions("Mail.SendEmail", "sam"), 1);
}

#[tokio::test]
async fn a_dropped_side_effecting_execute_is_not_resent() {
    let (emulator, client) = start().await;
    grant(&client, "Mail.SendEmail", "sam").await;
    let state = emulator.state();
    set(&state, |f| f.drop_rate = 1.0);
    let error = client
        .execute_tool(&send_email(), ExecuteRetry::OnlyIfNotRun)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ArcadeError::ConnectionLost { .. }),
        "{error}"
    );
    assert_eq!(state.executions("Mail.SendEmail", "sam"), 1);
    assert_eq!(state.requests("execute"), 1);
}

#[tokio::test]
async fn rate_limits_are_retried_and_run_once() {
    let (emulator, client) = start().await;
    grant(&client, "Mail.SendEmail", "sam").await;
    let state = emulator.state();
    set(&state, |f| {
        f.rate_limit_rate = 1.0;
        f.retry_after_secs = 0;
        f.endpoints = Some(vec!["tools.list".into()]);
    });
    // Only the listing is limited: it fails after the client's retries.
    let limited = client
        .list_tools(&ToolsQuery {
            limit: 5,
            ..ToolsQuery::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(limited, ArcadeError::RateLimited { .. }),
        "{limited}"
    );
    assert_eq!(state.requests("tools.list"), 3);

    set(&state, |f| {
        f.rate_limit_rate = 0.5;
        f.retry_after_secs = 0;
    });
    // Request 1 passes (the status check), request 2 is limited, request 3 runs it.
    client.health().await.unwrap();
    let sent = client
        .execute_tool(&send_email(), ExecuteRetry::OnlyIfNotRun)
        .await
        .unwrap();
    assert_eq!(sent.success, Some(true));
    assert_eq!(state.executions("Mail.SendEmail", "sam"), 1);
    assert_eq!(state.requests("execute"), 2);
}

#[tokio::test]
async fn server_errors_and_malformed_bodies_are_classified() {
    let (emulator, client) = start().await;
    let state = emulator.state();
    set(&state, |f| f.error_rate = 1.0);
    let add = execute("Math.Add", "u", json!({"a": 1, "b": 2}));
    let error = client
        .execute_tool(&add, ExecuteRetry::OnlyIfNotRun)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ArcadeError::Server { status: 500, .. }),
        "{error}"
    );
    assert_eq!(
        state.requests("execute"),
        1,
        "a 500 on a side-effecting call is not resent"
    );
    assert_eq!(state.executions("Math.Add", "u"), 0);

    set(&state, |f| f.malformed_rate = 1.0);
    let error = client.get_tool("Math.Add", None).await.unwrap_err();
    assert!(
        matches!(error, ArcadeError::MalformedResponse { .. }),
        "{error}"
    );
    assert_eq!(
        state.requests("tools.get"),
        1,
        "a complete answer that cannot be read would read the same again: not resent"
    );
}

/// Grants `provider` to `user` through `auth/authorize` and the approval page.
async fn grant_provider(client: &ArcadeClient, user: &str, provider: &str) {
    let request = AuthAuthorizeRequest {
        auth_requirement: AuthRequirement {
            provider_id: Some(provider.into()),
            ..AuthRequirement::default()
        },
        user_id: user.into(),
        next_uri: None,
    };
    let pending = client.authorize(&request).await.unwrap();
    let form = reqwest::Client::new()
        .post(pending.url.unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("decision=approve");
    assert!(form.send().await.unwrap().status().is_success());
}

#[tokio::test]
async fn connections_are_read_across_pages_for_one_user_by_the_real_query_names() {
    let (emulator, client) = start().await;
    let providers: Vec<String> = (0..130).map(|i| format!("p{i:03}")).collect();
    for provider in &providers {
        grant_provider(&client, "ann@example.com", provider).await;
    }
    for provider in ["p000", "p001", "github"] {
        grant_provider(&client, "bob@example.com", provider).await;
    }
    let state = emulator.state();
    let before = state.requests("user_connections.list");
    let ann = client
        .list_user_connections(Some("ann@example.com"), None)
        .await
        .unwrap();
    assert_eq!(
        state.requests("user_connections.list") - before,
        2,
        "130 connections are two pages of 100"
    );
    assert_eq!(ann.len(), 130, "every page is read");
    assert!(
        ann.iter()
            .all(|c| c.user_id.as_deref() == Some("ann@example.com")),
        "the engine filtered by user_id"
    );
    let mut seen: Vec<&str> = ann
        .iter()
        .filter_map(|c| c.provider_id.as_deref())
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        providers.iter().map(String::as_str).collect::<Vec<_>>()
    );

    let bob_github = client
        .list_user_connections(Some("bob@example.com"), Some("github"))
        .await
        .unwrap();
    assert_eq!(bob_github.len(), 1);
    assert_eq!(bob_github[0].user_id.as_deref(), Some("bob@example.com"));
    let everyone = client.list_user_connections(None, None).await.unwrap();
    assert_eq!(everyone.len(), 133);
}

#[tokio::test]
async fn an_unhealthy_engine_gives_its_reason() {
    let (emulator, client) = start().await;
    set(&emulator.state(), |f| {
        f.unhealthy = Some("database migration in progress".into())
    });
    let health = client.health().await.unwrap();
    assert!(!health.healthy);
    assert_eq!(
        health.reason.as_deref(),
        Some("database migration in progress")
    );
}

#[tokio::test]
async fn a_retry_after_given_as_an_http_date_is_waited_out() {
    let (emulator, client) = start().await;
    let state = emulator.state();
    set(&state, |f| {
        f.rate_limit_rate = 0.5;
        f.retry_after_secs = 2;
        f.retry_after_as_date = true;
        f.endpoints = Some(vec!["tools.get".into()]);
    });
    // The first request passes, the second is limited with a date two seconds ahead
    // (whole seconds: one to two seconds from now), the third passes.
    client.get_tool("Math.Add", None).await.unwrap();
    let started = std::time::Instant::now();
    client.get_tool("Math.Add", None).await.unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "waited {waited:?}");
    assert_eq!(state.requests("tools.get"), 3);
}
