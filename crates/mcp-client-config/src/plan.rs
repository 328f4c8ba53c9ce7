//! `configure` in two steps: [`plan`] checks everything and computes the new file
//! without touching the disk (all `--print` needs), [`Plan::apply`] writes it.

use std::fmt;
use std::path::{Path, PathBuf};

use super::entry::{Edit, Entry, KeyUse};
use super::file::{self, Existing};
use super::json;
use super::{Client, ConfigureError, Format, Homes, Launch, Scope, codex};

/// What `configure` was asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// The client whose file gets the entry.
    pub client: Client,
    /// The entry's name (`arcade` unless told otherwise).
    pub name: String,
    /// The user's file or a project's.
    pub scope: Scope,
    /// Replace an entry of the same name.
    pub force: bool,
    /// The launch the entry describes.
    pub launch: Launch,
}

/// The checked outcome of a [`Request`], not yet written.
#[derive(Debug)]
pub struct Plan {
    /// The file that gets the entry.
    pub path: PathBuf,
    /// Its whole new content.
    pub text: String,
    /// What the person should know before the client starts the server.
    pub notes: Vec<Note>,
    old: Option<Existing>,
    /// The file holds the key's value, so only its owner may read it.
    private: bool,
}

/// Something to tell the person about the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The key's value is in this file (the client cannot reference a variable).
    KeyWritten(PathBuf),
    /// The entry references `ARCADE_API_KEY`, which is not set here: the client must
    /// have it in its own environment.
    ClientNeedsKey(Client),
}

/// What [`Plan::apply`] did.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Where the old file was copied, or `None` for a new file.
    pub backup: Option<PathBuf>,
}

/// Reads the client's file and computes its new content; an error leaves no trace.
pub fn plan(request: &Request, homes: &Homes) -> Result<Plan, ConfigureError> {
    let within = match &request.scope {
        Scope::Project(dir) => Some(dir.as_path()),
        Scope::User => None,
    };
    let path = file::resolve(&homes.config_file(request.client, &request.scope)?, within)?;
    let (entry, key_use) = Entry::new(request.client, &request.launch);
    if key_use == KeyUse::ValueMissing {
        return Err(ConfigureError::MissingKey {
            client: request.client,
            path,
        });
    }
    let old = file::read(&path)?;
    let text = match &old {
        Some(old) => std::str::from_utf8(&old.bytes).map_err(|_| ConfigureError::Invalid {
            path: path.clone(),
            format: "UTF-8 text",
            reason: "it holds bytes that are not UTF-8".into(),
        })?,
        None => "",
    };
    let edit = Edit {
        name: &request.name,
        entry: &entry,
        force: request.force,
    };
    // Windows editors may start a file with a byte-order mark, which neither parser
    // takes; it stays in front.
    let (mark, body) = match text.strip_prefix('\u{feff}') {
        Some(body) => ("\u{feff}", body),
        None => ("", text),
    };
    let text = format!("{mark}{}", merge(request.client, body, &edit, &path)?);
    let notes = match key_use {
        KeyUse::Written => vec![Note::KeyWritten(path.clone())],
        KeyUse::ClientMustHaveIt => vec![Note::ClientNeedsKey(request.client)],
        KeyUse::Quiet | KeyUse::ValueMissing => vec![],
    };
    Ok(Plan {
        path,
        text,
        notes,
        old,
        private: key_use == KeyUse::Written,
    })
}

fn merge(client: Client, text: &str, edit: &Edit, path: &Path) -> Result<String, ConfigureError> {
    match client.format() {
        Format::Json(shape) => json::merge(text, shape, edit, path),
        Format::Toml => codex::merge(text, edit, path),
    }
}

impl Plan {
    /// Backs the old file up and writes the new one in its place, with the old file's
    /// permissions (0600 when it holds the key or is new). Refuses when the file changed since
    /// [`plan`] read it (a client rewriting its own file, as Claude Code does).
    pub fn apply(&self) -> Result<Applied, ConfigureError> {
        let now = file::read(&self.path)?;
        if now.as_ref().map(|f| &f.bytes) != self.old.as_ref().map(|f| &f.bytes) {
            return Err(ConfigureError::Changed(self.path.clone()));
        }
        let backup = match &self.old {
            Some(old) => Some(file::back_up(&self.path, old)?),
            None => None,
        };
        // A new file is its owner's only: it holds at least this server's launch, and
        // perhaps other servers' tokens later.
        let permissions = if self.private {
            file::private_permissions()
        } else {
            self.old
                .as_ref()
                .map(|old| old.permissions.clone())
                .or_else(file::private_permissions)
        };
        file::write_new(&self.path, self.text.as_bytes(), permissions.as_ref(), true)?;
        Ok(Applied { backup })
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::KeyWritten(path) => write!(
                f,
                "the Arcade key's value was written into {} (the client cannot reference a variable): keep that file private, \
                 or install the Claude Desktop bundle instead (arcade-mcp-gateway.mcpb, see the README), which keeps the key in the system keychain",
                path.display()
            ),
            Note::ClientNeedsKey(client) => write!(
                f,
                "warning: ARCADE_API_KEY is not set here; {} must have it in its environment when it starts the server",
                client.title()
            ),
        }
    }
}
