//! The catalog at start: from the on-disk cache when there is a copy (then fetched again
//! in the background and swapped in if it changed), else from the engine (then written
//! to the cache, also in the background, so start-up does not wait on the disk).

use super::Catalog;
use std::time::Duration;

use super::cache::CatalogCache;
use super::live::LiveCatalog;
use super::loader::{LoadError, load_definitions};
use crate::arcade::ArcadeClient;
use crate::catalog::ToolFilter;

/// How long a start served from the cache waits before fetching the catalog again:
/// the start's own work (the handshake, the first `tools/list`) goes first, so that
/// fetching and converting thousands of tools does not slow down the start the cache
/// is there to speed up.
const REVALIDATE_AFTER: Duration = Duration::from_secs(2);

/// A check a fetched catalog must pass before it replaces the served one (e.g. no name
/// a direct tool already uses); `Err` says why not.
pub type Acceptance = Box<dyn Fn(&Catalog) -> Result<(), String> + Send + Sync>;

/// Loads the catalog to serve: the cached copy if `cache` has one, else the engine's.
/// The [`Revalidation`] is `Some` when the catalog came from the cache.
pub async fn load(
    arcade: &ArcadeClient,
    filter: &ToolFilter,
    cache: Option<CatalogCache>,
) -> Result<(LiveCatalog, Option<Revalidation>), LoadError> {
    let cached = cache.as_ref().and_then(CatalogCache::load);
    if let (Some(catalog), Some(cache)) = (cached, cache.clone()) {
        let live = LiveCatalog::new(catalog);
        tracing::info!(path = %cache.path().display(), "catalog served from the cache; fetching it again in the background");
        let revalidation = Revalidation {
            arcade: arcade.clone(),
            filter: filter.clone(),
            cache,
            live: live.clone(),
        };
        return Ok((live, Some(revalidation)));
    }
    let catalog = Catalog::from_definitions(load_definitions(arcade, filter).await?);
    if let Some(cache) = cache {
        tokio::task::spawn_blocking({
            let catalog = catalog.clone();
            move || store(&cache, &catalog)
        });
    }
    Ok((LiveCatalog::new(catalog), None))
}

/// The background fetch that checks a catalog served from the cache.
pub struct Revalidation {
    arcade: ArcadeClient,
    filter: ToolFilter,
    cache: CatalogCache,
    live: LiveCatalog,
}

impl Revalidation {
    /// Fetches the catalog in a task; a changed one that passes `accept` is written to
    /// the cache, served, and announced to connected clients. A failed fetch keeps the
    /// cached catalog (with a warning).
    pub fn spawn(self, accept: Acceptance) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(accept))
    }

    async fn run(self, accept: Acceptance) {
        tokio::time::sleep(REVALIDATE_AFTER).await;
        let definitions = match load_definitions(&self.arcade, &self.filter).await {
            Ok(definitions) => definitions,
            Err(error) => {
                tracing::warn!(%error, "could not fetch the catalog again; serving the cached copy");
                return;
            }
        };
        let converted = tokio::task::spawn_blocking(move || Catalog::from_definitions(definitions));
        let Ok(fresh) = converted.await else {
            return;
        };
        if fresh.same_tools(&self.live.current()) {
            tracing::debug!("the cached catalog is current");
            return;
        }
        if let Err(why) = accept(&fresh) {
            tracing::warn!(%why, "the engine's catalog changed but cannot be served; serving the cached copy");
            return;
        }
        let cache = self.cache.clone();
        let stored = fresh.clone();
        tokio::task::spawn_blocking(move || store(&cache, &stored));
        tracing::info!(
            tools = fresh.len(),
            "the engine's catalog changed; serving it and telling connected clients"
        );
        self.live.replace(fresh).await;
    }
}

fn store(cache: &CatalogCache, catalog: &Catalog) {
    match cache.store(catalog) {
        Ok(()) => tracing::debug!(path = %cache.path().display(), "catalog cache written"),
        Err(error) => tracing::warn!(%error, "catalog cache not written"),
    }
}
