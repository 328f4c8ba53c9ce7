//! How the server is told to learn who is calling, and the startup checks on that choice.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use url::Url;

use super::error::IdentityError;
use super::trusted_header::ProxySecret;
use super::user::UserId;

/// The claim that names the user when none is configured.
pub const DEFAULT_USER_CLAIM: &str = "sub";

/// Where RFC 9728 puts the protected resource metadata, before the resource's own path.
pub(crate) const PROTECTED_RESOURCE_WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// How the server learns who is calling; chosen once at startup by the configuration.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "built once at startup; a box would only make it clumsier to write"
)]
pub enum IdentityConfig {
    /// Every call acts for this one user (`--user-id`): stdio, or HTTP on loopback only.
    Fixed(UserId),
    /// `Authorization: Bearer <token>`, looked up in a file of token hashes (see
    /// [`hash_token`](super::hash_token) for the format); reloaded on SIGHUP.
    BearerTokens {
        /// The token file.
        file: PathBuf,
    },
    /// OAuth 2.1 access tokens (JWT) issued by an authorization server, as the MCP
    /// authorization spec describes.
    OAuth(OAuthConfig),
    /// The `Arcade-User-Id` header, trusted only when the proxy in front proves itself with
    /// this secret in `X-Gateway-Proxy-Secret`.
    TrustedHeader {
        /// The secret shared with the proxy.
        secret: SecretString,
    },
}

impl IdentityConfig {
    /// Trusted-header mode from an optional secret, so that asking for the mode without a
    /// secret (or with a short one) is a configuration error, not an open door.
    pub fn trusted_header(secret: Option<SecretString>) -> Result<Self, IdentityError> {
        let secret = secret.ok_or(IdentityError::ProxySecretMissing)?;
        ProxySecret::new(&secret)?;
        Ok(Self::TrustedHeader { secret })
    }

    /// Refuses a fixed user on an address other people can reach: with a fixed user, anyone
    /// who can connect acts as that user. Call it before binding the HTTP listener.
    pub fn check_bind(&self, addr: SocketAddr) -> Result<(), IdentityError> {
        match self {
            Self::Fixed(_) if !addr.ip().to_canonical().is_loopback() => {
                Err(IdentityError::FixedUserNotLoopback { addr })
            }
            _ => Ok(()),
        }
    }
}

/// This server as an OAuth 2.1 resource server: which authorization server it trusts and
/// what an access token must say to be accepted.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The authorization server; tokens must carry exactly this `iss`.
    pub issuer: Url,
    /// Where its keys are; when `None`, discovered from the issuer's
    /// `/.well-known/oauth-authorization-server` or `/.well-known/openid-configuration`.
    pub jwks_url: Option<Url>,
    /// The `aud` tokens must carry; when `None`, the [`resource_url`](Self::resource_url).
    pub audience: Option<String>,
    /// The claim holding the Arcade user id (default [`DEFAULT_USER_CLAIM`]).
    pub user_claim: String,
    /// Scopes every token must grant (from `scope`, space-separated, or `scp`).
    pub required_scopes: Vec<String>,
    /// This server's public URL (the MCP endpoint), announced in the resource metadata.
    pub resource_url: Url,
}

impl OAuthConfig {
    /// The usual setup: keys discovered from the issuer, audience = resource, user = `sub`,
    /// no required scope.
    pub fn new(issuer: Url, resource_url: Url) -> Self {
        Self {
            issuer,
            jwks_url: None,
            audience: None,
            user_claim: DEFAULT_USER_CLAIM.to_owned(),
            required_scopes: Vec::new(),
            resource_url,
        }
    }

    /// Where clients find this server's protected resource metadata (RFC 9728): sent in
    /// every `WWW-Authenticate` challenge.
    pub fn resource_metadata_url(&self) -> Url {
        let mut url = self.resource_url.clone();
        url.set_path(&self.resource_metadata_path());
        url.set_query(None);
        url.set_fragment(None);
        url
    }

    /// The path part of [`resource_metadata_url`](Self::resource_metadata_url).
    pub(crate) fn resource_metadata_path(&self) -> String {
        let resource_path = self.resource_url.path().trim_end_matches('/');
        format!("{PROTECTED_RESOURCE_WELL_KNOWN}{resource_path}")
    }

    /// The audiences a token may carry.
    pub(crate) fn accepted_audiences(&self) -> Vec<String> {
        match &self.audience {
            Some(audience) => vec![audience.clone()],
            None => url_spellings(&self.resource_url),
        }
    }

    /// The issuers a token may carry.
    pub(crate) fn accepted_issuers(&self) -> Vec<String> {
        url_spellings(&self.issuer)
    }
}

/// How a URL may be written in a token: as parsed, and, for a bare origin, also without
/// the trailing `/` that parsing adds (`https://auth.example.com`).
fn url_spellings(url: &Url) -> Vec<String> {
    let parsed = url.as_str();
    let bare = parsed.trim_end_matches('/');
    if url.path() == "/" && bare != parsed {
        vec![parsed.to_owned(), bare.to_owned()]
    } else {
        vec![parsed.to_owned()]
    }
}

/// Keys and discovery documents come over HTTPS, except from this machine (local
/// authorization servers, tests).
pub(crate) fn require_https_or_loopback(
    what: &'static str,
    url: &Url,
) -> Result<(), IdentityError> {
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.to_canonical().is_loopback(),
        None => false,
    };
    if url.scheme() == "https" || (url.scheme() == "http" && loopback) {
        Ok(())
    } else {
        Err(IdentityError::InsecureUrl {
            what,
            url: url.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn fixed_user_is_refused_off_loopback() {
        let fixed = IdentityConfig::Fixed(UserId::new("ann"));
        assert!(fixed.check_bind("127.0.0.1:8000".parse().unwrap()).is_ok());
        assert!(fixed.check_bind("[::1]:8000".parse().unwrap()).is_ok());
        assert!(
            fixed
                .check_bind("[::ffff:127.0.0.1]:8000".parse().unwrap())
                .is_ok()
        );
        for addr in ["0.0.0.0:8000", "[::]:8000", "192.0.2.7:8000"] {
            let err = fixed.check_bind(addr.parse().unwrap()).unwrap_err();
            assert!(err.to_string().contains("loopback"), "{err}");
        }
    }

    #[test]
    fn other_modes_may_bind_anywhere() {
        let tokens = IdentityConfig::BearerTokens {
            file: "tokens".into(),
        };
        assert!(tokens.check_bind("0.0.0.0:8000".parse().unwrap()).is_ok());
    }

    #[test]
    fn trusted_header_needs_a_long_enough_secret() {
        assert!(matches!(
            IdentityConfig::trusted_header(None),
            Err(IdentityError::ProxySecretMissing)
        ));
        assert!(matches!(
            IdentityConfig::trusted_header(Some("short".into())),
            Err(IdentityError::ProxySecretTooShort)
        ));
        let secret = "x".repeat(crate::identity::trusted_header::MIN_PROXY_SECRET_LEN);
        assert!(IdentityConfig::trusted_header(Some(secret.into())).is_ok());
    }

    #[test]
    fn metadata_url_inserts_the_well_known_path_before_the_resource_path() {
        let config = OAuthConfig::new(url("https://auth.example"), url("https://mcp.example/mcp"));
        assert_eq!(
            config.resource_metadata_url().as_str(),
            "https://mcp.example/.well-known/oauth-protected-resource/mcp"
        );
        let root = OAuthConfig::new(url("https://auth.example"), url("https://mcp.example"));
        assert_eq!(
            root.resource_metadata_url().as_str(),
            "https://mcp.example/.well-known/oauth-protected-resource"
        );
    }

    #[test]
    fn bare_origins_are_accepted_with_and_without_the_trailing_slash() {
        let config = OAuthConfig::new(url("https://auth.example"), url("https://mcp.example/mcp"));
        assert_eq!(
            config.accepted_issuers(),
            ["https://auth.example/", "https://auth.example"]
        );
        assert_eq!(config.accepted_audiences(), ["https://mcp.example/mcp"]);
    }

    #[test]
    fn remote_key_urls_must_be_https() {
        assert!(require_https_or_loopback("issuer", &url("https://auth.example")).is_ok());
        assert!(require_https_or_loopback("issuer", &url("http://127.0.0.1:9")).is_ok());
        assert!(require_https_or_loopback("issuer", &url("http://localhost:9")).is_ok());
        assert!(require_https_or_loopback("issuer", &url("http://auth.example")).is_err());
    }
}
