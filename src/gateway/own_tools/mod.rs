//! The gateway's own tools, beside the catalog, one file each with its arguments, its
//! schema (derived from the arguments' type, so the two cannot drift) and what it does:
//! the discovery tools that stand in for a catalog too large to list
//! ([`search_tools`], [`describe_tools`], [`call_tool`]), and the tools that show and
//! revoke the calling user's connections ([`list_connections`], [`revoke_connection`]).
//! [`served`] holds what the discovery tools share: the tools a name may refer to.

pub(super) mod call_tool;
pub(super) mod describe_tools;
pub(super) mod list_connections;
pub(super) mod revoke_connection;
pub(super) mod search_tools;
pub(super) mod served;

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// When `tools/list` shows the discovery tools instead of every tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiscoveryMode {
    /// Discovery when the selection is larger than [`LISTED_TOOLS_AT_MOST`].
    #[default]
    Auto,
    /// Always the discovery tools.
    Always,
    /// Every tool, paginated.
    Never,
}

/// The most tools `auto` still lists. VS Code sends at most 128 tools to a model in one
/// request and Cursor advises about 40, so a selection past 128 would be cut by the
/// client or crowd out the model's context; a few toolkits (`--toolkit Gmail --toolkit
/// Slack`) stay well under it.
pub const LISTED_TOOLS_AT_MOST: usize = 128;

impl DiscoveryMode {
    /// Whether a selection of `tools` tools is served through discovery.
    pub fn discovers(self, tools: usize) -> bool {
        match self {
            Self::Auto => tools > LISTED_TOOLS_AT_MOST,
            Self::Always => true,
            Self::Never => false,
        }
    }
}

/// One of the gateway's own tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OwnTool {
    SearchTools,
    DescribeTools,
    CallTool,
    ListConnections,
    RevokeConnection,
}

impl OwnTool {
    /// The discovery tools, in the order they are listed.
    pub const DISCOVERY: [Self; 3] = [Self::SearchTools, Self::DescribeTools, Self::CallTool];
    /// The connection tools, in the order they are listed.
    pub const CONNECTIONS: [Self; 2] = [Self::ListConnections, Self::RevokeConnection];

    /// The MCP name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SearchTools => "search_tools",
            Self::DescribeTools => "describe_tools",
            Self::CallTool => "call_tool",
            Self::ListConnections => "list_connections",
            Self::RevokeConnection => "revoke_connection",
        }
    }

    /// The own tool called `name`, if it is one.
    pub fn named(name: &str) -> Option<Self> {
        Self::DISCOVERY
            .into_iter()
            .chain(Self::CONNECTIONS)
            .find(|tool| tool.name() == name)
    }

    /// The definition `tools/list` shows.
    pub fn definition(self) -> Tool {
        match self {
            Self::SearchTools => search_tools::definition(),
            Self::DescribeTools => describe_tools::definition(),
            Self::CallTool => call_tool::definition(),
            Self::ListConnections => list_connections::definition(),
            Self::RevokeConnection => revoke_connection::definition(),
        }
    }
}

/// The definition of `tool`, its input schema derived from its arguments' type `A`.
fn definition_of<A: JsonSchema + 'static>(
    tool: OwnTool,
    description: &'static str,
    annotations: ToolAnnotations,
) -> Tool {
    let schema = rmcp::handler::server::common::schema_for_input::<A>()
        .expect("an own tool's arguments are an object");
    Tool::new(tool.name(), description, Arc::clone(&schema)).annotate(annotations)
}

/// The hints of a tool that only reads the gateway's own state.
fn read_only() -> ToolAnnotations {
    ToolAnnotations::new()
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false)
}

/// `call_tool` runs any tool, so it claims nothing it cannot promise.
fn acting() -> ToolAnnotations {
    ToolAnnotations::new()
        .read_only(false)
        .destructive(true)
        .idempotent(false)
        .open_world(true)
}

/// The hints of `revoke_connection`: it destroys a grant, and doing it twice is harmless.
fn revoking() -> ToolAnnotations {
    ToolAnnotations::new()
        .read_only(false)
        .destructive(true)
        .idempotent(true)
        .open_world(false)
}

/// The arguments of an own tool, read into `T`, or a tool error that says which one is
/// wrong (nothing is sent anywhere).
fn arguments<T: DeserializeOwned>(
    tool: OwnTool,
    arguments: JsonObject,
) -> Result<T, CallToolResult> {
    serde_json::from_value(Value::Object(arguments)).map_err(|error| {
        tool_error(format!(
            "Invalid arguments for `{}`; nothing was sent. {error}. Fix the arguments and call again.",
            tool.name()
        ))
    })
}

/// A tool error carrying `text`.
pub(super) fn tool_error(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_lists_a_few_toolkits_and_discovers_a_catalog() {
        assert!(!DiscoveryMode::Auto.discovers(40));
        assert!(DiscoveryMode::Auto.discovers(6360));
        assert!(DiscoveryMode::Always.discovers(1));
        assert!(!DiscoveryMode::Never.discovers(6360));
    }

    #[test]
    fn each_schema_is_its_arguments_type_with_its_bounds() {
        let search = OwnTool::SearchTools.definition();
        let limit = &search.input_schema["properties"]["limit"];
        assert_eq!(limit["minimum"], 1);
        assert_eq!(limit["maximum"], search_tools::MAX_LIMIT);
        assert_eq!(
            search.input_schema["required"],
            serde_json::json!(["query"])
        );
        assert_eq!(search.input_schema["additionalProperties"], false);
        let describe = OwnTool::DescribeTools.definition();
        let names = &describe.input_schema["properties"]["names"];
        assert_eq!(names["maxItems"], describe_tools::DESCRIBE_AT_MOST);
        for tool in OwnTool::DISCOVERY.into_iter().chain(OwnTool::CONNECTIONS) {
            let schema = tool.definition().input_schema;
            assert_eq!(schema["type"], "object", "{}", tool.name());
        }
    }

    #[test]
    fn names_round_trip_and_call_tool_claims_no_safety() {
        for tool in OwnTool::DISCOVERY.into_iter().chain(OwnTool::CONNECTIONS) {
            assert_eq!(OwnTool::named(tool.name()), Some(tool));
            assert_eq!(tool.definition().name, tool.name());
        }
        let call = OwnTool::CallTool.definition();
        let annotations = call.annotations.unwrap();
        assert_eq!(annotations.read_only_hint, Some(false));
        let search = OwnTool::SearchTools.definition().annotations.unwrap();
        assert_eq!(search.read_only_hint, Some(true));
        assert_eq!(search.idempotent_hint, Some(true));
    }
}
