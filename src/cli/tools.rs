//! `tools`: the tools `serve` would serve, as a table or as JSON.

use super::CliError;
use super::listing;
use super::source::{DirectToolsArgs, SourceArgs};
use crate::startup::{self, Prepared};

/// Flags of `tools`.
#[derive(Debug, Clone, clap::Args)]
pub struct ToolsArgs {
    /// Where Arcade is and which tools to list.
    #[command(flatten)]
    pub source: SourceArgs,

    /// The direct tools listed beside Arcade's.
    #[command(flatten)]
    pub direct: DirectToolsArgs,

    /// Print the MCP tool definitions as JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

/// Loads the catalog (never from the cache) and prints it.
pub async fn run(args: &ToolsArgs) -> Result<(), CliError> {
    let source = args.source.config()?;
    let direct = startup::direct_tools(args.direct.direct_tools.as_deref())?;
    let prepared = Prepared::new(&source, None).await?;
    let catalog = prepared.catalog.current();
    if let Some(direct) = &direct {
        direct
            .check_against(&catalog)
            .map_err(startup::StartError::from)?;
    }
    let listing = if args.json {
        listing::json(&catalog, direct.as_ref())
    } else {
        listing::table(&catalog, direct.as_ref())
    };
    println!("{listing}");
    Ok(())
}
