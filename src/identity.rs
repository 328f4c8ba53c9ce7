//! Who is calling. The user id sent to Arcade comes from the transport (here: the
//! fixed user of a stdio server), never from tool arguments.

use std::fmt;
use std::sync::Arc;

/// The Arcade user id of the person a call acts for: whose grants it uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(Arc<str>);

impl UserId {
    /// Wraps an id that has already been checked to be non-empty.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        Self(id.into())
    }

    /// The id as Arcade takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
