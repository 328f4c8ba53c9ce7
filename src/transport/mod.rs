//! How MCP messages reach the [`crate::gateway::Gateway`]: stdio for one user, HTTP for
//! many.

pub mod http;
pub mod refusal;
pub mod stdio;
