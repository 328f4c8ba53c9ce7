//! Configuration: the flags and environment variables of `serve` and `tools`, checked
//! before anything is served.
//!
//! The official variables are honoured: `ARCADE_API_KEY`, `ARCADE_BASE_URL` (alias
//! `ARCADE_API_URL`) and `ARCADE_USER_ID`. Every mistake becomes a [`ConfigError`]
//! whose one line says what to set.

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::arcade::ArcadeSettings;
use crate::identity::UserId;

/// Arcade's hosted engine, used when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.arcade.dev";

/// Where Arcade is and which of its tools to serve (shared by `serve` and `tools`).
#[derive(Debug, Clone, clap::Args)]
pub struct ArcadeArgs {
    /// Arcade API key [env: ARCADE_API_KEY]
    #[arg(long, env = "ARCADE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// Arcade Engine base URL [env: ARCADE_BASE_URL or ARCADE_API_URL] [default: https://api.arcade.dev]
    #[arg(long, env = "ARCADE_BASE_URL")]
    pub base_url: Option<String>,

    /// Serve only this toolkit (repeatable), e.g. --toolkit Gmail
    #[arg(long = "toolkit", value_name = "NAME")]
    pub toolkits: Vec<String>,

    /// Serve only this tool (repeatable), e.g. --tool Gmail.ListEmails
    #[arg(long = "tool", value_name = "TOOLKIT.TOOL")]
    pub tools: Vec<String>,

    /// How long one request to Arcade may take, in seconds (fractions allowed, e.g. 0.5)
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub request_timeout: f64,
}

/// The direct tools file of `serve` and `tools`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DirectToolsArgs {
    /// Also serve the direct tools declared in this TOML file: tools that call a
    /// provider's API with the user's Arcade-issued token (see the README)
    #[arg(long, value_name = "FILE")]
    pub direct_tools: Option<std::path::PathBuf>,
}

/// Where `serve` keeps its copy of the catalog, so a second start need not wait on the
/// network (see [`crate::catalog::cache`]).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CatalogCacheArgs {
    /// Folder of the catalog cache [env: ARCADE_GATEWAY_CACHE_DIR] [default: the
    /// platform cache folder, e.g. ~/.cache/arcade-mcp-gateway]
    #[arg(long, env = "ARCADE_GATEWAY_CACHE_DIR", value_name = "DIR")]
    pub catalog_cache_dir: Option<std::path::PathBuf>,

    /// Keep no copy of the catalog on disk: every start fetches it before serving
    #[arg(long)]
    pub no_catalog_cache: bool,
}

impl CatalogCacheArgs {
    /// The cache folder, or `None` when caching is off or the platform has no cache
    /// folder.
    pub fn dir(&self) -> Option<std::path::PathBuf> {
        if self.no_catalog_cache {
            return None;
        }
        self.catalog_cache_dir
            .clone()
            .or_else(crate::catalog::cache::default_dir)
    }
}

/// Which tools to load: whole toolkits, single tools, or (both empty) everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolFilter {
    /// Toolkit names, as given.
    pub toolkits: Vec<String>,
    /// Qualified tool names (`Toolkit.Tool`).
    pub tools: Vec<String>,
}

impl ToolFilter {
    /// Whether every tool the key can see is wanted.
    pub fn is_everything(&self) -> bool {
        self.toolkits.is_empty() && self.tools.is_empty()
    }
}

/// A configuration mistake, found before anything is served.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No key.
    #[error(
        "no Arcade API key: set ARCADE_API_KEY (or --api-key), or pass --emulator to try the server offline"
    )]
    MissingApiKey,
    /// No user.
    #[error(
        "no user id: set ARCADE_USER_ID (or --user-id) to the id of the person this server acts for, e.g. their email"
    )]
    MissingUserId,
    /// A base URL that is not http(s).
    #[error(
        "ARCADE_BASE_URL `{0}` is not an http(s) URL: set it to the engine's address, e.g. {DEFAULT_BASE_URL}"
    )]
    BadBaseUrl(String),
    /// A `--tool` that is not `Toolkit.Tool`.
    #[error("--tool `{0}` is not of the form Toolkit.Tool, e.g. --tool Gmail.ListEmails")]
    BadToolName(String),
    /// A `--toolkit` that is empty.
    #[error("--toolkit needs a toolkit name, e.g. --toolkit Gmail")]
    EmptyToolkit,
    /// `hash-token` got no token.
    #[error("no token given: pass --token or write it on standard input")]
    EmptyToken,
    /// A timeout that is not a positive number of seconds.
    #[error("--request-timeout must be a positive number of seconds, e.g. 60 or 0.5")]
    BadTimeout,
}

impl ArcadeArgs {
    /// The connection settings, checked. `ARCADE_API_URL` stands in for
    /// `ARCADE_BASE_URL` where only it is set.
    pub fn settings(&self) -> Result<ArcadeSettings, ConfigError> {
        let key = self
            .api_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or(ConfigError::MissingApiKey)?;
        let base_url = self
            .base_url
            .clone()
            .or_else(|| std::env::var("ARCADE_API_URL").ok())
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let url = Url::parse(base_url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| ConfigError::BadBaseUrl(base_url.clone()))?;
        let timeout = Duration::try_from_secs_f64(self.request_timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or(ConfigError::BadTimeout)?;
        let mut settings = ArcadeSettings::new(url, SecretString::from(key.to_owned()));
        settings.request_timeout = timeout;
        Ok(settings)
    }

    /// The tool filter, checked.
    pub fn filter(&self) -> Result<ToolFilter, ConfigError> {
        if self.toolkits.iter().any(|t| t.trim().is_empty()) {
            return Err(ConfigError::EmptyToolkit);
        }
        for tool in &self.tools {
            match tool.split_once('.') {
                Some((kit, name)) if !kit.is_empty() && !name.is_empty() => {}
                _ => return Err(ConfigError::BadToolName(tool.clone())),
            }
        }
        Ok(ToolFilter {
            toolkits: self.toolkits.iter().map(|t| t.trim().to_owned()).collect(),
            tools: self.tools.clone(),
        })
    }
}

/// Checks the user id this server acts for.
pub fn user_id(raw: Option<&str>) -> Result<UserId, ConfigError> {
    raw.map(str::trim)
        .filter(|u| !u.is_empty())
        .map(UserId::new)
        .ok_or(ConfigError::MissingUserId)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ArcadeArgs {
        ArcadeArgs {
            api_key: Some("arc_test".into()),
            base_url: Some("http://127.0.0.1:9".into()),
            toolkits: vec![],
            tools: vec![],
            request_timeout: 60.0,
        }
    }

    #[test]
    fn missing_key_says_what_to_set() {
        let err = ArcadeArgs {
            api_key: Some("  ".into()),
            ..args()
        }
        .settings()
        .unwrap_err();
        assert!(err.to_string().contains("ARCADE_API_KEY"), "{err}");
    }

    #[test]
    fn request_timeout_takes_fractions_and_refuses_what_is_not_positive() {
        let with = |request_timeout| ArcadeArgs {
            request_timeout,
            ..args()
        };
        let settings = with(0.3).settings().unwrap();
        assert_eq!(settings.request_timeout, Duration::from_millis(300));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(with(bad).settings(), Err(ConfigError::BadTimeout)),
                "{bad}"
            );
        }
    }

    #[test]
    fn base_url_must_be_http() {
        let err = ArcadeArgs {
            base_url: Some("ftp://x".into()),
            ..args()
        }
        .settings()
        .unwrap_err();
        assert!(matches!(err, ConfigError::BadBaseUrl(_)));
    }

    #[test]
    fn tool_names_need_a_toolkit() {
        let err = ArcadeArgs {
            tools: vec!["ListEmails".into()],
            ..args()
        }
        .filter()
        .unwrap_err();
        assert!(err.to_string().contains("Toolkit.Tool"), "{err}");
    }

    #[test]
    fn empty_user_id_is_refused() {
        assert!(matches!(
            user_id(Some(" ")),
            Err(ConfigError::MissingUserId)
        ));
        assert_eq!(
            user_id(Some("ann@example.com")).unwrap().as_str(),
            "ann@example.com"
        );
    }
}
