//! The audit log (`--audit-log`): one JSON line per tool call and per authorization
//! event — who called which tool from which client, a hash of the arguments (never the
//! arguments), how it ended, how authorization went, Arcade's execution id, durations.
//!
//! - `event`: the lines, as serde structs (`docs/audit-log.md`, and the JSON Schema
//!   `docs/audit-log.schema.json` a test checks every written line against);
//! - `record`: what one call gathers on its way through the pipeline; `refused`: the
//!   lines of calls the HTTP layer refused before the pipeline; `verification`: the
//!   line of a user verification Arcade refused (the flow was another user's);
//! - `arguments`: the canonical hash of the arguments, shared with the multi
//!   round-trip state;
//! - `writer`: the file a day (or stderr), written by a worker thread so a call
//!   never waits on the disk; `batch`: lines passed to it a few times a second.
//!
//! No line holds a secret: no key, token, argument value, authorization link or
//! session id; the user id is there, because who did what is the point of the log.

mod arguments;
mod batch;
mod daily_file;
mod event;
mod record;
mod refused;
mod verification;
mod writer;

pub use arguments::arguments_sha256;
pub use event::Client;
pub use record::{CallRecord, PromptFacts};
pub use refused::refused_calls;
pub use verification::verification_refused;
pub use writer::{AuditError, AuditGuard, AuditLog, AuditTarget};
