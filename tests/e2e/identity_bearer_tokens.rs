//! Bearer-token mode: a file of token hashes, reloaded on SIGHUP.

use std::path::Path;
use std::time::Duration;

use crate::support::{bearer, with_header, write_token_file};
use arcade_mcp_gateway::identity::{
    Authenticator, IdentityConfig, IdentityError, USER_ID_HEADER, UserId,
};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use tempfile::TempDir;

const ANN_TOKEN: &str = "ann-7f3c9b2e4d1a8f6c0b5e2d9a7c4f1e8b";
const BOB_TOKEN: &str = "bob-2b8e5f1c7a4d9e3b6f0c8a5d2e7b4f1a";
const CAT_TOKEN: &str = "cat-9d4a1e7b3f8c2a6e0d5b9f4c1a8e3d7b";

async fn authenticator(file: &Path) -> Result<Authenticator, IdentityError> {
    Authenticator::new(IdentityConfig::BearerTokens { file: file.into() }).await
}

async fn team() -> (TempDir, std::path::PathBuf, Authenticator) {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("tokens");
    write_token_file(&file, &[(ANN_TOKEN, "ann"), (BOB_TOKEN, "bob")]);
    let auth = authenticator(&file).await.unwrap();
    (dir, file, auth)
}

async fn user(auth: &Authenticator, token: &str) -> Option<UserId> {
    auth.authenticate(&bearer(token)).await.ok().map(|v| v.user)
}

#[tokio::test]
async fn known_tokens_name_their_users_even_at_once() {
    let (_dir, _file, auth) = team().await;
    let (ann, bob) = tokio::join!(user(&auth, ANN_TOKEN), user(&auth, BOB_TOKEN));
    assert_eq!(ann, Some(UserId::new("ann")));
    assert_eq!(bob, Some(UserId::new("bob")));
}

#[tokio::test]
async fn unknown_missing_and_malformed_tokens_are_refused() {
    let (_dir, _file, auth) = team().await;

    let unknown = auth.authenticate(&bearer(CAT_TOKEN)).await.unwrap_err();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.error_code(), "invalid_token");
    assert!(!unknown.description().contains(CAT_TOKEN));

    let missing = auth.authenticate(&HeaderMap::new()).await.unwrap_err();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(
        missing.description().contains("Authorization: Bearer"),
        "{missing}"
    );

    let basic = with_header(
        HeaderMap::new(),
        AUTHORIZATION,
        &format!("Basic {ANN_TOKEN}"),
    );
    let malformed = auth.authenticate(&basic).await.unwrap_err();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_arcade_user_id_header_is_ignored() {
    let (_dir, _file, auth) = team().await;
    let spoofed = with_header(bearer(ANN_TOKEN), USER_ID_HEADER, "bob");
    assert_eq!(
        auth.authenticate(&spoofed).await.unwrap().user,
        UserId::new("ann")
    );
    let alone = with_header(HeaderMap::new(), USER_ID_HEADER, "bob");
    assert!(auth.authenticate(&alone).await.is_err());
}

#[tokio::test]
async fn the_file_holds_hashes_and_refuses_plaintext_tokens() {
    let (dir, file, _auth) = team().await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(ANN_TOKEN) && !text.contains(BOB_TOKEN));

    let plaintext = dir.path().join("plaintext");
    std::fs::write(&plaintext, format!("{ANN_TOKEN} ann\n")).unwrap();
    let err = authenticator(&plaintext).await.err().unwrap();
    assert!(
        matches!(err, IdentityError::TokenFileLine { line: 1, .. }),
        "{err}"
    );
    assert!(
        !err.to_string().contains(ANN_TOKEN),
        "the token is echoed: {err}"
    );
}

#[tokio::test]
async fn a_missing_file_stops_startup_with_its_path() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("absent");
    let err = authenticator(&file).await.err().unwrap();
    assert!(
        err.to_string().contains(&file.display().to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn reload_adds_and_revokes_tokens() {
    let (_dir, file, auth) = team().await;
    write_token_file(&file, &[(ANN_TOKEN, "ann"), (CAT_TOKEN, "cat")]);
    auth.reload().await.unwrap();
    assert_eq!(user(&auth, CAT_TOKEN).await, Some(UserId::new("cat")));
    assert_eq!(user(&auth, ANN_TOKEN).await, Some(UserId::new("ann")));
    assert_eq!(
        user(&auth, BOB_TOKEN).await,
        None,
        "bob's token was revoked"
    );
}

#[tokio::test]
async fn a_bad_file_on_reload_keeps_the_old_tokens() {
    let (_dir, file, auth) = team().await;
    std::fs::write(
        &file,
        format!("sha256:{} cat\nnot a hash\n", "0".repeat(64)),
    )
    .unwrap();
    let err = auth.reload().await.unwrap_err();
    assert!(
        matches!(err, IdentityError::TokenFileLine { line: 2, .. }),
        "{err}"
    );
    assert_eq!(user(&auth, ANN_TOKEN).await, Some(UserId::new("ann")));

    std::fs::remove_file(&file).unwrap();
    assert!(auth.reload().await.is_err());
    assert_eq!(user(&auth, BOB_TOKEN).await, Some(UserId::new("bob")));
}

#[tokio::test]
async fn sighup_reloads_the_file() {
    let (_dir, file, auth) = team().await;
    let auth = std::sync::Arc::new(auth);
    let _task = auth.spawn_reload_on_sighup().unwrap();
    write_token_file(&file, &[(CAT_TOKEN, "cat")]);

    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    for _ in 0..100 {
        if user(&auth, CAT_TOKEN).await.is_some() {
            assert_eq!(user(&auth, ANN_TOKEN).await, None);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the token file was not reloaded within 5 s of SIGHUP");
}
