//! What can go wrong when talking to Arcade, in words a user can act on.
//!
//! No variant ever holds the API key or a provider token: the messages come from
//! Arcade's error bodies and from transport errors, neither of which carries them.

use std::time::Duration;

/// A failed request to the Arcade Engine.
#[derive(Debug, thiserror::Error)]
pub enum ArcadeError {
    /// 401: the key is wrong, expired or missing.
    #[error(
        "Arcade rejected the API key ({message}); set ARCADE_API_KEY to a valid key for this engine"
    )]
    Unauthorized {
        /// Arcade's own words.
        message: String,
    },
    /// 403: the key may not do this, or the user has not granted access yet.
    #[error("Arcade denied permission: {message}")]
    PermissionDenied {
        /// Arcade's own words.
        message: String,
    },
    /// 404: unknown tool, toolkit or id.
    #[error("Arcade does not know it: {message}")]
    NotFound {
        /// Arcade's own words.
        message: String,
    },
    /// Any other 4xx (400, 409, 422, …): the request was wrong.
    #[error("Arcade rejected the request (HTTP {status}): {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Arcade's own words.
        message: String,
    },
    /// 429: too many requests.
    #[error("Arcade is rate limiting requests{}; retrying later may help", after_hint(*retry_after))]
    RateLimited {
        /// How long Arcade asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// 5xx: trouble on Arcade's side.
    #[error("Arcade had a server error (HTTP {status}): {message}; retrying later may help")]
    Server {
        /// The HTTP status.
        status: u16,
        /// Arcade's own words, if any.
        message: String,
    },
    /// No answer in time.
    #[error(
        "Arcade did not answer within {} s; it may be slow or down, retrying later may help",
        .0.as_secs_f32()
    )]
    Timeout(Duration),
    /// The connection could not be made: nothing was sent.
    #[error(
        "could not connect to Arcade at {base_url} ({detail}); check ARCADE_BASE_URL and that the service is up"
    )]
    Unreachable {
        /// Where we tried.
        base_url: String,
        /// What the transport said.
        detail: String,
    },
    /// The connection broke after the request went out: it may or may not have run.
    #[error(
        "the connection to Arcade broke before its answer arrived ({detail}); the request may or may not have run"
    )]
    ConnectionLost {
        /// What the transport said.
        detail: String,
    },
    /// A complete answer that is not the JSON the API documents. Sending the same
    /// request again would get the same answer, so it is not retried.
    #[error(
        "Arcade's answer could not be read ({detail}); check that ARCADE_BASE_URL is the engine's own address"
    )]
    MalformedResponse {
        /// What did not parse.
        detail: String,
    },
    /// The answer is larger than [`super::client::MAX_ANSWER_BYTES`]; it was not read.
    #[error(
        "Arcade's answer is larger than {} MiB and was not read (a tool call may have run); \
         narrow the request, e.g. ask for fewer results",
        .0 >> 20
    )]
    TooLarge(usize),
    /// A redirect to another origin, which is not followed.
    #[error(
        "Arcade answered with a redirect (HTTP {status}) to another host, which is not followed; \
         check ARCADE_BASE_URL is the engine's own address"
    )]
    Redirected {
        /// The HTTP status.
        status: u16,
    },
    /// The key holds characters no HTTP header can carry.
    #[error(
        "ARCADE_API_KEY holds characters that cannot be sent in an HTTP header; copy the key again"
    )]
    BadApiKey,
    /// The configured base URL cannot be used.
    #[error("ARCADE_BASE_URL `{0}` is not a usable http(s) URL")]
    BadBaseUrl(String),
}

fn after_hint(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(after) => format!(" (asked to wait {} s)", after.as_secs_f32()),
        None => String::new(),
    }
}

impl ArcadeError {
    /// Whether the same request may succeed if sent again later.
    pub fn retry_may_help(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Timeout(_)
                | Self::Unreachable { .. }
                | Self::ConnectionLost { .. }
        ) || matches!(
            self,
            Self::Rejected {
                status: 408 | 409,
                ..
            }
        )
    }

    /// What went wrong, as a stable word for machines (a result's `structuredContent`,
    /// the `call` subcommand's exit code): `unreachable` and `timeout` mean the engine
    /// did not answer.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => "unauthorized",
            Self::PermissionDenied { .. } => "permission_denied",
            Self::NotFound { .. } => "not_found",
            Self::Rejected { .. } => "rejected",
            Self::RateLimited { .. } => "rate_limited",
            Self::Server { .. } => "server_error",
            Self::Timeout(_) => "timeout",
            Self::Unreachable { .. } => "unreachable",
            Self::ConnectionLost { .. } => "connection_lost",
            Self::MalformedResponse { .. } => "malformed_response",
            Self::TooLarge(_) => "too_large",
            Self::Redirected { .. } => "redirected",
            Self::BadApiKey => "bad_api_key",
            Self::BadBaseUrl(_) => "bad_base_url",
        }
    }

    /// Whether the engine did not answer at all (down, or not there).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::Timeout(_))
    }

    /// Whether the request certainly never reached Arcade, so sending it again
    /// cannot repeat a side effect.
    pub fn nothing_was_sent(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }

    /// How long Arcade asked us to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}
