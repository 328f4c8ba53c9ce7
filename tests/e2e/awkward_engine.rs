//! The gateway against an engine as the real one can be: the full fixture catalog plus
//! a toolkit made to be awkward (`tests/fixtures/awkward`: two versions, `null` arrays,
//! a definition that does not read, tools needing a project secret). The gateway
//! serves every readable tool and names the unreadable one; each call is pinned to the
//! served version; a missing secret is the admin's to fix and sends no authorize; and
//! a version retired while serving refreshes the catalog and tells the model.

use std::path::Path;
use std::sync::Arc;

use arcade_mcp_gateway::emulator::{CatalogSource, Emulator, EmulatorOptions};
use rmcp::model::{PaginatedRequestParams, Tool};
use rmcp::service::{ClientLifecycleMode, NotificationContext, RunningService};
use rmcp::{ClientHandler, RoleClient};
use serde_json::json;
use tokio::sync::Notify;

use crate::support::{API_KEY, Gateway, text};

const USER: &str = "ann@example.com";

/// The real catalog and the awkward toolkit, on one emulator.
async fn awkward_engine() -> Emulator {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = EmulatorOptions {
        api_key: API_KEY.to_owned(),
        catalog: CatalogSource::Files(vec![
            root.join("tests/fixtures/catalog.tar.gz"),
            root.join("tests/fixtures/awkward"),
        ]),
        ..EmulatorOptions::default()
    };
    Emulator::start(options, ([127, 0, 0, 1], 0).into())
        .await
        .expect("the emulator serves the catalog and the awkward toolkit")
}

/// Retires version 2.0.0 of the awkward toolkit on `emulator`, as Arcade retires an old
/// major version while the gateway serves it.
async fn retire_awkward_2(emulator: &Emulator) {
    let retired = reqwest::Client::new()
        .delete(format!(
            "{}/_emulator/toolkits/Awkward/2.0.0",
            emulator.base_url()
        ))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert!(retired.status().is_success());
}

/// A client that counts `notifications/tools/list_changed`.
#[derive(Clone, Default)]
struct ListWatcher(Arc<Notify>);

impl ClientHandler for ListWatcher {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.0.notify_one();
    }
}

async fn gateway(emulator: &Emulator, extra: &[&str]) -> Gateway<ListWatcher> {
    Gateway::spawn_with(
        ListWatcher::default(),
        ClientLifecycleMode::Initialize,
        &emulator.base_url(),
        USER,
        extra,
    )
    .await
}

/// Every tool, page by page.
async fn every_tool<H: ClientHandler>(client: &RunningService<RoleClient, H>) -> Vec<Tool> {
    let mut tools = Vec::new();
    let mut cursor = None;
    loop {
        let params = cursor.map(|c| PaginatedRequestParams::default().with_cursor(Some(c)));
        let page = client.list_tools(params).await.expect("a page of tools");
        tools.extend(page.tools);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return tools,
        }
    }
}

/// How many tools the gateway serves from the fixture catalog alone.
fn fixture_tool_count() -> usize {
    let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog.tar.gz");
    let toolkits = arcade_mcp_gateway::emulator::load_toolkits(&archive).unwrap();
    let definitions = toolkits.into_iter().flat_map(|t| t.items).collect();
    arcade_mcp_gateway::catalog::Catalog::from_definitions(definitions).len()
}

fn find<'a>(tools: &'a [Tool], name: &str) -> Option<&'a Tool> {
    tools.iter().find(|t| t.name == name)
}

fn parameters(tool: &Tool) -> Vec<String> {
    let properties = tool
        .input_schema
        .get("properties")
        .and_then(|p| p.as_object());
    properties
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_readable_tool_is_served_and_the_unreadable_one_named() {
    let emulator = awkward_engine().await;
    let gateway = gateway(&emulator, &["--discovery", "never"]).await;
    let tools = every_tool(&gateway.client).await;
    let fixture_tools = fixture_tool_count();
    // The newest Awkward version has four readable tools and one that is not.
    assert_eq!(
        tools.len(),
        fixture_tools + 4 + 2,
        "plus the two connection tools"
    );
    assert!(
        find(&tools, "Awkward_Broken").is_none(),
        "the unreadable one is left out"
    );
    let no_parameters = find(&tools, "Awkward_NoParameters").expect("null parameters read as none");
    assert!(parameters(no_parameters).is_empty());
    let echo = find(&tools, "Awkward_Echo").expect("served");
    assert_eq!(parameters(echo), ["message"], "the newest version's schema");

    let logs = gateway.logs();
    let warning = (logs.lines())
        .find(|l| l.contains("cannot be read") && l.contains("Awkward.Broken"))
        .unwrap_or_else(|| panic!("one warning names the unreadable tool:\n{logs}"));
    assert!(warning.contains("WARN"), "{warning}");
    assert_eq!(
        logs.matches("Awkward.Broken").count(),
        1,
        "one warning, not one per retry"
    );
}

#[tokio::test]
async fn a_call_is_pinned_to_the_served_version() {
    let emulator = awkward_engine().await;
    let gateway = gateway(&emulator, &["--toolkit", "Awkward"]).await;
    let echoed = gateway.call("Awkward_Echo", json!({"message": "hi"})).await;
    assert_eq!(echoed.is_error, Some(false), "{}", text(&echoed));
    let state = emulator.state();
    assert_eq!(
        state.last_pinned_version("Awkward.Echo"),
        Some(Some("2.0.0".to_owned())),
        "execute carried tool_version"
    );
    assert_eq!(echoed.structured_content.unwrap()["version"], "2.0.0");
}

#[tokio::test]
async fn a_missing_secret_is_the_admins_to_fix_and_sends_no_authorize() {
    let emulator = awkward_engine().await;
    let gateway = gateway(&emulator, &["--toolkit", "Awkward"]).await;
    let tools = every_tool(&gateway.client).await;
    let report = find(&tools, "Awkward_FetchReport").unwrap();
    let meta = report.meta.as_ref().expect("_meta");
    assert_eq!(
        meta.0["dev.arcade/unmet_requirements"],
        json!(["the secret `REPORTS_API_KEY` is not set"])
    );
    let description = report.description.as_deref().unwrap();
    assert!(description.contains("project admin"), "{description}");

    let state = emulator.state();
    let authorizes = state.requests("tools.authorize");
    for tool in ["Awkward_FetchReport", "Awkward_SendReport"] {
        let result = gateway.call(tool, json!({})).await;
        let said = text(&result);
        assert_eq!(result.is_error, Some(true), "{said}");
        assert!(said.contains("REPORTS_API_KEY"), "{said}");
        assert!(said.contains("project admin"), "{said}");
        assert!(!said.contains("authorization_url"), "{said}");
        assert!(
            result
                .structured_content
                .as_ref()
                .is_none_or(|s| s.get("authorization_required").is_none())
        );
    }
    assert_eq!(
        state.requests("tools.authorize"),
        authorizes,
        "no grant can help: nothing but the execute went upstream"
    );

    let discovering = self::gateway(
        &emulator,
        &["--toolkit", "Awkward", "--discovery", "always"],
    )
    .await;
    let found = discovering
        .call("search_tools", json!({"query": "fetch the weekly report"}))
        .await;
    let hit = &found.structured_content.unwrap()["tools"][0];
    assert_eq!(hit["name"], "Awkward_FetchReport");
    assert_eq!(
        hit["unmet_requirements"],
        json!(["the secret `REPORTS_API_KEY` is not set"])
    );
}

#[tokio::test]
async fn a_version_retired_while_serving_refreshes_the_catalog_and_the_model_is_told() {
    let emulator = awkward_engine().await;
    // No scheduled refresh: only the call's discovery of the retired version.
    let gateway = gateway(
        &emulator,
        &["--toolkit", "Awkward", "--catalog-refresh", "0"],
    )
    .await;
    let first = gateway
        .call("Awkward_Echo", json!({"message": "one"}))
        .await;
    assert_eq!(first.is_error, Some(false), "{}", text(&first));

    retire_awkward_2(&emulator).await;
    let state = emulator.state();
    let runs = state.executions("Awkward.Echo", USER);

    let changed = gateway.client.service().0.notified();
    let second = gateway
        .call("Awkward_Echo", json!({"message": "two"}))
        .await;
    let said = text(&second);
    assert_eq!(second.is_error, Some(true), "{said}");
    assert!(said.contains("changed on Arcade"), "{said}");
    assert!(said.contains("now version 1.0.0"), "{said}");
    assert!(
        said.contains("read `Awkward_Echo`'s schema again"),
        "{said}"
    );
    assert_eq!(
        state.executions("Awkward.Echo", USER),
        runs,
        "nothing ran against a schema it was not validated for"
    );
    tokio::time::timeout(std::time::Duration::from_secs(10), changed)
        .await
        .expect("the client was told the tool list changed");

    let tools = every_tool(&gateway.client).await;
    let echo = find(&tools, "Awkward_Echo").expect("still served, at 1.0.0");
    assert_eq!(
        parameters(echo),
        ["text"],
        "the schema of the version now served"
    );
    assert!(
        find(&tools, "Awkward_NoParameters").is_none(),
        "2.0.0's other tools are gone"
    );
    let third = gateway.call("Awkward_Echo", json!({"text": "three"})).await;
    assert_eq!(third.is_error, Some(false), "{}", text(&third));
    assert_eq!(
        state.last_pinned_version("Awkward.Echo"),
        Some(Some("1.0.0".to_owned()))
    );
}

#[tokio::test]
async fn the_catalog_is_fetched_again_on_an_interval_and_swapped_in_while_serving() {
    let emulator = awkward_engine().await;
    let gateway = gateway(
        &emulator,
        &["--toolkit", "Awkward", "--catalog-refresh", "1"],
    )
    .await;
    let before = every_tool(&gateway.client).await;
    assert!(find(&before, "Awkward_NoParameters").is_some());
    let changed = gateway.client.service().0.notified();
    retire_awkward_2(&emulator).await;
    // Calls keep being answered while the refresh runs.
    let serving = async {
        for _ in 0..20 {
            let listed = gateway
                .client
                .list_tools(None)
                .await
                .expect("still serving");
            assert!(!listed.tools.is_empty());
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let (told, ()) = tokio::join!(
        tokio::time::timeout(std::time::Duration::from_secs(10), changed),
        serving
    );
    told.expect("the scheduled refresh told the client the list changed");
    let after = every_tool(&gateway.client).await;
    assert!(
        find(&after, "Awkward_NoParameters").is_none(),
        "the new catalog is served"
    );
    assert_eq!(parameters(find(&after, "Awkward_Echo").unwrap()), ["text"]);
}

#[tokio::test]
async fn an_engine_that_pages_by_less_than_asked_still_gives_every_tool() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = EmulatorOptions {
        api_key: API_KEY.to_owned(),
        catalog: CatalogSource::Files(vec![root.join("tests/fixtures/catalog.tar.gz")]),
        faults: arcade_mcp_gateway::emulator::Faults {
            max_page_size: Some(37),
            ..Default::default()
        },
        ..EmulatorOptions::default()
    };
    let emulator = Emulator::start(options, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let gateway = gateway(&emulator, &["--discovery", "never"]).await;
    let tools = every_tool(&gateway.client).await;
    assert_eq!(
        tools.len(),
        fixture_tool_count() + 2,
        "every tool, and the two connection tools"
    );
    let pages = emulator.state().requests("tools.list") as usize;
    assert_eq!(
        pages,
        fixture_tool_count().div_ceil(37),
        "stepped by the 37 items each page held"
    );
    assert!(
        !gateway.logs().contains("tool count does not match"),
        "the count matched the engine's total"
    );
}

#[tokio::test]
async fn a_refusal_while_the_served_version_stands_is_no_change_of_the_tool() {
    let emulator = awkward_engine().await;
    let gateway = gateway(
        &emulator,
        &["--toolkit", "Awkward", "--catalog-refresh", "0"],
    )
    .await;
    let state = emulator.state();
    state.set_faults(arcade_mcp_gateway::emulator::Faults {
        endpoints: Some(vec!["execute".into()]),
        answer: Some(arcade_mcp_gateway::emulator::CannedAnswer {
            status: 404,
            body: json!({"name": "not_found", "message": "no such execution context"}),
        }),
        ..Default::default()
    });
    let listings = state.requests("tools.list");
    let refused = gateway.call("Awkward_Echo", json!({"message": "hi"})).await;
    let said = text(&refused);
    assert_eq!(refused.is_error, Some(true), "{said}");
    assert!(said.contains("no such execution context"), "{said}");
    assert!(!said.contains("changed on Arcade"), "{said}");
    assert_eq!(
        state.requests("tools.get"),
        1,
        "the engine was asked which version it serves"
    );
    assert_eq!(
        state.requests("tools.list"),
        listings,
        "no refresh for a version that stands"
    );
}
