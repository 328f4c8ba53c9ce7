//! Provider tokens in memory, per (user, provider, scope set), for a short time: a
//! call for a user who granted access needs one provider round trip, not an extra one
//! to Arcade. Nothing is written anywhere; entries expire after [`TOKEN_TTL`] and are
//! wiped when dropped ([`ProviderToken`] is a `SecretString`).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// The cache; clones share it.
#[derive(Debug, Clone)]
pub struct TokenCache {
    ttl: Duration,
    entries: Arc<Mutex<HashMap<Key, (ProviderToken, Instant)>>>,
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
            ttl,
            entries: Arc::default(),
        }
    }

    /// The user's unexpired token for `grant`.
    pub fn get(&self, user: &UserId, grant: &Grant) -> Option<ProviderToken> {
        let mut entries = self.lock();
        let now = Instant::now();
        entries.retain(|_, (_, stored)| now.duration_since(*stored) < self.ttl);
        entries.get(&Key::new(user, grant)).map(|(t, _)| t.clone())
    }

    /// Keeps the user's token for `grant`.
    pub fn put(&self, user: &UserId, grant: &Grant, token: ProviderToken) {
        self.lock()
            .insert(Key::new(user, grant), (token, Instant::now()));
    }

    /// Forgets the user's token for `grant` (the provider refused it).
    pub fn remove(&self, user: &UserId, grant: &Grant) {
        self.lock().remove(&Key::new(user, grant));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (ProviderToken, Instant)>> {
        self.entries.lock().expect("token cache lock")
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
