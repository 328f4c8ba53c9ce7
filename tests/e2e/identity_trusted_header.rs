//! Trusted-header mode: `Arcade-User-Id` believed only next to the proxy's secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::support::with_header;
use arcade_mcp_gateway::identity::{
    Authenticator, IdentityConfig, IdentityError, PROXY_SECRET_HEADER, USER_ID_HEADER, UserId,
};
use axum::http::{HeaderMap, StatusCode};

const SECRET: &str = "proxy-secret-5c1f9e7a3b8d2f6e0a4c9b7d1e5f3a8c";

async fn authenticator() -> Authenticator {
    let config = IdentityConfig::trusted_header(Some(SECRET.into())).unwrap();
    Authenticator::new(config).await.unwrap()
}

fn from_proxy(secret: &str, user: &str) -> HeaderMap {
    let headers = with_header(HeaderMap::new(), PROXY_SECRET_HEADER, secret);
    with_header(headers, USER_ID_HEADER, user)
}

/// Everything logged while `f` runs on this thread.
fn logs_of<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    (out, logs)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

#[tokio::test]
async fn the_proxy_names_the_user_and_two_users_are_told_apart() {
    let auth = authenticator().await;
    let (ann, bob) = (from_proxy(SECRET, "ann"), from_proxy(SECRET, "bob"));
    let (ann, bob) = tokio::join!(auth.authenticate(&ann), auth.authenticate(&bob));
    assert_eq!(ann.unwrap().user, UserId::new("ann"));
    assert_eq!(bob.unwrap().user, UserId::new("bob"));
}

#[test]
fn a_user_header_without_the_right_secret_is_refused_and_logged() {
    let auth = block_on(authenticator());
    let wrong = format!("{SECRET}x");
    let no_secret = with_header(HeaderMap::new(), USER_ID_HEADER, "ann");
    for (case, headers) in [
        ("wrong secret", from_proxy(&wrong, "ann")),
        ("no secret", no_secret),
    ] {
        let (result, logs) = logs_of(|| block_on(auth.authenticate(&headers)));
        let err = result.unwrap_err();
        assert_eq!(err.status(), StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(err.error_code(), "invalid_token", "{case}");
        assert!(
            logs.contains("WARN") && logs.contains("ann"),
            "{case}: {logs}"
        );
        assert!(!logs.contains(SECRET), "{case}: the secret was logged");
    }
}

#[tokio::test]
async fn a_request_with_neither_header_is_asked_to_go_through_the_proxy() {
    let err = authenticator()
        .await
        .authenticate(&HeaderMap::new())
        .await
        .unwrap_err();
    assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(err.error_code(), "unauthorized");
    assert!(err.description().contains("proxy"), "{err}");
}

#[tokio::test]
async fn the_proxy_must_name_a_user() {
    let auth = authenticator().await;
    let secret_only = with_header(HeaderMap::new(), PROXY_SECRET_HEADER, SECRET);
    assert!(auth.authenticate(&secret_only).await.is_err());
    assert!(auth.authenticate(&from_proxy(SECRET, "")).await.is_err());
}

#[tokio::test]
async fn repeated_headers_are_refused() {
    let auth = authenticator().await;
    let two_users = with_header(from_proxy(SECRET, "ann"), USER_ID_HEADER, "bob");
    assert_eq!(
        auth.authenticate(&two_users).await.unwrap_err().status(),
        StatusCode::BAD_REQUEST
    );
    let two_secrets = with_header(from_proxy(SECRET, "ann"), PROXY_SECRET_HEADER, SECRET);
    assert_eq!(
        auth.authenticate(&two_secrets).await.unwrap_err().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_mode_without_a_usable_secret_is_a_config_error() {
    assert!(matches!(
        IdentityConfig::trusted_header(None),
        Err(IdentityError::ProxySecretMissing)
    ));
    let empty = IdentityConfig::TrustedHeader { secret: "".into() };
    let err = Authenticator::new(empty).await.err().unwrap();
    assert!(matches!(err, IdentityError::ProxySecretMissing), "{err}");
    let short = IdentityConfig::TrustedHeader {
        secret: "hunter2".into(),
    };
    let err = Authenticator::new(short).await.err().unwrap();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[tokio::test]
async fn other_modes_ignore_the_header_even_with_the_secret() {
    let fixed = Authenticator::new(IdentityConfig::Fixed(UserId::new("ann")))
        .await
        .unwrap();
    let user = fixed
        .authenticate(&from_proxy(SECRET, "bob"))
        .await
        .unwrap()
        .user;
    assert_eq!(user, UserId::new("ann"));
}
