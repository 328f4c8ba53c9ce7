//! MCP over stdin/stdout, for clients that launch the server as a child process.
//! Stdout belongs to the protocol: logs go to stderr.

use rmcp::ServiceExt;

use crate::gateway::Gateway;
use crate::startup::StartError;

/// Serves one client on stdin/stdout until it disconnects.
pub async fn serve(gateway: Gateway) -> Result<(), StartError> {
    let running = gateway
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| StartError::Transport(e.to_string()))?;
    running
        .waiting()
        .await
        .map_err(|e| StartError::Transport(e.to_string()))?;
    Ok(())
}
