//! arcade-mcp-gateway: an MCP server that serves Arcade's tools to any MCP client and
//! makes per-user authorization just work.
//!
//! The path of one tool call, and the module that owns each step:
//!
//! ```text
//! MCP client ── transport (stdio) ── gateway (rmcp ServerHandler)
//!                                      ├─ identity: who is calling (never the arguments)
//!                                      ├─ catalog: MCP name → Arcade tool, argument checks
//!                                      ├─ arcade: the typed HTTP client of the Arcade Engine
//!                                      ├─ results: values, errors, the authorization link
//!                                      └─ direct: tools calling a provider's API with an Arcade-issued token
//! ```
//!
//! [`startup`] checks the configuration ([`config`]) and loads the catalog before
//! anything is served; [`cli`] is the command line ([`listing`] is what its `tools`
//! prints). The [`emulator`] is a local
//! Arcade-compatible engine for the offline demo and the tests.

pub mod arcade;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod direct;
pub mod emulator;
pub mod gateway;
pub mod identity;
pub mod listing;
pub mod logging;
pub mod startup;
pub mod transport;
