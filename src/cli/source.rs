//! The flags saying where the tools come from (Arcade or the built-in emulator), which
//! of them to serve, where the catalog is cached and which direct tools sit beside it.
//!
//! The official variables are honoured: `ARCADE_API_KEY`, `ARCADE_BASE_URL` (alias
//! `ARCADE_API_URL`) and `ARCADE_USER_ID`.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::arcade::ArcadeSettings;
use crate::catalog::ToolFilter;
use crate::config::{ConfigError, DEFAULT_BASE_URL, Engine, SourceConfig};

/// Where Arcade is and which of its tools to serve (shared by `serve` and `tools`).
#[derive(Debug, Clone, clap::Args)]
pub struct ArcadeArgs {
    /// Arcade API key [env: ARCADE_API_KEY]
    #[arg(long, env = "ARCADE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// Arcade Engine base URL [env: ARCADE_BASE_URL or ARCADE_API_URL] [default: https://api.arcade.dev]
    #[arg(long, env = "ARCADE_BASE_URL")]
    pub base_url: Option<String>,

    /// Serve only this toolkit (repeatable, or comma-separated), e.g. --toolkit Gmail
    /// [env: ARCADE_GATEWAY_TOOLKITS, e.g. Gmail,Slack]
    #[arg(
        long = "toolkit",
        value_name = "NAME",
        env = "ARCADE_GATEWAY_TOOLKITS",
        value_delimiter = ','
    )]
    pub toolkits: Vec<String>,

    /// Serve only this tool (repeatable), e.g. --tool Gmail.ListEmails
    #[arg(long = "tool", value_name = "TOOLKIT.TOOL")]
    pub tools: Vec<String>,

    /// How long one request to Arcade may take, in seconds (fractions allowed, e.g. 0.5);
    /// also `--arcade-timeout`
    #[arg(
        long,
        visible_alias = "arcade-timeout",
        default_value_t = 60.0,
        value_name = "SECONDS"
    )]
    pub request_timeout: f64,
}

/// Where the tools come from: Arcade, or the built-in emulator.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// Arcade's address, key and filters.
    #[command(flatten)]
    pub arcade: ArcadeArgs,

    /// Start the built-in emulator in-process and serve its demo tools (no Arcade
    /// account needed; overrides the key and base URL)
    #[arg(long)]
    pub emulator: bool,
}

/// The direct tools file of `serve` and `tools`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DirectToolsArgs {
    /// Also serve the direct tools declared in this TOML file: tools that call a
    /// provider's API with the user's Arcade-issued token (see the README)
    #[arg(long, value_name = "FILE")]
    pub direct_tools: Option<PathBuf>,
}

/// Where `serve` keeps its copy of the catalog, so a second start need not wait on the
/// network (see [`crate::catalog::cache`]).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CatalogCacheArgs {
    /// Folder of the catalog cache [env: ARCADE_GATEWAY_CACHE_DIR] [default: the
    /// platform cache folder, e.g. ~/.cache/arcade-mcp-gateway]
    #[arg(long, env = "ARCADE_GATEWAY_CACHE_DIR", value_name = "DIR")]
    pub catalog_cache_dir: Option<PathBuf>,

    /// Keep no copy of the catalog on disk: every start fetches it before serving
    #[arg(long)]
    pub no_catalog_cache: bool,

    /// Fetch the catalog again every SECONDS while serving, swapping in what changed
    /// without a pause and telling connected clients (0: only when a call finds that
    /// its tool's version is gone)
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_CATALOG_REFRESH_SECS)]
    pub catalog_refresh: u64,
}

/// How often the catalog is fetched again by default: Arcade's toolkits change with
/// releases, not by the minute, and a refresh of thousands of tools costs tens of
/// requests.
const DEFAULT_CATALOG_REFRESH_SECS: u64 = 600;

impl CatalogCacheArgs {
    /// How often to fetch the catalog again, `None` for never on a schedule.
    pub fn refresh_interval(&self) -> Option<std::time::Duration> {
        (self.catalog_refresh > 0).then(|| std::time::Duration::from_secs(self.catalog_refresh))
    }

    /// The cache folder, or `None` when caching is off or the platform has no cache
    /// folder.
    pub fn dir(&self) -> Option<PathBuf> {
        if self.no_catalog_cache {
            return None;
        }
        self.catalog_cache_dir
            .clone()
            .or_else(crate::catalog::cache::default_dir)
    }
}

impl SourceArgs {
    /// The engine and the tool filter, checked.
    pub fn config(&self) -> Result<SourceConfig, ConfigError> {
        let filter = self.arcade.filter()?;
        let engine = if self.emulator {
            if !cfg!(feature = "emulator") {
                return Err(ConfigError::NoEmulator);
            }
            Engine::Emulator {
                request_timeout: self.arcade.request_timeout()?,
            }
        } else {
            Engine::Arcade(self.arcade.settings()?)
        };
        Ok(SourceConfig { engine, filter })
    }
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
        crate::config::refuse_placeholder("ARCADE_API_KEY (--api-key)", key)?;
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
        let mut settings = ArcadeSettings::new(url, SecretString::from(key.to_owned()));
        settings.request_timeout = self.request_timeout()?;
        Ok(settings)
    }

    /// `--request-timeout`, checked.
    fn request_timeout(&self) -> Result<Duration, ConfigError> {
        Duration::try_from_secs_f64(self.request_timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or(ConfigError::BadTimeout)
    }

    /// Whether the only toolkit is the blank value of `ARCADE_GATEWAY_TOOLKITS`: a
    /// client that fills the variable from an optional setting (the Claude Desktop
    /// bundle's toolkit list) sets it empty when left blank, which means every toolkit.
    fn toolkits_left_blank(&self) -> bool {
        let blank_variable =
            std::env::var("ARCADE_GATEWAY_TOOLKITS").is_ok_and(|value| value.trim().is_empty());
        blank_variable && self.toolkits.iter().all(|t| t.trim().is_empty())
    }

    /// The tool filter, checked.
    pub fn filter(&self) -> Result<ToolFilter, ConfigError> {
        if self.toolkits_left_blank() {
            return Ok(ToolFilter {
                toolkits: Vec::new(),
                tools: self.tools.clone(),
            });
        }
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
    fn an_unexpanded_key_reference_says_which_variable_to_set() {
        let err = ArcadeArgs {
            api_key: Some("${ARCADE_API_KEY}".into()),
            ..args()
        }
        .settings()
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("set ARCADE_API_KEY in the environment"),
            "{err}"
        );
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
}
