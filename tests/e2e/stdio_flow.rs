//! The whole story over stdio, as a desktop assistant lives it: the real gateway
//! binary, rmcp's client, the emulator on loopback.

use crate::support::{Gateway, approve, authorization_url, start_emulator, text};
use serde_json::json;

#[tokio::test]
async fn lists_the_catalog_with_schemas_annotations_and_access_needs() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let tools = gateway.client.list_all_tools().await.unwrap();
    let add = tools
        .iter()
        .find(|t| t.name == "Math_Add")
        .expect("Math_Add listed");
    assert_eq!(add.input_schema["type"], "object");
    assert_eq!(add.input_schema["additionalProperties"], false);
    let list = tools
        .iter()
        .find(|t| t.name == "Mail_ListEmails")
        .expect("Mail_ListEmails listed");
    let annotations = list
        .annotations
        .as_ref()
        .expect("behavior becomes annotations");
    assert_eq!(annotations.read_only_hint, Some(true));
    let meta = serde_json::to_value(list.meta.as_ref().expect("_meta present")).unwrap();
    assert_eq!(
        meta["dev.arcade/authorization"]["provider_id"], "google",
        "{meta}"
    );
}

#[tokio::test]
async fn a_tool_without_authorization_runs_in_one_round_trip() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let result = gateway.call("Math_Add", json!({"a": 2, "b": 40})).await;
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    assert_eq!(text(&result), "42");
    assert_eq!(result.structured_content, Some(json!({"result": 42})));
    assert_eq!(
        emulator.state().requests("execute"),
        1,
        "exactly one upstream request"
    );
    assert_eq!(emulator.state().requests("tools.authorize"), 0);
}

#[tokio::test]
async fn authorization_link_then_approval_then_the_real_result() {
    let emulator = start_emulator().await;
    let ann = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;

    let first = ann.call("Mail_ListEmails", json!({})).await;
    let url = authorization_url(&first);
    let prompt = text(&first);
    assert!(
        prompt.contains(&url),
        "the link is shown verbatim: {prompt}"
    );
    assert!(
        prompt.contains(&format!("]({url})")),
        "and as a markdown link: {prompt}"
    );
    assert!(prompt.contains("call `Mail_ListEmails` again"), "{prompt}");
    let structured = first.structured_content.clone().unwrap();
    assert_eq!(structured["provider_id"], "google");
    assert!(structured["authorization_id"].as_str().is_some());
    assert!(!structured["scopes"].as_array().unwrap().is_empty());
    assert_eq!(
        emulator
            .state()
            .executions("Mail.ListEmails", "ann@example.com"),
        0
    );

    approve(&url).await;
    let second = ann.call("Mail_ListEmails", json!({})).await;
    assert_eq!(second.is_error, Some(false), "{}", text(&second));
    assert!(second.structured_content.is_some());
    assert!(
        text(&second).contains("ann@example.com"),
        "the user's own data: {}",
        text(&second)
    );
    assert_eq!(
        emulator
            .state()
            .executions("Mail.ListEmails", "ann@example.com"),
        1
    );

    // Bob has granted nothing: he gets his own link, not Ann's grant.
    let bob = Gateway::spawn(&emulator.base_url(), "bob@example.com", &[]).await;
    let bobs = bob.call("Mail_ListEmails", json!({})).await;
    let bobs_url = authorization_url(&bobs);
    assert_ne!(bobs_url, url);
    assert_eq!(
        emulator
            .state()
            .executions("Mail.ListEmails", "bob@example.com"),
        0
    );
}

#[tokio::test]
async fn bad_arguments_are_refused_before_anything_goes_upstream() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let wrong_type = gateway.call("Math_Add", json!({"a": "two", "b": 1})).await;
    assert_eq!(wrong_type.is_error, Some(true));
    assert!(
        text(&wrong_type).contains("`a`"),
        "names the argument: {}",
        text(&wrong_type)
    );
    let missing = gateway.call("Math_Add", json!({"a": 1})).await;
    assert!(text(&missing).contains("`b`"), "{}", text(&missing));
    let unknown = gateway
        .call("Math_Add", json!({"a": 1, "b": 2, "user_id": "bob"}))
        .await;
    assert!(text(&unknown).contains("user_id"), "{}", text(&unknown));
    assert_eq!(
        emulator.state().requests("execute"),
        0,
        "nothing was sent upstream"
    );

    let ok = gateway.call("Math_Add", json!({"a": 1, "b": 2})).await;
    assert_eq!(text(&ok), "3", "the server keeps serving");
}

#[tokio::test]
async fn an_unknown_tool_is_a_protocol_error_naming_it() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let error = gateway
        .try_call("Nope_Nothing", json!({}))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("Nope_Nothing"), "{error}");
    let ok = gateway.call("Math_Add", json!({"a": 1, "b": 2})).await;
    assert_eq!(text(&ok), "3");
}

#[tokio::test]
async fn a_tool_error_carries_its_guidance_but_not_the_developer_message() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let result = gateway.call("Math_Divide", json!({"a": 1, "b": 0})).await;
    assert_eq!(result.is_error, Some(true));
    let shown = text(&result);
    assert!(
        shown.contains("Retrying the same call will not help"),
        "{shown}"
    );
    let logs = gateway.logs();
    assert!(
        logs.contains("developer_message"),
        "the developer message is logged"
    );
}
