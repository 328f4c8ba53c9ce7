//! What a new user meets on a second try or in a project: `--print` shows the file even
//! when an entry of that name is already there (it writes nothing, so it needs no
//! `--force`), and a project entry comes with the client's approval step, without which
//! the entry looks broken.

use super::{CASES, Home, entry, stderr};

#[test]
fn print_shows_the_file_with_an_existing_entry_replaced_and_writes_nothing() {
    for case in CASES {
        let home = Home::new();
        home.configure_ok(&[case.client, "--toolkit", "Math"]);
        let untouched = home.snapshot();
        let output = home.configure_ok(&[case.client, "--print", "--toolkit", "Mail"]);
        assert_eq!(
            home.snapshot(),
            untouched,
            "{}: nothing changes",
            case.client
        );
        let printed = entry(case, &String::from_utf8(output.stdout.clone()).unwrap());
        let args: Vec<&str> = printed["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a.as_str())
            .collect();
        assert_eq!(args, ["serve", "--toolkit", "Mail"], "{}", case.client);
        let said = stderr(&output);
        assert!(
            said.contains("already in") && said.contains("pass --force"),
            "{}: {said}",
            case.client
        );
    }
}

#[test]
fn a_project_entry_says_the_client_will_ask_to_approve_it() {
    let expected = [
        ("claude-code", "pending approval"),
        ("cursor", "Settings → MCP"),
        ("vscode", "trust"),
        ("codex", "no servers are configured"),
        ("gemini", "disabled"),
    ];
    for case in CASES.iter().filter(|c| c.project_file.is_some()) {
        let home = Home::new();
        let project = home.path("project");
        std::fs::create_dir_all(&project).unwrap();
        let project = project.to_str().unwrap();
        let (_, words) = expected.iter().find(|(c, _)| *c == case.client).unwrap();
        for print in [false, true] {
            let mut args = vec![case.client, "--project", project, "--emulator", "--force"];
            if print {
                args.push("--print");
            }
            let said = stderr(&home.configure_ok(&args));
            let note = said
                .lines()
                .find(|line| line.starts_with("note: "))
                .unwrap_or_else(|| panic!("{}: {said}", case.client));
            assert!(note.contains(words), "{}: {note}", case.client);
        }
        let user = stderr(&home.configure_ok(&[case.client, "--emulator", "--force"]));
        assert!(
            !user.contains("note: "),
            "a user entry needs no approval: {user}"
        );
    }
}

/// Claude Desktop reads no variables, so the key's value goes into its file: the
/// message names the bundle, which keeps the key in the system keychain instead.
#[test]
fn claude_desktop_is_pointed_to_the_bundle_that_keeps_the_key_out_of_the_file() {
    let home = Home::new();
    let said = stderr(&home.configure_ok(&["claude-desktop"]));
    assert!(
        said.contains("key's value was written into")
            && said.contains("arcade-mcp-gateway.mcpb")
            && said.contains("keychain"),
        "{said}"
    );
}
