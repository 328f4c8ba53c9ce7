//! Signing a person in at a browser (the user verifier's page): this server as an
//! OpenID Connect client of the same issuer whose access tokens `/mcp` accepts, with the
//! authorization code flow and PKCE (RFC 7636). The `state` and `nonce` of each sign-in
//! are checked, and the ID token's signature, issuer, audience (this client) and
//! lifetime; the user is the same claim `/mcp` reads.

use std::time::Duration;

use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use url::Url;

use super::claims::{self, Claims};
use super::jwks::{JwksCache, discovery_urls, get_json};
use super::{ACCEPTED_ALGORITHMS, CLOCK_LEEWAY_SECS};
use crate::identity::config::{OAuthConfig, require_https_or_loopback};
use crate::identity::error::IdentityError;
use crate::identity::user::UserId;

/// Time allowed for one request to the issuer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest token answer read.
const MAX_TOKEN_ANSWER_BYTES: usize = 64 << 10;

/// This server as an OpenID Connect client: who it is at the issuer and where the
/// person comes back to.
#[derive(Debug, Clone)]
pub struct BrowserLoginConfig {
    /// The issuer, its keys and the user claim: those of `/mcp` ([`OAuthConfig`]).
    pub oauth: OAuthConfig,
    /// This server's client id at the issuer (`--oauth-client-id`).
    pub client_id: String,
    /// Its secret, for a confidential client (`ARCADE_GATEWAY_OAUTH_CLIENT_SECRET`).
    pub client_secret: Option<SecretString>,
    /// Where the issuer sends the browser back with the code.
    pub redirect_uri: Url,
}

/// One sign-in under way: what the browser keeps (sealed) between leaving for the
/// issuer and coming back, and checks the answer against.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    /// Echoed back by the issuer: ties the answer to this browser's sign-in.
    pub state: String,
    /// Carried in the ID token: ties the token to this sign-in.
    pub nonce: String,
    /// PKCE: proves to the issuer that whoever redeems the code started the sign-in.
    pub code_verifier: String,
}

impl PendingLogin {
    /// A new sign-in with fresh random `state`, `nonce` and PKCE verifier.
    pub fn new() -> Result<Self, LoginError> {
        Ok(Self {
            state: random_token()?,
            nonce: random_token()?,
            code_verifier: random_token()?,
        })
    }
}

/// Why a sign-in failed; each message says what the person or the operator can do.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The system gave no random bytes.
    #[error("could not make a random sign-in value: {0}")]
    Random(getrandom::Error),
    /// The issuer's endpoints are not known and could not be fetched.
    #[error(
        "the sign-in service ({issuer}) could not be reached or does not publish an \
         authorization and a token endpoint; try again shortly, or tell the operator"
    )]
    Unavailable {
        /// The issuer.
        issuer: Url,
    },
    /// The token endpoint did not redeem the code.
    #[error(
        "the sign-in service did not accept the sign-in ({detail}); open the authorization \
         link again to sign in anew"
    )]
    CodeRefused {
        /// What it said, briefly.
        detail: String,
    },
    /// The ID token does not check out.
    #[error("the sign-in service's answer could not be trusted ({0}); nothing was granted")]
    BadIdToken(String),
    /// The ID token checks out but names no user.
    #[error("{0}")]
    NoUser(String),
}

/// The issuer's metadata, as published.
#[derive(Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
}

/// The issuer's endpoints this client uses.
#[derive(Debug, Clone)]
struct Endpoints {
    authorization_endpoint: Url,
    token_endpoint: Url,
}

/// The token endpoint's answer (only the ID token is used: the gateway needs to know
/// who signed in, not to act for them at the issuer).
#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

/// Signs people in at the issuer; shared by every request.
pub struct BrowserLogin {
    config: BrowserLoginConfig,
    http: reqwest::Client,
    endpoints: OnceCell<Endpoints>,
    keys: JwksCache,
    validation: Validation,
}

impl std::fmt::Debug for BrowserLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserLogin")
            .field("issuer", &self.config.oauth.issuer.as_str())
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

impl BrowserLogin {
    /// Checks the configuration; fetches nothing yet, so an issuer briefly down at
    /// startup does not keep the server from starting.
    pub fn new(config: BrowserLoginConfig) -> Result<Self, IdentityError> {
        if config.client_id.trim().is_empty() {
            return Err(IdentityError::EmptyClientId);
        }
        if config.oauth.user_claim.trim().is_empty() {
            return Err(IdentityError::EmptyUserClaim);
        }
        require_https_or_loopback("verifier redirect URL", &config.redirect_uri)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&config.oauth.accepted_issuers());
        validation.set_audience(&[config.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = CLOCK_LEEWAY_SECS;
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(IdentityError::HttpClient)?;
        Ok(Self {
            keys: JwksCache::new(config.oauth.issuer.clone(), config.oauth.jwks_url.clone())?,
            config,
            http,
            endpoints: OnceCell::new(),
            validation,
        })
    }

    /// Where to send the browser to sign in for `pending`.
    pub async fn authorization_url(&self, pending: &PendingLogin) -> Result<Url, LoginError> {
        let endpoints = self.endpoints().await?;
        let mut url = endpoints.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", self.config.redirect_uri.as_str())
            .append_pair("scope", &self.scope())
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &code_challenge(&pending.code_verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(url)
    }

    /// Redeems the issuer's `code` for an ID token, checks it against `pending`, and
    /// says who signed in. The caller has already checked `state` (and its single use).
    pub async fn finish(&self, code: &str, pending: &PendingLogin) -> Result<UserId, LoginError> {
        let endpoints = self.endpoints().await?;
        let id_token = self
            .redeem(&endpoints.token_endpoint, code, pending)
            .await?;
        let claims = self.verify(&id_token).await?;
        let nonce = claims.get("nonce").and_then(|n| n.as_str());
        let nonce_matches = nonce.is_some_and(|n| {
            subtle::ConstantTimeEq::ct_eq(n.as_bytes(), pending.nonce.as_bytes()).into()
        });
        if !nonce_matches {
            return Err(LoginError::BadIdToken(
                "its nonce is not the one of this sign-in".to_owned(),
            ));
        }
        claims::user_from(&claims, &self.config.oauth.user_claim).map_err(|rejection| {
            LoginError::NoUser(rejection.description().replace("access token", "ID token"))
        })
    }

    /// `openid`, and `email` when the user is named by it.
    fn scope(&self) -> String {
        match self.config.oauth.user_claim.as_str() {
            "email" => "openid email".to_owned(),
            _ => "openid".to_owned(),
        }
    }

    async fn endpoints(&self) -> Result<&Endpoints, LoginError> {
        self.endpoints
            .get_or_try_init(|| self.discover())
            .await
            .map_err(|()| LoginError::Unavailable {
                issuer: self.config.oauth.issuer.clone(),
            })
    }

    /// The issuer's metadata (RFC 8414, then OpenID Connect Discovery), if it is about
    /// this issuer and its endpoints are HTTPS (or on loopback).
    async fn discover(&self) -> Result<Endpoints, ()> {
        for url in discovery_urls(&self.config.oauth.issuer) {
            match get_json::<Metadata>(&self.http, &url).await {
                Ok(meta) => match self.endpoints_of_our_issuer(&meta) {
                    Some(endpoints) => return Ok(endpoints),
                    None => {
                        tracing::warn!(%url, "ignored issuer metadata of another issuer, or with endpoints that are not https")
                    }
                },
                Err(error) => tracing::debug!(%error, "no usable issuer metadata here"),
            }
        }
        tracing::warn!(issuer = %self.config.oauth.issuer, "the issuer publishes no authorization and token endpoints: the user verifier cannot sign people in");
        Err(())
    }

    /// The endpoints of `meta`, if it is about this issuer (RFC 8414 §3.3) and they are
    /// HTTPS (or on loopback).
    fn endpoints_of_our_issuer(&self, meta: &Metadata) -> Option<Endpoints> {
        let issuer = self.config.oauth.issuer.as_str().trim_end_matches('/');
        let endpoint = |what: &'static str, raw: &str| {
            let url = Url::parse(raw).ok()?;
            require_https_or_loopback(what, &url).ok().map(|()| url)
        };
        (meta.issuer.trim_end_matches('/') == issuer).then_some(())?;
        Some(Endpoints {
            authorization_endpoint: endpoint(
                "authorization_endpoint",
                &meta.authorization_endpoint,
            )?,
            token_endpoint: endpoint("token_endpoint", &meta.token_endpoint)?,
        })
    }

    /// Posts the code to the token endpoint and returns the ID token.
    async fn redeem(
        &self,
        token_endpoint: &Url,
        code: &str,
        pending: &PendingLogin,
    ) -> Result<String, LoginError> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", self.config.redirect_uri.as_str())
            .append_pair("code_verifier", &pending.code_verifier)
            .append_pair("client_id", &self.config.client_id)
            .finish();
        let mut request = self
            .http
            .post(token_endpoint.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form);
        if let Some(secret) = &self.config.client_secret {
            request = request.basic_auth(
                form_encoded(&self.config.client_id),
                Some(form_encoded(secret.expose_secret())),
            );
        }
        let refused = |detail: String| LoginError::CodeRefused { detail };
        let mut response = request
            .send()
            .await
            .map_err(|e| refused(format!("the token endpoint could not be reached: {e}")))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| refused(format!("the token answer broke off: {e}")))?
        {
            if body.len() + chunk.len() > MAX_TOKEN_ANSWER_BYTES {
                return Err(refused("the token answer is too large".to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(refused(format!("HTTP {}", status.as_u16())));
        }
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|_| refused("the token answer is not JSON".to_owned()))?;
        answer.id_token.ok_or_else(|| {
            refused(
                "the token answer has no id_token: is `openid` allowed for this client?".to_owned(),
            )
        })
    }

    /// The claims of an ID token whose signature, issuer, audience and lifetime check out.
    async fn verify(&self, token: &str) -> Result<Claims, LoginError> {
        let bad = |why: &str| LoginError::BadIdToken(why.to_owned());
        let header = decode_header(token).map_err(|_| bad("the ID token is not a JWT"))?;
        if !ACCEPTED_ALGORITHMS.contains(&header.alg) {
            return Err(bad("the ID token's signature algorithm is not accepted"));
        }
        let key = self
            .keys
            .key_for(header.kid.as_deref())
            .await
            .map_err(|_| bad("the ID token's signing key is not among the issuer's keys"))?;
        if key.algorithm.is_some_and(|alg| alg != header.alg) {
            return Err(bad("the ID token's algorithm does not match its key"));
        }
        let mut validation = self.validation.clone();
        validation.algorithms = vec![header.alg];
        decode::<Claims>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|error| {
                LoginError::BadIdToken(format!("the ID token failed a check: {error}"))
            })
    }
}

/// RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic auth.
fn form_encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// 32 random bytes, as 43 URL-safe characters: unguessable, and a valid PKCE verifier.
fn random_token() -> Result<String, LoginError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(LoginError::Random)?;
    Ok(base64_url(&bytes))
}

/// PKCE S256: `BASE64URL(SHA256(verifier))`.
fn code_challenge(verifier: &str) -> String {
    base64_url(&Sha256::digest(verifier.as_bytes()))
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn sign_in_values_are_fresh_and_url_safe() {
        let a = PendingLogin::new().unwrap();
        let b = PendingLogin::new().unwrap();
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, a.state);
        assert_eq!(a.code_verifier.len(), 43);
        assert!(
            a.code_verifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
