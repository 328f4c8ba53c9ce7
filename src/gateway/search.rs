//! The search index of the served tools, behind `search_tools` and the closest-name
//! suggestions of the other discovery tools: the [`SearchIndex`] of the current catalog. The index is built when serving starts (in
//! the background) and again for a catalog a refresh brings; while that new index is
//! being built, searches keep using the old one, so serving never pauses.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use tool_search::{SearchIndex, Searchable, ToolText};

use crate::catalog::{Catalog, CatalogEntry, CatalogId};
use crate::direct::{DirectEntry, DirectTools};

/// How many names an unknown-tool error suggests.
const SUGGESTIONS: usize = 5;

/// The catalog an index was built from, and the index.
type Indexed = Option<(CatalogId, Arc<SearchIndex>)>;

/// The index of the catalog last searched; clones share it.
#[derive(Clone, Default)]
pub(super) struct Search {
    current: Arc<Mutex<Indexed>>,
    /// Whether an index is being built (for a newer catalog than the kept one).
    building: Arc<AtomicBool>,
}

impl Search {
    /// The served names closest to `name`, for an unknown-tool error.
    pub fn closest_names(
        &self,
        catalog: &Catalog,
        direct: Option<&DirectTools>,
        name: &str,
    ) -> Vec<String> {
        self.index(catalog, direct).closest_names(name, SUGGESTIONS)
    }

    /// Builds the index of `catalog` in the background, so the first search finds it.
    pub fn warm(&self, catalog: Catalog, direct: Option<DirectTools>) {
        let search = self.clone();
        tokio::task::spawn_blocking(move || search.index(&catalog, direct.as_ref()));
    }

    /// The index of `catalog`: the kept one; else, while another search builds the new
    /// one, the kept one of the previous catalog; else a new one, built outside the lock.
    pub fn index(&self, catalog: &Catalog, direct: Option<&DirectTools>) -> Arc<SearchIndex> {
        let kept = self.current.lock().clone();
        if let Some((indexed, index)) = &kept
            && (indexed.is(catalog) || self.building.load(Ordering::Acquire))
        {
            return Arc::clone(index);
        }
        self.building.store(true, Ordering::Release);
        let index = Arc::new(build(catalog, direct));
        *self.current.lock() = Some((catalog.id(), Arc::clone(&index)));
        self.building.store(false, Ordering::Release);
        index
    }
}

/// Indexes every tool served: the catalog's, then the direct tools.
fn build(catalog: &Catalog, direct: Option<&DirectTools>) -> SearchIndex {
    let served: Vec<Served> = catalog
        .iter()
        .map(Served::Catalog)
        .chain(
            direct
                .into_iter()
                .flat_map(DirectTools::iter)
                .map(Served::Direct),
        )
        .collect();
    SearchIndex::build(&served)
}

/// One tool this gateway serves, as the index reads it.
enum Served<'a> {
    Catalog(&'a CatalogEntry),
    Direct(&'a DirectEntry),
}

impl Searchable for Served<'_> {
    fn text(&self) -> ToolText {
        match self {
            Served::Catalog(entry) => entry.text(),
            Served::Direct(entry) => entry.text(),
        }
    }
}

/// A catalog tool is found by its MCP definition and its grant's provider.
impl Searchable for CatalogEntry {
    fn text(&self) -> ToolText {
        let provider = self.auth_requirement().and_then(|r| r.provider_id.clone());
        ToolText::from_mcp_tool(
            self.name(),
            self.qualified_name(),
            provider,
            self.tool_json(),
        )
    }
}

/// A direct tool is found by its MCP definition and the provider it is granted by.
impl Searchable for DirectEntry {
    fn text(&self) -> ToolText {
        let definition = serde_json::to_string(&self.tool).unwrap_or_default();
        let qualified = self.name().replacen('_', ".", 1);
        let provider = Some(self.grant().provider_id.clone());
        ToolText::from_mcp_tool(self.name(), &qualified, provider, &definition)
    }
}
