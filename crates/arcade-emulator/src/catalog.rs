//! The tools an emulator serves, indexed for lookup by name and version and listing by
//! toolkit. Like Arcade, it may host several versions of a toolkit: a listing shows
//! the newest of each tool (all with `include_all_versions`), an execute without
//! `tool_version` runs the newest, and a version can be retired while serving.

use parking_lot::RwLock;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use serde::Deserialize;
use serde_json::Value;

use super::demo_catalog::DemoTool;
use arcade_types::{Page, ToolDefinition};

/// How a tool runs when executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// One of the demo catalog's tools, which really compute.
    Demo(DemoTool),
    /// A loaded fixture: answers `{"tool", "user_id", "input"}`.
    Echo,
    /// A definition that does not read as one (an engine's bad data): listed as it
    /// is, never run.
    Unreadable,
}

/// One served tool: its definition and how it runs.
#[derive(Debug, Clone)]
pub struct CatalogTool {
    /// What execute and authorize go by.
    pub definition: ToolDefinition,
    /// What listings show verbatim instead of `definition`, where the two differ: a
    /// fixture's own JSON, `null` arrays and fields this crate does not model included.
    pub listed: Option<Value>,
    /// What execute does.
    pub runner: Runner,
}

/// All served tools, in listing order, with case-insensitive indexes.
#[derive(Debug, Default)]
pub struct Catalog {
    tools: Vec<CatalogTool>,
    /// Every version of each name, newest first.
    by_name: HashMap<String, Vec<usize>>,
    by_toolkit: HashMap<String, Vec<usize>>,
    /// `(toolkit, version)` pairs retired while serving, in lower case.
    retired: RwLock<HashSet<(String, String)>>,
}

impl Catalog {
    /// Indexes `tools`; a later tool with an already seen name and version is skipped.
    pub fn new(tools: Vec<CatalogTool>) -> Self {
        let mut catalog = Self::default();
        for tool in tools {
            let name = tool.definition.qualified_name.to_lowercase();
            let versions = catalog.by_name.entry(name).or_default();
            let version = tool.definition.toolkit_version();
            if (versions.iter()).any(|&i| catalog.tools[i].definition.toolkit_version() == version)
            {
                tracing::warn!(tool = %tool.definition.qualified_name, "duplicate tool skipped");
                continue;
            }
            let index = catalog.tools.len();
            versions.push(index);
            let toolkit = tool.definition.toolkit.name.to_lowercase();
            catalog.by_toolkit.entry(toolkit).or_default().push(index);
            catalog.tools.push(tool);
        }
        let tools = &catalog.tools;
        for versions in catalog.by_name.values_mut() {
            versions.sort_by(|&a, &b| newer_first(&tools[a], &tools[b]));
        }
        catalog
    }

    /// How many tools are served (every version).
    pub fn tool_count(&self) -> usize {
        self.tools.len()
    }

    /// The tool named `name` (`Math.Add`, any case, optionally `@version`) at
    /// `version`, or its newest version; never a retired one.
    pub fn get(&self, name: &str, version: Option<&str>) -> Option<&CatalogTool> {
        let (bare, pinned) = match name.split_once('@') {
            Some((bare, pinned)) => (bare, Some(pinned)),
            None => (name, None),
        };
        let version = version.or(pinned);
        let versions = self.by_name.get(&bare.to_lowercase())?;
        (versions.iter())
            .map(|&i| &self.tools[i])
            .filter(|tool| !self.is_retired(tool))
            .find(|tool| version.is_none_or(|v| tool.definition.toolkit_version() == Some(v)))
    }

    /// Whether any version of `name` is served.
    pub fn knows(&self, name: &str) -> bool {
        let bare = name.split_once('@').map_or(name, |(bare, _)| bare);
        self.get(bare, None).is_some()
    }

    /// The tools of `toolkit` (any case), or all tools, in listing order: the newest
    /// version of each, or every version.
    pub fn matching(&self, toolkit: Option<&str>, all_versions: bool) -> Vec<&CatalogTool> {
        let indexes: Vec<usize> = match toolkit {
            None => (0..self.tools.len()).collect(),
            Some(name) => (self.by_toolkit.get(&name.to_lowercase()).cloned()).unwrap_or_default(),
        };
        (indexes.into_iter())
            .map(|i| &self.tools[i])
            .filter(|tool| !self.is_retired(tool))
            .filter(|tool| all_versions || self.is_newest(tool))
            .collect()
    }

    /// Stops serving `version` of `toolkit`; false when no tool has it.
    pub fn retire(&self, toolkit: &str, version: &str) -> bool {
        let hosted = (self
            .by_toolkit
            .get(&toolkit.to_lowercase())
            .into_iter()
            .flatten())
        .any(|&i| self.tools[i].definition.toolkit_version() == Some(version));
        if hosted {
            let key = (toolkit.to_lowercase(), version.to_owned());
            self.retired.write().insert(key);
        }
        hosted
    }

    fn is_retired(&self, tool: &CatalogTool) -> bool {
        let Some(version) = tool.definition.toolkit_version() else {
            return false;
        };
        let key = (
            tool.definition.toolkit.name.to_lowercase(),
            version.to_owned(),
        );
        self.retired.read().contains(&key)
    }

    fn is_newest(&self, tool: &CatalogTool) -> bool {
        self.get(&tool.definition.qualified_name, None)
            .is_some_and(|newest| std::ptr::eq(newest, tool))
    }
}

/// Orders two versions of a tool newest first, by the numbers of their versions
/// (`1.10.0` after `1.9.2`).
fn newer_first(a: &CatalogTool, b: &CatalogTool) -> Ordering {
    let numbers = |tool: &CatalogTool| -> Vec<u64> {
        (tool
            .definition
            .toolkit_version()
            .unwrap_or("0")
            .split(['.', '-', '+']))
        .map(|part| part.parse().unwrap_or(0))
        .collect()
    };
    numbers(b).cmp(&numbers(a))
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

    /// The same query, putting at most `cap` items on a page when there is a cap.
    pub fn capped(self, cap: Option<u32>) -> Self {
        match cap {
            Some(cap) => Self {
                limit: Some(self.limit().min(cap.max(1))),
                ..self
            },
            None => self,
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
