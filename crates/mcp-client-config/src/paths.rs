//! Where each client keeps its config file, for the user or for one project, on Linux,
//! macOS and Windows.

use std::path::{Path, PathBuf};

use super::{Client, ConfigureError};

/// The folders the config files are found under, read once from the environment (tests
/// point them at a temporary folder).
#[derive(Debug, Clone, Default)]
pub struct Homes {
    /// The user's home folder.
    pub home: Option<PathBuf>,
    /// The platform's config folder: `$XDG_CONFIG_HOME` or `~/.config`,
    /// `~/Library/Application Support`, `%APPDATA%`.
    pub config: Option<PathBuf>,
    /// The platform's local data folder (`%LOCALAPPDATA%` on Windows), where a packaged
    /// Claude Desktop keeps its files.
    pub local_data: Option<PathBuf>,
    /// `CODEX_HOME`, which moves Codex's folder.
    pub codex_home: Option<PathBuf>,
    /// `CLAUDE_CONFIG_DIR`, which moves Claude Code's `.claude.json`.
    pub claude_config_dir: Option<PathBuf>,
    /// `GEMINI_CLI_HOME`, which Gemini CLI uses in place of the home folder.
    pub gemini_cli_home: Option<PathBuf>,
}

/// Whose config file gets the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The user's: every project sees the server.
    User,
    /// The project file in this folder (`.mcp.json`, `.vscode/mcp.json`, …).
    Project(PathBuf),
}

impl Homes {
    /// The folders of this process's environment.
    pub fn from_env() -> Self {
        let var = |name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Self {
            home: dirs::home_dir(),
            config: dirs::config_dir(),
            local_data: dirs::data_local_dir(),
            codex_home: var("CODEX_HOME"),
            claude_config_dir: var("CLAUDE_CONFIG_DIR"),
            gemini_cli_home: var("GEMINI_CLI_HOME"),
        }
    }

    /// The client's config file for `scope`.
    pub fn config_file(&self, client: Client, scope: &Scope) -> Result<PathBuf, ConfigureError> {
        match scope {
            Scope::User => self.user_file(client),
            Scope::Project(dir) if !dir.is_dir() => Err(ConfigureError::NoProjectDir(dir.clone())),
            Scope::Project(dir) => project_file(client)
                .map(|file| dir.join(file))
                .ok_or(ConfigureError::NoProjectFile(client)),
        }
    }

    fn user_file(&self, client: Client) -> Result<PathBuf, ConfigureError> {
        let missing = || ConfigureError::NoHome(client);
        let home = || self.home.clone().ok_or_else(missing);
        let config = || self.config.clone().ok_or_else(missing);
        Ok(match client {
            Client::ClaudeDesktop => self
                .packaged_claude_desktop()
                .map_or_else(|| config().map(|c| c.join("Claude")), Ok)?
                .join("claude_desktop_config.json"),
            Client::ClaudeCode => self
                .claude_config_dir
                .clone()
                .map_or_else(home, Ok)?
                .join(".claude.json"),
            Client::Cursor => home()?.join(".cursor").join("mcp.json"),
            Client::VsCode => config()?.join("Code").join("User").join("mcp.json"),
            Client::Windsurf => home()?
                .join(".codeium")
                .join("windsurf")
                .join("mcp_config.json"),
            Client::Codex => self
                .codex_home
                .clone()
                .map_or_else(|| home().map(|h| h.join(".codex")), Ok)?
                .join("config.toml"),
            Client::Gemini => self
                .gemini_cli_home
                .clone()
                .map_or_else(home, Ok)?
                .join(".gemini")
                .join("settings.json"),
        })
    }

    /// The folder of a Windows Claude Desktop installed as an MSIX package (the default
    /// installer since 2026), which reads a virtualized copy of `%APPDATA%`: a file
    /// written to the real `%APPDATA%\Claude` is never read.
    fn packaged_claude_desktop(&self) -> Option<PathBuf> {
        if !cfg!(windows) {
            return None;
        }
        msix_claude_dir(self.local_data.as_deref()?)
    }
}

/// `Packages\Claude_*\LocalCache\Roaming\Claude` under the local data folder, if a
/// Claude package is installed there.
fn msix_claude_dir(local_data: &Path) -> Option<PathBuf> {
    std::fs::read_dir(local_data.join("Packages"))
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("Claude_"))
        .map(|entry| {
            entry
                .path()
                .join("LocalCache")
                .join("Roaming")
                .join("Claude")
        })
        .find(|dir| dir.is_dir())
}

/// The client's project file, relative to the project's folder.
fn project_file(client: Client) -> Option<PathBuf> {
    let path = match client {
        Client::ClaudeDesktop | Client::Windsurf => return None,
        Client::ClaudeCode => ".mcp.json",
        Client::Cursor => ".cursor/mcp.json",
        Client::VsCode => ".vscode/mcp.json",
        Client::Codex => ".codex/config.toml",
        Client::Gemini => ".gemini/settings.json",
    };
    Some(path.split('/').collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn homes(root: &Path) -> Homes {
        Homes {
            home: Some(root.join("home")),
            config: Some(root.join("config")),
            ..Homes::default()
        }
    }

    #[test]
    fn the_variables_of_each_client_move_its_file() {
        let root = Path::new("/r");
        let moved = Homes {
            codex_home: Some(root.join("codex")),
            claude_config_dir: Some(root.join("claude")),
            gemini_cli_home: Some(root.join("gemini")),
            ..homes(root)
        };
        let file = |homes: &Homes, client| homes.config_file(client, &Scope::User).unwrap();
        assert_eq!(
            file(&homes(root), Client::Codex),
            root.join("home/.codex/config.toml")
        );
        assert_eq!(file(&moved, Client::Codex), root.join("codex/config.toml"));
        assert_eq!(
            file(&moved, Client::ClaudeCode),
            root.join("claude/.claude.json")
        );
        assert_eq!(
            file(&moved, Client::Gemini),
            root.join("gemini/.gemini/settings.json")
        );
    }

    #[test]
    fn without_a_home_the_error_names_the_client() {
        let err = Homes::default()
            .config_file(Client::Cursor, &Scope::User)
            .unwrap_err();
        assert!(
            err.to_string().contains("cursor") && err.to_string().contains("HOME"),
            "{err}"
        );
    }

    #[test]
    fn a_packaged_claude_desktop_is_found_under_local_data() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(msix_claude_dir(root.path()), None);
        let dir = root
            .path()
            .join("Packages/Claude_pzs8sxrjxfjjc/LocalCache/Roaming/Claude");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(msix_claude_dir(root.path()), Some(dir));
    }
}
