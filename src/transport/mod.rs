//! How MCP messages reach the [`crate::gateway::Gateway`].

pub mod stdio;
