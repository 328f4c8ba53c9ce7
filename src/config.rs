//! The typed configuration `serve` and `tools` run with: checked once from the command
//! line by [`crate::cli`], then passed down as plain values (no module below `cli`
//! reads a flag).
//!
//! Every mistake becomes a [`ConfigError`] whose one line says what to set.

use std::path::PathBuf;
use std::time::Duration;

use crate::arcade::ArcadeSettings;
use crate::audit::AuditTarget;
use crate::catalog::ToolFilter;
use crate::gateway::{AuthorizationSettings, ListingSettings};
use crate::identity::{IdentityError, UserId};
use crate::shared_state::RedisUrlError;
use crate::transport::http::{HttpSettings, OriginError};

/// Arcade's hosted engine, used when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.arcade.dev";

/// Which engine serves the tools.
#[derive(Debug, Clone)]
pub enum Engine {
    /// An Arcade Engine at a URL, with a key.
    Arcade(ArcadeSettings),
    /// The built-in emulator, started in-process.
    Emulator {
        /// How long one request to it may take.
        request_timeout: Duration,
    },
}

/// Where the tools come from and which of them to serve (`serve` and `tools`).
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// The engine.
    pub engine: Engine,
    /// Which tools.
    pub filter: ToolFilter,
}

/// Everything `serve` runs with.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The engine and the tools.
    pub source: SourceConfig,
    /// The folder of the catalog cache, or `None` to keep no copy on disk.
    pub catalog_cache: Option<PathBuf>,
    /// How often the catalog is fetched again while serving (`None`: only when a
    /// call finds its tool's version gone).
    pub catalog_refresh: Option<std::time::Duration>,
    /// How grants reach the person.
    pub authorization: AuthorizationSettings,
    /// The direct tools file, if any.
    pub direct_tools: Option<PathBuf>,
    /// What `tools/list` shows besides the served tools.
    pub listing: ListingSettings,
    /// How clients connect.
    pub transport: TransportConfig,
    /// Where the audit lines go, if anywhere (`--audit-log`).
    pub audit_log: Option<AuditTarget>,
}

/// How clients connect, with what each transport needs.
#[derive(Debug, Clone)]
pub enum TransportConfig {
    /// One client on stdin/stdout, acting for one user.
    Stdio {
        /// The user.
        user: UserId,
    },
    /// Many clients over HTTP.
    Http(Box<HttpSettings>),
}

/// Checks the user id this server acts for.
pub fn user_id(raw: Option<&str>) -> Result<UserId, ConfigError> {
    let user = raw
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or(ConfigError::MissingUserId)?;
    refuse_placeholder("ARCADE_USER_ID (--user-id)", user)?;
    Ok(UserId::new(user))
}

/// Refuses a value that is a client's variable reference left unexpanded, such as
/// `${ARCADE_API_KEY}`: a client that finds the variable unset may pass the text
/// through, and it must reach neither Arcade as a key nor a grant as a user.
pub fn refuse_placeholder(setting: &'static str, value: &str) -> Result<(), ConfigError> {
    match placeholder_variable(value.trim()) {
        Some(variable) => Err(ConfigError::UnexpandedPlaceholder {
            setting,
            placeholder: value.trim().to_owned(),
            variable: variable.to_owned(),
        }),
        None => Ok(()),
    }
}

/// The variable named by a whole-value reference: `${NAME}`, `${env:NAME}` (Cursor,
/// VS Code), `${NAME:-default}` or `$NAME`.
fn placeholder_variable(value: &str) -> Option<&str> {
    let name = match value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        Some(braced) => {
            let braced = braced.strip_prefix("env:").unwrap_or(braced);
            braced.split_once(":-").map_or(braced, |(name, _)| name)
        }
        None => value.strip_prefix('$')?,
    };
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    (starts_well && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(name)
}

/// A configuration mistake, found before anything is served.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No key.
    #[error(
        "no Arcade API key: set ARCADE_API_KEY (or --api-key), or pass --emulator to try the server offline"
    )]
    MissingApiKey,
    /// No user.
    #[error(
        "no user id: set ARCADE_USER_ID (or --user-id) to the id of the person this server acts for, e.g. their email"
    )]
    MissingUserId,
    /// A client's variable reference passed through unexpanded (the variable is unset
    /// where the client runs).
    #[error(
        "{setting} is `{placeholder}`, a variable reference the MCP client left unexpanded: \
         set {variable} in the environment the client is started from (then restart the \
         client), or write the value itself in the client's entry"
    )]
    UnexpandedPlaceholder {
        /// The setting that holds it.
        setting: &'static str,
        /// The text as received.
        placeholder: String,
        /// The variable to set.
        variable: String,
    },
    /// A base URL that is not http(s).
    #[error(
        "ARCADE_BASE_URL `{0}` is not an http(s) URL: set it to the engine's address, e.g. {DEFAULT_BASE_URL}"
    )]
    BadBaseUrl(String),
    /// A `--tool` that is not `Toolkit.Tool`.
    #[error("--tool `{0}` is not of the form Toolkit.Tool, e.g. --tool Gmail.ListEmails")]
    BadToolName(String),
    /// A `--toolkit` that is empty.
    #[error("--toolkit needs a toolkit name, e.g. --toolkit Gmail")]
    EmptyToolkit,
    /// `hash-token` got no token.
    #[error("no token given: pass --token or write it on standard input")]
    EmptyToken,
    /// A timeout that is not a positive number of seconds.
    #[error("--request-timeout must be a positive number of seconds, e.g. 60 or 0.5")]
    BadTimeout,
    /// `--emulator` in a build without it.
    #[error(
        "this build has no built-in emulator (built without the `emulator` feature): set \
         ARCADE_API_KEY to use Arcade, or build with the default features"
    )]
    NoEmulator,
    /// A state key too short to resist guessing.
    #[error(
        "ARCADE_GATEWAY_STATE_KEY (--request-state-key) is {actual} bytes long; it needs at \
         least {minimum}: generate one with `openssl rand -hex 32`"
    )]
    ShortStateKey {
        /// The length given.
        actual: usize,
        /// The least accepted.
        minimum: usize,
    },
    /// A zero `--auth-timeout`.
    #[error("--auth-timeout must be at least 1 second (the default is 300)")]
    ZeroAuthTimeout,
    /// The system could not give random bytes for a key.
    #[error("could not generate a request-state key: {0}; set ARCADE_GATEWAY_STATE_KEY")]
    Random(getrandom::Error),
    /// No way to tell who is calling over HTTP.
    #[error(
        "no identity mode: pass --user-id for a single user on loopback, or --tokens-file, \
         --oauth-issuer or --trust-user-header for many users"
    )]
    NoIdentityMode,
    /// OAuth without the resource URL.
    #[error(
        "--oauth-issuer needs --public-url: this server's public MCP URL, e.g. https://mcp.example.com/mcp"
    )]
    MissingPublicUrl,
    /// `--user-verifier` with bearer tokens, which a browser does not carry.
    #[error(
        "--user-verifier needs to know who is at the browser, and bearer tokens (--tokens-file) \
         cannot tell; it works with --oauth-issuer (and --oauth-client-id), --trust-user-header, \
         or --user-id on loopback"
    )]
    UserVerifierWithTokens,
    /// `--user-verifier` in OAuth mode without a client id.
    #[error(
        "--user-verifier with --oauth-issuer signs people in at the issuer: register this server \
         there as a client (redirect URI <public URL's origin>/arcade/verify/callback) and pass \
         --oauth-client-id (and ARCADE_GATEWAY_OAUTH_CLIENT_SECRET for a confidential client)"
    )]
    UserVerifierNeedsClientId,
    /// A limit of zero.
    #[error("{0} must be at least 1")]
    ZeroLimit(&'static str),
    /// The allowed hosts or origins are wrong.
    #[error(transparent)]
    Origin(#[from] OriginError),
    /// The identity mode cannot be used as configured.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// `--redis-url` cannot be used.
    #[error(transparent)]
    RedisUrl(#[from] RedisUrlError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_user_id_is_refused() {
        assert!(matches!(
            user_id(Some(" ")),
            Err(ConfigError::MissingUserId)
        ));
        assert_eq!(
            user_id(Some("ann@example.com")).unwrap().as_str(),
            "ann@example.com"
        );
    }

    #[test]
    fn an_unexpanded_reference_is_refused_naming_the_variable() {
        for (given, variable) in [
            ("${ARCADE_USER_ID}", "ARCADE_USER_ID"),
            ("${env:ARCADE_USER_ID}", "ARCADE_USER_ID"),
            ("${MY_USER:-ann}", "MY_USER"),
            (" $ARCADE_USER_ID ", "ARCADE_USER_ID"),
        ] {
            let error = user_id(Some(given)).unwrap_err();
            assert!(
                matches!(&error, ConfigError::UnexpandedPlaceholder { variable: v, .. } if v == variable),
                "{given}: {error}"
            );
            assert!(
                error.to_string().contains(&format!("set {variable} ")),
                "{error}"
            );
        }
    }

    #[test]
    fn values_that_merely_hold_a_dollar_are_kept() {
        for value in ["ann$@example.com", "${}", "$", "$1abc", "a${B}", "${A B}"] {
            assert!(refuse_placeholder("x", value).is_ok(), "{value}");
        }
    }
}
