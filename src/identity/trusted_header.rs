//! Trusted-header mode: a reverse proxy in front (like Arcade's hosted gateway) has
//! already authenticated the caller and says who it is in `Arcade-User-Id`. The header is
//! believed only next to the secret the proxy shares with this server, so a caller who
//! reaches the server around the proxy cannot name any user they like.

use axum::http::{HeaderMap, HeaderName};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::credentials::sha256;
use super::credentials::single_header;
use super::error::IdentityError;
use super::rejection::AuthRejection;
use super::user::UserId;

/// The header in which the proxy names the calling user (the one Arcade's gateway uses).
pub const USER_ID_HEADER: HeaderName = HeaderName::from_static("arcade-user-id");

/// The header in which the proxy proves it is the proxy.
pub const PROXY_SECRET_HEADER: HeaderName = HeaderName::from_static("x-gateway-proxy-secret");

/// The shortest proxy secret accepted.
pub(crate) const MIN_PROXY_SECRET_LEN: usize = 32;

/// The proxy secret, kept only as its SHA-256: comparing digests in constant time reveals
/// neither the secret's bytes nor its length.
#[derive(Debug)]
pub(crate) struct ProxySecret {
    digest: [u8; 32],
}

impl ProxySecret {
    /// Accepts a secret long enough not to be guessed.
    pub(crate) fn new(secret: &SecretString) -> Result<Self, IdentityError> {
        let secret = secret.expose_secret();
        if secret.trim().is_empty() {
            return Err(IdentityError::ProxySecretMissing);
        }
        if secret.len() < MIN_PROXY_SECRET_LEN {
            return Err(IdentityError::ProxySecretTooShort);
        }
        Ok(Self {
            digest: sha256(secret.as_bytes()),
        })
    }

    fn matches(&self, presented: &[u8]) -> bool {
        sha256(presented).ct_eq(&self.digest).into()
    }

    /// The user the proxy names, if the request really comes from the proxy.
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<UserId, AuthRejection> {
        let mut secrets = headers.get_all(PROXY_SECRET_HEADER).iter();
        let from_proxy = match (secrets.next(), secrets.next()) {
            (Some(secret), None) => self.matches(secret.as_bytes()),
            _ => false,
        };
        let claimed = single_header(headers, &USER_ID_HEADER)?;
        if !from_proxy {
            return Err(refuse_bypass(headers, claimed));
        }
        claimed
            .filter(|user| !user.is_empty())
            .map(UserId::new)
            .ok_or_else(|| {
                tracing::warn!("the proxy sent its secret but no {USER_ID_HEADER}; check the proxy's configuration");
                AuthRejection::invalid(format!(
                    "the proxy in front of this server did not say who is calling ({USER_ID_HEADER} is missing)"
                ))
            })
    }
}

/// A request without the right proxy secret: it did not come through the proxy.
fn refuse_bypass(headers: &HeaderMap, claimed: Option<&str>) -> AuthRejection {
    let presented_secret = headers.contains_key(PROXY_SECRET_HEADER);
    if claimed.is_none() && !presented_secret {
        return AuthRejection::missing(
            "this server learns who is calling from the proxy in front of it; send the request through that proxy",
        );
    }
    tracing::warn!(
        claimed_user = claimed,
        presented_secret,
        "refused a request naming a user without the right {PROXY_SECRET_HEADER}: is something reaching this server around its proxy?"
    );
    AuthRejection::invalid(format!(
        "this server believes {USER_ID_HEADER} only from its proxy; send the request through the proxy"
    ))
}
