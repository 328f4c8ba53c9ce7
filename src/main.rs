//! The `arcade-mcp-gateway` binary: see `arcade_mcp_gateway::cli`.

use std::process::ExitCode;

use arcade_mcp_gateway::{cli, logging};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let args = cli::Cli::parse();
    logging::init();
    cli::run(args).await
}
