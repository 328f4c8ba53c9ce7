//! The gateway's own [`ArcadeClient`] against the emulator: both use the same wire
//! types, and this proves they also agree on paths, queries, statuses and faults, and
//! that the client's retry policy never sends a side-effecting execute twice.

use std::time::Duration;

use arcade_mcp_gateway::arcade::types::{AuthStatus, ExecuteToolRequest, ToolAuthorizeRequest};
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
    assert_eq!(connections.items.len(), 1);
    client
        .delete_user_connection(&connections.items[0].id)
        .await
        .unwrap();
    assert!(
        client
            .list_user_connections(Some("sam"), None)
            .await
            .unwrap()
            .items
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
}
