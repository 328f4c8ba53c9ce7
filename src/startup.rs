//! Getting ready to serve, from the checked [`crate::config`]: start the built-in
//! emulator if asked, connect to Arcade, load the catalog and the direct tools — all
//! before anything is served, so a mistake ends the program with one clear line.

use std::path::Path;

use crate::arcade::{ArcadeClient, ArcadeError};
use crate::audit::{AuditError, AuditGuard, AuditLog};
use crate::catalog::LiveCatalog;
use crate::catalog::cache::CatalogCache;
use crate::catalog::loader::LoadError;
use crate::catalog::refresh::{self, Refresher};
use crate::config::{Engine, ServeConfig, SourceConfig, TransportConfig};
use crate::direct::{DirectConfigError, DirectTools, RegistryError};
#[cfg(feature = "emulator")]
use crate::emulator::{Emulator, EmulatorError, EmulatorOptions};
use crate::gateway::{AuthorizationSettings, Caller, Gateway, ListingSettings};
use crate::shared_state::SharedState;

/// Why the server could not get ready to serve.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The catalog could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The Arcade client could not be built.
    #[error(transparent)]
    Arcade(#[from] ArcadeError),
    /// The built-in emulator failed.
    #[cfg(feature = "emulator")]
    #[error(transparent)]
    Emulator(#[from] EmulatorError),
    /// The direct tools file is wrong.
    #[error(transparent)]
    DirectTools(#[from] DirectConfigError),
    /// The direct tools cannot be served (e.g. a name the catalog already uses).
    #[error(transparent)]
    DirectRegistry(#[from] RegistryError),
    /// The audit log cannot be written.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl StartError {
    /// 2 when the server could not start (a configuration mistake, or Arcade could
    /// not give the catalog even after retries), 1 when the built-in emulator failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            #[cfg(feature = "emulator")]
            Self::Emulator(_) => 1,
            _ => 2,
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
    #[cfg(feature = "emulator")]
    pub emulator: Option<Emulator>,
    /// What keeps the catalog current, not yet started.
    refresher: Option<Refresher>,
}

impl Prepared {
    /// Starts the emulator if asked, and loads the catalog: from the cache in
    /// `cache_dir` when it holds a copy (not for the in-process emulator, whose address
    /// changes at every start), else from the engine.
    pub async fn new(source: &SourceConfig, cache_dir: Option<&Path>) -> Result<Self, StartError> {
        let filter = &source.filter;
        #[cfg(feature = "emulator")]
        let (settings, emulator) = match &source.engine {
            Engine::Arcade(settings) => (settings.clone(), None),
            Engine::Emulator { request_timeout } => {
                let emulator = start_emulator().await?;
                let settings = emulator_settings(&emulator, *request_timeout);
                (settings, Some(emulator))
            }
        };
        #[cfg(not(feature = "emulator"))]
        let settings = match &source.engine {
            Engine::Arcade(settings) => settings.clone(),
            Engine::Emulator { .. } => unreachable!("the flags refuse --emulator without it"),
        };
        let arcade = ArcadeClient::new(settings)?;
        let cache = cache_dir
            .filter(|_| matches!(source.engine, Engine::Arcade(_)))
            .map(|dir| CatalogCache::new(dir, arcade.base_url().as_str(), filter));
        let (catalog, refresher) = refresh::load(&arcade, filter, cache).await?;
        tracing::info!(tools = catalog.current().len(), base_url = %arcade.base_url(), "catalog loaded");
        Ok(Self {
            arcade,
            catalog,
            #[cfg(feature = "emulator")]
            emulator,
            refresher: Some(refresher),
        })
    }
}

/// What `serve` serves: the prepared catalog, how grants are asked for, and the direct
/// tools next to the catalog.
pub struct Serving {
    /// The client for Arcade and the loaded catalog.
    pub prepared: Prepared,
    authorization: AuthorizationSettings,
    listing: ListingSettings,
    direct: Option<DirectTools>,
    audit: AuditLog,
    /// Writes out the queued audit lines when `serve` ends and this is dropped.
    _audit_guard: Option<AuditGuard>,
    shared: SharedState,
}

impl Serving {
    /// Opens the audit log, reads the direct-tools file and connects to the replicas'
    /// Redis if one is given, then loads the catalog.
    pub async fn new(config: &ServeConfig) -> Result<Self, StartError> {
        let (audit, audit_guard) = match &config.audit_log {
            Some(target) => {
                let (log, guard) = AuditLog::open(target)?;
                (log, Some(guard))
            }
            None => (AuditLog::default(), None),
        };
        let mut authorization = config.authorization.clone();
        let redis = match &config.transport {
            TransportConfig::Http(settings) => settings.redis.as_ref(),
            TransportConfig::Stdio { .. } => None,
        };
        let shared = match redis {
            Some(url) => SharedState::connect(url).await,
            None => SharedState::local(),
        };
        authorization.replay = shared.replay_guard();
        let direct = direct_tools(config.direct_tools.as_deref())?;
        let mut prepared = Prepared::new(&config.source, config.catalog_cache.as_deref()).await?;
        if let Some(direct) = &direct {
            direct.check_against(&prepared.catalog.current())?;
        }
        if let Some(refresher) = prepared.refresher.take() {
            let direct = direct.clone();
            let refresher = refresher.every(config.catalog_refresh);
            refresher.spawn(Box::new(move |catalog| match &direct {
                Some(direct) => direct.check_against(catalog).map_err(|e| e.to_string()),
                None => Ok(()),
            }));
        }
        Ok(Self {
            prepared,
            authorization,
            listing: config.listing,
            direct,
            audit,
            _audit_guard: audit_guard,
            shared,
        })
    }

    /// What the replicas share (nothing without `--redis-url`).
    pub fn shared_state(&self) -> &SharedState {
        &self.shared
    }

    /// The MCP server, acting for whoever `caller` names.
    pub fn gateway(&self, caller: Caller) -> Gateway {
        let gateway = Gateway::new(
            self.prepared.arcade.clone(),
            self.prepared.catalog.clone(),
            caller,
            self.authorization.clone(),
        )
        .with_listing(self.listing)
        .with_audit(self.audit.clone());
        let gateway = match &self.direct {
            Some(direct) => gateway.with_direct_tools(direct.clone()),
            None => gateway,
        };
        gateway.warm_search();
        gateway
    }
}

/// The direct tools of `--direct-tools FILE`, read before the catalog is loaded so a
/// wrong file fails fast (check them against the catalog once it is loaded). Without
/// the flag there are none, and no HTTP client for them is built: setting one up reads
/// every system certificate.
pub fn direct_tools(path: Option<&Path>) -> Result<Option<DirectTools>, StartError> {
    path.map(load_direct_tools).transpose()
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

#[cfg(feature = "emulator")]
async fn start_emulator() -> Result<Emulator, EmulatorError> {
    let options = EmulatorOptions::default();
    let emulator = Emulator::start(options, ([127, 0, 0, 1], 0).into()).await?;
    tracing::info!(url = %emulator.base_url(), "built-in emulator started; authorization links open its approval page");
    Ok(emulator)
}

/// The settings reaching the in-process emulator: its address and key.
#[cfg(feature = "emulator")]
fn emulator_settings(
    emulator: &Emulator,
    request_timeout: std::time::Duration,
) -> crate::arcade::ArcadeSettings {
    let url = url::Url::parse(&emulator.base_url()).expect("the emulator's URL is a URL");
    let key = secrecy::SecretString::from(emulator.state().api_key());
    let mut settings = crate::arcade::ArcadeSettings::new(url, key);
    settings.request_timeout = request_timeout;
    settings
}
