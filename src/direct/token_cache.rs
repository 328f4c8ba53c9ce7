//! Provider tokens in memory, per (user, provider, scope set), for a short time: a
//! call for a user who granted access needs one provider round trip, not an extra one
//! to Arcade. Nothing is written anywhere; entries expire after [`TOKEN_TTL`] (moka's
//! time-to-live) and are wiped when dropped ([`ProviderToken`] is a `SecretString`).

use std::collections::BTreeSet;
use std::time::Duration;

use moka::sync::Cache;

use super::tool::{Grant, ProviderToken};
use crate::identity::UserId;

/// How long a token is reused before Arcade is asked again (it may have rotated it).
pub const TOKEN_TTL: Duration = Duration::from_secs(300);

/// Whose token for what: a token for one user is never looked up for another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    user: UserId,
    provider_id: String,
    scopes: BTreeSet<String>,
}

impl Key {
    fn new(user: &UserId, grant: &Grant) -> Self {
        Self {
            user: user.clone(),
            provider_id: grant.provider_id.clone(),
            scopes: grant.scopes.iter().cloned().collect(),
        }
    }
}

/// Most tokens kept at once, so a flood of users cannot grow memory without bound.
const MAX_TOKENS: u64 = 100_000;

/// The cache; clones share it.
#[derive(Debug, Clone)]
pub struct TokenCache {
    entries: Cache<Key, ProviderToken>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::with_ttl(TOKEN_TTL)
    }
}

impl TokenCache {
    /// A cache whose tokens live `ttl`.
    pub fn with_ttl(ttl: Duration) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(MAX_TOKENS)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The user's unexpired token for `grant`.
    pub fn get(&self, user: &UserId, grant: &Grant) -> Option<ProviderToken> {
        self.entries.get(&Key::new(user, grant))
    }

    /// Keeps the user's token for `grant`.
    pub fn put(&self, user: &UserId, grant: &Grant, token: ProviderToken) {
        self.entries.insert(Key::new(user, grant), token);
    }

    /// Forgets the user's token for `grant` (the provider refused it).
    pub fn remove(&self, user: &UserId, grant: &Grant) {
        self.entries.invalidate(&Key::new(user, grant));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_per_user_and_scope_set() {
        let cache = TokenCache::default();
        let (ann, bob) = (UserId::new("ann"), UserId::new("bob"));
        let grant = Grant::new("google", &["b", "a"]);
        cache.put(&ann, &grant, ProviderToken::new("tok_ann".into()));
        assert_eq!(
            cache
                .get(&ann, &Grant::new("google", &["a", "b"]))
                .unwrap()
                .expose_secret(),
            "tok_ann"
        );
        assert!(cache.get(&bob, &grant).is_none());
        assert!(cache.get(&ann, &Grant::new("google", &["a"])).is_none());
        cache.remove(&ann, &grant);
        assert!(cache.get(&ann, &grant).is_none());
    }

    #[test]
    fn tokens_expire() {
        let cache = TokenCache::with_ttl(Duration::ZERO);
        let ann = UserId::new("ann");
        let grant = Grant::new("github", &[]);
        cache.put(&ann, &grant, ProviderToken::new("tok".into()));
        assert!(cache.get(&ann, &grant).is_none());
    }
}
