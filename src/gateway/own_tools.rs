//! The gateway's own tools, beside the catalog: the discovery tools that stand in for
//! a catalog too large to list (`search_tools`, `describe_tools`, `call_tool`), and the
//! tools that show and revoke the calling user's connections (`list_connections`,
//! `revoke_connection`). Their definitions and arguments live here; what they do lives
//! in [`super::discovery_tools`] and [`super::connections`].

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

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
        let (description, schema, annotations) = match self {
            Self::SearchTools => (SEARCH_DESCRIPTION, search_schema(), read_only()),
            Self::DescribeTools => (DESCRIBE_DESCRIPTION, describe_schema(), read_only()),
            Self::CallTool => (CALL_DESCRIPTION, call_schema(), acting()),
            Self::ListConnections => (LIST_CONNECTIONS_DESCRIPTION, empty_schema(), read_only()),
            Self::RevokeConnection => (REVOKE_DESCRIPTION, revoke_schema(), revoking()),
        };
        let schema: JsonObject = serde_json::from_value(schema).expect("a literal object");
        Tool::new(self.name(), description, Arc::new(schema)).annotate(annotations)
    }
}

const SEARCH_DESCRIPTION: &str = "Find the tools for a task among the thousands this server \
can run. Describe the task in plain words (e.g. \"send an email\", \"open issues in a GitHub \
repo\"); optionally name a toolkit. Returns the best matches, best first, each with its name, \
toolkit, a one-line description and whether the user must grant access first. Then call \
describe_tools with the names you want, to read their arguments, and run one with call_tool.";

const DESCRIBE_DESCRIPTION: &str = "Read the full definitions of tools found with search_tools \
(1 to 20 names): their input schema, output schema and annotations. Use it before call_tool, \
to pass the right arguments.";

const CALL_DESCRIPTION: &str = "Run a tool found with search_tools, by its name, with the \
arguments its definition (from describe_tools) asks for. It runs exactly as if the tool had \
been called directly, and may act on the user's accounts. If the user must first grant access, \
the answer says so and gives the link to show them; call again once they have approved.";

const LIST_CONNECTIONS_DESCRIPTION: &str = "List the services (providers) the user has granted \
this server access to, with the permissions (scopes) of each grant.";

const REVOKE_DESCRIPTION: &str = "Revoke the user's grant to one provider (from \
list_connections): tools needing it will ask the user for access again. This cannot be undone \
by you: confirm with the person before calling it.";

fn search_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "The task, in plain words."},
            "toolkit": {"type": "string", "description": "Only tools of this toolkit, e.g. Gmail."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10,
                      "description": "How many tools to return (1 to 50)."}
        },
        "required": ["query"]
    })
}

fn describe_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "names": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 20,
                      "description": "Tool names from search_tools (e.g. Gmail_SendEmail or Gmail.SendEmail)."}
        },
        "required": ["names"]
    })
}

fn call_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "The tool's name, from search_tools."},
            "arguments": {"type": "object", "description": "The tool's arguments, as its definition asks."}
        },
        "required": ["name"]
    })
}

fn revoke_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "provider_id": {"type": "string", "description": "The provider, as list_connections names it."}
        },
        "required": ["provider_id"]
    })
}

fn empty_schema() -> Value {
    json!({"type": "object", "properties": {}})
}

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

fn revoking() -> ToolAnnotations {
    ToolAnnotations::new()
        .read_only(false)
        .destructive(true)
        .idempotent(true)
        .open_world(false)
}

/// The arguments of an own tool, read into `T`, or a tool error that says which one is
/// wrong (nothing is sent anywhere).
pub(super) fn arguments<T: DeserializeOwned>(
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
