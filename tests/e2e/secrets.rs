//! Secrets stay secret: the Arcade key, the provider token of a user's grant and the
//! password in `--redis-url` appear in no tool result and no log line, even with every
//! log level on.

use crate::support::{API_KEY, Gateway, approve, authorization_url, start_emulator, text};
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

/// The password of [`the_redis_password_never_shows`]'s Redis.
const REDIS_PASSWORD: &str = "redis-pa55-SECRET-9c1e";

#[tokio::test]
async fn the_redis_password_never_shows() {
    // A URL the gateway refuses: the error says what to give, not what was given.
    let refused = std::process::Command::new(crate::support::gateway_bin())
        .args([
            "serve",
            "--transport",
            "http",
            "--emulator",
            "--user-id",
            "ann@example.com",
        ])
        .env(
            "ARCADE_GATEWAY_REDIS_URL",
            format!("http://:{REDIS_PASSWORD}@127.0.0.1/"),
        )
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(said.contains("--redis-url"), "{said}");
    assert!(!said.contains(REDIS_PASSWORD), "{said}");

    let Some(redis) = crate::support::redis_server::RedisServer::start_with_password(
        "the_redis_password_never_shows",
        Some(REDIS_PASSWORD),
    )
    .await
    else {
        return;
    };
    let emulator = start_emulator().await;
    let (gateway, _dir) = crate::support::http::token_gateway(
        &emulator.base_url(),
        &["--redis-url", &redis.url()],
        &[],
    )
    .await;
    let client = crate::support::http::McpClient::connect(
        &gateway.mcp_url(),
        &crate::support::http::headers(&crate::support::http::bearer(
            crate::support::http::ANN_TOKEN,
        )),
    )
    .await;
    assert_eq!(
        text(&client.call("Math_Add", json!({"a": 1, "b": 1})).await),
        "2"
    );
    let ready = reqwest::get(format!("{}/readyz", gateway.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        ready.contains(r#""redis":{"status":"ok""#),
        "the password opened it: {ready}"
    );
    let shown = [ready, gateway.metrics().await, gateway.logs()];
    assert!(
        shown[2].contains("sharing limits"),
        "the logs were captured"
    );
    for text in shown {
        assert!(
            !text.contains(REDIS_PASSWORD),
            "the Redis password leaked: {text}"
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
