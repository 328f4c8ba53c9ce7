//! The gateway as Arcade's custom user verifier (`--user-verifier`), end to end with a
//! real MCP client in each identity mode that can tell who is at a browser: the call
//! waiting for a grant returns the tool's result once the person passes the
//! verifier; and a link naming a user, a missing identity, a forged or foreign cookie
//! and a replayed sign-in are refused without Arcade ever being asked to confirm
//! anyone (the engine counts `confirm_user` requests).

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::support::http::HttpGateway;
use crate::support::person::{Answer, Person};
use crate::support::verifier::{FIXED_USER, Mode, Team, link_sent_to, proxy_headers};
use crate::support::{assert_inbox_of, discover, mail_runs};
use rmcp::model::ProtocolVersion;
use rmcp::service::ClientLifecycleMode;

/// A browser without script: follows redirects by hand, keeps cookies per name, and
/// sends `extra` headers on every request (what a proxy in front of it adds).
struct Browser {
    http: reqwest::Client,
    cookies: HashMap<String, String>,
    extra: Vec<(&'static str, String)>,
    /// Signs in at the OpenID provider's form as this user.
    signs_in_as: Option<String>,
    /// The last address the gateway sent the browser back to from the provider.
    last_callback: Option<String>,
}

/// Where a visit ended.
struct Landed {
    status: StatusCode,
    url: String,
    body: String,
}

impl Browser {
    fn new(extra: Vec<(&'static str, String)>, signs_in_as: Option<&str>) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            extra,
            signs_in_as: signs_in_as.map(str::to_owned),
            last_callback: None,
        }
    }

    /// Opens `url` and follows every redirect; a sign-in form of the provider is filled
    /// in as [`Browser::signs_in_as`].
    async fn open(&mut self, url: &str) -> Landed {
        let mut url = url.to_owned();
        for _ in 0..10 {
            if url.contains("/arcade/verify/callback") {
                self.last_callback = Some(url.clone());
            }
            let response = self.send(self.http.get(&url)).await;
            let status = response.status();
            if status.is_redirection() {
                url = response.headers()[LOCATION].to_str().unwrap().to_owned();
                continue;
            }
            let body = response.text().await.unwrap();
            if body.contains("id=\"sign-in\"") {
                url = self.sign_in(&url).await;
                continue;
            }
            return Landed { status, url, body };
        }
        panic!("too many redirects");
    }

    /// Approves at the emulator's consent page `link`, then follows where it leads.
    async fn approve(&mut self, link: &str) -> Landed {
        let consent = self.send(self.http.get(link)).await;
        assert_eq!(consent.status(), StatusCode::OK, "the consent page opens");
        let decided = self
            .send(self.http.post(link).form(&[("decision", "approve")]))
            .await;
        assert_eq!(
            decided.status(),
            StatusCode::SEE_OTHER,
            "consent sends the browser on"
        );
        let verifier = decided.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(
            verifier.contains("/arcade/verify?flow_id=af_"),
            "{verifier}"
        );
        self.open(&verifier).await
    }

    /// Fills the provider's form at `url` and returns where it sends the browser.
    async fn sign_in(&mut self, url: &str) -> String {
        let user = self
            .signs_in_as
            .clone()
            .expect("this browser does not sign in");
        let parsed = url::Url::parse(url).unwrap();
        let mut form: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        form.push(("username".into(), user));
        let mut action = parsed.clone();
        action.set_query(None);
        let answer = self.send(self.http.post(action).form(&form)).await;
        assert_eq!(
            answer.status(),
            StatusCode::SEE_OTHER,
            "the provider signs in"
        );
        answer.headers()[LOCATION].to_str().unwrap().to_owned()
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let mut request = request;
        for (name, value) in &self.extra {
            request = request.header(*name, value);
        }
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            request = request.header(COOKIE, jar.join("; "));
        }
        let response = request.send().await.unwrap();
        for set in response.headers().get_all(SET_COOKIE) {
            let line = set.to_str().unwrap();
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        response
    }
}

/// The browser of `user` in `team`'s mode: behind the proxy, or signing in.
fn browser_of(team: &Team, user: &str) -> Browser {
    match team.mode {
        Mode::Fixed => Browser::new(Vec::new(), None),
        Mode::TrustedHeader => Browser::new(proxy_headers(user), None),
        Mode::OAuth => Browser::new(Vec::new(), Some(user)),
    }
}

/// Ann calls a tool she has not granted; the call waits; her browser opens the link she
/// was sent, approves, passes the verifier and lands on the success page; the call
/// returns her inbox. Returns her browser (with its cookies).
async fn a_waiting_call_completes_through_the_verifier(team: &Team, ann: &str) -> Browser {
    let person = Person::without_elicitation(None);
    let client = team.client(ann, person.clone()).await;
    let call = tokio::spawn(async move {
        let result = client.call("Mail_ListEmails", json!({})).await;
        (client, result)
    });
    let link = link_sent_to(&person).await;
    let mut browser = browser_of(team, ann);
    let landed = browser.approve(&link).await;
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.body);
    assert!(landed.body.contains("Access granted"), "{}", landed.body);
    assert!(landed.url.contains("/arcade/verify"), "{}", landed.url);
    let (_client, result) = tokio::time::timeout(std::time::Duration::from_secs(20), call)
        .await
        .expect("the waiting call returns once the grant completes")
        .unwrap();
    assert_inbox_of(&result, ann);
    assert_eq!(mail_runs(&team.emulator, ann), 1);
    assert_eq!(team.confirmations(), 1);
    browser
}

/// A pending flow of `user` for `tool` (its call cut short once the link is sent),
/// and the verifier link Arcade sends a browser to after consent, not followed.
async fn pending_flow(team: &Team, user: &str, tool: &'static str, arguments: Value) -> String {
    let person = Person::without_elicitation(None);
    let waiting = team.client(user, person.clone()).await;
    let call = tokio::spawn(async move { waiting.call(tool, arguments).await });
    let link = link_sent_to(&person).await;
    call.abort();
    consent_redirect(&link).await
}

/// A pending flow of `user` on Mail.
async fn pending_mail_flow(team: &Team, user: &str) -> String {
    pending_flow(team, user, "Mail_ListEmails", json!({})).await
}

/// A raw GET with `headers` and no redirect following.
async fn get(url: &str, headers: &[(&'static str, String)]) -> (StatusCode, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = http.get(url);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// What every mode refuses: a link naming a user, and a sign-in answer this browser
/// did not start; none of it reaches Arcade.
async fn links_naming_a_user_and_stray_callbacks_are_refused(
    team: &Team,
    verify: &str,
    user: &str,
) {
    let before = team.confirmations();
    let credentials = match team.mode {
        Mode::TrustedHeader => proxy_headers(user),
        _ => Vec::new(),
    };
    let named = format!("{verify}&user_id=mallory%40example.com");
    let (status, body) = get(&named, &credentials).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("never who you are from the link"), "{body}");
    let callback = verify.replace(
        "/arcade/verify?flow_id=",
        "/arcade/verify/callback?code=x&state=",
    );
    let (status, body) = get(&callback, &credentials).await;
    assert!(status.is_client_error(), "{status} {body}");
    assert_eq!(
        team.confirmations(),
        before,
        "no refusal asked Arcade to confirm anyone"
    );
}

#[tokio::test]
async fn fixed_user_mode_verifies_the_fixed_user_and_refuses_links_naming_another() {
    let team = Team::start(Mode::Fixed).await;
    a_waiting_call_completes_through_the_verifier(&team, FIXED_USER).await;
    // A grant of another provider, to have a pending flow to attack.
    let verify = pending_flow(
        &team,
        FIXED_USER,
        "CodeHost_ListRepositories",
        json!({"visibility": "all"}),
    )
    .await;
    links_naming_a_user_and_stray_callbacks_are_refused(&team, &verify, FIXED_USER).await;
    // A forged session cookie changes nothing: the fixed user is who the mode proves.
    let forged = vec![("cookie", "arcade_gateway_session=rs2.forged.x".to_owned())];
    let (status, body) = get(&verify, &forged).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(team.confirmations(), 2, "confirmed as the fixed user, once");
}

/// Approves at the consent page `link` and returns where it redirects (the verifier).
async fn consent_redirect(link: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let decided = http
        .post(link)
        .form(&[("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    decided.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn trusted_header_mode_verifies_the_proxys_user_and_refuses_everyone_else() {
    let team = Team::start(Mode::TrustedHeader).await;
    a_waiting_call_completes_through_the_verifier(&team, "ann@example.com").await;
    let verify = pending_mail_flow(&team, "bob@example.com").await;
    links_naming_a_user_and_stray_callbacks_are_refused(&team, &verify, "bob@example.com").await;
    let before = team.confirmations();
    // No proxy: no identity.
    let (status, body) = get(&verify, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // The user header without the secret (around the proxy), or with a wrong one.
    let (status, _) = get(&verify, &[("arcade-user-id", "bob@example.com".into())]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let wrong = vec![
        ("arcade-user-id", "bob@example.com".to_owned()),
        (
            "x-gateway-proxy-secret",
            "not-the-secret-but-long-enough-0123456789".to_owned(),
        ),
    ];
    assert_eq!(get(&verify, &wrong).await.0, StatusCode::UNAUTHORIZED);
    // A session cookie means nothing here.
    let cookie = vec![("cookie", "arcade_gateway_session=rs2.forged.x".to_owned())];
    assert_eq!(get(&verify, &cookie).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(team.confirmations(), before, "none of them asked Arcade");

    // Ann, through the proxy, opens Bob's link: Arcade refuses, nothing is granted.
    let (status, body) = get(&verify, &proxy_headers("ann@example.com")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("another account"), "{body}");
    assert_eq!(team.confirmations(), before + 1);
    refusal_is_audited_and_counted(&team, "ann@example.com").await;
    bobs_next_call_still_gets_a_link(&team, "bob@example.com").await;
    // Bob himself completes it.
    let (status, body) = get(&verify, &proxy_headers("bob@example.com")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secret = crate::support::verifier::PROXY_SECRET;
    assert!(
        !team.gateway.logs().contains(secret),
        "the proxy secret is logged"
    );
}

#[tokio::test]
async fn each_client_may_load_the_verifier_sixty_times_a_minute() {
    let team = Team::start(Mode::Fixed).await;
    let malformed = format!("{}/arcade/verify?flow_id=%3C", team.gateway.base);
    for _ in 0..60 {
        assert_eq!(get(&malformed, &[]).await.0, StatusCode::BAD_REQUEST);
    }
    let (status, body) = get(&malformed, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body.contains("Wait a minute"), "{body}");
    assert_eq!(team.confirmations(), 0);
    let metrics = team.gateway.metrics().await;
    assert!(
        metrics.contains("arcade_gateway_user_verifications_total{outcome=\"rate_limited\"} 1"),
        "{metrics}"
    );
}

async fn refusal_is_audited_and_counted(team: &Team, person: &str) {
    let metrics = team.gateway.metrics().await;
    assert!(
        metrics.contains(
            "arcade_gateway_user_verifications_total{outcome=\"verification_refused\"} 1"
        ),
        "{metrics}"
    );
    let mut refused = Vec::new();
    for _ in 0..100 {
        refused = team
            .audit_lines()
            .into_iter()
            .filter(|line| line["outcome"] == "verification_refused")
            .collect();
        if !refused.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(refused.len(), 1, "{refused:?}");
    let schema = crate::audit_log::line_schema();
    assert!(
        schema.is_valid(&refused[0]),
        "not a documented line: {}",
        refused[0]
    );
    assert_eq!(refused[0]["phase"], "prompt_ended");
    assert_eq!(refused[0]["user"], person);
    assert_eq!(refused[0]["strategy"], "user_verifier");
}

async fn bobs_next_call_still_gets_a_link(team: &Team, bob: &str) {
    let person = Person::without_elicitation(None);
    let waiting = team.client(bob, person.clone()).await;
    let call = tokio::spawn(async move { waiting.call("Mail_ListEmails", json!({})).await });
    let link = link_sent_to(&person).await;
    assert!(link.contains("/authorize/ac_"), "{link}");
    call.abort();
    assert_eq!(mail_runs(&team.emulator, bob), 0, "nothing ran for bob");
}

#[tokio::test]
async fn oauth_mode_signs_the_person_in_and_refuses_forged_foreign_and_replayed_sign_ins() {
    let team = Team::start(Mode::OAuth).await;
    let mut ann = a_waiting_call_completes_through_the_verifier(&team, "ann@example.com").await;
    let (server, _) = team.provider.as_ref().unwrap();
    assert_eq!(server.codes_redeemed(), 1);
    let session = ann.cookies["arcade_gateway_session"].clone();
    let answered = ann
        .last_callback
        .clone()
        .expect("the browser came back from the provider");
    let foreign = foreign_session_cookie(&team, "bob@example.com").await;

    let verify = pending_mail_flow(&team, "bob@example.com").await;
    links_naming_a_user_and_stray_callbacks_are_refused(&team, &verify, "bob@example.com").await;
    let (before, redeemed) = (team.confirmations(), server.codes_redeemed());

    // A tampered session cookie.
    let tampered = format!("arcade_gateway_session={}", tamper(&session));
    let (status, body) = get(&verify, &[("cookie", tampered)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("did not issue"), "{body}");
    // A foreign one: sealed by another gateway (its own key) for bob.
    let foreign = format!("arcade_gateway_session={foreign}");
    let (status, body) = get(&verify, &[("cookie", foreign)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // The provider's answer to ann, opened again in a browser that did not sign in.
    let (status, body) = get(&answered, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("No sign-in is under way"), "{body}");
    // No identity at all: sent to sign in, never confirmed.
    let (status, _) = get(&verify, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(team.confirmations(), before, "none of them asked Arcade");
    assert_eq!(server.codes_redeemed(), redeemed, "nor the provider");

    // A replay of a whole sign-in (answer and its cookie) is refused as used.
    let mut second = Browser::new(Vec::new(), Some("bob@example.com"));
    let started = second.send(second.http.get(&verify)).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let to_provider = started.headers()[LOCATION].to_str().unwrap().to_owned();
    let callback = second.sign_in(&to_provider).await;
    let signing_in = second.cookies.clone();
    let landed = second.open(&callback).await;
    assert_eq!(
        landed.status,
        StatusCode::OK,
        "bob completes his own flow: {}",
        landed.body
    );
    let confirmed = team.confirmations();
    let mut attacker = Browser::new(Vec::new(), None);
    attacker.cookies = signing_in;
    attacker.cookies.remove("arcade_gateway_session");
    let replayed = attacker.open(&callback).await;
    assert_eq!(
        replayed.status,
        StatusCode::BAD_REQUEST,
        "{}",
        replayed.body
    );
    assert!(replayed.body.contains("already used"), "{}", replayed.body);
    assert_eq!(
        team.confirmations(),
        confirmed,
        "the replay asked Arcade nothing"
    );

    // Ann, signed in, opens a flow of carol's: refused, audited, counted.
    let verify = pending_mail_flow(&team, "carol@example.com").await;
    let landed = ann.open(&verify).await;
    assert_eq!(landed.status, StatusCode::FORBIDDEN, "{}", landed.body);
    refusal_is_audited_and_counted(&team, "ann@example.com").await;
    bobs_next_call_still_gets_a_link(&team, "carol@example.com").await;

    let logs = team.gateway.logs();
    for secret in [crate::support::verifier::CLIENT_SECRET, session.as_str()] {
        assert!(!logs.contains(secret), "a secret is logged");
    }
    assert!(!logs.contains("code-"), "a sign-in code is logged");
}

/// `sealed` with one character of its signature changed.
fn tamper(sealed: &str) -> String {
    let mut chars: Vec<char> = sealed.chars().collect();
    let last = chars.len() - 1;
    chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

/// A session cookie for `user` from another gateway of the same setup but its own key.
async fn foreign_session_cookie(team: &Team, user: &str) -> String {
    let (server, _) = team.provider.as_ref().unwrap();
    let other_engine = crate::support::start_emulator().await;
    let (listener, addr) = crate::support::loopback_listener().await;
    drop(listener);
    let resource = format!("http://{addr}/mcp");
    let other = HttpGateway::start_on(
        &addr.to_string(),
        &other_engine.base_url(),
        &[
            "--user-verifier",
            "--oauth-issuer",
            &server.issuer,
            "--public-url",
            &resource,
            "--oauth-client-id",
            crate::support::verifier::CLIENT_ID,
        ],
        &[(
            "ARCADE_GATEWAY_OAUTH_CLIENT_SECRET",
            crate::support::verifier::CLIENT_SECRET,
        )],
    )
    .await;
    let mut browser = Browser::new(Vec::new(), Some(user));
    let landed = browser
        .open(&format!("http://{addr}/arcade/verify?flow_id=af_unknown"))
        .await;
    assert_eq!(landed.status, StatusCode::NOT_FOUND, "{}", landed.body);
    drop(other);
    browser.cookies["arcade_gateway_session"].clone()
}

/// `doctor` with the flags of `serve` (and `PROXY_SECRET`), its stdout.
async fn doctor(team: &Team, flags: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new(crate::support::gateway_bin())
        .args(["doctor", "--transport", "http", "--trust-user-header"])
        .args(flags)
        .env_clear()
        .envs(crate::support::kept_env())
        .env("HOME", home.path())
        .env("ARCADE_API_KEY", crate::support::API_KEY)
        .env("ARCADE_BASE_URL", team.emulator.base_url())
        .env(
            "ARCADE_GATEWAY_PROXY_SECRET",
            crate::support::verifier::PROXY_SECRET,
        )
        .output()
        .await
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn doctor_says_which_verifier_a_setup_needs_and_whether_it_answers() {
    let team = Team::start(Mode::TrustedHeader).await;
    let without = doctor(&team, &[]).await;
    assert!(
        without.contains("– user verifier: Arcade's default")
            && without.contains("--user-verifier"),
        "{without}"
    );
    let answering = doctor(&team, &["--user-verifier", "--public-url", &team.resource]).await;
    let verify = format!("{}/arcade/verify", team.gateway.base);
    assert!(
        answering.contains(&format!(
            "✓ user verifier: this gateway's, answering at {verify}"
        )),
        "{answering}"
    );
    let (listener, nobody) = crate::support::loopback_listener().await;
    drop(listener);
    let elsewhere = format!("http://{nobody}/mcp");
    let silent = doctor(&team, &["--user-verifier", "--public-url", &elsewhere]).await;
    assert!(
        silent.contains("✗ user verifier:") && silent.contains("does not answer"),
        "{silent}"
    );
    assert_eq!(team.confirmations(), 0, "doctor confirms nobody");
}

#[tokio::test]
async fn bearer_tokens_and_a_missing_client_id_are_refused_at_start_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    crate::support::write_token_file(&tokens, &[("ann-token-0123456789abcdef", "ann")]);
    let serve = |flags: Vec<String>| async move {
        tokio::process::Command::new(crate::support::gateway_bin())
            .args(["serve", "--transport", "http", "--user-verifier"])
            .args(flags)
            .env("ARCADE_API_KEY", crate::support::API_KEY)
            .env("ARCADE_BASE_URL", "http://127.0.0.1:9")
            .env_remove("ARCADE_USER_ID")
            .output()
            .await
            .unwrap()
    };
    let refused = serve(vec!["--tokens-file".into(), tokens.display().to_string()]).await;
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{said}");
    for mode in [
        "--tokens-file",
        "--oauth-issuer",
        "--trust-user-header",
        "--user-id",
    ] {
        assert!(errors[0].contains(mode), "{said}");
    }
    let oauth = serve(
        [
            "--oauth-issuer",
            "http://127.0.0.1:9",
            "--public-url",
            "http://127.0.0.1:8000/mcp",
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await;
    assert_eq!(oauth.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&oauth.stderr).contains("--oauth-client-id"),
        "{}",
        String::from_utf8_lossy(&oauth.stderr)
    );
}

/// URL elicitation (2025-11-25) and a multi round-trip retry (2026-07-28) wait on the
/// grant too: the person's browser (here following the consent page's redirect to the
/// verifier, where the fixed user is who the mode proves) completes it, and each call
/// returns the tool's result.
#[tokio::test]
async fn url_elicitation_and_mrtr_calls_finish_once_the_verifier_confirms() {
    let team = Team::start(Mode::Fixed).await;
    let person = Person::new(Answer::Approve).speaking(ProtocolVersion::V_2025_11_25);
    let eliciting = team
        .client_with(FIXED_USER, person.clone(), ClientLifecycleMode::Initialize)
        .await;
    let result = eliciting.call("Mail_ListEmails", json!({})).await;
    assert_inbox_of(&result, FIXED_USER);
    assert_eq!(person.seen().elicitations.len(), 1);
    assert_eq!(
        team.confirmations(),
        1,
        "the grant went through the verifier"
    );

    let person = Person::new(Answer::Approve);
    let retrying = team
        .client_with(
            FIXED_USER,
            person.clone(),
            discover(ProtocolVersion::V_2026_07_28),
        )
        .await;
    let result = retrying
        .call("CodeHost_ListRepositories", json!({"visibility": "all"}))
        .await;
    assert_eq!(result.is_error, Some(false), "{result:?}");
    assert_eq!(person.seen().elicitations.len(), 1);
    assert_eq!(team.confirmations(), 2);
}
