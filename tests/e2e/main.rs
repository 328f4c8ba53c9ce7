//! The integration tests, as one test binary: the real gateway binary and emulator on
//! loopback, driven by rmcp's client. One binary links once, which keeps builds short;
//! each module is one concern, and `common`/`support` hold what they share.

mod common;
mod support;

mod audit_log;
mod authorization_http;
mod authorization_prompts;
mod awkward_engine;
mod call_command;
mod catalog_cache;
mod catalog_fixtures;
mod cli_docs;
mod client_disconnects;
mod configure;
mod connections;
mod direct_native_example;
mod direct_startup_errors;
mod direct_tools;
mod discovery;
mod doctor_command;
mod emulator_arcade_client;
mod fault_matrix;
mod http_flow;
mod http_limits;
mod huge_catalogs;
mod identity_bearer_tokens;
mod identity_fixed_user;
mod identity_http;
mod identity_oauth;
mod identity_trusted_header;
mod layout;
mod legacy_sse;
mod protocol_versions;
mod secrets;
mod shared_state;
mod startup_errors;
mod stdio_flow;
mod tools_command;
mod traces;
mod unserved;
mod upstream_faults;
mod user_verifier;
mod user_verifier_browser;
