//! One user cannot flood the server's log: JSON-RPC ids, names and URIs are cut short
//! wherever a line records them, and the methods the gateway refuses are rate-limited
//! per user like every other request.

use serde_json::json;

use crate::support::http::{ANN_TOKEN, RawSession, token_gateway};
use crate::support::start_emulator;

#[tokio::test]
async fn huge_ids_and_refused_methods_do_not_flood_the_log() {
    let emulator = start_emulator().await;
    let (gateway, _dir) = token_gateway(&emulator.base_url(), &[], &[("RUST_LOG", "info")]).await;
    let session = RawSession::open(&gateway, ANN_TOKEN, &[]).await;
    let before = gateway.logs().len();

    let big = "i".repeat(100_000);
    let methods = [
        "prompts/list",
        "resources/read",
        "completion/complete",
        "tools/call",
    ];
    let mut limited = 0;
    for n in 0..800usize {
        let id = if n % 2 == 0 {
            json!(format!("{big}{n}"))
        } else {
            json!(n)
        };
        let body = json!({"jsonrpc": "2.0", "id": id, "method": methods[n % 4], "params": {
            "uri": big, "name": big, "ref": {"type": "ref/prompt", "name": big},
            "argument": {"name": "a", "value": "b"}}});
        let answer = session.post(&body).await;
        limited += usize::from(answer.status() == 429);
        let _ = answer.bytes().await;
    }
    let logged = gateway.logs().len() - before;
    assert!(
        limited > 0,
        "800 refused requests in a row were never rate-limited"
    );
    assert!(
        logged < 2_000_000,
        "800 requests wrote {logged} bytes of log"
    );
}
