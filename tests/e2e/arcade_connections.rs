//! `list_connections` and `revoke_connection` for two users: each sees and revokes
//! only their own grants, whatever the arguments say, and a revoked grant gives a fresh
//! link on the next call.

use serde_json::json;

use crate::support::{Gateway, approve, assert_inbox_of, authorization_url, start_emulator, text};

/// Ann's and Bob's gateways, each granted Google through the emulator's page.
async fn both_granted(base_url: &str) -> (Gateway, Gateway) {
    let ann = Gateway::spawn(base_url, "ann@example.com", &[]).await;
    let bob = Gateway::spawn(base_url, "bob@example.com", &[]).await;
    for gateway in [&ann, &bob] {
        let first = gateway
            .call("Mail_ListEmails", json!({"n_emails": 1}))
            .await;
        approve(&authorization_url(&first)).await;
    }
    (ann, bob)
}

#[tokio::test]
async fn each_user_sees_and_revokes_only_their_own_grants() {
    let emulator = start_emulator().await;
    let (ann, bob) = both_granted(&emulator.base_url()).await;

    let listed = ann.call("list_connections", json!({})).await;
    let connections = listed.structured_content.clone().unwrap()["connections"].clone();
    assert_eq!(connections.as_array().unwrap().len(), 1, "{connections}");
    assert_eq!(connections[0]["provider_id"], "google");
    assert!(text(&listed).contains("google"), "{}", text(&listed));
    assert!(!text(&listed).contains("bob"), "{}", text(&listed));

    let unknown = ann
        .call("revoke_connection", json!({"provider_id": "github"}))
        .await;
    assert_eq!(unknown.is_error, Some(true), "{}", text(&unknown));
    let smuggled = ann
        .call(
            "revoke_connection",
            json!({"provider_id": "google", "user_id": "bob@example.com"}),
        )
        .await;
    assert_eq!(
        smuggled.is_error,
        Some(true),
        "an argument never picks the user"
    );

    let revoked = ann
        .call("revoke_connection", json!({"provider_id": "google"}))
        .await;
    assert_eq!(revoked.is_error, Some(false), "{}", text(&revoked));
    let empty = ann.call("list_connections", json!({})).await;
    assert_eq!(empty.structured_content.unwrap()["connections"], json!([]));

    // Bob's grant is untouched and still works; Ann gets a fresh link.
    let bobs = bob.call("list_connections", json!({})).await;
    assert_eq!(
        bobs.structured_content.unwrap()["connections"][0]["provider_id"],
        "google"
    );
    assert_inbox_of(
        &bob.call("Mail_ListEmails", json!({"n_emails": 1})).await,
        "bob@example.com",
    );
    let again = ann.call("Mail_ListEmails", json!({"n_emails": 1})).await;
    let url = authorization_url(&again);
    approve(&url).await;
    assert_inbox_of(
        &ann.call("Mail_ListEmails", json!({"n_emails": 1})).await,
        "ann@example.com",
    );
}

#[tokio::test]
async fn the_connection_tools_can_be_turned_off() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(
        &emulator.base_url(),
        "ann@example.com",
        &["--no-connection-tools"],
    )
    .await;
    let tools = gateway.client.list_all_tools().await.unwrap();
    assert!(tools.iter().all(|t| !t.name.contains("connection")));
    assert!(tools.iter().any(|t| t.name == "Math_Add"));
}

/// Grants `provider` to `user` on the emulator at `base_url`, as a person would
/// through the link `auth/authorize` gives.
async fn grant_provider(base_url: &str, user: &str, provider: &str) {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{base_url}/v1/auth/authorize"))
        .bearer_auth(crate::support::API_KEY)
        .json(&json!({"auth_requirement": {"provider_id": provider}, "user_id": user}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    approve(answer["url"].as_str().unwrap()).await;
}

#[tokio::test]
async fn every_page_of_a_users_connections_is_read_and_shown_with_the_account() {
    let emulator = start_emulator().await;
    let base = emulator.base_url();
    for i in 0..105 {
        grant_provider(&base, "ann@example.com", &format!("provider{i:03}")).await;
    }
    grant_provider(&base, "bob@example.com", "provider050").await;
    grant_provider(&base, "bob@example.com", "github").await;
    let ann = Gateway::spawn(&base, "ann@example.com", &[]).await;
    let bob = Gateway::spawn(&base, "bob@example.com", &[]).await;

    let listed = ann.call("list_connections", json!({})).await;
    let shown = listed.structured_content.clone().unwrap()["connections"].clone();
    assert_eq!(shown.as_array().unwrap().len(), 105, "both pages");
    assert!(
        shown
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["account"] == "ann@example.com"),
        "{shown}"
    );
    assert!(
        text(&listed).contains("- provider104 (active) as ann@example.com"),
        "{}",
        text(&listed)
    );
    let bobs = bob.call("list_connections", json!({})).await;
    let bobs = bobs.structured_content.unwrap()["connections"].clone();
    assert_eq!(bobs.as_array().unwrap().len(), 2, "{bobs}");

    let revoked = ann
        .call("revoke_connection", json!({"provider_id": "provider050"}))
        .await;
    assert_eq!(revoked.is_error, Some(false), "{}", text(&revoked));
    let after = ann.call("list_connections", json!({})).await;
    let after = after.structured_content.unwrap()["connections"].clone();
    assert_eq!(after.as_array().unwrap().len(), 104);
    let bobs = bob.call("list_connections", json!({})).await;
    let bobs = bobs.structured_content.unwrap()["connections"].clone();
    assert!(
        bobs.as_array()
            .unwrap()
            .iter()
            .any(|c| c["provider_id"] == "provider050"),
        "Bob's grant to the same provider stands: {bobs}"
    );
}
