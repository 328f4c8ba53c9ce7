//! The identity middleware over real HTTP on loopback: an axum app whose handler echoes
//! the user the middleware resolved, driven by reqwest, in every identity mode.

use std::sync::Arc;

use crate::support::auth_server::{AuthServer, TestKey, claims};
use crate::support::{loopback_listener, serve, write_token_file};
use arcade_mcp_gateway::identity::{
    Authenticator, IdentityConfig, OAuthConfig, PROXY_SECRET_HEADER, USER_ID_HEADER, UserId,
    protected_resource_routes, require_identity,
};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Extension, Json, Router, middleware};
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use tempfile::TempDir;
use url::Url;

/// Echoes who the middleware says is calling, and which credential headers got through.
async fn echo(Extension(user): Extension<UserId>, headers: HeaderMap) -> Json<Value> {
    let saw_credentials = [AUTHORIZATION, USER_ID_HEADER, PROXY_SECRET_HEADER]
        .iter()
        .any(|name| headers.contains_key(name));
    Json(json!({ "user": user.as_str(), "saw_credentials": saw_credentials }))
}

/// The app as the server wires it: `/mcp` behind the middleware, metadata outside it.
fn app(auth: Arc<Authenticator>) -> Router {
    Router::new()
        .route("/mcp", post(echo))
        .layer(middleware::from_fn_with_state(
            auth.clone(),
            require_identity,
        ))
        .merge(protected_resource_routes(auth))
}

/// Serves the app for `config` on loopback; returns its base URL.
async fn start(config: impl FnOnce(&str) -> IdentityConfig) -> String {
    let (listener, addr) = loopback_listener().await;
    let base = format!("http://{addr}");
    let auth = Arc::new(Authenticator::new(config(&base)).await.unwrap());
    serve(listener, app(auth));
    base
}

async fn call(base: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .body("{}");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The users two concurrent calls were resolved to.
async fn two_users(base: &str, ann: &[(&str, &str)], bob: &[(&str, &str)]) -> (Value, Value) {
    let (a, b) = tokio::join!(call(base, ann), call(base, bob));
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(
        a["saw_credentials"], false,
        "credentials reached the handler"
    );
    (a["user"].clone(), b["user"].clone())
}

#[tokio::test]
async fn bearer_tokens_over_http() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("tokens");
    write_token_file(
        &file,
        &[
            ("tok-ann-0123456789abcdef", "ann"),
            ("tok-bob-0123456789abcdef", "bob"),
        ],
    );
    let base = start(|_| IdentityConfig::BearerTokens { file }).await;

    let ann = [
        ("authorization", "Bearer tok-ann-0123456789abcdef"),
        ("arcade-user-id", "bob"),
    ];
    let bob = [("authorization", "Bearer tok-bob-0123456789abcdef")];
    assert_eq!(
        two_users(&base, &ann, &bob).await,
        (json!("ann"), json!("bob"))
    );

    let refused = call(
        &base,
        &[("authorization", "Bearer tok-eve-0123456789abcdef")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(
        refused.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let body = refused.text().await.unwrap();
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "invalid_token");
    assert!(
        json["error_description"]
            .as_str()
            .unwrap()
            .contains("operator")
    );
    assert!(!body.contains("tok-eve"), "the token is echoed: {body}");
}

#[tokio::test]
async fn oauth_over_http_with_protected_resource_metadata() {
    let key = TestKey::rsa_a();
    let server = AuthServer::start(&[&key]).await;
    let issuer = server.issuer_url();
    let base = start(|base| {
        let resource = Url::parse(&format!("{base}/mcp")).unwrap();
        IdentityConfig::OAuth(OAuthConfig {
            required_scopes: vec!["mcp:tools".into()],
            ..OAuthConfig::new(issuer, resource)
        })
    })
    .await;
    let resource = format!("{base}/mcp");

    // An unauthenticated client follows the challenge to the metadata document.
    let refused = call(&base, &[]).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let challenge = refused.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    let metadata_url = challenge
        .strip_prefix("Bearer resource_metadata=\"")
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("unexpected challenge {challenge}"));
    assert_eq!(
        metadata_url,
        format!("{base}/.well-known/oauth-protected-resource/mcp")
    );
    for url in [
        metadata_url.to_owned(),
        format!("{base}/.well-known/oauth-protected-resource"),
    ] {
        let metadata: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        assert_eq!(metadata["resource"], resource.as_str());
        assert_eq!(
            metadata["authorization_servers"],
            json!([format!("{}/", server.issuer)])
        );
        assert_eq!(metadata["scopes_supported"], json!(["mcp:tools"]));
        assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));
    }

    let token = |user: &str, scope: &str| {
        let mut claims = claims(&server.issuer, &resource, user);
        claims["scope"] = json!(scope);
        format!("Bearer {}", key.sign(&claims))
    };
    let (ann, bob) = (token("ann", "mcp:tools"), token("bob", "mcp:tools"));
    let users = two_users(
        &base,
        &[("authorization", &ann)],
        &[("authorization", &bob)],
    )
    .await;
    assert_eq!(users, (json!("ann"), json!("bob")));

    let forbidden = call(&base, &[("authorization", &token("ann", "email"))]).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let challenge = forbidden.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"mcp:tools\""), "{challenge}");
    assert!(
        challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")),
        "{challenge}"
    );
}

#[tokio::test]
async fn trusted_header_over_http() {
    const SECRET: &str = "proxy-secret-5c1f9e7a3b8d2f6e0a4c9b7d1e5f3a8c";
    let base = start(|_| IdentityConfig::trusted_header(Some(SECRET.into())).unwrap()).await;

    let ann = [
        ("x-gateway-proxy-secret", SECRET),
        ("arcade-user-id", "ann"),
    ];
    let bob = [
        ("x-gateway-proxy-secret", SECRET),
        ("arcade-user-id", "bob"),
    ];
    assert_eq!(
        two_users(&base, &ann, &bob).await,
        (json!("ann"), json!("bob"))
    );

    let bypass = call(&base, &[("arcade-user-id", "ann")]).await;
    assert_eq!(bypass.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn fixed_user_over_http_ignores_a_claimed_user() {
    let base = start(|_| IdentityConfig::Fixed(UserId::new("ann"))).await;
    let response = call(&base, &[("arcade-user-id", "bob")]).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"user": "ann", "saw_credentials": false}));
    let metadata = reqwest::get(format!("{base}/.well-known/oauth-protected-resource"))
        .await
        .unwrap();
    assert_eq!(
        metadata.status(),
        StatusCode::NOT_FOUND,
        "no metadata outside OAuth mode"
    );
}
