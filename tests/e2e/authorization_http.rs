//! Authorization without a retry by the model, over HTTP: multi round-trip requests
//! (2026-07-28) across two stateless replicas behind a round-robin proxy, where the
//! retry lands on the other replica; and URL elicitation (2025-11-25) in a stateful
//! session, answered in the one `tools/call`.

use crate::support::http::{ANN_TOKEN, BOB_TOKEN, HttpGateway, McpClient, bearer, headers};
use crate::support::mrtr::sealed_state_is_checked_before_running_once;
use crate::support::person::{Answer, Person};
use crate::support::round_robin::RoundRobin;
use crate::support::{assert_inbox_of, discover, mail_runs, start_emulator};
use rmcp::model::ProtocolVersion;
use rmcp::service::ClientLifecycleMode;
use serde_json::json;

/// The key both replicas seal `requestState` with.
const STATE_KEY: &str = "replicas-share-this-state-key-0123456789";

/// Two `--stateless` replicas sharing [`STATE_KEY`] behind a round-robin proxy.
pub(crate) struct Replicas {
    pub(crate) one: HttpGateway,
    pub(crate) two: HttpGateway,
    proxy: RoundRobin,
    _dirs: [tempfile::TempDir; 2],
}

impl Replicas {
    async fn start(arcade: &str) -> Self {
        Self::start_with(arcade, &[]).await
    }

    /// Two replicas serving with `extra` flags too.
    pub(crate) async fn start_with(arcade: &str, extra: &[&str]) -> Self {
        let env = [("ARCADE_GATEWAY_STATE_KEY", STATE_KEY)];
        let mut flags = vec!["--stateless"];
        flags.extend_from_slice(extra);
        let replica = || crate::support::http::token_gateway(arcade, &flags, &env);
        let ((one, dir_one), (two, dir_two)) = tokio::join!(replica(), replica());
        let proxy = RoundRobin::start(vec![one.base.clone(), two.base.clone()]).await;
        Self {
            one,
            two,
            proxy,
            _dirs: [dir_one, dir_two],
        }
    }

    /// A 2026-07-28 client for the user of `token`, through the proxy.
    pub(crate) async fn client(&self, token: &str, person: Person) -> McpClient<Person> {
        let url = format!("{}/mcp", self.proxy.base);
        let lifecycle = discover(ProtocolVersion::V_2026_07_28);
        McpClient::connect_with(person, lifecycle, &url, &headers(&bearer(token))).await
    }

    /// How many times each replica logged `line`.
    pub(crate) fn logged(&self, line: &str) -> (usize, usize) {
        let count = |gateway: &HttpGateway| gateway.logs().matches(line).count();
        (count(&self.one), count(&self.two))
    }
}

#[tokio::test]
async fn mrtr_retry_lands_on_the_other_replica_and_returns_the_tools_result() {
    let emulator = start_emulator().await;
    let replicas = Replicas::start(&emulator.base_url()).await;
    let person = Person::new(Answer::Approve);
    let ann = replicas.client(ANN_TOKEN, person.clone()).await;

    let result = ann.call("Mail_ListEmails", json!({})).await;
    assert_inbox_of(&result, "ann@example.com");
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 1);
    assert_eq!(person.seen().elicitations.len(), 1);

    // The first round asked on one replica; the retry was finished by the other.
    let asked = replicas.logged("asking the user for authorization");
    let finished = replicas.logged("authorization prompt ended");
    assert!(
        (asked, finished) == ((1, 0), (0, 1)) || (asked, finished) == ((0, 1), (1, 0)),
        "asked on {asked:?}, finished on {finished:?}"
    );
    for gateway in [&replicas.one, &replicas.two] {
        assert!(!gateway.logs().contains(STATE_KEY), "the key is logged");
    }
}

#[tokio::test]
async fn mrtr_over_replicas_refuses_altered_and_other_users_state() {
    let emulator = start_emulator().await;
    let replicas = Replicas::start(&emulator.base_url()).await;
    let ann = replicas
        .client(ANN_TOKEN, Person::new(Answer::Forget))
        .await;
    let bob = replicas
        .client(BOB_TOKEN, Person::new(Answer::Forget))
        .await;
    sealed_state_is_checked_before_running_once(&ann.client, &bob.client, &emulator).await;
    let (one, two) = replicas.logged("refused requestState issued to another user");
    assert_eq!(one + two, 1, "the refusal of bob's replay is logged");
}

#[tokio::test]
async fn url_elicitation_in_a_stateful_session_answers_the_one_call() {
    let emulator = start_emulator().await;
    let (gateway, _dir) = crate::support::http::token_gateway(&emulator.base_url(), &[], &[]).await;
    let person = Person::new(Answer::Approve).speaking(ProtocolVersion::V_2025_11_25);
    let ann = McpClient::connect_with(
        person.clone(),
        ClientLifecycleMode::Initialize,
        &gateway.mcp_url(),
        &headers(&bearer(ANN_TOKEN)),
    )
    .await;

    let result = ann.call("Mail_ListEmails", json!({})).await;
    assert_inbox_of(&result, "ann@example.com");
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 1);
    assert_eq!(person.seen().elicitations.len(), 1, "asked once");
    assert_eq!(person.seen().completions, 1, "the elicitation is closed");

    // One tools/call reached the gateway, and it answered with the tool's result.
    let metrics = gateway.metrics().await;
    let calls: Vec<&str> = metrics
        .lines()
        .filter(|line| line.starts_with("arcade_gateway_tool_calls_total{"))
        .collect();
    assert_eq!(
        calls,
        ["arcade_gateway_tool_calls_total{outcome=\"ok\"} 1"],
        "{metrics}"
    );
}
