//! The native direct tool example (`examples/native_direct_tool.rs`) runs: Cargo builds
//! it for `cargo test`; it is spawned over stdio against the emulator, whose fake
//! GitHub answers with the token Arcade (the emulator) issued after approval.

use std::path::PathBuf;
use std::process::Stdio;

use crate::support::{API_KEY, approve, authorization_url, start_emulator, text};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use tokio::process::Command;

/// `target/<profile>/examples/native_direct_tool`, next to this test's `deps` folder.
fn example_binary() -> PathBuf {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_owned();
    let path = deps
        .parent()
        .unwrap()
        .join("examples")
        .join("native_direct_tool");
    assert!(
        path.exists(),
        "cargo test builds the examples: {}",
        path.display()
    );
    path
}

#[tokio::test]
async fn the_native_tool_example_serves_its_tool_with_the_authorization_flow() {
    let emulator = start_emulator().await;
    let base = emulator.base_url();
    let mut command = Command::new(example_binary());
    command
        .args(["--base-url", &base, "--user-id", "ann@example.com"])
        .args(["--github-api", &format!("{base}/provider/github")])
        .env("ARCADE_API_KEY", API_KEY)
        .env("RUST_LOG", "debug");
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();

    let tools = client.list_all_tools().await.unwrap();
    assert!(
        tools.iter().any(|t| t.name == "Math_Add"),
        "the catalog is served too"
    );
    let summary = tools
        .iter()
        .find(|t| t.name == "GitHub_RepoSummary")
        .expect("native tool listed");
    let meta = serde_json::to_value(summary.meta.as_ref().unwrap()).unwrap();
    assert_eq!(meta["dev.arcade/authorization"]["provider_id"], "github");

    let call = || client.call_tool(CallToolRequestParams::new("GitHub_RepoSummary"));
    let first = call().await.unwrap();
    approve(&authorization_url(&first)).await;
    let result = call().await.unwrap();
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    let value = result.structured_content.unwrap();
    assert_eq!(value["user"], "ann@example.com");
    assert_eq!(value["count"], 2);
    assert_eq!(value["private"], serde_json::json!(["ann/notes"]));
}
