//! The catalog being served, which a background refresh may replace while clients are
//! connected: each connected client is then told with
//! `notifications/tools/list_changed` (clients of 2026-07-28 listen for it with
//! `subscriptions/listen`, through [`LiveCatalog::changes`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard, RwLock};
use rmcp::RoleServer;
use rmcp::service::Peer;
use tokio::sync::{Notify, watch};

use super::Catalog;

/// The served catalog and the clients to tell when it changes. Cloning is cheap (one
/// `Arc`): every connection holds the same one.
#[derive(Clone, Default)]
pub struct LiveCatalog {
    inner: Arc<Inner>,
}

struct Inner {
    current: RwLock<Catalog>,
    peers: Mutex<Vec<Peer<RoleServer>>>,
    /// Counts replacements; every subscription watches it.
    generation: watch::Sender<u64>,
    /// Whether a background refresher serves [`LiveCatalog::refresh_now`].
    refresher: AtomicBool,
    /// Wakes the refresher for a refresh now.
    refresh_wanted: Notify,
    /// Counts finished refreshes (changed or not): what a caller of
    /// [`LiveCatalog::refresh_now`] waits on.
    refreshed: watch::Sender<u64>,
}

impl Default for Inner {
    fn default() -> Self {
        Self::serving(Catalog::default())
    }
}

impl Inner {
    fn serving(catalog: Catalog) -> Self {
        Self {
            current: RwLock::new(catalog),
            peers: Mutex::default(),
            generation: watch::Sender::new(0),
            refresher: AtomicBool::new(false),
            refresh_wanted: Notify::new(),
            refreshed: watch::Sender::new(0),
        }
    }
}

impl LiveCatalog {
    /// Serves `catalog` until it is replaced.
    pub fn new(catalog: Catalog) -> Self {
        Self {
            inner: Arc::new(Inner::serving(catalog)),
        }
    }

    /// The catalog now (a cheap clone: a call keeps using the catalog it started with).
    pub fn current(&self) -> Catalog {
        self.inner.current.read().clone()
    }

    /// Tells `peer` about later replacements. Clients that have gone are forgotten here.
    pub fn watch(&self, peer: Peer<RoleServer>) {
        let mut peers = self.peers();
        peers.retain(|p| !p.is_transport_closed());
        peers.push(peer);
    }

    /// Changes each time the catalog is replaced: what a `subscriptions/listen` waits on.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.inner.generation.subscribe()
    }

    /// Serves `catalog` from now on and tells every connected client.
    pub async fn replace(&self, catalog: Catalog) {
        *self.inner.current.write() = catalog;
        self.inner
            .generation
            .send_modify(|generation| *generation += 1);
        let peers: Vec<Peer<RoleServer>> = {
            let mut peers = self.peers();
            peers.retain(|p| !p.is_transport_closed());
            peers.clone()
        };
        for peer in peers {
            if let Err(error) = peer.notify_tool_list_changed().await {
                tracing::debug!(%error, "a client could not be told that the tool list changed");
            }
        }
    }

    /// Asks the background refresher to fetch the catalog now, and waits up to `wait`
    /// for that refresh to finish. `false` when no refresher runs or it took longer.
    pub async fn refresh_now(&self, wait: Duration) -> bool {
        if !self.inner.refresher.load(Ordering::Acquire) {
            return false;
        }
        let mut refreshed = self.inner.refreshed.subscribe();
        refreshed.mark_unchanged();
        self.inner.refresh_wanted.notify_one();
        matches!(
            tokio::time::timeout(wait, refreshed.changed()).await,
            Ok(Ok(()))
        )
    }

    /// Marks that a refresher serves [`Self::refresh_now`] from now on.
    pub(super) fn refresher_started(&self) {
        self.inner.refresher.store(true, Ordering::Release);
    }

    /// Resolves when someone asks for a refresh now.
    pub(super) async fn refresh_wanted(&self) {
        self.inner.refresh_wanted.notified().await;
    }

    /// Tells the callers waiting in [`Self::refresh_now`] that a refresh finished.
    pub(super) fn refresh_finished(&self) {
        self.inner.refreshed.send_modify(|count| *count += 1);
    }

    fn peers(&self) -> MutexGuard<'_, Vec<Peer<RoleServer>>> {
        self.inner.peers.lock()
    }
}

impl From<Catalog> for LiveCatalog {
    fn from(catalog: Catalog) -> Self {
        Self::new(catalog)
    }
}

impl std::fmt::Debug for LiveCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCatalog")
            .field("tools", &self.current().len())
            .finish_non_exhaustive()
    }
}
