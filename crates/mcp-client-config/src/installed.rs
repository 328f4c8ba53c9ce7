//! What a client's config file already holds for this server: the entry `doctor`
//! checks (its command still there, its flags still parsing).

use std::path::PathBuf;

use super::{Client, ConfigureError, Format, Homes, Scope};

/// An entry found in a client's user config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The file it is in.
    pub path: PathBuf,
    /// The program it launches.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
}

impl Client {
    /// The entry `name` in this client's user config file; `None` when the file or the
    /// entry is absent.
    pub fn installed(self, homes: &Homes, name: &str) -> Result<Option<Installed>, ConfigureError> {
        let path = homes.config_file(self, &Scope::User)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ConfigureError::Unreadable { path, source }),
        };
        let text = text.trim_start_matches('\u{feff}');
        let parsed: Option<serde_json::Value> = match self.format() {
            Format::Json(_) => {
                jsonc_parser::parse_to_serde_value(text, &Default::default()).unwrap_or(None)
            }
            Format::Toml => toml::from_str(text).ok(),
        };
        let servers = match self.format() {
            Format::Json(shape) => shape.servers,
            Format::Toml => "mcp_servers",
        };
        let found = parsed.as_ref().and_then(|file| entry(file, servers, name));
        Ok(found.map(|(command, args)| Installed {
            path,
            command,
            args,
        }))
    }
}

/// The command and arguments of entry `name` under `servers` in a parsed file.
fn entry(file: &serde_json::Value, servers: &str, name: &str) -> Option<(String, Vec<String>)> {
    let entry = file.get(servers)?.get(name)?;
    let command = entry.get("command")?.as_str()?.to_owned();
    let args = entry
        .get("args")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Some((command, args))
}
