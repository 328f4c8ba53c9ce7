//! The full fixture catalog (about 6,400 real Arcade tools) served page by page: over
//! stdio and stateless Streamable HTTP, rmcp's client pages through every tool, each
//! page bounded well under what clients take; a cursor that is altered or from another
//! listing is refused with a message saying to list again; and by default a catalog
//! this large is served through the discovery tools.

use std::collections::HashSet;
use std::path::Path;

use arcade_mcp_gateway::emulator::{CatalogSource, Emulator, EmulatorOptions};
use arcade_mcp_gateway::gateway::{PAGE_MAX_BYTES, PAGE_MAX_TOOLS};
use rmcp::model::PaginatedRequestParams;
use rmcp::service::RunningService;
use rmcp::{ClientHandler, RoleClient};

use crate::support::http::{HttpGateway, McpClient};
use crate::support::{API_KEY, Gateway};

/// The emulator serving the repository's copy of the real catalog.
pub async fn fixture_emulator() -> Emulator {
    let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog.tar.gz");
    let options = EmulatorOptions {
        api_key: API_KEY.to_owned(),
        catalog: CatalogSource::Files(vec![archive]),
        ..EmulatorOptions::default()
    };
    Emulator::start(options, ([127, 0, 0, 1], 0).into())
        .await
        .expect("the emulator serves the fixture catalog")
}

/// A stdio gateway on `emulator` listing every tool (no discovery).
async fn listing_every_tool(emulator: &Emulator) -> Gateway {
    Gateway::spawn(
        &emulator.base_url(),
        "ann@example.com",
        &["--discovery", "never"],
    )
    .await
}

/// Every page of `tools/list`, checking each one's bounds.
async fn page_through<H: ClientHandler>(client: &RunningService<RoleClient, H>) -> Vec<String> {
    let mut names = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let params = cursor.map(|c| PaginatedRequestParams::default().with_cursor(Some(c)));
        let page = client.list_tools(params).await.expect("a page of tools");
        let bytes = serde_json::to_vec(&page.tools).unwrap().len();
        assert!(
            page.tools.len() <= PAGE_MAX_TOOLS,
            "{} tools",
            page.tools.len()
        );
        assert!(bytes <= PAGE_MAX_BYTES + 1024, "a page of {bytes} bytes");
        assert!(!page.tools.is_empty(), "an empty page");
        names.extend(page.tools.iter().map(|t| t.name.to_string()));
        pages += 1;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(pages > 10, "{pages} pages");
    names
}

/// Every tool once, in a fixed order, plus the connection tools.
fn assert_every_tool_once(names: &[String]) {
    let unique: HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "a tool listed twice");
    assert!(names.len() > 6300, "{} tools", names.len());
    assert_eq!(names[..2], ["list_connections", "revoke_connection"]);
    let catalog = &names[2..];
    assert!(catalog.windows(2).all(|w| w[0] < w[1]), "not in name order");
}

#[tokio::test]
async fn stdio_pages_through_the_whole_catalog() {
    let emulator = fixture_emulator().await;
    let gateway = listing_every_tool(&emulator).await;
    let names = page_through(&gateway.client).await;
    assert_every_tool_once(&names);
    let again = page_through(&gateway.client).await;
    assert_eq!(names, again, "the order is deterministic");
}

#[tokio::test]
async fn stateless_http_pages_through_the_whole_catalog_on_any_replica() {
    let emulator = fixture_emulator().await;
    let flags = [
        "--stateless",
        "--user-id",
        "ann@example.com",
        "--discovery",
        "never",
    ];
    let one = HttpGateway::start(&emulator.base_url(), &flags, &[]).await;
    let two = HttpGateway::start(&emulator.base_url(), &flags, &[]).await;
    let on_one = McpClient::connect(&one.mcp_url(), &[]).await;
    let on_two = McpClient::connect(&two.mcp_url(), &[]).await;
    let first = on_one.client.list_tools(None).await.unwrap();
    let cursor = first.next_cursor.clone().expect("more pages");
    let params = PaginatedRequestParams::default().with_cursor(Some(cursor));
    let second = on_two
        .client
        .list_tools(Some(params))
        .await
        .expect("replica two continues");
    assert!(first.tools.last().unwrap().name < second.tools[0].name);
    let names = page_through(&on_one.client).await;
    assert_every_tool_once(&names);
}

#[tokio::test]
async fn an_altered_or_foreign_cursor_says_to_list_again() {
    let emulator = fixture_emulator().await;
    let gateway = listing_every_tool(&emulator).await;
    let first = gateway.client.list_tools(None).await.unwrap();
    let cursor = first.next_cursor.unwrap();
    // The same position under another listing's fingerprint, and other garbage.
    let (_, position) = cursor.rsplit_once('.').unwrap();
    let foreign = format!("t1.0123456789abcdef.{position}");
    let past_the_end = format!("{cursor}0000");
    for bad in [foreign.as_str(), &past_the_end, "not-a-cursor", "t1.zz"] {
        let params = PaginatedRequestParams::default().with_cursor(Some(bad.to_owned()));
        let error = gateway.client.list_tools(Some(params)).await.unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains("without a cursor"), "{shown}");
        assert!(
            shown.contains("-32602") || shown.to_lowercase().contains("invalid"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn a_catalog_this_large_is_served_through_discovery_by_default() {
    let emulator = fixture_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let page = gateway.client.list_tools(None).await.unwrap();
    let names: Vec<String> = page.tools.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(
        names,
        [
            "search_tools",
            "describe_tools",
            "call_tool",
            "list_connections",
            "revoke_connection"
        ]
    );
    assert!(page.next_cursor.is_none());
    let small = Gateway::spawn(
        &emulator.base_url(),
        "ann@example.com",
        &["--toolkit", "Gmail", "--toolkit", "Slack"],
    )
    .await;
    let listed = small.client.list_all_tools().await.unwrap();
    assert!(
        listed.iter().any(|t| t.name == "Gmail_SendEmail"),
        "Gmail stays listed"
    );
    assert!(listed.iter().all(|t| t.name != "search_tools"));
}
