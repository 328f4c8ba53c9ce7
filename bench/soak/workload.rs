//! The soak's workload: what each worker sends, at a steady pace, until the deadline.
//!
//! - callers: granted users' sessions, each for [`SESSION_REQUESTS`] requests of the
//!   mix (tool calls, some with side effects, argument errors, unknown tools,
//!   `tools/list`), then ended with `DELETE` or abandoned;
//! - the prompter: a fresh user a turn, whose first call gets the authorization link;
//!   two in three approve it and call again, a third never do;
//! - the churner: sessions opened for one call or none and dropped, calls dropped by
//!   the client mid-call (past [`DROP_AFTER`]: in the emulator's slow windows), and now
//!   and then a short-lived stdio gateway process killed after one call;
//! - the stdio worker: the sampled stdio gateway, the same mix, and now and then a
//!   call it cancels with `notifications/cancelled`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tokio::process::Command;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::clients::{ClientError, HttpSession, StdioGateway};
use crate::faults::REQUEST_TIMEOUT_SECS;
use crate::processes::{Emulator, approve, gateway_command};
use crate::tally::{Ledger, Outcome, Tally};

/// The secret the soak, as the proxy in front of the HTTP gateway, proves itself with.
pub const PROXY_SECRET: &str = "soak-proxy-secret-0f4e8a2c6b1d9e7f3a5c";
/// The side-effecting tools of the demo catalog, as the emulator counts their runs.
pub const SIDE_EFFECTS: [&str; 2] = ["Mail.SendEmail", "CodeHost.CreateIssue"];
/// Requests of one caller session before it ends.
const SESSION_REQUESTS: u64 = 50;
/// The longest a request may take before it counts as a transport error.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// When the churner drops a call it means to drop.
const DROP_AFTER: Duration = Duration::from_millis(150);

/// One request of the mix.
pub struct Request {
    method: &'static str,
    params: Value,
    /// The Arcade name of the tool when it has side effects.
    side_effect: Option<&'static str>,
}

fn call(tool: &str, arguments: Value) -> Request {
    Request {
        method: "tools/call",
        params: json!({"name": tool, "arguments": arguments}),
        side_effect: None,
    }
}

/// `Mail_SendEmail`: one more email each call.
fn send_email(n: u64) -> Request {
    let arguments =
        json!({"recipient": "bob@example.com", "subject": format!("soak {n}"), "body": "hello"});
    Request {
        side_effect: Some(SIDE_EFFECTS[0]),
        ..call("Mail_SendEmail", arguments)
    }
}

/// `CodeHost_CreateIssue`: one more issue each call.
fn create_issue(n: u64) -> Request {
    let arguments = json!({"repo": "soak/repo", "title": format!("soak {n}")});
    Request {
        side_effect: Some(SIDE_EFFECTS[1]),
        ..call("CodeHost_CreateIssue", arguments)
    }
}

/// A normal call whose answer is known: 2 + 3.
fn add_two_and_three() -> Request {
    call("Math_Add", json!({"a": 2, "b": 3}))
}

/// The `n`-th request of the mix: 60% arithmetic, 10% reads behind a grant, 10% side
/// effects, 10% argument errors, 5% an unknown tool, 5% `tools/list`.
fn mixed(n: u64) -> Request {
    match n % 20 {
        0..=3 => call("Math_Add", json!({"a": n, "b": 1})),
        4..=6 => call("Math_Multiply", json!({"a": n, "b": 3})),
        7..=9 => call("Math_Sqrt", json!({"x": n})),
        10 | 11 => call("Math_SumList", json!({"numbers": [1, 2, n]})),
        12 => call("Mail_ListEmails", json!({"n_emails": 3})),
        13 => call("CodeHost_ListRepositories", json!({"limit": 5})),
        14 => send_email(n),
        15 => create_issue(n),
        16 => call("Math_Sqrt", json!({"x": "sixteen"})),
        17 => call("Math_Add", json!({"a": 1})),
        18 => call("Math_Cube", json!({"x": 2})),
        _ => Request {
            method: "tools/list",
            params: json!({}),
            side_effect: None,
        },
    }
}

/// The calls that need every grant of the demo catalog.
fn needing_grants() -> [Request; 3] {
    [
        call("Mail_ListEmails", json!({"n_emails": 1})),
        send_email(0),
        call("CodeHost_ListRepositories", json!({"limit": 1})),
    ]
}

/// The authorization link of an answer, if it is one.
fn link(answer: &Result<Value, ClientError>) -> Option<&str> {
    let result = &answer.as_ref().ok()?["result"];
    result["structuredContent"]["authorization_url"].as_str()
}

/// What happened besides requests: sessions, prompts, processes.
#[derive(Debug, Default)]
pub struct Events {
    /// Sessions opened.
    pub opened: AtomicU64,
    /// Sessions ended with `DELETE`.
    pub deleted: AtomicU64,
    /// Sessions left without a word.
    pub abandoned: AtomicU64,
    /// Authorization links approved.
    pub approved: AtomicU64,
    /// Authorization links never approved.
    pub unapproved: AtomicU64,
    /// Calls the stdio worker cancelled.
    pub cancelled: AtomicU64,
    /// Short-lived stdio gateways started, and killed after one call.
    pub stdio_started: AtomicU64,
    /// Short-lived stdio gateways that did not start (a fault on the catalog fetch).
    pub stdio_failed: AtomicU64,
}

impl Events {
    /// The events, as a line of the report.
    pub fn describe(&self) -> String {
        let n = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        format!(
            "{} sessions opened ({} ended with DELETE, {} abandoned); {} authorization links approved, {} never; {} stdio calls cancelled; {} short-lived stdio gateways started and killed ({} failed to start)",
            n(&self.opened),
            n(&self.deleted),
            n(&self.abandoned),
            n(&self.approved),
            n(&self.unapproved),
            n(&self.cancelled),
            n(&self.stdio_started),
            n(&self.stdio_failed),
        )
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Everything the workers share.
pub struct Soak {
    /// The client of every HTTP request.
    pub http: reqwest::Client,
    /// The emulator everything runs against.
    pub emulator: Emulator,
    /// The HTTP gateway's `/mcp`.
    pub mcp_url: String,
    /// When the workers stop.
    pub deadline: Instant,
    /// Requests to the HTTP gateway.
    pub http_tally: Tally,
    /// Requests to the sampled stdio gateway.
    pub stdio_tally: Tally,
    /// Side-effecting calls sent.
    pub ledger: Ledger,
    /// Sessions, prompts, processes.
    pub events: Events,
}

impl Soak {
    /// `serve` over stdio for `user`, with the soak's upstream timeout.
    pub fn stdio_command(&self, user: &str) -> Command {
        let mut command = gateway_command(&self.emulator, None);
        command
            .env("ARCADE_USER_ID", user)
            .args(["--request-timeout", REQUEST_TIMEOUT_SECS]);
        command
    }

    /// A session of the HTTP gateway for `user`, named by the soak as the proxy.
    pub async fn open(&self, user: &str) -> Result<HttpSession, ClientError> {
        let mut headers = HeaderMap::new();
        let value = |v: &str| HeaderValue::from_str(v).expect("a header value");
        headers.insert("arcade-user-id", value(user));
        headers.insert("x-gateway-proxy-secret", value(PROXY_SECRET));
        let session = HttpSession::open_with(&self.http, &self.mcp_url, headers).await;
        match &session {
            Ok(_) => bump(&self.events.opened),
            Err(_) => self.http_tally.add(Outcome::TransportError),
        }
        session
    }

    /// Sends `request` in `session` for `user` and counts how it ended.
    async fn send(
        &self,
        session: &HttpSession,
        user: &str,
        request: &Request,
    ) -> Result<Value, ClientError> {
        if let Some(tool) = request.side_effect {
            self.ledger.sent(tool, user);
        }
        let params = request.params.clone();
        let answer = session
            .try_request_within(request.method, params, CALL_TIMEOUT)
            .await;
        self.http_tally.add(Outcome::of(&answer));
        answer
    }

    /// Ends `session` with `DELETE` or leaves it for the idle timeout.
    async fn leave(&self, session: HttpSession, delete: bool) {
        if !delete {
            bump(&self.events.abandoned);
        } else if session.close().await.is_ok() {
            bump(&self.events.deleted);
        }
    }

    fn running(&self) -> bool {
        Instant::now() < self.deadline
    }
}

/// A tick every `1 / per_second` seconds; a late tick does not bunch the next ones.
fn ticker(per_second: f64) -> Interval {
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticks
}

/// Something a call can be sent through: an HTTP session or a stdio gateway.
trait Caller {
    async fn ask(&mut self, request: &Request) -> Result<Value, ClientError>;
}

impl Caller for HttpSession {
    async fn ask(&mut self, request: &Request) -> Result<Value, ClientError> {
        let params = request.params.clone();
        self.try_request_within(request.method, params, CALL_TIMEOUT)
            .await
    }
}

impl Caller for StdioGateway {
    async fn ask(&mut self, request: &Request) -> Result<Value, ClientError> {
        let answer = self.try_request(request.method, request.params.clone());
        tokio::time::timeout(CALL_TIMEOUT, answer)
            .await
            .unwrap_or(Err(ClientError::TimedOut(CALL_TIMEOUT)))
    }
}

/// Before the run (no faults): `user` approves every grant the demo tools need.
async fn grant_all(soak: &Soak, caller: &mut impl Caller, user: &str) {
    for request in needing_grants() {
        let mut granted = false;
        for _ in 0..3 {
            if let Some(tool) = request.side_effect {
                soak.ledger.sent(tool, user);
            }
            let answer = caller.ask(&request).await;
            match link(&answer) {
                Some(url) => approve(&soak.http, url)
                    .await
                    .expect("the grant is approved"),
                None if Outcome::of(&answer) == Outcome::Ok => {
                    granted = true;
                    break;
                }
                None => panic!("{user}: {} did not run: {answer:?}", request.params),
            }
        }
        assert!(granted, "{user}: {} is still not granted", request.params);
    }
}

/// Grants every pool user (over HTTP) everything.
pub async fn grant_pool(soak: &Soak, users: &[String]) {
    for user in users {
        let mut session = soak.open(user).await.expect("a session opens");
        grant_all(soak, &mut session, user).await;
        soak.leave(session, true).await;
    }
}

/// Grants the stdio gateway's user everything.
pub async fn grant_stdio(soak: &Soak, gateway: &mut StdioGateway, user: &str) {
    grant_all(soak, gateway, user).await;
}

/// A caller: `users`' sessions in turn, the mix at `per_second`.
pub async fn caller(soak: Arc<Soak>, users: Vec<String>, per_second: f64) {
    let mut ticks = ticker(per_second);
    let mut n = 0;
    let mut turn = 0;
    while soak.running() {
        let user = &users[turn % users.len()];
        turn += 1;
        ticks.tick().await;
        let Ok(session) = soak.open(user).await else {
            continue;
        };
        for _ in 0..SESSION_REQUESTS {
            ticks.tick().await;
            n += 1;
            let answer = soak.send(&session, user, &mixed(n)).await;
            if answer.is_err() || !soak.running() {
                break;
            }
        }
        soak.leave(session, turn.is_multiple_of(2)).await;
    }
}

/// The prompter: a fresh user a turn, at `per_second`.
pub async fn prompter(soak: Arc<Soak>, per_second: f64) {
    let mut ticks = ticker(per_second);
    let mut n: u64 = 0;
    while soak.running() {
        ticks.tick().await;
        n += 1;
        let user = format!("soak-fresh-{n}@example.com");
        let Ok(session) = soak.open(&user).await else {
            continue;
        };
        let request = if n.is_multiple_of(2) {
            send_email(n)
        } else {
            create_issue(n)
        };
        let answer = soak.send(&session, &user, &request).await;
        match link(&answer) {
            Some(url) if !n.is_multiple_of(3) => {
                approve_and_call_again(&soak, &session, &user, &request, url).await;
            }
            Some(_) => bump(&soak.events.unapproved),
            None => {}
        }
        soak.leave(session, n.is_multiple_of(2)).await;
    }
}

/// The person approves `url`; the client calls again.
async fn approve_and_call_again(
    soak: &Soak,
    session: &HttpSession,
    user: &str,
    request: &Request,
    url: &str,
) {
    if approve(&soak.http, url).await.is_ok() {
        bump(&soak.events.approved);
        soak.send(session, user, request).await.ok();
    }
}

/// The churner: `users`' sessions opened and dropped at `per_second`, calls dropped
/// mid-call, short-lived stdio gateways.
pub async fn churner(soak: Arc<Soak>, users: Vec<String>, per_second: f64) {
    let mut ticks = ticker(per_second);
    let mut n: u64 = 0;
    while soak.running() {
        ticks.tick().await;
        n += 1;
        let user = &users[n as usize % users.len()];
        if n.is_multiple_of(30) {
            short_lived_stdio(&soak, user, n).await;
            continue;
        }
        let Ok(session) = soak.open(user).await else {
            continue;
        };
        match n % 4 {
            0 => {
                soak.send(&session, user, &mixed(n)).await.ok();
                soak.leave(session, true).await;
            }
            1 => {
                soak.send(&session, user, &mixed(n)).await.ok();
                soak.leave(session, false).await;
            }
            2 => {
                drop_mid_call(&soak, &session, user, n).await;
                soak.leave(session, n % 8 == 2).await;
            }
            _ => soak.leave(session, true).await,
        }
    }
}

/// A call the client gives up on after [`DROP_AFTER`], closing its connection: every
/// other one a side-effecting call, which must then run once at most.
async fn drop_mid_call(soak: &Soak, session: &HttpSession, user: &str, n: u64) {
    let request = if n % 8 == 2 {
        send_email(n)
    } else {
        call("Mail_ListEmails", json!({"n_emails": 2}))
    };
    if let Some(tool) = request.side_effect {
        soak.ledger.sent(tool, user);
    }
    let answer = session
        .try_request_within(request.method, request.params, DROP_AFTER)
        .await;
    let outcome = match &answer {
        Err(ClientError::Http(error)) if error.is_timeout() => Outcome::Dropped,
        _ => Outcome::of(&answer),
    };
    soak.http_tally.add(outcome);
}

/// A stdio gateway started for one call and killed: the launching client went away.
async fn short_lived_stdio(soak: &Soak, user: &str, n: u64) {
    match StdioGateway::try_start(soak.stdio_command(user)).await {
        Ok(mut gateway) => {
            bump(&soak.events.stdio_started);
            gateway.ask(&mixed(n)).await.ok();
        }
        Err(_) => bump(&soak.events.stdio_failed),
    }
}

/// The stdio worker: the mix at `per_second` on the sampled stdio gateway for `user`;
/// gives the gateway back at the deadline, or early if its pipes broke.
pub async fn stdio(
    soak: Arc<Soak>,
    mut gateway: StdioGateway,
    user: String,
    per_second: f64,
) -> StdioGateway {
    let mut ticks = ticker(per_second);
    let mut n: u64 = 0;
    while soak.running() {
        ticks.tick().await;
        n += 1;
        let request = if n.is_multiple_of(40) {
            call("Mail_ListEmails", json!({"n_emails": 4}))
        } else {
            mixed(n)
        };
        if let Some(tool) = request.side_effect {
            soak.ledger.sent(tool, &user);
        }
        if n.is_multiple_of(40) {
            let cancelled = gateway.request_and_cancel(request.method, request.params);
            let outcome = match cancelled.await {
                Ok(()) => Outcome::Dropped,
                Err(_) => Outcome::TransportError,
            };
            bump(&soak.events.cancelled);
            soak.stdio_tally.add(outcome);
            continue;
        }
        let answer = gateway.ask(&request).await;
        soak.stdio_tally.add(Outcome::of(&answer));
        if matches!(answer, Err(ClientError::Closed | ClientError::Pipe(_))) {
            break;
        }
    }
    gateway
}

/// Sends a normal call through `caller`: whether it answered 5.
async fn answers_normally(caller: &mut impl Caller) -> Result<(), String> {
    let answer = caller.ask(&add_two_and_three()).await;
    let text = answer
        .as_ref()
        .ok()
        .map(|m| &m["result"]["content"][0]["text"]);
    match text {
        Some(text) if text == "5" => Ok(()),
        _ => Err(format!("{answer:?}")),
    }
}

/// After the run: the HTTP gateway still answers a normal call for `user`.
pub async fn http_answers(soak: &Soak, user: &str) -> Result<(), String> {
    let mut session = soak.open(user).await.map_err(|e| e.to_string())?;
    answers_normally(&mut session).await
}

/// After the run: the stdio gateway still answers a normal call.
pub async fn stdio_answers(gateway: &mut StdioGateway) -> Result<(), String> {
    answers_normally(gateway).await
}
