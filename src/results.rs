//! How Arcade's answers become MCP tool results: successes, the tool's own errors,
//! upstream faults, and the authorization link.
//!
//! Every result says in plain words what happened and what to do next, because both
//! a model and a person read it.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use crate::arcade::ArcadeError;
use crate::arcade::types::{
    AuthRequirement, AuthStatus, AuthorizationResponse, ExecuteToolResponse, OutputError,
};
use crate::catalog::{ArgumentError, CatalogEntry};

/// A tool's value: text (strings as they are, JSON compact) and `structuredContent`
/// shaped to match the tool's `outputSchema` (see [`CatalogEntry::structured_content`]).
pub fn success(entry: &CatalogEntry, value: Value) -> CallToolResult {
    let text = match &value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(Value::Object(entry.structured_content(value)));
    result
}

/// An execute answer: the value, or the tool's own error.
pub fn from_execution(entry: &CatalogEntry, response: ExecuteToolResponse) -> CallToolResult {
    let tool = entry.name();
    let output = response.output.unwrap_or_default();
    if let Some(error) = output.error {
        return tool_failed(tool, &error);
    }
    if response.success == Some(false) {
        return error_text(format!(
            "`{tool}` failed and Arcade gave no reason (status {}). Retrying may help.",
            response.status.as_deref().unwrap_or("unknown")
        ));
    }
    success(entry, output.value.unwrap_or(Value::Null))
}

/// The tool ran and reported an error: its message, the extra guidance for the
/// model, and whether to retry. The developer message goes to the log only.
fn tool_failed(tool: &str, error: &OutputError) -> CallToolResult {
    if let Some(developer_message) = &error.developer_message {
        tracing::warn!(tool, kind = ?error.kind, developer_message, "tool reported an error");
    }
    let mut text = format!("`{tool}` failed: {}", error.message);
    if let Some(extra) = &error.additional_prompt_content {
        text.push_str("\n\n");
        text.push_str(extra);
    }
    text.push_str("\n\n");
    text.push_str(&retry_advice(error));
    error_text(text)
}

fn retry_advice(error: &OutputError) -> String {
    match (error.can_retry, error.retry_after_ms) {
        (Some(true), Some(ms)) => format!(
            "This may succeed if retried after {} s.",
            (ms as f64 / 1000.0).max(0.001)
        ),
        (Some(true), None) => "This may succeed if retried.".to_owned(),
        _ => {
            "Retrying the same call will not help; change the arguments or ask the user.".to_owned()
        }
    }
}

/// Arguments that fail the tool's schema: nothing was sent upstream.
pub fn bad_arguments(tool: &str, error: &ArgumentError) -> CallToolResult {
    error_text(format!(
        "Invalid arguments for `{tool}`; nothing was sent. {error}. Fix the arguments and call again."
    ))
}

/// Arcade could not be asked, or failed: what happened and whether retrying may help.
pub fn upstream_error(tool: &str, error: &ArcadeError) -> CallToolResult {
    tracing::warn!(tool, %error, "Arcade request failed");
    let advice = if error.retry_may_help() {
        "Retrying later may help."
    } else {
        "Retrying the same call will not help."
    };
    error_text(format!("Could not run `{tool}`: {error}. {advice}"))
}

/// Arcade still asks for authorization although it says the grant is in place.
pub fn refused_despite_grant(tool: &str, reason: &str) -> CallToolResult {
    error_text(format!(
        "Arcade refused to run `{tool}` although the user's grant is in place: {reason}. \
         Retrying will not help; check the tool's permissions on the Arcade dashboard."
    ))
}

/// Why a result carries an authorization link instead of the tool's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkReason {
    /// The user has not granted access yet.
    NotGranted,
    /// The user was asked in the client and declined or dismissed the request.
    Declined,
    /// The user was asked but did not approve within the time allowed.
    TimedOut,
    /// Arcade reports that the previous grant attempt failed or expired; the link
    /// is a fresh one.
    GrantFailed,
}

impl LinkReason {
    /// The `structuredContent` `status` and the opening sentence of the text.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Self::NotGranted => ("not_granted", "Authorization required"),
            Self::Declined => (
                "declined",
                "The user declined to authorize, so the tool did not run",
            ),
            Self::TimedOut => (
                "timed_out",
                "The user did not approve in time, so the tool did not run",
            ),
            Self::GrantFailed => (
                "failed",
                "The authorization failed or expired on Arcade's side; here is a fresh link",
            ),
        }
    }
}

/// Which account a tool needs and which access it asks, as a person reads it.
#[derive(Debug, Clone)]
pub struct Access {
    /// Arcade's provider id, e.g. `google`.
    pub provider_id: String,
    /// The provider as a person names it, e.g. `Google`.
    pub provider: String,
    /// The scopes asked.
    pub scopes: Vec<String>,
}

impl Access {
    /// What `auth` asks for, completed from the grant the tool declares.
    pub fn of(requirement: Option<&AuthRequirement>, auth: &AuthorizationResponse) -> Self {
        let provider_id = auth
            .provider_id
            .clone()
            .or_else(|| requirement.and_then(|r| r.provider_id.clone()))
            .unwrap_or_else(|| "the provider".to_owned());
        let scopes = auth
            .scopes
            .clone()
            .or_else(|| requirement.map(|r| r.scopes().to_vec()))
            .unwrap_or_default();
        Self {
            provider: display_name(&provider_id),
            provider_id,
            scopes,
        }
    }

    /// ` (scopes: a, b)`, or nothing when no scope is named.
    fn scope_text(&self) -> String {
        if self.scopes.is_empty() {
            String::new()
        } else {
            format!(" (scopes: {})", self.scopes.join(", "))
        }
    }

    /// The message a client shows next to the link when it asks the person directly.
    pub fn prompt(&self, tool: &str) -> String {
        format!(
            "`{tool}` needs access to your {} account{}. Open the link to review and approve \
             this access; the tool runs as soon as you have.",
            self.provider,
            self.scope_text()
        )
    }
}

/// The user must grant access first: the link, for the model to show and the person
/// to open, plus the same facts as `structuredContent`.
///
/// It is marked `isError`: the tool did not run, and clients check the
/// `structuredContent` of non-error results against the tool's `outputSchema`.
///
/// `requirement` is the grant the tool declares, for what Arcade's answer leaves out;
/// catalog tools and direct tools share this answer.
pub fn authorization_required(
    tool: &str,
    auth: &AuthorizationResponse,
    requirement: Option<&AuthRequirement>,
) -> CallToolResult {
    authorization_link(tool, requirement, auth, LinkReason::NotGranted)
}

/// The authorization link with the reason the tool did not run: not granted yet,
/// declined, not approved in time, or a failed grant (then the link is fresh).
pub fn authorization_link(
    tool: &str,
    requirement: Option<&AuthRequirement>,
    auth: &AuthorizationResponse,
    reason: LinkReason,
) -> CallToolResult {
    let access = Access::of(requirement, auth);
    let provider_id = &access.provider_id;
    let Some(url) = auth
        .url
        .as_deref()
        .filter(|_| auth.status != Some(AuthStatus::Failed))
    else {
        return error_text(format!(
            "`{tool}` needs access to the user's {provider_id} account, but Arcade gave no \
             authorization link (status {:?}). Call the tool again to get a fresh link.",
            auth.status
        ));
    };
    let provider = &access.provider;
    let scope_text = access.scope_text();
    let (status, opening) = reason.words();
    let text = format!(
        "{opening}: `{tool}` needs access to the user's {provider} account{scope_text}, \
         which they have not granted yet.\n\n\
         Show the user this link and ask them to open it and approve access:\n{url}\n\n\
         [Authorize {provider} access]({url})\n\n\
         Once they have approved, call `{tool}` again with the same arguments."
    );
    let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
    result.structured_content = Some(json!({
        "authorization_required": true,
        "status": status,
        "authorization_url": url,
        "authorization_id": auth.id,
        "provider_id": provider_id,
        "scopes": access.scopes,
    }));
    result
}

/// Arcade reported an authorization of another user: nothing ran.
pub fn authorization_mixup(tool: &str) -> CallToolResult {
    error_text(format!(
        "`{tool}` did not run: Arcade answered with an authorization that belongs to another \
         user. Call the tool again to get your own link."
    ))
}

/// `google` → `Google`: a provider id as a person would name it.
fn display_name(provider_id: &str) -> String {
    match provider_id {
        "github" => "GitHub".to_owned(),
        "hubspot" => "HubSpot".to_owned(),
        "linkedin" => "LinkedIn".to_owned(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

fn error_text(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn text(result: &CallToolResult) -> String {
        result.content[0].as_text().unwrap().text.clone()
    }

    /// A one-tool catalog whose tool outputs `output`.
    fn catalog(output: Value) -> Catalog {
        let definition = serde_json::from_value(json!({
            "qualified_name": "Demo.Tool", "name": "Tool", "toolkit": {"name": "Demo"},
            "input": {"parameters": []}, "output": {"value_schema": output}
        }))
        .unwrap();
        Catalog::from_definitions(vec![definition])
    }

    fn first(catalog: &Catalog) -> &CatalogEntry {
        catalog.iter().next().unwrap()
    }

    #[test]
    fn objects_are_structured_as_they_are_and_others_wrapped() {
        let json_tool = catalog(json!({"val_type": "json"}));
        let object = success(first(&json_tool), json!({"a": 1}));
        assert_eq!(object.structured_content, Some(json!({"a": 1})));
        assert_eq!(text(&object), r#"{"a":1}"#);
        let string_tool = catalog(json!({"val_type": "string"}));
        let string = success(first(&string_tool), json!("hello"));
        assert_eq!(text(&string), "hello");
        assert_eq!(string.structured_content, Some(json!({"result": "hello"})));
    }

    #[test]
    fn tool_errors_keep_the_developer_message_out() {
        let response: ExecuteToolResponse = serde_json::from_value(json!({
            "success": false,
            "output": {"error": {"message": "division by zero", "kind": "TOOL_RUNTIME_BAD_INPUT_VALUE",
              "can_retry": false, "additional_prompt_content": "Use a non-zero divisor.",
              "developer_message": "ZeroDivisionError at line 3"}}
        }))
        .unwrap();
        let number_tool = catalog(json!({"val_type": "number"}));
        let result = from_execution(first(&number_tool), response);
        assert_eq!(result.is_error, Some(true));
        let text = text(&result);
        assert!(
            text.contains("division by zero") && text.contains("non-zero divisor"),
            "{text}"
        );
        assert!(!text.contains("ZeroDivisionError"), "{text}");
    }

    #[test]
    fn retry_advice_names_the_wait() {
        let error = OutputError {
            can_retry: Some(true),
            retry_after_ms: Some(1500),
            ..Default::default()
        };
        assert_eq!(
            retry_advice(&error),
            "This may succeed if retried after 1.5 s."
        );
    }

    #[test]
    fn provider_names_read_well() {
        assert_eq!(display_name("google"), "Google");
        assert_eq!(display_name("github"), "GitHub");
    }
}
