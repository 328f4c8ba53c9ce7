//! Keeping the served catalog current: at start from the on-disk cache when there is a
//! copy (then fetched again in the background and swapped in if it changed), else from
//! the engine (then written to the cache, also in the background, so start-up does not
//! wait on the disk); after that, fetched again on an interval, and at once when a call
//! finds that the version it was pinned to is gone. Serving never pauses: a fetched
//! catalog is converted off the async threads and swapped in whole.

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
/// The [`Refresher`] keeps it current once spawned.
pub async fn load(
    arcade: &ArcadeClient,
    filter: &ToolFilter,
    cache: Option<CatalogCache>,
) -> Result<(LiveCatalog, Refresher), LoadError> {
    let cached = cache.as_ref().and_then(CatalogCache::load);
    let refresher = |live: &LiveCatalog, from_cache: bool| Refresher {
        arcade: arcade.clone(),
        filter: filter.clone(),
        cache: cache.clone(),
        live: live.clone(),
        from_cache,
        interval: None,
    };
    if let (Some(catalog), Some(cache)) = (cached, &cache) {
        let live = LiveCatalog::new(catalog);
        tracing::info!(path = %cache.path().display(), "catalog served from the cache; fetching it again in the background");
        return Ok((live.clone(), refresher(&live, true)));
    }
    let catalog = Catalog::from_definitions(load_definitions(arcade, filter).await?);
    if let Some(cache) = cache.clone() {
        tokio::task::spawn_blocking({
            let catalog = catalog.clone();
            move || store(&cache, &catalog)
        });
    }
    let live = LiveCatalog::new(catalog);
    Ok((live.clone(), refresher(&live, false)))
}

/// The background task that fetches the catalog again: once soon after a start from
/// the cache, then every interval, and whenever [`LiveCatalog::refresh_now`] asks.
pub struct Refresher {
    arcade: ArcadeClient,
    filter: ToolFilter,
    cache: Option<CatalogCache>,
    live: LiveCatalog,
    from_cache: bool,
    interval: Option<Duration>,
}

impl Refresher {
    /// Fetches again every `interval` (`None`: only when asked, or after a cached start).
    pub fn every(mut self, interval: Option<Duration>) -> Self {
        self.interval = interval.filter(|i| !i.is_zero());
        self
    }

    /// Starts refreshing in a task. A changed catalog that passes `accept` is written
    /// to the cache, served, and announced to connected clients; a failed fetch keeps
    /// the served catalog (with a warning).
    pub fn spawn(self, accept: Acceptance) -> tokio::task::JoinHandle<()> {
        self.live.refresher_started();
        tokio::spawn(self.run(accept))
    }

    async fn run(self, accept: Acceptance) {
        if self.from_cache {
            tokio::select! {
                () = tokio::time::sleep(REVALIDATE_AFTER) => {}
                () = self.live.refresh_wanted() => {}
            }
            self.refresh(&accept).await;
        }
        loop {
            match self.interval {
                Some(interval) => tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = self.live.refresh_wanted() => {}
                },
                None => self.live.refresh_wanted().await,
            }
            self.refresh(&accept).await;
        }
    }

    /// One fetch, swapped in if it changed, then waiting callers are told.
    async fn refresh(&self, accept: &Acceptance) {
        self.fetch_and_swap(accept).await;
        self.live.refresh_finished();
    }

    async fn fetch_and_swap(&self, accept: &Acceptance) {
        let definitions = match load_definitions(&self.arcade, &self.filter).await {
            Ok(definitions) => definitions,
            Err(error) => {
                tracing::warn!(%error, "could not fetch the catalog again; serving the one in hand");
                return;
            }
        };
        let converted = tokio::task::spawn_blocking(move || Catalog::from_definitions(definitions));
        let Ok(fresh) = converted.await else {
            return;
        };
        if fresh.same_tools(&self.live.current()) {
            tracing::debug!("the served catalog is current");
            return;
        }
        if let Err(why) = accept(&fresh) {
            tracing::warn!(%why, "the engine's catalog changed but cannot be served; serving the one in hand");
            return;
        }
        if let Some(cache) = self.cache.clone() {
            let stored = fresh.clone();
            tokio::task::spawn_blocking(move || store(&cache, &stored));
        }
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
