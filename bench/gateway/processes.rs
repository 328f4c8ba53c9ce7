//! The processes under test: the release `arcade-mcp-gateway` binary as an emulator and
//! as a gateway (stdio or HTTP), each its own process so their CPU and memory stay
//! apart; and their resident memory, read from `/proc`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

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
        let mut child = Command::new(BIN)
            .args(["emulator", "--bind", "127.0.0.1:0", "--catalog"])
            .arg(catalog)
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
        let mut child = command
            .args(["--transport", "http", "--bind", "127.0.0.1:0"])
            .args(["--max-concurrent-calls", "1000000"])
            .args(["--calls-per-minute", "1000000000"])
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

/// `arcade-mcp-gateway serve` against `emulator`, with the catalog cache in `cache` or
/// without one, logging warnings only.
pub fn gateway_command(emulator: &Emulator, cache: Option<&Path>) -> Command {
    command_of(BIN, emulator, cache)
}

fn command_of(bin: &str, emulator: &Emulator, cache: Option<&Path>) -> Command {
    let mut command = Command::new(bin);
    command.arg("serve");
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
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        Self {
            rss_kib: field("VmRSS:"),
            peak_kib: field("VmHWM:"),
        }
    }
}
