//! Each entry `configure` writes starts the server as a desktop client starts it: the
//! TypeScript MCP SDK's `StdioClientTransport` (tests/clients/launch.mjs) launches the
//! entry's command with its args and env and `PATH=/usr/bin:/bin` only, so no cargo
//! folder on the `PATH` helps, and lists the tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{CASES, Case, Home, USER, entry};

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

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
    // A file, not a pipe: the server's logs must not fill a pipe nobody reads yet.
    let log = home.join("launch.log");
    let mut child = Command::new("node")
        .arg(clients_dir().join("launch.mjs"))
        .arg(spec.to_string())
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("node runs (install Node.js)");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("launching {spec} did not list tools within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "launching {spec} failed: {stdout}\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    stdout.lines().map(str::to_owned).collect()
}

#[test]
fn every_configured_entry_starts_and_lists_the_demo_tools() {
    let sdk = clients_dir().join("node_modules/@modelcontextprotocol/sdk");
    assert!(
        sdk.is_dir(),
        "tests/clients/node_modules is missing: run `npm ci --prefix tests/clients`"
    );
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
