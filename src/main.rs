//! The `arcade-mcp-gateway` binary: see `arcade_mcp_gateway::cli`.

use std::process::ExitCode;

use arcade_mcp_gateway::{cli, logging};
use clap::Parser;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,narenas:2\0";

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    logging::init();
    let runtime = match args.runtime() {
        cli::Runtime::SingleThread => tokio::runtime::Builder::new_current_thread(),
        cli::Runtime::MultiThread => tokio::runtime::Builder::new_multi_thread(),
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
