//! The audit log (`serve --audit-log`): the real gateway over HTTP for two users — a
//! plain call, a call with bad arguments, a call granted through a URL elicitation, a
//! link prompt approved out of band and the call again, a call relayed by `call_tool`.
//! Every line matches `docs/audit-log.schema.json`, says who called what and how it
//! ended with Arcade's execution id, and no key, token or argument value appears.

use std::path::Path;

use rmcp::model::ProtocolVersion;
use rmcp::service::ClientLifecycleMode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::secrets::{GMAIL_READ, provider_token};
use crate::support::auth_server::{AuthServer, TestKey, claims};
use crate::support::http::{
    ANN_TOKEN, BOB_TOKEN, HttpGateway, McpClient, bearer, headers, oauth_gateway, token_gateway,
};
use crate::support::person::{Answer, Person};
use crate::support::{API_KEY, Gateway, approve, authorization_url, start_emulator};

const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";
const GMAIL_SEND: &str = "https://www.googleapis.com/auth/gmail.send";

/// The documented schema of a line, checked itself against its metaschema.
pub(crate) fn line_schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/audit-log.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::meta::validate(&schema).expect("the schema is a valid JSON Schema");
    jsonschema::validator_for(&schema).unwrap()
}

/// Each line of `text` as JSON, checked against the documented schema.
fn checked_lines(text: &str) -> Vec<Value> {
    let schema = line_schema();
    text.lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON object a line ({e}): {line}"));
            if let Err(error) = schema.validate(&value) {
                panic!("{error} at {}: {line}", error.instance_path());
            }
            value
        })
        .collect()
}

/// What the gateway hashes: SHA-256 of the arguments' canonical JSON.
fn sha256(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Every rotated file in `dir`, oldest first, as one text (a run across midnight UTC
/// writes two).
fn audit_files(dir: &Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| !path.is_symlink())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("audit.")
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect()
}

/// A gateway for ann and bob writing its audit log into a folder of its own.
struct Audited {
    gateway: HttpGateway,
    dir: tempfile::TempDir,
    _tokens: tempfile::TempDir,
}

impl Audited {
    async fn start(arcade: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut flags = vec!["--audit-log", path.to_str().unwrap()];
        flags.extend_from_slice(extra);
        let (gateway, tokens) = token_gateway(arcade, &flags, &[]).await;
        Self {
            gateway,
            dir,
            _tokens: tokens,
        }
    }

    /// The `--audit-log` path: the link to the newest file.
    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    /// Stops the gateway (which writes out every line) and reads every line it wrote.
    async fn stop(self) -> String {
        self.gateway.terminate().await;
        audit_files(self.dir.path())
    }
}

async fn client(gateway_url: &str, token: &str, person: Person) -> McpClient<Person> {
    let person = person.speaking(ProtocolVersion::V_2025_11_25);
    let lifecycle = ClientLifecycleMode::Initialize;
    McpClient::connect_with(person, lifecycle, gateway_url, &headers(&bearer(token))).await
}

#[tokio::test]
async fn audit_lines_match_the_schema_say_what_happened_and_hold_no_secret() {
    let emulator = start_emulator().await;
    let audited = Audited::start(&emulator.base_url(), &["--discovery", "always"]).await;
    let gateway = &audited.gateway;
    let started = chrono::Utc::now();
    let ann = client(&gateway.mcp_url(), ANN_TOKEN, Person::new(Answer::Approve)).await;
    let bob = client(
        &gateway.mcp_url(),
        BOB_TOKEN,
        Person::without_elicitation(None),
    )
    .await;

    let plain = ann
        .call("Math_Add", json!({"b": 8765.4321, "a": 1234.5678}))
        .await;
    assert_eq!(plain.is_error, Some(false));
    let bad = ann
        .call("Math_Add", json!({"a": "zq-not-a-number", "b": 1}))
        .await;
    assert_eq!(bad.is_error, Some(true));
    let mail = json!({"recipient": "carol.zx81@example.org", "subject": "Quarterly plan zx81",
        "body": "Meet at the usual place qv7"});
    let sent = ann.call("Mail_SendEmail", mail).await;
    assert_eq!(sent.is_error, Some(false), "granted in the call, then sent");
    let prompt = bob
        .call("Mail_ListEmails", json!({"folder": "starred"}))
        .await;
    let link = authorization_url(&prompt);
    let link_id = prompt.structured_content.as_ref().unwrap()["authorization_id"].clone();
    approve(&link).await;
    let listed = bob
        .call("Mail_ListEmails", json!({"folder": "starred"}))
        .await;
    assert_eq!(listed.is_error, Some(false));
    let relayed = json!({"name": "Math.Multiply", "arguments": {"a": 6.02214, "b": 1.60218}});
    assert_eq!(ann.call("call_tool", relayed).await.is_error, Some(false));
    // A 2026-07-28 client: the prompt is an input-required answer, the grant its retry.
    let lifecycle = crate::support::discover(ProtocolVersion::V_2026_07_28);
    let ann_bearer = bearer(ANN_TOKEN);
    let headers = headers(&ann_bearer);
    let person = Person::new(Answer::Approve);
    let ann_later = McpClient::connect_with(person, lifecycle, &gateway.mcp_url(), &headers).await;
    let inbox = ann_later
        .call("Mail_ListEmails", json!({"folder": "sent"}))
        .await;
    assert_eq!(inbox.is_error, Some(false), "granted on the retry");

    let logs = gateway.logs();
    assert!(
        !logs.contains("\"event\":\"tool_call\""),
        "with a file, audit lines stay out of the logs"
    );
    assert!(
        audited
            .path()
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink(),
        "the path links to the day's file"
    );
    drop((ann, bob, ann_later));
    let text = audited.stop().await;
    let ended = chrono::Utc::now();
    let lines = checked_lines(&text);

    for line in &lines {
        let time = chrono::DateTime::parse_from_rfc3339(line["time"].as_str().unwrap()).unwrap();
        assert!(
            started - chrono::Duration::seconds(1) <= time && time <= ended,
            "{line}"
        );
        assert_eq!(
            line["client"],
            json!({"name": "person", "version": "1.0",
            "oauth_client_id": null}),
            "{line}"
        );
    }
    let calls: Vec<&Value> = lines.iter().filter(|l| l["event"] == "tool_call").collect();
    let prompts: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "authorization")
        .collect();
    assert_eq!(
        (calls.len(), prompts.len(), lines.len()),
        (8, 6, 14),
        "{text}"
    );

    let run_of = |tool: &str, user: &str| {
        assert_eq!(
            emulator.state().executions(tool, user),
            1,
            "{tool} ran once for {user}"
        );
        json!(emulator.state().last_execution_id(tool, user))
    };
    let google = |strategy: &str, outcome: &str| json!({"strategy": strategy, "outcome": outcome, "provider_id": "google"});
    // (user, tool, qualified name, via, canonical arguments, outcome, authorization, run)
    let expected = [
        (
            ANN,
            "Math_Add",
            json!("Math.Add"),
            Value::Null,
            r#"{"a":1234.5678,"b":8765.4321}"#,
            "ok",
            Value::Null,
            run_of("Math.Add", ANN),
        ),
        (
            ANN,
            "Math_Add",
            json!("Math.Add"),
            Value::Null,
            r#"{"a":"zq-not-a-number","b":1}"#,
            "invalid_arguments",
            Value::Null,
            Value::Null,
        ),
        (
            ANN,
            "Mail_SendEmail",
            json!("Mail.SendEmail"),
            Value::Null,
            r#"{"body":"Meet at the usual place qv7","recipient":"carol.zx81@example.org","subject":"Quarterly plan zx81"}"#,
            "ok",
            google("url_elicitation", "granted"),
            run_of("Mail.SendEmail", ANN),
        ),
        (
            BOB,
            "Mail_ListEmails",
            json!("Mail.ListEmails"),
            Value::Null,
            r#"{"folder":"starred"}"#,
            "authorization_required",
            google("link", "not_granted"),
            Value::Null,
        ),
        (
            BOB,
            "Mail_ListEmails",
            json!("Mail.ListEmails"),
            Value::Null,
            r#"{"folder":"starred"}"#,
            "ok",
            Value::Null,
            run_of("Mail.ListEmails", BOB),
        ),
        (
            ANN,
            "Math_Multiply",
            json!("Math.Multiply"),
            json!("call_tool"),
            r#"{"a":6.02214,"b":1.60218}"#,
            "ok",
            Value::Null,
            run_of("Math.Multiply", ANN),
        ),
    ];
    for (line, (user, tool, qualified, via, arguments, outcome, authorization, run)) in
        calls.iter().zip(expected)
    {
        assert_eq!(line["user"], user, "{line}");
        assert_eq!(line["tool"], tool, "{line}");
        assert_eq!(line["qualified_name"], qualified, "{line}");
        assert_eq!(line["via"], via, "{line}");
        assert_eq!(line["arguments_sha256"], sha256(arguments), "{line}");
        assert_eq!(line["outcome"], outcome, "{line}");
        assert_eq!(line["authorization"], authorization, "{line}");
        assert_eq!(line["execution_id"], run, "{line}");
        let (total, upstream) = (line["duration_ms"].as_f64(), line["upstream_ms"].as_f64());
        assert!(upstream <= total, "{line}");
        assert_eq!(
            upstream > Some(0.0),
            outcome != "invalid_arguments",
            "{line}"
        );
    }

    // Each prompt is issued, then ends, before its call's line.
    let position = |wanted: &Value| lines.iter().position(|l| l == wanted).unwrap();
    for ([issued, ended], (user, strategy, outcome, call)) in [
        (
            [prompts[0], prompts[1]],
            (ANN, "url_elicitation", "granted", calls[2]),
        ),
        (
            [prompts[2], prompts[3]],
            (BOB, "link", "not_granted", calls[3]),
        ),
        (
            [prompts[4], prompts[5]],
            (ANN, "input_required", "granted", calls[7]),
        ),
    ] {
        for line in [issued, ended] {
            assert_eq!(line["user"], user, "{line}");
            assert_eq!(line["strategy"], strategy, "{line}");
            assert_eq!(line["provider_id"], "google", "{line}");
            assert_eq!(line["tool"], call["tool"], "{line}");
            assert_eq!(line["qualified_name"], call["qualified_name"], "{line}");
        }
        assert_eq!(
            (&issued["phase"], &issued["outcome"]),
            (&json!("prompt_issued"), &Value::Null)
        );
        assert_eq!(
            (&ended["phase"], &ended["outcome"]),
            (&json!("prompt_ended"), &json!(outcome))
        );
        assert!(
            issued["authorization_id"]
                .as_str()
                .unwrap()
                .starts_with("ac_")
        );
        assert_eq!(issued["authorization_id"], ended["authorization_id"]);
        assert!(position(issued) < position(ended) && position(ended) < position(call));
    }
    assert_eq!(prompts[2]["authorization_id"], link_id);
    assert!(
        prompts[1]["elapsed_ms"].as_f64().unwrap() > 0.0,
        "time to grant"
    );

    let secrets = [
        API_KEY.to_owned(),
        ANN_TOKEN.to_owned(),
        BOB_TOKEN.to_owned(),
        provider_token(&emulator.base_url(), ANN, GMAIL_SEND).await,
        provider_token(&emulator.base_url(), BOB, GMAIL_READ).await,
        link,
    ];
    let argument_values = [
        "1234.5678",
        "8765.4321",
        "zq-not-a-number",
        "carol.zx81",
        "Quarterly plan",
        "usual place",
        "starred",
        "6.02214",
        "1.60218",
        "\"sent\"",
    ];
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a secret is in the audit log"
        );
    }
    for value in argument_values {
        assert!(
            !text.contains(value),
            "the argument value {value} is in the audit log"
        );
    }
}

#[test]
fn the_schema_refuses_lines_that_drift_from_it() {
    let schema = line_schema();
    let line = json!({"schema": 1, "event": "tool_call", "time": "2026-12-02T05:51:14.793Z",
        "user": ANN, "client": {"name": "person", "version": "1.0", "oauth_client_id": null},
        "tool": "Math_Add", "qualified_name": "Math.Add", "via": null,
        "arguments_sha256": sha256("{}"), "outcome": "upstream_error:timeout",
        "authorization": null, "execution_id": null, "duration_ms": 3.0, "upstream_ms": 2.5});
    assert!(schema.is_valid(&line), "{line}");
    let drifted = |change: fn(&mut Value)| {
        let mut line = line.clone();
        change(&mut line);
        schema.is_valid(&line)
    };
    assert!(
        !drifted(|l| l["arguments"] = json!({"a": 1})),
        "an undocumented field"
    );
    assert!(
        !drifted(|l| drop(l.as_object_mut().unwrap().remove("user"))),
        "no user"
    );
    assert!(
        !drifted(|l| l["outcome"] = json!("fine")),
        "an unknown outcome"
    );
    assert!(
        !drifted(|l| l["arguments_sha256"] = json!("abc")),
        "not a SHA-256"
    );
    assert!(!drifted(|l| l["time"] = json!("yesterday")), "not RFC 3339");
}

#[tokio::test]
async fn audit_log_dash_writes_the_lines_to_stderr() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), ANN, &["--audit-log", "-"]).await;
    let result = gateway.call("Math_Add", json!({"a": 2, "b": 3})).await;
    assert_eq!(result.is_error, Some(false));
    crate::support::eventually("the audit line reaches stderr", || {
        gateway.logs().contains("\"event\":\"tool_call\"")
    })
    .await;
    let logs = gateway.logs();
    let audit: String = logs
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| format!("{line}\n"))
        .collect();
    let lines = checked_lines(&audit);
    assert_eq!(lines.len(), 1, "{logs}");
    assert_eq!(lines[0]["user"], ANN);
    assert_eq!(lines[0]["outcome"], "ok");
    assert_eq!(lines[0]["arguments_sha256"], sha256(r#"{"a":2,"b":3}"#));
    assert_eq!(
        lines[0]["execution_id"],
        json!(emulator.state().last_execution_id("Math.Add", ANN))
    );
}

#[tokio::test]
async fn an_audit_path_that_is_an_existing_file_stops_startup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    std::fs::write(&path, "kept\n").unwrap();
    let stderr = refused_start(dir.path(), &path);
    assert!(stderr.contains("is an existing file"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept\n");
}

/// `serve --emulator --audit-log PATH`, which must refuse to start (exit code 2): its
/// stderr.
fn refused_start(dir: &Path, path: &Path) -> String {
    let output = std::process::Command::new(crate::support::gateway_bin())
        .args(["serve", "--emulator", "--audit-log", path.to_str().unwrap()])
        .env("ARCADE_GATEWAY_CACHE_DIR", dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_planted_where_the_days_file_goes_stops_startup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let planted = dir.path().join("someone-elses.log");
    std::fs::write(&planted, "").unwrap();
    let today = chrono::Utc::now().format("%Y-%m-%d");
    std::os::unix::fs::symlink(&planted, dir.path().join(format!("audit.{today}.jsonl"))).unwrap();
    let stderr = refused_start(dir.path(), &path);
    assert!(stderr.contains("symlink"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&planted).unwrap(), "");
}

#[tokio::test]
async fn in_oauth_mode_the_line_names_the_tokens_client() {
    let emulator = start_emulator().await;
    let key = TestKey::rsa_a();
    let server = AuthServer::start(&[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let extra = ["--audit-log", path.to_str().unwrap()];
    let (gateway, resource) = oauth_gateway(&emulator.base_url(), &server.issuer, &extra).await;
    let mut claims = claims(&server.issuer, &resource, ANN);
    claims["client_id"] = json!("editor-app-1");
    let token = key.sign(&claims);
    let ann = McpClient::connect(&gateway.mcp_url(), &headers(&bearer(&token))).await;
    assert_eq!(
        ann.call("Math_Add", json!({"a": 1, "b": 2})).await.is_error,
        Some(false)
    );
    drop(ann);
    gateway.terminate().await;

    let text = audit_files(dir.path());
    let lines = checked_lines(&text);
    assert_eq!(lines.len(), 1, "{text}");
    assert_eq!(lines[0]["user"], ANN);
    assert_eq!(lines[0]["client"]["oauth_client_id"], "editor-app-1");
    assert!(
        !text.contains(&token),
        "the access token is in the audit log"
    );
}

#[tokio::test]
async fn a_call_refused_over_the_rate_limit_is_on_record() {
    let emulator = start_emulator().await;
    let audited = Audited::start(&emulator.base_url(), &["--calls-per-minute", "1"]).await;
    let url = audited.gateway.mcp_url();
    let ann = McpClient::connect(&url, &headers(&bearer(ANN_TOKEN))).await;
    assert_eq!(
        ann.call("Math_Add", json!({"a": 1, "b": 2})).await.is_error,
        Some(false)
    );
    let refused = ann.try_call("Math_Add", json!({"a": 40, "b": 2})).await;
    assert!(refused.is_err(), "the second call in a minute is refused");
    drop(ann);
    let lines = checked_lines(&audited.stop().await);
    let outcomes: Vec<&Value> = lines.iter().map(|line| &line["outcome"]).collect();
    assert_eq!(outcomes, ["ok", "rate_limited"]);
    let over = &lines[1];
    assert_eq!(over["user"], ANN);
    assert_eq!(over["tool"], "Math_Add");
    assert_eq!(over["arguments_sha256"], sha256(r#"{"a":40,"b":2}"#));
    assert_eq!(over["execution_id"], Value::Null);
    assert_eq!(emulator.state().executions("Math.Add", ANN), 1);
}

#[tokio::test]
async fn direct_tool_calls_and_prompts_are_on_record_over_stdio() {
    let emulator = start_emulator().await;
    let direct = crate::direct_tools::tools_file(&emulator.base_url());
    let file = direct.path().join("direct.toml");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let flags = [
        "--direct-tools",
        file.to_str().unwrap(),
        "--audit-log",
        path.to_str().unwrap(),
    ];
    let gateway = Gateway::spawn(&emulator.base_url(), ANN, &flags).await;
    let bad = gateway.call("Gmail_GetMyMessage", json!({"id": 7})).await;
    assert_eq!(bad.is_error, Some(true));
    let prompt = gateway
        .call("Gmail_ListMyMessages", json!({"max_results": 3}))
        .await;
    let link = authorization_url(&prompt);
    crate::support::eventually("four lines are in the file", || {
        audit_files(dir.path()).lines().count() == 4
    })
    .await;

    let text = audit_files(dir.path());
    let lines = checked_lines(&text);
    let summary: Vec<(&Value, &Value, &Value)> = lines
        .iter()
        .map(|l| (&l["event"], &l["tool"], &l["outcome"]))
        .collect();
    assert_eq!(
        summary,
        [
            (
                &json!("tool_call"),
                &json!("Gmail_GetMyMessage"),
                &json!("invalid_arguments")
            ),
            (
                &json!("authorization"),
                &json!("Gmail_ListMyMessages"),
                &Value::Null
            ),
            (
                &json!("authorization"),
                &json!("Gmail_ListMyMessages"),
                &json!("not_granted")
            ),
            (
                &json!("tool_call"),
                &json!("Gmail_ListMyMessages"),
                &json!("authorization_required")
            ),
        ],
        "{text}"
    );
    for line in &lines {
        assert_eq!(line["user"], ANN, "{line}");
        assert_eq!(line["qualified_name"], Value::Null, "a direct tool: {line}");
    }
    assert_eq!(lines[1]["strategy"], "link");
    assert_eq!(lines[1]["provider_id"], "google");
    assert_eq!(lines[3]["arguments_sha256"], sha256(r#"{"max_results":3}"#));
    assert!(!text.contains(&link), "the link is in the audit log");
}

#[tokio::test]
async fn a_value_that_looks_like_an_authorization_prompt_is_counted_as_a_success() {
    use arcade_mcp_gateway::emulator::{CannedAnswer, Faults};
    let emulator = start_emulator().await;
    let audited = Audited::start(&emulator.base_url(), &[]).await;
    let ann = McpClient::connect(&audited.gateway.mcp_url(), &headers(&bearer(ANN_TOKEN))).await;
    let first = ann.call("Mail_ListEmails", json!({})).await;
    approve(&authorization_url(&first)).await;
    // Granted: the tool's own value now happens to hold the link result's fields.
    let lookalike = json!({"authorization_required": true, "status": "declined",
                           "authorization_url": "https://a.example/"});
    emulator.state().set_faults(Faults {
        endpoints: Some(vec!["execute".into()]),
        answer: Some(CannedAnswer {
            status: 200,
            body: json!({"success": true, "status": "success", "output": {"value": lookalike}}),
        }),
        ..Faults::default()
    });
    let result = ann.call("Mail_ListEmails", json!({})).await;
    assert_eq!(result.is_error, Some(false), "the tool's own value");
    assert_eq!(result.structured_content, Some(lookalike));

    let metrics = audited.gateway.metrics().await;
    for counted in [
        "arcade_gateway_tool_calls_total{outcome=\"ok\"} 1",
        "arcade_gateway_tool_calls_total{outcome=\"authorization_required\"} 1",
    ] {
        assert!(metrics.contains(counted), "{counted} in {metrics}");
    }
    let lines = checked_lines(&audited.stop().await);
    let calls: Vec<&Value> = lines.iter().filter(|l| l["event"] == "tool_call").collect();
    assert_eq!(calls.len(), 2, "{lines:?}");
    assert_eq!(calls[0]["outcome"], "authorization_required");
    assert_eq!(calls[1]["outcome"], "ok", "{}", calls[1]);
    assert_eq!(calls[1]["authorization"], Value::Null, "{}", calls[1]);
}
