//! Fetching the tool definitions the server will serve from Arcade, all pages of
//! them, concurrently.

use futures::{StreamExt, TryStreamExt, stream};

use crate::arcade::types::ToolDefinition;
use crate::arcade::{ArcadeClient, ArcadeError, ToolsPage, ToolsQuery};
use crate::catalog::ToolFilter;

/// Arcade's largest page.
const PAGE_SIZE: u32 = 100;
/// How many pages are fetched at once.
const CONCURRENT_PAGES: usize = 8;
/// The most pages read from an engine that does not say how many tools it has.
const MAX_PAGES: usize = 1000;

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
        let mut definitions = all_pages(client, None).await?;
        dedup_by_name(&mut definitions);
        return Ok(definitions);
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

/// Every page of one toolkit (or of everything). The first page says how many tools
/// there are and how many the engine puts on a page; the rest are fetched
/// concurrently, each window checked to be full, and the count checked against the
/// engine's total. A definition that cannot be read is left out with a warning.
async fn all_pages(
    client: &ArcadeClient,
    toolkit: Option<&str>,
) -> Result<Vec<ToolDefinition>, ArcadeError> {
    let first = client.list_tools(&query(toolkit, 0)).await?;
    let mut listed = Listed::default();
    let step = first.returned;
    let total = first.total_count.map(|t| t as usize);
    listed.add(first);
    let Some(total) = total else {
        listed.rest_in_order(client, toolkit, step).await?;
        return Ok(listed.finish(None));
    };
    if step == 0 {
        return Ok(listed.finish(Some(total)));
    }
    let windows: Vec<(usize, usize)> = (step..total)
        .step_by(step)
        .map(|offset| (offset, step.min(total - offset)))
        .collect();
    let pages: Vec<ToolsPage> = stream::iter(windows.iter().copied())
        .map(|(offset, _)| async move { client.list_tools(&query(toolkit, offset)).await })
        .buffered(CONCURRENT_PAGES)
        .try_collect()
        .await?;
    for ((offset, size), page) in windows.into_iter().zip(pages) {
        let returned = page.returned;
        listed.add(page);
        if returned > 0 && returned < size {
            listed
                .fill_window(client, toolkit, offset + returned, offset + size)
                .await?;
        }
    }
    Ok(listed.finish(Some(total)))
}

/// What the pages listed so far: the tools read, and how many items came in all.
#[derive(Default)]
struct Listed {
    tools: Vec<ToolDefinition>,
    items: usize,
}

impl Listed {
    fn add(&mut self, page: ToolsPage) {
        for unreadable in &page.unreadable {
            tracing::warn!(tool = %unreadable.name, reason = %unreadable.reason,
                "a tool definition from the engine cannot be read; leaving it out and serving the rest");
        }
        self.items += page.returned;
        self.tools.extend(page.tools);
    }

    /// Pages of an engine that does not say how many tools there are: one after
    /// another from where the listing stands, until an empty page.
    async fn rest_in_order(
        &mut self,
        client: &ArcadeClient,
        toolkit: Option<&str>,
        first_returned: usize,
    ) -> Result<(), ArcadeError> {
        let mut returned = first_returned;
        let mut pages = 1;
        while returned > 0 && pages < MAX_PAGES {
            let page = client.list_tools(&query(toolkit, self.items)).await?;
            returned = page.returned;
            pages += 1;
            self.add(page);
        }
        Ok(())
    }

    /// Fetches `from..to` again page by page: a page in the middle came back short.
    async fn fill_window(
        &mut self,
        client: &ArcadeClient,
        toolkit: Option<&str>,
        mut from: usize,
        to: usize,
    ) -> Result<(), ArcadeError> {
        while from < to {
            let page = client.list_tools(&query(toolkit, from)).await?;
            let returned = page.returned.min(to - from);
            if returned == 0 {
                return Ok(());
            }
            let mut page = page;
            page.tools.truncate(returned);
            page.returned = returned;
            self.add(page);
            from += returned;
        }
        Ok(())
    }

    /// The tools read, after checking the count against the engine's total.
    fn finish(self, total: Option<usize>) -> Vec<ToolDefinition> {
        if let Some(total) = total
            && total != self.items
        {
            tracing::warn!(
                said = total,
                listed = self.items,
                "the engine's tool count does not match what it listed; serving what it listed"
            );
        }
        self.tools
    }
}

fn query(toolkit: Option<&str>, offset: usize) -> ToolsQuery {
    ToolsQuery {
        toolkit: toolkit.map(str::to_owned),
        limit: PAGE_SIZE,
        offset: offset as u32,
        user_id: None,
    }
}

/// Keeps the first of each qualified name (a tool named by `--tool` inside a
/// `--toolkit` also given, or listed twice by pages that overlapped).
fn dedup_by_name(definitions: &mut Vec<ToolDefinition>) {
    let mut seen = std::collections::HashSet::new();
    definitions.retain(|d| seen.insert(d.qualified_name.clone()));
}
