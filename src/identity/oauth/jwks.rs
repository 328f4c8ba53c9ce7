//! The authorization server's signing keys (JWKS): discovered, fetched on first use,
//! cached, and refetched when a token names a key we do not have (the server rotated
//! its keys) or when the cache is old.
//!
//! Refetches are single-flight (concurrent requests wait for one fetch) and rate-limited
//! (a burst of [`FETCH_BURST`], then one per [`FETCH_PERIOD`]), so tokens with made-up
//! key ids cannot make this server hammer the authorization server.
//!
//! Old keys that still verify keep being used: a token whose key is known but old is
//! verified at once and the keys are refreshed in the background, one refresh at a
//! time, with a growing pause after each failure. So a slow or failing authorization
//! server delays nobody's request and is not asked again by every waiting request.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use parking_lot::RwLock;
use reqwest::header::ACCEPT;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, OnceCell};
use url::Url;

use crate::identity::config::require_https_or_loopback;
use crate::identity::error::IdentityError;

/// How long fetched keys are used before they are fetched again.
const MAX_KEY_AGE: Duration = Duration::from_secs(10 * 60);
/// Fetches allowed back to back.
const FETCH_BURST: u32 = 3;
/// Then one fetch per this period.
const FETCH_PERIOD: Duration = Duration::from_secs(10);
/// Largest discovery document or JWKS accepted.
const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// Time allowed for one fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause after the first failed fetch; it doubles with each further failure.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
/// The longest pause between failed fetches.
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// One verification key from the JWKS.
pub(crate) struct VerifyKey {
    kid: Option<String>,
    /// The algorithm the JWKS pins this key to, if it does.
    pub(crate) algorithm: Option<Algorithm>,
    pub(crate) decoding: DecodingKey,
}

impl VerifyKey {
    /// A public signing key from a JWK; `None` for encryption keys, shared secrets and
    /// keys this library cannot use.
    fn from_jwk(jwk: &Jwk) -> Option<Self> {
        if jwk.common.public_key_use == Some(PublicKeyUse::Encryption)
            || matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_))
        {
            return None;
        }
        let algorithm = match jwk.common.key_algorithm {
            Some(alg) => Some(Algorithm::try_from(alg).ok()?),
            None => None,
        };
        Some(Self {
            kid: jwk.common.key_id.clone(),
            algorithm,
            decoding: DecodingKey::from_jwk(jwk).ok()?,
        })
    }
}

/// The keys of one fetch.
#[derive(Default)]
struct KeySet {
    keys: Vec<Arc<VerifyKey>>,
    /// When they were fetched; `None` until a fetch succeeds.
    fetched_at: Option<Instant>,
    /// Bumped by every fetch, failed or not, so a waiter can tell someone else tried.
    generation: u64,
}

impl KeySet {
    /// The key a token names; a token without `kid` may use the only key there is.
    fn find(&self, kid: Option<&str>) -> Option<Arc<VerifyKey>> {
        match (kid, &self.keys[..]) {
            (Some(kid), keys) => keys.iter().find(|key| key.kid.as_deref() == Some(kid)),
            (None, [only]) => Some(only),
            (None, _) => None,
        }
        .cloned()
    }

    fn is_fresh(&self, max_age: Duration) -> bool {
        self.fetched_at
            .is_some_and(|fetched| fetched.elapsed() < max_age)
    }
}

/// Why no key could be found for a token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum KeyLookupError {
    /// The keys are known but none matches the token.
    UnknownKey,
    /// No keys could be fetched yet (the authorization server is unreachable or misconfigured).
    Unavailable,
}

/// Why a fetch failed; only logged.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("GET {url}: {source}")]
    Http { url: Url, source: reqwest::Error },
    #[error("GET {url}: HTTP {status}")]
    Status {
        url: Url,
        status: reqwest::StatusCode,
    },
    #[error("GET {url}: the document is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge { url: Url },
    #[error("GET {url}: not the expected JSON: {source}")]
    Json { url: Url, source: serde_json::Error },
    #[error(
        "no authorization server metadata names issuer {issuer} with a usable jwks_uri (tried {tried})"
    )]
    NoMetadata { issuer: Url, tried: String },
}

/// The subset of RFC 8414 / OpenID discovery metadata used here.
#[derive(Deserialize)]
struct ServerMetadata {
    issuer: String,
    jwks_uri: String,
}

/// A JWKS whose keys are parsed one by one, so one exotic key does not hide the others.
#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<serde_json::Value>,
}

/// The cached keys of one authorization server. Cheap to share: background refreshes
/// hold a clone of the inner state.
pub(crate) struct JwksCache {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    issuer: Url,
    jwks_url: OnceCell<Url>,
    current: RwLock<Arc<KeySet>>,
    refresh: Mutex<()>,
    limiter: DefaultDirectRateLimiter,
    /// How long fetched keys count as fresh ([`MAX_KEY_AGE`]; shorter in tests).
    max_age: Duration,
    /// Set while a background refresh runs, so there is only ever one.
    refreshing: AtomicBool,
    /// Failed fetches in a row and when the next fetch may be tried.
    backoff: parking_lot::Mutex<Backoff>,
}

#[derive(Default)]
struct Backoff {
    failures: u32,
    until: Option<Instant>,
}

impl Backoff {
    fn waiting(&self) -> bool {
        self.until.is_some_and(|until| Instant::now() < until)
    }

    fn failed(&mut self) {
        let pause = BACKOFF_MIN
            .saturating_mul(1 << self.failures.min(16))
            .min(BACKOFF_MAX);
        self.failures = self.failures.saturating_add(1);
        self.until = Some(Instant::now() + pause);
    }
}

impl JwksCache {
    /// A cache that fetches nothing until the first token arrives, so an authorization
    /// server that is down at startup does not keep this server from starting.
    pub(crate) fn new(issuer: Url, jwks_url: Option<Url>) -> Result<Self, IdentityError> {
        Self::with_max_age(issuer, jwks_url, MAX_KEY_AGE)
    }

    fn with_max_age(
        issuer: Url,
        jwks_url: Option<Url>,
        max_age: Duration,
    ) -> Result<Self, IdentityError> {
        require_https_or_loopback("OAuth issuer", &issuer)?;
        if let Some(url) = &jwks_url {
            require_https_or_loopback("JWKS URL", url)?;
        }
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(IdentityError::HttpClient)?;
        let burst = NonZeroU32::new(FETCH_BURST).expect("FETCH_BURST is not zero");
        let quota = Quota::with_period(FETCH_PERIOD)
            .expect("FETCH_PERIOD is not zero")
            .allow_burst(burst);
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                issuer,
                jwks_url: OnceCell::new_with(jwks_url),
                current: RwLock::default(),
                refresh: Mutex::new(()),
                limiter: RateLimiter::direct(quota),
                max_age,
                refreshing: AtomicBool::new(false),
                backoff: parking_lot::Mutex::default(),
            }),
        })
    }

    /// The key a token's `kid` names. A known key is used at once, old or not (old
    /// keys start a background refresh); an unknown one waits for a refetch.
    pub(crate) async fn key_for(
        &self,
        kid: Option<&str>,
    ) -> Result<Arc<VerifyKey>, KeyLookupError> {
        let seen = self.inner.snapshot();
        if let Some(key) = seen.find(kid) {
            if !seen.is_fresh(self.inner.max_age) {
                self.refresh_in_background();
            }
            return Ok(key);
        }
        let current = self.inner.refresh(seen.generation).await;
        current.find(kid).ok_or(match current.fetched_at {
            Some(_) => KeyLookupError::UnknownKey,
            None => KeyLookupError::Unavailable,
        })
    }

    /// Starts a refresh unless one is running or a failure's pause has not passed.
    fn refresh_in_background(&self) {
        if self.inner.backing_off() || self.inner.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let seen = inner.snapshot().generation;
            inner.refresh(seen).await;
            inner.refreshing.store(false, Ordering::Release);
        });
    }
}

impl Inner {
    fn snapshot(&self) -> Arc<KeySet> {
        self.current.read().clone()
    }

    fn backing_off(&self) -> bool {
        self.backoff.lock().waiting()
    }

    fn publish(&self, next: KeySet) -> Arc<KeySet> {
        let next = Arc::new(next);
        *self.current.write() = next.clone();
        next
    }

    /// Fetches the keys unless another task already tried since `seen`, a failure's
    /// pause has not passed, or the rate limit says wait; keeps the old keys when the
    /// fetch fails.
    async fn refresh(&self, seen: u64) -> Arc<KeySet> {
        let _only_one_fetch = self.refresh.lock().await;
        let current = self.snapshot();
        if current.generation != seen || self.backing_off() || self.limiter.check().is_err() {
            return current;
        }
        match self.fetch_keys().await {
            Ok(keys) => {
                tracing::info!(issuer = %self.issuer, keys = keys.len(), "fetched the authorization server's signing keys");
                *self.backoff.lock() = Backoff::default();
                self.publish(KeySet {
                    keys,
                    fetched_at: Some(Instant::now()),
                    generation: seen + 1,
                })
            }
            Err(error) => {
                tracing::warn!(%error, kept = current.keys.len(), "could not fetch the authorization server's signing keys (JWKS)");
                self.backoff.lock().failed();
                // A new generation, so the requests that waited for this attempt use
                // its outcome instead of each trying again.
                self.publish(KeySet {
                    keys: current.keys.clone(),
                    fetched_at: current.fetched_at,
                    generation: seen + 1,
                })
            }
        }
    }

    async fn fetch_keys(&self) -> Result<Vec<Arc<VerifyKey>>, FetchError> {
        let url = self.jwks_url.get_or_try_init(|| self.discover()).await?;
        let set: RawKeySet = self.get_json(url).await?;
        Ok(set
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| VerifyKey::from_jwk(&jwk).map(Arc::new))
            .collect())
    }

    /// Finds `jwks_uri` in the issuer's metadata (RFC 8414, then OpenID Connect Discovery).
    async fn discover(&self) -> Result<Url, FetchError> {
        let candidates = discovery_urls(&self.issuer);
        for url in &candidates {
            match self.get_json::<ServerMetadata>(url).await {
                Ok(meta) => match self.jwks_uri_of_our_issuer(&meta) {
                    Some(jwks_uri) => return Ok(jwks_uri),
                    None => {
                        tracing::warn!(%url, issuer = meta.issuer, "ignored metadata of another issuer, or with a jwks_uri that is not https")
                    }
                },
                Err(error) => tracing::debug!(%error, "no authorization server metadata here"),
            }
        }
        Err(FetchError::NoMetadata {
            issuer: self.issuer.clone(),
            tried: candidates
                .iter()
                .map(Url::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The metadata's `jwks_uri`, if the metadata is about the issuer we asked for (RFC 8414
    /// §3.3) and the keys come over HTTPS.
    fn jwks_uri_of_our_issuer(&self, meta: &ServerMetadata) -> Option<Url> {
        let ours = meta.issuer.trim_end_matches('/') == self.issuer.as_str().trim_end_matches('/');
        let jwks_uri = Url::parse(&meta.jwks_uri).ok()?;
        (ours && require_https_or_loopback("jwks_uri", &jwks_uri).is_ok()).then_some(jwks_uri)
    }

    async fn get_json<T: DeserializeOwned>(&self, url: &Url) -> Result<T, FetchError> {
        get_json(&self.client, url).await
    }
}

/// GETs `url` and reads its JSON, refusing an error status and a body over
/// [`MAX_DOCUMENT_BYTES`]: for the issuer's metadata and keys, which come from outside.
pub(crate) async fn get_json<T: DeserializeOwned>(
    client: &reqwest::Client,
    url: &Url,
) -> Result<T, FetchError> {
    let http = |source| FetchError::Http {
        url: url.clone(),
        source,
    };
    let mut response = client
        .get(url.clone())
        .header(ACCEPT, "application/json")
        .send()
        .await
        .map_err(http)?;
    if !response.status().is_success() {
        let status = response.status();
        return Err(FetchError::Status {
            url: url.clone(),
            status,
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http)? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(FetchError::TooLarge { url: url.clone() });
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|source| FetchError::Json {
        url: url.clone(),
        source,
    })
}

/// Where the issuer's metadata may be, in the order the MCP authorization spec tries them:
/// the well-known name inserted before the issuer's path, then (OpenID) appended to it.
pub(crate) fn discovery_urls(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    let mut paths = vec![
        format!("/.well-known/oauth-authorization-server{path}"),
        format!("/.well-known/openid-configuration{path}"),
    ];
    if !path.is_empty() {
        paths.push(format!("{path}/.well-known/openid-configuration"));
    }
    paths
        .into_iter()
        .map(|path| {
            let mut url = issuer.clone();
            url.set_path(&path);
            url.set_query(None);
            url.set_fragment(None);
            url
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(issuer: &str) -> Vec<String> {
        discovery_urls(&Url::parse(issuer).unwrap())
            .iter()
            .map(|url| url.to_string())
            .collect()
    }

    #[test]
    fn discovery_of_an_issuer_without_a_path() {
        assert_eq!(
            paths("https://auth.example"),
            [
                "https://auth.example/.well-known/oauth-authorization-server",
                "https://auth.example/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn discovery_of_an_issuer_with_a_path() {
        assert_eq!(
            paths("https://auth.example/tenant1/"),
            [
                "https://auth.example/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example/.well-known/openid-configuration/tenant1",
                "https://auth.example/tenant1/.well-known/openid-configuration",
            ]
        );
    }

    /// A JWKS endpoint on loopback serving one key, that can turn slow and failing.
    async fn slow_jwks() -> (Url, Arc<(std::sync::atomic::AtomicUsize, AtomicBool)>) {
        use jsonwebtoken::EncodingKey;
        let pem = include_bytes!("../../../tests/fixtures/identity/TEST_ONLY_rsa_a.pem");
        let encoding = EncodingKey::from_rsa_pem(pem).unwrap();
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some("k1".into());
        let body = serde_json::json!({ "keys": [jwk] });
        let state = Arc::new((
            std::sync::atomic::AtomicUsize::new(0),
            AtomicBool::new(false),
        ));
        let seen = state.clone();
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (state, body) = (seen.clone(), body.clone());
                async move {
                    state.0.fetch_add(1, Ordering::SeqCst);
                    if state.1.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
                    }
                    Ok(axum::Json(body))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (Url::parse(&format!("http://{addr}/jwks")).unwrap(), state)
    }

    #[tokio::test]
    async fn stale_keys_keep_verifying_while_one_bounded_refresh_runs() {
        let (jwks, server) = slow_jwks().await;
        let issuer = Url::parse("http://127.0.0.1/").unwrap();
        let cache = Arc::new(JwksCache::with_max_age(issuer, Some(jwks), Duration::ZERO).unwrap());
        assert!(cache.key_for(Some("k1")).await.is_ok());
        assert_eq!(server.0.load(Ordering::SeqCst), 1);

        // The identity provider turns slow and failing; every key is now old.
        server.1.store(true, Ordering::SeqCst);
        let started = Instant::now();
        let lookups = (0..20).map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.key_for(Some("k1")).await.is_ok() })
        });
        for lookup in lookups {
            assert!(lookup.await.unwrap(), "the old key still verifies");
        }
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "no request waited for the slow fetch: {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(server.0.load(Ordering::SeqCst), 2, "one refresh at a time");

        // After the failure, a pause: no request starts another fetch at once.
        for _ in 0..10 {
            assert!(cache.key_for(Some("k1")).await.is_ok());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            server.0.load(Ordering::SeqCst),
            2,
            "backing off after a failure"
        );
    }
}
