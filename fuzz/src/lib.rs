//! What the fuzz targets that run the whole server share: the runtime they drive it on,
//! and `serve` arguments parsed and checked the way the command line does it.

use arcade_mcp_gateway::cli::{Cli, Command};
use arcade_mcp_gateway::config::ServeConfig;
use clap::Parser;
use tokio::runtime::Runtime;

/// A two-worker runtime, like the machine the targets run on (each target keeps one).
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The configuration of `serve --emulator` with `extra` flags, as the command line
/// would parse and check them.
pub fn serve_config(extra: &[&str]) -> ServeConfig {
    let base = ["arcade-mcp-gateway", "serve", "--emulator"];
    match Cli::parse_from(base.iter().chain(extra)).command {
        Command::Serve(args) => args.config().expect("valid flags"),
        _ => unreachable!("parsed `serve`"),
    }
}
