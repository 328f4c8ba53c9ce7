//! The tools an emulator serves, indexed for lookup by name and listing by toolkit.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;

use super::demo_catalog::DemoTool;
use arcade_types::{Page, ToolDefinition};

/// How a tool runs when executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// One of the demo catalog's tools, which really compute.
    Demo(DemoTool),
    /// A loaded fixture: answers `{"tool", "user_id", "input"}`.
    Echo,
}

/// One served tool: its definition and how it runs.
#[derive(Debug, Clone)]
pub struct CatalogTool {
    /// What `GET /v1/tools` shows.
    pub definition: ToolDefinition,
    /// What execute does.
    pub runner: Runner,
}

/// All served tools, in listing order, with case-insensitive indexes.
#[derive(Debug, Default)]
pub struct Catalog {
    tools: Vec<CatalogTool>,
    by_name: HashMap<String, usize>,
    by_toolkit: HashMap<String, Vec<usize>>,
}

impl Catalog {
    /// Indexes `tools`; a later tool with an already seen name is skipped.
    pub fn new(tools: Vec<CatalogTool>) -> Self {
        let mut catalog = Self::default();
        for tool in tools {
            let name = tool.definition.qualified_name.to_lowercase();
            if catalog.by_name.contains_key(&name) {
                tracing::warn!(tool = %tool.definition.qualified_name, "duplicate tool skipped");
                continue;
            }
            let index = catalog.tools.len();
            catalog.by_name.insert(name, index);
            let toolkit = tool.definition.toolkit.name.to_lowercase();
            catalog.by_toolkit.entry(toolkit).or_default().push(index);
            catalog.tools.push(tool);
        }
        catalog
    }

    /// How many tools are served.
    pub fn tool_count(&self) -> usize {
        self.tools.len()
    }

    /// The tool named `name` (`Math.Add`, any case, optionally `@version`).
    pub fn get(&self, name: &str) -> Option<&CatalogTool> {
        let bare = name.split_once('@').map_or(name, |(bare, _)| bare);
        self.by_name
            .get(&bare.to_lowercase())
            .map(|&i| &self.tools[i])
    }

    /// The tools of `toolkit` (any case), or all tools, in listing order.
    pub fn matching(&self, toolkit: Option<&str>) -> Vec<&CatalogTool> {
        match toolkit {
            None => self.tools.iter().collect(),
            Some(name) => self
                .by_toolkit
                .get(&name.to_lowercase())
                .map(|indexes| indexes.iter().map(|&i| &self.tools[i]).collect())
                .unwrap_or_default(),
        }
    }
}

/// `limit` (default 25, at most 100) and `offset` of a paged listing.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct PageQuery {
    /// Page size asked.
    pub limit: Option<u32>,
    /// Where the page starts.
    pub offset: Option<u32>,
}

impl PageQuery {
    const DEFAULT_LIMIT: u32 = 25;
    const MAX_LIMIT: u32 = 100;

    fn limit(self) -> u32 {
        match self.limit {
            None | Some(0) => Self::DEFAULT_LIMIT,
            Some(limit) => limit.min(Self::MAX_LIMIT),
        }
    }

    /// The indexes of this page within `total` items.
    pub fn window(self, total: usize) -> Range<usize> {
        let start = (self.offset.unwrap_or(0) as usize).min(total);
        let end = (start + self.limit() as usize).min(total);
        start..end
    }

    /// Wraps one page's `items`, out of `total`, in the listing shape.
    pub fn page<T>(self, items: Vec<T>, total: usize) -> Page<T> {
        Page {
            page_count: Some(items.len() as u32),
            items,
            limit: Some(self.limit()),
            offset: Some(self.offset.unwrap_or(0)),
            total_count: Some(total as u32),
        }
    }

    /// Pages an already collected list.
    pub fn page_of<T>(self, mut all: Vec<T>) -> Page<T> {
        let total = all.len();
        let window = self.window(total);
        all.truncate(window.end);
        let items = all.split_off(window.start);
        self.page(items, total)
    }
}
