//! Fixed-user mode: one user for every call, and only on loopback.

use arcade_mcp_gateway::identity::{Authenticator, IdentityConfig, IdentityError, UserId};
use axum::http::HeaderMap;

#[tokio::test]
async fn every_request_acts_for_the_fixed_user() {
    let auth = Authenticator::new(IdentityConfig::Fixed(UserId::new("ann")))
        .await
        .unwrap();
    assert_eq!(
        auth.authenticate(&HeaderMap::new()).await.unwrap().user,
        UserId::new("ann")
    );
}

#[tokio::test]
async fn an_empty_fixed_user_is_a_config_error() {
    let err = Authenticator::new(IdentityConfig::Fixed(UserId::new(" ")))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, IdentityError::EmptyUserId), "{err}");
}

#[test]
fn a_fixed_user_refuses_a_public_bind_and_says_what_to_do() {
    let config = IdentityConfig::Fixed(UserId::new("ann"));
    assert!(config.check_bind("127.0.0.1:8000".parse().unwrap()).is_ok());
    let err = config
        .check_bind("0.0.0.0:8000".parse().unwrap())
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("0.0.0.0:8000") && message.contains("loopback"),
        "{message}"
    );
    assert!(
        message.contains("token file") && message.contains("OAuth"),
        "{message}"
    );
}
