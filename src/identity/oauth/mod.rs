//! OAuth 2.1 resource server (MCP authorization spec): the caller presents an access
//! token (a JWT) from the configured authorization server; its signature, issuer,
//! audience, lifetime and scopes are checked, and a claim names the user.

mod claims;
mod jwks;
mod login;
mod metadata;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use url::Url;

pub use login::{BrowserLogin, BrowserLoginConfig, LoginError, PendingLogin};
pub(crate) use metadata::ProtectedResource;
pub use metadata::{protected_resource_metadata, protected_resource_routes};

use self::claims::Claims;
use self::jwks::{JwksCache, KeyLookupError};
use super::config::OAuthConfig;
use super::credentials::bearer_token;
use super::error::IdentityError;
use super::rejection::AuthRejection;
use super::user::Verified;

/// Signature algorithms accepted: asymmetric only, so a public JWKS key can never be used
/// as an HMAC secret, and never `none`.
const ACCEPTED_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const CLOCK_LEEWAY_SECS: u64 = 60;

/// Checks access tokens for one resource against one authorization server.
pub(crate) struct OAuthVerifier {
    keys: JwksCache,
    validation: Validation,
    issuer: Url,
    audiences: Vec<String>,
    user_claim: String,
    required_scopes: Vec<String>,
    resource: ProtectedResource,
}

impl OAuthVerifier {
    /// Checks the configuration; fetches nothing yet (see [`JwksCache::new`]).
    pub(crate) fn new(config: &OAuthConfig) -> Result<Self, IdentityError> {
        if config.user_claim.trim().is_empty() {
            return Err(IdentityError::EmptyUserClaim);
        }
        let audiences = config.accepted_audiences();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&config.accepted_issuers());
        validation.set_audience(&audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = CLOCK_LEEWAY_SECS;
        Ok(Self {
            keys: JwksCache::new(config.issuer.clone(), config.jwks_url.clone())?,
            validation,
            issuer: config.issuer.clone(),
            audiences,
            user_claim: config.user_claim.clone(),
            required_scopes: config.required_scopes.clone(),
            resource: ProtectedResource::new(config),
        })
    }

    /// The protected resource metadata this verifier announces.
    pub(crate) fn resource(&self) -> &ProtectedResource {
        &self.resource
    }

    /// The user an `Authorization: Bearer <jwt>` header proves; every refusal points the
    /// client at the resource metadata, where it learns how to get a token.
    pub(crate) async fn authenticate(
        &self,
        headers: &axum::http::HeaderMap,
    ) -> Result<Verified, AuthRejection> {
        self.authenticate_token(headers)
            .await
            .map_err(|rejection| rejection.with_resource_metadata(self.resource.metadata_url()))
    }

    async fn authenticate_token(
        &self,
        headers: &axum::http::HeaderMap,
    ) -> Result<Verified, AuthRejection> {
        let token = bearer_token(headers)?.ok_or_else(|| {
            AuthRejection::missing(format!(
                "this server needs an OAuth access token from {} in `Authorization: Bearer <token>`",
                self.issuer
            ))
        })?;
        let claims = self.verify(token).await?;
        claims::require_scopes(&claims, &self.required_scopes)?;
        Ok(Verified {
            user: claims::user_from(&claims, &self.user_claim)?,
            oauth_client: claims::client_from(&claims),
        })
    }

    /// The claims of a token whose signature, issuer, audience and lifetime check out.
    async fn verify(&self, token: &str) -> Result<Claims, AuthRejection> {
        let header = decode_header(token).map_err(|_| {
            AuthRejection::invalid(
                "the bearer token is not a JWT access token; get one from the authorization server",
            )
        })?;
        if !ACCEPTED_ALGORITHMS.contains(&header.alg) {
            return Err(AuthRejection::invalid(format!(
                "the access token is signed with {:?}, which this server does not accept",
                header.alg
            )));
        }
        let key = self
            .keys
            .key_for(header.kid.as_deref())
            .await
            .map_err(key_rejection)?;
        if key.algorithm.is_some_and(|alg| alg != header.alg) {
            return Err(AuthRejection::invalid(
                "the access token's algorithm does not match its signing key",
            ));
        }
        let mut validation = self.validation.clone();
        validation.algorithms = vec![header.alg];
        decode::<Claims>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|error| self.describe(error.kind()))
    }

    /// A refusal saying which check failed and what to do about it.
    fn describe(&self, error: &ErrorKind) -> AuthRejection {
        AuthRejection::invalid(match error {
            ErrorKind::ExpiredSignature => {
                "the access token has expired; get a new one from the authorization server".to_owned()
            }
            ErrorKind::ImmatureSignature => {
                "the access token is not valid yet (`nbf` is in the future); check the clocks".to_owned()
            }
            ErrorKind::InvalidIssuer => format!(
                "the access token was issued by another authorization server; this server accepts tokens from {}",
                self.issuer
            ),
            ErrorKind::InvalidAudience => format!(
                "the access token is meant for another resource; request one for {} (the `resource` parameter)",
                self.audiences.join(" or ")
            ),
            ErrorKind::MissingRequiredClaim(claim) => {
                format!("the access token has no `{claim}` claim")
            }
            ErrorKind::InvalidSignature => {
                "the access token's signature does not verify against the authorization server's keys".to_owned()
            }
            _ => "the access token is not a well-formed signed JWT; get a new one from the authorization server".to_owned(),
        })
    }
}

fn key_rejection(error: KeyLookupError) -> AuthRejection {
    match error {
        KeyLookupError::UnknownKey => AuthRejection::invalid(
            "the access token is signed with a key the authorization server does not publish; get a new token",
        ),
        KeyLookupError::Unavailable => AuthRejection::unavailable(
            "this server cannot reach the authorization server's signing keys to check the token; try again shortly",
        ),
    }
}
