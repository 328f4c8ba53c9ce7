//! Upstream trouble never takes the server down: every fault becomes a tool error that
//! says what happened, the next call is answered, and a tool that may have side
//! effects is never sent twice.

use crate::common::{Gateway, start_emulator, start_emulator_at, text};
use arcade_mcp_gateway::emulator::Faults;
use serde_json::json;

fn on_execute(faults: Faults) -> Faults {
    Faults {
        endpoints: Some(vec!["execute".to_owned()]),
        ..faults
    }
}

/// Arguments of a call that sends one email each time it runs.
fn an_email() -> serde_json::Value {
    json!({"recipient": "bob@example.com", "subject": "hi", "body": "hello"})
}

/// A gateway for Ann, who has already granted mail access.
async fn ann_with_mail_access(emulator: &arcade_mcp_gateway::emulator::Emulator) -> Gateway {
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let prompt = gateway.call("Mail_SendEmail", an_email()).await;
    crate::common::approve(&crate::common::authorization_url(&prompt)).await;
    gateway
}

#[tokio::test]
async fn a_server_error_on_a_side_effecting_tool_is_reported_and_not_resent() {
    let emulator = start_emulator().await;
    let gateway = ann_with_mail_access(&emulator).await;
    let state = emulator.state();
    let before = state.requests("execute");
    state.set_faults(on_execute(Faults {
        error_rate: 1.0,
        ..Faults::default()
    }));
    let result = gateway.call("Mail_SendEmail", an_email()).await;
    assert_eq!(result.is_error, Some(true));
    let shown = text(&result);
    assert!(
        shown.contains("server error") && shown.contains("Retrying later may help"),
        "{shown}"
    );
    assert_eq!(
        state.requests("execute") - before,
        1,
        "SendEmail may have side effects: sent once"
    );

    state.set_faults(Faults::default());
    let ok = gateway.call("Mail_SendEmail", an_email()).await;
    assert_eq!(
        ok.is_error,
        Some(false),
        "the server keeps serving: {}",
        text(&ok)
    );
    assert_eq!(state.executions("Mail.SendEmail", "ann@example.com"), 1);
}

#[tokio::test]
async fn a_read_only_tool_is_retried_through_a_passing_fault() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let state = emulator.state();
    state.set_faults(on_execute(Faults {
        error_rate: 0.5,
        ..Faults::default()
    }));
    let result = gateway.call("Math_Sqrt", json!({"x": 16})).await;
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    assert_eq!(text(&result), "4");
}

#[tokio::test]
async fn a_dropped_connection_after_sending_is_never_resent() {
    let emulator = start_emulator().await;
    let gateway = ann_with_mail_access(&emulator).await;
    let state = emulator.state();

    state.set_faults(on_execute(Faults {
        drop_rate: 1.0,
        ..Faults::default()
    }));
    let result = gateway.call("Mail_SendEmail", an_email()).await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("may or may not have run"),
        "{}",
        text(&result)
    );
    assert_eq!(
        state.executions("Mail.SendEmail", "ann@example.com"),
        1,
        "sent exactly once"
    );
}

#[tokio::test]
async fn rate_limits_malformed_bodies_and_slow_answers_are_clear_tool_errors() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(
        &emulator.base_url(),
        "ann@example.com",
        &["--request-timeout", "1"],
    )
    .await;
    let state = emulator.state();
    let cases = [
        (
            Faults {
                rate_limit_rate: 1.0,
                retry_after_secs: 0,
                ..Faults::default()
            },
            "rate limiting",
        ),
        (
            Faults {
                malformed_rate: 1.0,
                ..Faults::default()
            },
            "could not be read",
        ),
        (
            Faults {
                latency_ms: 3000,
                ..Faults::default()
            },
            "did not answer within",
        ),
    ];
    for (faults, expected) in cases {
        state.set_faults(on_execute(faults));
        let result = gateway.call("Math_Add", json!({"a": 1, "b": 2})).await;
        assert_eq!(result.is_error, Some(true));
        assert!(
            text(&result).contains(expected),
            "{expected}: {}",
            text(&result)
        );
    }
    state.set_faults(Faults::default());
    assert_eq!(
        text(&gateway.call("Math_Add", json!({"a": 1, "b": 2})).await),
        "3"
    );
}

#[tokio::test]
async fn a_rejected_key_says_what_to_set_and_the_server_keeps_serving() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    emulator.state().set_api_key("arc_rotated_key");
    let result = gateway.call("Math_Add", json!({"a": 1, "b": 2})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("ARCADE_API_KEY"),
        "{}",
        text(&result)
    );
    emulator.state().set_api_key(crate::common::API_KEY);
    assert_eq!(
        text(&gateway.call("Math_Add", json!({"a": 1, "b": 2})).await),
        "3"
    );
}

#[tokio::test]
async fn an_engine_that_is_down_is_reported_and_its_return_is_noticed() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let addr: std::net::SocketAddr = emulator
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    emulator.shutdown().await;

    let result = gateway.call("Math_Add", json!({"a": 1, "b": 2})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("could not connect to Arcade"),
        "{}",
        text(&result)
    );

    let _back = start_emulator_at(addr).await;
    assert_eq!(
        text(&gateway.call("Math_Add", json!({"a": 1, "b": 2})).await),
        "3"
    );
}
