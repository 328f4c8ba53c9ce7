//! `call`: one tool from a script, with every documented exit code, against the
//! emulator: 0 success, 1 tool error, 2 usage, 3 authorization needed (then approve and
//! call again, or `--wait` through the grant), 4 engine unreachable.

use std::process::{Output, Stdio};

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{API_KEY, approve, gateway_bin, start_emulator};

const USER: &str = "ann@example.com";

fn call_command(base_url: &str, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(gateway_bin());
    command
        .arg("call")
        .args(args)
        .arg("--no-catalog-cache")
        .env_clear()
        .envs(crate::support::kept_env())
        .env("ARCADE_API_KEY", API_KEY)
        .env("ARCADE_BASE_URL", base_url)
        .env("ARCADE_USER_ID", USER)
        .stdin(Stdio::null());
    command
}

async fn call(base_url: &str, args: &[&str]) -> Output {
    call_command(base_url, args).output().await.unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn a_tool_that_succeeds_prints_its_result_and_exits_0() {
    let emulator = start_emulator().await;
    let url = emulator.base_url();
    let output = call(&url, &["Math.Add", "--input", r#"{"a": 2, "b": 3}"#]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "5");
    assert!(
        stderr(&output).is_empty(),
        "no logs by default: {}",
        stderr(&output)
    );

    let json = call(
        &url,
        &["Math_Add", "--json", "--input", r#"{"a": 1, "b": 1}"#],
    )
    .await;
    let result: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(result["content"][0]["text"], "2");
}

#[tokio::test]
async fn a_tool_error_exits_1_and_usage_mistakes_exit_2() {
    let emulator = start_emulator().await;
    let url = emulator.base_url();
    let refused = call(&url, &["Math.Add", "--input", r#"{"a": "x"}"#]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("argument `a`"),
        "{}",
        stderr(&refused)
    );

    let unknown = call(&url, &["Nope.Nothing"]).await;
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("unknown tool"),
        "{}",
        stderr(&unknown)
    );

    let not_json = call(&url, &["Math.Add", "--input", "[1, 2]"]).await;
    assert_eq!(not_json.status.code(), Some(2));
    assert!(
        stderr(&not_json).contains("not a JSON object"),
        "{}",
        stderr(&not_json)
    );
    assert_eq!(
        emulator.state().executions("Math.Add", USER),
        0,
        "nothing ran upstream"
    );
}

#[tokio::test]
async fn without_a_grant_the_link_is_printed_with_exit_3_and_after_approval_it_runs() {
    let emulator = start_emulator().await;
    let url = emulator.base_url();
    let first = call(&url, &["Mail.ListEmails"]).await;
    assert_eq!(first.status.code(), Some(3), "{}", stderr(&first));
    let link = stdout(&first).trim().to_owned();
    assert!(link.starts_with(&url), "the link alone on stdout: {link}");
    approve(&link).await;
    let second = call(&url, &["Mail.ListEmails"]).await;
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(stdout(&second).contains(USER), "{}", stdout(&second));
}

#[tokio::test]
async fn with_wait_the_link_is_shown_and_the_call_finishes_once_granted() {
    let emulator = start_emulator().await;
    let mut child = call_command(&emulator.base_url(), &["Mail.ListEmails", "--wait", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let link = loop {
        let line = lines.next_line().await.unwrap().expect("the link is shown");
        if line.starts_with("http") {
            break line;
        }
    };
    approve(&link).await;
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains(USER), "{}", stdout(&output));
}

#[tokio::test]
async fn an_unreachable_engine_exits_4() {
    let output = call("http://127.0.0.1:9", &["Math.Add"]).await;
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("ARCADE_BASE_URL"),
        "{}",
        stderr(&output)
    );
}
