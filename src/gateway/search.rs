//! `search_tools`: the best matches for a task among the served tools, from the
//! [`SearchIndex`] of the current catalog. The index is built when serving starts (in
//! the background) and again for a catalog a refresh brings; while that new index is
//! being built, searches keep using the old one, so serving never pauses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use serde_json::{Value, json};

use super::own_tools::{self, OwnTool};
use crate::arcade::types::AuthRequirement;
use crate::catalog::{Catalog, CatalogEntry, CatalogId, UnmetRequirement};
use crate::direct::DirectTools;
use crate::discovery::{Hit, SearchIndex};

/// How many matches `search_tools` gives by default, and at most.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 50;

/// How many names an unknown-tool error suggests.
const SUGGESTIONS: usize = 5;

/// How many toolkits a search without matches suggests.
const TOOLKIT_SUGGESTIONS: usize = 15;

/// The arguments of `search_tools`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchArguments {
    query: String,
    #[serde(default)]
    toolkit: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

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
    /// `search_tools {query, toolkit?, limit?}`.
    pub fn search(
        &self,
        catalog: &Catalog,
        direct: Option<&DirectTools>,
        arguments: JsonObject,
    ) -> CallToolResult {
        let args = match own_tools::arguments::<SearchArguments>(OwnTool::SearchTools, arguments) {
            Ok(args) => args,
            Err(result) => return result,
        };
        let limit = match args.limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as usize,
            Some(n) => {
                return own_tools::tool_error(format!(
                    "Invalid arguments for `search_tools`: `limit` must be 1 to {MAX_LIMIT} \
                     (it was {n}). Fix the arguments and call again."
                ));
            }
        };
        let index = self.index(catalog, direct);
        match index.search(&args.query, args.toolkit.as_deref(), limit) {
            Ok(hits) if hits.is_empty() => no_match(&index),
            Ok(hits) => found(catalog, direct, &hits),
            Err(error) => own_tools::tool_error(format!("{error}")),
        }
    }

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
    fn index(&self, catalog: &Catalog, direct: Option<&DirectTools>) -> Arc<SearchIndex> {
        let kept = self.lock().clone();
        if let Some((indexed, index)) = &kept
            && (indexed.is(catalog) || self.building.load(Ordering::Acquire))
        {
            return Arc::clone(index);
        }
        self.building.store(true, Ordering::Release);
        let index = Arc::new(SearchIndex::build(catalog, direct));
        *self.lock() = Some((catalog.id(), Arc::clone(&index)));
        self.building.store(false, Ordering::Release);
        index
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Indexed> {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The matches: one compact line each for the model, and the structured list.
fn found(catalog: &Catalog, direct: Option<&DirectTools>, hits: &[Hit]) -> CallToolResult {
    let lines: Vec<String> = hits.iter().map(|hit| line(catalog, direct, hit)).collect();
    let structured: Vec<Value> = (hits.iter())
        .map(|hit| structured(catalog, direct, hit))
        .collect();
    let text = format!(
        "{}\n\nCall describe_tools with the names you want to read their arguments, then \
         call_tool to run one.",
        lines.join("\n")
    );
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(json!({"tools": structured}));
    result
}

/// The grant a served tool needs, catalog or direct.
fn grant_of<'a>(
    catalog: &'a Catalog,
    direct: Option<&'a DirectTools>,
    name: &str,
) -> Option<&'a AuthRequirement> {
    match catalog.get(name) {
        Some(entry) => entry.auth_requirement(),
        None => direct?.get(name)?.requirement(),
    }
}

fn line(catalog: &Catalog, direct: Option<&DirectTools>, hit: &Hit) -> String {
    let entry = catalog.get(&hit.name);
    let grant = match grant_of(catalog, direct, &hit.name) {
        Some(requirement) => format!(
            " [needs the user's grant: {}]",
            requirement.provider_id.as_deref().unwrap_or("a provider")
        ),
        None => String::new(),
    };
    let unmet = unmet(entry);
    let unavailable = if unmet.is_empty() {
        String::new()
    } else {
        format!(
            " [unavailable until a project admin fixes: {}]",
            unmet.join("; ")
        )
    };
    format!(
        "- {} ({}): {}{grant}{unavailable}",
        hit.name, hit.toolkit, hit.description
    )
}

/// What stands in the way of running the tool that only a project admin can fix.
fn unmet(entry: Option<&CatalogEntry>) -> Vec<String> {
    let unmet = entry
        .map(CatalogEntry::unmet_requirements)
        .unwrap_or_default();
    unmet.iter().map(UnmetRequirement::describe).collect()
}

fn structured(catalog: &Catalog, direct: Option<&DirectTools>, hit: &Hit) -> Value {
    let entry = catalog.get(&hit.name);
    let authorization = grant_of(catalog, direct, &hit.name)
        .map(|r| json!({"provider_id": r.provider_id, "scopes": r.scopes()}));
    let tool = match entry {
        Some(entry) => entry.tool(),
        None => direct
            .and_then(|d| d.get(&hit.name))
            .map(|d| d.tool.clone()),
    };
    let annotations = tool
        .and_then(|tool| tool.annotations)
        .map(|a| serde_json::to_value(a).unwrap_or(Value::Null));
    json!({
        "name": hit.name,
        "qualified_name": hit.qualified_name,
        "toolkit": hit.toolkit,
        "description": hit.description,
        "authorization": authorization,
        "unmet_requirements": unmet(entry),
        "annotations": annotations,
    })
}

/// No tool matched: say so, and name toolkits to search in.
fn no_match(index: &SearchIndex) -> CallToolResult {
    let toolkits: Vec<String> = index
        .toolkits()
        .into_iter()
        .take(TOOLKIT_SUGGESTIONS)
        .map(|(name, _)| name)
        .collect();
    let mut result = CallToolResult::success(vec![ContentBlock::text(format!(
        "No tool matches this query. Try other words for the task, or name a toolkit; \
         toolkits here include: {}.",
        toolkits.join(", ")
    ))]);
    result.structured_content = Some(json!({"tools": [], "toolkits": toolkits}));
    result
}
