//! What a stdio client sees when the server cannot start. Desktop clients launch the
//! server and show its answers, but seldom its stderr: a server that printed "the key
//! was rejected" and exited would show up only as "Connection closed". So a server that
//! cannot start still speaks MCP on stdin/stdout, for a while, and answers every request
//! (`initialize`, the 2026-07-28 `server/discover` a client opens with, and any other)
//! with an error that says what is wrong and what to set. Clients show that message
//! where they show a server's failure; a successful answer to any of them, even an empty
//! one, would show a server that cannot serve as connected.

use std::time::Duration;

use rmcp::model::{ClientNotification, ClientRequest, ErrorData, ServerConfig, ServerResult};
use rmcp::service::{NotificationContext, RequestContext, Service};
use rmcp::{RoleServer, ServiceExt};

/// How long the refusal is served before the program ends anyway: long enough for a
/// client to connect, short enough that a forgotten process does not linger.
const REFUSAL_SERVED_FOR: Duration = Duration::from_secs(30);

/// A server that answers every request with why it could not start.
#[derive(Debug, Clone)]
struct Refusal {
    reason: String,
}

impl Refusal {
    fn error(&self) -> ErrorData {
        ErrorData::internal_error(
            format!("arcade-mcp-gateway could not start: {}", self.reason),
            None,
        )
    }
}

/// `Service` itself rather than `ServerHandler`: the handler's defaults answer the
/// requests it does not override (`server/discover`, the empty lists) successfully.
impl Service<RoleServer> for Refusal {
    async fn handle_request(
        &self,
        _request: ClientRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        Err(self.error())
    }

    async fn handle_notification(
        &self,
        _notification: ClientNotification,
        _context: NotificationContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    fn get_info(&self) -> ServerConfig {
        ServerConfig::default()
    }
}

/// Answers the client on stdin/stdout with `reason` until it goes away (or for
/// [`REFUSAL_SERVED_FOR`]).
pub async fn refuse(reason: &str) {
    let refusal = Refusal {
        reason: reason.to_owned(),
    };
    let served = async {
        if let Ok(running) = refusal
            .serve((tokio::io::stdin(), tokio::io::stdout()))
            .await
        {
            let _ = running.waiting().await;
        }
    };
    let _ = tokio::time::timeout(REFUSAL_SERVED_FOR, served).await;
}
