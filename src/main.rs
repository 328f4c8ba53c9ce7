//! The `arcade-mcp-gateway` binary: see `arcade_mcp_gateway::cli`.

use std::process::ExitCode;

use arcade_mcp_gateway::{cli, logging};
use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    logging::init();
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
    match runtime {
        Ok(runtime) => runtime.block_on(cli::run(args)),
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}
