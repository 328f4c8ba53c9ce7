//! Multi round-trip requests (protocol 2026-07-28) driven by hand, so that a test can
//! alter, replay or hand on the sealed `requestState`.

use arcade_mcp_gateway::emulator::Emulator;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ElicitRequestParams, InputRequest, InputResponses,
    JsonObject,
};
use rmcp::service::RunningService;
use rmcp::{ClientHandler, RoleClient};
use serde_json::{Value, json};

use super::{approve, mail_runs, text};

/// The first round by hand: the sealed state and the URL elicitation.
pub async fn first_round<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    arguments: Value,
) -> (String, String) {
    let arguments: JsonObject = serde_json::from_value(arguments).unwrap();
    let params = CallToolRequestParams::new("Mail_ListEmails").with_arguments(arguments);
    let CallToolResponse::InputRequired(input) = client.call_tool_once(params).await.unwrap()
    else {
        panic!("expected an input-required result");
    };
    let state = input.request_state.expect("requestState");
    let requests = input.input_requests.expect("inputRequests");
    let Some(InputRequest::Elicitation(request)) = requests.get("authorization") else {
        panic!("expected a URL elicitation: {requests:?}");
    };
    let ElicitRequestParams::UrlElicitationParams { url, .. } = &request.params else {
        panic!("expected URL mode");
    };
    (state, url.clone())
}

/// The retry of [`first_round`] with the sealed `state` and the client's `action`.
pub fn retry(state: &str, arguments: Value, action: &str) -> CallToolRequestParams {
    let arguments: JsonObject = serde_json::from_value(arguments).unwrap();
    let mut responses = InputResponses::new();
    responses.insert("authorization".to_owned(), json!({ "action": action }));
    CallToolRequestParams::new("Mail_ListEmails")
        .with_arguments(arguments)
        .with_input_responses(responses)
        .with_request_state(state.to_owned())
}

/// Ann's sealed state is checked before anything runs: altered → an integrity error;
/// presented by Bob → another user's; with other arguments → refused; once Ann approves,
/// her retry runs the tool once. `ann` and `bob` may reach different replicas sharing
/// one state key.
pub async fn sealed_state_is_checked_before_running_once<A: ClientHandler, B: ClientHandler>(
    ann: &RunningService<RoleClient, A>,
    bob: &RunningService<RoleClient, B>,
    emulator: &Emulator,
) {
    let arguments = json!({"n_emails": 3});
    let (state, url) = first_round(ann, arguments.clone()).await;
    assert_eq!(mail_runs(emulator, "ann@example.com"), 0);

    // Tampered: one character changed.
    let mut tampered = state.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let error = ann
        .call_tool_once(retry(&tampered, arguments.clone(), "accept"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("integrity"), "{error}");

    // Replayed by another user (same key, same arguments).
    let error = bob
        .call_tool_once(retry(&state, arguments.clone(), "accept"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("another user"), "{error}");

    // Other arguments.
    let error = ann
        .call_tool_once(retry(&state, json!({"n_emails": 4}), "accept"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("other arguments"), "{error}");
    assert_eq!(mail_runs(emulator, "bob@example.com"), 0);

    // The person approves; the retry runs the tool once.
    approve(&url).await;
    let CallToolResponse::Complete(result) = ann
        .call_tool_once(retry(&state, arguments, "accept"))
        .await
        .unwrap()
    else {
        panic!("expected the tool's result");
    };
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    assert_eq!(mail_runs(emulator, "ann@example.com"), 1);
}
