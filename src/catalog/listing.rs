//! What the `tools` subcommand prints: the catalog as a person reads it (a table) or
//! as a program reads it (the MCP tool definitions in JSON).

use std::fmt::Write;

use super::Catalog;

/// One line a tool: MCP name, whether it needs the user's grant, provider, scopes.
pub fn table(catalog: &Catalog) -> String {
    let rows: Vec<[String; 4]> = catalog
        .iter()
        .map(|entry| {
            let requirement = entry.auth_requirement();
            [
                entry.name().to_owned(),
                if requirement.is_some() { "yes" } else { "no" }.to_owned(),
                requirement
                    .and_then(|r| r.provider_id.clone())
                    .unwrap_or_else(|| "-".to_owned()),
                requirement
                    .map(|r| r.scopes().join(" "))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
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

/// The MCP tool definitions, as `tools/list` would give them.
pub fn json(catalog: &Catalog) -> String {
    serde_json::to_string_pretty(&catalog.tools()).unwrap_or_default()
}
