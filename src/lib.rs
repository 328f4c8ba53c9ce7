//! arcade-mcp-gateway: an MCP server that serves Arcade's tools to any MCP client and
//! makes per-user authorization just work.
//!
//! # The path of one tool call
//!
//! ```text
//! MCP client
//!   └─ transport: stdio │ Streamable HTTP /mcp │ legacy SSE /sse + /messages
//!        └─ identity: who is calling → UserId (HTTP only; stdio has one fixed user)
//!             └─ gateway::Gateway::call_tool (the rmcp ServerHandler; `call_tool` of
//!                  │  the own tools run the named tool through the same steps)
//!                  ├─ catalog: MCP name → Arcade tool; check the arguments
//!                  ├─ gateway::call: execute through arcade::ArcadeClient
//!                  │    └─ not granted yet → gateway::authorization (link, URL
//!                  │       elicitation or multi round-trip), then execute again
//!                  ├─ direct: or call the provider's API with an Arcade-issued token
//!                  ├─ results: Arcade's answer → MCP content, structuredContent, isError
//!                  └─ audit: the call's line (and each prompt's), written off the call path
//! ```
//!
//! # Modules
//!
//! Dependencies point one way, down this list: `cli` reads the flags into `config`,
//! `startup` builds what `config` says, the transports carry MCP to the `gateway`, and
//! only `arcade` speaks HTTP to the engine (each request through `telemetry`'s traced send).
//!
//! | module | what it owns |
//! |---|---|
//! | [`cli`] | every command-line definition (subcommands, flags, variables), checked once into [`config`]; exit codes |
//! | [`config`] | the typed configuration `serve` and `tools` run with, and [`config::ConfigError`] |
//! | [`startup`] | getting ready: start the emulator if asked, connect, load the catalog and the direct tools |
//! | [`doctor`] | whether this machine is ready to serve: engine, key, user, catalog, grants, cache |
//! | [`in_process_call`] | one tool call from a script (`call`): an in-process MCP client on a pipe to the gateway |
//! | [`transport`] | stdio, and the HTTP server (Streamable HTTP, legacy SSE, health, metrics, limits, Arcade's custom user verifier at `/arcade/verify`) |
//! | [`identity`] | who is calling over HTTP: fixed user, bearer tokens, OAuth JWT, trusted proxy header; and the OAuth sign-in of a browser (the user verifier's) |
//! | [`gateway`] | the rmcp `ServerHandler`: listing, the call pipeline, the authorization strategies |
//! | [`direct`] | tools that call a provider's API directly with the user's Arcade-issued token |
//! | [`audit`] | the audit log: one JSON line per tool call and authorization event, its schema, the non-blocking writer |
//! | [`results`] | how an answer becomes an MCP tool result, for Arcade and direct tools alike |
//! | [`outcome`] | how a call ended, one typed value beside its answer: the span, the audit line and the metrics are views of it |
//! | [`catalog`] | Arcade definitions → MCP tools (names, schemas, argument checks), cache, refresh |
//! | [`shared_state`] | what stateless HTTP replicas share in Redis (`--redis-url`): per-user rate and concurrency limits, single-use `requestState`; the local stand-ins |
//! | [`arcade`] | the typed client of the Arcade Engine API: requests, errors, retry policy |
//! | [`clients`] | `configure`: each MCP client's config file (paths, formats, secrets) and adding this server's entry to it |
//! | [`logging`] | `tracing` to stderr (stdout belongs to stdio MCP), and the trace layer beside it |
//! | [`telemetry`] | OpenTelemetry traces: OTLP/HTTP export from `OTEL_*`, W3C context in and out, the spans |
//! | `emulator` | the `arcade-emulator` crate, re-exported with the default `emulator` feature |
//!
//! Beside this crate, in `crates/`: `arcade-types` (the API's wire types, shared with
//! the emulator), `arcade-emulator` (a local Arcade-compatible engine, its own binary
//! too, for the offline demo and every test) and `mcp-client-config` (what `configure`
//! writes: each MCP client's config file, its paths, format and secrets, and adding
//! this server's entry to it), `tool-search` (the search index behind `search_tools`:
//! BM25F over the served tools' fields, synonyms, named toolkits), `fair-accept` (the
//! HTTP server's connections: fair slots, idle, age and request limits) and
//! `bounded-redis-stream` (the stream to Redis, each reply's size bounded).

pub mod arcade;
pub mod audit;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod direct;
pub mod doctor;
pub mod gateway;
pub mod identity;
pub mod in_process_call;
pub mod logging;
pub mod outcome;
pub mod results;
pub mod shared_state;
pub mod startup;
pub mod telemetry;
pub mod transport;

/// The built-in Arcade emulator (`serve --emulator`, the `emulator` subcommand).
#[cfg(feature = "emulator")]
pub use arcade_emulator as emulator;
