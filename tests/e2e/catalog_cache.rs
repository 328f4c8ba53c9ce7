//! The on-disk catalog cache: a second start serves the cached tools without waiting on
//! the engine (down or slow), a changed catalog is swapped in and announced with
//! `notifications/tools/list_changed` (to 2026-07-28 subscribers too), and a damaged
//! cache is ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arcade_mcp_gateway::emulator::{CatalogSource, Emulator, EmulatorOptions, Faults};
use rmcp::model::{ProtocolVersion, ServerNotification, SubscriptionFilter};
use rmcp::service::{ClientLifecycleMode, NotificationContext};
use rmcp::{ClientHandler, RoleClient};
use serde_json::json;
use tokio::sync::Notify;

use crate::support::{API_KEY, Gateway, text};

/// A client that counts on being told the tool list changed.
#[derive(Clone, Default)]
struct ListWatcher(Arc<Notify>);

impl ClientHandler for ListWatcher {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.0.notify_one();
    }
}

/// Writes a toolkit file whose tools take no arguments.
fn write_toolkit(dir: &Path, toolkit: &str, tools: &[&str]) {
    let items: Vec<_> = tools
        .iter()
        .map(|tool| {
            json!({"fully_qualified_name": format!("{toolkit}.{tool}@1.0.0"),
                   "qualified_name": format!("{toolkit}.{tool}"), "name": tool,
                   "toolkit": {"name": toolkit, "version": "1.0.0"},
                   "input": {"parameters": []}})
        })
        .collect();
    let file = json!({"toolkit": toolkit, "version": "1.0.0", "items": items});
    std::fs::write(dir.join(format!("{toolkit}.json")), file.to_string()).unwrap();
}

async fn emulator(kits: &Path, addr: SocketAddr, latency_ms: u64) -> Emulator {
    let options = EmulatorOptions {
        api_key: API_KEY.to_owned(),
        catalog: CatalogSource::Files(vec![kits.to_owned()]),
        faults: Faults {
            latency_ms,
            ..Faults::default()
        },
        ..EmulatorOptions::default()
    };
    Emulator::start(options, addr)
        .await
        .expect("emulator starts")
}

async fn spawn<H: ClientHandler>(handler: H, base_url: &str, cache: &Path) -> Gateway<H> {
    // Only the catalog is listed, so the names below are the cached tools.
    let extra = [
        "--catalog-cache-dir",
        cache.to_str().unwrap(),
        "--no-connection-tools",
    ];
    Gateway::spawn_with(
        handler,
        ClientLifecycleMode::Initialize,
        base_url,
        "ann@example.com",
        &extra,
    )
    .await
}

async fn tool_names<H: ClientHandler>(gateway: &Gateway<H>) -> Vec<String> {
    let tools = gateway.client.list_all_tools().await.expect("tools/list");
    tools.into_iter().map(|t| t.name.into_owned()).collect()
}

/// The cache files in `dir` once one is there and holds JSON.
async fn cache_files(dir: &Path) -> Vec<PathBuf> {
    for _ in 0..100 {
        let files: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        let parsed = files.iter().all(|path| {
            std::fs::read(path)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .is_some()
        });
        if !files.is_empty() && parsed {
            return files;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no catalog cache was written in {}", dir.display());
}

async fn wait_for_log<H: ClientHandler>(gateway: &Gateway<H>, needle: &str) {
    for _ in 0..300 {
        if gateway.logs().contains(needle) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the logs never said `{needle}`:\n{}", gateway.logs());
}

/// Starts a gateway once against an emulator serving `kits`, so the cache is written;
/// returns the emulator's address after shutting it down.
async fn fill_cache(kits: &Path, cache: &Path) -> (SocketAddr, Vec<String>) {
    let first = emulator(kits, ([127, 0, 0, 1], 0).into(), 0).await;
    let gateway = spawn((), &first.base_url(), cache).await;
    let names = tool_names(&gateway).await;
    cache_files(cache).await;
    drop(gateway);
    let addr: SocketAddr = first.base_url()["http://".len()..].parse().unwrap();
    first.shutdown().await;
    (addr, names)
}

#[tokio::test]
async fn a_second_start_serves_the_cached_catalog_while_the_engine_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let (kits, cache) = (dir.path().join("kits"), dir.path().join("cache"));
    std::fs::create_dir_all(&kits).unwrap();
    write_toolkit(&kits, "Kit", &["Alpha", "Beta"]);
    let (addr, names) = fill_cache(&kits, &cache).await;
    assert_eq!(names, ["Kit_Alpha", "Kit_Beta"]);

    let gateway = spawn((), &format!("http://{addr}"), &cache).await;
    assert_eq!(tool_names(&gateway).await, names);
    wait_for_log(&gateway, "catalog served from the cache").await;
    wait_for_log(&gateway, "could not fetch the catalog again").await;
    assert!(!gateway.logs().contains(API_KEY));
    for file in cache_files(&cache).await {
        let contents = std::fs::read_to_string(file).unwrap();
        assert!(!contents.contains(API_KEY), "the key is never cached");
    }
}

#[tokio::test]
async fn a_changed_catalog_is_swapped_in_and_announced() {
    let dir = tempfile::tempdir().unwrap();
    let (kits, cache) = (dir.path().join("kits"), dir.path().join("cache"));
    std::fs::create_dir_all(&kits).unwrap();
    write_toolkit(&kits, "Kit", &["Alpha"]);
    let (addr, names) = fill_cache(&kits, &cache).await;

    // The engine now has one more toolkit, and answers slowly: the start does not wait.
    write_toolkit(&kits, "More", &["Gamma"]);
    let slow = emulator(&kits, addr, 1_500).await;
    let watcher = ListWatcher::default();
    let gateway = spawn(watcher.clone(), &slow.base_url(), &cache).await;
    assert_eq!(tool_names(&gateway).await, names, "served from the cache");

    tokio::time::timeout(Duration::from_secs(30), watcher.0.notified())
        .await
        .expect("notifications/tools/list_changed arrives");
    assert_eq!(tool_names(&gateway).await, ["Kit_Alpha", "More_Gamma"]);
    let result = gateway.call("More_Gamma", json!({})).await;
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    wait_for_log(&gateway, "catalog cache written").await;
    slow.shutdown().await;
}

#[tokio::test]
async fn a_damaged_cache_is_ignored_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let (kits, cache) = (dir.path().join("kits"), dir.path().join("cache"));
    std::fs::create_dir_all(&kits).unwrap();
    write_toolkit(&kits, "Kit", &["Alpha"]);
    let first = emulator(&kits, ([127, 0, 0, 1], 0).into(), 0).await;
    let gateway = spawn((), &first.base_url(), &cache).await;
    let names = tool_names(&gateway).await;
    drop(gateway);
    for file in cache_files(&cache).await {
        std::fs::write(file, "{\"format\": 1, \"definitions\": [{").unwrap();
    }

    let gateway = spawn((), &first.base_url(), &cache).await;
    assert_eq!(tool_names(&gateway).await, names);
    wait_for_log(&gateway, "catalog cache damaged").await;
    cache_files(&cache).await;
    first.shutdown().await;
}

/// A 2026-07-28 client listens with `subscriptions/listen`: the acknowledgment carries
/// only what it asked for, and a refresh that changes the catalog reaches it, tagged
/// with its subscription.
#[tokio::test]
async fn a_changed_catalog_reaches_a_2026_subscriber() {
    let dir = tempfile::tempdir().unwrap();
    let (kits, cache) = (dir.path().join("kits"), dir.path().join("cache"));
    std::fs::create_dir_all(&kits).unwrap();
    write_toolkit(&kits, "Kit", &["Alpha"]);
    let (addr, _) = fill_cache(&kits, &cache).await;
    write_toolkit(&kits, "More", &["Gamma"]);
    let slow = emulator(&kits, addr, 1_500).await;
    let extra = ["--catalog-cache-dir", cache.to_str().unwrap()];
    let lifecycle = crate::support::discover(ProtocolVersion::V_2026_07_28);
    let gateway =
        Gateway::spawn_with((), lifecycle, &slow.base_url(), "ann@example.com", &extra).await;

    let nothing = gateway
        .client
        .listen(SubscriptionFilter::new())
        .await
        .unwrap();
    assert_eq!(nothing.acknowledged(), &SubscriptionFilter::new());
    let mut tools = SubscriptionFilter::new();
    tools.tools_list_changed = Some(true);
    let mut subscription = gateway.client.listen(tools.clone()).await.unwrap();
    assert_eq!(subscription.acknowledged(), &tools);

    let notice = tokio::time::timeout(Duration::from_secs(30), subscription.next())
        .await
        .expect("notifications/tools/list_changed arrives")
        .unwrap();
    assert!(
        matches!(
            notice,
            Some(ServerNotification::ToolListChangedNotification(_))
        ),
        "{notice:?}"
    );
    let names = tool_names(&gateway).await;
    assert!(names.contains(&"More_Gamma".to_owned()), "{names:?}");
    slow.shutdown().await;
}
