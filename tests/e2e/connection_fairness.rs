//! One client cannot take every connection: sockets that send a cheap (even refused)
//! request every few seconds, from one address or many, or idle sockets beyond the
//! process's file limit, never keep another client's `/healthz` waiting.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::http::HttpGateway;
use crate::support::start_emulator;

/// A TCP connection to `to` from the loopback address `from` (all of 127/8 is loopback
/// on Linux, so each address is another peer to the server).
async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind((from, 0).into())?;
    socket.connect(to).await
}

/// A socket that sends `GET /nonexistent` with a refused `Host` every `every`, and
/// connects again whenever the server closes it, for as long as the test runs.
async fn hold_a_slot(from: Ipv4Addr, to: SocketAddr, every: Duration) {
    loop {
        let Ok(mut socket) = connect_from(from, to).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let mut buffer = [0u8; 4096];
        loop {
            let request = b"GET /nonexistent HTTP/1.1\r\nHost: evil.example\r\n\r\n";
            if socket.write_all(request).await.is_err() {
                break;
            }
            let read = tokio::time::timeout(every, socket.read(&mut buffer)).await;
            if let Ok(Ok(0) | Err(_)) = read {
                break;
            }
            tokio::time::sleep(every).await;
        }
    }
}

/// Whether `/healthz`, asked from 127.0.0.1 on a new connection, answers 200 within
/// `within`.
async fn healthz_answers(to: SocketAddr, within: Duration) -> bool {
    let asked = async {
        let mut socket = connect_from(Ipv4Addr::LOCALHOST, to).await.ok()?;
        socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        socket.read_to_end(&mut answer).await.ok()?;
        Some(answer.starts_with(b"HTTP/1.1 200"))
    };
    matches!(tokio::time::timeout(within, asked).await, Ok(Some(true)))
}

/// Asks `/healthz` `times` times, one a second; how many answered within 3 s.
async fn healthz_answered(to: SocketAddr, times: usize) -> usize {
    let mut answered = 0;
    for _ in 0..times {
        let started = Instant::now();
        if healthz_answers(to, Duration::from_secs(3)).await {
            answered += 1;
        }
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(started.elapsed())).await;
    }
    answered
}

fn address(gateway: &HttpGateway) -> SocketAddr {
    gateway.base.trim_start_matches("http://").parse().unwrap()
}

#[tokio::test]
async fn sockets_holding_every_slot_from_one_or_many_peers_do_not_starve_another_client() {
    let emulator = start_emulator().await;
    let gateway = HttpGateway::start(
        &emulator.base_url(),
        &["--user-id", "ann@example.com", "--max-connections", "24"],
        &[],
    )
    .await;
    let to = address(&gateway);
    let mut attack = tokio::task::JoinSet::new();
    // 48 sockets from one peer and 48 more spread over eight others: four times the
    // slots, each socket busy every two seconds, well inside the keep-alive timeout.
    for n in 0..96u8 {
        let from = if n < 48 {
            Ipv4Addr::new(127, 0, 0, 2)
        } else {
            Ipv4Addr::new(127, 0, 1, n % 8 + 1)
        };
        attack.spawn(hold_a_slot(from, to, Duration::from_secs(2)));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    let answered = healthz_answered(to, 10).await;
    attack.abort_all();
    assert_eq!(
        answered, 10,
        "another client's /healthz answered {answered} times in 10 while the attack held the slots"
    );
}

#[tokio::test]
async fn the_connection_cap_follows_the_file_limit_and_idle_sockets_do_not_starve_a_client() {
    let emulator = start_emulator().await;
    // A hard limit of 256 (a common default) and the default --max-connections of 512.
    let gateway = HttpGateway::start_with_open_files(
        256,
        &emulator.base_url(),
        &["--user-id", "ann@example.com"],
        &[],
    )
    .await;
    let logs = gateway.logs();
    assert!(
        logs.contains("open-file limit") && logs.contains("--max-connections"),
        "the cap the file limit allows is logged: {logs}"
    );
    let to = address(&gateway);
    let mut idle = Vec::new();
    for _ in 0..300 {
        if let Ok(socket) = connect_from(Ipv4Addr::new(127, 0, 0, 2), to).await {
            idle.push(socket);
        }
    }
    let answered = healthz_answered(to, 5).await;
    assert_eq!(
        answered, 5,
        "/healthz answered {answered} times in 5 beside 300 idle sockets"
    );
    drop(idle);
}

#[tokio::test]
async fn the_soft_file_limit_is_raised_to_the_hard_one() {
    let emulator = start_emulator().await;
    let mut command = tokio::process::Command::new("prlimit");
    command.args(["--nofile=256:4096", "--"]);
    let gateway = HttpGateway::start_wrapped(
        command,
        &emulator.base_url(),
        &["--user-id", "ann@example.com"],
        &[],
    )
    .await;
    let logs = gateway.logs();
    assert!(
        logs.contains("raised the open-file limit from 256 to 4096"),
        "{logs}"
    );
    // Each connection then costs one of 4096 descriptors: 300 idle ones fit.
    let to = address(&gateway);
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(connect_from(Ipv4Addr::new(127, 0, 0, 2), to).await.unwrap());
    }
    assert_eq!(healthz_answered(to, 3).await, 3);
    drop(idle);
}

#[tokio::test]
async fn refused_requests_close_the_connection_that_sends_them() {
    let emulator = start_emulator().await;
    let gateway =
        HttpGateway::start(&emulator.base_url(), &["--user-id", "ann@example.com"], &[]).await;
    let mut socket = TcpStream::connect(address(&gateway)).await.unwrap();
    let request = b"GET /nonexistent HTTP/1.1\r\nHost: evil.example\r\n\r\n";
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 4096];
        for sent in 1..=100 {
            if socket.write_all(request).await.is_err() {
                return sent;
            }
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return sent,
                Ok(_) => {}
            }
        }
        101
    })
    .await
    .expect("the server answers or closes");
    assert!(
        closed <= 20,
        "the connection stayed open for {closed} refused requests"
    );
}
