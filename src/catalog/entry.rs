//! One served tool, kept small: the MCP tool as the JSON text `tools/list` shows, and of
//! the Arcade definition only what a call needs.
//!
//! A catalog holds thousands of tools for as long as the server runs, so each is kept as
//! its MCP JSON text, far smaller than a tree of JSON maps, and only the part of the
//! Arcade definition a call needs. A `tools/list` parses the text back for its answer,
//! and a call parses its tool's `inputSchema` once, when it first compiles the argument
//! check.

use rmcp::model::{JsonObject, Tool};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::arguments::{ArgumentError, ArgumentValidator};
use super::convert::to_mcp_tool;
use super::schema::ResultShape;
use crate::arcade::types::{AuthRequirement, ToolDefinition};

/// One served tool: what MCP clients see, the Arcade tool it runs, and the check its
/// arguments must pass. (De)serializes for the on-disk catalog cache.
#[derive(Debug, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// The MCP name clients call it by.
    name: Box<str>,
    /// The MCP tool, serialized.
    tool: Box<RawValue>,
    /// What a call needs of the Arcade definition.
    arcade: ArcadeTool,
    #[serde(skip)]
    arguments: ArgumentValidator,
}

/// Of an Arcade definition, what a call of it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ArcadeTool {
    /// What execute and authorize take (`Gmail.ListEmails`).
    qualified_name: String,
    /// The grant the tool needs, if any.
    requirement: Option<AuthRequirement>,
    /// Whether a failed execute may be sent again (see
    /// [`ToolDefinition::safe_to_retry`]).
    safe_to_retry: bool,
    /// How a result becomes `structuredContent`.
    result_shape: ResultShape,
    /// The parameters a call must give (a `null` for any other means "not given").
    required: Vec<String>,
    /// The toolkit version whose schema is served: every execute and authorize pins it.
    version: Option<String>,
    /// What the engine says stands in the way of running it at all.
    unmet: Vec<UnmetRequirement>,
}

/// A requirement of a tool that the engine says is not met, and that no user grant
/// can meet: only a project admin can, in Arcade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnmetRequirement {
    /// A secret of the project (its key: never a value) that is not set.
    Secret(String),
    /// The tool's authorization provider is not active in the project.
    InactiveProvider(String),
}

impl UnmetRequirement {
    /// What a project admin must do, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Self::Secret(key) => format!("the secret `{key}` is not set"),
            Self::InactiveProvider(provider) => {
                format!("the auth provider `{provider}` is not active")
            }
        }
    }

    /// Every unmet requirement the engine states in `definition`.
    pub fn of(definition: &ToolDefinition) -> Vec<Self> {
        let mut unmet: Vec<Self> = (definition.unmet_secrets().into_iter())
            .map(Self::Secret)
            .collect();
        if let Some(auth) = definition.auth_requirement()
            && auth.status.as_deref() == Some("inactive")
        {
            let provider = auth.provider_id.as_deref().or(auth.id.as_deref());
            unmet.push(Self::InactiveProvider(
                provider.unwrap_or("unknown").to_owned(),
            ));
        }
        unmet
    }
}

impl CatalogEntry {
    /// Converts `definition` into the tool clients call `mcp_name`.
    pub(super) fn new(definition: &ToolDefinition, mcp_name: &str) -> Self {
        let tool = to_mcp_tool(definition, mcp_name);
        let tool = serde_json::value::to_raw_value(&tool)
            .expect("a tool serializes: its maps have string keys");
        let arcade = ArcadeTool {
            qualified_name: definition.qualified_name.clone(),
            requirement: definition.auth_requirement().cloned(),
            safe_to_retry: definition.safe_to_retry(),
            result_shape: ResultShape::of(definition.output.as_ref()),
            required: (definition.input.parameters.iter())
                .filter(|p| p.required)
                .map(|p| p.name.clone())
                .collect(),
            version: definition.toolkit_version().map(str::to_owned),
            unmet: UnmetRequirement::of(definition),
        };
        Self {
            name: mcp_name.into(),
            tool,
            arcade,
            arguments: ArgumentValidator::default(),
        }
    }

    /// The MCP name clients call this tool by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tool as `tools/list` shows it (parsed from its kept text). `None` only for
    /// text that is not a tool, which only a hand-edited cache file could hold.
    pub fn tool(&self) -> Option<Tool> {
        serde_json::from_str(self.tool.get())
            .inspect_err(|error| tracing::error!(tool = %self.name, %error, "a kept tool does not parse; leaving it out"))
            .ok()
    }

    /// The tool's MCP JSON as `tools/list` shows it: pages are bounded by its length
    /// without parsing it.
    pub fn tool_json(&self) -> &str {
        self.tool.get()
    }

    /// The Arcade tool behind it: what execute and authorize take.
    pub fn qualified_name(&self) -> &str {
        &self.arcade.qualified_name
    }

    /// The grant the tool needs from the user, if any.
    pub fn auth_requirement(&self) -> Option<&AuthRequirement> {
        self.arcade.requirement.as_ref()
    }

    /// The toolkit version whose schema is served, pinned on execute and authorize.
    pub fn version(&self) -> Option<&str> {
        self.arcade.version.as_deref()
    }

    /// What the engine says stands in the way of running the tool, which only a
    /// project admin can fix (empty when nothing does).
    pub fn unmet_requirements(&self) -> &[UnmetRequirement] {
        &self.arcade.unmet
    }

    /// Whether the tool needs a user grant, so a call may first need authorization.
    pub fn needs_authorization(&self) -> bool {
        self.arcade.requirement.is_some()
    }

    /// Whether a failed execute of this tool may be sent again (see
    /// [`ToolDefinition::safe_to_retry`]).
    pub fn safe_to_retry(&self) -> bool {
        self.arcade.safe_to_retry
    }

    /// The `structuredContent` of a successful call that returned `value`, matching
    /// the tool's `outputSchema` (see [`ResultShape`]).
    pub fn structured_content(&self, value: Value) -> JsonObject {
        self.arcade.result_shape.structured_content(value)
    }

    /// Treats `null` for an optional argument as "not given": models often send it,
    /// and Arcade's tools take an absent argument as their default.
    pub fn drop_null_optionals(&self, arguments: &mut JsonObject) {
        arguments.retain(|name, value| !value.is_null() || self.arcade.required.contains(name));
    }

    /// Checks the arguments of a `tools/call` against the tool's `inputSchema`.
    pub fn validate_arguments(&self, args: &JsonObject) -> Result<(), ArgumentError> {
        self.arguments.validate(|| self.input_schema(), args)
    }

    /// Whether both serve the same tool the same way (a refreshed catalog that changed
    /// nothing need not be announced).
    pub fn same_as(&self, other: &CatalogEntry) -> bool {
        self.name == other.name
            && self.tool.get() == other.tool.get()
            && self.arcade == other.arcade
    }

    /// The `inputSchema`, parsed from the kept text.
    fn input_schema(&self) -> Result<JsonObject, String> {
        #[derive(Deserialize)]
        struct InputSchemaOnly {
            #[serde(rename = "inputSchema")]
            input_schema: JsonObject,
        }
        serde_json::from_str::<InputSchemaOnly>(self.tool.get())
            .map(|tool| tool.input_schema)
            .map_err(|error| {
                format!(
                    "the gateway cannot read this tool's input schema ({error}); please report it"
                )
            })
    }
}
