//! `doctor`: whether this machine is ready to serve, one line a finding (see
//! [`crate::doctor`]). Exit code 0 when nothing needs fixing, 1 otherwise (and 2, from
//! clap, for a flag it cannot parse).

use super::{CliError, ServeArgs};
use crate::doctor::{self, Finding, Status};

/// Flags of `doctor`.
#[derive(Debug, Clone, clap::Args)]
pub struct DoctorArgs {
    /// The flags of `serve` to check, as a client would launch it.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Prints every finding; fails when one is a problem.
pub async fn run(args: &DoctorArgs) -> Result<(), CliError> {
    let findings = match args.serve.config() {
        Ok(config) => doctor::examine(&config).await,
        Err(error) => vec![Finding::new(
            Status::Problem,
            "configuration",
            error.to_string(),
        )],
    };
    for finding in &findings {
        println!("{}", line(finding));
    }
    if findings.iter().any(|f| f.status == Status::Problem) {
        return Err(CliError::Exit(1));
    }
    Ok(())
}

fn line(finding: &Finding) -> String {
    let mark = match finding.status {
        Status::Good => "✓",
        Status::Problem => "✗",
        Status::Note => "–",
    };
    format!("{mark} {}: {}", finding.topic, finding.detail)
}
