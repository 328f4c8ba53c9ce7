//! Configuration mistakes end the program before anything is served, with one line
//! that says what to set, and exit code 2.

use std::process::Output;

use crate::support::{API_KEY, gateway_bin, start_emulator};

fn serve(envs: &[(&str, &str)], args: &[&str]) -> Output {
    std::process::Command::new(gateway_bin())
        .args(["serve", "--no-catalog-cache"])
        .args(args)
        .env_clear()
        .envs(crate::support::kept_env())
        .envs(envs.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn assert_config_error(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ") && last.contains(expected),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing was served on stdout");
}

#[test]
fn a_missing_key_says_to_set_arcade_api_key() {
    let output = serve(&[("ARCADE_USER_ID", "ann@example.com")], &[]);
    assert_config_error(&output, "ARCADE_API_KEY");
}

#[test]
fn an_empty_user_id_says_to_set_arcade_user_id() {
    let output = serve(&[("ARCADE_API_KEY", API_KEY), ("ARCADE_USER_ID", " ")], &[]);
    assert_config_error(&output, "ARCADE_USER_ID");
}

/// A client that finds `ARCADE_API_KEY` unset may pass `${ARCADE_API_KEY}` through as
/// text: it is refused before any request leaves (the engine here is a listener that
/// would see the connection), saying which variable to set.
#[test]
fn an_unexpanded_placeholder_is_refused_naming_the_variable_to_set() {
    let engine = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    engine.set_nonblocking(true).unwrap();
    let url = format!("http://{}", engine.local_addr().unwrap());
    let output = serve(
        &[
            ("ARCADE_API_KEY", "${ARCADE_API_KEY}"),
            ("ARCADE_USER_ID", "ann@example.com"),
            ("ARCADE_BASE_URL", &url),
        ],
        &[],
    );
    assert_config_error(&output, "set ARCADE_API_KEY in the environment");
    assert!(
        engine.accept().is_err(),
        "nothing reached the engine with the placeholder"
    );
    let output = serve(
        &[("ARCADE_USER_ID", "${env:ARCADE_USER_ID}")],
        &["--emulator"],
    );
    assert_config_error(&output, "set ARCADE_USER_ID in the environment");
}

#[test]
fn a_malformed_tool_filter_is_refused() {
    let envs = [
        ("ARCADE_API_KEY", API_KEY),
        ("ARCADE_USER_ID", "ann@example.com"),
    ];
    let output = serve(&envs, &["--tool", "ListEmails"]);
    assert_config_error(&output, "Toolkit.Tool");
}

#[tokio::test]
async fn an_unknown_toolkit_a_wrong_key_and_a_dead_engine_are_refused() {
    let emulator = start_emulator().await;
    let url = emulator.base_url();
    let cases = [
        (
            "ARCADE_BASE_URL",
            url.clone(),
            API_KEY,
            "--toolkit",
            "unknown toolkit `NoSuchKit`",
        ),
        (
            "ARCADE_BASE_URL",
            url.clone(),
            "arc_wrong",
            "",
            "ARCADE_API_KEY",
        ),
        (
            "ARCADE_API_URL",
            "http://127.0.0.1:9".to_owned(),
            API_KEY,
            "",
            "ARCADE_BASE_URL",
        ),
    ];
    for (url_var, url, key, flag, expected) in cases {
        let output = tokio::task::spawn_blocking(move || {
            let envs = [
                ("ARCADE_USER_ID", "ann@example.com"),
                ("ARCADE_API_KEY", key),
                (url_var, url.as_str()),
            ];
            let args: &[&str] = if flag.is_empty() {
                &[]
            } else {
                &[flag, "NoSuchKit"]
            };
            serve(&envs, args)
        });
        assert_config_error(&output.await.unwrap(), expected);
    }
}

#[test]
fn a_short_request_state_key_is_refused_without_echoing_it() {
    let envs = [
        ("ARCADE_API_KEY", API_KEY),
        ("ARCADE_USER_ID", "ann@example.com"),
        ("ARCADE_GATEWAY_STATE_KEY", "short-SECRET-key"),
    ];
    let output = serve(&envs, &[]);
    assert_config_error(&output, "at least 32");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("SECRET"), "the key is not shown: {stderr}");
}

#[test]
fn a_zero_auth_timeout_is_refused() {
    let envs = [
        ("ARCADE_API_KEY", API_KEY),
        ("ARCADE_USER_ID", "ann@example.com"),
    ];
    let output = serve(&envs, &["--auth-timeout", "0"]);
    assert_config_error(&output, "--auth-timeout");
}

/// A stdio client is told why: the `initialize` answer is an error carrying the line
/// that stderr shows, not a closed connection.
#[tokio::test]
async fn a_stdio_client_is_told_why_the_server_could_not_start() {
    use rmcp::ServiceExt;
    use rmcp::transport::TokioChildProcess;

    let emulator = start_emulator().await;
    let mut command = tokio::process::Command::new(gateway_bin());
    command
        .args(["serve", "--no-catalog-cache"])
        .env_clear()
        .envs(crate::support::kept_env())
        .env("ARCADE_API_KEY", "arc_wrong")
        .env("ARCADE_BASE_URL", emulator.base_url())
        .env("ARCADE_USER_ID", "ann@example.com");
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let error = ().serve(transport).await.expect_err("initialize is refused");
    let message = error.to_string();
    assert!(
        message.contains("could not start") && message.contains("ARCADE_API_KEY"),
        "{message}"
    );
    assert!(
        !message.contains("arc_wrong"),
        "the key is not shown: {message}"
    );
}

/// What a desktop client shows for a rejected key: the TypeScript SDK's `connect` fails
/// with the gateway's reason and what to set, not "Connection closed".
#[tokio::test]
async fn the_typescript_sdk_shows_why_a_rejected_key_stops_the_server() {
    let emulator = start_emulator().await;
    let home = tempfile::tempdir().unwrap();
    let spec = serde_json::json!({
        "command": gateway_bin(),
        "args": ["serve", "--no-catalog-cache"],
        "env": {
            "ARCADE_API_KEY": "arc_wrong",
            "ARCADE_BASE_URL": emulator.base_url(),
            "ARCADE_USER_ID": "ann@example.com",
        },
    });
    let path = home.path().to_owned();
    let launched =
        tokio::task::spawn_blocking(move || crate::support::typescript::launch(&spec, &path))
            .await
            .unwrap();
    assert!(!launched.listed, "{}", launched.stdout);
    let shown = launched.stdout.trim();
    assert!(
        shown.starts_with("connect failed: "),
        "{shown}\n{}",
        launched.log
    );
    assert!(
        shown.contains("Arcade rejected the API key") && shown.contains("set ARCADE_API_KEY"),
        "{shown}"
    );
    assert!(!shown.contains("Connection closed"), "{shown}");
    assert!(
        !shown.contains("arc_wrong"),
        "the key is not shown: {shown}"
    );
}

/// A 2026-07-28 client opens with `server/discover`, then may list tools without
/// `initialize`: each request gets the start-up error, so the client shows the server
/// as failed with the reason, never as connected with no tools.
#[test]
fn every_request_of_a_2026_client_gets_the_start_up_error() {
    use std::io::{BufRead, BufReader, Write};

    let mut child = std::process::Command::new(gateway_bin())
        .args(["serve", "--no-catalog-cache"])
        .env_clear()
        .env("ARCADE_USER_ID", "ann@example.com")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let meta = serde_json::json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "a-2026-client", "version": "1"},
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut answers = BufReader::new(child.stdout.take().unwrap()).lines();
    for (id, method) in [
        (1, "server/discover"),
        (2, "tools/list"),
        (3, "prompts/list"),
    ] {
        let request = serde_json::json!({
            "jsonrpc": "2.0", "id": id, "method": method, "params": {"_meta": meta},
        });
        writeln!(stdin, "{request}").unwrap();
        let answer: serde_json::Value =
            serde_json::from_str(&answers.next().unwrap().unwrap()).unwrap();
        assert_eq!(answer["id"], id, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            answer.get("result").is_none()
                && message.contains("could not start")
                && message.contains("ARCADE_API_KEY"),
            "{method}: {answer}"
        );
    }
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(2));
}
