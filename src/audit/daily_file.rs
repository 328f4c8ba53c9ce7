//! The audit log's files: `<stem>.<YYYY-MM-DD>.<ext>` in the folder of `--audit-log
//! PATH`, a new one each day (UTC), with PATH a link to the newest. Audit lines name
//! users and tools, so each file is its owner's only (0600); and the folder may be
//! shared, so a file planted where the day's file goes (a symlink, or a file of another
//! user) is refused rather than written through.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};

/// The day's file, opened on the first write of each day.
pub struct DailyFile {
    folder: PathBuf,
    stem: String,
    extension: Option<String>,
    link: PathBuf,
    today: Option<(NaiveDate, File)>,
}

impl DailyFile {
    /// The files `<stem>.<date>.<extension>` in `folder` (absolute), linked from `link`;
    /// today's is opened now, so a path that cannot be written fails at once.
    pub fn open(
        folder: PathBuf,
        stem: &str,
        extension: Option<&str>,
        link: PathBuf,
    ) -> io::Result<Self> {
        let mut file = Self {
            folder,
            stem: stem.to_owned(),
            extension: extension.map(str::to_owned),
            link,
            today: None,
        };
        file.roll(Utc::now().date_naive())?;
        Ok(file)
    }

    fn path_of(&self, date: NaiveDate) -> PathBuf {
        let date = date.format("%Y-%m-%d");
        let name = match &self.extension {
            Some(extension) => format!("{}.{date}.{extension}", self.stem),
            None => format!("{}.{date}", self.stem),
        };
        self.folder.join(name)
    }

    /// Opens the file of `date` and points the link at it.
    fn roll(&mut self, date: NaiveDate) -> io::Result<()> {
        let path = self.path_of(date);
        let file = open_private(&path)?;
        if let Err(error) = link(&self.link, &path) {
            tracing::warn!(%error, link = %self.link.display(), "cannot point the audit log's link at the day's file");
        }
        self.today = Some((date, file));
        Ok(())
    }
}

impl Write for DailyFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let today = Utc::now().date_naive();
        if self.today.as_ref().is_none_or(|(date, _)| *date != today) {
            self.roll(today)?;
        }
        match &mut self.today {
            Some((_, file)) => file.write(bytes),
            None => Err(io::Error::other("no audit file is open")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.today {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }
}

/// Opens `path` to append, creating it owner-only; refuses a symlink and a file of
/// another user.
fn open_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path).map_err(|error| {
        if error.raw_os_error() == Some(libc::ELOOP) {
            io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is a symlink, which the audit log does not follow",
                    path.display()
                ),
            )
        } else {
            error
        }
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let own = unsafe { libc::geteuid() };
        if file.metadata()?.uid() != own {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} belongs to another user", path.display()),
            ));
        }
    }
    Ok(file)
}

/// Makes `link` a symlink to `target`, replacing an older link (never a file).
fn link(link: &Path, target: &Path) -> io::Result<()> {
    match link.symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::remove_file(link)?,
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a file is there",
            ));
        }
        Err(_) => {}
    }
    #[cfg(unix)]
    return std::os::unix::fs::symlink(target, link);
    #[cfg(not(unix))]
    return std::os::windows::fs::symlink_file(target, link);
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn today_of(folder: &Path) -> PathBuf {
        folder.join(format!("audit.{}.jsonl", Utc::now().format("%Y-%m-%d")))
    }

    #[test]
    fn the_days_file_is_its_owners_only() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("audit.jsonl");
        let mut file =
            DailyFile::open(dir.path().to_owned(), "audit", Some("jsonl"), link.clone()).unwrap();
        file.write_all(b"{}\n").unwrap();
        let mode = std::fs::metadata(today_of(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "{}\n");
    }

    #[test]
    fn a_symlink_planted_where_the_days_file_goes_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "").unwrap();
        std::os::unix::fs::symlink(&elsewhere, today_of(dir.path())).unwrap();
        let link = dir.path().join("audit.jsonl");
        let error = DailyFile::open(dir.path().to_owned(), "audit", Some("jsonl"), link)
            .err()
            .expect("refused");
        assert!(error.to_string().contains("symlink"), "{error}");
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "");
    }
}
