//! The person behind a test's MCP client: an rmcp client handler that declares URL
//! elicitation (or not), "opens" an authorization link by answering the emulator's
//! approval page, and records what the server sent (elicitations, progress, logs).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    ClientCapabilities, ClientConfig, CustomNotification, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationCapability, Implementation, ProgressNotificationParam,
    ProtocolVersion, UrlElicitationCapability,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ClientHandler, ErrorData, RoleClient};
use serde_json::Value;

use super::{approve, decide};

/// What the person does when asked.
#[derive(Clone, Copy, PartialEq)]
pub enum Answer {
    /// Opens the link and approves, then accepts.
    Approve,
    /// Opens the link and denies, then accepts.
    Deny,
    /// Declines in the client.
    Decline,
    /// Accepts without ever opening the link.
    Forget,
}

/// What the client saw.
#[derive(Default)]
pub struct Seen {
    /// (message, url) of each URL elicitation.
    pub elicitations: Vec<(String, String)>,
    /// Progress values.
    pub progress: Vec<f64>,
    /// Data of each log message.
    pub logs: Vec<Value>,
    /// `notifications/elicitation/complete` received.
    pub completions: usize,
}

/// The client's handler: the person behind the client.
#[derive(Clone)]
pub struct Person {
    answer: Answer,
    url_elicitation: bool,
    /// Approve the link of a log message after this long (clients that cannot be asked).
    approve_logged_after: Option<Duration>,
    /// The protocol version asked for at `initialize` (rmcp's newest when absent).
    protocol: Option<ProtocolVersion>,
    seen: Arc<Mutex<Seen>>,
}

impl Person {
    /// A client declaring URL elicitation whose person answers every prompt with `answer`.
    pub fn new(answer: Answer) -> Self {
        Self {
            answer,
            url_elicitation: true,
            approve_logged_after: None,
            protocol: None,
            seen: Arc::default(),
        }
    }

    /// A client without elicitation.
    pub fn without_elicitation(approve_logged_after: Option<Duration>) -> Self {
        Self {
            url_elicitation: false,
            approve_logged_after,
            ..Self::new(Answer::Forget)
        }
    }

    /// The same person, asking for `version` at `initialize`.
    pub fn speaking(self, version: ProtocolVersion) -> Self {
        Self {
            protocol: Some(version),
            ..self
        }
    }

    /// What the client has seen so far.
    pub fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap()
    }
}

impl ClientHandler for Person {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        if self.url_elicitation {
            capabilities.elicitation =
                Some(ElicitationCapability::new().with_url(UrlElicitationCapability::new()));
        }
        let config = ClientConfig::new(capabilities, Implementation::new("person", "1.0"));
        match &self.protocol {
            Some(version) => config.with_protocol_version(version.clone()),
            None => config,
        }
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::UrlElicitationParams { message, url, .. } = request else {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        };
        self.seen().elicitations.push((message, url.clone()));
        let action = match self.answer {
            Answer::Approve => {
                approve(&url).await;
                ElicitationAction::Accept
            }
            Answer::Deny => {
                decide(&url, "deny").await;
                ElicitationAction::Accept
            }
            Answer::Decline => ElicitationAction::Decline,
            Answer::Forget => ElicitationAction::Accept,
        };
        Ok(ElicitResult::new(action))
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.seen().progress.push(params.progress);
    }

    #[allow(deprecated)]
    async fn on_logging_message(
        &self,
        params: rmcp::model::LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let (Some(after), Some(url)) = (
            self.approve_logged_after,
            params.data["authorization_url"].as_str(),
        ) {
            let url = url.to_owned();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                approve(&url).await;
            });
        }
        self.seen().logs.push(params.data);
    }

    async fn on_custom_notification(
        &self,
        notification: CustomNotification,
        _context: NotificationContext<RoleClient>,
    ) {
        if notification.method == "notifications/elicitation/complete" {
            self.seen().completions += 1;
        }
    }
}
