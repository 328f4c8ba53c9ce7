//! What the fuzz targets that run the whole server share: the runtime they drive it on,
//! and `serve` arguments parsed the way the command line parses them.

use arcade_mcp_gateway::cli::{Cli, Command, ServeArgs};
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

/// `serve --emulator` with `extra` flags, as the command line would parse them.
pub fn serve_args(extra: &[&str]) -> ServeArgs {
    let base = ["arcade-mcp-gateway", "serve", "--emulator"];
    match Cli::parse_from(base.iter().chain(extra)).command {
        Command::Serve(args) => *args,
        _ => unreachable!("parsed `serve`"),
    }
}
