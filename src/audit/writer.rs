//! Where audit lines go, written off the call path: a call adds its line to a batch
//! (see `batch.rs`), each batch goes to `tracing-appender`'s non-blocking writer (a
//! channel), and its worker thread writes it to the day's file (`daily_file.rs`), or to
//! stderr.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};

use super::batch::{Batcher, Ticker};
use super::daily_file::DailyFile;

/// The most batches queued for the worker before a call waits for the disk: 64 MiB
/// at most, far more than a tenth of a second of calls.
const QUEUED_BATCHES: usize = 1024;

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
    /// The batch thread could not be started.
    #[error("cannot start the audit log's thread: {0}")]
    Thread(std::io::Error),
    /// The day's file could not be opened.
    #[error(
        "cannot open the audit log at `{path}`: {source}; check the folder exists and is \
         writable, and that nobody else's file or link is where the day's file goes"
    )]
    Open {
        /// The path given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Keeps the writer's worker alive; dropping it writes out every line queued. Hold it
/// until the server has stopped.
#[derive(Debug)]
#[must_use = "dropping the guard stops the audit writer"]
pub struct AuditGuard {
    // Dropped in this order: the last batch goes to the worker, then the worker
    // writes out everything queued.
    _ticker: Ticker,
    _worker: WorkerGuard,
}

/// The audit log's writer, cheap to clone; the default writes nothing.
#[derive(Debug, Clone, Default)]
pub struct AuditLog(Option<Arc<Batcher>>);

impl AuditLog {
    /// Opens `target`. The file is created now, so a path that cannot be written stops
    /// startup instead of losing lines later.
    pub fn open(target: &AuditTarget) -> Result<(Self, AuditGuard), AuditError> {
        // Not lossy: under a disk that stalls, a call waits once the queue is full,
        // rather than an audit line being dropped.
        let builder = NonBlockingBuilder::default()
            .lossy(false)
            .buffered_lines_limit(QUEUED_BATCHES)
            .thread_name("audit-log");
        let (writer, worker) = match target {
            AuditTarget::Stderr => builder.finish(std::io::stderr()),
            AuditTarget::File(path) => builder.finish(daily_file(path)?),
        };
        let batcher = Arc::new(Batcher::new(writer, *target == AuditTarget::Stderr));
        let ticker = Ticker::start(Arc::clone(&batcher)).map_err(AuditError::Thread)?;
        let guard = AuditGuard {
            _ticker: ticker,
            _worker: worker,
        };
        Ok((Self(Some(batcher)), guard))
    }

    /// Whether lines are written at all (else nothing need be gathered for them).
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Adds `line` as one line of JSON; it reaches the file within a tenth of a
    /// second.
    pub fn write(&self, line: &impl Serialize) {
        if let Some(batcher) = &self.0 {
            batcher.push(line);
        }
    }
}

/// The writer of `path`: `<stem>.<date>.<ext>` files, a new one each day (UTC), and
/// `path` a link to the newest ([`DailyFile`]).
fn daily_file(path: &Path) -> Result<DailyFile, AuditError> {
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
    let link = folder.join(name);
    DailyFile::open(folder, stem, extension, link).map_err(|source| AuditError::Open {
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
    fn a_line_reaches_the_file_within_a_tick_while_serving() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let (log, _guard) = AuditLog::open(&AuditTarget::File(path.clone())).unwrap();
        log.write(&serde_json::json!({"n": 1}));
        let written = (0..50).any(|_| {
            std::thread::sleep(super::super::batch::BATCH_EVERY / 2);
            std::fs::read_to_string(&path).unwrap_or_default() == "{\"n\":1}\n"
        });
        assert!(written, "the line is not in the file after 2.5 s");
    }

    #[test]
    fn lines_from_many_threads_stay_whole_and_none_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let (log, guard) = AuditLog::open(&AuditTarget::File(path.clone())).unwrap();
        let filler = "x".repeat(500);
        std::thread::scope(|scope| {
            for thread in 0..8 {
                let (log, filler) = (&log, &filler);
                scope.spawn(move || {
                    for n in 0..1000 {
                        log.write(&serde_json::json!({"thread": thread, "n": n, "filler": filler}));
                    }
                });
            }
        });
        drop(guard);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut seen = std::collections::HashSet::new();
        for line in text.lines() {
            let value: serde_json::Value = serde_json::from_str(line).expect("a whole line");
            assert!(seen.insert((value["thread"].clone(), value["n"].clone())));
        }
        assert_eq!(seen.len(), 8000);
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
