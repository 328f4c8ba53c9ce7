//! Discovery on the real catalog (about 6,400 tools) with names, toolkits and queries far
//! longer than any tool's: each is refused at once with an answer that does not quote
//! it back, and another user is served meanwhile.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::huge_catalogs::fixture_emulator;
use crate::support::http::{ANN_TOKEN, McpClient, bearer, headers, token_gateway};
use crate::support::text;

#[tokio::test]
async fn huge_names_toolkits_and_queries_are_refused_at_once_and_others_are_served() {
    let emulator = fixture_emulator().await;
    let (gateway, _dir) =
        token_gateway(&emulator.base_url(), &["--discovery", "always"], &[]).await;
    let ann = McpClient::connect(&gateway.mcp_url(), &headers(&bearer(ANN_TOKEN))).await;
    // Warm the search index first: what is measured is the cost of the input.
    let warm = ann
        .call("search_tools", json!({"query": "send an email"}))
        .await;
    assert_eq!(warm.is_error, Some(false), "{}", text(&warm));

    let long = format!("Gmail_SendEmail{}", "x".repeat(60_000));
    let asked = Instant::now();
    let attempts = async {
        tokio::join!(
            ann.call("call_tool", json!({"name": long, "arguments": {}})),
            ann.call("call_tool", json!({"name": long, "arguments": {}})),
            ann.call("describe_tools", json!({"names": [long, long]})),
            ann.call(
                "search_tools",
                json!({"query": "send an email", "toolkit": long})
            ),
        )
    };
    let healthz = async {
        let http = reqwest::Client::new();
        let mut answered = 0;
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let answer = http
                .get(format!("{}/healthz", gateway.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            answered += usize::from(answer.is_ok_and(|a| a.status().is_success()));
        }
        answered
    };
    let ((called, called_again, described, searched), answered) =
        tokio::time::timeout(Duration::from_secs(60), async {
            tokio::join!(attempts, healthz)
        })
        .await
        .expect("every request is answered");
    let took = asked.elapsed();

    assert_eq!(answered, 4, "another client's /healthz waited meanwhile");
    assert!(took < Duration::from_secs(5), "the refusals took {took:?}");
    for result in [&called, &called_again, &described, &searched] {
        assert_eq!(result.is_error, Some(true), "{}", text(result));
        assert!(
            !text(result).contains(&"x".repeat(24)),
            "the answer quotes the name back: {}",
            &text(result)[..200.min(text(result).len())]
        );
        assert!(
            text(result).contains("characters"),
            "the answer says what the bound is: {}",
            text(result)
        );
    }
}
