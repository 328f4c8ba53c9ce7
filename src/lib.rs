//! arcade-mcp-gateway: an MCP server that serves Arcade's tools to any MCP client and
//! makes per-user authorization just work.
//!
//! The path of one tool call, and the module that owns each step:
//!
//! ```text
//! MCP client ── transport (stdio) ── gateway (rmcp ServerHandler)
//!                                      ├─ catalog: MCP name → Arcade tool, argument checks
//!                                      ├─ arcade: the typed HTTP client of the Arcade Engine
//!                                      └─ authorization prompt: the link the user must open
//! ```
//!
//! The [`emulator`] is a local Arcade-compatible engine for the offline demo and the tests.

pub mod arcade;
pub mod emulator;
pub mod identity;
