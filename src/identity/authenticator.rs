//! The configured identity mode, ready to answer "who is calling?" for each request.

use std::sync::Arc;

use axum::http::HeaderMap;

use super::config::IdentityConfig;
use super::credentials::bearer_token;
use super::error::IdentityError;
use super::oauth::{OAuthVerifier, ProtectedResource};
use super::rejection::AuthRejection;
use super::token_file::TokenFile;
use super::trusted_header::ProxySecret;
use super::user::UserId;
use super::user::Verified;

/// Resolves the calling user of each HTTP request, by the mode the configuration chose.
/// Shared by all requests (`Arc<Authenticator>`).
pub struct Authenticator {
    mode: Mode,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match &self.mode {
            Mode::Fixed(_) => "fixed user",
            Mode::BearerTokens(_) => "bearer tokens",
            Mode::OAuth(_) => "OAuth",
            Mode::TrustedHeader(_) => "trusted header",
        };
        f.debug_struct("Authenticator")
            .field("mode", &mode)
            .finish()
    }
}

enum Mode {
    Fixed(UserId),
    BearerTokens(TokenFile),
    OAuth(Box<OAuthVerifier>),
    TrustedHeader(ProxySecret),
}

impl Authenticator {
    /// Checks the configuration and loads what startup needs: the token file is read now
    /// (a missing or bad file stops startup), while the OAuth signing keys are fetched at
    /// the first token, so an authorization server that is briefly down at startup does
    /// not keep the server from starting (requests answer 503 until it is back).
    pub async fn new(config: IdentityConfig) -> Result<Self, IdentityError> {
        let mode = match config {
            IdentityConfig::Fixed(user) if user.as_str().trim().is_empty() => {
                return Err(IdentityError::EmptyUserId);
            }
            IdentityConfig::Fixed(user) => Mode::Fixed(user),
            IdentityConfig::BearerTokens { file } => {
                Mode::BearerTokens(TokenFile::load(file).await?)
            }
            IdentityConfig::OAuth(oauth) => Mode::OAuth(Box::new(OAuthVerifier::new(&oauth)?)),
            IdentityConfig::TrustedHeader { secret } => {
                Mode::TrustedHeader(ProxySecret::new(&secret)?)
            }
        };
        Ok(Self { mode })
    }

    /// The user a request acts for (and its OAuth client), proved by its headers; or
    /// why it is refused.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Verified, AuthRejection> {
        match &self.mode {
            Mode::Fixed(user) => Ok(user.clone().into()),
            Mode::BearerTokens(tokens) => {
                authenticate_static_token(tokens, headers).map(Into::into)
            }
            Mode::OAuth(verifier) => verifier.authenticate(headers).await,
            Mode::TrustedHeader(secret) => secret.authenticate(headers).map(Into::into),
        }
    }

    /// Re-reads the token file (the SIGHUP path); other modes have nothing to reload.
    /// A bad file keeps the previous tokens in force and returns why.
    pub async fn reload(&self) -> Result<(), IdentityError> {
        match &self.mode {
            Mode::BearerTokens(tokens) => tokens.reload().await,
            _ => Ok(()),
        }
    }

    /// Reloads on every SIGHUP until the runtime stops, so tokens can be added or revoked
    /// without a restart. The handler is installed before this returns.
    #[cfg(unix)]
    pub fn spawn_reload_on_sighup(
        self: &Arc<Self>,
    ) -> Result<tokio::task::JoinHandle<()>, IdentityError> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup()).map_err(IdentityError::Signal)?;
        let auth = Arc::clone(self);
        Ok(tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                // A failed reload has already been logged, and the old tokens stay in force.
                let _ = auth.reload().await;
            }
        }))
    }

    /// The protected resource this server announces in OAuth mode.
    pub(crate) fn protected_resource(&self) -> Option<&ProtectedResource> {
        match &self.mode {
            Mode::OAuth(verifier) => Some(verifier.resource()),
            _ => None,
        }
    }
}

fn authenticate_static_token(
    tokens: &TokenFile,
    headers: &HeaderMap,
) -> Result<UserId, AuthRejection> {
    let token = bearer_token(headers)?.ok_or_else(|| {
        AuthRejection::missing(
            "this server needs `Authorization: Bearer <token>`; ask its operator for a token",
        )
    })?;
    tokens.user_for(token).ok_or_else(|| {
        AuthRejection::invalid(
            "this bearer token is not known to this server (or was revoked); check it, or ask the operator for a new one",
        )
    })
}
