//! Who is calling: the Arcade user a request acts for, resolved from the transport.
//!
//! Whoever this module says is calling is whose grants (Gmail, Slack, …) the call uses, so
//! the answer comes only from the transport, never from tool arguments or a body field.
//! One mode is configured ([`IdentityConfig`]):
//!
//! | mode | the caller proves who they are with | file |
//! |---|---|---|
//! | fixed user | nothing: one user, loopback only ([`IdentityConfig::check_bind`]) | `config.rs` |
//! | bearer tokens | `Authorization: Bearer <token>`, looked up in a file of token hashes | `token_file.rs` |
//! | OAuth 2.1 | `Authorization: Bearer <JWT>` from the configured authorization server | `oauth/` |
//! | trusted header | `Arcade-User-Id` from a proxy that sends the shared secret | `trusted_header.rs` |
//!
//! A browser (the user verifier's page, `/arcade/verify`) is identified by the same
//! mode: the proxy's headers, the fixed user, or, in OAuth mode, a sign-in at the same
//! issuer ([`BrowserLogin`], `oauth/login.rs`). Bearer tokens have no browser form.
//!
//! An [`Authenticator`] built from the configuration answers each request;
//! [`require_identity`] is the axum middleware that puts the [`UserId`] into the request
//! extensions (with the [`OAuthClientId`] of an OAuth token) or answers with an
//! [`AuthRejection`].

mod authenticator;
mod config;
mod credentials;
mod error;
mod middleware;
mod oauth;
mod rejection;
mod token_file;
mod trusted_header;
mod user;

pub use authenticator::Authenticator;
pub use config::{DEFAULT_USER_CLAIM, IdentityConfig, OAuthConfig};
pub use error::IdentityError;
pub use middleware::require_identity;
pub use oauth::{
    BrowserLogin, BrowserLoginConfig, LoginError, PendingLogin, protected_resource_metadata,
    protected_resource_routes,
};
pub use rejection::AuthRejection;
pub use token_file::hash_token;
pub use trusted_header::{PROXY_SECRET_HEADER, USER_ID_HEADER};
pub use user::{OAuthClientId, UserId, Verified};
