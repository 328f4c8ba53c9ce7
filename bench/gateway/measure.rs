//! The measurements, each returning rows of the table.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arcade_mcp_gateway::arcade::types::{ToolDefinition, ToolkitFile};
use arcade_mcp_gateway::catalog::Catalog;
use futures::{StreamExt, TryStreamExt, stream};
use rmcp::model::ListToolsResult;
use serde_json::{Value, json};

use crate::clients::{HttpSession, StdioGateway};
use crate::processes::{
    API_KEY, BIN, Emulator, HttpGateway, USER, approve, compare_bin, cpu_time, emulator_stats,
    gateway_command,
};

/// The tool every call runs: it needs a Google grant, which the bench approves first.
const TOOL: &str = "Gmail.ListEmails";
/// Its MCP name.
const MCP_TOOL: &str = "Gmail_ListEmails";
/// Runs of each start-up measurement (the median is shown).
const STARTS: usize = 5;
/// Sequential calls per latency measurement, after as many for warm-up / 4.
const CALLS: usize = 2_000;
/// How long each throughput measurement runs.
const THROUGHPUT_RUN: Duration = Duration::from_secs(3);
/// Idle sessions opened for the per-session memory.
const IDLE_SESSIONS: usize = 1_000;

/// One line of the table.
pub struct Row {
    what: String,
    result: String,
    target: String,
}

pub(crate) fn row(
    what: impl Into<String>,
    result: impl Into<String>,
    target: impl Into<String>,
) -> Row {
    Row {
        what: what.into(),
        result: result.into(),
        target: target.into(),
    }
}

/// The rows as a markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from("| measurement | result | target |\n|---|---|---|\n");
    for r in rows {
        out.push_str(&format!("| {} | {} | {} |\n", r.what, r.result, r.target));
    }
    out
}

/// The machine the numbers come from.
pub struct Machine {
    cores: usize,
    cpu: String,
    load: String,
}

impl Machine {
    /// Cores, CPU model and load average, from `/proc`.
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
            .map_or("unknown CPU".to_owned(), |(_, m)| m.trim().to_owned());
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        Self {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu,
            load: load
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// One line for the table's heading.
    pub fn describe(&self) -> String {
        format!(
            "{} cores, {}; load average at start {}; {}",
            self.cores,
            self.cpu,
            self.load,
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
        )
    }
}

/// Every measurement, in order; `BENCH_ONLY` (a comma-separated list of `start`,
/// `latency`, `throughput`, `memory`, `build`, `redis`, `observability`) runs only those parts.
pub async fn all(fixtures: &Path) -> Vec<Row> {
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let runs = |part: &str| only.is_empty() || only.split(',').any(|p| p.trim() == part);
    let scratch = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    let small = subset(fixtures, 100, &scratch.path().join("100"));
    let medium = subset(fixtures, 1_000, &scratch.path().join("1000"));
    let full = Emulator::start(fixtures).await;
    if runs("start") {
        for dir in [&small, &medium] {
            let emulator = Emulator::start(dir).await;
            rows.extend(cold_start(&emulator, scratch.path()).await);
        }
        rows.extend(cold_start(&full, scratch.path()).await);
    }
    let variants = http_variants();
    if runs("latency") {
        rows.extend(latency(&full, &variants).await);
    }
    if runs("throughput") {
        rows.extend(throughput(&full, &variants).await);
    }
    if runs("memory") {
        let small_emulator = Emulator::start(&small).await;
        rows.extend(memory(&small_emulator, &full).await);
    }
    if runs("build") {
        rows.extend(build_and_serialize(fixtures));
    }
    if runs("redis") {
        rows.extend(crate::shared_state::redis_admission().await);
    }
    if runs("observability") {
        rows.extend(observability(&full).await);
    }
    rows
}

/// One way of serving Streamable HTTP that the latency and throughput parts measure.
struct HttpVariant {
    /// How the rows name it.
    name: String,
    bin: String,
    stateless: bool,
}

/// Stateful and `--stateless`, each also for the `BENCH_COMPARE` binary if one is given.
fn http_variants() -> Vec<HttpVariant> {
    let mut bins = vec![(BIN.to_owned(), String::new())];
    bins.extend(compare_bin().map(|bin| (bin, " [BENCH_COMPARE build]".to_owned())));
    let mut variants = Vec::new();
    for (bin, suffix) in bins {
        for stateless in [false, true] {
            let mode = if stateless { ", `--stateless`" } else { "" };
            variants.push(HttpVariant {
                name: format!("Streamable HTTP{mode}{suffix}"),
                bin: bin.clone(),
                stateless,
            });
        }
    }
    variants
}

/// A folder with whole toolkit files of `fixtures` (in name order, skipping any that
/// would overshoot) holding at most `target` tools.
fn subset(fixtures: &Path, target: usize, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let mut total = 0;
    for (i, toolkit) in toolkits(fixtures).iter().enumerate() {
        let count = toolkit.items.len();
        if total + count <= target {
            let file = dir.join(format!("{i:03}.json"));
            std::fs::write(file, serde_json::to_vec(toolkit).unwrap()).unwrap();
            total += count;
        }
    }
    dir.to_owned()
}

/// The toolkit files of the fixture catalog (a folder or the repository's archive).
fn toolkits(fixtures: &Path) -> Vec<ToolkitFile> {
    arcade_mcp_gateway::emulator::load_toolkits(fixtures)
        .unwrap_or_else(|e| panic!("fixture catalog: {e}"))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

pub(crate) fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// Part 1: Spawn → `initialize` → first `tools/list` answered, without and with the cache;
/// and the catalog fetch alone, by this process, paged as the gateway pages.
async fn cold_start(emulator: &Emulator, scratch: &Path) -> Vec<Row> {
    let http = reqwest::Client::new();
    let cache = tempfile::tempdir_in(scratch).unwrap();
    let tools = fill_cache(gateway_command(emulator, Some(cache.path())), cache.path()).await;
    // Interleaved, so that all three see the same load on the machine.
    let (mut cold, mut fetch, mut cached) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..STARTS {
        let (elapsed, listed) = first_list(gateway_command(emulator, None)).await;
        assert_eq!(listed, tools, "a cold start lists every tool");
        cold.push(elapsed);
        let started = Instant::now();
        let fetched = fetch_catalog(&http, &emulator.url).await;
        fetch.push(started.elapsed());
        assert_eq!(fetched, tools, "the gateway lists every tool");
        let (elapsed, listed) = first_list(gateway_command(emulator, Some(cache.path()))).await;
        assert_eq!(listed, tools, "a start from the cache lists every tool");
        cached.push(elapsed);
    }
    let (cold, fetch, cached) = (median(cold), median(fetch), median(cached));
    let own = cold.saturating_sub(fetch);
    vec![
        row(
            format!("1. cold start → first page of `tools/list`, {tools} tools (stdio, no cache)"),
            format!(
                "{} (catalog fetch alone {}; the rest {})",
                ms(cold),
                ms(fetch),
                ms(own)
            ),
            format!("≤ 50 ms + fetch: {}", met(own <= Duration::from_millis(50))),
        ),
        row(
            format!("1. second start, {tools} tools, served from the catalog cache"),
            ms(cached),
            format!(
                "no wait on the network: {}",
                met(cached < cold || cached <= Duration::from_millis(50))
            ),
        ),
    ]
}

pub(crate) fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

/// Time from spawning `command` to its first page of `tools/list`, and the tools of
/// every page.
async fn first_list(command: tokio::process::Command) -> (Duration, usize) {
    let started = Instant::now();
    let mut gateway = StdioGateway::start(command).await;
    let mut list = gateway.request("tools/list", json!({})).await;
    let elapsed = gateway.answered_at() - started;
    let mut tools = list["tools"].as_array().map_or(0, Vec::len);
    while let Some(cursor) = list["nextCursor"].as_str().map(str::to_owned) {
        list = gateway
            .request("tools/list", json!({"cursor": cursor}))
            .await;
        tools += list["tools"].as_array().map_or(0, Vec::len);
    }
    (elapsed, tools)
}

/// Starts a gateway with the cache until the cache file is written; returns how many
/// tools it listed.
async fn fill_cache(command: tokio::process::Command, dir: &Path) -> usize {
    let (_, tools) = first_list(command).await;
    for _ in 0..600 {
        let written = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "json"));
        if written {
            return tools;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the catalog cache was not written");
}

/// Every page of `GET /v1/tools`, 100 a page, 8 pages at once (as the gateway does).
async fn fetch_catalog(http: &reqwest::Client, base: &str) -> usize {
    let page = |offset: u64| async move {
        let url = format!("{base}/v1/tools?limit=100&offset={offset}");
        let response = http.get(url).bearer_auth(API_KEY).send().await?;
        response.error_for_status()?.json::<Value>().await
    };
    let first = page(0).await.expect("the emulator lists tools");
    let total = first["total_count"].as_u64().unwrap_or(0);
    let rest: Vec<Value> = stream::iter((100..total).step_by(100))
        .map(page)
        .buffered(8)
        .try_collect()
        .await
        .expect("the emulator lists tools");
    std::iter::once(&first)
        .chain(&rest)
        .map(|p| p["items"].as_array().map_or(0, Vec::len))
        .sum()
}

/// Part 2: Sequential authorized calls: over stdio, over each Streamable HTTP variant, and
/// the floor (this process calling the emulator's execute directly), interleaved so that
/// all of them see the same machine.
async fn latency(emulator: &Emulator, variants: &[HttpVariant]) -> Vec<Row> {
    let http = reqwest::Client::new();
    let mut stdio = StdioGateway::start(gateway_command(emulator, None)).await;
    authorize(async |call| stdio.request("tools/call", call).await, &http).await;
    let mut gateways = Vec::new();
    let mut sessions = Vec::new();
    for variant in variants {
        let gateway = HttpGateway::start_binary(&variant.bin, emulator, variant.stateless).await;
        eprintln!("latency: {} gateway pid {}", variant.name, gateway.pid());
        sessions.push(HttpSession::open(&http, &gateway.mcp_url).await);
        gateways.push(gateway);
    }
    eprintln!("latency: stdio gateway pid {}", stdio.pid());
    let call = json!({"name": MCP_TOOL, "arguments": {}});
    let (mut over_stdio, mut floor) = (Vec::new(), Vec::new());
    let mut over_http = vec![Vec::new(); sessions.len()];
    let before = upstream_requests(&http, &emulator.url).await;
    let pids: Vec<u32> = std::iter::once(stdio.pid())
        .chain(gateways.iter().map(HttpGateway::pid))
        .collect();
    let cpu_before: Vec<Duration> = pids.iter().map(|&pid| cpu_time(pid)).collect();
    for i in 0..CALLS + CALLS / 4 {
        let warm = i >= CALLS / 4;
        let started = Instant::now();
        execute_directly(&http, &emulator.url).await;
        let direct = started.elapsed();
        let started = Instant::now();
        assert_ok(&stdio.request("tools/call", call.clone()).await);
        let via_stdio = started.elapsed();
        for (session, samples) in sessions.iter().zip(&mut over_http) {
            let started = Instant::now();
            assert_ok(&session.request("tools/call", call.clone()).await);
            if warm {
                samples.push(started.elapsed());
            }
        }
        if warm {
            floor.push(direct);
            over_stdio.push(via_stdio);
        }
    }
    let cpu_per_call = pids
        .iter()
        .zip(cpu_before)
        .map(|(&pid, before)| (cpu_time(pid) - before) / (CALLS + CALLS / 4) as u32);
    let after = upstream_requests(&http, &emulator.url).await;
    // Each iteration: one direct execute and one call through each gateway.
    let iterations = (CALLS + CALLS / 4) as u64;
    let calls = iterations * (1 + sessions.len() as u64);
    let gateway_requests = (after - before) - iterations;
    let per_call = gateway_requests as f64 / calls as f64;
    floor.sort_unstable();
    let floor_p50 = percentile(&floor, 0.5);
    let mut rows = vec![row(
        format!(
            "2. floor: `POST /v1/tools/execute` from the same client, p50 / p99 ({CALLS} calls)"
        ),
        format!("{} / {}", us(floor_p50), us(percentile(&floor, 0.99))),
        "",
    )];
    let names = std::iter::once("stdio").chain(variants.iter().map(|v| v.name.as_str()));
    let measured = std::iter::once(over_stdio)
        .chain(over_http)
        .zip(cpu_per_call);
    for (name, (mut samples, cpu)) in names.zip(measured) {
        samples.sort_unstable();
        let p50 = percentile(&samples, 0.5);
        let added = p50.saturating_sub(floor_p50);
        rows.push(row(
            format!("2. authorized call over {name}, p50 / p99"),
            format!(
                "{} / {}: +{} over the floor ({:.2}×); gateway CPU {} a call",
                us(p50),
                us(percentile(&samples, 0.99)),
                us(added),
                p50.as_secs_f64() / floor_p50.as_secs_f64(),
                us(cpu)
            ),
            format!(
                "≤ +100 µs p50: {}",
                met(added <= Duration::from_micros(100))
            ),
        ));
    }
    rows.push(row(
        "2. upstream requests per authorized call",
        format!("{per_call:.3}"),
        format!("exactly 1: {}", met(gateway_requests == calls)),
    ));
    rows
}

/// Calls the tool (with `call`) until it runs, approving the grant its first answer
/// links to.
async fn authorize(mut call: impl AsyncFnMut(Value) -> Value, http: &reqwest::Client) {
    for _ in 0..5 {
        let result = call(json!({"name": MCP_TOOL, "arguments": {}})).await;
        let Some(url) = result["structuredContent"]["authorization_url"].as_str() else {
            assert_ok(&result);
            return;
        };
        approve(http, url).await.expect("the grant is approved");
    }
    panic!("the grant was never approved");
}

fn assert_ok(result: &Value) {
    assert_ne!(result["isError"], true, "the call failed: {result}");
}

/// The floor: one execute, as the gateway sends it.
async fn execute_directly(http: &reqwest::Client, base: &str) {
    let body = json!({"tool_name": TOOL, "input": {}, "user_id": USER});
    let response = http
        .post(format!("{base}/v1/tools/execute"))
        .bearer_auth(API_KEY)
        .json(&body)
        .send()
        .await
        .expect("the emulator answers");
    assert!(
        response.status().is_success(),
        "execute: {}",
        response.status()
    );
    response.bytes().await.expect("a body");
}

/// Every `/v1` request the emulator has counted.
async fn upstream_requests(http: &reqwest::Client, base: &str) -> u64 {
    let stats = emulator_stats(http, base)
        .await
        .expect("the emulator answers");
    stats["requests"]
        .as_object()
        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
}

/// Part 3: Calls/s through each Streamable HTTP variant (one session a client) and
/// straight to the emulator, at the same concurrency.
async fn throughput(emulator: &Emulator, variants: &[HttpVariant]) -> Vec<Row> {
    let mut gateways = Vec::new();
    for variant in variants {
        let gateway = HttpGateway::start_binary(&variant.bin, emulator, variant.stateless).await;
        eprintln!("throughput: {} gateway pid {}", variant.name, gateway.pid());
        gateways.push(gateway);
    }
    let mut rows = Vec::new();
    for clients in [1, 16, 256] {
        let http = reqwest::Client::new();
        let mut via_gateways = Vec::new();
        for gateway in &gateways {
            let sessions = open_sessions(&http, &gateway.mcp_url, clients).await;
            let cpu_before = gateway.cpu();
            let (calls_per_s, calls) = run_for(sessions, |session: Arc<HttpSession>| async move {
                let call = json!({"name": MCP_TOOL, "arguments": {}});
                assert_ok(&session.request("tools/call", call).await);
            })
            .await;
            let cpu = (gateway.cpu() - cpu_before) / calls.max(1) as u32;
            via_gateways.push((calls_per_s, cpu));
        }
        let client = (http.clone(), Arc::new(emulator.url.clone()));
        let emulator_before = emulator.cpu();
        let (direct, direct_calls) = run_for(vec![client; clients], |(http, base)| async move {
            execute_directly(&http, &base).await;
        })
        .await;
        let emulator_cpu = (emulator.cpu() - emulator_before) / direct_calls.max(1) as u32;
        for (variant, (via_gateway, cpu)) in variants.iter().zip(via_gateways) {
            let share = via_gateway / direct;
            rows.push(row(
                format!("3. throughput, {clients} concurrent {} clients", variant.name),
                format!(
                    "{via_gateway:.0} calls/s = {:.0}% of the emulator's direct {direct:.0} calls/s; \
                     CPU a call: gateway {}, emulator alone (direct) {}",
                    share * 100.0,
                    us(cpu),
                    us(emulator_cpu)
                ),
                if clients == 16 {
                    format!("≥ 50%: {}", met(share >= 0.5))
                } else {
                    String::new()
                },
            ));
        }
    }
    rows
}

async fn open_sessions(http: &reqwest::Client, url: &str, n: usize) -> Vec<Arc<HttpSession>> {
    stream::iter(0..n)
        .map(|_| async { Arc::new(HttpSession::open(http, url).await) })
        .buffer_unordered(32)
        .collect()
        .await
}

/// Runs one client per item, each calling `call` back to back for
/// [`THROUGHPUT_RUN`]; returns completed calls per second, and how many completed.
async fn run_for<T, F, Fut>(clients: Vec<T>, call: F) -> (f64, u64)
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + THROUGHPUT_RUN;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| {
            let (done, call) = (done.clone(), call.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    call(client.clone()).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a client does not panic");
    }
    let done = done.load(Ordering::Relaxed);
    (done as f64 / started.elapsed().as_secs_f64(), done)
}

/// How long the gateway is left alone before its memory is read "at rest": its
/// allocator returns freed pages to the system after a second.
const SETTLE: Duration = Duration::from_secs(2);

/// Part 4: Resident memory of `serve --transport http`: idle with a small catalog, with the
/// full one after paging through `tools/list` (at rest, and the peak while paging), and per
/// idle session.
async fn memory(small: &Emulator, full: &Emulator) -> Vec<Row> {
    let http = reqwest::Client::new();
    let idle = HttpGateway::start(small).await;
    let idle_session = HttpSession::open(&http, &idle.mcp_url).await;
    let small_tools = list_len(&idle_session).await;
    tokio::time::sleep(SETTLE).await;
    let idle_memory = idle.memory();
    drop(idle);

    let gateway = HttpGateway::start(full).await;
    let session = HttpSession::open(&http, &gateway.mcp_url).await;
    tokio::time::sleep(SETTLE).await;
    gateway.reset_peak();
    let tools = list_len(&session).await;
    tokio::time::sleep(SETTLE).await;
    let loaded = gateway.memory();
    let sessions = open_sessions(&http, &gateway.mcp_url, IDLE_SESSIONS).await;
    tokio::time::sleep(SETTLE).await;
    let with_sessions = gateway.memory();
    let per_session =
        with_sessions.rss_kib.saturating_sub(loaded.rss_kib) as f64 / sessions.len() as f64;
    let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
    vec![
        row(
            format!("4. gateway RSS, idle ({small_tools} tools, one session)"),
            format!(
                "{} (peak {})",
                mib(idle_memory.rss_kib),
                mib(idle_memory.peak_kib)
            ),
            "",
        ),
        row(
            format!("4. gateway RSS with {tools} tools, at rest after paging `tools/list`"),
            format!(
                "{} (peak {} while paging through every tool, after start-up)",
                mib(loaded.rss_kib),
                mib(loaded.peak_kib)
            ),
            format!(
                "≤ 40 MB at rest: {}; peak ≤ 60 MiB: {}",
                met(loaded.rss_kib * 1024 <= 40_000_000),
                met(loaded.peak_kib <= 60 * 1024)
            ),
        ),
        row(
            format!(
                "4. gateway RSS with {} idle HTTP sessions more",
                sessions.len()
            ),
            format!(
                "{} (peak {}): {per_session:.1} KiB a session",
                mib(with_sessions.rss_kib),
                mib(with_sessions.peak_kib)
            ),
            format!("≤ 50 KB a session: {}", met(per_session * 1.024 <= 50.0)),
        ),
    ]
}

/// Pages through `tools/list`: the tools of every page.
async fn list_len(session: &HttpSession) -> usize {
    let mut list = session.request("tools/list", json!({})).await;
    let mut tools = list["tools"].as_array().map_or(0, Vec::len);
    while let Some(cursor) = list["nextCursor"].as_str().map(str::to_owned) {
        list = session
            .request("tools/list", json!({"cursor": cursor}))
            .await;
        tools += list["tools"].as_array().map_or(0, Vec::len);
    }
    tools
}

/// Part 5: In process: Arcade definitions → the MCP catalog, and the whole `tools/list`
/// answer → JSON.
fn build_and_serialize(fixtures: &Path) -> Vec<Row> {
    let definitions: Vec<ToolDefinition> = toolkits(fixtures)
        .into_iter()
        .flat_map(|toolkit| toolkit.items)
        .collect();
    let mut build = Vec::new();
    let mut serialize = Vec::new();
    let mut bytes = 0;
    for _ in 0..STARTS {
        let input = definitions.clone();
        let started = Instant::now();
        let catalog = Catalog::from_definitions(input);
        build.push(started.elapsed());
        let started = Instant::now();
        let answer = ListToolsResult::with_all_items(catalog.tools());
        bytes = serde_json::to_vec(&answer).unwrap().len();
        serialize.push(started.elapsed());
    }
    vec![row(
        format!(
            "5. build the catalog / serialize `tools/list`, {} tools",
            definitions.len()
        ),
        format!(
            "{} / {} ({:.1} MB of JSON)",
            ms(median(build)),
            ms(median(serialize)),
            bytes as f64 / 1e6
        ),
        "",
    )]
}

/// Rounds of the observability comparison (the median ratio is shown).
const OBSERVED_ROUNDS: usize = 7;
/// Calls through each gateway a round.
const OBSERVED_CALLS: usize = 500;

/// Part 7: The gateway CPU an authorized call costs with OpenTelemetry traces (exported
/// over OTLP/HTTP to a receiver in this process) and the audit log (to a file) both on,
/// against both off: two `--stateless` gateways, called in turn, in rounds.
async fn observability(emulator: &Emulator) -> Vec<Row> {
    let receiver = otlp::Receiver::start().await;
    let scratch = tempfile::tempdir().unwrap();
    let audit_log = scratch.path().join("audit.jsonl");
    let mut plain = gateway_command(emulator, None);
    plain.arg("--stateless");
    let mut observed = gateway_command(emulator, None);
    observed
        .arg("--stateless")
        .arg("--audit-log")
        .arg(&audit_log)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.url)
        .env("OTEL_SERVICE_NAME", "bench");
    let gateways = [
        HttpGateway::start_with(plain).await,
        HttpGateway::start_with(observed).await,
    ];
    let http = reqwest::Client::new();
    let mut sessions = Vec::new();
    for gateway in &gateways {
        let session = HttpSession::open(&http, &gateway.mcp_url).await;
        authorize(
            async |call| session.request("tools/call", call).await,
            &http,
        )
        .await;
        sessions.push(session);
    }
    let call = json!({"name": MCP_TOOL, "arguments": {}});
    let mut ratios = Vec::new();
    let mut per_call = [Vec::new(), Vec::new()];
    for round in 0..=OBSERVED_ROUNDS {
        for ((gateway, session), samples) in gateways.iter().zip(&sessions).zip(&mut per_call) {
            let before = gateway.cpu();
            for _ in 0..OBSERVED_CALLS {
                assert_ok(&session.request("tools/call", call.clone()).await);
            }
            // Round 0 warms both up.
            if round > 0 {
                samples.push((gateway.cpu() - before) / OBSERVED_CALLS as u32);
            }
        }
        if round > 0 {
            let [off, on] = [&per_call[0], &per_call[1]].map(|s| s[round - 1].as_secs_f64());
            ratios.push(on / off);
        }
    }
    // Let the last batch of spans go out, so the receiver's count covers the calls.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let audit_lines = std::fs::read_to_string(&audit_log)
        .map(|text| text.lines().count())
        .unwrap_or(0);
    let calls = (OBSERVED_ROUNDS + 1) * OBSERVED_CALLS;
    assert!(
        audit_lines >= calls,
        "the audit log has {audit_lines} lines for {calls} calls"
    );
    assert!(
        receiver.spans() >= calls as u64,
        "the receiver got {} spans",
        receiver.spans()
    );
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let [off, on] = per_call.map(median);
    vec![row(
        format!(
            "7. gateway CPU an authorized call, traces + audit log on vs off, `--stateless` \
             (median of {OBSERVED_ROUNDS} rounds × {OBSERVED_CALLS} calls)"
        ),
        format!(
            "{} on vs {} off: ratio {ratio:.3} ({} spans received, {audit_lines} audit lines)",
            us(on),
            us(off),
            receiver.spans()
        ),
        format!("≤ 1.05: {}", met(ratio <= 1.05)),
    )]
}

/// An OTLP/HTTP trace receiver on loopback that only counts what it is sent.
mod otlp {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::routing::post;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;

    /// The running receiver.
    pub struct Receiver {
        /// Its base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`).
        pub url: String,
        spans: Arc<AtomicU64>,
    }

    impl Receiver {
        pub async fn start() -> Self {
            let spans = Arc::new(AtomicU64::new(0));
            let app = axum::Router::new()
                .route("/v1/traces", post(receive))
                .with_state(spans.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await });
            Self { url, spans }
        }

        /// Spans received so far.
        pub fn spans(&self) -> u64 {
            self.spans.load(Ordering::Relaxed)
        }
    }

    async fn receive(State(spans): State<Arc<AtomicU64>>, body: Bytes) -> &'static str {
        if let Ok(request) = ExportTraceServiceRequest::decode(body) {
            let count: usize = request
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .map(|s| s.spans.len())
                .sum();
            spans.fetch_add(count as u64, Ordering::Relaxed);
        }
        ""
    }
}
