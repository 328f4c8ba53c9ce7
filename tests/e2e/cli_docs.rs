//! `completions <shell>` and `man` print what the parser knows: every subcommand and
//! flag, so they cannot drift from it.

use std::process::Command;

use crate::support::gateway_bin;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(gateway_bin())
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn completions_name_the_subcommands_and_flags() {
    for shell in ["bash", "zsh", "fish"] {
        let output = run(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        for word in ["serve", "hash-token", "discovery", "toolkit"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let unknown = run(&["completions", "cmd.exe"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("possible values"));
}

#[test]
fn the_man_page_is_roff_for_the_whole_command() {
    let output = run(&["man"]);
    assert!(output.status.success());
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("arcade\\-mcp\\-gateway"), "names the program");
    assert!(page.contains("serve"), "lists the subcommands");
}

/// `--version` names the commit the binary was built from, so that a report of a bug
/// names the exact source: this checkout's `HEAD` when built from one.
#[test]
fn version_prints_the_version_and_the_git_commit() {
    let output = run(&["--version"]);
    assert!(output.status.success());
    let said = String::from_utf8(output.stdout).unwrap();
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_owned());
    let commit = head.unwrap_or_else(|| "unknown commit".to_owned());
    assert_eq!(
        said.trim(),
        format!(
            "arcade-mcp-gateway {} ({commit})",
            env!("CARGO_PKG_VERSION")
        )
    );
}
