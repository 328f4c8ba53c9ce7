//! Per-user authorizations and grants: the emulator's stand-in for Arcade's OAuth
//! broker.
//!
//! An *authorization* (`ac_…`) is one request for a provider and scopes by one user;
//! it is `pending` until the user approves or denies it on its page. A *grant* is what
//! an approval leaves: (user, provider, scopes) with a random token `tok_…`, listed as a
//! user connection. Everything is keyed by user, so one user never sees, completes or
//! uses another's authorization or grant. Waiters on `auth/status?wait=` sleep on a
//! `watch` channel per authorization and wake when it is decided.

use parking_lot::Mutex;
use std::collections::{BTreeSet, HashMap};
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
    /// No such flow, or one already confirmed.
    #[error(
        "no authorization flow '{0}' awaits confirmation: pass the flow_id this engine sent to \
         the user verifier (each is confirmed once)"
    )]
    UnknownFlow(String),
    /// The flow belongs to someone else: nothing is granted, and the flow stays pending.
    #[error("flow '{0}' was not started by this user; nothing was granted")]
    OtherUser(String),
}

/// What the person's approval on the consent page leads to.
#[derive(Debug, Clone)]
pub enum Consent {
    /// Decided: denied, or approved in a project without a custom user verifier.
    Decided(Snapshot),
    /// Approved, and the project has a custom user verifier: the browser is sent to
    /// this URL (the verifier's, with `?flow_id=…`); the grant waits for
    /// `auth/confirm_user`.
    Verify(String),
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
    /// Flows awaiting the user verifier's confirmation: flow id → authorization id.
    flows: HashMap<String, String>,
}

/// All authorizations and grants of one emulator.
pub struct Grants {
    url_base: String,
    user_verifier_url: Option<String>,
    inner: Mutex<Inner>,
}

impl Grants {
    /// A store whose authorization pages live under `url_base`.
    pub fn new(url_base: &str) -> Self {
        Self {
            url_base: url_base.trim_end_matches('/').to_owned(),
            user_verifier_url: None,
            inner: Mutex::default(),
        }
    }

    /// The same store for a project whose custom user verifier is at `url`, if any.
    pub fn with_user_verifier(mut self, url: Option<String>) -> Self {
        self.user_verifier_url = url;
        self
    }

    /// Whether the user holds a grant of the provider covering every scope asked.
    pub fn is_granted(&self, ask: &Ask) -> bool {
        self.inner.lock().grant(ask).is_some()
    }

    /// Where the user's grant for `ask` stands (`token_status` of a tool listing).
    pub fn token_status(&self, ask: &Ask) -> AuthStatus {
        let inner = self.inner.lock();
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
        let mut inner = self.inner.lock();
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
        self.snapshot(&self.inner.lock(), id)
    }

    /// The authorization `id`, after waiting up to `wait` for it to leave `pending`.
    pub async fn wait(&self, id: &str, wait: Duration) -> Option<Snapshot> {
        let mut changes = self
            .inner
            .lock()
            .authorizations
            .get(id)?
            .changes
            .subscribe();
        let decided = changes.wait_for(|status| *status != AuthStatus::Pending);
        // Decided, timed out or closed: in every case, answer with what stands now.
        let _ = tokio::time::timeout(wait, decided).await;
        self.status(id)
    }

    /// How many `auth/status?wait=` long-polls are waiting on `id` right now, so a
    /// test can see that a client gave up its wait (a dropped request ends its poll).
    pub fn waiters(&self, id: &str) -> usize {
        self.inner
            .lock()
            .authorizations
            .get(id)
            .map_or(0, |a| a.changes.receiver_count())
    }

    /// The person's decision on the consent page of a pending authorization (a decided
    /// one is left as it is): a denial fails it; an approval stores the grant, or, when
    /// the project has a custom user verifier, starts a flow that waits for it.
    pub fn consent(&self, id: &str, approve: bool) -> Option<Consent> {
        let mut inner = self.inner.lock();
        let authorization = inner.authorizations.get(id)?;
        let pending = *authorization.changes.borrow() == AuthStatus::Pending;
        if let (true, true, Some(verifier)) = (pending, approve, &self.user_verifier_url) {
            let flow_id = random_id("af_");
            inner.flows.insert(flow_id.clone(), id.to_owned());
            return Some(Consent::Verify(verifier_redirect(verifier, &flow_id)));
        }
        if pending {
            inner.settle(id, approve);
        }
        self.snapshot(&inner, id).map(Consent::Decided)
    }

    /// `auth/confirm_user`: completes the flow's grant when `user_id` is the user it was
    /// started for. Otherwise nothing changes: the flow stays pending for its own user.
    pub fn confirm_user(&self, flow_id: &str, user_id: &str) -> Result<Snapshot, ConfirmError> {
        let mut inner = self.inner.lock();
        let unknown = || ConfirmError::UnknownFlow(flow_id.to_owned());
        let id = inner.flows.get(flow_id).cloned().ok_or_else(unknown)?;
        let owner = &inner
            .authorizations
            .get(&id)
            .ok_or_else(unknown)?
            .ask
            .user_id;
        if owner != user_id {
            return Err(ConfirmError::OtherUser(flow_id.to_owned()));
        }
        inner.flows.remove(flow_id);
        inner.settle(&id, true);
        self.snapshot(&inner, &id).ok_or_else(unknown)
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
        self.inner
            .lock()
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
        let mut inner = self.inner.lock();
        let before = inner.grants.len();
        inner.grants.retain(|g| g.connection_id != connection_id);
        inner.grants.len() < before
    }

    /// Whose grant `token` is, while that grant stands: the fake provider API accepts a
    /// token only through this, so revoking the grant (deleting the user connection)
    /// makes the token stop working at once.
    pub fn holder_of(&self, token: &str) -> Option<Ask> {
        self.inner
            .lock()
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
    /// Approves (storing the grant) or denies the pending authorization `id`, waking
    /// its waiters.
    fn settle(&mut self, id: &str, approve: bool) {
        let status = if approve {
            let ask = self.authorizations[id].ask.clone();
            self.store_grant(&ask);
            AuthStatus::Completed
        } else {
            AuthStatus::Failed
        };
        self.authorizations[id].changes.send_replace(status);
    }

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

/// `verifier` with `flow_id` added to its query.
fn verifier_redirect(verifier: &str, flow_id: &str) -> String {
    let separator = if verifier.contains('?') { '&' } else { '?' };
    format!("{verifier}{separator}flow_id={flow_id}")
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
        let Some(Consent::Decided(done)) = grants.consent(&a.id, true) else {
            panic!("without a verifier, an approval decides");
        };
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
        grants.consent(&a.id, true);
        let wider = Ask::new("a", "google", &["read".into(), "send".into()]);
        assert_eq!(grants.authorize(wider, None).status, AuthStatus::Pending);
    }

    #[test]
    fn with_a_verifier_only_the_flows_own_user_completes_it() {
        let grants = Grants::new("http://emu").with_user_verifier(Some("https://gw/verify".into()));
        let a = grants.authorize(ask("a"), Some("https://app/next".into()));
        let Some(Consent::Verify(url)) = grants.consent(&a.id, true) else {
            panic!("with a verifier, an approval goes to it");
        };
        let flow = url.strip_prefix("https://gw/verify?flow_id=").unwrap();
        assert!(flow.starts_with("af_"), "{url}");
        assert_eq!(grants.status(&a.id).unwrap().status, AuthStatus::Pending);
        assert!(matches!(
            grants.confirm_user(flow, "b"),
            Err(ConfirmError::OtherUser(_))
        ));
        assert!(!grants.is_granted(&ask("b")) && !grants.is_granted(&ask("a")));
        assert_eq!(grants.status(&a.id).unwrap().status, AuthStatus::Pending);
        let done = grants.confirm_user(flow, "a").unwrap();
        assert_eq!(done.status, AuthStatus::Completed);
        assert_eq!(done.next_uri.as_deref(), Some("https://app/next"));
        assert!(grants.is_granted(&ask("a")));
        assert!(matches!(
            grants.confirm_user(flow, "a"),
            Err(ConfirmError::UnknownFlow(_))
        ));
        assert!(matches!(
            grants.confirm_user(&a.id, "a"),
            Err(ConfirmError::UnknownFlow(_))
        ));
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
        grants.consent(&a.id, false);
        let seen = tokio::time::timeout(Duration::from_secs(2), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen.unwrap().status, AuthStatus::Failed);
    }
}
