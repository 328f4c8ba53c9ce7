//! `--redis-url`: checked once, kept secret (it may hold a password), and shown only as
//! its scheme, host, port and database.

use redis::IntoConnectionInfo;
use secrecy::{ExposeSecret, SecretString};

/// The Redis to share state through. Its `Debug` and [`RedisUrl::shown`] leave out the
/// user name, the password and the query.
#[derive(Clone)]
pub struct RedisUrl {
    secret: SecretString,
    shown: String,
}

/// Why `--redis-url` cannot be used. Neither message quotes the URL: it may hold a password.
#[derive(Debug, thiserror::Error)]
pub enum RedisUrlError {
    /// Not a URL at all.
    #[error(
        "--redis-url (ARCADE_GATEWAY_REDIS_URL) is not a URL ({0}); give one like \
         redis://redis.internal:6379/0, redis://:PASSWORD@host:6379, rediss://host:6380 \
         for TLS, or unix:///run/redis.sock"
    )]
    NotUrl(::url::ParseError),
    /// A URL the Redis client cannot use (another scheme, no host, a bad database…).
    #[error(
        "--redis-url (ARCADE_GATEWAY_REDIS_URL) cannot be used: {0}; give one like \
         redis://redis.internal:6379/0, rediss://host:6380 for TLS, or unix:///run/redis.sock"
    )]
    Unusable(String),
}

impl RedisUrl {
    /// Checks `raw` the way the Redis client will read it.
    pub fn parse(raw: &str) -> Result<Self, RedisUrlError> {
        let url = ::url::Url::parse(raw.trim()).map_err(RedisUrlError::NotUrl)?;
        url.clone()
            .into_connection_info()
            .map_err(|error| RedisUrlError::Unusable(error.to_string()))?;
        Ok(Self {
            shown: shown(&url),
            secret: SecretString::from(url.to_string()),
        })
    }

    /// The URL without its credentials and query, for logs and `/readyz`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The whole URL, to connect with.
    pub(super) fn expose(&self) -> &str {
        self.secret.expose_secret()
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RedisUrl").field(&self.shown).finish()
    }
}

/// `scheme://host:port/path` of `url`: what says which Redis, and nothing that opens it.
fn shown(url: &::url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{host}{port}{}", url.scheme(), url.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        let url =
            RedisUrl::parse("redis://admin:pa55-SECRET@10.0.0.7:6380/2?protocol=resp3").unwrap();
        assert_eq!(url.shown(), "redis://10.0.0.7:6380/2");
        assert!(!format!("{url:?}").contains("SECRET"));
        assert!(url.expose().contains("pa55-SECRET"));
    }

    #[test]
    fn a_wrong_url_says_what_to_give_without_quoting_it() {
        for raw in ["not a url SECRET", "http://user:SECRET@host/", "redis:///0"] {
            let error = RedisUrl::parse(raw).unwrap_err().to_string();
            assert!(error.contains("redis://redis.internal:6379/0"), "{error}");
            assert!(!error.contains("SECRET"), "{error}");
        }
        assert_eq!(
            RedisUrl::parse("unix:///run/redis.sock").unwrap().shown(),
            "unix:///run/redis.sock"
        );
    }
}
