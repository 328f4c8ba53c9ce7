//! Part 6: what `--redis-url` adds to a call. One admission check (the rate and the
//! concurrency lease, one Lua script) against a local `redis-server`, next to a bare
//! `PING` on the same connection (the round trip's floor).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arcade_mcp_gateway::shared_state::{Admission, CallRules, RedisUrl, SharedState};

use crate::measure::{Row, met, percentile, row, us};

/// Sequential admissions measured, after a quarter as many for warm-up.
const CHECKS: usize = 2_000;

/// Part 6's rows; one row saying why when `redis-server` cannot be started.
pub async fn redis_admission() -> Vec<Row> {
    let what = format!("6. Redis-backed limit check (`--redis-url`), p50 / p99 ({CHECKS} checks)");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Ok(server) = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
    else {
        return vec![row(what, "not measured: redis-server is not installed", "")];
    };
    let _server = KilledOnDrop(server);
    let url = RedisUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
    let mut shared = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let candidate = SharedState::connect(&url).await;
        if candidate.redis().is_some_and(|r| r.reachable()) {
            shared = Some(candidate);
            break;
        }
    }
    let shared = shared.expect("redis-server answers");
    let rules = CallRules {
        calls_per_minute: 1_000_000_000,
        max_concurrent_calls: 1_000_000,
    };
    let mut admissions = Vec::with_capacity(CHECKS);
    let mut pings = Vec::with_capacity(CHECKS);
    let mut ping = redis::Client::open(url.shown())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut scripts_before = 0;
    for n in 0..CHECKS + CHECKS / 4 {
        if n == CHECKS / 4 {
            scripts_before = scripts_run(&mut ping).await;
        }
        let started = Instant::now();
        let admitted = shared.admit("bench@example.com", &rules).await;
        let took = started.elapsed();
        match &admitted {
            Some(Admission::Admitted(_)) => {}
            Some(Admission::TooFast { retry_after }) => panic!("over the rate: {retry_after:?}"),
            Some(Admission::TooMany) => panic!("over the concurrency"),
            None => panic!("Redis did not answer admission {n} within its timeout"),
        }
        // Released as a call's slot is, when its answer has been sent.
        drop(admitted);
        let started = Instant::now();
        let _: String = redis::cmd("PING").query_async(&mut ping).await.unwrap();
        if n >= CHECKS / 4 {
            admissions.push(took);
            pings.push(started.elapsed());
        }
    }
    // Round trips a check, counted by Redis: the scripts it ran (the warm-up's first
    // check also loaded the script: `NOSCRIPT`, `SCRIPT LOAD`, then `EVALSHA` again).
    let round_trips = (scripts_run(&mut ping).await - scripts_before) as f64 / CHECKS as f64;
    admissions.sort_unstable();
    pings.sort_unstable();
    vec![row(
        what,
        format!(
            "{} / {}, {round_trips:.3} round trips a check (a bare `PING` on loopback: {} / {})",
            us(percentile(&admissions, 0.5)),
            us(percentile(&admissions, 0.99)),
            us(percentile(&pings, 0.5)),
            us(percentile(&pings, 0.99)),
        ),
        format!("one round trip: {}", met(round_trips == 1.0)),
    )]
}

/// The `redis-server` child, ended however the part ends (a failed check panics).
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Scripts Redis has run (`EVAL` and `EVALSHA` calls, from `INFO commandstats`).
async fn scripts_run(connection: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(connection)
        .await
        .unwrap();
    info.lines()
        .filter(|line| line.starts_with("cmdstat_eval:") || line.starts_with("cmdstat_evalsha:"))
        .filter_map(|line| {
            line.split_once("calls=")?
                .1
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}
