//! The HTTP server's bounds against clients that hold resources without credentials or
//! in bulk: connections that send nothing or trickle their headers, made-up methods and
//! paths swelling `/metrics`, and one user opening sessions without end.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::support::http::{ANN_TOKEN, BOB_TOKEN, HttpGateway, McpClient, bearer, token_gateway};
use crate::support::{start_emulator, text};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection (or resets it); when that happened.
async fn closed_at(mut socket: TcpStream) -> Instant {
    let mut buffer = [0u8; 1024];
    loop {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return Instant::now(),
            Ok(_) => {}
        }
    }
}

/// A connection that sends a request head one byte every 300 ms and never finishes it.
async fn trickle(socket: TcpStream) -> Instant {
    let (mut read, mut write) = socket.into_split();
    let writing = async move {
        for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
            .iter()
            .cycle()
        {
            if write.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        std::future::pending::<()>().await;
    };
    let reading = async move {
        let mut buffer = [0u8; 1024];
        loop {
            match read.read(&mut buffer).await {
                Ok(0) | Err(_) => return Instant::now(),
                Ok(_) => {}
            }
        }
    };
    tokio::select! {
        () = writing => unreachable!(),
        at = reading => at,
    }
}

#[tokio::test]
async fn idle_and_trickling_connections_are_closed_and_others_still_served() {
    let emulator = start_emulator().await;
    let gateway = HttpGateway::start_with_open_files(
        256,
        &emulator.base_url(),
        &[
            "--user-id",
            "ann@example.com",
            "--max-connections",
            "150",
            "--header-read-timeout",
            "2",
            "--keep-alive-timeout",
            "2",
        ],
        &[],
    )
    .await;
    let address = gateway.base.trim_start_matches("http://").to_owned();

    // More sockets than the gateway has file descriptors: half send nothing, half
    // trickle a request head that never ends.
    // Each socket's life is timed from its own connect: opening 300 takes a while on a
    // busy machine, and a socket closed at once must not look held.
    let mut attackers = tokio::task::JoinSet::new();
    for n in 0..300 {
        let socket = TcpStream::connect(&address).await.unwrap();
        let opened = Instant::now();
        if n % 2 == 0 {
            attackers.spawn(async move { closed_at(socket).await.duration_since(opened) });
        } else {
            attackers.spawn(async move { trickle(socket).await.duration_since(opened) });
        }
    }

    let client = tokio::time::timeout(Duration::from_secs(20), async {
        let client = McpClient::connect(&gateway.mcp_url(), &[]).await;
        let sum = client.call("Math_Add", json!({"a": 2, "b": 3})).await;
        assert_eq!(text(&sum), "5");
        client
    })
    .await
    .expect("a normal client is served while the idle and trickling sockets are open");
    drop(client);

    let mut closed = Vec::new();
    let all_closed = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(lived) = attackers.join_next().await {
            closed.push(lived.unwrap());
        }
    })
    .await;
    assert!(
        all_closed.is_ok(),
        "every idle or trickling socket is closed; {} were",
        closed.len()
    );
    // Three quarters of the 150 slots may go to connections that never authenticated:
    // past that, each new socket took the slot of an older one of the same client,
    // which closed at once. Those left holding a slot closed on their timeout.
    let on_timeout = closed
        .iter()
        .filter(|after| **after >= Duration::from_millis(1_500))
        .count();
    assert!(
        (100..=113).contains(&on_timeout),
        "{on_timeout} sockets held their slot until their timeout"
    );

    // A connection that made a request and then sits idle is closed after the
    // keep-alive timeout.
    let mut kept = TcpStream::connect(&address).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let answered = Instant::now();
    let mut head = [0u8; 12];
    kept.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let idle = tokio::time::timeout(Duration::from_secs(10), closed_at(kept))
        .await
        .expect("an idle keep-alive connection is closed")
        .duration_since(answered);
    assert!(
        idle >= Duration::from_millis(1_500),
        "closed after {idle:?}"
    );
    assert!(
        gateway.logs().contains("--max-connections"),
        "the saturation is logged"
    );
}

/// The values of `label` in the Prometheus text.
fn label_values(metrics: &str, label: &str) -> BTreeSet<String> {
    let prefix = format!("{label}=\"");
    metrics
        .split(&prefix)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn made_up_methods_and_paths_do_not_grow_metrics() {
    let emulator = start_emulator().await;
    let gateway =
        HttpGateway::start(&emulator.base_url(), &["--user-id", "ann@example.com"], &[]).await;
    let http = reqwest::Client::new();
    for n in 0..300 {
        let method = reqwest::Method::from_bytes(format!("M{n}X").as_bytes()).unwrap();
        let answer = http
            .request(method, format!("{}/p{n}", gateway.base))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_client_error(), "{}", answer.status());
    }
    for n in 0..50 {
        let answer = http
            .get(format!("{}/healthz", gateway.base))
            .header("host", format!("evil{n}.example"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403);
    }
    let metrics = gateway.metrics().await;
    let methods = label_values(&metrics, "method");
    let known: BTreeSet<String> = [
        "GET", "POST", "DELETE", "HEAD", "OPTIONS", "PUT", "PATCH", "other",
    ]
    .map(str::to_owned)
    .into();
    assert!(methods.is_subset(&known), "method labels: {methods:?}");
    assert!(methods.contains("other"), "{metrics}");
    let routes = label_values(&metrics, "route");
    assert!(
        routes.iter().all(|route| !route.starts_with("/p")),
        "route labels: {routes:?}"
    );
    assert!(
        !label_values(&metrics, "status").contains("403"),
        "requests refused by the Host check are not counted: {metrics}"
    );
    assert!(metrics.len() < 16 * 1024, "{} bytes", metrics.len());
}

/// POSTs `initialize` to `/mcp` as the owner of `token`.
async fn initialize(gateway: &HttpGateway, token: &str) -> reqwest::Response {
    let [(name, value)] = bearer(token);
    reqwest::Client::new()
        .post(gateway.mcp_url())
        .header(name, value)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(
            json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "by-hand", "version": "0"}}})
            .to_string(),
        )
        .send()
        .await
        .unwrap()
}

/// Opens a legacy SSE stream as the owner of `token`.
async fn open_sse(gateway: &HttpGateway, token: &str) -> reqwest::Response {
    let [(name, value)] = bearer(token);
    reqwest::Client::new()
        .get(format!("{}/sse", gateway.base))
        .header(name, value)
        .send()
        .await
        .unwrap()
}

/// The session id a successful `initialize` answered with.
fn session_id(answer: &reqwest::Response) -> String {
    assert_eq!(answer.status(), 200);
    answer.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Asserts `answer` is the refusal `code` with `status`, naming `flag`.
async fn assert_refused(answer: reqwest::Response, status: u16, code: &str, flag: &str) {
    assert_eq!(answer.status(), status);
    assert!(answer.headers().contains_key("retry-after"));
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains(flag), "{description}");
}

#[tokio::test]
async fn sessions_are_capped_per_user_and_in_all_and_freed_when_closed_or_expired() {
    let emulator = start_emulator().await;
    let (gateway, _dir) = token_gateway(
        &emulator.base_url(),
        &[
            "--max-sessions-per-user",
            "2",
            "--max-sessions",
            "3",
            "--idle-timeout",
            "2",
        ],
        &[],
    )
    .await;

    let first = session_id(&initialize(&gateway, ANN_TOKEN).await);
    let _second = session_id(&initialize(&gateway, ANN_TOKEN).await);
    assert_refused(
        initialize(&gateway, ANN_TOKEN).await,
        429,
        "too_many_sessions",
        "--max-sessions-per-user",
    )
    .await;
    assert_refused(
        open_sse(&gateway, ANN_TOKEN).await,
        429,
        "too_many_sessions",
        "--max-sessions-per-user",
    )
    .await;

    let bob_stream = open_sse(&gateway, BOB_TOKEN).await;
    assert_eq!(bob_stream.status(), 200, "bob has his own allowance");
    assert_refused(
        initialize(&gateway, BOB_TOKEN).await,
        503,
        "server_full",
        "--max-sessions",
    )
    .await;
    drop(bob_stream);

    let [(name, value)] = bearer(ANN_TOKEN);
    let deleted = reqwest::Client::new()
        .delete(gateway.mcp_url())
        .header(name, value)
        .header("mcp-session-id", &first)
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let _third = session_id(&initialize(&gateway, ANN_TOKEN).await);

    // Bob's closed stream gave its slot back.
    let bob = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let answer = initialize(&gateway, BOB_TOKEN).await;
            if answer.status() == 200 {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("a closed legacy stream frees its slot");
    session_id(&bob);

    // Unused sessions expire after --idle-timeout and free their slots.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for _ in 0..2 {
        session_id(&initialize(&gateway, ANN_TOKEN).await);
    }
    assert_eq!(open_sse(&gateway, BOB_TOKEN).await.status(), 200);
}

/// POSTs `initialize` to `/mcp` with no credentials, as the one fixed user.
async fn initialize_as_the_fixed_user(gateway: &HttpGateway) -> reqwest::Response {
    reqwest::Client::new()
        .post(gateway.mcp_url())
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(
            json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "scripted-harness", "version": "0"}}})
            .to_string(),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn with_one_fixed_user_the_per_user_caps_are_the_servers() {
    let emulator = start_emulator().await;
    let gateway = HttpGateway::start(
        &emulator.base_url(),
        &["--user-id", "ann@example.com", "--max-sessions", "40"],
        &[],
    )
    .await;
    // A scripted harness (the conformance suite) opens many sessions as the one user
    // there is: nobody else is there to protect.
    for _ in 0..40 {
        session_id(&initialize_as_the_fixed_user(&gateway).await);
    }
    assert_refused(
        initialize_as_the_fixed_user(&gateway).await,
        503,
        "server_full",
        "--max-sessions",
    )
    .await;
}
