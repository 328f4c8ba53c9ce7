//! How one tool call ended, as one typed value: the call path produces a
//! [`CallOutcome`] beside each MCP answer (together, an [`Answer`]), and the span, the
//! audit line and the metrics are views of it. Nothing reads the answer's JSON back to
//! learn how the call went, so a tool whose own output holds
//! `"authorization_required": true` is a success like any other.

use std::borrow::Cow;

use rmcp::model::{CallToolResponse, CallToolResult};

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The tool ran and answered.
    Ok,
    /// The tool ran and reported its own error, or could not be run for a reason a
    /// retry as it is will not fix (a requirement not met, a changed tool).
    ToolError,
    /// The arguments failed the tool's schema or check: nothing was sent.
    InvalidArguments,
    /// The answer is an authorization link: the user must grant access first.
    AuthorizationRequired,
    /// An input-required result: the first round of a multi round-trip authorization.
    InputRequired,
    /// Arcade (or the provider's token) could not be had, of this `ArcadeError` kind.
    UpstreamError(&'static str),
    /// The client cancelled the call or went away.
    Cancelled,
    /// A rate or concurrency limit refused the call before it ran.
    RateLimited,
    /// A JSON-RPC error with this code.
    ProtocolError(i32),
}

impl CallOutcome {
    /// The audit line's `outcome` (docs/audit-log.md).
    pub fn audit_label(self) -> Cow<'static, str> {
        match self {
            Self::Ok => "ok".into(),
            Self::ToolError => "tool_error".into(),
            Self::InvalidArguments => "invalid_arguments".into(),
            Self::AuthorizationRequired => "authorization_required".into(),
            Self::InputRequired => "input_required".into(),
            Self::UpstreamError(kind) => format!("upstream_error:{kind}").into(),
            Self::Cancelled => "cancelled".into(),
            Self::RateLimited => "rate_limited".into(),
            Self::ProtocolError(_) => "protocol_error".into(),
        }
    }

    /// The span's `arcade.outcome` (docs/tracing.md): the classes of an MCP answer.
    pub fn span_label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ToolError | Self::InvalidArguments | Self::UpstreamError(_) => "tool_error",
            Self::AuthorizationRequired => "authorization_required",
            Self::InputRequired => "input_required",
            Self::Cancelled | Self::RateLimited | Self::ProtocolError(_) => "protocol_error",
        }
    }

    /// The `outcome` label of the tool-call counter, for a call answered with a
    /// result (`None` for any other answer).
    pub fn metric_label(self) -> Option<&'static str> {
        match self {
            Self::Ok => Some("ok"),
            Self::ToolError | Self::InvalidArguments | Self::UpstreamError(_) => Some("tool_error"),
            Self::AuthorizationRequired => Some("authorization_required"),
            Self::InputRequired | Self::Cancelled | Self::RateLimited | Self::ProtocolError(_) => {
                None
            }
        }
    }

    /// The span's `error.type`, for an answer that is an error: `tool_error`, or the
    /// JSON-RPC error code (a cancelled call is answered with an internal error).
    pub fn error_type(self) -> Option<String> {
        match self {
            Self::ToolError | Self::InvalidArguments | Self::UpstreamError(_) => {
                Some("tool_error".to_owned())
            }
            Self::ProtocolError(code) => Some(code.to_string()),
            Self::Cancelled => Some(rmcp::model::ErrorCode::INTERNAL_ERROR.0.to_string()),
            Self::RateLimited => Some("rate_limited".to_owned()),
            Self::Ok | Self::AuthorizationRequired | Self::InputRequired => None,
        }
    }
}

/// A call's MCP answer and how the call ended, made together. The answer is boxed:
/// an `Answer` travels up through every step of the call path.
#[derive(Debug)]
pub struct Answer {
    /// What the client receives.
    pub response: Box<CallToolResponse>,
    /// How the call ended.
    pub outcome: CallOutcome,
}

impl Answer {
    /// `result`, ended as `outcome`.
    pub fn new(result: CallToolResult, outcome: CallOutcome) -> Self {
        Self {
            response: Box::new(result.into()),
            outcome,
        }
    }

    /// An answer of the gateway's own, a success or a tool error as `result` says.
    pub fn own(result: CallToolResult) -> Self {
        let outcome = if result.is_error == Some(true) {
            CallOutcome::ToolError
        } else {
            CallOutcome::Ok
        };
        Self::new(result, outcome)
    }

    /// The tool result, when the answer is one (not an input-required result).
    pub fn result(&self) -> Option<&CallToolResult> {
        match self.response.as_ref() {
            CallToolResponse::Complete(result) => Some(result),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_view_keeps_its_vocabulary() {
        let all = [
            CallOutcome::Ok,
            CallOutcome::ToolError,
            CallOutcome::InvalidArguments,
            CallOutcome::AuthorizationRequired,
            CallOutcome::InputRequired,
            CallOutcome::UpstreamError("timeout"),
            CallOutcome::Cancelled,
            CallOutcome::RateLimited,
            CallOutcome::ProtocolError(-32602),
        ];
        let audit: Vec<String> = all.iter().map(|o| o.audit_label().into_owned()).collect();
        assert_eq!(
            audit,
            [
                "ok",
                "tool_error",
                "invalid_arguments",
                "authorization_required",
                "input_required",
                "upstream_error:timeout",
                "cancelled",
                "rate_limited",
                "protocol_error"
            ]
        );
        let spans = [
            "ok",
            "tool_error",
            "authorization_required",
            "input_required",
            "protocol_error",
        ];
        assert!(all.iter().all(|o| spans.contains(&o.span_label())));
        let metrics = ["ok", "tool_error", "authorization_required"];
        assert!(
            all.iter()
                .filter_map(|o| o.metric_label())
                .all(|m| metrics.contains(&m))
        );
        assert_eq!(
            CallOutcome::ProtocolError(-32602).error_type().as_deref(),
            Some("-32602")
        );
        assert_eq!(CallOutcome::Ok.error_type(), None);
    }
}
