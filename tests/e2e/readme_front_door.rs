//! The README's first commands answer at once, as it says: what the emulator serves, one
//! tool call, and a call that prints an authorization link. Each `cargo run -- …` line
//! of its first `sh` block is run as written, with the built binary in place of
//! `cargo run --`.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{gateway_bin, kept_env};

/// How long a command that "answers at once" may take on a loaded machine.
const AT_ONCE: Duration = Duration::from_secs(30);

/// The `cargo run -- …` lines of the README's first `sh` block, comments cut.
fn front_door_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md is readable");
    let block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README has an sh block");
    block
        .lines()
        .filter_map(|line| line.strip_prefix("cargo run -- "))
        .map(|line| line.split(" # ").next().unwrap().trim().to_owned())
        .collect()
}

/// Runs one README line through `sh`, with the gateway binary for `cargo run --`.
fn run(arguments: &str) -> Output {
    let started = Instant::now();
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$GATEWAY\" {arguments}"))
        .env_clear()
        .envs(kept_env())
        .env("GATEWAY", gateway_bin())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("sh runs");
    assert!(
        started.elapsed() < AT_ONCE,
        "`{arguments}` took {:?}",
        started.elapsed()
    );
    output
}

#[test]
fn the_first_commands_answer_at_once() {
    let commands = front_door_commands();
    assert_eq!(commands.len(), 3, "the README's first block: {commands:?}");

    let tools = run(&commands[0]);
    let listed = String::from_utf8_lossy(&tools.stdout);
    assert!(tools.status.success(), "{commands:?}: {tools:?}");
    assert!(
        listed.contains("Math_Add") && listed.contains("10 tools"),
        "{listed}"
    );

    let sum = run(&commands[1]);
    assert!(sum.status.success(), "{sum:?}");
    assert_eq!(String::from_utf8_lossy(&sum.stdout).trim(), "3");

    let link = run(&commands[2]);
    assert_eq!(link.status.code(), Some(3), "exit 3: authorization needed");
    let printed = String::from_utf8_lossy(&link.stdout);
    assert!(
        printed.trim().starts_with("http://127.0.0.1:") && printed.contains("/authorize/"),
        "{printed}"
    );
    let said = String::from_utf8_lossy(&link.stderr);
    assert!(said.contains("open the link below"), "{said}");
}
