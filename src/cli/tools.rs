//! `tools`: the tools `serve` would serve (the catalog, then the direct tools) as a
//! person reads them (a table) or as a program reads them (the MCP tool definitions in
//! JSON, as `tools/list` gives them).

use std::fmt::Write;

use super::CliError;
use super::source::{DirectToolsArgs, SourceArgs};
use crate::catalog::Catalog;
use crate::direct::DirectTools;
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
        json(&catalog, direct.as_ref())
    } else {
        table(&catalog, direct.as_ref())
    };
    println!("{listing}");
    Ok(())
}

/// One line a tool: MCP name, whether it needs the user's grant, provider, scopes.
fn table(catalog: &Catalog, direct: Option<&DirectTools>) -> String {
    let catalog_rows = catalog.iter().map(|entry| {
        let requirement = entry.auth_requirement();
        row(
            entry.name(),
            requirement.and_then(|r| r.provider_id.as_deref()),
            requirement.map(|r| r.scopes()),
        )
    });
    let direct_rows = direct.into_iter().flat_map(DirectTools::iter).map(|entry| {
        let grant = entry.grant();
        row(entry.name(), Some(&grant.provider_id), Some(&grant.scopes))
    });
    let rows: Vec<[String; 4]> = catalog_rows.chain(direct_rows).collect();
    let header = ["TOOL", "AUTH", "PROVIDER", "SCOPES"].map(str::to_owned);
    let widths: Vec<usize> = (0..3)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let _ = writeln!(
            out,
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
    }
    let _ = write!(out, "{} tools", rows.len());
    out
}

/// A table row: a tool that needs a grant has a provider (and maybe scopes).
fn row(name: &str, provider: Option<&str>, scopes: Option<&[String]>) -> [String; 4] {
    let needs_grant = provider.is_some() || scopes.is_some();
    [
        name.to_owned(),
        if needs_grant { "yes" } else { "no" }.to_owned(),
        provider.unwrap_or("-").to_owned(),
        scopes
            .map(|s| s.join(" "))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "-".to_owned()),
    ]
}

/// The MCP tool definitions, as `tools/list` would give them.
fn json(catalog: &Catalog, direct: Option<&DirectTools>) -> String {
    let mut tools = catalog.tools();
    if let Some(direct) = direct {
        tools.extend(direct.tools().iter().cloned());
    }
    serde_json::to_string_pretty(&tools).unwrap_or_default()
}
