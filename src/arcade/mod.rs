//! The typed client of the Arcade Engine HTTP API: the only module that speaks HTTP to
//! Arcade.
//!
//! [`ArcadeClient`] sends typed requests ([`types`]) and sorts every failure into an
//! [`ArcadeError`] that says what happened and whether retrying may help. It follows
//! the retry policy of `docs/arcade-api.md`: safe requests are retried twice with
//! backoff; an execute, which may have side effects, only where resending cannot
//! repeat them; a complete answer that cannot be read, never.

mod client;
mod error;
pub mod http;
mod tools_page;

/// The wire types of the API, shared with the emulator (the `arcade-types` crate).
pub use arcade_types as types;
pub use client::{ArcadeClient, ArcadeSettings, ExecuteRetry, ToolsQuery};
pub use error::ArcadeError;
pub use tools_page::{ToolsPage, UnreadableTool};
