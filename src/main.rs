//! The `arcade-mcp-gateway` binary: see `arcade_mcp_gateway::cli`.

use std::process::ExitCode;

use arcade_mcp_gateway::{cli, logging, telemetry};

/// jemalloc, because it gives memory back: a large `tools/list` builds a big answer and
/// drops it, and glibc's malloc keeps such pages for good, while jemalloc's background
/// thread returns them (see `MALLOC_CONF`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts: a background thread returns pages freed
/// for a second (`dirty_decay_ms`) straight to the system (`muzzy_decay_ms:0`).
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

fn main() -> ExitCode {
    let args = cli::parse();
    // Before the logger, so that a mistake in the OTEL_* variables stops the start.
    let traces = match args.traces_requests().then(telemetry::Traces::from_env) {
        None => None,
        Some(Ok(traces)) => traces,
        Some(Err(error)) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    logging::init(
        args.default_log_level(),
        args.log_format.into(),
        traces.as_ref(),
    );
    let runtime = match args.runtime() {
        cli::Runtime::SingleThread => tokio::runtime::Builder::new_current_thread(),
        cli::Runtime::MultiThread(workers) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            if let Some(workers) = workers {
                builder.worker_threads(workers.get());
            }
            builder
        }
    }
    .enable_all()
    .build();
    let code = match runtime {
        Ok(runtime) => runtime.block_on(cli::run(args)),
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    };
    // The last spans leave before the process does.
    if let Some(traces) = traces {
        traces.shutdown();
    }
    code
}
