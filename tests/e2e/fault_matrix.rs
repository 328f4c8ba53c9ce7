//! Every upstream call the gateway makes × every fault the emulator injects, each
//! fault either on every request ("always") or on the next one only ("once"):
//!
//! - the call ends with a tool error naming the fault, or succeeds after a retry
//!   (for the catalog load at startup: a one-line error and exit code 2, or a start
//!   after a retry);
//! - exactly as many requests reach the emulator as the retry policy allows: a request
//!   safe to repeat is sent up to three times, a tool without a read-only or
//!   idempotent hint again only after a 429 (nothing ran), so the emulator's
//!   execution counter never shows it run twice;
//! - the server answers the next call.
//!
//! Each cell gets its own emulator and gateway, so cells run side by side. Timeouts
//! are short (`--request-timeout 0.3` against a 1 s delay), and a 429 asks for the
//! shortest `Retry-After` (1 s) so a cell takes a few seconds at most.

use std::time::{Duration, Instant};

use arcade_mcp_gateway::arcade::types::ToolAuthorizeRequest;
use arcade_mcp_gateway::arcade::{ArcadeClient, ArcadeSettings};
use arcade_mcp_gateway::emulator::{Emulator, Faults};
use futures::StreamExt;
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

use crate::support::{
    API_KEY, Gateway, approve, authorization_url, eventually, gateway_bin, start_emulator, text,
};

/// The gateway's upstream timeout in these cells.
const TIMEOUT: &str = "0.3";
/// The delay of a slow answer: past the timeout.
const SLOW_MS: u64 = 1_000;
/// A 429's `Retry-After`, in seconds.
const RETRY_AFTER_SECS: u64 = 1;
/// How many times a request safe to repeat is sent in all (the client's 2 retries + 1).
const ATTEMPTS: u64 = 3;
/// Cells of one row run at once.
const PARALLEL: usize = 4;
const USER: &str = "ann@example.com";

/// An upstream call of the gateway, and the call of a client that makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// `GET /v1/tools`: the catalog, loaded at startup.
    List,
    /// `POST /v1/tools/execute` of `Mail.SendEmail` (may have side effects), granted.
    Execute,
    /// `POST /v1/tools/execute` of `Math.Sqrt` (read-only).
    ExecuteReadOnly,
    /// `POST /v1/tools/authorize`: a tool the user has not granted yet.
    Authorize,
    /// `GET /v1/auth/status`: the wait of `--auth-wait` for a grant, which the
    /// person approves meanwhile.
    Status,
    /// `POST /v1/auth/authorize`: the token of a direct tool, granted.
    Token,
}

impl Call {
    /// The emulator's key for the endpoint.
    fn endpoint(self) -> &'static str {
        match self {
            Call::List => "tools.list",
            Call::Execute | Call::ExecuteReadOnly => "execute",
            Call::Authorize => "tools.authorize",
            Call::Status => "auth.status",
            Call::Token => "auth.authorize",
        }
    }

    /// The tool a client calls to make this upstream call, and its arguments.
    fn tool(self) -> (&'static str, Value) {
        match self {
            Call::List | Call::ExecuteReadOnly => ("Math_Sqrt", json!({"x": 16})),
            Call::Execute | Call::Authorize | Call::Status => (
                "Mail_SendEmail",
                json!({"recipient": "bob@example.com", "subject": "hi", "body": "hello"}),
            ),
            Call::Token => ("Gmail_ListMyMessages", json!({"max_results": 2})),
        }
    }

    /// Flags of the gateway beyond the short timeout.
    fn flags(self, direct_tools: &str) -> Vec<String> {
        let mut flags = vec!["--request-timeout".to_owned(), TIMEOUT.to_owned()];
        match self {
            Call::Status => flags.extend(["--auth-wait".to_owned(), "10".to_owned()]),
            Call::Token => flags.extend(["--direct-tools".to_owned(), direct_tools.to_owned()]),
            _ => {}
        }
        flags
    }

    /// Whether the request may be sent again whatever failed (only an execute of a
    /// tool without a read-only or idempotent hint may not).
    fn safe_to_repeat(self) -> bool {
        self != Call::Execute
    }

    /// The user has granted what the tool needs before the fault.
    fn needs_grant_first(self) -> bool {
        matches!(self, Call::Execute | Call::Token)
    }
}

/// A fault the emulator injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// An answer slower than the gateway waits.
    Delay,
    /// The connection breaks after the headers.
    Reset,
    /// A 5xx of this status.
    Status(u16),
    /// 429 with `Retry-After`.
    RateLimited,
    /// 200 with a body that is not JSON.
    Malformed,
    /// 200 whose body stops short of its `Content-Length`.
    Truncated,
}

const FAULTS: [Fault; 8] = [
    Fault::Delay,
    Fault::Reset,
    Fault::Status(500),
    Fault::Status(502),
    Fault::Status(503),
    Fault::RateLimited,
    Fault::Malformed,
    Fault::Truncated,
];

impl Fault {
    fn faults(self) -> Faults {
        let base = Faults::default();
        match self {
            Fault::Delay => Faults {
                latency_ms: SLOW_MS,
                ..base
            },
            Fault::Reset => Faults {
                drop_rate: 1.0,
                ..base
            },
            Fault::Status(status) => Faults {
                error_rate: 1.0,
                error_status: status,
                ..base
            },
            Fault::RateLimited => Faults {
                rate_limit_rate: 1.0,
                retry_after_secs: RETRY_AFTER_SECS,
                ..base
            },
            Fault::Malformed => Faults {
                malformed_rate: 1.0,
                ..base
            },
            Fault::Truncated => Faults {
                truncate_rate: 1.0,
                ..base
            },
        }
    }

    /// What the tool error (or startup error) must say.
    fn phrase(self) -> String {
        match self {
            Fault::Delay => "did not answer within".to_owned(),
            Fault::Reset | Fault::Truncated => "broke before its answer arrived".to_owned(),
            Fault::Status(status) => format!("server error (HTTP {status})"),
            Fault::RateLimited => "rate limiting".to_owned(),
            Fault::Malformed => "could not be read".to_owned(),
        }
    }

    /// Whether a faulted execute has run on the engine before the fault hit.
    fn runs_the_request(self) -> bool {
        matches!(self, Fault::Reset | Fault::Truncated)
    }
}

/// On every request, or on the next one only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Always,
    Once,
}

const MODES: [Mode; 2] = [Mode::Always, Mode::Once];

/// One cell of the matrix.
#[derive(Debug, Clone, Copy)]
struct Cell {
    call: Call,
    fault: Fault,
    mode: Mode,
}

impl Cell {
    fn faults(self) -> Faults {
        Faults {
            endpoints: Some(vec![self.call.endpoint().to_owned()]),
            count: (self.mode == Mode::Once).then_some(1),
            ..self.fault.faults()
        }
    }

    /// Whether the call succeeds (after retries) rather than failing with the fault.
    fn succeeds(self) -> bool {
        // A long-poll may take its wait and more: a slow answer is no timeout there.
        if self.slow_long_poll() {
            return true;
        }
        self.mode == Mode::Once && self.resent()
    }

    /// Whether the retry policy sends the faulted request again: a request safe to
    /// repeat, or a 429 (nothing ran); never a complete answer that could not be read,
    /// which would read the same again.
    fn resent(self) -> bool {
        self.fault != Fault::Malformed
            && (self.call.safe_to_repeat() || self.fault == Fault::RateLimited)
    }

    fn slow_long_poll(self) -> bool {
        self.call == Call::Status && self.fault == Fault::Delay
    }

    /// Whether `Mail.SendEmail` runs on the engine in this cell's faulted call.
    fn runs_mail(self) -> bool {
        match self.call {
            Call::Execute => self.succeeds() || self.fault.runs_the_request(),
            Call::Status => self.succeeds(),
            _ => false,
        }
    }

    /// How many requests reach the faulted endpoint: the retry policy, exactly.
    fn requests(self) -> u64 {
        if self.slow_long_poll() {
            return 1;
        }
        match (self.mode, self.resent()) {
            (_, false) => 1,
            (Mode::Once, true) => 2,
            (Mode::Always, true) => ATTEMPTS,
        }
    }
}

/// Every cell of `call`'s row, run side by side; panics listing the cells that failed.
async fn row(call: Call) {
    let cells = FAULTS
        .iter()
        .flat_map(|&fault| MODES.map(|mode| Cell { call, fault, mode }));
    let failures: Vec<String> = futures::stream::iter(cells)
        .map(|cell| async move {
            let outcome = tokio::spawn(run(cell)).await;
            outcome
                .err()
                .map(|e| format!("{cell:?}: {}", panic_text(e)))
        })
        .buffer_unordered(PARALLEL)
        .filter_map(|failure| async move { failure })
        .collect()
        .await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn panic_text(error: tokio::task::JoinError) -> String {
    let Ok(panic) = error.try_into_panic() else {
        return "cancelled".to_owned();
    };
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

async fn run(cell: Cell) {
    let emulator = start_emulator().await;
    let direct_tools = crate::direct_tools::tools_file(&emulator.base_url());
    let direct_path = direct_tools.path().join("direct.toml");
    let flags = cell.call.flags(direct_path.to_str().unwrap());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    if cell.call == Call::List {
        return startup(cell, &emulator, &flags).await;
    }
    let gateway = Gateway::spawn(&emulator.base_url(), USER, &flags).await;
    let (tool, arguments) = cell.call.tool();
    if cell.call.needs_grant_first() {
        let prompt = gateway.call(tool, arguments.clone()).await;
        approve(&authorization_url(&prompt)).await;
    }
    let state = emulator.state();
    let runs = || state.executions("Mail.SendEmail", USER);
    let (runs_before, requests_before) = (runs(), state.requests(cell.call.endpoint()));

    state.set_faults(cell.faults());
    let started = Instant::now();
    let result = if cell.call == Call::Status {
        let approve_meanwhile = async {
            eventually("the gateway polls", || {
                state.requests("auth.status") > requests_before
            })
            .await;
            approve(&pending_link(&emulator).await).await;
        };
        tokio::join!(gateway.call(tool, arguments.clone()), approve_meanwhile).0
    } else {
        gateway.call(tool, arguments.clone()).await
    };
    if cell.succeeds() {
        assert_answered(cell.call, &result);
    } else {
        assert_eq!(result.is_error, Some(true), "{}", text(&result));
        assert!(
            text(&result).contains(&cell.fault.phrase()),
            "{}",
            text(&result)
        );
    }
    let sent = state.requests(cell.call.endpoint()) - requests_before;
    assert_eq!(sent, cell.requests(), "requests sent upstream");
    if cell.fault == Fault::RateLimited && cell.requests() > 1 {
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(RETRY_AFTER_SECS),
            "Retry-After honoured: {waited:?}"
        );
    }
    if cell.fault == Fault::Delay && !cell.slow_long_poll() {
        // The gateway gave up on each slow request, so the engine dropped each one
        // before handling it: none can run later.
        let slow = if cell.mode == Mode::Once {
            1
        } else {
            cell.requests()
        };
        let endpoint = cell.call.endpoint();
        eventually("the engine sees the slow requests abandoned", || {
            state.abandoned(endpoint) == slow
        })
        .await;
    }
    let ran = u64::from(cell.runs_mail());
    assert_eq!(runs() - runs_before, ran, "Mail.SendEmail runs");

    state.set_faults(Faults::default());
    let next = gateway.call(tool, arguments).await;
    assert_answered(cell.call, &next);
    let next_runs = u64::from(matches!(cell.call, Call::Execute | Call::Status));
    assert_eq!(
        runs() - runs_before,
        ran + next_runs,
        "one more run, no repeat"
    );
}

/// The link of the user's pending `Mail.SendEmail` grant, as Arcade hands it out
/// again to whoever asks (the person's browser has it from the gateway's log message).
async fn pending_link(emulator: &Emulator) -> String {
    let settings = ArcadeSettings::new(
        emulator.base_url().parse().unwrap(),
        API_KEY.to_owned().into(),
    );
    let request = ToolAuthorizeRequest {
        tool_name: "Mail.SendEmail".to_owned(),
        user_id: USER.to_owned(),
        ..Default::default()
    };
    let auth = ArcadeClient::new(settings)
        .unwrap()
        .authorize_tool(&request)
        .await
        .unwrap();
    auth.url.expect("a pending grant has a link")
}

/// The call's answer when nothing is wrong.
fn assert_answered(call: Call, result: &CallToolResult) {
    match call {
        Call::Authorize => {
            authorization_url(result);
        }
        Call::List | Call::ExecuteReadOnly => assert_eq!(text(result), "4"),
        Call::Execute | Call::Status | Call::Token => {
            assert_eq!(result.is_error, Some(false), "{}", text(result));
        }
    }
}

/// The catalog load at startup: a start after a retry (then the tools are listed and
/// called), or a one-line error and exit code 2.
async fn startup(cell: Cell, emulator: &Emulator, flags: &[&str]) {
    let state = emulator.state();
    state.set_faults(cell.faults());
    if !cell.succeeds() {
        // Its own catalog cache: another test's, for an emulator once on this port,
        // would be served instead of failing.
        let cache = tempfile::tempdir().unwrap();
        let output = tokio::process::Command::new(gateway_bin())
            .arg("serve")
            .args(flags)
            .env_clear()
            .envs(crate::support::kept_env())
            .env("ARCADE_API_KEY", API_KEY)
            .env("ARCADE_BASE_URL", emulator.base_url())
            .env("ARCADE_USER_ID", USER)
            .env("ARCADE_GATEWAY_CACHE_DIR", cache.path())
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("error: could not load the tool catalog: ")
                && last.contains(&cell.fault.phrase()),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "nothing was served");
    } else {
        let gateway = Gateway::spawn(&emulator.base_url(), USER, flags).await;
        let tools = gateway.client.list_all_tools().await.unwrap();
        assert!(
            tools.iter().any(|t| t.name == "Math_Sqrt"),
            "the catalog loaded"
        );
        let (tool, arguments) = cell.call.tool();
        assert_answered(cell.call, &gateway.call(tool, arguments).await);
    }
    assert_eq!(
        state.requests("tools.list"),
        cell.requests(),
        "catalog requests"
    );
}

#[tokio::test]
async fn the_catalog_load_retries_or_ends_with_one_line() {
    row(Call::List).await;
}

#[tokio::test]
async fn a_side_effecting_execute_is_never_sent_twice() {
    row(Call::Execute).await;
}

#[tokio::test]
async fn a_read_only_execute_is_retried() {
    row(Call::ExecuteReadOnly).await;
}

#[tokio::test]
async fn asking_for_a_grant_is_retried() {
    row(Call::Authorize).await;
}

#[tokio::test]
async fn waiting_for_a_grant_survives_or_reports_faults() {
    row(Call::Status).await;
}

#[tokio::test]
async fn fetching_a_direct_tools_token_is_retried() {
    row(Call::Token).await;
}
