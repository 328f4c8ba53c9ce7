//! The one value the rest of the crate learns from this module: who a call acts for.

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

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
