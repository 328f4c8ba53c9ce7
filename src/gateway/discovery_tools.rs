//! What the discovery tools do: `describe_tools` gives the full definitions of named
//! tools, and `call_tool` runs a named tool through exactly the pipeline a direct
//! `tools/call` takes (argument check, authorization, result mapping, retry policy),
//! so a model that found a tool by search gets the same behaviour as one that saw it
//! listed.

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool};
use serde_json::{Value, json};

use super::own_tools::{self, OwnTool};
use crate::catalog::Catalog;
use crate::direct::DirectTools;

/// The most names one `describe_tools` takes: enough for a few candidates, small
/// enough that the answer stays a few schemas long.
pub const DESCRIBE_AT_MOST: usize = 20;

/// The longest tool name taken, in characters (MCP's own bound on tool names; Arcade's
/// longest is about half of it). A longer name names no tool, and is refused before any
/// lookup or comparison with the served names.
pub const MAX_NAME_CHARS: usize = 128;

/// The arguments of `describe_tools`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DescribeArguments {
    names: Vec<String>,
}

/// The arguments of `call_tool`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CallArguments {
    /// The tool to run (MCP or qualified name).
    pub name: String,
    /// Its arguments.
    #[serde(default)]
    pub arguments: JsonObject,
}

/// The tools a name may refer to: the catalog and the direct tools.
pub(super) struct Served<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The direct tools, if any.
    pub direct: Option<&'a DirectTools>,
}

impl Served<'_> {
    /// The MCP name of the tool called `name`, given as its MCP name (`Gmail_SendEmail`)
    /// or Arcade's qualified name (`Gmail.SendEmail`).
    pub fn resolve(&self, name: &str) -> Option<String> {
        let name = name.trim();
        if self.direct_tool(name).is_some() {
            return Some(name.to_owned());
        }
        self.catalog.mcp_name_of(name).map(str::to_owned)
    }

    /// The definition `tools/list` would show for the tool called `mcp_name`.
    fn definition(&self, mcp_name: &str) -> Option<Tool> {
        match self.catalog.get(mcp_name) {
            Some(entry) => entry.tool(),
            None => self.direct_tool(mcp_name),
        }
    }

    fn direct_tool(&self, mcp_name: &str) -> Option<Tool> {
        Some(self.direct?.get(mcp_name)?.tool.clone())
    }
}

/// `describe_tools {names}`: each tool's full definition, in text and as
/// `{"tools": [...]}`; an unknown name is an error naming it, with `suggest`'s closest
/// matches.
pub(super) fn describe(
    served: &Served<'_>,
    arguments: JsonObject,
    suggest: impl Fn(&str) -> Vec<String>,
) -> CallToolResult {
    let names = match own_tools::arguments::<DescribeArguments>(OwnTool::DescribeTools, arguments) {
        Ok(args) => args.names,
        Err(result) => return result,
    };
    if names.is_empty() || names.len() > DESCRIBE_AT_MOST {
        return own_tools::tool_error(format!(
            "Invalid arguments for `describe_tools`: `names` must hold 1 to {DESCRIBE_AT_MOST} \
             tool names (it held {}). Fix the arguments and call again.",
            names.len()
        ));
    }
    if let Some(refusal) = names.iter().find_map(|name| overlong_name(name)) {
        return refusal;
    }
    let mut tools = Vec::with_capacity(names.len());
    for name in &names {
        match served.resolve(name).and_then(|n| served.definition(&n)) {
            Some(tool) => tools.push(tool),
            None => return unknown_tool(name, &suggest(name)),
        }
    }
    let tools: Vec<Value> = tools
        .iter()
        .map(|tool| serde_json::to_value(tool).unwrap_or(Value::Null))
        .collect();
    let text = serde_json::to_string(&tools).unwrap_or_default();
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(json!({"tools": tools}));
    result
}

/// A tool error for a name that is no tool, naming the closest ones.
pub(super) fn unknown_tool(name: &str, closest: &[String]) -> CallToolResult {
    let hint = if closest.is_empty() {
        "Call search_tools to find the tool for your task.".to_owned()
    } else {
        format!(
            "The closest names are: {}. Or call search_tools to find the tool for your task.",
            closest.join(", ")
        )
    };
    own_tools::tool_error(format!(
        "There is no tool named {}. {hint}",
        quoted_name(name)
    ))
}

/// A tool error for a name longer than any tool's, or `None` for a name that may be one.
pub(super) fn overlong_name(name: &str) -> Option<CallToolResult> {
    let chars = name.chars().count();
    (chars > MAX_NAME_CHARS).then(|| {
        own_tools::tool_error(format!(
            "There is no tool by that name: tool names are at most {MAX_NAME_CHARS} \
             characters, and the one given has {chars}. Call search_tools to find the tool \
             for your task."
        ))
    })
}

/// `name` in backquotes when it looks like a tool name (at most [`MAX_NAME_CHARS`]
/// letters, digits, `_`, `-`, `.` or `@`), else a phrase that does not quote it: an
/// answer or a log line repeats no more of what a client sent than a name.
pub(super) fn quoted_name(name: &str) -> String {
    let name = name.trim();
    let looks_like_a_name = !name.is_empty()
        && name.len() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
    if looks_like_a_name {
        format!("`{name}`")
    } else {
        "by that name".to_owned()
    }
}

/// The checked arguments of `call_tool`, or a tool error saying what is wrong.
pub(super) fn call_arguments(arguments: JsonObject) -> Result<CallArguments, CallToolResult> {
    let call = own_tools::arguments::<CallArguments>(OwnTool::CallTool, arguments)?;
    if let Some(refusal) = overlong_name(&call.name) {
        return Err(refusal);
    }
    if OwnTool::named(call.name.trim()).is_some() {
        return Err(own_tools::tool_error(format!(
            "`call_tool` runs the tools found with search_tools; call `{}` directly instead.",
            call.name.trim()
        )));
    }
    Ok(call)
}
