//! The audit lines of `tools/call` messages refused before the gateway saw them: the
//! HTTP layer's per-user limits answer 429 from the request body alone.

use serde_json::Value;

use super::event::Client;
use super::record::CallRecord;
use super::writer::AuditLog;
use crate::identity::UserId;
use crate::outcome::CallOutcome;

/// Writes a line of `outcome` for each `tools/call` in the JSON-RPC `body` (one
/// message or a batch) that `user` sent. The client is not known at that layer: its
/// fields are `null`.
pub fn refused_calls(log: &AuditLog, user: &UserId, body: &[u8], outcome: CallOutcome) {
    if !log.is_on() {
        return;
    }
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let messages = match &body {
        Value::Array(batch) => batch.iter().collect(),
        one => vec![one],
    };
    for message in messages.into_iter().filter(|m| m["method"] == "tools/call") {
        let params = &message["params"];
        // Without a name it asked for no tool: there is no call to put on record.
        let Some(tool) = params["name"].as_str().filter(|name| !name.is_empty()) else {
            continue;
        };
        let arguments = params["arguments"].as_object();
        CallRecord::new(log, user, Client::default, tool, arguments).refused(outcome);
    }
}
