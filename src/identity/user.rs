//! Who a request acts for, the one thing the rest of the crate learns from this module:
//! the [`UserId`] whose grants a call uses, and what a request [`Verified`] (the user
//! and, in OAuth mode, the [`OAuthClientId`] its access token was issued to, for the
//! audit log; the client id grants nothing).

use std::fmt;
use std::sync::Arc;

/// The Arcade user id of the person a call acts for: whose grants it uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(Arc<str>);

impl UserId {
    /// Wraps an Arcade user id; the identity modes only build it from what the transport proved.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        Self(id.into())
    }

    /// The id as Arcade expects it in `user_id`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// For logs and messages: control characters (CR, LF, ESC, …) are escaped, because a
/// user id may come from a token claim, and raw it could forge log lines or terminal
/// output. Send [`UserId::as_str`] to Arcade, never this.
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_forge_log_lines() {
        let user = UserId::new("ann\r\nINFO forged\u{1b}[2J");
        assert_eq!(user.to_string(), "ann\\r\\nINFO forged\\u{1b}[2J");
        assert_eq!(user.as_str(), "ann\r\nINFO forged\u{1b}[2J");
    }
}
