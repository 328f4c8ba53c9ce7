//! The typed client of the Arcade Engine HTTP API: the only module that speaks HTTP to
//! Arcade.
//!
//! [`ArcadeClient`] sends typed requests ([`types`]) and sorts every failure into an
//! [`ArcadeError`] that says what happened and whether retrying may help. It follows
//! the retry policy of ARCADE_API.md: safe requests are retried twice with backoff;
//! an execute, which may have side effects, only where resending cannot repeat them.

mod client;
mod error;
pub mod http;

/// The wire types of the API, shared with the emulator (the `arcade-types` crate).
pub use arcade_types as types;
pub use client::{ArcadeClient, ArcadeSettings, ExecuteRetry, ToolsQuery};
pub use error::ArcadeError;
