//! `cargo bench --bench gateway`: the release gateway against the emulator on loopback
//! (each its own process, the emulator with zero latency and no faults), measured in
//! one run and printed as a markdown table with the machine it ran on:
//!
//! 1. cold start → first `tools/list` over stdio (100, 1,000 and all fixture tools),
//!    next to the bare catalog fetch, and a second start served from the catalog cache;
//! 2. an authorized tool call over stdio and Streamable HTTP, next to the same client
//!    calling the emulator's execute endpoint (the floor), and upstream requests a call;
//! 3. calls/s with 1, 16 and 256 concurrent Streamable HTTP sessions, against the
//!    emulator's direct throughput at the same concurrency;
//! 4. the gateway's resident memory: idle, with every fixture tool, with 1,000 idle
//!    sessions;
//! 5. building and serializing `tools/list` for every fixture tool, in process;
//! 6. one Redis-backed limit check (`--redis-url`) against a local `redis-server`, next
//!    to a bare `PING`;
//! 7. the gateway CPU a call with OpenTelemetry traces and the audit log on, against
//!    both off.
//!
//! Parts 2 and 3 measure Streamable HTTP both stateful and `--stateless`.
//!
//! The fixture catalog is `tests/fixtures/catalog.tar.gz` (or `$BENCH_CATALOG`, a
//! folder or archive of toolkit files).
//! `BENCH_ONLY=latency,throughput` runs only the named parts (`start`, `latency`,
//! `throughput`, `memory`, `build`, `redis`, `observability`);
//! `BENCH_COMPARE=/path/to/arcade-mcp-gateway` adds that build's HTTP rows to parts 2
//! and 3, measured interleaved with this one's.

// Shared with bench/soak, which uses other parts of them.
#[allow(dead_code)]
#[path = "../common/clients.rs"]
mod clients;
mod measure;
#[allow(dead_code)]
#[path = "../common/processes.rs"]
mod processes;
mod shared_state;

use std::path::PathBuf;

use measure::Row;

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` builds this too, in the
    // test profile, where minutes of measuring a debug build would tell nothing.
    if !std::env::args().any(|arg| arg == "--bench") {
        eprintln!("the gateway benchmark runs with `cargo bench --bench gateway`");
        return;
    }
    let fixtures = std::env::var_os("BENCH_CATALOG").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/catalog.tar.gz"
            ))
        },
        PathBuf::from,
    );
    let machine = measure::Machine::read();
    eprintln!("benchmarking {} on {}", processes::BIN, machine.describe());
    let rows: Vec<Row> = measure::all(&fixtures).await;
    println!("{}", machine.describe());
    println!();
    println!("{}", measure::table(&rows));
}
