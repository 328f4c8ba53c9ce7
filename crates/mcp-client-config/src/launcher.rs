//! The command an entry starts this binary with. Usually the binary's own absolute
//! path (a desktop app's `PATH` is not the shell's): right for `cargo install`, and for
//! a `pip`, `pipx` or `uv tool install` of the wheel, whose binary stays in its
//! environment until that is uninstalled. A binary that `uvx` runs lives in uv's cache
//! instead, which `uv cache clean` empties: such an entry starts it through `uvx`, from
//! the wheel or folder it came from when that is still there, else from the index at
//! this version.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ConfigureError;

/// The package on PyPI, and the name of its command.
const PACKAGE: &str = "arcade-mcp-gateway";

/// What an entry runs, before `serve` and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launcher {
    /// The program, by its absolute path.
    pub command: String,
    /// Its arguments that come before `serve`.
    pub args: Vec<String>,
}

impl Launcher {
    /// How an entry starts the binary running now.
    pub fn of_this_binary() -> Result<Self, ConfigureError> {
        let exe = std::env::current_exe()
            .and_then(dunce::canonicalize)
            .map_err(ConfigureError::OwnPath)?;
        let uv = std::env::var_os("UV").map(PathBuf::from);
        if let Some(uv) = uv.filter(|uv| uv.is_absolute() && uv.is_file())
            && uv_cache(&uv).is_some_and(|cache| exe.starts_with(cache))
        {
            return Self::through_uvx(&uv, &exe);
        }
        Ok(Self {
            command: utf8(&exe)?,
            args: Vec::new(),
        })
    }

    /// `uvx` beside `uv` (or `uv tool run`), with where the package came from.
    fn through_uvx(uv: &Path, exe: &Path) -> Result<Self, ConfigureError> {
        let environment = exe.parent().and_then(Path::parent);
        let source = match environment.and_then(installed_from) {
            Some(local) => vec!["--from".to_owned(), utf8(&local)?, PACKAGE.to_owned()],
            None => vec![format!("{PACKAGE}@{}", env!("CARGO_PKG_VERSION"))],
        };
        let uvx = uv.with_file_name(format!("uvx{}", std::env::consts::EXE_SUFFIX));
        Ok(if uvx.is_file() {
            Self {
                command: utf8(&uvx)?,
                args: source,
            }
        } else {
            Self {
                command: utf8(uv)?,
                args: ["tool", "run"]
                    .map(str::to_owned)
                    .into_iter()
                    .chain(source)
                    .collect(),
            }
        })
    }
}

/// uv's cache folder, as `uv cache dir` reports it (it honours `UV_CACHE_DIR` and the
/// platform's conventions).
fn uv_cache(uv: &Path) -> Option<PathBuf> {
    let output = Command::new(uv).args(["cache", "dir"]).output().ok()?;
    let dir = String::from_utf8(output.stdout).ok()?;
    output
        .status
        .success()
        .then(|| dunce::canonicalize(dir.trim()).ok())
        .flatten()
}

/// The local wheel or folder the package in `environment` was installed from, when it
/// is still there: its `direct_url.json` (PEP 610) names it.
fn installed_from(environment: &Path) -> Option<PathBuf> {
    let dist_info = site_packages(environment)?
        .into_iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| is_our_dist_info(path))?;
    let record = std::fs::read_to_string(dist_info.join("direct_url.json")).ok()?;
    local_source(&record).filter(|path| path.exists())
}

/// The `site-packages` folders of a virtual environment (`lib/pythonX.Y/…` on Unix,
/// `Lib/…` on Windows).
fn site_packages(environment: &Path) -> Option<Vec<PathBuf>> {
    let windows = environment.join("Lib").join("site-packages");
    if windows.is_dir() {
        return Some(vec![windows]);
    }
    let lib = std::fs::read_dir(environment.join("lib")).ok()?;
    Some(
        lib.flatten()
            .map(|python| python.path().join("site-packages"))
            .collect(),
    )
}

fn is_our_dist_info(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.starts_with("arcade_mcp_gateway-") && name.ends_with(".dist-info")
}

/// The path of a `file://` URL in a `direct_url.json` record.
fn local_source(record: &str) -> Option<PathBuf> {
    let record: serde_json::Value = serde_json::from_str(record).ok()?;
    let url = url::Url::parse(record.get("url")?.as_str()?).ok()?;
    (url.scheme() == "file").then(|| url.to_file_path().ok())?
}

fn utf8(path: &Path) -> Result<String, ConfigureError> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| ConfigureError::NonUtf8Path(path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_wheel_is_read_from_its_direct_url_record() {
        let record = r#"{"url": "file:///tmp/dist/arcade_mcp_gateway-0.1.0-py3-none-linux_x86_64.whl", "archive_info": {}}"#;
        assert_eq!(
            local_source(record),
            Some(PathBuf::from(
                "/tmp/dist/arcade_mcp_gateway-0.1.0-py3-none-linux_x86_64.whl"
            ))
        );
    }

    #[test]
    fn an_index_or_remote_source_is_not_local() {
        assert_eq!(
            local_source(r#"{"url": "https://example.com/a.whl"}"#),
            None
        );
        assert_eq!(local_source("not json"), None);
    }
}
