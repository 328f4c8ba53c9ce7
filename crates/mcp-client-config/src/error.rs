//! Why `configure` could not write an entry: each message names the file and what to do.

use std::io;
use std::path::PathBuf;

use super::Client;

/// A `configure` failure. Every one but [`ConfigureError::Write`] happens before
/// anything is written, so the file is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum ConfigureError {
    /// `--project` for a client that reads no project file.
    #[error("{0} has no project config file: leave out --project to configure it for your user")]
    NoProjectFile(Client),
    /// `--project` names no folder.
    #[error("--project {}: no such folder", .0.display())]
    NoProjectDir(PathBuf),
    /// The user's home (or config) folder is unknown.
    #[error("cannot find your home folder to locate {0}'s config file: set HOME")]
    NoHome(Client),
    /// This program's own path, which the entry launches, is unknown.
    #[error("cannot find this program's own path to put into the entry: {0}")]
    OwnPath(io::Error),
    /// A path that is not UTF-8 cannot go into a JSON or TOML string.
    #[error("{} is not a UTF-8 path, which the config file cannot hold", .0.display())]
    NonUtf8Path(PathBuf),
    /// The existing file cannot be read.
    #[error("cannot read {}: {source}; fix its permissions or move it away, then run again", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The existing file is not what the client reads.
    #[error("{} is not valid {format}: {reason}; fix it or move it away, then run again", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The format it should be in.
        format: &'static str,
        /// What is wrong, and where.
        reason: String,
    },
    /// An entry of the same name, without `--force`.
    #[error("an entry named `{name}` is already in {}; pass --force to replace it", path.display())]
    Exists {
        /// The entry's name.
        name: String,
        /// The file.
        path: PathBuf,
    },
    /// A client that needs the key's value, and no key.
    #[error(
        "{} reads no variables, so the Arcade key's value must go into {}: set ARCADE_API_KEY, or pass --emulator for the offline demo",
        client.title(), path.display()
    )]
    MissingKey {
        /// The client.
        client: Client,
        /// Its file.
        path: PathBuf,
    },
    /// A secret flag among the serve options (`--api-key`) would put the secret into the
    /// entry's `args`.
    #[error(
        "{flag} would be written into the config file in plain text: leave it out and set {var} instead"
    )]
    SecretOnCommandLine {
        /// The flag.
        flag: String,
        /// The variable that holds the secret instead.
        var: String,
    },
    /// `--transport http` for a client that launches the server over stdio.
    #[error("the client launches the server and speaks to it over stdio: leave out --transport")]
    NotStdio,
    /// The config file is a symlink `configure` must not follow: out of the project
    /// (`--project`), to a file of another user, or to nothing.
    #[error(
        "{} is a symlink to {}, {why}: configure does not follow it; replace the link with \
         the file itself, then run again",
        path.display(), target.display()
    )]
    UnexpectedSymlink {
        /// The link.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
        /// Why it is not followed.
        why: &'static str,
    },
    /// The file changed between reading and writing it (the client rewrote it).
    #[error("{} changed while it was being configured; run again", .0.display())]
    Changed(PathBuf),
    /// Writing the backup or the new file failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}
