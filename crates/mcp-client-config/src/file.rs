//! Reading a config file, backing it up and replacing it atomically: a client reading
//! the file at any moment sees the old content or the new, never half of it.
//!
//! A config file may hold secrets (the Arcade key, other servers' tokens), so no file
//! written here is ever readable by more than the final file is: the temporary file and
//! the backups are created owner-only (0600) and only then given the final mode, and at
//! most [`BACKUPS_KEPT`] backups are kept beside it. A symlinked config is followed only
//! where that is expected: to a file of the same user, and never out of a project.

use std::fs::{self, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::ConfigureError;

/// A config file as it is now.
#[derive(Debug, Clone)]
pub(super) struct Existing {
    /// Its content.
    pub bytes: Vec<u8>,
    /// Its permissions, which the new file and the backup keep.
    pub permissions: Permissions,
}

/// How many backups of a config file are kept beside it: enough to undo the last few
/// runs, few enough that copies of old secrets do not pile up.
pub const BACKUPS_KEPT: usize = 3;

/// The file the config at `path` really is: a symlinked config (dotfiles) is edited
/// where it points, not replaced by a plain file, when the link points to a file of the
/// same user and, with `within` (a project's folder), stays inside that folder.
pub(super) fn resolve(path: &Path, within: Option<&Path>) -> Result<PathBuf, ConfigureError> {
    let resolved = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = dunce::canonicalize(path).map_err(|_| {
                unexpected(
                    path,
                    fs::read_link(path).unwrap_or_default(),
                    "which points to nothing",
                )
            })?;
            if !same_owner(&target) {
                return Err(unexpected(path, target, "a file of another user"));
            }
            target
        }
        _ => path.to_owned(),
    };
    if let Some(project) = within {
        let project = dunce::canonicalize(project).map_err(|source| unreadable(project, source))?;
        let real = real_location(&resolved).map_err(|source| unreadable(path, source))?;
        if !real.starts_with(&project) {
            return Err(unexpected(path, real, "out of the project"));
        }
    }
    Ok(resolved)
}

/// Where `path` really is: its nearest existing ancestor canonicalized (symlinked
/// folders followed), with the rest of the path after it.
fn real_location(path: &Path) -> io::Result<PathBuf> {
    let mut existing = path;
    let mut rest = Vec::new();
    while fs::symlink_metadata(existing).is_err() {
        let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
            break;
        };
        rest.push(name);
        existing = parent;
    }
    let mut real = dunce::canonicalize(existing)?;
    real.extend(rest.into_iter().rev());
    Ok(real)
}

/// Whether `target` belongs to the user running this program.
#[cfg(unix)]
fn same_owner(target: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = fs::metadata(target) else {
        return false;
    };
    let Ok(own) = fs::metadata("/proc/self").map(|m| m.uid()).or_else(|_| {
        tempfile::tempfile()
            .and_then(|f| f.metadata())
            .map(|m| m.uid())
    }) else {
        return false;
    };
    meta.uid() == own
}

#[cfg(not(unix))]
fn same_owner(_target: &Path) -> bool {
    true
}

fn unexpected(path: &Path, target: PathBuf, why: &'static str) -> ConfigureError {
    ConfigureError::UnexpectedSymlink {
        path: path.to_owned(),
        target,
        why,
    }
}

/// The file at `path`, or `None` when there is none yet.
pub(super) fn read(path: &Path) -> Result<Option<Existing>, ConfigureError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(unreadable(path, source)),
    };
    let permissions = fs::metadata(path)
        .map_err(|source| unreadable(path, source))?
        .permissions();
    Ok(Some(Existing { bytes, permissions }))
}

/// Copies the old file next to itself, owner-only, as `FILE.bak` or, when that is
/// taken, a name with the time; never over another file. Then drops the oldest backups
/// beyond [`BACKUPS_KEPT`].
pub(super) fn back_up(path: &Path, old: &Existing) -> Result<PathBuf, ConfigureError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let names = std::iter::once(".bak".to_owned())
        .chain(std::iter::once(format!(".{stamp}.bak")))
        .chain((2..100).map(|n| format!(".{stamp}-{n}.bak")));
    for suffix in names {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let backup = PathBuf::from(name);
        match write_new(&backup, &old.bytes, private_permissions().as_ref(), false) {
            Err(ConfigureError::Write { source, .. })
                if source.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
            Ok(()) => {
                drop_old_backups(path, &backup);
                return Ok(backup);
            }
        }
    }
    Err(write_error(
        path,
        io::Error::new(io::ErrorKind::AlreadyExists, "too many backups beside it"),
    ))
}

/// Removes the oldest backups of `path` beyond [`BACKUPS_KEPT`], never `newest`. A
/// backup that cannot be removed stays: the new file is written all the same.
fn drop_old_backups(path: &Path, newest: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let name = name.to_string_lossy();
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut backups: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|entry| {
            let file = entry.file_name();
            let file = file.to_string_lossy();
            file.strip_prefix(name.as_ref())
                .is_some_and(|rest| rest.starts_with('.') && rest.ends_with(".bak"))
        })
        .filter_map(|entry| {
            let meta = entry.metadata().ok().filter(fs::Metadata::is_file)?;
            Some((meta.modified().ok()?, entry.path()))
        })
        .filter(|(_, backup)| backup != newest)
        .collect();
    backups.sort();
    let surplus = (backups.len() + 1).saturating_sub(BACKUPS_KEPT);
    for (_, old) in backups.into_iter().take(surplus) {
        if let Err(error) = fs::remove_file(&old) {
            tracing::debug!(%error, backup = %old.display(), "an old backup stays");
        }
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path` (or,
/// without `replace`, to `path` only if nothing is there). The temporary file is created
/// owner-only, and gets `permissions` exactly (the old file's, or 0600) before the
/// rename: it is never readable by more than the final file.
pub(super) fn write_new(
    path: &Path,
    bytes: &[u8],
    permissions: Option<&Permissions>,
    replace: bool,
) -> Result<(), ConfigureError> {
    let fail = |source| write_error(path, source);
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(fail)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".configure-").suffix(".tmp");
    if let Some(private) = private_permissions() {
        builder.permissions(private);
    }
    let mut temp = builder.tempfile_in(dir).map_err(fail)?;
    temp.write_all(bytes).map_err(fail)?;
    if let Some(permissions) = permissions {
        temp.as_file()
            .set_permissions(permissions.clone())
            .map_err(fail)?;
    }
    temp.as_file().sync_all().map_err(fail)?;
    let persisted = if replace {
        temp.persist(path)
    } else {
        temp.persist_noclobber(path)
    };
    persisted.map(drop).map_err(|error| fail(error.error))
}

/// Owner read and write only, for a file holding the key (`None` where the platform has
/// no such mode).
pub(super) fn private_permissions() -> Option<Permissions> {
    mode(0o600)
}

#[cfg(unix)]
fn mode(bits: u32) -> Option<Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(Permissions::from_mode(bits))
}

#[cfg(not(unix))]
fn mode(_bits: u32) -> Option<Permissions> {
    None
}

fn unreadable(path: &Path, source: io::Error) -> ConfigureError {
    ConfigureError::Unreadable {
        path: path.to_owned(),
        source,
    }
}

fn write_error(path: &Path, source: io::Error) -> ConfigureError {
    ConfigureError::Write {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_backups_are_kept_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcp.json");
        for n in 0..6 {
            fs::write(&path, format!("v{n}")).unwrap();
            back_up(&path, &read(&path).unwrap().unwrap()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let mut kept: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".bak"))
            .map(|entry| fs::read_to_string(entry.path()).unwrap())
            .collect();
        kept.sort();
        assert_eq!(kept, ["v3", "v4", "v5"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_to_a_file_of_the_same_user_within_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("project");
        fs::create_dir_all(project.join("real")).unwrap();
        fs::write(project.join("real/mcp.json"), "{}").unwrap();
        let inside = project.join("mcp.json");
        std::os::unix::fs::symlink(project.join("real/mcp.json"), &inside).unwrap();
        let resolved = resolve(&inside, Some(&project)).unwrap();
        assert!(
            resolved.ends_with("real/mcp.json"),
            "{}",
            resolved.display()
        );
        let dangling = project.join("gone.json");
        std::os::unix::fs::symlink(dir.path().join("nothing"), &dangling).unwrap();
        let error = resolve(&dangling, None).unwrap_err();
        assert!(error.to_string().contains("points to nothing"), "{error}");
        std::os::unix::fs::symlink(dir.path(), project.join(".vscode")).unwrap();
        let error = resolve(&project.join(".vscode/mcp.json"), Some(&project)).unwrap_err();
        assert!(error.to_string().contains("out of the project"), "{error}");
    }

    #[test]
    fn backups_never_overwrite_one_another() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcp.json");
        fs::write(&path, "v1").unwrap();
        let first = back_up(&path, &read(&path).unwrap().unwrap()).unwrap();
        fs::write(&path, "v2").unwrap();
        let second = back_up(&path, &read(&path).unwrap().unwrap()).unwrap();
        assert_eq!(first, dir.path().join("mcp.json.bak"));
        assert_ne!(first, second);
        assert_eq!(fs::read_to_string(first).unwrap(), "v1");
        assert_eq!(fs::read_to_string(second).unwrap(), "v2");
    }

    #[cfg(unix)]
    #[test]
    fn the_new_file_keeps_the_old_ones_mode_and_the_backup_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/settings.json");
        write_new(&path, b"{}", None, true).unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        let old = read(&path).unwrap().unwrap();
        let backup = back_up(&path, &old).unwrap();
        write_new(&path, b"{\"a\": 1}", Some(&old.permissions), true).unwrap();
        let mode = |file: &Path| fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o640);
        assert_eq!(mode(&backup), 0o600, "a backup is its owner's only");
        let leftovers = fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 2, "no temporary file is left");
    }
}
