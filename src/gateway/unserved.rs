//! Answers to what this server does not serve: it declares tools only, so prompts,
//! resources and completions get a `-32601` that says so and what to use instead (rmcp's
//! own says only the method's name), and reading a resource gets the `-32602` with the
//! URI that the 2026-07-28 protocol asks for an unknown resource.

use rmcp::ErrorData as McpError;
use rmcp::model::ErrorCode;
use serde_json::json;

/// `-32601` for a `method` of a capability this server does not declare.
pub(super) fn not_served(method: &str) -> McpError {
    McpError::new(
        ErrorCode::METHOD_NOT_FOUND,
        format!(
            "{method} is not served: this server offers tools only (it declares no prompts, \
             resources or completions); use tools/list and tools/call"
        ),
        Some(json!({"method": method})),
    )
}

/// `-32602` for a resource this server does not have (it has none).
pub(super) fn unknown_resource(uri: &str) -> McpError {
    let shown: String = uri.chars().take(200).collect();
    McpError::invalid_params(
        format!("no resource `{shown}`: this server offers tools only, and no resources"),
        Some(json!({"uri": shown})),
    )
}
