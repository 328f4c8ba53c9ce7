//! What a request proved: the user it acts for and, in OAuth mode, the client its
//! access token was issued to (for the audit log; it grants nothing).

use std::sync::Arc;

use super::user_id::UserId;

/// Who a request proved to be, as the identity middleware puts it on the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The user the request acts for.
    pub user: UserId,
    /// The OAuth client the access token was issued to, when the token names one.
    pub oauth_client: Option<OAuthClientId>,
}

impl From<UserId> for Verified {
    fn from(user: UserId) -> Self {
        Self {
            user,
            oauth_client: None,
        }
    }
}

/// The OAuth client id of a verified access token (its `client_id` or `azp` claim).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OAuthClientId(Arc<str>);

impl OAuthClientId {
    /// Wraps a client id read from a verified token.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        Self(id.into())
    }

    /// The id as the authorization server issued it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
