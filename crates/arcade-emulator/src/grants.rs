//! Per-user authorizations and grants: the emulator's stand-in for Arcade's OAuth
//! broker.
//!
//! An *authorization* (`ac_…`) is one request for a provider and scopes by one user;
//! it is `pending` until the user approves or denies it on its page. A *grant* is what
//! an approval leaves: (user, provider, scopes) with a random token `tok_…`, listed as a
//! user connection. Everything is keyed by user, so one user never sees, completes or
//! uses another's authorization or grant. Waiters on `auth/status?wait=` sleep on a
//! `watch` channel per authorization and wake when it is decided.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;

use arcade_types::{AuthContext, AuthStatus, AuthorizationResponse, UserConnection};

/// Who asks for what: the identity of an authorization.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ask {
    /// The user.
    pub user_id: String,
    /// The provider, e.g. `google`.
    pub provider_id: String,
    /// The scopes, sorted and deduplicated.
    pub scopes: BTreeSet<String>,
}

impl Ask {
    /// An ask for `scopes` of `provider_id` by `user_id`.
    pub fn new(user_id: &str, provider_id: &str, scopes: &[String]) -> Self {
        Self {
            user_id: user_id.to_owned(),
            provider_id: provider_id.to_owned(),
            scopes: scopes.iter().cloned().collect(),
        }
    }
}

/// Where one authorization stands, as the API shows it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// `ac_…`.
    pub id: String,
    /// What was asked.
    pub ask: Ask,
    /// Where it stands.
    pub status: AuthStatus,
    /// The page to approve it on, while pending.
    pub url: Option<String>,
    /// Where to send the browser after the decision.
    pub next_uri: Option<String>,
    /// The grant's token, once completed.
    token: Option<String>,
}

impl Snapshot {
    /// The wire form; `with_token` adds `context.token` (only `auth/*` answers carry it).
    pub fn to_response(&self, with_token: bool) -> AuthorizationResponse {
        let context = self
            .token
            .as_ref()
            .filter(|_| with_token)
            .map(|token| AuthContext {
                token: Some(token.clone()),
                user_info: Some(json!({"sub": self.ask.user_id})),
            });
        AuthorizationResponse {
            id: Some(self.id.clone()),
            status: Some(self.status),
            url: self.url.clone(),
            user_id: Some(self.ask.user_id.clone()),
            provider_id: Some(self.ask.provider_id.clone()),
            scopes: Some(self.ask.scopes.iter().cloned().collect()),
            context,
        }
    }
}

/// Why `auth/confirm_user` was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// No such flow.
    #[error("no authorization flow '{0}': pass the id of an authorization this engine issued")]
    UnknownFlow(String),
    /// The flow belongs to someone else.
    #[error("flow '{0}' was not started by this user")]
    OtherUser(String),
}

struct Authorization {
    ask: Ask,
    next_uri: Option<String>,
    changes: watch::Sender<AuthStatus>,
}

struct Grant {
    connection_id: String,
    user_id: String,
    provider_id: String,
    scopes: BTreeSet<String>,
    token: String,
}

#[derive(Default)]
struct Inner {
    authorizations: HashMap<String, Authorization>,
    latest: HashMap<Ask, String>,
    grants: Vec<Grant>,
}

/// All authorizations and grants of one emulator.
pub struct Grants {
    url_base: String,
    inner: Mutex<Inner>,
}

impl Grants {
    /// A store whose authorization pages live under `url_base`.
    pub fn new(url_base: &str) -> Self {
        Self {
            url_base: url_base.trim_end_matches('/').to_owned(),
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("grants lock")
    }

    /// Whether the user holds a grant of the provider covering every scope asked.
    pub fn is_granted(&self, ask: &Ask) -> bool {
        self.lock().grant(ask).is_some()
    }

    /// Where the user's grant for `ask` stands (`token_status` of a tool listing).
    pub fn token_status(&self, ask: &Ask) -> AuthStatus {
        let inner = self.lock();
        if inner.grant(ask).is_some() {
            return AuthStatus::Completed;
        }
        match inner.latest_status(ask) {
            Some(status @ (AuthStatus::Pending | AuthStatus::Failed)) => status,
            _ => AuthStatus::NotStarted,
        }
    }

    /// Starts or looks up an authorization: completed if already granted, else the
    /// user's pending one for the same ask, else a new pending one.
    pub fn authorize(&self, ask: Ask, next_uri: Option<String>) -> Snapshot {
        let mut inner = self.lock();
        let wanted = match inner.grant(&ask) {
            Some(_) => AuthStatus::Completed,
            None => AuthStatus::Pending,
        };
        let reusable = inner
            .latest
            .get(&ask)
            .filter(|id| inner.status_of(id) == Some(wanted))
            .cloned();
        let id = reusable.unwrap_or_else(|| inner.create(ask, next_uri, wanted));
        self.snapshot(&inner, &id)
            .expect("authorization just stored")
    }

    /// The authorization `id`, if it exists.
    pub fn status(&self, id: &str) -> Option<Snapshot> {
        self.snapshot(&self.lock(), id)
    }

    /// The authorization `id`, after waiting up to `wait` for it to leave `pending`.
    pub async fn wait(&self, id: &str, wait: Duration) -> Option<Snapshot> {
        let mut changes = self.lock().authorizations.get(id)?.changes.subscribe();
        let decided = changes.wait_for(|status| *status != AuthStatus::Pending);
        // Decided, timed out or closed: in every case, answer with what stands now.
        let _ = tokio::time::timeout(wait, decided).await;
        self.status(id)
    }

    /// How many `auth/status?wait=` long-polls are waiting on `id` right now, so a
    /// test can see that a client gave up its wait (a dropped request ends its poll).
    pub fn waiters(&self, id: &str) -> usize {
        self.lock()
            .authorizations
            .get(id)
            .map_or(0, |a| a.changes.receiver_count())
    }

    /// Approves (storing the grant) or denies a pending authorization; a decided one is
    /// left as it is.
    pub fn decide(&self, id: &str, approve: bool) -> Option<Snapshot> {
        let mut inner = self.lock();
        let authorization = inner.authorizations.get(id)?;
        if *authorization.changes.borrow() == AuthStatus::Pending {
            let ask = authorization.ask.clone();
            let status = if approve {
                inner.store_grant(&ask);
                AuthStatus::Completed
            } else {
                AuthStatus::Failed
            };
            inner.authorizations[id].changes.send_replace(status);
        }
        self.snapshot(&inner, id)
    }

    /// `auth/confirm_user`: the flow (an authorization id) must be the user's own.
    pub fn confirm_user(&self, flow_id: &str, user_id: &str) -> Result<Snapshot, ConfirmError> {
        let snapshot = self
            .status(flow_id)
            .ok_or_else(|| ConfirmError::UnknownFlow(flow_id.to_owned()))?;
        if snapshot.ask.user_id != user_id {
            return Err(ConfirmError::OtherUser(flow_id.to_owned()));
        }
        Ok(snapshot)
    }

    /// The stored grants, oldest first, optionally of one user and/or provider.
    pub fn connections(
        &self,
        user_id: Option<&str>,
        provider_id: Option<&str>,
    ) -> Vec<UserConnection> {
        let keep = |g: &&Grant| {
            user_id.is_none_or(|u| g.user_id == u) && provider_id.is_none_or(|p| g.provider_id == p)
        };
        self.lock()
            .grants
            .iter()
            .filter(keep)
            .map(|g| UserConnection {
                id: Some(g.connection_id.clone()),
                connection_id: Some(g.connection_id.clone()),
                provider_id: Some(g.provider_id.clone()),
                provider_type: Some("oauth2".to_owned()),
                provider_description: None,
                provider_user_info: Some(json!({"sub": g.user_id, "email": g.user_id})),
                user_id: Some(g.user_id.clone()),
                connection_status: Some("active".to_owned()),
                scopes: Some(g.scopes.iter().cloned().collect()),
            })
            .collect()
    }

    /// Revokes the grant behind connection `id`; false when there is none.
    pub fn revoke(&self, connection_id: &str) -> bool {
        let mut inner = self.lock();
        let before = inner.grants.len();
        inner.grants.retain(|g| g.connection_id != connection_id);
        inner.grants.len() < before
    }

    /// Whose grant `token` is, while that grant stands: the fake provider API accepts a
    /// token only through this, so revoking the grant (deleting the user connection)
    /// makes the token stop working at once.
    pub fn holder_of(&self, token: &str) -> Option<Ask> {
        self.lock()
            .grants
            .iter()
            .find(|g| g.token == token)
            .map(|g| Ask {
                user_id: g.user_id.clone(),
                provider_id: g.provider_id.clone(),
                scopes: g.scopes.clone(),
            })
    }

    fn snapshot(&self, inner: &Inner, id: &str) -> Option<Snapshot> {
        let authorization = inner.authorizations.get(id)?;
        let status = *authorization.changes.borrow();
        let token = (status == AuthStatus::Completed)
            .then(|| inner.grant(&authorization.ask).map(|g| g.token.clone()))
            .flatten();
        Some(Snapshot {
            id: id.to_owned(),
            ask: authorization.ask.clone(),
            status,
            url: (status == AuthStatus::Pending)
                .then(|| format!("{}/authorize/{id}", self.url_base)),
            next_uri: authorization.next_uri.clone(),
            token,
        })
    }
}

impl Inner {
    fn grant(&self, ask: &Ask) -> Option<&Grant> {
        self.grants.iter().find(|g| {
            g.user_id == ask.user_id
                && g.provider_id == ask.provider_id
                && g.scopes.is_superset(&ask.scopes)
        })
    }

    fn status_of(&self, id: &str) -> Option<AuthStatus> {
        self.authorizations.get(id).map(|a| *a.changes.borrow())
    }

    fn latest_status(&self, ask: &Ask) -> Option<AuthStatus> {
        self.status_of(self.latest.get(ask)?)
    }

    fn create(&mut self, ask: Ask, next_uri: Option<String>, status: AuthStatus) -> String {
        let id = random_id("ac_");
        let (changes, _) = watch::channel(status);
        self.latest.insert(ask.clone(), id.clone());
        self.authorizations.insert(
            id.clone(),
            Authorization {
                ask,
                next_uri,
                changes,
            },
        );
        id
    }

    /// Adds the asked scopes to the user's grant of that provider, or makes one.
    fn store_grant(&mut self, ask: &Ask) {
        let existing = self
            .grants
            .iter_mut()
            .find(|g| g.user_id == ask.user_id && g.provider_id == ask.provider_id);
        match existing {
            Some(grant) => grant.scopes.extend(ask.scopes.iter().cloned()),
            None => self.grants.push(Grant {
                connection_id: random_id("uc_"),
                user_id: ask.user_id.clone(),
                provider_id: ask.provider_id.clone(),
                scopes: ask.scopes.clone(),
                token: format!("{}{}", random_id("tok_"), uuid::Uuid::new_v4().simple()),
            }),
        }
    }
}

/// `prefix` and 122 random bits (UUID v4, from the OS's secure generator).
fn random_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(user: &str) -> Ask {
        Ask::new(user, "google", &["read".to_owned()])
    }

    #[test]
    fn pending_is_reused_per_user_only() {
        let grants = Grants::new("http://emu");
        let a1 = grants.authorize(ask("a"), None);
        let a2 = grants.authorize(ask("a"), None);
        let b = grants.authorize(ask("b"), None);
        assert_eq!(a1.id, a2.id);
        assert_ne!(a1.id, b.id);
        assert_eq!(
            a1.url.as_deref(),
            Some(format!("http://emu/authorize/{}", a1.id).as_str())
        );
    }

    #[test]
    fn approval_grants_only_that_user() {
        let grants = Grants::new("http://emu");
        let a = grants.authorize(ask("a"), None);
        let done = grants.decide(&a.id, true).unwrap();
        assert_eq!(done.status, AuthStatus::Completed);
        assert!(done.token.as_deref().unwrap().starts_with("tok_"));
        assert!(grants.is_granted(&ask("a")));
        assert!(!grants.is_granted(&ask("b")));
        assert_eq!(
            grants.authorize(ask("a"), None).status,
            AuthStatus::Completed
        );
    }

    #[test]
    fn more_scopes_need_a_new_authorization() {
        let grants = Grants::new("http://emu");
        let a = grants.authorize(ask("a"), None);
        grants.decide(&a.id, true);
        let wider = Ask::new("a", "google", &["read".into(), "send".into()]);
        assert_eq!(grants.authorize(wider, None).status, AuthStatus::Pending);
    }

    #[tokio::test]
    async fn waiters_wake_on_decision() {
        let grants = std::sync::Arc::new(Grants::new("http://emu"));
        let a = grants.authorize(ask("a"), None);
        let waiter = tokio::spawn({
            let (grants, id) = (grants.clone(), a.id.clone());
            async move { grants.wait(&id, Duration::from_secs(30)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        grants.decide(&a.id, false);
        let seen = tokio::time::timeout(Duration::from_secs(2), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen.unwrap().status, AuthStatus::Failed);
    }
}
