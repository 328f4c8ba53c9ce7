//! A wrong direct tools file ends `serve` before anything is served: exit code 2 and
//! one line naming the tool and the fault.

use std::process::Output;

use crate::support::{API_KEY, gateway_bin, start_emulator};

const HEAD: &str = r#"
[[tool]]
name = "Gmail_Mine"
description = "d"
grant = { provider_id = "google", scopes = ["s"] }
"#;

fn serve_with(base_url: &str, toml: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("direct.toml");
    std::fs::write(&path, toml).unwrap();
    std::process::Command::new(gateway_bin())
        .args(["serve", "--no-catalog-cache", "--direct-tools"])
        .arg(&path)
        .env_clear()
        .envs(crate::support::kept_env())
        .envs([
            ("ARCADE_API_KEY", API_KEY),
            ("ARCADE_USER_ID", "ann@example.com"),
            ("ARCADE_BASE_URL", base_url),
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn assert_one_line_error(output: &Output, expected: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "{stderr}");
    for part in expected {
        assert!(last.contains(part), "`{part}` missing from: {last}");
    }
    assert!(output.stdout.is_empty(), "nothing was served on stdout");
}

#[tokio::test]
async fn wrong_files_are_refused_at_start_up_naming_the_tool_and_the_fault() {
    let emulator = start_emulator().await;
    let base = emulator.base_url();
    let cases: [(String, &[&str]); 6] = [
        (
            format!("{HEAD}request = {{ url = \"https://gmail.googleapis.com/x/{{who}}\" }}"),
            &["tool `Gmail_Mine`", "no parameter `who`"],
        ),
        (
            format!("{HEAD}request = {{ url = \"http://gmail.googleapis.com/x\" }}"),
            &["tool `Gmail_Mine`", "must use https"],
        ),
        (
            format!(
                "{HEAD}input_schema = {{ type = \"object\", required = [\"h\"], properties = {{ h = {{ type = \"string\" }} }} }}\n\
                     request = {{ url = \"https://{{h}}.example.com/x\" }}"
            ),
            &["tool `Gmail_Mine`", "host and port must be fixed"],
        ),
        (
            format!(
                "{HEAD}request = {{ url = \"https://a.example/x\" }}\n{HEAD}request = {{ url = \"https://a.example/y\" }}"
            ),
            &["`Gmail_Mine` is defined twice"],
        ),
        (
            HEAD.replace("Gmail_Mine", "Math_Add") + "request = { url = \"https://a.example/x\" }",
            &["`Math_Add`", "same name as a tool of the Arcade catalog"],
        ),
        (
            format!(
                "{HEAD}request = {{ url = \"https://a.example/x\" }}\nresponse = {{ max_bytes = \"big\" }}"
            ),
            &["line 7", "max_bytes"],
        ),
    ];
    for (toml, expected) in cases {
        let output = tokio::task::spawn_blocking({
            let base = base.clone();
            move || serve_with(&base, &toml)
        })
        .await
        .unwrap();
        assert_one_line_error(&output, expected);
    }
}

#[test]
fn a_missing_file_is_named() {
    let output = std::process::Command::new(gateway_bin())
        .args(["serve", "--direct-tools", "/nonexistent/direct.toml"])
        .env_clear()
        .envs(crate::support::kept_env())
        .envs([
            ("ARCADE_API_KEY", API_KEY),
            ("ARCADE_USER_ID", "ann@example.com"),
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_one_line_error(
        &output,
        &["cannot read direct tools file `/nonexistent/direct.toml`"],
    );
}
