//! Which tools to load: whole toolkits, single tools, or everything.

/// Which tools to load: whole toolkits, single tools, or (both empty) everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolFilter {
    /// Toolkit names, as given.
    pub toolkits: Vec<String>,
    /// Qualified tool names (`Toolkit.Tool`).
    pub tools: Vec<String>,
}

impl ToolFilter {
    /// Whether every tool the key can see is wanted.
    pub fn is_everything(&self) -> bool {
        self.toolkits.is_empty() && self.tools.is_empty()
    }
}
