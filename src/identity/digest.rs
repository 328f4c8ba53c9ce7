//! SHA-256, the one hash this module keeps of every token and secret instead of the thing itself.

use sha2::{Digest, Sha256};

/// SHA-256 of some bytes.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}
