//! Upstream trouble beyond the injected faults of `fault_matrix`: a key Arcade stops
//! accepting and an engine that goes away and comes back. Each becomes a tool error
//! that says what happened, and the server answers the next call.

use crate::common::{Gateway, start_emulator, start_emulator_at, text};
use serde_json::json;

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
