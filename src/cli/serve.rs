//! The flags of `serve`, checked once into a [`ServeConfig`].

use clap::Args;

use super::authorization::AuthorizationArgs;
use super::http::HttpArgs;
use super::source::{CatalogCacheArgs, DirectToolsArgs, SourceArgs};
use crate::audit::AuditTarget;
use crate::config::{self, ConfigError, ServeConfig, TransportConfig};
use crate::gateway::{DiscoveryMode, ListingSettings};
use crate::identity::UserId;

/// The user the server acts for when it runs on the built-in emulator and none is set.
const EMULATOR_USER: &str = "you@example.com";

/// Flags of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Where Arcade is and which tools to serve.
    #[command(flatten)]
    pub source: SourceArgs,

    /// Where the catalog is cached between starts.
    #[command(flatten)]
    pub cache: CatalogCacheArgs,

    /// The Arcade user id this server acts for [env: ARCADE_USER_ID]; over HTTP only on
    /// a loopback address, when no other identity mode is chosen
    #[arg(long, env = "ARCADE_USER_ID")]
    pub user_id: Option<String>,

    /// How authorization prompts reach the person.
    #[command(flatten)]
    pub authorization: AuthorizationArgs,

    /// The direct tools served beside Arcade's.
    #[command(flatten)]
    pub direct: DirectToolsArgs,

    /// What tools/list shows: `auto` lists every tool of a selection of at most 128
    /// (what editors send a model) and otherwise the discovery tools search_tools,
    /// describe_tools and call_tool; `always` the discovery tools; `never` every tool
    /// (in pages)
    #[arg(long, value_enum, default_value_t = Discovery::Auto)]
    pub discovery: Discovery,

    /// Leave out the tools list_connections and revoke_connection, which show and
    /// revoke the calling user's grants
    #[arg(long)]
    pub no_connection_tools: bool,

    /// Write one JSON line per tool call and authorization prompt to PATH (a file a
    /// day, `audit.YYYY-MM-DD.jsonl` for `audit.jsonl`, with PATH a link to the newest),
    /// or to stderr with `-`; never an argument value or secret (see docs/audit-log.md)
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<String>,

    /// How clients connect: `stdio` (one client, the one that launched the server) or
    /// `http` (Streamable HTTP at /mcp and legacy SSE at /sse, for many users)
    #[arg(long, value_enum, default_value_t = Transport::Stdio)]
    pub transport: Transport,

    /// The HTTP transport's flags.
    #[command(flatten, next_help_heading = "HTTP transport")]
    pub http: HttpArgs,
}

/// The values of `--discovery`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Discovery {
    /// Discovery for a selection too large to list.
    Auto,
    /// Always discovery.
    Always,
    /// Never discovery.
    Never,
}

impl From<Discovery> for DiscoveryMode {
    fn from(value: Discovery) -> Self {
        match value {
            Discovery::Auto => Self::Auto,
            Discovery::Always => Self::Always,
            Discovery::Never => Self::Never,
        }
    }
}

/// The transports `serve` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// MCP over stdin/stdout.
    Stdio,
    /// MCP over HTTP.
    Http,
}

impl ServeArgs {
    /// Every flag of `serve`, checked, as the configuration it runs with.
    pub fn config(&self) -> Result<ServeConfig, ConfigError> {
        let transport = match self.transport {
            Transport::Stdio => {
                if self.http.redis_url.is_some() {
                    tracing::warn!(
                        "--redis-url (ARCADE_GATEWAY_REDIS_URL) is ignored over stdio: it \
                         shares state between HTTP replicas, and stdio serves one user in \
                         one process (a used requestState is refused by this process alone)"
                    );
                }
                TransportConfig::Stdio {
                    user: self.fixed_user()?.ok_or(ConfigError::MissingUserId)?,
                }
            }
            Transport::Http => {
                TransportConfig::Http(Box::new(self.http.settings(self.fixed_user()?)?))
            }
        };
        let replicas = self.transport == Transport::Http && self.http.stateless;
        Ok(ServeConfig {
            source: self.source.config()?,
            catalog_cache: self.cache.dir(),
            catalog_refresh: self.cache.refresh_interval(),
            authorization: self.authorization.settings(replicas)?,
            direct_tools: self.direct.direct_tools.clone(),
            listing: ListingSettings {
                discovery: self.discovery.into(),
                no_connection_tools: self.no_connection_tools,
            },
            transport,
            audit_log: self.audit_log.as_deref().map(AuditTarget::parse),
        })
    }

    /// The fixed user of `serve`, if one is configured: `--user-id`/`ARCADE_USER_ID`,
    /// or a demo user on the emulator (HTTP can do without: its callers prove who they
    /// are). A user id that is set but unusable is an error, not an absence.
    fn fixed_user(&self) -> Result<Option<UserId>, ConfigError> {
        let fallback = self.source.emulator.then_some(EMULATOR_USER);
        match config::user_id(self.user_id.as_deref().or(fallback)) {
            Ok(user) => Ok(Some(user)),
            Err(ConfigError::MissingUserId) => Ok(None),
            Err(error) => Err(error),
        }
    }
}
