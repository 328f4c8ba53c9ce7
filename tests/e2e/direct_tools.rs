//! Direct tools end to end: the real gateway binary over stdio (rmcp's client), the
//! emulator on loopback playing both Arcade and the provider (its fake Gmail and
//! GitHub accept only tokens of live grants).

use crate::support::{API_KEY, Gateway, approve, authorization_url, start_emulator, text};
use arcade_mcp_gateway::arcade::types::{AuthAuthorizeRequest, AuthRequirement, OAuth2Requirement};
use arcade_mcp_gateway::arcade::{ArcadeClient, ArcadeSettings};
use serde_json::{Value, json};

const GMAIL_SCOPE: &str = "https://www.googleapis.com/auth/gmail.readonly";

/// A direct tools file whose tools call the emulator's fake providers.
pub(crate) fn tools_file(base_url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        r#"
[[tool]]
name = "Gmail_ListMyMessages"
description = "Lists the user's messages."
grant = {{ provider_id = "google", scopes = ["{GMAIL_SCOPE}"] }}
annotations = {{ read_only = true }}
parameters = [{{ name = "max_results", value_schema = {{ val_type = "integer" }} }}]
request = {{ url = "{base_url}/provider/google/gmail/v1/users/me/messages", query = {{ maxResults = "{{max_results}}" }} }}
response = {{ pointer = "/messages" }}

[[tool]]
name = "Gmail_GetMyMessage"
description = "Gets one message."
grant = {{ provider_id = "google", scopes = ["{GMAIL_SCOPE}"] }}
input_schema = {{ type = "object", required = ["id"], properties = {{ id = {{ type = "string" }} }} }}
request = {{ url = "{base_url}/provider/google/gmail/v1/users/me/messages/{{id}}" }}

[[tool]]
name = "Gmail_Missing"
description = "A path the provider does not have."
grant = {{ provider_id = "google", scopes = ["{GMAIL_SCOPE}"] }}
request = {{ url = "{base_url}/provider/google/gmail/v1/nothing-here" }}

[[tool]]
name = "Gmail_Redirected"
description = "A path that redirects to another host."
grant = {{ provider_id = "google", scopes = ["{GMAIL_SCOPE}"] }}
request = {{ url = "{base_url}/provider/redirect-away" }}

[[tool]]
name = "GitHub_ListMyRepos"
description = "Lists the user's repositories."
grant = {{ provider_id = "github", scopes = ["repo"] }}
request = {{ url = "{base_url}/provider/github/user/repos" }}
"#
    );
    std::fs::write(dir.path().join("direct.toml"), toml).unwrap();
    dir
}

/// An emulator, a direct tools file for it, and a way to start gateways on both.
struct World {
    emulator: arcade_mcp_gateway::emulator::Emulator,
    base: String,
    file: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        let emulator = start_emulator().await;
        let base = emulator.base_url();
        let file = tools_file(&base);
        Self {
            emulator,
            base,
            file,
        }
    }

    /// A gateway process serving the direct tools for `user`.
    async fn gateway(&self, user: &str) -> Gateway {
        let path = self.file.path().join("direct.toml");
        Gateway::spawn(
            &self.base,
            user,
            &["--direct-tools", path.to_str().unwrap()],
        )
        .await
    }

    fn requests(&self, endpoint: &str) -> u64 {
        self.emulator.state().requests(endpoint)
    }
}

fn arcade(base_url: &str) -> ArcadeClient {
    ArcadeClient::new(ArcadeSettings::new(
        base_url.parse().unwrap(),
        API_KEY.to_owned().into(),
    ))
    .unwrap()
}

/// The token the emulator issued for the user's Gmail grant, as Arcade hands it out.
async fn gmail_token(base_url: &str, user: &str) -> String {
    let request = AuthAuthorizeRequest {
        auth_requirement: AuthRequirement {
            provider_id: Some("google".into()),
            oauth2: Some(OAuth2Requirement {
                scopes: Some(vec![GMAIL_SCOPE.into()]),
            }),
            ..Default::default()
        },
        user_id: user.to_owned(),
        next_uri: None,
    };
    let auth = arcade(base_url).authorize(&request).await.unwrap();
    auth.context
        .and_then(|c| c.token)
        .expect("a completed grant has a token")
}

#[tokio::test]
async fn no_grant_gives_the_link_then_approval_gives_the_providers_data_and_no_token_leaks() {
    let world = World::new().await;
    let ann = world.gateway("ann@example.com").await;

    let tools = ann.client.list_all_tools().await.unwrap();
    assert!(
        tools.iter().any(|t| t.name == "Math_Add"),
        "the catalog is still served"
    );
    let list = tools
        .iter()
        .find(|t| t.name == "Gmail_ListMyMessages")
        .expect("direct tool listed");
    assert_eq!(
        list.input_schema["properties"]["max_results"]["type"],
        "integer"
    );
    assert_eq!(
        list.annotations.as_ref().unwrap().read_only_hint,
        Some(true)
    );
    let meta = serde_json::to_value(list.meta.as_ref().unwrap()).unwrap();
    assert_eq!(meta["dev.arcade/authorization"]["provider_id"], "google");
    assert_eq!(
        meta["dev.arcade/authorization"]["scopes"],
        json!([GMAIL_SCOPE])
    );

    let mut shown = Vec::new();
    let first = ann
        .call("Gmail_ListMyMessages", json!({"max_results": 2}))
        .await;
    shown.push(format!("{} {:?}", text(&first), first.structured_content));
    let url = authorization_url(&first);
    assert_eq!(first.is_error, Some(true));
    assert!(
        text(&first).contains("call `Gmail_ListMyMessages` again"),
        "{}",
        text(&first)
    );
    assert_eq!(
        first.structured_content.as_ref().unwrap()["provider_id"],
        "google"
    );
    assert_eq!(
        world.requests("provider"),
        0,
        "nothing went to the provider"
    );

    let bad = ann
        .call("Gmail_ListMyMessages", json!({"max_results": "two"}))
        .await;
    shown.push(text(&bad));
    assert_eq!(bad.is_error, Some(true));
    assert!(text(&bad).contains("max_results"), "{}", text(&bad));
    assert_eq!(
        world.requests("auth.authorize"),
        1,
        "bad arguments go nowhere"
    );

    approve(&url).await;
    let listed = ann
        .call("Gmail_ListMyMessages", json!({"max_results": 2}))
        .await;
    shown.push(format!("{} {:?}", text(&listed), listed.structured_content));
    assert_eq!(listed.is_error, Some(false), "{}", text(&listed));
    let messages: Value = serde_json::from_str(&text(&listed)).unwrap();
    assert_eq!(
        messages.as_array().unwrap().len(),
        2,
        "the query parameter arrived"
    );
    assert_eq!(messages[0]["snippet"], "Message 1 for ann@example.com");
    assert_eq!(listed.structured_content, Some(json!({"result": messages})));

    // The token is cached: the second call goes straight to the provider.
    let authorizes = world.requests("auth.authorize");
    let again = ann.call("Gmail_ListMyMessages", json!({})).await;
    shown.push(text(&again));
    assert_eq!(again.is_error, Some(false), "{}", text(&again));
    assert_eq!(world.requests("auth.authorize"), authorizes);

    for (tool, expected) in [
        ("Gmail_Missing", "answered 404: no such resource"),
        (
            "Gmail_Redirected",
            "redirected to another host (http://evil.invalid/collect)",
        ),
    ] {
        let failed = ann.call(tool, json!({})).await;
        shown.push(text(&failed));
        assert_eq!(failed.is_error, Some(true), "{tool}");
        assert!(text(&failed).contains(expected), "{}", text(&failed));
    }

    let github = ann.call("GitHub_ListMyRepos", json!({})).await;
    shown.push(text(&github));
    authorization_url(&github); // another provider needs its own grant
    assert_eq!(
        github.structured_content.as_ref().unwrap()["provider_id"],
        "github"
    );

    let token = gmail_token(&world.base, "ann@example.com").await;
    let logs = ann.logs();
    assert!(logs.contains("direct tool call"), "the logs were captured");
    for secret in [token.as_str(), API_KEY] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
        assert!(
            shown.iter().all(|s| !s.contains(secret)),
            "a secret leaked into a result"
        );
    }
}

#[tokio::test]
async fn one_users_grant_never_serves_another() {
    let world = World::new().await;
    let ann = world.gateway("ann@example.com").await;
    let bob = world.gateway("bob@example.com").await;

    approve(&authorization_url(
        &ann.call("GitHub_ListMyRepos", json!({})).await,
    ))
    .await;
    let anns = ann.call("GitHub_ListMyRepos", json!({})).await;
    assert!(text(&anns).contains("ann/notes"), "{}", text(&anns));

    let bobs_first = bob.call("GitHub_ListMyRepos", json!({})).await;
    let url = authorization_url(&bobs_first);
    approve(&url).await;
    let bobs = bob.call("GitHub_ListMyRepos", json!({})).await;
    assert!(
        text(&bobs).contains("bob/notes") && !text(&bobs).contains("ann/"),
        "{}",
        text(&bobs)
    );
}

#[tokio::test]
async fn a_revoked_token_gets_one_reauthorization_then_a_fresh_link() {
    let world = World::new().await;
    let ann = world.gateway("ann@example.com").await;
    approve(&authorization_url(
        &ann.call("Gmail_ListMyMessages", json!({})).await,
    ))
    .await;
    let ok = ann.call("Gmail_ListMyMessages", json!({})).await;
    assert_eq!(ok.is_error, Some(false), "{}", text(&ok));

    let client = arcade(&world.base);
    let connections = client
        .list_user_connections(Some("ann@example.com"), Some("google"))
        .await
        .unwrap();
    for connection in connections {
        let id = connection
            .id
            .expect("the emulator gives each connection an id");
        client.delete_user_connection(&id).await.unwrap();
    }
    let (authorizes, provider) = (world.requests("auth.authorize"), world.requests("provider"));
    let revoked = ann.call("Gmail_ListMyMessages", json!({})).await;
    let url = authorization_url(&revoked);
    assert_eq!(
        world.requests("provider"),
        provider + 1,
        "the cached token was tried once"
    );
    assert_eq!(
        world.requests("auth.authorize"),
        authorizes + 1,
        "Arcade was asked once"
    );

    approve(&url).await;
    let back = ann.call("Gmail_ListMyMessages", json!({})).await;
    assert_eq!(back.is_error, Some(false), "{}", text(&back));
}

#[tokio::test]
async fn parameter_values_cannot_change_the_host_or_the_path() {
    let world = World::new().await;
    let ann = world.gateway("ann@example.com").await;
    approve(&authorization_url(
        &ann.call("Gmail_GetMyMessage", json!({"id": "m1"})).await,
    ))
    .await;

    let prefix = "/provider/google/gmail/v1/users/me/messages/";
    for id in [
        "m1",
        "../../../github/user/repos",
        "..%2F..%2Fadmin",
        "a@evil.example",
        "//evil.example/x",
        "%2F",
        "%2e%2e",
        "x?maxResults=1",
        "x#frag",
        "http://evil.example",
        "\\..\\x",
        "a b/c",
    ] {
        let result = ann.call("Gmail_GetMyMessage", json!({"id": id})).await;
        assert_eq!(result.is_error, Some(false), "{id}: {}", text(&result));
        let answer = result.structured_content.unwrap();
        assert_eq!(answer["id"], id, "the value arrived as one segment, intact");
        assert_eq!(answer["owner"], "ann@example.com");
        let raw_path = answer["raw_path"].as_str().unwrap();
        assert!(raw_path.starts_with(prefix), "{raw_path}");
        assert!(!raw_path[prefix.len()..].contains('/'), "{raw_path}");
        assert_eq!(answer["raw_query"], Value::Null, "{id}");
    }
    let (authorizes, provider) = (world.requests("auth.authorize"), world.requests("provider"));
    for id in ["..", ".", ""] {
        let result = ann.call("Gmail_GetMyMessage", json!({"id": id})).await;
        assert!(
            text(&result).contains("nothing was sent"),
            "{}",
            text(&result)
        );
        assert_eq!(result.is_error, Some(true), "{id}");
        assert!(
            text(&result).contains("may not be empty, `.` or `..`"),
            "{}",
            text(&result)
        );
    }
    assert_eq!(
        world.requests("auth.authorize"),
        authorizes,
        "refused before Arcade"
    );
    assert_eq!(
        world.requests("provider"),
        provider,
        "and before the provider"
    );
}

#[tokio::test]
async fn the_fake_provider_accepts_only_live_tokens_of_its_provider() {
    let world = World::new().await;
    let ann = world.gateway("ann@example.com").await;
    approve(&authorization_url(
        &ann.call("Gmail_ListMyMessages", json!({})).await,
    ))
    .await;
    let token = gmail_token(&world.base, "ann@example.com").await;
    let http = reqwest::Client::new();
    let get = |path: &str, token: Option<&str>| {
        let request = http.get(format!("{}/provider/{path}", world.base));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let gmail = "google/gmail/v1/users/me/messages";
    assert_eq!(get(gmail, Some(&token)).await, 200);
    assert_eq!(get(gmail, None).await, 401);
    assert_eq!(get(gmail, Some("tok_made_up")).await, 401);
    assert_eq!(
        get("github/user/repos", Some(&token)).await,
        401,
        "a Google token is no GitHub token"
    );

    let client = arcade(&world.base);
    let connections = client
        .list_user_connections(Some("ann@example.com"), None)
        .await
        .unwrap();
    for connection in connections {
        let id = connection
            .id
            .expect("the emulator gives each connection an id");
        client.delete_user_connection(&id).await.unwrap();
    }
    assert_eq!(
        get(gmail, Some(&token)).await,
        401,
        "a revoked grant's token stops working"
    );
}
