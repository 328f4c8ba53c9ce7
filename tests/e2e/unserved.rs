//! What the server does not serve is refused clearly: prompts, resources and
//! completions get `-32601` saying the server offers tools only, and reading a resource
//! gets `-32602` with the URI in `data`.

use rmcp::ServiceError;
use rmcp::model::{ErrorCode, ReadResourceRequestParams};

use crate::support::{Gateway, start_emulator};

fn mcp_error(error: ServiceError) -> rmcp::ErrorData {
    match error {
        ServiceError::McpError(data) => data,
        other => panic!("expected an MCP error, got {other}"),
    }
}

#[tokio::test]
async fn prompts_resources_and_reads_are_refused_with_what_to_use() {
    let emulator = start_emulator().await;
    let gateway = Gateway::spawn(&emulator.base_url(), "ann@example.com", &[]).await;
    let prompts = mcp_error(gateway.client.list_prompts(None).await.unwrap_err());
    assert_eq!(prompts.code, ErrorCode::METHOD_NOT_FOUND);
    assert!(
        prompts.message.contains("tools only"),
        "{}",
        prompts.message
    );
    let resources = mcp_error(gateway.client.list_resources(None).await.unwrap_err());
    assert_eq!(resources.code, ErrorCode::METHOD_NOT_FOUND);
    assert!(
        resources.message.contains("resources/list"),
        "{}",
        resources.message
    );

    let read = gateway
        .client
        .read_resource(ReadResourceRequestParams::new("test://nothing"))
        .await
        .unwrap_err();
    let read = mcp_error(read);
    assert_eq!(read.code, ErrorCode::INVALID_PARAMS);
    assert_eq!(read.data.unwrap()["uri"], "test://nothing");
}
