//! `cargo bench --bench soak`: a long mixed run against the release gateway, with its
//! memory sampled each minute, to show it stays flat.
//!
//! One emulator (the demo catalog), one HTTP gateway (stateful Streamable HTTP, users
//! named by a trusted proxy header) and one stdio gateway, each its own process on
//! loopback. For `SOAK_MINUTES` (default 30) a few workers send a steady mix (see
//! `workload.rs`): tool calls with argument errors and unknown tools among them,
//! authorization prompts approved or not, sessions deleted and abandoned, calls dropped
//! mid-way and cancelled, short-lived stdio gateways, while the emulator's faults are
//! switched through every kind each minute (`faults.rs`). Each minute both gateways'
//! RSS, peak, threads and open files are sampled with the requests of the minute and
//! how they ended. At the end: the table, the memory verdict, the emulator's execution
//! counter held to the side-effecting calls sent, and a normal call on each gateway.
//! Exits non-zero if a gateway died or stopped answering, memory grew, a side effect
//! ran twice, or the last call failed.

#[allow(dead_code)] // shared with bench/gateway, which uses other parts of it
#[path = "../common/clients.rs"]
mod clients;
mod faults;
#[allow(dead_code)] // shared with bench/gateway, which uses other parts of it
#[path = "../common/processes.rs"]
mod processes;
mod report;
mod tally;
mod workload;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use clients::StdioGateway;
use faults::{FaultSwitch, REQUEST_TIMEOUT_SECS};
use processes::{Emulator, HttpGateway, Usage, emulator_stats, gateway_command};
use report::{Growth, Sample};
use tally::Counts;
use workload::{PROXY_SECRET, SIDE_EFFECTS, Soak};

/// Granted users the callers and the churner act for.
const POOL: usize = 9;
/// Callers, each with a third of the pool.
const CALLERS: usize = 3;
/// The stdio gateway's user.
const STDIO_USER: &str = "soak-stdio@example.com";
/// The HTTP gateway's idle session timeout: abandoned sessions go within a minute.
const IDLE_TIMEOUT_SECS: &str = "60";

#[tokio::main]
async fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this too, where
    // half an hour of a debug build would tell nothing: it checks the verdicts instead.
    if !std::env::args().any(|arg| arg == "--bench") {
        tally::self_check();
        report::self_check();
        eprintln!(
            "the soak's verdicts check out; the soak runs with `cargo bench --bench soak` (SOAK_MINUTES=3 for a short one)"
        );
        return ExitCode::SUCCESS;
    }
    let minutes: usize = std::env::var("SOAK_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .filter(|&m| m > 0)
        .unwrap_or(30);
    let started = chrono::Utc::now();
    let problems = run(minutes).await;
    eprintln!(
        "soak: started {}, ended {}",
        started.format("%Y-%m-%d %H:%M UTC"),
        chrono::Utc::now().format("%H:%M UTC")
    );
    if problems.is_empty() {
        println!("\nresult: PASS");
        ExitCode::SUCCESS
    } else {
        println!("\nresult: FAIL");
        for problem in &problems {
            println!("- {problem}");
        }
        ExitCode::FAILURE
    }
}

/// The whole soak; returns what went wrong.
async fn run(minutes: usize) -> Vec<String> {
    let emulator = Emulator::start_demo().await;
    let mut http_command = gateway_command(&emulator, None);
    http_command
        .arg("--trust-user-header")
        .env("ARCADE_GATEWAY_PROXY_SECRET", PROXY_SECRET)
        .args(["--request-timeout", REQUEST_TIMEOUT_SECS])
        .args(["--idle-timeout", IDLE_TIMEOUT_SECS]);
    let http_gateway = HttpGateway::start_with(http_command).await;
    let mut soak = Soak {
        http: reqwest::Client::new(),
        mcp_url: http_gateway.mcp_url.clone(),
        deadline: Instant::now(),
        emulator,
        http_tally: Default::default(),
        stdio_tally: Default::default(),
        ledger: Default::default(),
        events: Default::default(),
    };
    let mut stdio_gateway = StdioGateway::start(soak.stdio_command(STDIO_USER)).await;
    let users: Vec<String> = (0..POOL)
        .map(|i| format!("soak-user-{i}@example.com"))
        .collect();
    workload::grant_pool(&soak, &users).await;
    workload::grant_stdio(&soak, &mut stdio_gateway, STDIO_USER).await;
    let pids = (http_gateway.pid(), stdio_gateway.pid());
    eprintln!(
        "soak: {minutes} min against {} (HTTP pid {}, stdio pid {}), emulator {}",
        processes::BIN,
        pids.0,
        pids.1,
        soak.emulator.url
    );

    soak.deadline = Instant::now() + Duration::from_secs(60 * minutes as u64);
    let soak = Arc::new(soak);
    let switch = FaultSwitch::new(&soak.http, &soak.emulator.url);
    let faults = tokio::spawn({
        let deadline = soak.deadline;
        async move { switch.cycle_until(deadline).await }
    });
    let mut workers = Vec::new();
    for part in users.chunks(POOL / CALLERS) {
        workers.push(tokio::spawn(workload::caller(
            soak.clone(),
            part.to_vec(),
            20.0,
        )));
    }
    workers.push(tokio::spawn(workload::prompter(soak.clone(), 2.0)));
    workers.push(tokio::spawn(workload::churner(
        soak.clone(),
        users.clone(),
        5.0,
    )));
    let stdio_worker = tokio::spawn(workload::stdio(
        soak.clone(),
        stdio_gateway,
        STDIO_USER.to_owned(),
        20.0,
    ));

    let samples = sample_each_minute(&soak, pids, minutes).await;
    for worker in workers {
        worker.await.expect("a worker panicked");
    }
    let mut stdio_gateway = stdio_worker.await.expect("the stdio worker panicked");
    let switches = faults.await.expect("the fault switch panicked");

    println!("{}", report::table(&samples));
    println!("{}", soak.events.describe());
    println!("{switches} fault windows switched in the emulator");
    let mut problems = verdict(&samples);
    problems.extend(side_effects(&soak).await);
    let last = [
        ("HTTP", workload::http_answers(&soak, &users[0]).await),
        ("stdio", workload::stdio_answers(&mut stdio_gateway).await),
    ];
    for (name, answered) in last {
        match answered {
            Ok(()) => println!("the {name} gateway answers a normal call after the run"),
            Err(error) => problems.push(format!(
                "the {name} gateway failed a normal call after the run: {error}"
            )),
        }
    }
    problems
}

/// Samples both gateways every minute until `minutes` have passed, printing each row
/// as it comes (the run is long: the log shows progress).
async fn sample_each_minute(
    soak: &Soak,
    (http_pid, stdio_pid): (u32, u32),
    minutes: usize,
) -> Vec<Sample> {
    let start = Instant::now();
    let mut samples = Vec::with_capacity(minutes);
    let mut before = (Counts::default(), Counts::default());
    let mut cpu_before = (
        Usage::of(http_pid).cpu_ticks,
        Usage::of(stdio_pid).cpu_ticks,
    );
    for minute in 1..=minutes {
        tokio::time::sleep_until(start + Duration::from_secs(60 * minute as u64)).await;
        let now = (soak.http_tally.snapshot(), soak.stdio_tally.snapshot());
        let (http, stdio) = (Usage::of(http_pid), Usage::of(stdio_pid));
        let sample = Sample {
            minute,
            http,
            stdio,
            cpu_ticks: (
                http.cpu_ticks.saturating_sub(cpu_before.0),
                stdio.cpu_ticks.saturating_sub(cpu_before.1),
            ),
            http_counts: now.0.since(before.0),
            stdio_counts: now.1.since(before.1),
        };
        before = now;
        cpu_before = (http.cpu_ticks, stdio.cpu_ticks);
        eprintln!(
            "soak: {}",
            report::table(&[sample]).lines().last().unwrap_or("")
        );
        samples.push(sample);
    }
    samples
}

/// The memory verdict and the liveness of each minute.
fn verdict(samples: &[Sample]) -> Vec<String> {
    let mut problems = Vec::new();
    for sample in samples.iter().filter(|s| !s.answering()) {
        problems.push(format!(
            "minute {}: a gateway died or answered nothing (HTTP alive {}, {} answered; stdio alive {}, {} answered)",
            sample.minute,
            sample.http.alive,
            sample.http_counts.answered(),
            sample.stdio.alive,
            sample.stdio_counts.answered()
        ));
    }
    let growths = [
        Growth::of("HTTP", samples, |s| s.http.memory.rss_kib),
        Growth::of("stdio", samples, |s| s.stdio.memory.rss_kib),
    ];
    println!("{}", report::bound());
    for growth in growths {
        println!("verdict: {}", growth.describe());
        if !growth.flat() {
            problems.push(growth.describe());
        }
    }
    problems
}

/// The emulator's execution counter against the side-effecting calls sent.
async fn side_effects(soak: &Soak) -> Vec<String> {
    let stats = match emulator_stats(&soak.http, &soak.emulator.url).await {
        Ok(stats) => stats,
        Err(error) => return vec![format!("the emulator's stats: {error}")],
    };
    let abandoned: u64 = stats["abandoned"]
        .as_object()
        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
    println!("{abandoned} upstream requests abandoned by the gateway (its client went away)");
    match soak.ledger.check(&stats["executions"], &SIDE_EFFECTS) {
        Ok((calls, runs)) => {
            println!(
                "side effects: {calls} calls of side-effecting tools sent, {runs} runs: none ran twice"
            );
            Vec::new()
        }
        Err(twice) => twice
            .into_iter()
            .map(|t| format!("ran twice: {t}"))
            .collect(),
    }
}
