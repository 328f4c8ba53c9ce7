//! Reading a config file, backing it up and replacing it atomically: a client reading
//! the file at any moment sees the old content or the new, never half of it.

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

/// The file the config at `path` really is: a symlinked config (dotfiles) is edited
/// where it points, not replaced by a plain file.
pub(super) fn resolve(path: &Path) -> Result<PathBuf, ConfigureError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            dunce::canonicalize(path).map_err(|source| unreadable(path, source))
        }
        _ => Ok(path.to_owned()),
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

/// Copies the old file next to itself, as `FILE.bak` or, when that is taken, a name with
/// the time; never over another file.
pub(super) fn back_up(path: &Path, old: &Existing) -> Result<PathBuf, ConfigureError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let names = std::iter::once(".bak".to_owned())
        .chain(std::iter::once(format!(".{stamp}.bak")))
        .chain((2..100).map(|n| format!(".{stamp}-{n}.bak")));
    for suffix in names {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let backup = PathBuf::from(name);
        match write_new(&backup, &old.bytes, Some(&old.permissions), false) {
            Err(ConfigureError::Write { source, .. })
                if source.kind() == io::ErrorKind::AlreadyExists => {}
            done => return done.map(|()| backup),
        }
    }
    Err(write_error(
        path,
        io::Error::new(io::ErrorKind::AlreadyExists, "too many backups beside it"),
    ))
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path` (or,
/// without `replace`, to `path` only if nothing is there). `permissions` are set exactly
/// (the old file's, or 0600 for a file holding the key); without them a new file gets
/// the usual mode the umask allows.
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
    if let Some(default) = usual_permissions() {
        builder.permissions(default);
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

/// What a new file would get from the umask (a temporary file starts at 0600).
fn usual_permissions() -> Option<Permissions> {
    mode(0o666)
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
    fn the_new_file_keeps_the_old_ones_mode_and_a_backup_too() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/settings.json");
        write_new(&path, b"{}", None, true).unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        let old = read(&path).unwrap().unwrap();
        let backup = back_up(&path, &old).unwrap();
        write_new(&path, b"{\"a\": 1}", Some(&old.permissions), true).unwrap();
        for file in [&path, &backup] {
            let mode = fs::metadata(file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640, "{}", file.display());
        }
        let leftovers = fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 2, "no temporary file is left");
    }
}
