//! How an authorization reaches the person, per client, over stdio with the real
//! gateway binary and the emulator: URL elicitation (2025-11-25), multi round-trip
//! requests (2026-07-28, driven by rmcp's client and by hand), and the in-call wait
//! with progress for clients that cannot be asked. The client's handler plays the
//! person: it "opens" the link by answering the emulator's approval page.

use std::time::Duration;

use crate::support::mrtr::{first_round, retry, sealed_state_is_checked_before_running_once};
use crate::support::person::{Answer, Person};
use crate::support::{Gateway, assert_inbox_of, eventually, mail_runs, start_emulator, text};
use arcade_mcp_gateway::emulator::Emulator;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, ClientRequest, JsonObject,
    ProtocolVersion,
};
use rmcp::service::{ClientLifecycleMode, PeerRequestOptions};
use serde_json::json;

/// Shared by the tests' gateways that must open each other's `requestState`.
const STATE_KEY: &str = "test-request-state-key-0123456789abcdef";

fn legacy() -> ClientLifecycleMode {
    ClientLifecycleMode::Initialize
}

fn stateless() -> ClientLifecycleMode {
    crate::support::discover(ProtocolVersion::V_2026_07_28)
}

/// A gateway for Ann with `person` as the client.
async fn ann(
    emulator: &Emulator,
    person: Person,
    lifecycle: ClientLifecycleMode,
    extra: &[&str],
) -> Gateway<Person> {
    let url = emulator.base_url();
    Gateway::spawn_with(person, lifecycle, &url, "ann@example.com", extra).await
}

fn mail_call() -> CallToolRequestParams {
    CallToolRequestParams::new("Mail_ListEmails").with_arguments(JsonObject::new())
}

#[tokio::test]
async fn url_elicitation_answers_the_first_call_with_the_tools_result() {
    let emulator = start_emulator().await;
    let person = Person::new(Answer::Approve);
    let ann = ann(&emulator, person.clone(), legacy(), &[]).await;

    let result = ann.call("Mail_ListEmails", json!({})).await;
    assert_inbox_of(&result, "ann@example.com");
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 1);
    let seen = person.seen();
    assert_eq!(seen.elicitations.len(), 1, "asked once");
    let (message, url) = &seen.elicitations[0];
    assert!(message.contains("Google"), "names the provider: {message}");
    assert!(
        message.contains("gmail"),
        "names the access asked: {message}"
    );
    assert!(url.starts_with(&emulator.base_url()), "{url}");
    assert_eq!(seen.completions, 1, "the elicitation is closed");
    drop(seen);
    let logs = ann.logs();
    assert!(
        logs.contains("url_elicitation") && logs.contains("outcome=\"granted\""),
        "{logs}"
    );
    assert!(!logs.contains("tok_"), "no provider token in the logs");
    assert!(
        !logs.contains(crate::support::API_KEY),
        "no Arcade key in the logs"
    );
}

#[tokio::test]
async fn a_declined_elicitation_says_so_and_keeps_the_link() {
    let emulator = start_emulator().await;
    let person = Person::new(Answer::Decline);
    let ann = ann(&emulator, person.clone(), legacy(), &[]).await;

    let result = ann.call("Mail_ListEmails", json!({})).await;
    assert_eq!(result.is_error, Some(true));
    let structured = result.structured_content.clone().unwrap();
    assert_eq!(structured["status"], "declined", "{structured}");
    let url = structured["authorization_url"].as_str().unwrap();
    assert_eq!(url, person.seen().elicitations[0].1, "the same link");
    assert!(text(&result).contains("declined") && text(&result).contains(url));
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 0);
}

#[tokio::test]
async fn a_denied_grant_gives_a_fresh_link() {
    let emulator = start_emulator().await;
    let person = Person::new(Answer::Deny);
    let ann = ann(&emulator, person.clone(), legacy(), &[]).await;

    let result = ann.call("Mail_ListEmails", json!({})).await;
    let structured = result.structured_content.clone().unwrap();
    assert_eq!(structured["status"], "failed", "{structured}");
    let fresh = structured["authorization_url"].as_str().unwrap();
    assert_ne!(
        fresh,
        person.seen().elicitations[0].1,
        "a new link, not the denied one"
    );
    assert!(text(&result).contains("fresh link"), "{}", text(&result));
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 0);
}

#[tokio::test]
async fn an_accepted_elicitation_never_approved_times_out() {
    let emulator = start_emulator().await;
    let person = Person::new(Answer::Forget);
    let ann = ann(&emulator, person, legacy(), &["--auth-timeout", "2"]).await;

    let started = std::time::Instant::now();
    let result = ann.call("Mail_ListEmails", json!({})).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by --auth-timeout"
    );
    let structured = result.structured_content.clone().unwrap();
    assert_eq!(structured["status"], "timed_out", "{structured}");
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 0);
}

#[tokio::test]
async fn mrtr_is_driven_by_rmcps_client_to_the_tools_result() {
    let emulator = start_emulator().await;
    let person = Person::new(Answer::Approve);
    let ann = ann(&emulator, person.clone(), stateless(), &[]).await;

    let result = ann.call("Mail_ListEmails", json!({})).await;
    assert_inbox_of(&result, "ann@example.com");
    assert_eq!(person.seen().elicitations.len(), 1);
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 1);
    assert!(ann.logs().contains("input_required"), "{}", ann.logs());
}

#[tokio::test]
async fn mrtr_by_hand_checks_the_sealed_state_before_running_once() {
    let emulator = start_emulator().await;
    let key = ["--request-state-key", STATE_KEY];
    let ann = ann(&emulator, Person::new(Answer::Forget), stateless(), &key).await;
    let bob = Gateway::spawn_with(
        Person::new(Answer::Forget),
        stateless(),
        &emulator.base_url(),
        "bob@example.com",
        &key,
    )
    .await;
    sealed_state_is_checked_before_running_once(&ann.client, &bob.client, &emulator).await;
    assert!(
        !ann.logs().contains(STATE_KEY) && !bob.logs().contains(STATE_KEY),
        "the key stays out of the logs"
    );
}

#[tokio::test]
async fn mrtr_declined_in_the_client_keeps_the_link() {
    let emulator = start_emulator().await;
    let ann = ann(&emulator, Person::new(Answer::Forget), stateless(), &[]).await;
    let (state, url) = first_round(&ann.client, json!({})).await;
    let CallToolResponse::Complete(result) = ann
        .client
        .call_tool_once(retry(&state, json!({}), "decline"))
        .await
        .unwrap()
    else {
        panic!("expected a result");
    };
    let structured = result.structured_content.unwrap();
    assert_eq!(structured["status"], "declined");
    assert_eq!(structured["authorization_url"], url.as_str());
}

#[tokio::test]
async fn without_elicitation_the_call_waits_with_progress_and_runs_once_granted() {
    let emulator = start_emulator().await;
    let person = Person::without_elicitation(Some(Duration::from_secs(1)));
    let ann = ann(&emulator, person.clone(), legacy(), &["--auth-wait", "5"]).await;

    let result = ann.call("Mail_ListEmails", json!({})).await;
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 1);
    let seen = person.seen();
    assert!(!seen.progress.is_empty(), "progress was reported");
    assert!(
        seen.progress.windows(2).all(|w| w[0] < w[1]),
        "{:?}",
        seen.progress
    );
    assert_eq!(seen.logs.len(), 1, "one log message with the link");
    assert!(seen.logs[0]["message"].as_str().unwrap().contains("Google"));
}

#[tokio::test]
async fn a_cancelled_call_stops_waiting_upstream_at_once() {
    let emulator = start_emulator().await;
    let person = Person::without_elicitation(None);
    let ann = ann(&emulator, person.clone(), legacy(), &["--auth-wait", "30"]).await;

    let request = ClientRequest::CallToolRequest(CallToolRequest::new(mail_call()));
    let handle = ann
        .client
        .peer()
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .unwrap();
    eventually("the link is logged", || !person.seen().logs.is_empty()).await;
    let id = person.seen().logs[0]["authorization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually("the gateway long-polls", || {
        emulator.state().auth_waiters(&id) == 1
    })
    .await;

    handle
        .cancel(Some("the user gave up".to_owned()))
        .await
        .unwrap();
    eventually("the long-poll is dropped", || {
        emulator.state().auth_waiters(&id) == 0
    })
    .await;
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 0);
    let ok = ann.call("Math_Add", json!({"a": 1, "b": 2})).await;
    assert_eq!(text(&ok), "3", "the server keeps serving");
}

#[tokio::test]
async fn without_elicitation_an_unanswered_wait_ends_with_the_link() {
    let emulator = start_emulator().await;
    let person = Person::without_elicitation(None);
    let ann = ann(&emulator, person.clone(), legacy(), &["--auth-wait", "1"]).await;

    let result = ann.call("Mail_ListEmails", json!({})).await;
    let structured = result.structured_content.clone().unwrap();
    assert_eq!(structured["status"], "not_granted", "{structured}");
    let logged = person.seen().logs[0]["authorization_url"].clone();
    assert_eq!(
        structured["authorization_url"], logged,
        "the link of the log message"
    );
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 0);
}
