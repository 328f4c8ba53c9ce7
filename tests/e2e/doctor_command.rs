//! `doctor` against the emulator: healthy, and with each failure it reports (no user,
//! a rejected key, an unreachable engine, an unknown toolkit, a client entry whose
//! command is gone or whose flags do not parse), each a ✗ line that says what to do,
//! with exit code 1. `HOME` is a temporary folder, so the clients' files are the
//! test's own.

use std::path::Path;
use std::process::Output;

use crate::support::{API_KEY, approve, gateway_bin, start_emulator};

async fn doctor(home: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    tokio::process::Command::new(gateway_bin())
        .arg("doctor")
        .args(args)
        .env_clear()
        .envs(crate::support::kept_env())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .envs(envs.iter().copied())
        .output()
        .await
        .unwrap()
}

/// `doctor --no-catalog-cache` for ann against the engine at `url`, which must find a
/// problem (exit code 1): its lines.
async fn doctor_failing(home: &Path, url: &str) -> Vec<String> {
    let envs = [
        ("ARCADE_API_KEY", API_KEY),
        ("ARCADE_BASE_URL", url),
        ("ARCADE_USER_ID", "ann@example.com"),
    ];
    let output = doctor(home, &envs, &["--no-catalog-cache"]).await;
    let lines = lines(&output);
    assert_eq!(output.status.code(), Some(1), "{lines:#?}");
    lines
}

fn lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn line_about<'a>(lines: &'a [String], topic: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l[l.find(' ').map_or(0, |i| i + 1)..].starts_with(&format!("{topic}:")))
        .unwrap_or_else(|| panic!("no `{topic}` line in {lines:#?}"))
}

#[tokio::test]
async fn a_healthy_setup_is_all_ticks_with_the_users_grants() {
    let emulator = start_emulator().await;
    let url = emulator.base_url();
    let cache = tempfile::tempdir().unwrap();
    let envs = [
        ("ARCADE_API_KEY", API_KEY),
        ("ARCADE_BASE_URL", url.as_str()),
        ("ARCADE_USER_ID", "ann@example.com"),
        ("ARCADE_GATEWAY_CACHE_DIR", cache.path().to_str().unwrap()),
    ];
    // A grant for ann, through the link a call gives.
    let call = tokio::process::Command::new(gateway_bin())
        .args(["call", "Mail.ListEmails", "--no-catalog-cache"])
        .env_clear()
        .envs(crate::support::kept_env())
        .envs(envs.iter().copied())
        .output()
        .await
        .unwrap();
    approve(String::from_utf8_lossy(&call.stdout).trim()).await;

    let home = tempfile::tempdir().unwrap();
    let configure = tokio::process::Command::new(gateway_bin())
        .args(["configure", "cursor"])
        .env_clear()
        .envs(crate::support::kept_env())
        .env("HOME", home.path())
        .envs(envs.iter().copied())
        .output()
        .await
        .unwrap();
    assert!(configure.status.success(), "{configure:?}");
    let output = doctor(home.path(), &envs, &[]).await;
    let lines = lines(&output);
    assert_eq!(output.status.code(), Some(0), "{lines:#?}");
    assert!(line_about(&lines, "engine").starts_with('✓'));
    assert!(line_about(&lines, "engine").contains(&url));
    assert!(line_about(&lines, "key").starts_with('✓'));
    assert!(line_about(&lines, "user").contains("ann@example.com"));
    assert!(line_about(&lines, "catalog").contains("10 tools in 3 toolkits"));
    assert!(
        line_about(&lines, "connections").contains("google"),
        "{lines:#?}"
    );
    assert!(line_about(&lines, "catalog cache").contains("first `serve` writes it"));
    assert!(line_about(&lines, "cursor").starts_with('✓'), "{lines:#?}");
    assert!(
        line_about(&lines, "cursor").contains(gateway_bin()),
        "{lines:#?}"
    );
    assert!(
        line_about(&lines, "vscode").starts_with('–'),
        "not configured is a note"
    );
    let text = lines.join("\n");
    assert!(!text.contains(API_KEY), "the key is never shown");
}

#[tokio::test]
async fn a_client_entry_whose_command_is_gone_or_whose_flags_are_wrong_is_a_cross() {
    let emulator = start_emulator().await;
    let url = emulator.base_url();
    let home = tempfile::tempdir().unwrap();
    let cursor = home.path().join(".cursor/mcp.json");
    std::fs::create_dir_all(cursor.parent().unwrap()).unwrap();
    let entry = |command: &str, args: &[&str]| {
        serde_json::json!({"mcpServers": {"arcade": {"command": command, "args": args}}})
            .to_string()
    };
    std::fs::write(&cursor, entry("/no/such/arcade-mcp-gateway", &["serve"])).unwrap();
    let windsurf = home.path().join(".codeium/windsurf/mcp_config.json");
    std::fs::create_dir_all(windsurf.parent().unwrap()).unwrap();
    std::fs::write(
        &windsurf,
        entry(gateway_bin(), &["serve", "--no-such-flag"]),
    )
    .unwrap();
    let lines = doctor_failing(home.path(), &url).await;
    let gone = line_about(&lines, "cursor");
    assert!(
        gone.starts_with('✗') && gone.contains("does not exist"),
        "{gone}"
    );
    assert!(gone.contains("configure cursor --force"), "{gone}");
    let wrong = line_about(&lines, "windsurf");
    assert!(
        wrong.starts_with('✗') && wrong.contains("--no-such-flag"),
        "{wrong}"
    );
}

/// The variables and flags of a broken setup, the line's topic, and the advice it gives.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str, &'a str);

#[tokio::test]
async fn each_failure_is_a_cross_that_says_what_to_do() {
    let emulator = start_emulator().await;
    let url = emulator.base_url();
    let cases: [Case; 4] = [
        (
            &[("ARCADE_API_KEY", API_KEY)],
            &[],
            "configuration",
            "ARCADE_USER_ID",
        ),
        (
            &[("ARCADE_API_KEY", "arc_wrong")],
            &[],
            "key",
            "ARCADE_API_KEY",
        ),
        (
            &[
                ("ARCADE_API_KEY", API_KEY),
                ("ARCADE_BASE_URL", "http://127.0.0.1:9"),
            ],
            &[],
            "engine",
            "ARCADE_BASE_URL",
        ),
        (
            &[("ARCADE_API_KEY", API_KEY)],
            &["--toolkit", "NoSuchKit"],
            "catalog",
            "--toolkit",
        ),
    ];
    for (envs, args, topic, advice) in cases {
        let mut all = vec![("ARCADE_BASE_URL", url.as_str())];
        if topic != "configuration" {
            all.push(("ARCADE_USER_ID", "ann@example.com"));
        }
        all.extend(envs.iter().copied());
        let home = tempfile::tempdir().unwrap();
        let output = doctor(home.path(), &all, args).await;
        let lines = lines(&output);
        assert_eq!(output.status.code(), Some(1), "{topic}: {lines:#?}");
        let line = line_about(&lines, topic);
        assert!(
            line.starts_with('✗') && line.contains(advice),
            "{topic}: {line}"
        );
        assert!(
            !lines.join("\n").contains("arc_wrong"),
            "the key is never shown"
        );
    }
}

#[tokio::test]
async fn an_unhealthy_engine_is_a_cross_with_its_reason_and_blocked_tools_are_listed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = arcade_mcp_gateway::emulator::EmulatorOptions {
        api_key: API_KEY.to_owned(),
        catalog: arcade_mcp_gateway::emulator::CatalogSource::Files(vec![
            root.join("tests/fixtures/awkward"),
        ]),
        ..Default::default()
    };
    let emulator =
        arcade_mcp_gateway::emulator::Emulator::start(options, ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
    emulator
        .state()
        .set_faults(arcade_mcp_gateway::emulator::Faults {
            unhealthy: Some("the tool workers are restarting".into()),
            ..Default::default()
        });
    let url = emulator.base_url();
    let home = tempfile::tempdir().unwrap();
    let lines = doctor_failing(home.path(), &url).await;
    let engine = line_about(&lines, "engine");
    assert!(engine.starts_with('✗'), "{engine}");
    assert!(
        engine.contains("the tool workers are restarting"),
        "{engine}"
    );
    let key = line_about(&lines, "key");
    assert!(
        key.starts_with('✓') && key.contains("can list tools"),
        "{key}"
    );
    let blocked = line_about(&lines, "requirements");
    assert!(blocked.starts_with('✗'), "{blocked}");
    assert!(
        blocked.contains("Awkward.FetchReport") && blocked.contains("REPORTS_API_KEY"),
        "{blocked}"
    );
    assert!(blocked.contains("Awkward.SendReport"), "{blocked}");
    assert!(!blocked.contains("Awkward.Echo"), "{blocked}");
}

#[tokio::test]
async fn secrets_in_client_entries_and_the_engine_url_are_never_shown() {
    let emulator = start_emulator().await;
    let home = tempfile::tempdir().unwrap();
    let cursor = home.path().join(".cursor/mcp.json");
    std::fs::create_dir_all(cursor.parent().unwrap()).unwrap();
    let args = [
        "serve",
        "--api-key",
        "arc_entry_SECRET_4471",
        "--request-state-key=state-SECRET-0123456789abcdef0123456789",
        "--base-url",
        "https://ann:url-SECRET-55@engine.example.com",
    ];
    let entry =
        serde_json::json!({"mcpServers": {"arcade": {"command": gateway_bin(), "args": args}}});
    std::fs::write(&cursor, entry.to_string()).unwrap();
    let with_password = emulator
        .base_url()
        .replacen("http://", "http://ann:base-SECRET-66@", 1);
    let envs = [
        ("ARCADE_API_KEY", API_KEY),
        ("ARCADE_BASE_URL", with_password.as_str()),
        ("ARCADE_USER_ID", "ann@example.com"),
    ];
    let output = doctor(home.path(), &envs, &["--no-catalog-cache"]).await;
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for secret in [
        "arc_entry_SECRET_4471",
        "state-SECRET",
        "url-SECRET-55",
        "base-SECRET-66",
        API_KEY,
    ] {
        assert!(!shown.contains(secret), "{secret} shown: {shown}");
    }
    let lines = lines(&output);
    assert!(
        line_about(&lines, "cursor").contains("--api-key"),
        "{lines:#?}"
    );
}
