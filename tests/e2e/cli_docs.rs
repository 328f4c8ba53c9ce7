//! `completions <shell>` and `man` print what the parser knows: every subcommand and
//! flag, so they cannot drift from it.

use std::process::Command;

use crate::common::gateway_bin;

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
