//! Where audit lines go, written off the call path: a call hands its line to
//! `tracing-appender`'s non-blocking writer (a channel), and a worker thread writes it
//! to the day's file, or to stderr.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};

/// Where `--audit-log` sends the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTarget {
    /// `--audit-log -` or `--audit-log stderr`: beside the logs on stderr.
    Stderr,
    /// `--audit-log PATH`: a file a day, `<stem>.<YYYY-MM-DD>.<ext>` in PATH's folder,
    /// with PATH itself a symbolic link to the newest.
    File(PathBuf),
}

impl AuditTarget {
    /// The target `--audit-log VALUE` names.
    pub fn parse(value: &str) -> Self {
        match value {
            "-" | "stderr" => Self::Stderr,
            path => Self::File(PathBuf::from(path)),
        }
    }
}

/// Why the audit log could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The path names no file.
    #[error(
        "--audit-log `{0}` names no file: give a file path such as /var/log/arcade/audit.jsonl, \
         or `-` for stderr"
    )]
    NoFileName(PathBuf),
    /// A regular file is where the link to the newest file would go.
    #[error(
        "--audit-log `{0}` is an existing file: the audit log writes a file a day beside it and \
         makes that path a link to the newest; move the file away or choose another path"
    )]
    ExistingFile(PathBuf),
    /// The folder cannot be named absolutely (the working directory is gone).
    #[error("cannot resolve the folder of --audit-log `{path}`: {source}; give an absolute path")]
    Folder {
        /// The path given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The folder or the file could not be created.
    #[error(
        "cannot open the audit log at `{path}`: {source}; check the folder exists and is writable"
    )]
    Open {
        /// The path given.
        path: PathBuf,
        /// What the appender said.
        source: tracing_appender::rolling::InitError,
    },
}

/// Keeps the writer's worker alive; dropping it writes out every line queued. Hold it
/// until the server has stopped.
#[derive(Debug)]
#[must_use = "dropping the guard stops the audit writer"]
pub struct AuditGuard {
    _worker: WorkerGuard,
}

/// The audit log's writer, cheap to clone; the default writes nothing.
#[derive(Debug, Clone, Default)]
pub struct AuditLog(Option<NonBlocking>);

impl AuditLog {
    /// Opens `target`. The file is created now, so a path that cannot be written stops
    /// startup instead of losing lines later.
    pub fn open(target: &AuditTarget) -> Result<(Self, AuditGuard), AuditError> {
        // Not lossy: under a disk that stalls, a call waits once 128,000 lines are
        // queued, rather than an audit line being dropped.
        let builder = NonBlockingBuilder::default()
            .lossy(false)
            .thread_name("audit-log");
        let (writer, guard) = match target {
            AuditTarget::Stderr => builder.finish(std::io::stderr()),
            AuditTarget::File(path) => builder.finish(daily_file(path)?),
        };
        Ok((Self(Some(writer)), AuditGuard { _worker: guard }))
    }

    /// Whether lines are written at all (else nothing need be gathered for them).
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Queues `line` as one line of JSON. One `write` is one message to the worker,
    /// so lines never interleave.
    pub fn write(&self, line: &impl Serialize) {
        let Some(writer) = &self.0 else { return };
        let mut bytes = match serde_json::to_vec(line) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(%error, "could not serialize an audit line");
                return;
            }
        };
        bytes.push(b'\n');
        if let Err(error) = writer.clone().write_all(&bytes) {
            tracing::error!(%error, "could not queue an audit line: the audit writer has stopped");
        }
    }
}

/// The appender of `path`: `<stem>.<date>.<ext>` files, a new one each day (UTC), and
/// `path` a link to the newest.
fn daily_file(path: &Path) -> Result<RollingFileAppender, AuditError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .ok_or_else(|| AuditError::NoFileName(path.to_owned()))?;
    if path
        .symlink_metadata()
        .is_ok_and(|m| !m.file_type().is_symlink())
    {
        return Err(AuditError::ExistingFile(path.to_owned()));
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // Absolute, so that the link names its file wherever the link is read from.
    let folder = std::path::absolute(folder).map_err(|source| AuditError::Folder {
        path: path.to_owned(),
        source,
    })?;
    let (stem, extension) = split_name(name);
    let mut builder = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(stem)
        .latest_symlink(name);
    if let Some(extension) = extension {
        builder = builder.filename_suffix(extension);
    }
    builder.build(&folder).map_err(|source| AuditError::Open {
        path: path.to_owned(),
        source,
    })
}

/// `audit.jsonl` → (`audit`, `jsonl`); `audit` → (`audit`, none).
fn split_name(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() && !extension.is_empty() => {
            (stem, Some(extension))
        }
        _ => (name, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_and_stderr_mean_stderr_and_anything_else_a_file() {
        assert_eq!(AuditTarget::parse("-"), AuditTarget::Stderr);
        assert_eq!(AuditTarget::parse("stderr"), AuditTarget::Stderr);
        assert_eq!(
            AuditTarget::parse("logs/audit.jsonl"),
            AuditTarget::File(PathBuf::from("logs/audit.jsonl"))
        );
    }

    #[test]
    fn each_day_gets_its_own_file_and_the_path_links_to_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let (log, guard) = AuditLog::open(&AuditTarget::File(path.clone())).unwrap();
        log.write(&serde_json::json!({"n": 1}));
        drop(guard);
        let today = chrono::Utc::now().format("%Y-%m-%d");
        let dated = dir.path().join(format!("audit.{today}.jsonl"));
        assert_eq!(std::fs::read_to_string(&dated).unwrap(), "{\"n\":1}\n");
        assert!(path.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":1}\n");
        assert!(std::fs::read_link(&path).unwrap().is_absolute());
    }

    #[test]
    fn a_regular_file_at_the_path_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, "old lines\n").unwrap();
        let error = AuditLog::open(&AuditTarget::File(path.clone())).unwrap_err();
        assert!(matches!(error, AuditError::ExistingFile(_)), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old lines\n");
    }

    #[test]
    fn names_split_at_their_last_dot() {
        assert_eq!(split_name("audit.jsonl"), ("audit", Some("jsonl")));
        assert_eq!(split_name("audit"), ("audit", None));
        assert_eq!(split_name(".audit"), (".audit", None));
    }
}
