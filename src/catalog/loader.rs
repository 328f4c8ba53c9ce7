//! Fetching the tool definitions the server will serve from Arcade, all pages of
//! them, concurrently.

use futures::{StreamExt, TryStreamExt, stream};

use crate::arcade::types::{Page, ToolDefinition};
use crate::arcade::{ArcadeClient, ArcadeError, ToolsQuery};
use crate::catalog::ToolFilter;

/// Arcade's largest page.
const PAGE_SIZE: u32 = 100;
/// How many pages are fetched at once.
const CONCURRENT_PAGES: usize = 8;

/// Why the catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Arcade failed or refused.
    #[error("could not load the tool catalog: {0}")]
    Arcade(#[from] ArcadeError),
    /// A `--toolkit` Arcade has no tools for.
    #[error(
        "unknown toolkit `{0}`: Arcade lists no tools for it with this key; check --toolkit (run without filters to see every toolkit)"
    )]
    UnknownToolkit(String),
    /// A `--tool` Arcade does not know.
    #[error(
        "unknown tool `{0}`: Arcade does not know it with this key; check --tool (the `tools` subcommand lists what the key can see)"
    )]
    UnknownTool(String),
}

/// Loads the tools `filter` selects: whole toolkits, single tools, or everything.
pub async fn load_definitions(
    client: &ArcadeClient,
    filter: &ToolFilter,
) -> Result<Vec<ToolDefinition>, LoadError> {
    if filter.is_everything() {
        return Ok(all_pages(client, None).await?);
    }
    let mut definitions = Vec::new();
    for toolkit in &filter.toolkits {
        let tools = all_pages(client, Some(toolkit)).await?;
        if tools.is_empty() {
            return Err(LoadError::UnknownToolkit(toolkit.clone()));
        }
        definitions.extend(tools);
    }
    // Owned names: a stream of borrowed ones makes this future unusable in a spawned task.
    let singles: Vec<ToolDefinition> = stream::iter(filter.tools.clone())
        .map(|name| async move { single_tool(client, &name).await })
        .buffered(CONCURRENT_PAGES)
        .try_collect()
        .await?;
    definitions.extend(singles);
    dedup_by_name(&mut definitions);
    Ok(definitions)
}

/// One tool by its qualified name.
async fn single_tool(client: &ArcadeClient, name: &str) -> Result<ToolDefinition, LoadError> {
    client.get_tool(name, None).await.map_err(|e| match e {
        ArcadeError::NotFound { .. } => LoadError::UnknownTool(name.to_owned()),
        other => LoadError::Arcade(other),
    })
}

/// Every page of one toolkit (or of everything): the first page says how many there
/// are, the rest are fetched concurrently.
async fn all_pages(
    client: &ArcadeClient,
    toolkit: Option<&str>,
) -> Result<Vec<ToolDefinition>, ArcadeError> {
    let first = client.list_tools(&query(toolkit, 0)).await?;
    let Some(total) = first.total_count else {
        return sequential_pages(client, toolkit, first).await;
    };
    let offsets = (PAGE_SIZE..total).step_by(PAGE_SIZE as usize);
    let rest: Vec<Page<ToolDefinition>> = stream::iter(offsets)
        .map(|offset| async move { client.list_tools(&query(toolkit, offset)).await })
        .buffered(CONCURRENT_PAGES)
        .try_collect()
        .await?;
    let mut tools = first.items;
    tools.extend(rest.into_iter().flat_map(|page| page.items));
    Ok(tools)
}

/// Paging for an engine that does not say how many tools there are: page by page
/// until a short page.
async fn sequential_pages(
    client: &ArcadeClient,
    toolkit: Option<&str>,
    first: Page<ToolDefinition>,
) -> Result<Vec<ToolDefinition>, ArcadeError> {
    let mut tools = Vec::new();
    let mut page = first;
    loop {
        let full = page.items.len() as u32 >= PAGE_SIZE;
        tools.extend(page.items);
        if !full {
            return Ok(tools);
        }
        page = client
            .list_tools(&query(toolkit, tools.len() as u32))
            .await?;
    }
}

fn query(toolkit: Option<&str>, offset: u32) -> ToolsQuery {
    ToolsQuery {
        toolkit: toolkit.map(str::to_owned),
        limit: PAGE_SIZE,
        offset,
        user_id: None,
    }
}

/// Keeps the first of each qualified name (a tool named by `--tool` inside a
/// `--toolkit` also given).
fn dedup_by_name(definitions: &mut Vec<ToolDefinition>) {
    let mut seen = std::collections::HashSet::new();
    definitions.retain(|d| seen.insert(d.qualified_name.clone()));
}
