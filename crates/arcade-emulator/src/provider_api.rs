//! A fake third-party API, so the gateway's direct tools can be tested end to
//! end on loopback: a stand-in for Gmail's `users.messages` and GitHub's `user/repos`.
//!
//! Each route accepts only `Authorization: Bearer <token>` where the token belongs to
//! a grant this emulator issued for that provider with the route's scope; anything
//! else gets the 401 a real provider gives. The token is looked up in the live grants,
//! so deleting the user connection (`DELETE /v1/admin/user_connections/{id}`) makes it
//! stop working at once. The data is deterministic per user (it names the user), so a
//! test sees whose token was used. Every request is counted under the key `provider`
//! of [`EmulatorState::requests`].

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Digest;

use super::state::EmulatorState;

/// The scope the fake Gmail routes require.
pub const GMAIL_READONLY: &str = "https://www.googleapis.com/auth/gmail.readonly";

/// The scope the fake GitHub route requires.
pub const GITHUB_REPO: &str = "repo";

/// How many messages each user's fake mailbox holds.
const MAILBOX_SIZE: usize = 5;

/// The query of `users.messages.list`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default, rename = "maxResults")]
    max_results: Option<usize>,
    #[serde(default)]
    q: Option<String>,
}

/// `GET /provider/google/gmail/v1/users/me/messages`: the user's message ids, newest
/// first, like Gmail's `users.messages.list`.
pub async fn gmail_list(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    let Some(user) = holder(&state, &headers, "google", GMAIL_READONLY) else {
        return unauthorized();
    };
    let limit = query.max_results.unwrap_or(MAILBOX_SIZE).min(MAILBOX_SIZE);
    let messages: Vec<Value> = (1..=limit)
        .map(|n| {
            json!({"id": message_id(&user, n), "threadId": format!("t{n}"),
                        "snippet": format!("Message {n} for {user}")})
        })
        .collect();
    Json(json!({
        "messages": messages,
        "resultSizeEstimate": limit,
        "query": query.q,
    }))
    .into_response()
}

/// `GET /provider/google/gmail/v1/users/me/messages/{id}`: one message, with the
/// path exactly as it arrived (`raw_path`), so tests can prove what a parameter
/// value did to the URL.
pub async fn gmail_get(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let Some(user) = holder(&state, &headers, "google", GMAIL_READONLY) else {
        return unauthorized();
    };
    Json(json!({"id": id, "owner": user, "raw_path": uri.path(), "raw_query": uri.query()}))
        .into_response()
}

/// `GET /provider/github/user/repos`: the user's repositories.
pub async fn github_repos(State(state): State<EmulatorState>, headers: HeaderMap) -> Response {
    let Some(user) = holder(&state, &headers, "github", GITHUB_REPO) else {
        return unauthorized();
    };
    let login = user.split('@').next().unwrap_or(&user).to_owned();
    let repos: Vec<Value> = ["notes", "dotfiles"]
        .iter()
        .map(|name| {
            json!({"name": name, "full_name": format!("{login}/{name}"),
                           "private": *name == "notes", "owner": {"login": login}})
        })
        .collect();
    Json(Value::Array(repos)).into_response()
}

/// `GET /provider/redirect-away`: a redirect to another host, where a provider token
/// must never follow.
pub async fn redirect_away(State(state): State<EmulatorState>) -> Response {
    state.count_request("provider");
    (
        StatusCode::FOUND,
        [(header::LOCATION, "http://evil.invalid/collect")],
    )
        .into_response()
}

/// Anything else under `/provider`: the 404 a provider gives for an unknown path.
pub async fn not_found(State(state): State<EmulatorState>, uri: Uri) -> Response {
    state.count_request("provider");
    let message = format!("no such resource: {}", uri.path());
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": {"code": 404, "message": message}})),
    )
        .into_response()
}

/// Counts the request (and keeps its `traceparent`) and finds whose grant the bearer token is: the user, if it is a
/// live grant of `provider` covering `scope` (else the caller answers 401).
fn holder(
    state: &EmulatorState,
    headers: &HeaderMap,
    provider: &str,
    scope: &str,
) -> Option<String> {
    state.count_request("provider");
    state.note_traceparent("provider", headers);
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| state.grants().holder_of(token.trim()))
        .filter(|ask| ask.provider_id == provider && ask.scopes.contains(scope))
        .map(|ask| ask.user_id)
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(json!({"error": {"code": 401,
            "message": "Request had invalid authentication credentials. Expected OAuth 2 access token."}})),
    )
        .into_response()
}

/// A stable message id for the user's `n`-th message.
fn message_id(user: &str, n: usize) -> String {
    let digest = sha2::Sha256::digest(format!("{user}/{n}"));
    format!("m{}", &hex::encode(digest)[..12])
}
