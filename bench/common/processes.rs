//! The processes under test: the release `arcade-mcp-gateway` binary as an emulator and
//! as a gateway (stdio or HTTP), each its own process so their CPU and memory stay
//! apart; and their resident memory, read from `/proc`. Shared by the `gateway` and
//! `soak` benches.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// The binary Cargo built (with the bench profile, i.e. release) for this bench.
pub const BIN: &str = env!("CARGO_BIN_EXE_arcade-mcp-gateway");

/// Another build of the gateway to measure next to [`BIN`] over HTTP, interleaved
/// (`BENCH_COMPARE=/path/to/old/arcade-mcp-gateway`): a before/after on one machine load.
pub fn compare_bin() -> Option<String> {
    std::env::var("BENCH_COMPARE")
        .ok()
        .filter(|p| !p.is_empty())
}
/// The key the emulator accepts.
pub const API_KEY: &str = "arc_bench_key";
/// The user every call acts for.
pub const USER: &str = "bench@example.com";

/// A running emulator process.
pub struct Emulator {
    /// Its base URL.
    pub url: String,
    child: Child,
}

impl Emulator {
    /// `emulator --catalog DIR` on a free loopback port, zero latency, no faults.
    pub async fn start(catalog: &Path) -> Self {
        let mut command = Command::new(BIN);
        command.args(["emulator", "--catalog"]).arg(catalog);
        Self::spawn(command).await
    }

    /// `emulator` with its demo catalog (tools that really run, some needing a grant,
    /// some with side effects) on a free loopback port, zero latency, no faults.
    pub async fn start_demo() -> Self {
        let mut command = Command::new(BIN);
        command.arg("emulator");
        Self::spawn(command).await
    }

    async fn spawn(mut command: Command) -> Self {
        let mut child = command
            .args(["--bind", "127.0.0.1:0"])
            .env("ARCADE_API_KEY", API_KEY)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the emulator starts");
        let stdout = child.stdout.take().unwrap();
        let url = line_after(stdout, "arcade emulator listening on ").await;
        Self { url, child }
    }

    /// CPU time its threads have used so far.
    pub fn cpu(&self) -> Duration {
        cpu_time(self.child.id().unwrap_or(0))
    }
}

/// A `serve --transport http` process.
pub struct HttpGateway {
    /// `http://127.0.0.1:PORT/mcp`.
    pub mcp_url: String,
    child: Child,
}

impl HttpGateway {
    /// Serves `emulator`'s catalog over HTTP for one fixed user, limits out of the way.
    pub async fn start(emulator: &Emulator) -> Self {
        Self::start_binary(BIN, emulator, false).await
    }

    /// [`start`](Self::start) with the gateway binary `bin`, `--stateless` or not.
    pub async fn start_binary(bin: &str, emulator: &Emulator, stateless: bool) -> Self {
        let mut command = command_of(bin, emulator, None);
        if stateless {
            command.arg("--stateless");
        }
        Self::start_with(command).await
    }

    /// Serves over HTTP with `command` (a [`gateway_command`] with more flags or
    /// variables), limits out of the way.
    pub async fn start_with(mut command: Command) -> Self {
        let mut child = command
            .args(["--transport", "http", "--bind", "127.0.0.1:0"])
            .args(["--max-concurrent-calls", "1000000"])
            .args(["--calls-per-minute", "1000000000"])
            // The benches open many sessions as one user.
            .args([
                "--max-sessions",
                "1000000",
                "--max-sessions-per-user",
                "1000000",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the gateway starts");
        let stderr = child.stderr.take().unwrap();
        let base = line_after(stderr, "arcade-mcp-gateway listening on ").await;
        Self {
            mcp_url: format!("{base}/mcp"),
            child,
        }
    }

    /// Its memory now.
    pub fn memory(&self) -> Memory {
        Memory::of(self.pid())
    }

    /// Forgets its peak so far (Linux's `clear_refs`, value 5), so the next peak read
    /// is that of what happens after, not of loading the catalog at start-up.
    pub fn reset_peak(&self) {
        let path = format!("/proc/{}/clear_refs", self.pid());
        std::fs::write(&path, "5").unwrap_or_else(|e| panic!("{path}: {e}"));
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// CPU time its threads have used so far.
    pub fn cpu(&self) -> Duration {
        cpu_time(self.pid())
    }
}

/// CPU time (user and system) the live threads of process `pid` have used: the sum of
/// `/proc/PID/task/*/schedstat`, in nanoseconds. Unlike wall-clock latency, it hardly
/// moves with the load other processes put on the machine.
pub fn cpu_time(pid: u32) -> Duration {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten();
    let nanos = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// `arcade-mcp-gateway serve --discovery never --no-connection-tools` against
/// `emulator`, with the catalog cache in `cache` or without one, logging warnings only.
pub fn gateway_command(emulator: &Emulator, cache: Option<&Path>) -> Command {
    command_of(BIN, emulator, cache)
}

fn command_of(bin: &str, emulator: &Emulator, cache: Option<&Path>) -> Command {
    let mut command = Command::new(bin);
    // Every catalog tool listed (in pages) and nothing else, as the measurements of the
    // whole catalog need.
    command.args(["serve", "--discovery", "never", "--no-connection-tools"]);
    match cache {
        Some(dir) => command.arg("--catalog-cache-dir").arg(dir),
        None => command.arg("--no-catalog-cache"),
    };
    command
        .env("ARCADE_API_KEY", API_KEY)
        .env("ARCADE_BASE_URL", &emulator.url)
        .env("ARCADE_USER_ID", USER)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    command
}

/// What a person does with an authorization link: opens the page and presses Approve.
pub async fn approve(http: &reqwest::Client, url: &str) -> Result<(), reqwest::Error> {
    http.get(url).send().await?.error_for_status()?;
    let form = [("decision", "approve")];
    http.post(url)
        .form(&form)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// `GET /_emulator/stats` of the emulator at `base`: its request and execution counters.
pub async fn emulator_stats(http: &reqwest::Client, base: &str) -> Result<Value, reqwest::Error> {
    let response = http
        .get(format!("{base}/_emulator/stats"))
        .bearer_auth(API_KEY)
        .send()
        .await?;
    response.error_for_status()?.json().await
}

/// Reads lines until one starts with `prefix`; returns the rest of it. The rest of the
/// output is drained in the background so the process never blocks on a full pipe.
async fn line_after(output: impl AsyncRead + Unpin + Send + 'static, prefix: &str) -> String {
    let mut lines = BufReader::new(output).lines();
    let found = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.expect("output readable") {
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.trim().to_owned();
            }
        }
        panic!("the process ended before printing `{prefix}`");
    })
    .await
    .expect("the process starts within two minutes");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    found
}

/// What `/proc` says about a process now: its memory, threads and open files.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// Its resident memory.
    pub memory: Memory,
    /// `Threads`.
    pub threads: u64,
    /// Entries of `/proc/PID/fd`.
    pub fds: u64,
    /// CPU time used so far (user + system), in clock ticks of 1/100 s.
    pub cpu_ticks: u64,
    /// Whether it still runs: neither gone nor a zombie.
    pub alive: bool,
}

impl Usage {
    /// Reads `/proc/PID/status` and `/proc/PID/fd`.
    pub fn of(pid: u32) -> Self {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count());
        let state = status_field(&status, "State:");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // After the command name in parentheses: state, …, utime (11th), stime (12th).
        let times = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let cpu_ticks = times
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|ticks| ticks.parse::<u64>().ok())
            .sum();
        Self {
            memory: Memory::parse(&status),
            threads: status_field(&status, "Threads:").parse().unwrap_or(0),
            fds: fds as u64,
            cpu_ticks,
            alive: !state.is_empty() && state != "Z",
        }
    }
}

/// The first word after `name` in a `/proc/PID/status` text, or "".
fn status_field<'a>(status: &'a str, name: &str) -> &'a str {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("")
}

/// Resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the peak so far.
    pub peak_kib: u64,
}

impl Memory {
    /// Reads `/proc/PID/status`.
    pub fn of(pid: u32) -> Self {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        Self::parse(&status)
    }

    fn parse(status: &str) -> Self {
        let field = |name: &str| status_field(status, name).parse().unwrap_or(0);
        Self {
            rss_kib: field("VmRSS:"),
            peak_kib: field("VmHWM:"),
        }
    }
}
