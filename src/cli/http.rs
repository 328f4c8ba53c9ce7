//! The flags of `serve --transport http`: where to listen, how callers prove who they
//! are, which browsers and host names may reach the server, and the limits. Checked
//! once into [`HttpSettings`] before anything listens, so a mistake ends the program
//! with one clear line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::authorization::parse_secret;
use crate::config::ConfigError;
use crate::identity::{
    BrowserLoginConfig, DEFAULT_USER_CLAIM, IdentityConfig, OAuthConfig, UserId,
};
use crate::shared_state::RedisUrl;
use crate::transport::http::verifier::VerifierSettings;
use crate::transport::http::{HttpSettings, Limits, OriginPolicy};

/// The environment variable holding the secret a trusted proxy sends (never a flag, so it
/// stays out of `ps` output and shell history).
pub const PROXY_SECRET_ENV: &str = "ARCADE_GATEWAY_PROXY_SECRET";

/// Sessions and listen streams one of many users may have open, by default.
const DEFAULT_SESSIONS_PER_USER: usize = 16;

/// Requests (other than calls and listings) one of many users may send a minute, by
/// default: ten a second, far above what a client sends, far below a flood.
const DEFAULT_REQUESTS_PER_MINUTE: u32 = 600;

/// Tool calls one of many users may have running at once, and start a minute, by default.
const DEFAULT_CONCURRENT_CALLS: u32 = 8;
const DEFAULT_CALLS_PER_MINUTE: u32 = 120;

/// The call rate of one fixed user: no limit in practice (a million a minute), as the
/// server has none of its own.
const NO_CALL_RATE: u32 = 1_000_000;

/// The environment variable holding the user verifier's OAuth client secret, for a
/// confidential client (never a flag, for the same reason).
pub const OAUTH_CLIENT_SECRET_ENV: &str = "ARCADE_GATEWAY_OAUTH_CLIENT_SECRET";

/// Flags of the HTTP transport.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Address to listen on (HTTP transport); port 0 picks a free port
    #[arg(long, default_value = "127.0.0.1:8000", value_name = "ADDR")]
    pub bind: SocketAddr,

    /// Serve /mcp without sessions: any replica behind a plain load balancer can answer
    /// any request
    #[arg(long)]
    pub stateless: bool,

    /// Threads serving requests (default: one a core). With 1, a request's hops
    /// (connection, session, call, upstream request) never wait for another thread to
    /// wake: less CPU a call, for a server sharing few cores with other busy processes
    #[arg(long, value_name = "N")]
    pub worker_threads: Option<std::num::NonZeroUsize>,

    /// Bearer tokens: a file of `sha256:<hex> <user id>` lines (see `hash-token`);
    /// reloaded on SIGHUP
    #[arg(long, value_name = "FILE", conflicts_with_all = ["oauth_issuer", "trust_user_header"])]
    pub tokens_file: Option<PathBuf>,

    /// OAuth: the authorization server whose access tokens (JWT) are accepted
    #[arg(long, value_name = "URL", conflicts_with = "trust_user_header")]
    pub oauth_issuer: Option<Url>,

    /// OAuth: where the issuer's signing keys are (default: discovered from the issuer)
    #[arg(long, value_name = "URL", requires = "oauth_issuer")]
    pub oauth_jwks_url: Option<Url>,

    /// OAuth: the `aud` tokens must carry (default: --public-url)
    #[arg(long, value_name = "AUDIENCE", requires = "oauth_issuer")]
    pub oauth_audience: Option<String>,

    /// OAuth: the claim holding the Arcade user id
    #[arg(long, default_value = DEFAULT_USER_CLAIM, value_name = "CLAIM")]
    pub oauth_user_claim: String,

    /// OAuth: a scope every token must grant (repeatable)
    #[arg(long = "oauth-scope", value_name = "SCOPE", requires = "oauth_issuer")]
    pub oauth_scopes: Vec<String>,

    /// OAuth: this server's public MCP URL (the protected resource), e.g. https://mcp.example.com/mcp;
    /// its origin is also where the user verifier is reached
    #[arg(long, value_name = "URL")]
    pub public_url: Option<Url>,

    /// Serve Arcade's custom user verifier at /arcade/verify (enter
    /// https://<public host>/arcade/verify in Arcade's dashboard): the person completing
    /// a grant is identified by the identity mode (proxy header, OAuth sign-in, fixed
    /// user), and Arcade completes the grant only for the user it was started for
    #[arg(long)]
    pub user_verifier: bool,

    /// OAuth with --user-verifier: this server's client id at the issuer, to sign people
    /// in at the verifier (authorization code flow with PKCE); a confidential client's
    /// secret goes in ARCADE_GATEWAY_OAUTH_CLIENT_SECRET
    #[arg(long, value_name = "ID", requires = "oauth_issuer")]
    pub oauth_client_id: Option<String>,

    /// Trust the `Arcade-User-Id` header from a proxy that proves itself with the secret in
    /// ARCADE_GATEWAY_PROXY_SECRET
    #[arg(long)]
    pub trust_user_header: bool,

    /// A browser origin allowed to call the server (repeatable), e.g. https://app.example.com;
    /// by default only loopback origins are
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,

    /// A `Host` the server answers to (repeatable), e.g. mcp.example.com; by default only
    /// localhost, 127.0.0.1 and ::1
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,

    /// Largest request body accepted, in bytes
    #[arg(long, hide_short_help = true, default_value_t = 1024 * 1024, value_name = "BYTES")]
    pub max_body_bytes: usize,

    /// Tool calls one user may have running at once [default: 8; with one fixed user,
    /// --max-connections]
    #[arg(long, value_name = "N")]
    pub max_concurrent_calls: Option<u32>,

    /// Tool calls one user may start per minute [default: 120; with one fixed user, no
    /// limit]
    #[arg(long, value_name = "N")]
    pub calls_per_minute: Option<u32>,

    /// How long one client's HTTP request may take before it is answered 408, in
    /// seconds; also `--client-timeout`
    #[arg(
        long,
        visible_alias = "client-timeout",
        default_value_t = 120,
        value_name = "SECONDS"
    )]
    pub http_timeout: u64,

    /// How long a session may sit unused before it is closed, in seconds
    #[arg(
        long,
        hide_short_help = true,
        default_value_t = 300,
        value_name = "SECONDS"
    )]
    pub idle_timeout: u64,

    /// On SIGTERM/SIGINT, how long calls in flight may take to finish, in seconds
    #[arg(
        long,
        hide_short_help = true,
        default_value_t = 10,
        value_name = "SECONDS"
    )]
    pub shutdown_grace: u64,

    /// How long a new connection may take to send its first request's headers before it
    /// is closed, in seconds
    #[arg(
        long,
        hide_short_help = true,
        default_value_t = 10,
        value_name = "SECONDS"
    )]
    pub header_read_timeout: u64,

    /// How long a connection may stay open with no request in flight, in seconds
    #[arg(
        long,
        hide_short_help = true,
        default_value_t = 60,
        value_name = "SECONDS"
    )]
    pub keep_alive_timeout: u64,

    /// Connections served at once (at most what the open-file limit allows, which the
    /// server raises to its hard limit at start). When all are taken, a new connection
    /// takes the slot of an idle or never-authenticated one of the client holding the
    /// most, or is refused with a 503
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub max_connections: usize,

    /// How long a connection may stay open, in seconds; it is then closed once its
    /// answers in flight are sent (clients connect again)
    #[arg(
        long,
        hide_short_help = true,
        default_value_t = 600,
        value_name = "SECONDS"
    )]
    pub max_connection_age: u64,

    /// Requests one connection may carry; it is then closed once its answers are sent
    #[arg(long, hide_short_help = true, default_value_t = 1000, value_name = "N")]
    pub max_connection_requests: u32,

    /// Sessions (Streamable HTTP and legacy SSE) and `subscriptions/listen` streams one
    /// user may have open at once [default: 16; with one fixed user, --max-sessions]
    #[arg(long, value_name = "N")]
    pub max_sessions_per_user: Option<usize>,

    /// Sessions (Streamable HTTP and legacy SSE) and listen streams open on the whole
    /// server
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_sessions: usize,

    /// How long a `subscriptions/listen` stream lasts before the server ends it (the
    /// client listens again), in seconds
    #[arg(
        long,
        hide_short_help = true,
        default_value_t = 300,
        value_name = "SECONDS"
    )]
    pub listen_lifetime: u64,

    /// Requests other than tool calls and `tools/list` one user may send per minute,
    /// whatever their method [default: 600; with one fixed user, no limit]
    #[arg(long, value_name = "N")]
    pub requests_per_minute: Option<u32>,

    /// Redis shared by stateless replicas: per-user limits hold across all of them and
    /// a requestState is used once (see docs/shared-state.md), e.g.
    /// redis://:PASSWORD@redis.internal:6379/0. Prefer the variable: a flag is visible
    /// in the process list [env: ARCADE_GATEWAY_REDIS_URL]
    #[arg(long, env = "ARCADE_GATEWAY_REDIS_URL", hide_env_values = true,
          value_parser = parse_secret, value_name = "URL")]
    pub redis_url: Option<SecretString>,
}

impl HttpArgs {
    /// The HTTP settings, checked; `fixed_user` is `--user-id` (or the emulator's demo
    /// user), used only when no other identity mode is asked for.
    pub fn settings(&self, fixed_user: Option<UserId>) -> Result<HttpSettings, ConfigError> {
        let identity = self.identity(fixed_user)?;
        let one_user = matches!(identity, IdentityConfig::Fixed(_));
        let origins = OriginPolicy::new(
            &self.allowed_hosts,
            &self.allowed_origins,
            self.bind.ip().to_canonical().is_loopback(),
        )?;
        Ok(HttpSettings {
            bind: self.bind,
            stateless: self.stateless,
            user_verifier: self.user_verifier(&identity)?,
            identity,
            limits: self.limits(one_user)?,
            origins,
            redis: self.redis_url()?,
        })
    }

    /// The user verifier, when `--user-verifier` asks for it: identified by `identity`'s
    /// means, which bearer tokens do not have in a browser.
    fn user_verifier(
        &self,
        identity: &IdentityConfig,
    ) -> Result<Option<VerifierSettings>, ConfigError> {
        if !self.user_verifier {
            return Ok(None);
        }
        let public = self.public_url.clone().unwrap_or_else(|| {
            let ip = match self.bind.ip() {
                ip if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
                ip => ip,
            };
            let origin = std::net::SocketAddr::new(ip, self.bind.port());
            Url::parse(&format!("http://{origin}")).expect("an address makes a URL")
        });
        let sign_in = match identity {
            IdentityConfig::BearerTokens { .. } => return Err(ConfigError::UserVerifierWithTokens),
            IdentityConfig::OAuth(oauth) => {
                let client_id = self
                    .oauth_client_id
                    .clone()
                    .filter(|id| !id.trim().is_empty())
                    .ok_or(ConfigError::UserVerifierNeedsClientId)?;
                let client_secret = std::env::var(OAUTH_CLIENT_SECRET_ENV)
                    .ok()
                    .filter(|secret| !secret.is_empty())
                    .map(SecretString::from);
                Some(BrowserLoginConfig {
                    oauth: oauth.clone(),
                    client_id,
                    client_secret,
                    redirect_uri: VerifierSettings::at(&public, None).callback_url(),
                })
            }
            IdentityConfig::Fixed(_) | IdentityConfig::TrustedHeader { .. } => None,
        };
        Ok(Some(VerifierSettings::at(&public, sign_in)))
    }

    /// The identity mode the flags choose (clap keeps the modes exclusive).
    fn identity(&self, fixed_user: Option<UserId>) -> Result<IdentityConfig, ConfigError> {
        let config = if let Some(file) = &self.tokens_file {
            IdentityConfig::BearerTokens { file: file.clone() }
        } else if let Some(issuer) = &self.oauth_issuer {
            let resource = self
                .public_url
                .clone()
                .ok_or(ConfigError::MissingPublicUrl)?;
            let mut oauth = OAuthConfig::new(issuer.clone(), resource);
            oauth.jwks_url = self.oauth_jwks_url.clone();
            oauth.audience = self.oauth_audience.clone();
            oauth.user_claim = self.oauth_user_claim.clone();
            oauth.required_scopes = self.oauth_scopes.clone();
            IdentityConfig::OAuth(oauth)
        } else if self.trust_user_header {
            let secret = std::env::var(PROXY_SECRET_ENV).ok().map(SecretString::from);
            IdentityConfig::trusted_header(secret)?
        } else {
            IdentityConfig::Fixed(fixed_user.ok_or(ConfigError::NoIdentityMode)?)
        };
        config.check_bind(self.bind)?;
        Ok(config)
    }

    /// `--redis-url`, checked.
    fn redis_url(&self) -> Result<Option<RedisUrl>, ConfigError> {
        let Some(raw) = &self.redis_url else {
            return Ok(None);
        };
        Ok(Some(RedisUrl::parse(raw.expose_secret())?))
    }

    /// The limits, refusing zeros that would make the server answer nothing. With
    /// `one_user` (a fixed user on loopback), the per-user caps left unset are the
    /// server's: there is nobody else to protect that user from.
    fn limits(&self, one_user: bool) -> Result<Limits, ConfigError> {
        let max_sessions_per_user = self.max_sessions_per_user.unwrap_or(if one_user {
            self.max_sessions
        } else {
            DEFAULT_SESSIONS_PER_USER
        });
        let requests_per_minute = match self.requests_per_minute {
            Some(n) => Some(n),
            None if one_user => None,
            None => Some(DEFAULT_REQUESTS_PER_MINUTE),
        };
        let (max_concurrent_calls, calls_per_minute) = if one_user {
            (
                u32::try_from(self.max_connections).unwrap_or(u32::MAX),
                NO_CALL_RATE,
            )
        } else {
            (DEFAULT_CONCURRENT_CALLS, DEFAULT_CALLS_PER_MINUTE)
        };
        let max_concurrent_calls = self.max_concurrent_calls.unwrap_or(max_concurrent_calls);
        let calls_per_minute = self.calls_per_minute.unwrap_or(calls_per_minute);
        let positive = [
            ("--max-body-bytes", self.max_body_bytes as u64),
            ("--max-concurrent-calls", u64::from(max_concurrent_calls)),
            ("--calls-per-minute", u64::from(calls_per_minute)),
            ("--http-timeout", self.http_timeout),
            ("--idle-timeout", self.idle_timeout),
            ("--header-read-timeout", self.header_read_timeout),
            ("--keep-alive-timeout", self.keep_alive_timeout),
            ("--max-connections", self.max_connections as u64),
            ("--max-connection-age", self.max_connection_age),
            (
                "--max-connection-requests",
                u64::from(self.max_connection_requests),
            ),
            ("--max-sessions-per-user", max_sessions_per_user as u64),
            ("--max-sessions", self.max_sessions as u64),
            ("--listen-lifetime", self.listen_lifetime),
            (
                "--requests-per-minute",
                requests_per_minute.map_or(1, u64::from),
            ),
        ];
        if let Some((flag, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::ZeroLimit(flag));
        }
        Ok(Limits {
            max_body_bytes: self.max_body_bytes,
            max_concurrent_calls,
            calls_per_minute,
            request_timeout: Duration::from_secs(self.http_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            shutdown_grace: Duration::from_secs(self.shutdown_grace),
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            keep_alive_timeout: Duration::from_secs(self.keep_alive_timeout),
            max_connections: self.max_connections,
            max_connection_age: Duration::from_secs(self.max_connection_age),
            max_connection_requests: self.max_connection_requests,
            max_sessions_per_user,
            max_sessions: self.max_sessions,
            listen_lifetime: Duration::from_secs(self.listen_lifetime),
            requests_per_minute,
        })
    }
}
