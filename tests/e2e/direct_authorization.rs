//! Direct tools get the whole authorization experience of catalog tools: URL
//! elicitation that finishes the call (2025-11-25), multi round-trip requests driven by
//! rmcp's client (2026-07-28) and across two stateless replicas, and the in-call wait
//! with progress for clients that cannot be asked. The emulator plays both Arcade and
//! the provider: its fake Gmail answers only a token of a live grant.

use std::time::Duration;

use rmcp::model::ProtocolVersion;
use rmcp::service::ClientLifecycleMode;
use serde_json::{Value, json};

use crate::authorization_http::Replicas;
use crate::direct_tools::tools_file;
use crate::support::http::ANN_TOKEN;
use crate::support::person::{Answer, Person};
use crate::support::{Gateway, discover, start_emulator, text};
use arcade_mcp_gateway::emulator::Emulator;

/// The emulator, and the direct tools file for it (kept while the test runs).
async fn world() -> (Emulator, tempfile::TempDir) {
    let emulator = start_emulator().await;
    let file = tools_file(&emulator.base_url());
    (emulator, file)
}

fn direct_flag(file: &tempfile::TempDir) -> String {
    file.path().join("direct.toml").to_str().unwrap().to_owned()
}

/// Ann's gateway over stdio, serving the direct tools, with `person` as the client.
async fn ann(
    emulator: &Emulator,
    file: &tempfile::TempDir,
    person: Person,
    lifecycle: ClientLifecycleMode,
    extra: &[&str],
) -> Gateway<Person> {
    let path = direct_flag(file);
    let mut flags = vec!["--direct-tools", path.as_str()];
    flags.extend_from_slice(extra);
    Gateway::spawn_with(
        person,
        lifecycle,
        &emulator.base_url(),
        "ann@example.com",
        &flags,
    )
    .await
}

/// The lifecycle of a 2025-11-25 client (`initialize`).
fn legacy() -> ClientLifecycleMode {
    ClientLifecycleMode::Initialize
}

/// Asserts `result` is Ann's own Gmail messages, from the provider.
fn assert_anns_messages(result: &rmcp::model::CallToolResult) {
    let said = text(result);
    assert_eq!(result.is_error, Some(false), "{said}");
    let messages: Value = serde_json::from_str(&said).unwrap();
    assert_eq!(messages.as_array().map(Vec::len), Some(2), "{said}");
    assert!(said.contains("Message 1 for ann@example.com"), "{said}");
}

fn provider_calls(emulator: &Emulator) -> u64 {
    emulator.state().requests("provider")
}

#[tokio::test]
async fn url_elicitation_finishes_a_direct_tools_first_call() {
    let (emulator, file) = world().await;
    let person = Person::new(Answer::Approve);
    let ann = ann(&emulator, &file, person.clone(), legacy(), &[]).await;

    let result = ann
        .call("Gmail_ListMyMessages", json!({"max_results": 2}))
        .await;
    assert_anns_messages(&result);
    let seen = person.seen();
    assert_eq!(seen.elicitations.len(), 1, "asked once");
    assert!(
        seen.elicitations[0].0.contains("Google"),
        "{:?}",
        seen.elicitations
    );
    assert_eq!(seen.completions, 1, "the elicitation is closed");
    drop(seen);
    assert!(ann.logs().contains("url_elicitation"), "{}", ann.logs());
    assert!(
        !ann.logs().contains("tok_"),
        "no provider token in the logs"
    );
}

#[tokio::test]
async fn a_declined_elicitation_of_a_direct_tool_keeps_the_link_and_calls_nothing() {
    let (emulator, file) = world().await;
    let person = Person::new(Answer::Decline);
    let ann = ann(&emulator, &file, person.clone(), legacy(), &[]).await;

    let result = ann.call("Gmail_ListMyMessages", json!({})).await;
    let structured = result.structured_content.clone().unwrap();
    assert_eq!(structured["status"], "declined", "{structured}");
    assert_eq!(structured["provider_id"], "google");
    assert_eq!(provider_calls(&emulator), 0);
}

#[tokio::test]
async fn mrtr_is_driven_by_rmcps_client_to_a_direct_tools_result() {
    let (emulator, file) = world().await;
    let person = Person::new(Answer::Approve);
    let lifecycle = discover(ProtocolVersion::V_2026_07_28);
    let ann = ann(&emulator, &file, person.clone(), lifecycle, &[]).await;

    let result = ann
        .call("Gmail_ListMyMessages", json!({"max_results": 2}))
        .await;
    assert_anns_messages(&result);
    assert_eq!(person.seen().elicitations.len(), 1);
    assert!(ann.logs().contains("input_required"), "{}", ann.logs());
    assert_eq!(
        provider_calls(&emulator),
        1,
        "the provider is called once, when granted"
    );
}

#[tokio::test]
async fn mrtr_of_a_direct_tool_finishes_on_the_other_replica() {
    let (emulator, file) = world().await;
    let path = direct_flag(&file);
    let replicas =
        Replicas::start_with(&emulator.base_url(), &["--direct-tools", path.as_str()]).await;
    let person = Person::new(Answer::Approve);
    let ann = replicas.client(ANN_TOKEN, person.clone()).await;

    let result = ann
        .call("Gmail_ListMyMessages", json!({"max_results": 2}))
        .await;
    assert_anns_messages(&result);
    let asked = replicas.logged("asking the user for authorization");
    let finished = replicas.logged("authorization prompt ended");
    assert!(
        (asked, finished) == ((1, 0), (0, 1)) || (asked, finished) == ((0, 1), (1, 0)),
        "asked on {asked:?}, finished on {finished:?}"
    );
}

#[tokio::test]
async fn without_elicitation_a_direct_tool_waits_with_progress_and_runs_once_granted() {
    let (emulator, file) = world().await;
    let person = Person::without_elicitation(Some(Duration::from_secs(1)));
    let lifecycle = legacy();
    let ann = ann(
        &emulator,
        &file,
        person.clone(),
        lifecycle,
        &["--auth-wait", "5"],
    )
    .await;

    let result = ann
        .call("Gmail_ListMyMessages", json!({"max_results": 2}))
        .await;
    assert_anns_messages(&result);
    let seen = person.seen();
    assert!(!seen.progress.is_empty(), "progress was reported");
    assert_eq!(seen.logs.len(), 1, "one log message with the link");
    assert_eq!(provider_calls(&emulator), 1);
}

#[tokio::test]
async fn search_shows_a_direct_tools_grant() {
    let (emulator, file) = world().await;
    let person = Person::new(Answer::Approve);
    let lifecycle = legacy();
    let ann = ann(
        &emulator,
        &file,
        person,
        lifecycle,
        &["--discovery", "always"],
    )
    .await;
    let found = ann
        .call("search_tools", json!({"query": "list my gmail messages"}))
        .await;
    let tools = found.structured_content.clone().unwrap()["tools"].clone();
    let hit = (tools.as_array().unwrap().iter())
        .find(|t| t["name"] == "Gmail_ListMyMessages")
        .unwrap_or_else(|| panic!("found: {tools}"));
    assert_eq!(hit["authorization"]["provider_id"], "google", "{hit}");
    assert!(text(&found).contains("Gmail_ListMyMessages"));
    assert!(
        (text(&found).lines())
            .any(|l| l.contains("Gmail_ListMyMessages")
                && l.contains("needs the user's grant: google")),
        "{}",
        text(&found)
    );
}
