//! Bytes → the stdio JSON-RPC entry.
//!
//! The input is what a client writes on the server's stdin before closing it. The
//! gateway (the real `serve` path: [`serve_io`] over an in-memory pipe, backed by the
//! in-process emulator) must answer or refuse every message and end when the client
//! closes, within a few seconds: a panic or a hang is a finding.

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use arcade_mcp_gateway::gateway::Caller;
use arcade_mcp_gateway::startup::Serving;
use arcade_mcp_gateway::transport::stdio::serve_io;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

/// How long one input may take from first byte to the server's end.
const LIMIT: Duration = Duration::from_secs(10);

struct Fixture {
    runtime: Runtime,
    serving: Serving,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = arcade_mcp_gateway_fuzz::runtime();
        let config = arcade_mcp_gateway_fuzz::serve_config(&[]);
        let serving = runtime
            .block_on(Serving::new(&config))
            .expect("gateway on the in-process emulator");
        Fixture { runtime, serving }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let user = arcade_mcp_gateway::config::user_id(Some("fuzz@example.com")).expect("user");
    let gateway = fixture.serving.gateway(Caller::Fixed(user));
    let input = data.to_vec();
    fixture.runtime.block_on(async move {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (server_read, server_write) = tokio::io::split(server);
        let (mut client_read, mut client_write) = tokio::io::split(client);
        let server = tokio::spawn(serve_io(gateway, server_read, server_write));
        let writer = tokio::spawn(async move {
            let _ = client_write.write_all(&input).await;
            let _ = client_write.shutdown().await;
        });
        let reader = tokio::spawn(async move {
            let mut output = Vec::new();
            let _ = client_read.read_to_end(&mut output).await;
            output
        });
        let ended = tokio::time::timeout(LIMIT, server).await;
        assert!(
            ended.is_ok(),
            "the server did not end after the client closed"
        );
        ended.unwrap().expect("the server task did not panic").ok();
        writer.abort();
        reader.abort();
    });
});
