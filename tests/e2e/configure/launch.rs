//! Each entry `configure` writes starts the server as a desktop client starts it: the
//! TypeScript MCP SDK's `StdioClientTransport` (tests/clients/launch.mjs) launches the
//! entry's command with its args and env and `PATH=/usr/bin:/bin` only, so no cargo
//! folder on the `PATH` helps, and lists the tools.

use std::path::Path;

use serde_json::{Value, json};

use super::{CASES, Case, Home, USER, entry};
use crate::support::typescript::launch;

/// What the client launches, as launch.mjs takes it.
fn launch_spec(case: Case, home: &Home) -> Value {
    let entry = entry(case, &home.read(case));
    json!({
        "command": entry["command"],
        "args": entry["args"],
        "env": if entry["env"].is_null() { json!({}) } else { entry["env"].clone() },
    })
}

/// The tool names the SDK lists through the entry.
fn list_tools(spec: &Value, home: &Path) -> Vec<String> {
    let launched = launch(spec, home);
    assert!(
        launched.listed,
        "launching {spec} failed: {}\n{}",
        launched.stdout, launched.log
    );
    launched.stdout.lines().map(str::to_owned).collect()
}

#[test]
fn every_configured_entry_starts_and_lists_the_demo_tools() {
    for case in CASES {
        let home = Home::new();
        let output = home.configure(
            &[case.client, "--emulator", "--no-catalog-cache"],
            &[("ARCADE_USER_ID", USER)],
        );
        assert!(output.status.success(), "{}", super::stderr(&output));
        let spec = launch_spec(case, &home);
        assert!(spec["command"].as_str().unwrap().starts_with('/'), "{spec}");
        assert_eq!(spec["env"]["ARCADE_USER_ID"], USER, "{spec}");
        let tools = list_tools(&spec, home.dir.path());
        for tool in ["Math_Add", "Mail_ListEmails", "CodeHost_CreateIssue"] {
            assert!(
                tools.iter().any(|t| t == tool),
                "{}: {tools:?}",
                case.client
            );
        }
    }
}
