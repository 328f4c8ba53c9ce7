//! OAuth mode: access tokens (JWT) checked against a stand-in authorization server's JWKS
//! on loopback.

use crate::support::auth_server::{AuthServer, TestKey, claims, now};
use crate::support::{bearer, with_header};
use arcade_mcp_gateway::identity::{
    AuthRejection, Authenticator, IdentityConfig, OAuthConfig, USER_ID_HEADER, UserId,
};
use axum::http::StatusCode;
use axum::http::header::WWW_AUTHENTICATE;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use url::Url;

const RESOURCE: &str = "http://127.0.0.1:9/mcp";
const METADATA: &str = "http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp";

fn config(server: &AuthServer) -> OAuthConfig {
    OAuthConfig {
        jwks_url: Some(server.jwks_url()),
        ..OAuthConfig::new(server.issuer_url(), Url::parse(RESOURCE).unwrap())
    }
}

async fn authenticator(config: OAuthConfig) -> Authenticator {
    Authenticator::new(IdentityConfig::OAuth(config))
        .await
        .unwrap()
}

async fn user_of(auth: &Authenticator, token: &str) -> Result<UserId, AuthRejection> {
    auth.authenticate(&bearer(token)).await.map(|v| v.user)
}

fn challenge(rejection: AuthRejection) -> String {
    let response = rejection.into_response();
    response.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_owned()
}

fn with(mut claims: Value, extra: Value) -> Value {
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    claims
}

#[tokio::test]
async fn a_valid_token_names_the_user_in_sub() {
    let key = TestKey::rsa_a();
    let server = AuthServer::start(&[&key]).await;
    let auth = authenticator(config(&server)).await;
    let token = key.sign(&claims(&server.issuer, RESOURCE, "ann@example.com"));
    assert_eq!(
        user_of(&auth, &token).await.unwrap(),
        UserId::new("ann@example.com")
    );
}

#[tokio::test]
async fn keys_are_discovered_from_the_issuer_and_es256_is_accepted() {
    let key = TestKey::ec();
    let server = AuthServer::start(&[&key]).await;
    let auth = authenticator(OAuthConfig::new(
        server.issuer_url(),
        Url::parse(RESOURCE).unwrap(),
    ))
    .await;
    let token = key.sign(&claims(&server.issuer, RESOURCE, "ann"));
    assert_eq!(user_of(&auth, &token).await.unwrap(), UserId::new("ann"));
    assert_eq!(server.jwks_fetches(), 1);
}

#[tokio::test]
async fn the_user_can_come_from_a_configured_claim() {
    let key = TestKey::rsa_a();
    let server = AuthServer::start(&[&key]).await;
    let auth = authenticator(OAuthConfig {
        user_claim: "email".into(),
        ..config(&server)
    })
    .await;
    let token = key.sign(&with(
        claims(&server.issuer, RESOURCE, "0a1b2c"),
        json!({"email": "ann@example.com", "email_verified": true}),
    ));
    assert_eq!(
        user_of(&auth, &token).await.unwrap(),
        UserId::new("ann@example.com")
    );

    let without_email = key.sign(&claims(&server.issuer, RESOURCE, "0a1b2c"));
    let err = user_of(&auth, &without_email).await.unwrap_err();
    assert!(err.description().contains("`email`"), "{err}");

    let unverified = key.sign(&with(
        claims(&server.issuer, RESOURCE, "0a1b2c"),
        json!({"email": "ann@example.com", "email_verified": false}),
    ));
    let err = user_of(&auth, &unverified).await.unwrap_err();
    assert!(err.description().contains("email_verified"), "{err}");
}

#[tokio::test]
async fn a_configured_audience_replaces_the_resource_url() {
    let key = TestKey::rsa_a();
    let server = AuthServer::start(&[&key]).await;
    let auth = authenticator(OAuthConfig {
        audience: Some("api://gateway".into()),
        ..config(&server)
    })
    .await;
    let good = key.sign(&claims(&server.issuer, "api://gateway", "ann"));
    assert_eq!(user_of(&auth, &good).await.unwrap(), UserId::new("ann"));
    let for_resource = key.sign(&claims(&server.issuer, RESOURCE, "ann"));
    assert!(user_of(&auth, &for_resource).await.is_err());
}

#[tokio::test]
async fn bad_tokens_are_refused_with_the_reason_and_the_metadata_url() {
    let key = TestKey::rsa_a();
    let forger = TestKey::rsa_b();
    let server = AuthServer::start(&[&key]).await;
    let auth = authenticator(config(&server)).await;
    let good = claims(&server.issuer, RESOURCE, "ann");
    let cases = [
        (
            "forged signature",
            forger.sign_as(key.kid, &good),
            "signature",
        ),
        (
            "wrong issuer",
            key.sign(&with(good.clone(), json!({"iss": "https://evil.example"}))),
            "another authorization server",
        ),
        (
            "wrong audience",
            key.sign(&with(
                good.clone(),
                json!({"aud": "https://other.example/mcp"}),
            )),
            "another resource",
        ),
        (
            "audience missing",
            key.sign(&json!({"iss": server.issuer, "sub": "ann", "exp": now() + 600})),
            "`aud`",
        ),
        (
            "expired",
            key.sign(&with(good.clone(), json!({"exp": now() - 600}))),
            "expired",
        ),
        (
            "not yet valid",
            key.sign(&with(good.clone(), json!({"nbf": now() + 600}))),
            "not valid yet",
        ),
        ("not a JWT", "opaque-token".to_owned(), "not a JWT"),
    ];
    for (case, token, reason) in cases {
        let err = user_of(&auth, &token).await.unwrap_err();
        assert_eq!(err.status(), StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(err.error_code(), "invalid_token", "{case}");
        assert!(err.description().contains(reason), "{case}: {err}");
        assert!(!err.description().contains(&token), "{case}: token echoed");
        let challenge = challenge(err);
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\", error_description=\""),
            "{case}: {challenge}"
        );
        assert!(
            challenge.ends_with(&format!("resource_metadata=\"{METADATA}\"")),
            "{case}: {challenge}"
        );
    }
}

#[tokio::test]
async fn symmetric_algorithms_are_never_accepted() {
    let server = AuthServer::start(&[&TestKey::rsa_a()]).await;
    let auth = authenticator(config(&server)).await;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("rsa-a".into());
    let hmac_key = jsonwebtoken::EncodingKey::from_secret(b"anything");
    let token =
        jsonwebtoken::encode(&header, &claims(&server.issuer, RESOURCE, "ann"), &hmac_key).unwrap();
    let err = user_of(&auth, &token).await.unwrap_err();
    assert!(err.description().contains("does not accept"), "{err}");
}

#[tokio::test]
async fn no_token_gets_a_bare_challenge_pointing_at_the_metadata() {
    let server = AuthServer::start(&[&TestKey::rsa_a()]).await;
    let auth = authenticator(config(&server)).await;
    let headers = with_header(Default::default(), USER_ID_HEADER, "ann");
    let err = auth.authenticate(&headers).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(err),
        format!("Bearer resource_metadata=\"{METADATA}\"")
    );
}

#[tokio::test]
async fn a_missing_scope_is_forbidden_with_an_insufficient_scope_challenge() {
    let key = TestKey::rsa_a();
    let server = AuthServer::start(&[&key]).await;
    let auth = authenticator(OAuthConfig {
        required_scopes: vec!["mcp:tools".into(), "email".into()],
        ..config(&server)
    })
    .await;
    let base = claims(&server.issuer, RESOURCE, "ann");

    let granted = key.sign(&with(base.clone(), json!({"scp": ["email", "mcp:tools"]})));
    assert_eq!(user_of(&auth, &granted).await.unwrap(), UserId::new("ann"));

    let lacking = key.sign(&with(base, json!({"scope": "email"})));
    let err = user_of(&auth, &lacking).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::FORBIDDEN);
    assert!(err.description().contains("mcp:tools"), "{err}");
    let challenge = challenge(err);
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(
        challenge.contains("scope=\"mcp:tools email\""),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!("resource_metadata=\"{METADATA}\"")),
        "{challenge}"
    );
}

#[tokio::test]
async fn an_unknown_key_refetches_the_jwks_so_rotated_keys_work() {
    let (old, new) = (TestKey::rsa_a(), TestKey::rsa_b());
    let server = AuthServer::start(&[&old]).await;
    let auth = authenticator(config(&server)).await;
    let good = claims(&server.issuer, RESOURCE, "ann");

    assert!(user_of(&auth, &old.sign(&good)).await.is_ok());
    assert!(user_of(&auth, &old.sign(&good)).await.is_ok());
    assert_eq!(server.jwks_fetches(), 1, "keys are cached");

    server.publish(&[&old, &new]);
    assert_eq!(
        user_of(&auth, &new.sign(&good)).await.unwrap(),
        UserId::new("ann")
    );
    assert_eq!(
        server.jwks_fetches(),
        2,
        "the unknown kid caused one refetch"
    );
}

#[tokio::test]
async fn unknown_keys_cannot_make_the_server_hammer_the_authorization_server() {
    let (key, stranger) = (TestKey::rsa_a(), TestKey::rsa_b());
    let server = AuthServer::start(&[&key]).await;
    let auth = authenticator(config(&server)).await;
    let good = claims(&server.issuer, RESOURCE, "ann");
    assert!(user_of(&auth, &key.sign(&good)).await.is_ok());

    for i in 0..10 {
        let err = user_of(&auth, &stranger.sign_as(&format!("made-up-{i}"), &good))
            .await
            .unwrap_err();
        assert_eq!(err.error_code(), "invalid_token");
        assert!(err.description().contains("key"), "{err}");
    }
    assert!(
        server.jwks_fetches() <= 3,
        "fetched {} times",
        server.jwks_fetches()
    );
    assert!(
        user_of(&auth, &key.sign(&good)).await.is_ok(),
        "known keys still work"
    );
}

#[tokio::test]
async fn an_unreachable_authorization_server_is_a_temporary_failure() {
    let (listener, addr) = crate::support::loopback_listener().await;
    drop(listener);
    let issuer = Url::parse(&format!("http://{addr}")).unwrap();
    let auth = authenticator(OAuthConfig::new(issuer, Url::parse(RESOURCE).unwrap())).await;
    let token = TestKey::rsa_a().sign(&claims(&format!("http://{addr}"), RESOURCE, "ann"));
    let err = user_of(&auth, &token).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE, "{err}");
}

#[tokio::test]
async fn two_users_at_once_are_told_apart() {
    let key = TestKey::rsa_a();
    let server = AuthServer::start(&[&key]).await;
    let auth = authenticator(config(&server)).await;
    let ann = key.sign(&claims(&server.issuer, RESOURCE, "ann"));
    let bob = key.sign(&claims(&server.issuer, RESOURCE, "bob"));
    let (a, b) = tokio::join!(user_of(&auth, &ann), user_of(&auth, &bob));
    assert_eq!(
        (a.unwrap(), b.unwrap()),
        (UserId::new("ann"), UserId::new("bob"))
    );
}

#[tokio::test]
async fn the_arcade_user_id_header_is_ignored() {
    let key = TestKey::rsa_a();
    let server = AuthServer::start(&[&key]).await;
    let auth = authenticator(config(&server)).await;
    let token = key.sign(&claims(&server.issuer, RESOURCE, "ann"));
    let headers = with_header(bearer(&token), USER_ID_HEADER, "bob");
    assert_eq!(
        auth.authenticate(&headers).await.unwrap().user,
        UserId::new("ann")
    );
}

#[tokio::test]
async fn plain_http_key_urls_off_loopback_are_a_config_error() {
    let config = OAuthConfig::new(
        Url::parse("http://auth.example").unwrap(),
        Url::parse(RESOURCE).unwrap(),
    );
    let err = Authenticator::new(IdentityConfig::OAuth(config))
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("https"), "{err}");
}
