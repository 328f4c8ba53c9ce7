//! `describe_tools {names}`: the full definitions of tools found with `search_tools`
//! (input and output schemas, annotations), so a model passes the right arguments to
//! `call_tool`.

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool};
use schemars::JsonSchema;
use serde_json::{Value, json};

use super::OwnTool;
use super::served::{Served, overlong_name, unknown_tool};

/// The most names one `describe_tools` takes: enough for a few candidates, small
/// enough that the answer stays a few schemas long.
pub const DESCRIBE_AT_MOST: usize = 20;

const DESCRIPTION: &str = "Read the full definitions of tools found with search_tools \
(1 to 20 names): their input schema, output schema and annotations. Use it before call_tool, \
to pass the right arguments.";

/// The arguments of `describe_tools`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DescribeArguments {
    /// Tool names from search_tools (e.g. Gmail_SendEmail or Gmail.SendEmail).
    #[schemars(length(min = 1, max = DESCRIBE_AT_MOST))]
    names: Vec<String>,
}

/// What `tools/list` shows of `describe_tools`.
pub(super) fn definition() -> Tool {
    super::definition_of::<DescribeArguments>(
        OwnTool::DescribeTools,
        DESCRIPTION,
        super::read_only(),
    )
}

/// `describe_tools {names}`: each tool's full definition, in text and as
/// `{"tools": [...]}`; an unknown name is an error naming it, with `suggest`'s closest
/// matches.
pub(in crate::gateway) fn run(
    served: &Served<'_>,
    arguments: JsonObject,
    suggest: impl Fn(&str) -> Vec<String>,
) -> CallToolResult {
    let names = match super::arguments::<DescribeArguments>(OwnTool::DescribeTools, arguments) {
        Ok(args) => args.names,
        Err(result) => return result,
    };
    if names.is_empty() || names.len() > DESCRIBE_AT_MOST {
        return super::tool_error(format!(
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
