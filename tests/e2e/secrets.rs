//! Secrets stay secret: the Arcade key and the provider token of a user's grant appear
//! in no tool result and no log line, even with every log level on.

use crate::common::{API_KEY, Gateway, approve, authorization_url, start_emulator, text};
use arcade_mcp_gateway::arcade::types::{AuthAuthorizeRequest, AuthRequirement, OAuth2Requirement};
use arcade_mcp_gateway::arcade::{ArcadeClient, ArcadeSettings};
use serde_json::json;

#[tokio::test]
async fn neither_the_key_nor_a_provider_token_leaks_into_results_or_logs() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let mut shown = Vec::new();

    let prompt = gateway.call("Mail_ListEmails", json!({})).await;
    shown.push(text(&prompt));
    shown.push(format!("{:?}", prompt.structured_content));
    approve(&authorization_url(&prompt)).await;
    for (tool, args) in [
        ("Mail_ListEmails", json!({})),
        ("Math_Divide", json!({"a": 1, "b": 0})),
        ("Math_Add", json!({"a": "x", "b": 1})),
    ] {
        let result = gateway.call(tool, args).await;
        shown.push(text(&result));
        shown.push(format!("{:?}", result.structured_content));
    }
    emulator.state().set_api_key("arc_rotated_key");
    shown.push(text(
        &gateway.call("Math_Add", json!({"a": 1, "b": 2})).await,
    ));
    emulator.state().set_api_key(API_KEY);

    // The provider token behind Ann's Google grant, as the direct flow would get it.
    let token = provider_token(&emulator.base_url(), "ann@example.com", GMAIL_READ).await;
    let logs = gateway.logs();
    assert!(logs.contains("tool call"), "the logs were captured");
    for secret in [API_KEY, token.as_str()] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
        assert!(
            shown.iter().all(|s| !s.contains(secret)),
            "a secret leaked into a result"
        );
    }
}

/// Gmail's read scope, which `Mail.ListEmails` asks for.
pub const GMAIL_READ: &str = "https://www.googleapis.com/auth/gmail.readonly";

/// The provider token of `user`'s Google grant of `scope`, as the direct flow would get it.
pub async fn provider_token(base_url: &str, user: &str, scope: &str) -> String {
    let settings = ArcadeSettings::new(base_url.parse().unwrap(), API_KEY.to_owned().into());
    let client = ArcadeClient::new(settings).unwrap();
    let request = AuthAuthorizeRequest {
        auth_requirement: AuthRequirement {
            provider_id: Some("google".into()),
            oauth2: Some(OAuth2Requirement {
                scopes: Some(vec![scope.to_owned()]),
            }),
            ..Default::default()
        },
        user_id: user.to_owned(),
        next_uri: None,
    };
    let auth = client.authorize(&request).await.unwrap();
    assert!(auth.is_completed(), "Ann's grant is in place");
    auth.context
        .and_then(|c| c.token)
        .expect("a completed grant carries a token")
}
