//! What the discovery tools share: the tools a name may refer to (the catalog and the
//! direct tools), and how a name a client sent is bounded and quoted back.

use rmcp::model::{CallToolResult, Tool};

use super::tool_error;
use crate::catalog::Catalog;
use crate::direct::DirectTools;

/// The longest tool name taken, in characters (MCP's own bound on tool names; Arcade's
/// longest is about half of it). A longer name names no tool, and is refused before any
/// lookup or comparison with the served names.
pub const MAX_NAME_CHARS: usize = 128;

/// The tools a name may refer to: the catalog and the direct tools.
pub(in crate::gateway) struct Served<'a> {
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
    pub fn definition(&self, mcp_name: &str) -> Option<Tool> {
        match self.catalog.get(mcp_name) {
            Some(entry) => entry.tool(),
            None => self.direct_tool(mcp_name),
        }
    }

    fn direct_tool(&self, mcp_name: &str) -> Option<Tool> {
        Some(self.direct?.get(mcp_name)?.tool.clone())
    }
}

/// A tool error for a name that is no tool, naming the closest ones.
pub(in crate::gateway) fn unknown_tool(name: &str, closest: &[String]) -> CallToolResult {
    let hint = if closest.is_empty() {
        "Call search_tools to find the tool for your task.".to_owned()
    } else {
        format!(
            "The closest names are: {}. Or call search_tools to find the tool for your task.",
            closest.join(", ")
        )
    };
    tool_error(format!(
        "There is no tool named {}. {hint}",
        quoted_name(name)
    ))
}

/// A tool error for a name longer than any tool's, or `None` for a name that may be one.
pub(in crate::gateway) fn overlong_name(name: &str) -> Option<CallToolResult> {
    let chars = name.chars().count();
    (chars > MAX_NAME_CHARS).then(|| {
        tool_error(format!(
            "There is no tool by that name: tool names are at most {MAX_NAME_CHARS} \
             characters, and the one given has {chars}. Call search_tools to find the tool \
             for your task."
        ))
    })
}

/// `name` in backquotes when it looks like a tool name (at most [`MAX_NAME_CHARS`]
/// letters, digits, `_`, `-`, `.` or `@`), else a phrase that does not quote it: an
/// answer or a log line repeats no more of what a client sent than a name.
pub(in crate::gateway) fn quoted_name(name: &str) -> String {
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
