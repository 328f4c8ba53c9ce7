//! The audit line of a refused user verification: a person at the user verifier
//! (`/arcade/verify`) opened a link whose flow Arcade started for someone else. No tool
//! or prompt of this server's is known there (the link carries only Arcade's flow id),
//! so the line names the person and says what happened.

use serde::Serialize;

use super::event::{Client, SCHEMA_VERSION};
use super::writer::AuditLog;
use crate::identity::UserId;

/// The line: shaped like the `authorization` lines of prompts, with `null` where the
/// verifier knows nothing (tool, provider, authorization id, client).
#[derive(Serialize)]
struct VerificationLine<'a> {
    schema: u32,
    event: &'static str,
    time: String,
    phase: &'static str,
    /// The person at the browser, as the identity mode proved it.
    user: &'a str,
    client: Client,
    tool: Option<&'a str>,
    qualified_name: Option<&'a str>,
    strategy: &'static str,
    provider_id: Option<&'a str>,
    authorization_id: Option<&'a str>,
    outcome: &'static str,
    elapsed_ms: Option<f64>,
}

/// Writes that Arcade refused to complete a flow for `user`, the person at the
/// browser: `prompt_ended` with outcome `verification_refused`.
pub fn verification_refused(log: &AuditLog, user: &UserId) {
    if !log.is_on() {
        return;
    }
    log.write(&VerificationLine {
        schema: SCHEMA_VERSION,
        event: "authorization",
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        phase: "prompt_ended",
        user: user.as_str(),
        client: Client::default(),
        tool: None,
        qualified_name: None,
        strategy: "user_verifier",
        provider_id: None,
        authorization_id: None,
        outcome: "verification_refused",
        elapsed_ms: None,
    });
}
