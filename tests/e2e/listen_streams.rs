//! `subscriptions/listen` streams (2026-07-28) over HTTP hold a connection each for as
//! long as they last: they count per user with the sessions, so one user cannot take
//! every connection with them, and each ends after its lifetime.

use std::time::Duration;

use rmcp::model::{ProtocolVersion, SubscriptionFilter};
use serde_json::json;

use crate::support::http::{ANN_TOKEN, BOB_TOKEN, McpClient, bearer, headers, token_gateway};
use crate::support::{discover, start_emulator, text};

/// What a listener asks for: the tool list's changes.
fn tool_changes() -> SubscriptionFilter {
    let mut filter = SubscriptionFilter::new();
    filter.tools_list_changed = Some(true);
    filter
}

#[tokio::test]
async fn one_users_listen_streams_cannot_take_every_connection() {
    let emulator = start_emulator().await;
    let (gateway, _dir) = token_gateway(
        &emulator.base_url(),
        &["--stateless", "--max-connections", "24"],
        &[],
    )
    .await;
    let lifecycle = || discover(ProtocolVersion::V_2026_07_28);
    let ann = McpClient::connect_with(
        (),
        lifecycle(),
        &gateway.mcp_url(),
        &headers(&bearer(ANN_TOKEN)),
    )
    .await;
    let mut listening = Vec::new();
    let mut refused = 0;
    for _ in 0..48 {
        let attempt =
            tokio::time::timeout(Duration::from_secs(2), ann.client.listen(tool_changes())).await;
        match attempt {
            Ok(Ok(subscription)) => listening.push(subscription),
            Ok(Err(_)) => refused += 1,
            // Waiting for a connection the streams already took.
            Err(_) => break,
        }
    }
    assert!(
        listening.len() <= 16,
        "one user holds {} listen streams",
        listening.len()
    );
    assert!(refused > 0, "no listen stream was refused");

    let bob = tokio::time::timeout(Duration::from_secs(10), async {
        let bob = McpClient::connect_with(
            (),
            lifecycle(),
            &gateway.mcp_url(),
            &headers(&bearer(BOB_TOKEN)),
        )
        .await;
        bob.call("Math_Add", json!({"a": 2, "b": 3})).await
    })
    .await
    .expect("another user is served beside the listen streams");
    assert_eq!(text(&bob), "5");
    assert!(
        gateway.logs().contains("listen"),
        "the refusal is logged: {}",
        gateway.logs()
    );
}

#[tokio::test]
async fn a_listen_stream_ends_after_its_lifetime() {
    let emulator = start_emulator().await;
    let (gateway, _dir) = token_gateway(
        &emulator.base_url(),
        &["--stateless", "--listen-lifetime", "2"],
        &[],
    )
    .await;
    let ann = McpClient::connect_with(
        (),
        discover(ProtocolVersion::V_2026_07_28),
        &gateway.mcp_url(),
        &headers(&bearer(ANN_TOKEN)),
    )
    .await;
    let mut subscription = ann.client.listen(tool_changes()).await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = subscription.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream is still open after its lifetime");
}
