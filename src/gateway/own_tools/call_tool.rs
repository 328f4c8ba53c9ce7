//! `call_tool {name, arguments}`: runs a tool found with `search_tools` through exactly
//! the pipeline a direct `tools/call` takes (argument check, authorization, result
//! mapping, retry policy), so a model that found a tool by search gets the same
//! behaviour as one that saw it listed. The gateway relays the call
//! ([`crate::gateway::Gateway`]); this file checks what it is asked to relay.

use rmcp::model::{CallToolResult, JsonObject, Tool};
use schemars::JsonSchema;

use super::OwnTool;
use super::served::overlong_name;

const DESCRIPTION: &str = "Run a tool found with search_tools, by its name, with the \
arguments its definition (from describe_tools) asks for. It runs exactly as if the tool had \
been called directly, and may act on the user's accounts. If the user must first grant access, \
the answer says so and gives the link to show them; call again once they have approved.";

/// The arguments of `call_tool`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::gateway) struct CallArguments {
    /// The tool's name, from search_tools.
    pub name: String,
    /// The tool's arguments, as its definition asks.
    #[serde(default)]
    pub arguments: JsonObject,
}

/// What `tools/list` shows of `call_tool`.
pub(super) fn definition() -> Tool {
    super::definition_of::<CallArguments>(OwnTool::CallTool, DESCRIPTION, super::acting())
}

/// The checked arguments of `call_tool`, or a tool error saying what is wrong.
pub(in crate::gateway) fn checked_arguments(
    arguments: JsonObject,
) -> Result<CallArguments, CallToolResult> {
    let call = super::arguments::<CallArguments>(OwnTool::CallTool, arguments)?;
    if let Some(refusal) = overlong_name(&call.name) {
        return Err(refusal);
    }
    if OwnTool::named(call.name.trim()).is_some() {
        return Err(super::tool_error(format!(
            "`call_tool` runs the tools found with search_tools; call `{}` directly instead.",
            call.name.trim()
        )));
    }
    Ok(call)
}
