//! The emulator's HTTP API, over real loopback sockets: every behaviour the gateway's
//! tests rely on (paging, keys, tool runs, the authorization flow, styles, faults).

use std::time::{Duration, Instant};

use arcade_emulator::{AuthRequiredStyle, CatalogSource, Emulator, EmulatorOptions, Faults};
use arcade_types::{
    AuthStatus, AuthorizationResponse, ErrorBody, ExecuteToolResponse, Page, ToolDefinition,
    UserConnection,
};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

const KEY: &str = "arc_test_key";
const READ_SCOPE: &str = "https://www.googleapis.com/auth/gmail.readonly";

struct Harness {
    emulator: Emulator,
    http: Client,
}

impl Harness {
    async fn start() -> Self {
        Self::with(EmulatorOptions {
            api_key: KEY.into(),
            ..EmulatorOptions::default()
        })
        .await
    }

    async fn with(options: EmulatorOptions) -> Self {
        let emulator = Emulator::start(options, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Self {
            emulator,
            http: Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(KEY)
            .query(query)
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Response {
        self.http
            .post(self.url(path))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn execute(&self, tool: &str, user: &str, input: Value) -> Response {
        self.post(
            "/v1/tools/execute",
            json!({"tool_name": tool, "user_id": user, "input": input}),
        )
        .await
    }

    async fn executed(&self, tool: &str, user: &str, input: Value) -> ExecuteToolResponse {
        let response = self.execute(tool, user, input).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn authorize_tool(&self, tool: &str, user: &str) -> AuthorizationResponse {
        let response = self
            .post(
                "/v1/tools/authorize",
                json!({"tool_name": tool, "user_id": user}),
            )
            .await;
        response.json().await.unwrap()
    }

    async fn connections(&self, query: &[(&str, &str)]) -> Page<UserConnection> {
        self.get("/v1/admin/user_connections", query)
            .await
            .json()
            .await
            .unwrap()
    }

    /// Posts the approve page's form, as a browser would.
    async fn decide(&self, url: &str, decision: &str) -> (StatusCode, String) {
        let response = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("decision={decision}"))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    async fn grant(&self, tool: &str, user: &str) {
        let pending = self.authorize_tool(tool, user).await;
        let (status, _) = self
            .decide(pending.url.as_deref().unwrap(), "approve")
            .await;
        assert_eq!(status, StatusCode::OK);
    }
}

async fn error_of(response: Response, status: StatusCode) -> ErrorBody {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

#[tokio::test]
async fn health_needs_no_key_and_the_api_takes_bearer_and_bare_keys() {
    let h = Harness::start().await;
    let health = h.http.get(h.url("/v1/health")).send().await.unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "as on Arcade, no key needed"
    );
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"healthy": true})
    );
    let tools = h.url("/v1/tools?limit=1");
    let bearer = h.http.get(&tools).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let bare = h
        .http
        .get(&tools)
        .header("authorization", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::OK);
    for response in [
        h.http
            .get(&tools)
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap(),
        h.http.get(&tools).send().await.unwrap(),
    ] {
        let error = error_of(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(error.name.as_deref(), Some("unauthorized"));
    }
    assert_eq!(h.emulator.state().requests("tools.list"), 4);
}

#[tokio::test]
async fn an_unhealthy_engine_answers_503_with_its_reason() {
    let h = Harness::start().await;
    h.emulator.state().set_faults(Faults {
        unhealthy: Some("maintenance".into()),
        ..Faults::default()
    });
    let health = h.http.get(h.url("/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"healthy": false, "reason": "maintenance"})
    );
}

#[tokio::test]
async fn tools_list_pages_and_filters_by_toolkit() {
    let h = Harness::start().await;
    let page: Page<ToolDefinition> = h
        .get("/v1/tools", &[("limit", "3")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (page.items.len(), page.page_count, page.total_count),
        (3, Some(3), Some(10))
    );
    let last: Page<ToolDefinition> = h
        .get("/v1/tools", &[("limit", "3"), ("offset", "9")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last.items.len(), 1);
    assert_eq!(last.offset, Some(9));
    let capped: Page<ToolDefinition> = h
        .get("/v1/tools", &[("limit", "500")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(capped.limit, Some(100));
    let default: Page<ToolDefinition> = h.get("/v1/tools", &[]).await.json().await.unwrap();
    assert_eq!(default.limit, Some(25));
    let math: Page<ToolDefinition> = h
        .get("/v1/tools", &[("toolkit", "MATH")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(math.total_count, Some(6));
    assert!(
        math.items
            .iter()
            .all(|t| t.toolkit.name == "Math" && t.behavior().is_some())
    );
    let bad = h.get("/v1/tools", &[("limit", "many")]).await;
    assert_eq!(
        error_of(bad, StatusCode::BAD_REQUEST).await.name.as_deref(),
        Some("bad_request")
    );
}

#[tokio::test]
async fn unknown_tool_is_404_and_versions_resolve() {
    let h = Harness::start().await;
    let error = error_of(
        h.get("/v1/tools/Nope.Missing", &[]).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(error.name.as_deref(), Some("not_found"));
    let add: ToolDefinition = h
        .get("/v1/tools/Math.Add@1.2.0", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(add.fully_qualified_name.as_deref(), Some("Math.Add@1.2.0"));
    error_of(
        h.execute("Nope.Missing", "u", json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    error_of(h.get("/v1/nowhere", &[]).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn execute_computes_and_reports_bad_input() {
    let h = Harness::start().await;
    let sum = h.executed("Math.Add", "u", json!({"a": 2, "b": 3.5})).await;
    assert_eq!(sum.success, Some(true));
    assert_eq!(sum.output.unwrap().value, Some(json!(5.5)));
    let list = h
        .executed("Math.SumList", "u", json!({"numbers": [1, 2, 3]}))
        .await;
    assert_eq!(list.output.unwrap().value, Some(json!(6)));

    let divided = h
        .executed("Math.Divide", "u", json!({"a": 1, "b": 0}))
        .await;
    assert_eq!(divided.success, Some(false));
    let error = divided.output.unwrap().error.unwrap();
    assert_eq!(error.kind.as_deref(), Some("TOOL_RUNTIME_BAD_INPUT_VALUE"));
    assert!(error.message.contains("divide by zero"));
    assert!(error.additional_prompt_content.is_some() && error.developer_message.is_some());

    for input in [
        json!({"a": 1}),
        json!({"a": "one", "b": 2}),
        json!({"a": 1, "b": 2, "c": 3}),
    ] {
        let rejected = h.executed("Math.Add", "u", input).await;
        let kind = rejected.output.unwrap().error.unwrap().kind;
        assert_eq!(kind.as_deref(), Some("TOOL_RUNTIME_BAD_INPUT_VALUE"));
    }
    let state = h.emulator.state();
    assert_eq!(
        state.executions("Math.Add", "u"),
        1,
        "rejected input must not count as a run"
    );
    assert_eq!(state.executions("Math.Divide", "u"), 1);
    assert_eq!(state.requests("execute"), 6);
}

#[tokio::test]
async fn bad_bodies_get_the_error_shape() {
    let h = Harness::start().await;
    let missing = h.post("/v1/tools/execute", json!({"user_id": "u"})).await;
    assert_eq!(
        error_of(missing, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .name
            .as_deref(),
        Some("validation_error")
    );
    let broken = h
        .http
        .post(h.url("/v1/tools/execute"))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(
        error_of(broken, StatusCode::BAD_REQUEST)
            .await
            .message
            .unwrap()
            .contains("JSON")
    );
}

#[tokio::test]
async fn user_id_is_needed_only_by_tools_needing_a_grant() {
    let h = Harness::start().await;
    let anonymous = json!({"tool_name": "Math.Add", "input": {"a": 1, "b": 1}});
    let sum: ExecuteToolResponse = h
        .post("/v1/tools/execute", anonymous)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sum.success, Some(true));
    let mail = h
        .post("/v1/tools/execute", json!({"tool_name": "Mail.ListEmails"}))
        .await;
    error_of(mail, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn authorization_flow_from_403_to_success() {
    let h = Harness::start().await;
    let denied = error_of(
        h.execute("Mail.ListEmails", "alice", json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(denied.name.as_deref(), Some("permission_denied"));
    assert!(denied.message.unwrap().contains("authorization required"));

    let pending = h.authorize_tool("Mail.ListEmails", "alice").await;
    assert_eq!(pending.status, Some(AuthStatus::Pending));
    assert_eq!(pending.scopes, Some(vec![READ_SCOPE.to_owned()]));
    let url = pending.url.clone().unwrap();
    let id = pending.id.clone().unwrap();
    assert_eq!(url, h.url(&format!("/authorize/{id}")));
    assert_eq!(
        h.authorize_tool("Mail.ListEmails", "alice").await.id,
        pending.id,
        "pending one is reused"
    );
    let bob = h.authorize_tool("Mail.ListEmails", "bob").await;
    assert_ne!(bob.id, pending.id, "bob gets his own authorization");

    let page = h.http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("alice") && page.contains(READ_SCOPE) && page.contains("decision"));

    // A long-poll started before the approval returns as soon as another task approves.
    let approver = tokio::spawn({
        let (http, url) = (h.http.clone(), url.clone());
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let form = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("decision=approve");
            form.send().await.unwrap().text().await.unwrap()
        }
    });
    let started = Instant::now();
    let polled = h
        .get("/v1/auth/status", &[("id", id.as_str()), ("wait", "30")])
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the long-poll must wake on approval"
    );
    let text = approver.await.unwrap();
    assert!(text.contains("Access granted, you can return to your assistant"));
    let completed: AuthorizationResponse = polled.json().await.unwrap();
    assert_eq!(completed.status, Some(AuthStatus::Completed));
    assert!(
        completed
            .context
            .unwrap()
            .token
            .unwrap()
            .starts_with("tok_")
    );

    let again = h.authorize_tool("Mail.ListEmails", "alice").await;
    assert_eq!(again.status, Some(AuthStatus::Completed));
    let emails = h
        .executed(
            "Mail.ListEmails",
            "alice",
            json!({"n_emails": 2, "folder": "inbox"}),
        )
        .await;
    assert_eq!(
        emails.output.unwrap().value.unwrap()["emails"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    error_of(
        h.execute("Mail.ListEmails", "bob", json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // The grant covers reading only: sending needs a new authorization.
    error_of(
        h.execute("Mail.SendEmail", "alice", json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let state = h.emulator.state();
    assert_eq!(state.executions("Mail.ListEmails", "alice"), 1);
    assert_eq!(state.executions("Mail.ListEmails", "bob"), 0);

    let listed = "/v1/tools/Mail.ListEmails";
    let for_alice: ToolDefinition = h
        .get(listed, &[("user_id", "alice")])
        .await
        .json()
        .await
        .unwrap();
    let for_bob: ToolDefinition = h
        .get(listed, &[("user_id", "bob")])
        .await
        .json()
        .await
        .unwrap();
    let status = |t: &ToolDefinition| {
        (
            t.auth_requirement().unwrap().token_status,
            t.requirements.as_ref().unwrap().met,
        )
    };
    assert_eq!(
        status(&for_alice),
        (Some(AuthStatus::Completed), Some(true))
    );
    assert_eq!(status(&for_bob), (Some(AuthStatus::Pending), Some(false)));
}

#[tokio::test]
async fn long_poll_times_out_while_pending_and_unknown_ids_are_404() {
    let h = Harness::start().await;
    let pending = h.authorize_tool("CodeHost.ListRepositories", "carol").await;
    let started = Instant::now();
    let still: AuthorizationResponse = h
        .get(
            "/v1/auth/status",
            &[("id", pending.id.as_deref().unwrap()), ("wait", "1")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(still.status, Some(AuthStatus::Pending));
    error_of(
        h.get("/v1/auth/status", &[("id", "ac_nope")]).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let page = h
        .http
        .get(h.url("/authorize/ac_nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deny_marks_the_authorization_failed() {
    let h = Harness::start().await;
    let pending = h.authorize_tool("CodeHost.CreateIssue", "dave").await;
    let (status, text) = h.decide(pending.url.as_deref().unwrap(), "deny").await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("Access denied"));
    let failed: AuthorizationResponse = h
        .get("/v1/auth/status", &[("id", pending.id.as_deref().unwrap())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed.status, Some(AuthStatus::Failed));
    assert!(failed.context.is_none());
    let (bad, _) = h.decide(pending.url.as_deref().unwrap(), "maybe").await;
    assert_eq!(bad, StatusCode::BAD_REQUEST);
    let fresh = h.authorize_tool("CodeHost.CreateIssue", "dave").await;
    assert_eq!(fresh.status, Some(AuthStatus::Pending));
    assert_ne!(fresh.id, pending.id);
}

#[tokio::test]
async fn each_auth_required_style() {
    let h = Harness::start().await;
    let state = h.emulator.state();
    state.set_auth_required_style(AuthRequiredStyle::OutputAuthorization);
    let answer = h.executed("Mail.SendEmail", "erin", json!({})).await;
    assert_eq!(answer.success, Some(false));
    let authorization = answer.output.unwrap().authorization.unwrap();
    assert_eq!(authorization.status, Some(AuthStatus::Pending));
    assert!(authorization.url.unwrap().contains("/authorize/ac_"));

    let set = h
        .http
        .put(h.url("/_emulator/auth-style"))
        .bearer_auth(KEY)
        .json(&json!({"style": "requirements_not_met"}));
    assert_eq!(set.send().await.unwrap().status(), StatusCode::OK);
    let answer = h.executed("Mail.SendEmail", "erin", json!({})).await;
    let error = answer.output.unwrap().error.unwrap();
    assert_eq!(error.kind.as_deref(), Some("TOOL_REQUIREMENTS_NOT_MET"));

    state.set_auth_required_style(AuthRequiredStyle::Forbidden);
    error_of(
        h.execute("Mail.SendEmail", "erin", json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(state.executions("Mail.SendEmail", "erin"), 0);
}

#[tokio::test]
async fn auth_authorize_hands_out_a_token_per_user() {
    let h = Harness::start().await;
    let ask = |user: &str| json!({"user_id": user, "auth_requirement": {"provider_id": "github", "oauth2": {"scopes": ["repo"]}}});
    let mut tokens = Vec::new();
    for user in ["frank", "grace"] {
        let pending: AuthorizationResponse = h
            .post("/v1/auth/authorize", ask(user))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(pending.status, Some(AuthStatus::Pending));
        assert!(pending.context.is_none());
        h.decide(pending.url.as_deref().unwrap(), "approve").await;
        let done: AuthorizationResponse = h
            .post("/v1/auth/authorize", ask(user))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(done.status, Some(AuthStatus::Completed));
        tokens.push(done.context.unwrap().token.unwrap());
    }
    assert_ne!(tokens[0], tokens[1]);
    // The grant works for the tools of that provider too.
    let repos = h
        .executed(
            "CodeHost.ListRepositories",
            "frank",
            json!({"visibility": "all"}),
        )
        .await;
    assert_eq!(repos.success, Some(true));
    let no_provider = h
        .post(
            "/v1/auth/authorize",
            json!({"user_id": "x", "auth_requirement": {}}),
        )
        .await;
    error_of(no_provider, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn with_a_user_verifier_consent_redirects_and_confirm_user_checks_the_owner() {
    let verifier = "https://gateway.example/arcade/verify";
    let h = Harness::with(EmulatorOptions {
        api_key: KEY.into(),
        user_verifier_url: Some(verifier.into()),
        ..EmulatorOptions::default()
    })
    .await;
    let pending = h.authorize_tool("Mail.ListEmails", "heidi").await;
    let id = pending.id.unwrap();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = no_redirects
        .post(pending.url.unwrap())
        .form(&[("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), StatusCode::SEE_OTHER);
    let location = consent.headers()["location"].to_str().unwrap().to_owned();
    let flow_id = location
        .strip_prefix(&format!("{verifier}?flow_id="))
        .unwrap_or_else(|| panic!("redirected to {location}"));
    let confirm = |user: &'static str| {
        h.post(
            "/v1/auth/confirm_user",
            json!({"flow_id": flow_id, "user_id": user}),
        )
    };
    error_of(confirm("ivan").await, StatusCode::BAD_REQUEST).await;
    let still: Value = h
        .get("/v1/auth/status", &[("id", id.as_str())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        still["status"],
        json!("pending"),
        "a refusal grants nothing"
    );
    let mine: Value = confirm("heidi").await.json().await.unwrap();
    assert_eq!(mine["auth_id"], json!(id));
    let done: Value = h
        .get("/v1/auth/status", &[("id", id.as_str())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], json!("completed"));
    error_of(confirm("heidi").await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn user_connections_list_filter_and_revoke() {
    let h = Harness::start().await;
    h.grant("Mail.ListEmails", "judy").await;
    h.grant("CodeHost.ListRepositories", "judy").await;
    h.grant("Mail.ListEmails", "mallory").await;
    assert_eq!(h.connections(&[]).await.total_count, Some(3));
    assert_eq!(
        h.connections(&[("user_id", "judy")]).await.total_count,
        Some(2)
    );
    assert_eq!(
        h.connections(&[("user.id", "judy")]).await.total_count,
        Some(3),
        "like the engine, an unknown query name is ignored: everyone's connections"
    );
    let google = h
        .connections(&[("user_id", "judy"), ("provider_id", "google")])
        .await;
    assert_eq!(google.items.len(), 1);
    assert_eq!(
        h.connections(&[("limit", "1"), ("offset", "1")])
            .await
            .items
            .len(),
        1
    );

    let id = google.items[0].id.as_deref().unwrap();
    let delete = || {
        h.http
            .delete(h.url(&format!("/v1/admin/user_connections/{id}")))
            .bearer_auth(KEY)
            .send()
    };
    assert_eq!(delete().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(delete().await.unwrap().status(), StatusCode::NOT_FOUND);
    error_of(
        h.execute("Mail.ListEmails", "judy", json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        h.executed("Mail.ListEmails", "mallory", json!({}))
            .await
            .success,
        Some(true)
    );
}

#[tokio::test]
async fn formatted_tools_in_both_formats() {
    let h = Harness::start().await;
    let openai: Page<Value> = h
        .get(
            "/v1/formatted_tools",
            &[("format", "openai"), ("toolkit", "Mail")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(openai.items[0]["function"]["name"], "Mail_ListEmails");
    let anthropic: Page<Value> = h
        .get(
            "/v1/formatted_tools",
            &[("format", "anthropic"), ("limit", "1")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(anthropic.items[0]["input_schema"]["type"], "object");
    error_of(
        h.get("/v1/formatted_tools", &[("format", "cobol")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

fn faults(f: impl FnOnce(&mut Faults)) -> Faults {
    let mut faults = Faults::default();
    f(&mut faults);
    faults
}

#[tokio::test]
async fn fault_server_error_and_rate_limit_do_not_run_the_tool() {
    let h = Harness::start().await;
    let state = h.emulator.state();
    state.set_faults(faults(|f| f.error_rate = 1.0));
    let error = error_of(
        h.execute("Math.Add", "u", json!({"a": 1, "b": 1})).await,
        StatusCode::INTERNAL_SERVER_ERROR,
    )
    .await;
    assert_eq!(error.name.as_deref(), Some("internal_error"));

    state.set_faults(faults(|f| {
        f.rate_limit_rate = 1.0;
        f.retry_after_secs = 7;
    }));
    let limited = h.execute("Math.Add", "u", json!({"a": 1, "b": 1})).await;
    assert_eq!(limited.headers()["retry-after"], "7");
    error_of(limited, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(state.executions("Math.Add", "u"), 0);
}

#[tokio::test]
async fn fault_shares_are_deterministic() {
    let h = Harness::start().await;
    h.emulator
        .state()
        .set_faults(faults(|f| f.error_rate = 0.5));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(h.get("/v1/health", &[]).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 500, 200, 500]);
}

#[tokio::test]
async fn fault_malformed_body_is_not_json() {
    let h = Harness::start().await;
    h.emulator
        .state()
        .set_faults(faults(|f| f.malformed_rate = 1.0));
    let response = h.get("/v1/tools", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
}

#[tokio::test]
async fn fault_drop_breaks_the_connection_after_running_the_tool() {
    let h = Harness::start().await;
    let state = h.emulator.state();
    state.set_faults(faults(|f| f.drop_rate = 1.0));
    let outcome = match h
        .http
        .post(h.url("/v1/tools/execute"))
        .bearer_auth(KEY)
        .json(&json!({"tool_name": "Math.Add", "user_id": "u", "input": {"a": 1, "b": 2}}))
        .send()
        .await
    {
        Ok(response) => response.bytes().await.map(drop),
        Err(error) => Err(error),
    };
    assert!(outcome.is_err(), "the client must see the connection break");
    assert_eq!(
        state.executions("Math.Add", "u"),
        1,
        "a dropped execute has run"
    );
}

#[tokio::test]
async fn fault_endpoint_filter_and_admin_endpoint() {
    let h = Harness::start().await;
    let put = |body: Value| {
        h.http
            .put(h.url("/_emulator/faults"))
            .bearer_auth(KEY)
            .json(&body)
            .send()
    };
    let set = put(json!({"error_rate": 1.0, "endpoints": ["execute"]}))
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(h.get("/v1/tools", &[]).await.status(), StatusCode::OK);
    assert_eq!(
        h.execute("Math.Add", "u", json!({"a": 1, "b": 1}))
            .await
            .status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    error_of(
        put(json!({"error_rate": 2.0})).await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    let unauthorized = h
        .http
        .put(h.url("/_emulator/faults"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);

    put(json!({"latency_ms": 300})).await.unwrap();
    let started = Instant::now();
    assert_eq!(h.get("/v1/health", &[]).await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let stats: Value = h
        .http
        .get(h.url("/_emulator/stats"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["execute"], 1);
    assert_eq!(stats["faults"]["latency_ms"], 300);
}

#[tokio::test]
async fn fixture_catalog_loads_and_echoes() {
    // The repository's copy of the real catalog; a missing file fails the start.
    let archive = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/catalog.tar.gz");
    let started = Instant::now();
    let h = Harness::with(EmulatorOptions {
        api_key: KEY.into(),
        catalog: CatalogSource::Files(vec![archive]),
        ..EmulatorOptions::default()
    })
    .await;
    eprintln!("fixture catalog loaded in {:?}", started.elapsed());
    let page: Page<ToolDefinition> = h
        .get("/v1/tools", &[("limit", "100")])
        .await
        .json()
        .await
        .unwrap();
    assert!(page.total_count.unwrap() > 6000);
    let gmail: Page<ToolDefinition> = h
        .get("/v1/tools", &[("toolkit", "gmail")])
        .await
        .json()
        .await
        .unwrap();
    assert!(gmail.total_count.unwrap() > 0);

    let all: Vec<ToolDefinition> = page.items;
    let tool = all
        .iter()
        .find(|t| t.auth_requirement().is_none() && t.input.parameters.iter().all(|p| !p.required))
        .expect("a tool needing no grant and no argument on the first page");
    let answer = h.executed(&tool.qualified_name, "zoe", json!({})).await;
    let value = answer.output.unwrap().value.unwrap();
    assert_eq!(
        value,
        json!({"tool": tool.qualified_name, "version": tool.toolkit.version, "user_id": "zoe", "input": {}})
    );
    let gated = &gmail.items[0];
    error_of(
        h.execute(&gated.qualified_name, "zoe", json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn public_url_is_the_base_of_authorization_urls() {
    let h = Harness::with(EmulatorOptions {
        api_key: KEY.into(),
        public_url: Some("https://emulator.example/".into()),
        ..EmulatorOptions::default()
    })
    .await;
    let pending = h.authorize_tool("Mail.ListEmails", "kim").await;
    let id = pending.id.unwrap();
    assert_eq!(
        pending.url.unwrap(),
        format!("https://emulator.example/authorize/{id}")
    );
    h.emulator.shutdown().await;
}

/// The awkward toolkit of `tests/fixtures/awkward`: two versions, `null` arrays, a
/// definition that does not read, and tools needing a project secret.
async fn awkward() -> Harness {
    let folder =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/awkward");
    Harness::with(EmulatorOptions {
        api_key: KEY.into(),
        catalog: CatalogSource::Files(vec![folder]),
        ..EmulatorOptions::default()
    })
    .await
}

async fn names(h: &Harness, query: &[(&str, &str)]) -> Vec<String> {
    let page: Page<Value> = h.get("/v1/tools", query).await.json().await.unwrap();
    assert_eq!(page.total_count, Some(page.items.len() as u32));
    let name = |t: &Value| {
        let version = t["toolkit"]["version"].as_str().unwrap_or("?");
        format!("{}@{version}", t["qualified_name"].as_str().unwrap())
    };
    page.items.iter().map(name).collect()
}

#[tokio::test]
async fn awkward_definitions_are_listed_as_written() {
    let h = awkward().await;
    let page: Page<Value> = h.get("/v1/tools", &[]).await.json().await.unwrap();
    let tool = |name: &str| {
        (page.items.iter())
            .find(|t| t["qualified_name"] == name)
            .unwrap_or_else(|| panic!("{name} listed"))
    };
    assert!(tool("Awkward.NoParameters")["input"]["parameters"].is_null());
    assert!(tool("Awkward.Echo")["requirements"]["secrets"].is_null());
    assert_eq!(
        tool("Awkward.Broken")["input"]["parameters"],
        "text: string"
    );
    let run = h.executed("Awkward.Broken", "zoe", json!({})).await;
    assert_eq!(
        run.output.unwrap().error.unwrap().kind.as_deref(),
        Some("TOOL_DEFINITION_BAD_DEFINITION")
    );
}

#[tokio::test]
async fn the_newest_version_is_listed_and_run_unless_one_is_pinned() {
    let h = awkward().await;
    let newest = names(&h, &[]).await;
    assert!(
        newest.contains(&"Awkward.Echo@2.0.0".to_owned()),
        "{newest:?}"
    );
    assert!(
        !newest.contains(&"Awkward.Echo@1.0.0".to_owned()),
        "{newest:?}"
    );
    let every = names(&h, &[("include_all_versions", "true")]).await;
    assert_eq!(every.len(), newest.len() + 1, "{every:?}");

    let pinned = |version: &str| {
        json!({"tool_name": "Awkward.Echo", "user_id": "zoe", "tool_version": version,
               "input": {"text": "hi"}})
    };
    let v1: ExecuteToolResponse = h
        .post("/v1/tools/execute", pinned("1.0.0"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v1.output.unwrap().value.unwrap()["version"], "1.0.0");
    let unknown = error_of(
        h.post("/v1/tools/execute", pinned("9.0.0")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        unknown.message.unwrap().contains("no version '9.0.0'"),
        "the 400 says the version is missing"
    );
    assert_eq!(h.emulator.state().executions("Awkward.Echo", "zoe"), 1);
}

#[tokio::test]
async fn a_retired_version_is_no_longer_listed_or_run() {
    let h = awkward().await;
    let retire = h
        .http
        .delete(h.url("/_emulator/toolkits/awkward/2.0.0"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(retire.status(), StatusCode::NO_CONTENT);
    assert_eq!(names(&h, &[]).await, ["Awkward.Echo@1.0.0"]);
    let pinned = json!({"tool_name": "Awkward.Echo", "user_id": "zoe",
                        "tool_version": "2.0.0", "input": {"message": "hi"}});
    error_of(
        h.post("/v1/tools/execute", pinned).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let again = h
        .http
        .delete(h.url("/_emulator/toolkits/awkward/7.0.0"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_tool_whose_secret_is_not_set_does_not_run() {
    let h = awkward().await;
    let answer = h.executed("Awkward.FetchReport", "zoe", json!({})).await;
    assert_eq!(answer.success, Some(false));
    let error = answer.output.unwrap().error.unwrap();
    assert_eq!(error.kind.as_deref(), Some("TOOL_REQUIREMENTS_NOT_MET"));
    assert!(
        error.message.contains("REPORTS_API_KEY"),
        "{}",
        error.message
    );
    assert_eq!(
        h.emulator.state().executions("Awkward.FetchReport", "zoe"),
        0
    );
}
