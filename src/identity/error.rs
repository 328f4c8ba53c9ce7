//! Why the identity configuration cannot be used: each message says what to change.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use url::Url;

use super::trusted_header::MIN_PROXY_SECRET_LEN;

/// A configuration or startup problem of the identity layer; the server refuses to start
/// (or, on a token-file reload, keeps the previous table) and shows this message.
///
/// No variant carries a token or a secret, so every message is safe to log.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// A fixed user on a non-loopback address would let anyone who can reach it act as that user.
    #[error(
        "refusing to listen on {addr}: with a fixed --user-id every caller acts as that one user, \
         which is safe only on a loopback address (127.0.0.1 or [::1]); bind to loopback, or choose \
         an identity mode that tells callers apart (a bearer token file, OAuth, or a trusted proxy \
         header with its secret)"
    )]
    FixedUserNotLoopback {
        /// The address the server was asked to listen on.
        addr: SocketAddr,
    },

    /// A user id made only of whitespace names nobody.
    #[error("the fixed user id is empty; give the Arcade user id that calls should act for")]
    EmptyUserId,

    /// The token file could not be read.
    #[error("cannot read the token file {path}: {source}; check the path and its permissions")]
    TokenFileRead {
        /// The token file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: io::Error,
    },

    /// A line of the token file is not `sha256:<64 hex digits> <user id>`. The line itself is
    /// never quoted: it may hold a plaintext token pasted by mistake.
    #[error("token file {path}, line {line}: {problem}")]
    TokenFileLine {
        /// The token file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        problem: String,
    },

    /// Trusted-header mode without a proxy secret would trust anyone who sets the header.
    #[error(
        "trusting the Arcade-User-Id header needs the shared secret that the proxy in front sends \
         in X-Gateway-Proxy-Secret; configure one (at least {MIN_PROXY_SECRET_LEN} random \
         characters, e.g. from `openssl rand -hex 32`)"
    )]
    ProxySecretMissing,

    /// A short proxy secret can be guessed.
    #[error(
        "the proxy secret is too short; use at least {MIN_PROXY_SECRET_LEN} random characters \
         (e.g. from `openssl rand -hex 32`)"
    )]
    ProxySecretTooShort,

    /// Keys fetched over plain HTTP from a remote host could be swapped by anyone on the path.
    #[error("the {what} {url} must use https (plain http is accepted only for loopback hosts)")]
    InsecureUrl {
        /// Which setting holds the URL.
        what: &'static str,
        /// The URL as configured.
        url: Url,
    },

    /// The OAuth user claim names no claim.
    #[error(
        "the OAuth user claim is empty; name the access-token claim that holds the Arcade user id \
         (the default is `sub`)"
    )]
    EmptyUserClaim,

    /// The user verifier's sign-in has no client id at the issuer.
    #[error(
        "the user verifier signs people in at the OAuth issuer as a client of it: register \
         this server there (redirect URI <public URL>/arcade/verify/callback) and pass its \
         client id with --oauth-client-id"
    )]
    EmptyClientId,

    /// The HTTP client that fetches the authorization server's keys could not be built.
    #[error("cannot build the HTTP client for the authorization server: {0}")]
    HttpClient(#[source] reqwest::Error),

    /// The SIGHUP handler that reloads the token file could not be installed.
    #[error("cannot listen for SIGHUP to reload the token file: {0}")]
    Signal(#[source] io::Error),
}
