//! Every MCP protocol version rmcp negotiates, over stdio and over Streamable HTTP
//! (stateful and stateless): the client starts its lifecycle with that version, lists the
//! tools and calls one through the authorization round trip the gateway picks for it.
//!
//! Which round trip a client gets depends on the version and on whether it declares URL
//! elicitation: 2026-07-28 with it → an input-required result (rmcp's `call_tool` opens
//! the link and retries); 2025-11-25 with it → `elicitation/create` inside the one call,
//! except over stateless HTTP, where no request can reach the client and no request
//! carries what it declared at `initialize`; anything else → the link as the result,
//! approved, and a second call.

use crate::support::http::{HttpGateway, McpClient};
use crate::support::person::{Answer, Person};
use crate::support::{
    Gateway, approve, assert_inbox_of, authorization_url, call_tool, mail_runs, start_emulator,
};
use arcade_mcp_gateway::emulator::Emulator;
use rmcp::RoleClient;
use rmcp::model::ProtocolVersion;
use rmcp::service::{ClientLifecycleMode, RunningService};
use serde_json::json;

const PROXY_SECRET: &str = "proxy-secret-protocol-versions-0123456789";

/// How the authorization reaches the person.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Path {
    /// The link as the tool's result; the person approves; the model calls again.
    Link,
    /// `elicitation/create` in the call; the one call returns the tool's result.
    UrlElicitation,
    /// An input-required result; the client opens the link and retries with the state.
    InputRequired,
}

/// One row: a client speaking `version`, declaring URL elicitation or not.
struct Row {
    version: ProtocolVersion,
    url_elicitation: bool,
    expected: Path,
}

fn rows() -> Vec<Row> {
    let row = |version, url_elicitation, expected| Row {
        version,
        url_elicitation,
        expected,
    };
    vec![
        row(ProtocolVersion::V_2024_11_05, false, Path::Link),
        row(ProtocolVersion::V_2025_03_26, false, Path::Link),
        row(ProtocolVersion::V_2025_06_18, false, Path::Link),
        // URL-mode elicitation came with 2025-11-25: an older client declaring it is
        // not asked that way.
        row(ProtocolVersion::V_2025_06_18, true, Path::Link),
        row(ProtocolVersion::V_2025_11_25, false, Path::Link),
        row(ProtocolVersion::V_2025_11_25, true, Path::UrlElicitation),
        row(ProtocolVersion::V_2026_07_28, false, Path::Link),
        row(ProtocolVersion::V_2026_07_28, true, Path::InputRequired),
    ]
}

impl Row {
    /// A user of its own per row and transport, so grants and counters never mix.
    fn user(&self, transport: &str) -> String {
        let elicitation = if self.url_elicitation { "url" } else { "none" };
        format!("{}-{elicitation}-{transport}@example.com", self.version)
    }

    fn person(&self) -> Person {
        let person = if self.url_elicitation {
            Person::new(Answer::Approve)
        } else {
            Person::without_elicitation(None)
        };
        person.speaking(self.version.clone())
    }

    fn lifecycle(&self) -> ClientLifecycleMode {
        if self.version.has_initialize() {
            ClientLifecycleMode::Initialize
        } else {
            crate::support::discover(self.version.clone())
        }
    }

    /// Lists the tools and calls `Mail_ListEmails` through the round trip; checks the
    /// negotiated version, the path taken, the result and that the tool ran once.
    /// `stateless`: the server keeps no session (stateless HTTP).
    async fn check(
        &self,
        client: &RunningService<RoleClient, Person>,
        person: &Person,
        emulator: &Emulator,
        user: &str,
        stateless: bool,
    ) {
        let case = format!(
            "{} (url elicitation: {})",
            self.version, self.url_elicitation
        );
        let negotiated = client
            .peer_info()
            .expect("peer info")
            .protocol_version
            .clone();
        assert_eq!(negotiated, self.version, "{case}");
        let tools = client.list_all_tools().await.expect("tools/list");
        assert!(tools.iter().any(|t| t.name == "Mail_ListEmails"), "{case}");

        let expected = match self.expected {
            Path::UrlElicitation if stateless => Path::Link,
            path => path,
        };
        let mut result = call_tool(client, "Mail_ListEmails", json!({}))
            .await
            .unwrap();
        if expected == Path::Link {
            approve(&authorization_url(&result)).await;
            result = call_tool(client, "Mail_ListEmails", json!({}))
                .await
                .unwrap();
        }
        assert_inbox_of(&result, user);
        assert_eq!(mail_runs(emulator, user), 1, "{case}");

        let seen = person.seen();
        let asked = usize::from(expected != Path::Link);
        assert_eq!(seen.elicitations.len(), asked, "{case}");
        let completed = usize::from(expected == Path::UrlElicitation);
        assert_eq!(seen.completions, completed, "{case}");
    }
}

#[tokio::test]
async fn every_version_over_stdio() {
    let emulator = start_emulator().await;
    let url = emulator.base_url();
    futures::future::join_all(rows().iter().map(|row| async {
        let (person, user) = (row.person(), row.user("stdio"));
        let gateway = Gateway::spawn_with(person.clone(), row.lifecycle(), &url, &user, &[]).await;
        row.check(&gateway.client, &person, &emulator, &user, false)
            .await;
    }))
    .await;
}

/// Every row against one gateway over HTTP, each row as its own user.
async fn every_version_over_http(extra: &[&str], transport: &str) {
    let emulator = start_emulator().await;
    let mut args = vec!["--trust-user-header"];
    args.extend_from_slice(extra);
    let gateway = HttpGateway::start(
        &emulator.base_url(),
        &args,
        &[("ARCADE_GATEWAY_PROXY_SECRET", PROXY_SECRET)],
    )
    .await;
    let url = gateway.mcp_url();
    futures::future::join_all(rows().iter().map(|row| async {
        let (person, user) = (row.person(), row.user(transport));
        let headers = [
            ("arcade-user-id", user.as_str()),
            ("x-gateway-proxy-secret", PROXY_SECRET),
        ];
        let client = McpClient::connect_with(person.clone(), row.lifecycle(), &url, &headers).await;
        let stateless = extra.contains(&"--stateless");
        row.check(&client.client, &person, &emulator, &user, stateless)
            .await;
    }))
    .await;
}

#[tokio::test]
async fn every_version_over_stateful_http() {
    every_version_over_http(&[], "stateful").await;
}

#[tokio::test]
async fn every_version_over_stateless_http() {
    every_version_over_http(&["--stateless"], "stateless").await;
}
