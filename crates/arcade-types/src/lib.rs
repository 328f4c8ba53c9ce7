//! Wire types of the Arcade Engine HTTP API (see `docs/arcade-api.md`).
//!
//! Both sides of the wire use these: the gateway's Arcade client reads them and the
//! `arcade-emulator` crate writes them, so the emulator cannot drift from what the
//! gateway understands. Every optional field is `Option` or defaulted, an array or
//! object that arrives as `null` reads as empty (the engine is a Go service: a nil
//! slice encodes as `null`), and unknown fields are ignored (serde's default), because
//! the real service varies.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Reads `null` as the type's default (an empty list, an empty object): `#[serde(default)]`
/// covers only a missing key.
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// How Arcade types a parameter or an output value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueSchema {
    /// `string`, `integer`, `number`, `boolean`, `json` or `array`.
    pub val_type: ValType,
    /// The element type of an `array` (a primitive or `json`).
    #[serde(default)]
    pub inner_val_type: Option<ValType>,
    /// The allowed values of a string (or of an array's string elements).
    #[serde(default)]
    pub r#enum: Option<Vec<String>>,
}

/// The value types Arcade knows; anything newer is kept as [`ValType::Other`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValType {
    /// A UTF-8 string.
    #[default]
    String,
    /// A whole number.
    Integer,
    /// Any JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Json,
    /// A list; see [`ValueSchema::inner_val_type`].
    Array,
    /// A type this gateway does not know yet: accepted as any JSON value.
    #[serde(other)]
    Other,
}

/// One input parameter of a tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolParameter {
    /// The argument's name.
    pub name: String,
    /// Whether the caller must supply it.
    #[serde(default)]
    pub required: bool,
    /// What it means, for the model.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether a model may infer it from context.
    #[serde(default)]
    pub inferrable: Option<bool>,
    /// Its type.
    #[serde(default)]
    pub value_schema: ValueSchema,
}

/// The input side of a tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolInput {
    /// The parameters, in declaration order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub parameters: Vec<ToolParameter>,
}

/// The output side of a tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolOutput {
    /// `value`, `error`, `requires_authorization`, …
    #[serde(default)]
    pub available_modes: Option<Vec<String>>,
    /// What the value means.
    #[serde(default)]
    pub description: Option<String>,
    /// The value's type.
    #[serde(default)]
    pub value_schema: Option<ValueSchema>,
}

/// Which toolkit a tool belongs to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolkitInfo {
    /// The toolkit's name, e.g. `Gmail`.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Its version, e.g. `4.1.0`.
    #[serde(default)]
    pub version: Option<String>,
}

/// OAuth 2 details of an authorization requirement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2Requirement {
    /// The scopes the tool needs.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// The grant a tool needs from the user (`requirements.authorization`), also the
/// `auth_requirement` of `POST /v1/auth/authorize`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthRequirement {
    /// The provider, e.g. `google`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// `oauth2`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_type: Option<String>,
    /// The id of a configured auth provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2Requirement>,
    /// When listed with a user id: where that user's grant stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_status: Option<AuthStatus>,
    /// The provider's status on the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why the provider has that status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
}

impl AuthRequirement {
    /// The scopes asked for, empty where none are named.
    pub fn scopes(&self) -> &[String] {
        self.oauth2
            .as_ref()
            .and_then(|o| o.scopes.as_deref())
            .unwrap_or_default()
    }
}

/// A secret a tool needs from the engine's configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretRequirement {
    /// The secret's key.
    pub key: String,
    /// Whether it is configured.
    #[serde(default)]
    pub met: Option<bool>,
    /// Why it is not met, when the engine says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
}

/// What a tool needs before it can run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolRequirements {
    /// A user grant from a provider.
    #[serde(default)]
    pub authorization: Option<AuthRequirement>,
    /// Engine-side secrets.
    #[serde(default)]
    pub secrets: Option<Vec<SecretRequirement>>,
    /// Whether all requirements are met.
    #[serde(default)]
    pub met: Option<bool>,
}

/// Behaviour hints of newer engines (`metadata.behavior`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolBehavior {
    /// `read`, `create`, `update`, `delete`, …
    #[serde(default)]
    pub operations: Option<Vec<String>>,
    /// The tool changes nothing.
    #[serde(default)]
    pub read_only: Option<bool>,
    /// The tool may destroy data.
    #[serde(default)]
    pub destructive: Option<bool>,
    /// Calling it twice with the same input has no further effect.
    #[serde(default)]
    pub idempotent: Option<bool>,
    /// It talks to the world outside.
    #[serde(default)]
    pub open_world: Option<bool>,
}

/// Metadata of newer engines; absent on older ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolMetadata {
    /// Free-form classification (service domains, …), kept as it came.
    #[serde(default)]
    pub classification: Option<Value>,
    /// Behaviour hints.
    #[serde(default)]
    pub behavior: Option<ToolBehavior>,
}

/// One Arcade tool, as `GET /v1/tools` lists it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolDefinition {
    /// `Gmail.ListEmails@4.1.0`.
    #[serde(default)]
    pub fully_qualified_name: Option<String>,
    /// `Gmail.ListEmails`: what execute and authorize take as `tool_name`.
    pub qualified_name: String,
    /// `ListEmails`.
    pub name: String,
    /// What the tool does.
    #[serde(default)]
    pub description: Option<String>,
    /// Its toolkit.
    pub toolkit: ToolkitInfo,
    /// Its parameters.
    #[serde(default, deserialize_with = "null_as_default")]
    pub input: ToolInput,
    /// Its output.
    #[serde(default)]
    pub output: Option<ToolOutput>,
    /// What it needs.
    #[serde(default)]
    pub requirements: Option<ToolRequirements>,
    /// Behaviour hints.
    #[serde(default)]
    pub metadata: Option<ToolMetadata>,
}

impl ToolDefinition {
    /// The user grant this tool needs, if any.
    pub fn auth_requirement(&self) -> Option<&AuthRequirement> {
        self.requirements.as_ref()?.authorization.as_ref()
    }

    /// The behaviour hints, if the engine sent them.
    pub fn behavior(&self) -> Option<&ToolBehavior> {
        self.metadata.as_ref()?.behavior.as_ref()
    }

    /// The toolkit version this definition belongs to: what `tool_version` pins on
    /// execute and authorize, so the tool that runs is the one whose schema was served.
    pub fn toolkit_version(&self) -> Option<&str> {
        self.toolkit.version.as_deref().filter(|v| !v.is_empty())
    }

    /// The keys of the secrets the engine says are not set: a project admin must set
    /// them in Arcade before the tool can run. No user grant helps.
    pub fn unmet_secrets(&self) -> Vec<String> {
        let secrets = self
            .requirements
            .as_ref()
            .and_then(|r| r.secrets.as_deref());
        secrets
            .unwrap_or_default()
            .iter()
            .filter(|s| s.met == Some(false))
            .map(|s| s.key.clone())
            .collect()
    }

    /// Whether running this tool twice is known to be harmless, so a failed
    /// execute may be sent again (the retry rule of `docs/arcade-api.md`).
    pub fn safe_to_retry(&self) -> bool {
        self.behavior()
            .is_some_and(|b| b.read_only == Some(true) || b.idempotent == Some(true))
    }
}

/// One page of a paged listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    #[serde(
        default = "Vec::new",
        deserialize_with = "null_as_default",
        bound(deserialize = "T: Deserialize<'de>")
    )]
    pub items: Vec<T>,
    /// The page size asked for.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Where this page starts.
    #[serde(default)]
    pub offset: Option<u32>,
    /// How many items this page holds.
    #[serde(default)]
    pub page_count: Option<u32>,
    /// How many items there are in all.
    #[serde(default)]
    pub total_count: Option<u32>,
}

/// Where a user's authorization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthStatus {
    /// Nothing asked yet.
    NotStarted,
    /// Waiting for the user to open the URL and approve.
    Pending,
    /// Granted.
    Completed,
    /// Denied or broken.
    Failed,
    /// A status this gateway does not know yet.
    #[serde(other)]
    Unknown,
}

/// What the engine may hand back with a completed grant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthContext {
    /// The provider's access token: never shown to a model, a log or another user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// What the provider said about the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_info: Option<Value>,
}

/// The answer of `tools/authorize`, `auth/authorize` and `auth/status`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationResponse {
    /// The authorization's id (`ac_…`), for `auth/status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where it stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AuthStatus>,
    /// The URL the user must open while `pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whose grant this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The provider asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// The scopes asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// The token and user info, once completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<AuthContext>,
}

impl AuthorizationResponse {
    /// Whether the grant is in place.
    pub fn is_completed(&self) -> bool {
        self.status == Some(AuthStatus::Completed)
    }
}

/// Hand-written so that the provider token never reaches a log through `{:?}`.
impl std::fmt::Debug for AuthorizationResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationResponse")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("url", &self.url)
            .field("user_id", &self.user_id)
            .field("provider_id", &self.provider_id)
            .field("scopes", &self.scopes)
            .field("context", &self.context.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Body of `POST /v1/tools/authorize`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolAuthorizeRequest {
    /// The tool's qualified name.
    pub tool_name: String,
    /// Whose grant (the official clients may leave it out: then empty).
    #[serde(default)]
    pub user_id: String,
    /// A pinned version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// Where to send the browser after the grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_uri: Option<String>,
}

/// Body of `POST /v1/auth/authorize`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthAuthorizeRequest {
    /// What grant is asked.
    pub auth_requirement: AuthRequirement,
    /// Whose grant.
    pub user_id: String,
    /// Where to send the browser after the grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_uri: Option<String>,
}

/// Body of `POST /v1/auth/confirm_user`: a custom user verifier says who the person
/// completing a flow is, and the engine completes the grant only if that is the user
/// the flow was started for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfirmUserRequest {
    /// The `flow_id` the engine put in the verifier's URL.
    pub flow_id: String,
    /// The person at the browser, as the verifier proved it.
    pub user_id: String,
}

/// Answer of `POST /v1/auth/confirm_user`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfirmUserResponse {
    /// The authorization the flow completed.
    pub auth_id: String,
    /// Where to send the browser next, if the flow was started with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_uri: Option<String>,
}

/// Body of `POST /v1/tools/execute`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecuteToolRequest {
    /// The tool's qualified name.
    pub tool_name: String,
    /// The arguments.
    #[serde(default)]
    pub input: serde_json::Map<String, Value>,
    /// Who is calling (the official clients may leave it out for tools that need no
    /// grant: then empty).
    #[serde(default)]
    pub user_id: String,
    /// A pinned version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// Run later instead of now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_at: Option<String>,
    /// Ask for a stack trace in errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_error_stacktrace: Option<bool>,
}

/// A tool's own error (`output.error`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputError {
    /// What went wrong, for the model.
    #[serde(default)]
    pub message: String,
    /// `TOOL_RUNTIME_BAD_INPUT_VALUE`, `TOOL_REQUIREMENTS_NOT_MET`, …
    #[serde(default)]
    pub kind: Option<String>,
    /// Whether the same call may succeed later.
    #[serde(default)]
    pub can_retry: Option<bool>,
    /// How long to wait before that.
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
    /// More guidance for the model.
    #[serde(default)]
    pub additional_prompt_content: Option<String>,
    /// For operators only: logged, never shown to the model.
    #[serde(default)]
    pub developer_message: Option<String>,
    /// The upstream HTTP status, if any.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// Anything else.
    #[serde(default)]
    pub extra: Option<Value>,
}

/// The kind Arcade gives an error that means "a requirement of the tool is not met":
/// the user's grant, or a secret only a project admin can set.
pub const REQUIREMENTS_NOT_MET: &str = "TOOL_REQUIREMENTS_NOT_MET";
/// The kind Arcade gives a call the project's policy hooks blocked.
pub const CONTEXT_DENIED: &str = "CONTEXT_DENIED";
/// The kind Arcade gives a call whose policy check could not be made.
pub const CONTEXT_CHECK_FAILED: &str = "CONTEXT_CHECK_FAILED";

/// One log line a tool wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolLog {
    /// `info`, `warning`, …
    #[serde(default)]
    pub level: Option<String>,
    /// The line.
    #[serde(default)]
    pub message: String,
    /// A finer category.
    #[serde(default)]
    pub subtype: Option<String>,
}

/// What a tool produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallOutput {
    /// The value, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The error, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<OutputError>,
    /// The tool's log lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<Vec<ToolLog>>,
    /// Set when the user must grant access first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<AuthorizationResponse>,
}

/// The answer of `POST /v1/tools/execute`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecuteToolResponse {
    /// The response's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The execution's id.
    #[serde(default)]
    pub execution_id: Option<String>,
    /// `immediate`, `scheduled`.
    #[serde(default)]
    pub execution_type: Option<String>,
    /// When it finished.
    #[serde(default)]
    pub finished_at: Option<String>,
    /// How long it took, in milliseconds.
    #[serde(default)]
    pub duration: Option<f64>,
    /// `success`, `failed`, …
    #[serde(default)]
    pub status: Option<String>,
    /// Whether the tool succeeded.
    #[serde(default)]
    pub success: Option<bool>,
    /// What it produced.
    #[serde(default)]
    pub output: Option<ToolCallOutput>,
}

/// The error body of every 4xx/5xx answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// `permission_denied`, `not_found`, …
    #[serde(default)]
    pub name: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub message: Option<String>,
}

/// The answer of `GET /v1/health`: 200 when healthy, 503 with the reason when not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// Whether the engine is up.
    #[serde(default)]
    pub healthy: bool,
    /// Why it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A stored grant (`GET /v1/admin/user_connections`). Every field is optional on the
/// wire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserConnection {
    /// The connection's id, for `DELETE`.
    #[serde(default)]
    pub id: Option<String>,
    /// The provider connection's own id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// The provider.
    #[serde(default)]
    pub provider_id: Option<String>,
    /// `oauth2`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_type: Option<String>,
    /// What the provider is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_description: Option<String>,
    /// What the provider said about the account (`email`, `login`, …): shows which
    /// account the grant is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_user_info: Option<Value>,
    /// The user.
    #[serde(default)]
    pub user_id: Option<String>,
    /// `active`, …
    #[serde(default)]
    pub connection_status: Option<String>,
    /// The scopes granted.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// One toolkit file of `shared/fixtures/catalog`: `{"toolkit", "version", "items"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolkitFile {
    /// The toolkit's name.
    #[serde(default)]
    pub toolkit: Option<String>,
    /// Its version.
    #[serde(default)]
    pub version: Option<String>,
    /// Its tools.
    #[serde(default, deserialize_with = "null_as_default")]
    pub items: Vec<ToolDefinition>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_tool_definition_parses() {
        let tool: ToolDefinition = serde_json::from_value(serde_json::json!({
            "qualified_name": "Math.Add", "name": "Add",
            "toolkit": {"name": "Math"}, "input": {"parameters": []},
            "some_future_field": {"x": 1}
        }))
        .unwrap();
        assert_eq!(tool.qualified_name, "Math.Add");
        assert!(tool.auth_requirement().is_none());
        assert!(!tool.safe_to_retry());
    }

    #[test]
    fn null_arrays_read_as_empty() {
        let page: Page<ToolDefinition> = serde_json::from_value(serde_json::json!({
            "items": null, "total_count": 0
        }))
        .unwrap();
        assert!(page.items.is_empty());
        let tool: ToolDefinition = serde_json::from_value(serde_json::json!({
            "qualified_name": "Kit.Tool", "name": "Tool", "toolkit": {"name": "Kit"},
            "input": {"parameters": null},
            "requirements": {"authorization": null, "secrets": null},
            "output": {"available_modes": null, "value_schema": null}
        }))
        .unwrap();
        assert!(tool.input.parameters.is_empty());
        assert!(tool.unmet_secrets().is_empty());
        let no_input: ToolDefinition = serde_json::from_value(serde_json::json!({
            "qualified_name": "Kit.Tool", "name": "Tool", "toolkit": {"name": "Kit"},
            "input": null
        }))
        .unwrap();
        assert!(no_input.input.parameters.is_empty());
    }

    #[test]
    fn unmet_secrets_are_named() {
        let tool: ToolDefinition = serde_json::from_value(serde_json::json!({
            "qualified_name": "Kit.Tool", "name": "Tool",
            "toolkit": {"name": "Kit", "version": "2.0.1"}, "input": {},
            "requirements": {"secrets": [{"key": "SET", "met": true}, {"key": "MISSING", "met": false}]}
        }))
        .unwrap();
        assert_eq!(tool.unmet_secrets(), vec!["MISSING".to_owned()]);
        assert_eq!(tool.toolkit_version(), Some("2.0.1"));
    }

    #[test]
    fn a_connection_may_have_no_fields() {
        let connection: UserConnection = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(connection.id, None);
    }

    #[test]
    fn unknown_statuses_and_types_are_kept() {
        let auth: AuthorizationResponse =
            serde_json::from_value(serde_json::json!({"status": "expired"})).unwrap();
        assert_eq!(auth.status, Some(AuthStatus::Unknown));
        let vs: ValueSchema =
            serde_json::from_value(serde_json::json!({"val_type": "binary"})).unwrap();
        assert_eq!(vs.val_type, ValType::Other);
    }

    #[test]
    fn debug_never_shows_the_token() {
        let auth = AuthorizationResponse {
            context: Some(AuthContext {
                token: Some("tok-secret".into()),
                user_info: None,
            }),
            ..Default::default()
        };
        assert!(!format!("{auth:?}").contains("tok-secret"));
    }
}
