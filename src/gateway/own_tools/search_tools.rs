//! `search_tools {query, toolkit?, limit?}`: the best matches for a task among the
//! served tools, from the search index of the current catalog ([`Search`]), each with
//! its toolkit, a one-line description, the grant it needs and what stands in the way
//! of running it.

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool};
use schemars::JsonSchema;
use serde_json::{Value, json};

use super::OwnTool;
use crate::arcade::types::AuthRequirement;
use crate::catalog::{Catalog, CatalogEntry, UnmetRequirement};
use crate::direct::DirectTools;
use crate::gateway::search::Search;
use tool_search::{Hit, SearchIndex};

/// How many matches `search_tools` gives by default, and at most.
const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 50;

/// How many toolkits a search without matches suggests.
const TOOLKIT_SUGGESTIONS: usize = 15;

const DESCRIPTION: &str = "Find the tools for a task among the thousands this server \
can run. Describe the task in plain words (e.g. \"send an email\", \"open issues in a GitHub \
repo\"); optionally name a toolkit. Returns the best matches, best first, each with its name, \
toolkit, a one-line description and whether the user must grant access first. Then call \
describe_tools with the names you want, to read their arguments, and run one with call_tool.";

/// The arguments of `search_tools`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchArguments {
    /// The task, in plain words.
    query: String,
    /// Only tools of this toolkit, e.g. Gmail.
    #[serde(default)]
    toolkit: Option<String>,
    /// How many tools to return (1 to 50).
    #[serde(default)]
    #[schemars(range(min = 1, max = MAX_LIMIT), extend("default" = DEFAULT_LIMIT))]
    limit: Option<i64>,
}

/// What `tools/list` shows of `search_tools`.
pub(super) fn definition() -> Tool {
    super::definition_of::<SearchArguments>(OwnTool::SearchTools, DESCRIPTION, super::read_only())
}

/// `search_tools {query, toolkit?, limit?}`, in the index `search` keeps.
pub(in crate::gateway) fn run(
    search: &Search,
    catalog: &Catalog,
    direct: Option<&DirectTools>,
    arguments: JsonObject,
) -> CallToolResult {
    let args = match super::arguments::<SearchArguments>(OwnTool::SearchTools, arguments) {
        Ok(args) => args,
        Err(result) => return result,
    };
    let limit = match args.limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as usize,
        Some(n) => {
            return super::tool_error(format!(
                "Invalid arguments for `search_tools`: `limit` must be 1 to {MAX_LIMIT} \
                 (it was {n}). Fix the arguments and call again."
            ));
        }
    };
    let index = search.index(catalog, direct);
    match index.search(&args.query, args.toolkit.as_deref(), limit) {
        Ok(hits) if hits.is_empty() => no_match(&index),
        Ok(hits) => found(catalog, direct, &hits),
        Err(error) => super::tool_error(format!("{error}")),
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
