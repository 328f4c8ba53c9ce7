//! Discovery driven by rmcp's client: search → describe → `call_tool`, for a tool that
//! needs no grant and for one that does (the link, approval, the result; URL
//! elicitation in one call; multi round-trip across two stateless replicas), bad
//! arguments named with nothing sent upstream, and unknown tools with suggestions.

use rmcp::ClientHandler;
use rmcp::model::{CallToolRequestParams, CallToolResponse, ProtocolVersion};
use serde_json::{Value, json};

use crate::support::http::{HttpGateway, McpClient};
use crate::support::person::{Answer, Person};
use crate::support::{
    Gateway, approve, assert_inbox_of, authorization_url, discover, mail_runs, start_emulator, text,
};

const ANN: &str = "ann@example.com";
const ALWAYS: [&str; 2] = ["--discovery", "always"];

fn names(structured: &Value) -> Vec<String> {
    structured["tools"]
        .as_array()
        .expect("a tools list")
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_describe_and_call_a_tool_without_a_grant() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), ANN, &ALWAYS).await;
    let listed = gateway.client.list_all_tools().await.unwrap();
    assert!(
        listed.iter().all(|t| t.name != "Math_Add"),
        "only discovery is listed"
    );

    let found = gateway
        .call("search_tools", json!({"query": "add two numbers"}))
        .await;
    let structured = found.structured_content.clone().expect("structured hits");
    assert_eq!(names(&structured)[0], "Math_Add", "{}", text(&found));
    assert_eq!(structured["tools"][0]["qualified_name"], "Math.Add");
    assert_eq!(structured["tools"][0]["toolkit"], "Math");
    assert!(structured["tools"][0]["authorization"].is_null());

    let described = gateway
        .call("describe_tools", json!({"names": ["Math.Add"]}))
        .await;
    let tools = &described.structured_content.unwrap()["tools"];
    assert_eq!(tools[0]["name"], "Math_Add");
    assert!(tools[0]["inputSchema"]["properties"]["a"].is_object());

    let sum = gateway
        .call(
            "call_tool",
            json!({"name": "Math_Add", "arguments": {"a": 2, "b": 3}}),
        )
        .await;
    assert_eq!(sum.is_error, Some(false), "{}", text(&sum));
    assert!(text(&sum).contains('5'), "{}", text(&sum));
}

#[tokio::test]
async fn bad_arguments_through_call_tool_are_named_and_nothing_goes_upstream() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), ANN, &ALWAYS).await;
    let executes = emulator.state().requests("execute");
    let bad = gateway
        .call(
            "call_tool",
            json!({"name": "Math_Add", "arguments": {"a": "two", "b": 3}}),
        )
        .await;
    assert_eq!(bad.is_error, Some(true));
    assert!(
        text(&bad).contains("`a`") || text(&bad).contains("/a"),
        "{}",
        text(&bad)
    );
    assert_eq!(
        emulator.state().requests("execute"),
        executes,
        "nothing was sent"
    );

    let empty = gateway.call("search_tools", json!({"query": "  "})).await;
    assert_eq!(empty.is_error, Some(true), "{}", text(&empty));
    let huge_limit = gateway
        .call("search_tools", json!({"query": "add", "limit": 500}))
        .await;
    assert!(
        text(&huge_limit).contains("1 to 50"),
        "{}",
        text(&huge_limit)
    );
}

#[tokio::test]
async fn unknown_tools_get_the_closest_names() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), ANN, &ALWAYS).await;
    let called = gateway
        .call("call_tool", json!({"name": "Math_Ad", "arguments": {}}))
        .await;
    assert_eq!(called.is_error, Some(true));
    assert!(text(&called).contains("Math_Add"), "{}", text(&called));
    let described = gateway
        .call("describe_tools", json!({"names": ["Mail_ListEmail"]}))
        .await;
    assert!(
        text(&described).contains("`Mail_ListEmail`"),
        "{}",
        text(&described)
    );
    assert!(
        text(&described).contains("Mail_ListEmails"),
        "{}",
        text(&described)
    );
}

#[tokio::test]
async fn call_tool_of_a_tool_needing_a_grant_gives_the_link_then_the_result() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), ANN, &ALWAYS).await;
    let found = gateway
        .call("search_tools", json!({"query": "list my emails"}))
        .await;
    let hit = &found.structured_content.unwrap()["tools"][0];
    assert_eq!(hit["name"], "Mail_ListEmails");
    assert_eq!(hit["authorization"]["provider_id"], "google");
    let call = json!({"name": "Mail_ListEmails", "arguments": {"n_emails": 2}});
    let first = gateway.call("call_tool", call.clone()).await;
    let url = authorization_url(&first);
    assert_eq!(mail_runs(&emulator, ANN), 0);
    approve(&url).await;
    let second = gateway.call("call_tool", call).await;
    assert_inbox_of(&second, ANN);
    assert_eq!(mail_runs(&emulator, ANN), 1);
}

#[tokio::test]
async fn call_tool_walks_a_client_with_url_elicitation_through_the_grant() {
    let emulator = start_emulator().await;
    let person = Person::new(Answer::Approve);
    let gateway = Gateway::spawn_with(
        person,
        rmcp::service::ClientLifecycleMode::Initialize,
        &emulator.base_url(),
        ANN,
        &ALWAYS,
    )
    .await;
    let result = gateway
        .call(
            "call_tool",
            json!({"name": "Mail_ListEmails", "arguments": {"n_emails": 2}}),
        )
        .await;
    assert_inbox_of(&result, ANN);
    assert_eq!(mail_runs(&emulator, ANN), 1);
}

/// A multi round-trip `call_tool` whose retry reaches another stateless replica: the
/// sealed state is bound to the inner tool and its arguments.
#[tokio::test]
async fn call_tool_multi_round_trip_finishes_on_another_replica() {
    let emulator = start_emulator().await;
    let key = ("ARCADE_GATEWAY_STATE_KEY", "k".repeat(32));
    let flags = ["--stateless", "--user-id", ANN, "--discovery", "always"];
    let env = [(key.0, key.1.as_str())];
    let one = HttpGateway::start(&emulator.base_url(), &flags, &env).await;
    let two = HttpGateway::start(&emulator.base_url(), &flags, &env).await;
    let lifecycle = discover(ProtocolVersion::V_2026_07_28);
    // Clients that can show a URL (the person never opens it through them here).
    let person = || Person::new(Answer::Forget);
    let on_one = McpClient::connect_with(person(), lifecycle.clone(), &one.mcp_url(), &[]).await;
    let on_two = McpClient::connect_with(person(), lifecycle, &two.mcp_url(), &[]).await;

    let inner = json!({"name": "Mail_ListEmails", "arguments": {"n_emails": 2}});
    let (state, url) = first_round_through_call_tool(&on_one, &inner).await;
    approve(&url).await;
    let other_arguments = json!({"name": "Mail_ListEmails", "arguments": {"n_emails": 9}});
    let refused = on_two
        .client
        .call_tool_once(retry_through_call_tool(&state, &other_arguments))
        .await;
    let error = refused.expect_err("a state bound to other arguments is refused");
    assert!(error.to_string().contains("other arguments"), "{error}");
    assert_eq!(mail_runs(&emulator, ANN), 0);
    let answer = on_two
        .client
        .call_tool_once(retry_through_call_tool(&state, &inner))
        .await
        .expect("the retry is answered");
    let CallToolResponse::Complete(result) = answer else {
        panic!("expected the tool's result");
    };
    assert_inbox_of(&result, ANN);
    assert_eq!(mail_runs(&emulator, ANN), 1);
}

async fn first_round_through_call_tool<H: ClientHandler>(
    client: &McpClient<H>,
    inner: &Value,
) -> (String, String) {
    let arguments = serde_json::from_value(inner.clone()).unwrap();
    let params = CallToolRequestParams::new("call_tool").with_arguments(arguments);
    let CallToolResponse::InputRequired(input) =
        client.client.call_tool_once(params).await.unwrap()
    else {
        panic!("expected an input-required result");
    };
    let state = input.request_state.expect("requestState");
    let requests = input.input_requests.expect("inputRequests");
    let Some(rmcp::model::InputRequest::Elicitation(request)) = requests.get("authorization")
    else {
        panic!("expected a URL elicitation: {requests:?}");
    };
    let rmcp::model::ElicitRequestParams::UrlElicitationParams { url, .. } = &request.params else {
        panic!("expected URL mode");
    };
    (state, url.clone())
}

fn retry_through_call_tool(state: &str, inner: &Value) -> CallToolRequestParams {
    let arguments = serde_json::from_value(inner.clone()).unwrap();
    let mut responses = rmcp::model::InputResponses::new();
    responses.insert("authorization".to_owned(), json!({"action": "accept"}));
    CallToolRequestParams::new("call_tool")
        .with_arguments(arguments)
        .with_input_responses(responses)
        .with_request_state(state.to_owned())
}
