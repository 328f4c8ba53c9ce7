//! Static bearer tokens: a file mapping token hashes to Arcade user ids.
//!
//! The file holds one token per line, `sha256:<hex> <user id>`, where `<hex>` is the
//! lowercase SHA-256 of the token ([`hash_token`]); blank lines and lines starting with `#`
//! are ignored; one user may have several tokens (rotation), a hash may appear once:
//!
//! ```text
//! # ann's laptop
//! sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae ann@example.com
//! sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9 bob@example.com
//! ```
//!
//! Neither the file nor memory holds a token, only hashes, so a leaked file or core dump
//! gives nobody a working token. Tokens must be long and random (e.g. `openssl rand -hex 32`):
//! the hash is unsalted so that a presented token can be looked up by its hash.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

use super::credentials::sha256;
use super::error::IdentityError;
use super::user::UserId;

const HASH_PREFIX: &str = "sha256:";

/// The SHA-256 of a bearer token as lowercase hex: what the token file stores instead of
/// the token (the `hash-token` subcommand prints it).
pub fn hash_token(token: &str) -> String {
    hex::encode(sha256(token.as_bytes()))
}

type TokenTable = HashMap<[u8; 32], UserId>;

/// The loaded token file; replaced whole on reload, so a lookup sees the old or the new
/// table, never half of each.
#[derive(Debug)]
pub(crate) struct TokenFile {
    path: PathBuf,
    table: RwLock<Arc<TokenTable>>,
}

impl TokenFile {
    /// Loads the file; a missing or malformed file stops startup.
    pub(crate) async fn load(path: PathBuf) -> Result<Self, IdentityError> {
        let table = read_table(&path).await?;
        warn_if_empty(&path, &table);
        Ok(Self {
            path,
            table: RwLock::new(Arc::new(table)),
        })
    }

    /// Re-reads the file and swaps the table in; a bad file leaves the old table in force.
    pub(crate) async fn reload(&self) -> Result<(), IdentityError> {
        let table = read_table(&self.path).await.inspect_err(|error| {
            tracing::warn!(%error, "kept the previous bearer tokens: the token file did not load");
        })?;
        warn_if_empty(&self.path, &table);
        tracing::info!(path = %self.path.display(), tokens = table.len(), "reloaded the token file");
        *self.table.write() = Arc::new(table);
        Ok(())
    }

    /// The user a token belongs to (looked up by the token's hash).
    pub(crate) fn user_for(&self, token: &str) -> Option<UserId> {
        self.table.read().get(&sha256(token.as_bytes())).cloned()
    }
}

fn warn_if_empty(path: &Path, table: &TokenTable) {
    if table.is_empty() {
        tracing::warn!(path = %path.display(), "the token file lists no token: every request will be refused");
    }
}

async fn read_table(path: &Path) -> Result<TokenTable, IdentityError> {
    let text =
        tokio::fs::read_to_string(path)
            .await
            .map_err(|source| IdentityError::TokenFileRead {
                path: path.to_owned(),
                source,
            })?;
    parse_table(&text).map_err(|(line, problem)| IdentityError::TokenFileLine {
        path: path.to_owned(),
        line,
        problem,
    })
}

/// Parses the whole file; an error names the 1-based line and the problem.
fn parse_table(text: &str) -> Result<TokenTable, (usize, String)> {
    let mut table = TokenTable::new();
    let mut first_seen = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let Some((hash, user)) = parse_line(line).map_err(|problem| (number, problem.into()))?
        else {
            continue;
        };
        if let Some(first) = first_seen.insert(hash, number) {
            return Err((
                number,
                format!("this token hash is already on line {first}; a token belongs to one user"),
            ));
        }
        table.insert(hash, user);
    }
    Ok(table)
}

/// One line: `None` for blanks and comments. Problems never quote the line, which may be a
/// plaintext token pasted by mistake.
fn parse_line(line: &str) -> Result<Option<([u8; 32], UserId)>, &'static str> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [hash, user] = fields[..] else {
        return Err("expected `sha256:<64 hex digits> <user id>`");
    };
    let mut digest = [0u8; 32];
    hash.strip_prefix(HASH_PREFIX)
        .and_then(|hex| hex::decode_to_slice(hex, &mut digest).ok())
        .ok_or(
            "the first field must be `sha256:` and the 64-hex-digit SHA-256 of the token; \
             store the hash, never the token (make it with the `hash-token` subcommand)",
        )?;
    Ok(Some((digest, UserId::new(user))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_token_is_lowercase_sha256_hex() {
        assert_eq!(
            hash_token("foo"),
            "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
        );
    }

    #[test]
    fn parses_hashes_comments_and_blank_lines() {
        let text = format!(
            "# team\n\n  sha256:{} ann\nsha256:{}\tbob\nsha256:{} ann\n",
            hash_token("t-ann"),
            hash_token("t-bob").to_uppercase(),
            hash_token("t-ann-2"),
        );
        let table = parse_table(&text).unwrap();
        assert_eq!(table.len(), 3);
        assert_eq!(table[&sha256(b"t-bob")], UserId::new("bob"));
        assert_eq!(table[&sha256(b"t-ann-2")], UserId::new("ann"));
    }

    #[test]
    fn refuses_plaintext_tokens_without_quoting_them() {
        let (line, problem) = parse_table("# ok\nmy-secret-token ann\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(problem.contains("never the token"), "{problem}");
        assert!(!problem.contains("my-secret-token"));
    }

    #[test]
    fn refuses_malformed_lines() {
        let hash = hash_token("t");
        for bad in [
            format!("sha256:{hash}"),
            format!("sha256:{hash} ann extra"),
            format!("sha256:{} ann", &hash[..10]),
            format!("md5:{hash} ann"),
        ] {
            assert!(parse_table(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_a_hash_given_to_two_users() {
        let hash = hash_token("t");
        let (line, problem) =
            parse_table(&format!("sha256:{hash} ann\nsha256:{hash} bob\n")).unwrap_err();
        assert_eq!(line, 2);
        assert!(problem.contains("line 1"));
    }
}
