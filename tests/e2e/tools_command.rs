//! The `tools` subcommand: what `serve` would serve, the emulator's catalog and the
//! direct tools of `--direct-tools` alike, as a table and as JSON.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::gateway_bin;

fn tools(extra: &[&str]) -> String {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/direct-tools.toml");
    let output = Command::new(gateway_bin())
        .args(["tools", "--emulator", "--direct-tools"])
        .arg(example)
        .args(extra)
        .env_remove("ARCADE_API_KEY")
        .output()
        .expect("the gateway runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn the_table_lists_catalog_and_direct_tools_with_their_grants() {
    let table = tools(&[]);
    let line = |name: &str| {
        table
            .lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} in\n{table}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(line("Math_Add")[1..3], ["no", "-"]);
    assert_eq!(line("Mail_SendEmail")[1..3], ["yes", "google"]);
    assert_eq!(
        line("Gmail_ListMyMessages")[1..],
        [
            "yes",
            "google",
            "https://www.googleapis.com/auth/gmail.readonly"
        ]
    );
    let listed = table.lines().count() - 2;
    assert!(
        table.ends_with(&format!("{listed} tools\n")),
        "the count covers both kinds:\n{table}"
    );
}

#[test]
fn the_json_is_what_tools_list_gives() {
    let tools: Vec<Value> = serde_json::from_str(&tools(&["--json"])).expect("JSON");
    let named = |name: &str| {
        tools
            .iter()
            .find(|tool| tool["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(named("Math_Add")["inputSchema"]["type"], "object");
    let direct = named("Gmail_GetMyMessage");
    assert_eq!(
        direct["_meta"]["dev.arcade/authorization"]["provider_id"],
        "google"
    );
    assert_eq!(direct["annotations"]["readOnlyHint"], true);
}

/// `--log-format json`: every stderr line is one JSON object with the event's level
/// and message, and the key is in none.
#[test]
fn json_logs_are_one_object_a_line() {
    let output = std::process::Command::new(crate::support::gateway_bin())
        .args(["tools", "--emulator", "--log-format", "json"])
        .env_clear()
        .envs(crate::support::kept_env())
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(!events.is_empty(), "the emulator's start is logged");
    for event in &events {
        assert!(
            event["level"].is_string() && event["timestamp"].is_string(),
            "{event}"
        );
        assert!(event["fields"]["message"].is_string(), "{event}");
    }
    assert!(!stderr.contains("arc_emulator_key"), "no key in the logs");
}
