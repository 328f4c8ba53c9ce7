//! The `arcade-emulator` binary: the emulator on its own, for tests and demos that
//! want an engine without the gateway (`arcade-mcp-gateway emulator` runs the same).

use std::process::ExitCode;

use clap::Parser;

/// A local Arcade-compatible engine (no Arcade account needed).
#[derive(Debug, Parser)]
#[command(name = "arcade-emulator", version, about)]
struct Cli {
    #[command(flatten)]
    args: arcade_emulator::EmulatorArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    match arcade_emulator::run(cli.args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
