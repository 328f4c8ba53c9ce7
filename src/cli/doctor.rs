//! `doctor`: whether this machine is ready to serve, one line a finding (see
//! [`crate::doctor`]). Exit code 0 when nothing needs fixing, 1 otherwise (and 2, from
//! clap, for a flag it cannot parse).

use super::{CliError, ServeArgs};
use crate::doctor::{self, Finding, Status};
use mcp_client_config::Homes;

/// Flags of `doctor`.
#[derive(Debug, Clone, clap::Args)]
pub struct DoctorArgs {
    /// The name of this server's entry in the clients' config files
    #[arg(long, default_value = "arcade")]
    pub name: String,

    /// The flags of `serve` to check, as a client would launch it.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Prints every finding; fails when one is a problem.
pub async fn run(args: &DoctorArgs) -> Result<(), CliError> {
    let mut findings = match args.serve.config() {
        Ok(config) => doctor::examine(&config).await,
        Err(error) => vec![Finding::new(
            Status::Problem,
            "configuration",
            error.to_string(),
        )],
    };
    findings.extend(doctor::clients(&Homes::from_env(), &args.name, flags_parse));
    for finding in &findings {
        println!("{}", line(finding));
    }
    if findings.iter().any(|f| f.status == Status::Problem) {
        return Err(CliError::Exit(1));
    }
    Ok(())
}

/// Whether a client entry's arguments parse as this program's command line.
fn flags_parse(args: &[String]) -> Result<(), String> {
    // An entry that starts the binary through `uvx` has uvx's own words before `serve`.
    let args = args
        .iter()
        .position(|word| word == "serve")
        .map_or(args, |at| &args[at..]);
    let words = std::iter::once("arcade-mcp-gateway").chain(args.iter().map(String::as_str));
    match <super::Cli as clap::Parser>::try_parse_from(words) {
        Ok(_) => Ok(()),
        Err(error) => Err(error
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_owned()),
    }
}

fn line(finding: &Finding) -> String {
    let mark = match finding.status {
        Status::Good => "✓",
        Status::Problem => "✗",
        Status::Note => "–",
    };
    format!("{mark} {}: {}", finding.topic, finding.detail)
}
