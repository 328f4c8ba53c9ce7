//! Stateless replicas sharing one real `redis-server` (`--redis-url`): one user's
//! `--calls-per-minute` and `--max-concurrent-calls` hold across them, a `requestState`
//! finishes one call whichever replica sees it, and when Redis goes away the limits fall
//! back to each replica's own (open) while retries with `requestState` are refused
//! (closed), until Redis is back. Without `redis-server` installed these are skipped
//! with a line on stderr, or fail under `REQUIRE_REDIS=1`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::hostile_redis::{ANNOUNCED, HostileRedis};
use crate::support::http::{ANN_TOKEN, BOB_TOKEN, HttpGateway, McpClient, bearer, headers};
use crate::support::mrtr::{first_round, retry};
use crate::support::person::{Answer, Person};
use crate::support::redis_server::{RedisServer, TlsRedisServer};
use crate::support::{
    Gateway, approve, assert_inbox_of, discover, mail_runs, start_emulator, text,
};
use arcade_mcp_gateway::emulator::Faults;
use arcade_mcp_gateway::shared_state::{LEASE_TTL, MAX_REPLY_BYTES, OP_TIMEOUT, PROBE_EVERY};
use rmcp::model::{CallToolResponse, ProtocolVersion};
use serde_json::{Value, json};

/// The key every replica seals `requestState` with.
const STATE_KEY: &str = "replicas-share-this-state-key-0123456789";

/// Two `--stateless` replicas sharing the Redis at `redis` and [`STATE_KEY`] (the URL
/// given through its variable, as a deployment would), with `extra` flags.
async fn replicas(
    arcade: &str,
    redis: &str,
    extra: &[&str],
) -> ([HttpGateway; 2], [tempfile::TempDir; 2]) {
    let mut args = vec!["--stateless"];
    args.extend_from_slice(extra);
    let env = [
        ("ARCADE_GATEWAY_STATE_KEY", STATE_KEY),
        ("ARCADE_GATEWAY_REDIS_URL", redis),
    ];
    let replica = || crate::support::http::token_gateway(arcade, &args, &env);
    let ((one, dir_one), (two, dir_two)) = tokio::join!(replica(), replica());
    ([one, two], [dir_one, dir_two])
}

/// A 2025-11-25 client of the user of `token` on `gateway`.
async fn client(gateway: &HttpGateway, token: &str) -> McpClient {
    McpClient::connect(&gateway.mcp_url(), &headers(&bearer(token))).await
}

/// A 2026-07-28 client (multi round-trip requests, driven by hand) of `token`'s user.
async fn mrtr_client(gateway: &HttpGateway, token: &str) -> McpClient<Person> {
    let lifecycle = discover(ProtocolVersion::V_2026_07_28);
    let person = Person::new(Answer::Forget);
    McpClient::connect_with(
        person,
        lifecycle,
        &gateway.mcp_url(),
        &headers(&bearer(token)),
    )
    .await
}

/// `2 + i` through `client`, asserting the sum: the call was admitted and ran.
async fn add(client: &McpClient, i: i64) {
    let sum = client.call("Math_Add", json!({"a": i, "b": 2})).await;
    assert_eq!(text(&sum), (i + 2).to_string());
}

/// Whether a call through `client` is refused (over a limit: a 429, which rmcp's client
/// reports as an error).
async fn refused(client: &McpClient) -> bool {
    client
        .try_call("Math_Add", json!({"a": 1, "b": 1}))
        .await
        .is_err()
}

/// `/readyz`: its status code and body.
async fn readyz(gateway: &HttpGateway) -> (u16, Value) {
    let answer = reqwest::get(format!("{}/readyz", gateway.base))
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

/// Waits (a few probes at most) until `gateway`'s `/readyz` says Redis is `status`.
async fn until_redis_is(gateway: &HttpGateway, status: &str) -> Value {
    let deadline = Instant::now() + PROBE_EVERY * 5;
    loop {
        let (code, body) = readyz(gateway).await;
        assert_eq!(
            code, 200,
            "Redis's state never makes a replica unready: {body}"
        );
        if body["redis"]["status"] == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "Redis never became {status}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_replicas_hold_one_users_calls_per_minute_and_spare_others() {
    let Some(redis) = RedisServer::start("two_replicas_hold_one_users_calls_per_minute").await
    else {
        return;
    };
    let emulator = start_emulator().await;
    let ([one, two], _dirs) = replicas(
        &emulator.base_url(),
        &redis.url(),
        &["--calls-per-minute", "4"],
    )
    .await;
    let ann = [client(&one, ANN_TOKEN).await, client(&two, ANN_TOKEN).await];

    // Four calls, two on each replica: the whole minute's allowance, counted once.
    for i in 0..4 {
        add(&ann[i % 2], i as i64).await;
    }
    for (n, over) in ann.iter().enumerate() {
        let error = over
            .try_call("Math_Add", json!({"a": 1, "b": 1}))
            .await
            .expect_err(&format!("replica {n} admitted a fifth call"));
        let shown = format!("{error:?}");
        assert!(shown.contains("status: 429"), "{shown}");
        assert!(shown.contains("retry_after: Some"), "{shown}");
    }
    for replica in [&one, &two] {
        let metrics = replica.metrics().await;
        assert!(
            metrics.contains("arcade_gateway_rate_limited_total 1"),
            "{metrics}"
        );
        assert!(
            metrics.contains("arcade_gateway_redis_reachable 1"),
            "{metrics}"
        );
        assert!(
            replica
                .logs()
                .contains("refused a tool call over the limit")
        );
    }

    // Bob is neither refused nor slowed by Ann's limit.
    let bob = [client(&one, BOB_TOKEN).await, client(&two, BOB_TOKEN).await];
    let started = Instant::now();
    for i in 0..4 {
        add(&bob[i % 2], i as i64).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Each user's counter is one key, named by a hash of the user id.
    let keys = redis.keys().await;
    let rate_keys = keys
        .iter()
        .filter(|k| k.starts_with("arcade-mcp-gateway:rate:{"));
    assert_eq!(rate_keys.count(), 2, "{keys:?}");
    assert!(
        keys.iter()
            .all(|k| !k.contains("ann") && !k.contains("bob")),
        "{keys:?}"
    );
}

#[tokio::test]
async fn a_request_state_replayed_on_the_other_replica_is_refused() {
    let Some(redis) = RedisServer::start("a_request_state_replayed_on_the_other_replica").await
    else {
        return;
    };
    let emulator = start_emulator().await;
    let ([one, two], _dirs) = replicas(&emulator.base_url(), &redis.url(), &[]).await;
    let ann_one = mrtr_client(&one, ANN_TOKEN).await;
    let ann_two = mrtr_client(&two, ANN_TOKEN).await;
    let arguments = json!({"n_emails": 2});

    let (state, url) = first_round(&ann_one.client, arguments.clone()).await;
    approve(&url).await;
    let CallToolResponse::Complete(result) = ann_one
        .client
        .call_tool_once(retry(&state, arguments.clone(), "accept"))
        .await
        .unwrap()
    else {
        panic!("expected the tool's result");
    };
    assert_inbox_of(&result, "ann@example.com");
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 1);

    // The same retry again, on the other replica: refused, and the tool does not run.
    let error = ann_two
        .client
        .call_tool_once(retry(&state, arguments, "accept"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("already been used"), "{error}");
    assert!(
        error.to_string().contains("without requestState"),
        "{error}"
    );
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 1);
    assert!(two.logs().contains("refused a retry's requestState"));

    // The mark is a hash of the state, expiring with it (--auth-timeout 300 s, plus a
    // margin for the replicas' clocks).
    let marks: Vec<String> = redis
        .keys()
        .await
        .into_iter()
        .filter(|k| k.starts_with("arcade-mcp-gateway:used-state:{"))
        .collect();
    assert_eq!(marks.len(), 1, "{marks:?}");
    assert!(!marks[0].contains(&state[..16]));
    let mut connection = redis.connection().await.unwrap();
    let ttl_ms: i64 = redis::cmd("PTTL")
        .arg(&marks[0])
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!((290_000..=305_000).contains(&ttl_ms), "{ttl_ms}");
}

#[tokio::test]
async fn a_request_state_is_used_once_by_one_replica_without_redis() {
    let emulator = start_emulator().await;
    let (gateway, _dir) =
        crate::support::http::token_gateway(&emulator.base_url(), &["--stateless"], &[]).await;
    let ann = mrtr_client(&gateway, ANN_TOKEN).await;
    let arguments = json!({});
    let (state, url) = first_round(&ann.client, arguments.clone()).await;
    approve(&url).await;
    let once = ann
        .client
        .call_tool_once(retry(&state, arguments.clone(), "accept"))
        .await;
    assert!(
        matches!(once, Ok(CallToolResponse::Complete(_))),
        "{once:?}"
    );
    let twice = ann
        .client
        .call_tool_once(retry(&state, arguments, "accept"))
        .await
        .unwrap_err();
    assert!(twice.to_string().contains("already been used"), "{twice}");
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 1);
}

#[tokio::test]
async fn redis_stopped_mid_run_fails_open_for_limits_closed_for_retries_and_recovers() {
    let Some(mut redis) = RedisServer::start("redis_stopped_mid_run").await else {
        return;
    };
    let emulator = start_emulator().await;
    let ([one, two], _dirs) = replicas(
        &emulator.base_url(),
        &redis.url(),
        &["--calls-per-minute", "3"],
    )
    .await;
    let ann = [client(&one, ANN_TOKEN).await, client(&two, ANN_TOKEN).await];
    let ann_mrtr = mrtr_client(&one, ANN_TOKEN).await;
    let ready = until_redis_is(&one, "ok").await;
    assert_eq!(ready["status"], "ready", "{ready}");

    // Shared: three calls in all (a first round to retry later, and two), then neither
    // replica admits one.
    let arguments = json!({});
    let (state, url) = first_round(&ann_mrtr.client, arguments.clone()).await;
    approve(&url).await;
    add(&ann[0], 0).await;
    add(&ann[1], 1).await;
    assert!(refused(&ann[0]).await && refused(&ann[1]).await);

    redis.stop();
    for replica in [&one, &two] {
        let degraded = until_redis_is(replica, "degraded").await;
        assert_eq!(degraded["status"], "ready", "{degraded}");
        let redis_check = &degraded["redis"];
        assert!(
            redis_check["rate_limits"]
                .as_str()
                .unwrap()
                .contains("fail open")
        );
        assert!(
            redis_check["request_state"]
                .as_str()
                .unwrap()
                .contains("fail closed")
        );
        assert!(
            replica
                .metrics()
                .await
                .contains("arcade_gateway_redis_reachable 0")
        );
    }

    // Retries with requestState fail closed, saying why; the tool does not run.
    let error = ann_mrtr
        .client
        .call_tool_once(retry(&state, arguments.clone(), "accept"))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("Redis, is unreachable"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("retry with the same requestState"),
        "{error}"
    );
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 0);
    // Limits fail open, to each replica's own counter: three calls on each (on replica
    // one the refused retry was the first).
    add(&ann[0], 2).await;
    add(&ann[0], 3).await;
    for i in 4..7 {
        add(&ann[1], i).await;
    }
    assert!(
        refused(&ann[0]).await && refused(&ann[1]).await,
        "the local limits still hold"
    );

    redis.restart().await;
    for replica in [&one, &two] {
        until_redis_is(replica, "ok").await;
        let logs = replica.logs();
        assert_eq!(
            logs.matches("Redis is unreachable").count(),
            1,
            "logged once"
        );
        assert_eq!(
            logs.matches("Redis is reachable again").count(),
            1,
            "{logs}"
        );
        assert!(
            replica
                .metrics()
                .await
                .contains("arcade_gateway_redis_reachable 1")
        );
    }

    // The refused retry did not use the state up: it finishes the call now.
    let finished = ann_mrtr
        .client
        .call_tool_once(retry(&state, arguments, "accept"))
        .await
        .unwrap();
    assert!(
        matches!(finished, CallToolResponse::Complete(_)),
        "{finished:?}"
    );
    assert_eq!(mail_runs(&emulator, "ann@example.com"), 1);
    // Shared again (the new Redis starts empty): three calls in all, the retry included.
    add(&ann[1], 7).await;
    add(&ann[0], 8).await;
    assert!(refused(&ann[0]).await && refused(&ann[1]).await);
}

#[tokio::test]
async fn a_hung_redis_costs_a_call_at_most_its_timeout() {
    let Some(redis) = RedisServer::start("a_hung_redis_costs_a_call_at_most_its_timeout").await
    else {
        return;
    };
    let emulator = start_emulator().await;
    let ([one, _two], _dirs) = replicas(&emulator.base_url(), &redis.url(), &[]).await;
    let ann = client(&one, ANN_TOKEN).await;
    add(&ann, 1).await;

    // Redis stops answering without closing its connections.
    redis.pause();
    for i in 0..3 {
        let started = Instant::now();
        add(&ann, i).await;
        assert!(
            started.elapsed() < OP_TIMEOUT + Duration::from_millis(500),
            "a call waited {:?} for a hung Redis",
            started.elapsed()
        );
    }
    let degraded = until_redis_is(&one, "degraded").await;
    assert_eq!(degraded["status"], "ready", "{degraded}");

    redis.resume();
    until_redis_is(&one, "ok").await;
    add(&ann, 4).await;
    assert_eq!(one.logs().matches("Redis is unreachable").count(), 1);
}

#[tokio::test]
async fn a_replica_killed_mid_call_frees_its_concurrency_lease() {
    let Some(redis) = RedisServer::start("a_replica_killed_mid_call_frees_its_lease").await else {
        return;
    };
    let emulator = start_emulator().await;
    let ([one, two], _dirs) = replicas(
        &emulator.base_url(),
        &redis.url(),
        &["--max-concurrent-calls", "1"],
    )
    .await;
    let ann_one = client(&one, ANN_TOKEN).await;
    let ann_two = client(&two, ANN_TOKEN).await;
    let leases = || async {
        let keys = redis.keys().await;
        keys.into_iter()
            .filter(|k| k.starts_with("arcade-mcp-gateway:leases:{"))
            .count()
    };

    // A call that has been answered has given its lease back.
    add(&ann_two, 1).await;
    let deadline = Instant::now() + Duration::from_secs(2);
    while leases().await > 0 {
        assert!(
            Instant::now() < deadline,
            "the answered call's lease was not released"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A slow call on replica one holds Ann's only slot, on both replicas. Only the
    // next execution is slowed, so the calls after the lease expires run at once.
    emulator.state().set_faults(Faults {
        latency_ms: 60_000,
        endpoints: Some(vec!["execute".to_owned()]),
        count: Some(1),
        ..Faults::default()
    });
    let execute_requests_before = emulator.state().requests("execute");
    let running =
        tokio::spawn(async move { ann_one.try_call("Math_Add", json!({"a": 1, "b": 1})).await });
    // The lease is taken before the engine is asked: wait for both, so the call is
    // surely held up in the engine when its replica dies.
    let deadline = Instant::now() + Duration::from_secs(5);
    while leases().await == 0 || emulator.state().requests("execute") == execute_requests_before {
        assert!(
            Instant::now() < deadline,
            "the running call took no lease or never reached the engine"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        refused(&ann_two).await,
        "the slot is taken on the other replica too"
    );

    // Replica one dies mid-call (SIGKILL: nothing is released); its lease expires.
    drop(one);
    let killed = Instant::now();
    let died = tokio::time::timeout(Duration::from_secs(10), running).await;
    assert!(
        died.unwrap().unwrap().is_err(),
        "the call died with its replica"
    );
    assert!(
        refused(&ann_two).await,
        "the lease outlives its replica for a while"
    );
    loop {
        if !refused(&ann_two).await {
            break;
        }
        assert!(
            killed.elapsed() < LEASE_TTL + Duration::from_secs(3),
            "the dead replica's lease still holds the slot after {:?}",
            killed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(killed.elapsed() >= LEASE_TTL / 2, "{:?}", killed.elapsed());
    drop(two);
}

#[tokio::test]
async fn redis_url_over_stdio_is_ignored_with_a_warning() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(
        &emulator.base_url(),
        "ann@example.com",
        &["--redis-url", "redis://127.0.0.1:1/0"],
    )
    .await;
    let sum = gateway.call("Math_Add", json!({"a": 2, "b": 3})).await;
    assert_eq!(text(&sum), "5");
    assert!(
        gateway
            .logs()
            .contains("--redis-url (ARCADE_GATEWAY_REDIS_URL) is ignored over stdio")
    );
}

#[tokio::test]
async fn replicas_share_limits_through_a_redis_over_tls() {
    let Some(redis) = TlsRedisServer::start("replicas_share_limits_through_a_redis_over_tls").await
    else {
        return;
    };
    let emulator = start_emulator().await;
    let (url, ca) = (redis.url(), redis.ca_file());
    let env = [
        ("ARCADE_GATEWAY_STATE_KEY", STATE_KEY),
        ("ARCADE_GATEWAY_REDIS_URL", url.as_str()),
        ("SSL_CERT_FILE", ca.as_str()),
    ];
    let (gateway, _dir) = crate::support::http::token_gateway(
        &emulator.base_url(),
        &["--stateless", "--calls-per-minute", "2"],
        &env,
    )
    .await;
    let body = until_redis_is(&gateway, "ok").await;
    assert!(
        body["redis"].to_string().contains("rediss://127.0.0.1"),
        "{body}"
    );
    let ann = client(&gateway, ANN_TOKEN).await;
    add(&ann, 1).await;
    add(&ann, 2).await;
    assert!(
        refused(&ann).await,
        "the third call of the minute is refused"
    );
}

/// The resident memory of process `pid`, in bytes.
fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|value| value.trim().parse::<u64>().ok())
        .expect("VmRSS in /proc/PID/status");
    kib * 1024
}

#[tokio::test]
async fn a_hostile_redis_sending_a_gigabyte_reply_is_cut_off_and_memory_stays_bounded() {
    const PASSWORD: &str = "hostile-SECRET-pw";
    let hostile = HostileRedis::start().await;
    let emulator = start_emulator().await;
    let url = hostile.url(PASSWORD);
    let env = [
        ("ARCADE_GATEWAY_STATE_KEY", STATE_KEY),
        ("ARCADE_GATEWAY_REDIS_URL", url.as_str()),
    ];
    let (gateway, _dir) =
        crate::support::http::token_gateway(&emulator.base_url(), &["--stateless"], &env).await;
    let pid = gateway.pid();
    let ann = client(&gateway, ANN_TOKEN).await;
    until_redis_is(&gateway, "ok").await;
    let resting = resident_bytes(pid);

    // The gateway's peak memory, sampled every 20 ms while the hostile replies stream.
    let peak = std::sync::Arc::new(AtomicU64::new(resting));
    let sampling = tokio::spawn({
        let peak = peak.clone();
        async move {
            loop {
                peak.fetch_max(resident_bytes(pid), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });

    // Each call's admission gets a gigabyte announced: the connection is cut, the call
    // is admitted by this replica's own counters, and the probe connects again.
    const ROUNDS: usize = 4;
    for round in 0..ROUNDS {
        until_redis_is(&gateway, "ok").await;
        let started = Instant::now();
        add(&ann, round as i64).await;
        assert!(
            started.elapsed() < OP_TIMEOUT + Duration::from_millis(500),
            "a call waited {:?} on a hostile Redis",
            started.elapsed()
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    sampling.abort();
    let peak = peak.load(Ordering::SeqCst).max(resident_bytes(pid));
    let streamed = hostile.streamed();
    assert!(streamed.len() >= ROUNDS, "{} huge replies", streamed.len());

    // What each connection took: the bound, and what the loopback socket buffers hold
    // (some MiB), never the gigabyte announced; and each was closed by the gateway.
    let slack = 32 << 20;
    for (n, one) in streamed.iter().enumerate() {
        let taken = one.bytes.load(Ordering::SeqCst);
        assert!(
            taken < (MAX_REPLY_BYTES as u64) + slack && taken < ANNOUNCED,
            "connection {n} took {taken} bytes of the {ANNOUNCED} announced"
        );
        assert!(
            one.cut.load(Ordering::SeqCst),
            "connection {n} was left open"
        );
    }
    assert!(
        peak < resting + (64 << 20),
        "resident memory went from {resting} to {peak} bytes"
    );

    // The cause is logged, once per loss, without the password; the server serves on.
    let logs = gateway.logs();
    assert!(
        logs.contains("Redis sent a reply larger than the 1024 KiB this gateway accepts"),
        "{logs}"
    );
    assert!(!logs.contains(PASSWORD), "{logs}");
    add(&ann, 99).await;
    let health = reqwest::get(format!("{}/healthz", gateway.base))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    eprintln!(
        "hostile Redis: {} replies of {ANNOUNCED} bytes announced, at most {} taken; RSS {} MiB resting, {} MiB peak",
        streamed.len(),
        streamed
            .iter()
            .map(|one| one.bytes.load(Ordering::SeqCst))
            .max()
            .unwrap_or(0),
        resting >> 20,
        peak >> 20
    );
}

#[tokio::test]
async fn a_redis_over_tls_whose_certificate_is_not_trusted_is_refused() {
    let Some(redis) =
        TlsRedisServer::start("a_redis_over_tls_whose_certificate_is_not_trusted").await
    else {
        return;
    };
    let emulator = start_emulator().await;
    let url = redis.url();
    // No SSL_CERT_FILE: the test CA that signed the server's certificate is not trusted.
    let env = [
        ("ARCADE_GATEWAY_STATE_KEY", STATE_KEY),
        ("ARCADE_GATEWAY_REDIS_URL", url.as_str()),
    ];
    let (gateway, _dir) =
        crate::support::http::token_gateway(&emulator.base_url(), &["--stateless"], &env).await;
    until_redis_is(&gateway, "degraded").await;
    let logs = gateway.logs();
    assert!(
        logs.contains("the TLS handshake with Redis failed"),
        "{logs}"
    );
    assert!(logs.contains("SSL_CERT_FILE adds a private CA"), "{logs}");
    add(&client(&gateway, ANN_TOKEN).await, 1).await;
}
