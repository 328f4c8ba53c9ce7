//! Getting ready to serve: check the configuration, start the built-in emulator if
//! asked, connect to Arcade and load the catalog — all before anything is served, so
//! a mistake ends the program with one clear line.

use std::path::Path;

use crate::arcade::{ArcadeClient, ArcadeError, ArcadeSettings};
use crate::catalog::LiveCatalog;
use crate::catalog::cache::CatalogCache;
use crate::catalog::loader::LoadError;
use crate::catalog::refresh::{self, Revalidation};
use crate::cli::{ServeArgs, SourceArgs};
use crate::config::{self, ConfigError, DirectToolsArgs};
use crate::direct::{DirectConfigError, DirectTools, RegistryError};
use crate::emulator::{Emulator, EmulatorError, EmulatorOptions};
use crate::gateway::{AuthorizationSettings, Caller, Gateway, SettingsError};
use crate::identity::UserId;

/// The user the server acts for when it runs on the built-in emulator and none is set.
const EMULATOR_USER: &str = "you@example.com";

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The catalog could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The Arcade client could not be built.
    #[error(transparent)]
    Arcade(#[from] ArcadeError),
    /// The built-in emulator failed.
    #[error(transparent)]
    Emulator(#[from] EmulatorError),
    /// The direct tools file is wrong.
    #[error(transparent)]
    DirectTools(#[from] DirectConfigError),
    /// The direct tools cannot be served (e.g. a name the catalog already uses).
    #[error(transparent)]
    DirectRegistry(#[from] RegistryError),
    /// Reading standard input failed.
    #[error("could not read standard input: {0}")]
    Stdin(#[from] std::io::Error),
    /// The authorization flags are wrong.
    #[error(transparent)]
    Authorization(#[from] SettingsError),
    /// The HTTP transport could not start or failed.
    #[error(transparent)]
    Http(#[from] crate::transport::http::HttpError),
    /// The MCP transport failed.
    #[error("the MCP connection failed: {0}")]
    Transport(String),
}

impl StartError {
    /// 2 when the server could not start (a configuration mistake, or Arcade could
    /// not give the catalog even after retries), 1 when it failed while running.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_)
            | Self::Arcade(_)
            | Self::Authorization(_)
            | Self::DirectTools(_)
            | Self::DirectRegistry(_)
            | Self::Load(_) => 2,
            Self::Http(crate::transport::http::HttpError::Serve(_)) => 1,
            Self::Http(_) => 2,
            Self::Emulator(_) | Self::Transport(_) | Self::Stdin(_) => 1,
        }
    }
}

/// A connected client and a loaded catalog, ready to serve.
pub struct Prepared {
    /// The client for Arcade (or the built-in emulator).
    pub arcade: ArcadeClient,
    /// The tools to serve (a background fetch may replace them).
    pub catalog: LiveCatalog,
    /// The in-process emulator, kept running while this lives.
    pub emulator: Option<Emulator>,
    /// The fetch that checks a catalog served from the cache, not yet started.
    revalidation: Option<Revalidation>,
}

impl Prepared {
    /// Checks the flags, starts the emulator if asked, and loads the catalog: from the
    /// cache in `cache_dir` when it holds a copy (not for the in-process emulator, whose
    /// address changes at every start), else from the engine.
    pub async fn new(source: &SourceArgs, cache_dir: Option<&Path>) -> Result<Self, StartError> {
        let filter = source.arcade.filter()?;
        let (settings, emulator) = if source.emulator {
            let emulator = start_emulator().await?;
            (emulator_settings(source, &emulator)?, Some(emulator))
        } else {
            (source.arcade.settings()?, None)
        };
        let arcade = ArcadeClient::new(settings)?;
        let cache = cache_dir
            .filter(|_| emulator.is_none())
            .map(|dir| CatalogCache::new(dir, arcade.base_url().as_str(), &filter));
        let (catalog, revalidation) = refresh::load(&arcade, &filter, cache).await?;
        tracing::info!(tools = catalog.current().len(), base_url = %arcade.base_url(), "catalog loaded");
        Ok(Self {
            arcade,
            catalog,
            emulator,
            revalidation,
        })
    }
}

/// What `serve` serves: the prepared catalog, how grants are asked for, and the direct
/// tools next to the catalog.
pub struct Serving {
    /// The client for Arcade and the loaded catalog.
    pub prepared: Prepared,
    authorization: AuthorizationSettings,
    direct: Option<DirectTools>,
}

impl Serving {
    /// Checks the authorization flags and the direct-tools file, then loads the catalog.
    pub async fn new(args: &ServeArgs) -> Result<Self, StartError> {
        let authorization = args.authorization.settings()?;
        let direct = direct_tools(&args.direct)?;
        let mut prepared = Prepared::new(&args.source, args.cache.dir().as_deref()).await?;
        if let Some(direct) = &direct {
            direct.check_against(&prepared.catalog.current())?;
        }
        if let Some(revalidation) = prepared.revalidation.take() {
            let direct = direct.clone();
            revalidation.spawn(Box::new(move |catalog| match &direct {
                Some(direct) => direct.check_against(catalog).map_err(|e| e.to_string()),
                None => Ok(()),
            }));
        }
        Ok(Self {
            prepared,
            authorization,
            direct,
        })
    }

    /// The MCP server, acting for whoever `caller` names.
    pub fn gateway(&self, caller: Caller) -> Gateway {
        let gateway = Gateway::new(
            self.prepared.arcade.clone(),
            self.prepared.catalog.clone(),
            caller,
            self.authorization.clone(),
        );
        match &self.direct {
            Some(direct) => gateway.with_direct_tools(direct.clone()),
            None => gateway,
        }
    }
}

/// The direct tools of `--direct-tools FILE`, read before the catalog is loaded so a
/// wrong file fails fast (check them against the catalog once it is loaded). Without
/// the flag there are none, and no HTTP client for them is built: setting one up reads
/// the system's certificates, ~5 ms of start-up.
pub fn direct_tools(args: &DirectToolsArgs) -> Result<Option<DirectTools>, StartError> {
    args.direct_tools
        .as_deref()
        .map(load_direct_tools)
        .transpose()
}

/// The direct tools declared in `path`.
fn load_direct_tools(path: &Path) -> Result<DirectTools, StartError> {
    let direct = DirectTools::builder()
        .tools(crate::direct::load_file(path)?)
        .build()
        .map_err(|source| {
            StartError::DirectTools(DirectConfigError::Registry {
                path: path.to_owned(),
                source,
            })
        })?;
    tracing::info!(tools = direct.len(), file = %path.display(), "direct tools loaded");
    Ok(direct)
}

/// The user `serve` acts for: `--user-id`/`ARCADE_USER_ID`, or a demo user on the
/// emulator.
pub fn user_for(args: &ServeArgs) -> Result<UserId, ConfigError> {
    fixed_user(args).ok_or(ConfigError::MissingUserId)
}

/// The fixed user of `serve`, if one is configured (HTTP can do without: its callers
/// prove who they are).
pub fn fixed_user(args: &ServeArgs) -> Option<UserId> {
    let fallback = args.source.emulator.then_some(EMULATOR_USER);
    config::user_id(args.user_id.as_deref().or(fallback)).ok()
}

async fn start_emulator() -> Result<Emulator, EmulatorError> {
    let options = EmulatorOptions::default();
    let emulator = Emulator::start(options, ([127, 0, 0, 1], 0).into()).await?;
    tracing::info!(url = %emulator.base_url(), "built-in emulator started; authorization links open its approval page");
    Ok(emulator)
}

fn emulator_settings(
    source: &SourceArgs,
    emulator: &Emulator,
) -> Result<ArcadeSettings, ConfigError> {
    let mut arcade = source.arcade.clone();
    arcade.api_key = Some(emulator.state().api_key());
    arcade.base_url = Some(emulator.base_url());
    arcade.settings()
}
