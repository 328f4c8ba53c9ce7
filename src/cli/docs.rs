//! `completions <shell>` and `man`: the shell completions and the man page, generated
//! from the same clap definitions as the parser, so they never drift from the flags.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, CliError};

/// Flags of `completions`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompletionsArgs {
    /// The shell, e.g. bash: `arcade-mcp-gateway completions bash > /etc/bash_completion.d/arcade-mcp-gateway`
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Prints the completion script for the shell.
pub fn completions(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    clap_complete::generate(args.shell, &mut command, name, &mut std::io::stdout());
    Ok(())
}

/// Prints the man page (roff): `arcade-mcp-gateway man > arcade-mcp-gateway.1`.
pub fn man() -> Result<(), CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    std::io::stdout().write_all(&page)?;
    Ok(())
}
