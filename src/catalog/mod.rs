//! The tools the gateway serves: Arcade definitions turned into MCP tools, indexed by
//! MCP name, each with its argument check.
//!
//! - `names`: MCP names (`Gmail.ListEmails` → `Gmail_ListEmails`), legal and unique;
//! - `schema`: Arcade value schemas → `inputSchema`/`outputSchema`, and the
//!   `structuredContent` policy that keeps results matching them;
//! - `convert`: one definition → one [`Tool`] (title, annotations, `_meta`);
//! - `arguments`: checking `tools/call` arguments before anything goes upstream;
//! - [`cache`], [`live`], [`refresh`]: the on-disk copy of the catalog, the served
//!   catalog a refresh may replace, and the start-up that ties them together.

mod arguments;
pub mod cache;
mod convert;
mod entry;
mod filter;
pub mod live;
pub mod loader;
mod names;
pub mod refresh;
mod schema;
#[cfg(test)]
mod schema_properties;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};

use rayon::prelude::*;
use rmcp::model::Tool;
use sha2::{Digest, Sha256};

use crate::arcade::types::ToolDefinition;

pub use arguments::{ArgumentError, ArgumentProblem, ArgumentValidator, MAX_PROBLEMS};
pub use convert::{
    META_AUTHORIZATION, META_TOOL, META_UNMET, authorization_meta, title, to_mcp_tool,
};
pub use entry::{CatalogEntry, UnmetRequirement};
pub use filter::ToolFilter;
pub use live::LiveCatalog;
pub use names::{MAX_NAME_LEN, assign_names, base_name, is_valid_name};
pub use schema::{RESULT_KEY, ResultShape, input_schema, output_schema};

/// Every served tool, by MCP name. Cloning is cheap (one `Arc`), so handlers can
/// share one catalog and a refresh can swap in a new one.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Sorted by MCP name, so listings do not depend on the order Arcade sent.
    entries: Vec<CatalogEntry>,
    by_name: HashMap<String, usize>,
    /// A digest of every served tool, made on first use (see [`Catalog::fingerprint`]).
    fingerprint: OnceLock<[u8; 32]>,
}

/// Which catalog something was made from, without keeping that catalog: what a cache
/// built from a catalog holds, so a catalog a refresh replaced is freed.
#[derive(Debug, Clone)]
pub struct CatalogId(Weak<Inner>);

impl CatalogId {
    /// Whether `catalog` is this very catalog (a clone of it), not merely an equal one.
    /// (The identity keeps the catalog's allocation, so its address is not reused.)
    pub fn is(&self, catalog: &Catalog) -> bool {
        std::ptr::eq(self.0.as_ptr(), Arc::as_ptr(&catalog.inner))
    }
}

impl Catalog {
    /// Names and converts every definition; none is dropped (clashing names are
    /// renamed, see [`assign_names`]).
    pub fn from_definitions(definitions: Vec<ToolDefinition>) -> Self {
        let names = assign_names(&definitions);
        let named: Vec<_> = definitions.iter().zip(names).collect();
        // Converting thousands of tools is a good part of a start-up: on every core.
        Self::from_entries(
            named
                .into_par_iter()
                .map(|(definition, name)| CatalogEntry::new(definition, &name))
                .collect(),
        )
    }

    /// Serves converted tools (those of the on-disk cache), sorted by name.
    pub fn from_entries(mut entries: Vec<CatalogEntry>) -> Self {
        entries.sort_unstable_by(|a, b| a.name().cmp(b.name()));
        let by_name = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| (entry.name().to_owned(), i))
            .collect();
        Self {
            inner: Arc::new(Inner {
                entries,
                by_name,
                fingerprint: OnceLock::new(),
            }),
        }
    }

    /// This catalog's identity, which does not keep it alive.
    pub fn id(&self) -> CatalogId {
        CatalogId(Arc::downgrade(&self.inner))
    }

    /// The MCP name of the served tool `name` names: its MCP name (`Gmail_SendEmail`) or
    /// Arcade's qualified name (`Gmail.SendEmail`), surrounding spaces aside.
    pub fn mcp_name_of(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        if let Some(entry) = self.get(name) {
            return Some(entry.name());
        }
        self.iter()
            .find(|entry| entry.qualified_name() == name)
            .map(CatalogEntry::name)
    }

    /// The tool clients call `mcp_name`.
    pub fn get(&self, mcp_name: &str) -> Option<&CatalogEntry> {
        let index = *self.inner.by_name.get(mcp_name)?;
        Some(&self.inner.entries[index])
    }

    /// Every tool as `tools/list` shows it, sorted by name: parsed for one answer from
    /// the kept text (see [`CatalogEntry`] for why they are kept as text).
    pub fn tools(&self) -> Vec<Tool> {
        self.inner
            .entries
            .iter()
            .filter_map(CatalogEntry::tool)
            .collect()
    }

    /// A digest of every served tool (names and definitions, in order): two catalogs
    /// serving the same tools have the same one, on any replica. `tools/list` cursors
    /// carry it, so a cursor from another catalog is recognised. Made on first use,
    /// off the start-up path.
    pub fn fingerprint(&self) -> [u8; 32] {
        *self.inner.fingerprint.get_or_init(|| {
            let mut digest = Sha256::new();
            for entry in &self.inner.entries {
                digest.update(entry.name().as_bytes());
                digest.update([0]);
                digest.update(entry.tool_json().as_bytes());
                digest.update([0]);
            }
            digest.finalize().into()
        })
    }

    /// How many tools are served.
    pub fn len(&self) -> usize {
        self.inner.entries.len()
    }

    /// Whether no tool is served.
    pub fn is_empty(&self) -> bool {
        self.inner.entries.is_empty()
    }

    /// Whether both serve the same tools the same way (a refresh that changed nothing
    /// need not be announced).
    pub fn same_tools(&self, other: &Catalog) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a.same_as(b))
    }

    /// Every entry, sorted by MCP name.
    pub fn iter(&self) -> std::slice::Iter<'_, CatalogEntry> {
        self.inner.entries.iter()
    }
}

impl<'a> IntoIterator for &'a Catalog {
    type Item = &'a CatalogEntry;
    type IntoIter = std::slice::Iter<'a, CatalogEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::JsonObject;
    use serde_json::{Value, json};

    #[test]
    fn an_id_knows_its_catalog_without_keeping_it() {
        let catalog = Catalog::from_definitions(vec![def("DemoEcho", false, true)]);
        let id = catalog.id();
        assert!(id.is(&catalog.clone()));
        let equal = Catalog::from_definitions(vec![def("DemoEcho", false, true)]);
        assert!(!id.is(&equal), "an equal catalog is another one");
        let weak = Arc::downgrade(&catalog.inner);
        drop(catalog);
        assert_eq!(
            weak.strong_count(),
            0,
            "the id does not keep the catalog alive"
        );
    }

    fn def(qualified_name: &str, auth: bool, read_only: bool) -> ToolDefinition {
        let (toolkit, name) = qualified_name.split_at(4);
        let mut value = json!({
            "qualified_name": qualified_name, "name": name,
            "toolkit": {"name": toolkit},
            "input": {"parameters": [{"name": "q", "required": true,
                "value_schema": {"val_type": "string"}}]},
            "metadata": {"behavior": {"read_only": read_only}},
        });
        if auth {
            value["requirements"] = json!({"authorization": {"provider_id": "google"}});
        }
        serde_json::from_value(value).unwrap()
    }

    fn catalog() -> Catalog {
        Catalog::from_definitions(vec![
            def("Math.Add", false, true),
            def("Gmail.SendEmail", true, false),
            def("Math Add", false, false),
        ])
    }

    #[test]
    fn indexes_by_mcp_name_in_name_order() {
        let catalog = catalog();
        assert_eq!(catalog.len(), 3);
        assert!(!catalog.is_empty());
        let names: Vec<&str> = catalog.iter().map(CatalogEntry::name).collect();
        assert_eq!(names, ["Gmail_SendEmail", "Math_Add", "Math_Add_2"]);
        let tools = catalog.tools();
        let listed: Vec<&str> = tools.iter().map(|t| &*t.name).collect();
        assert_eq!(listed, names);
        assert_eq!(
            catalog.get("Math_Add_2").unwrap().qualified_name(),
            "Math.Add"
        );
        assert!(catalog.get("Math.Add").is_none());
    }

    #[test]
    fn entries_answer_authorization_retry_and_arguments() {
        let catalog = catalog();
        let send = catalog.get("Gmail_SendEmail").unwrap();
        assert!(send.needs_authorization());
        assert!(!send.safe_to_retry());
        let add = catalog.get("Math_Add_2").unwrap();
        assert!(!add.needs_authorization());
        assert!(add.safe_to_retry());
        assert!(
            add.validate_arguments(json!({"q": "x"}).as_object().unwrap())
                .is_ok()
        );
        assert!(add.validate_arguments(&JsonObject::new()).is_err());
    }

    #[test]
    fn listed_tools_are_the_converted_ones() {
        let catalog = catalog();
        let listed = catalog.tools();
        let expected = to_mcp_tool(&def("Gmail.SendEmail", true, false), "Gmail_SendEmail");
        assert_eq!(listed[0], expected);
        assert_eq!(
            catalog.get("Gmail_SendEmail").unwrap().tool(),
            Some(expected)
        );
    }

    #[test]
    fn null_optionals_are_dropped_and_required_kept() {
        let catalog = catalog();
        let add = catalog.get("Math_Add").unwrap();
        let mut args = json!({"q": null, "extra": null, "n": 1});
        let args = args.as_object_mut().unwrap();
        add.drop_null_optionals(args);
        assert_eq!(Value::Object(args.clone()), json!({"q": null, "n": 1}));
    }

    #[test]
    fn a_changed_tool_is_not_the_same() {
        let changed = Catalog::from_definitions(vec![
            def("Math.Add", false, false),
            def("Gmail.SendEmail", true, false),
            def("Math Add", false, false),
        ]);
        assert!(catalog().same_tools(&catalog()));
        assert!(
            !catalog().same_tools(&changed),
            "Math.Add no longer read-only"
        );
    }

    #[test]
    fn clones_share_one_catalog() {
        let catalog = catalog();
        let clone = catalog.clone();
        assert!(Arc::ptr_eq(&catalog.inner, &clone.inner));
        assert!(Catalog::default().is_empty());
    }
}
