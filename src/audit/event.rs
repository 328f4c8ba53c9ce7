//! The lines of the audit log, as serde structs: a [`Line`] holds what every line says
//! (who, from which client, which tool) and the details of its event, a [`ToolCall`]
//! or a [`Prompt`]. `docs/audit-log.schema.json` is their JSON Schema; a test checks
//! every line a real gateway writes against it.

use serde::Serialize;

/// The version of the line format, in every line's `schema`: raised when a field
/// changes meaning or goes away (new fields may appear without it).
pub const SCHEMA_VERSION: u32 = 1;

/// The most characters a line keeps of a name the client chose (the tool it asked for,
/// its own name and version): MCP names fit in 128, and a client cannot fill the log.
const MOST_CHARS: usize = 128;

/// `text`, cut to [`MOST_CHARS`] characters.
pub(super) fn bounded(text: &str) -> String {
    text.chars().take(MOST_CHARS).collect()
}

/// The MCP client a call came from: what it said at `initialize` (or in the request's
/// metadata, from protocol 2026-07-28 on), and the OAuth client its token was issued to.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Client {
    /// `clientInfo.name`.
    name: Option<String>,
    /// `clientInfo.version`.
    version: Option<String>,
    /// The `client_id` (or `azp`) claim of the OAuth access token, in OAuth mode.
    oauth_client_id: Option<String>,
}

impl Client {
    /// The client that named itself `name` `version`, holding a token issued to
    /// `oauth_client_id`; each cut to 128 characters.
    pub fn new(name: Option<&str>, version: Option<&str>, oauth_client_id: Option<&str>) -> Self {
        Self {
            name: name.map(bounded),
            version: version.map(bounded),
            oauth_client_id: oauth_client_id.map(bounded),
        }
    }
}

/// How a call's authorization went, when it needed a prompt.
#[derive(Debug, Clone, Serialize)]
pub struct CallAuthorization {
    /// `input_required`, `url_elicitation` or `link`.
    pub strategy: &'static str,
    /// `pending` (the prompt is still open when the call answers), `granted`,
    /// `declined`, `timed_out`, `failed`, `not_granted`, `input_required` or `error`.
    pub outcome: String,
    /// Arcade's provider id, e.g. `google`.
    pub provider_id: String,
}

/// One line: what every event says, then its own details.
#[derive(Debug, Serialize)]
pub struct Line<'a, Details> {
    /// [`SCHEMA_VERSION`].
    pub schema: u32,
    /// `tool_call` or `authorization`.
    pub event: &'static str,
    /// When it happened, RFC 3339 in UTC with milliseconds.
    pub time: String,
    /// The Arcade user id the call acted for.
    pub user: &'a str,
    /// Which client called.
    pub client: &'a Client,
    /// The MCP name of the tool (for `call_tool`, the tool it named).
    pub tool: &'a str,
    /// Arcade's qualified name of a catalog tool (`Gmail.SendEmail`); `null` for the
    /// gateway's own and the direct tools.
    pub qualified_name: Option<&'a str>,
    /// The event's own fields.
    #[serde(flatten)]
    pub details: Details,
}

/// The details of a `tool_call` line, written when the call's answer is ready.
#[derive(Debug, Serialize)]
pub struct ToolCall<'a> {
    /// `call_tool` when the discovery tool relayed the call, else `null`.
    pub via: Option<&'static str>,
    /// SHA-256 (hex) of the canonical JSON of the tool's arguments.
    pub arguments_sha256: &'a str,
    /// How the call ended: `ok`, `tool_error`, `invalid_arguments`,
    /// `authorization_required`, `input_required`, `upstream_error:<kind>`,
    /// `protocol_error`, `cancelled` or `rate_limited`.
    pub outcome: &'a str,
    /// The prompt this call made or finished, if any.
    pub authorization: Option<&'a CallAuthorization>,
    /// Arcade's `execution_id` of the run, when the tool ran on Arcade.
    pub execution_id: Option<&'a str>,
    /// From the request's arrival to its answer, in milliseconds.
    pub duration_ms: f64,
    /// The part of it spent in Arcade's execute requests, in milliseconds.
    pub upstream_ms: f64,
}

/// The details of an `authorization` line: a prompt issued to the person, or ended.
#[derive(Debug, Serialize)]
pub struct Prompt<'a> {
    /// `prompt_issued` or `prompt_ended`.
    pub phase: &'static str,
    /// `input_required`, `url_elicitation` or `link`.
    pub strategy: &'static str,
    /// Arcade's provider id.
    pub provider_id: &'a str,
    /// Arcade's authorization id (`ac_…`), which names the grant attempt.
    pub authorization_id: Option<&'a str>,
    /// For `prompt_ended`: `granted`, `declined`, `timed_out`, `failed`,
    /// `not_granted`, `input_required` or `error`; `null` for `prompt_issued`.
    pub outcome: Option<&'a str>,
    /// For `prompt_ended`: how long the person took, from the prompt to its end.
    pub elapsed_ms: Option<f64>,
}

/// `duration` in milliseconds, to the microsecond.
pub fn millis(duration: std::time::Duration) -> f64 {
    (duration.as_micros() as f64) / 1000.0
}
