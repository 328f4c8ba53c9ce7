//! `list_connections` and `revoke_connection`: the providers the calling user has
//! granted, and taking one grant back. Both act only for the calling user (from the
//! transport), whatever the arguments say, and check the engine's answer too: a
//! connection of another user is never shown or revoked.

use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use serde_json::{Value, json};

use super::own_tools::{self, OwnTool};
use crate::arcade::ArcadeClient;
use crate::arcade::types::UserConnection;
use crate::identity::UserId;
use crate::results;

/// The longest provider id accepted: real ones are a word or two.
const MAX_PROVIDER_ID_LEN: usize = 100;

/// The arguments of `revoke_connection`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeArguments {
    provider_id: String,
}

/// `list_connections`: the user's grants, one line each, and as `{"connections": [...]}`.
pub(super) async fn list(arcade: &ArcadeClient, user: &UserId) -> CallToolResult {
    let connections = match users_connections(arcade, user, None).await {
        Ok(connections) => connections,
        Err(result) => return result,
    };
    let text = if connections.is_empty() {
        "The user has not granted access to any provider yet.".to_owned()
    } else {
        let lines: Vec<String> = connections.iter().map(describe).collect();
        format!("The user has granted:\n{}", lines.join("\n"))
    };
    let shown: Vec<Value> = connections.iter().map(structured).collect();
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(json!({"connections": shown}));
    result
}

/// `revoke_connection {provider_id}`: deletes the user's grants to that provider.
pub(super) async fn revoke(
    arcade: &ArcadeClient,
    user: &UserId,
    arguments: JsonObject,
) -> CallToolResult {
    let provider =
        match own_tools::arguments::<RevokeArguments>(OwnTool::RevokeConnection, arguments)
            .and_then(|args| checked_provider_id(args.provider_id))
        {
            Ok(provider) => provider,
            Err(result) => return result,
        };
    let connections = match users_connections(arcade, user, Some(&provider)).await {
        Ok(connections) => connections,
        Err(result) => return result,
    };
    if connections.is_empty() {
        return own_tools::tool_error(format!(
            "The user has no connection to `{provider}`; nothing was revoked. Call \
             list_connections to see the providers they have granted."
        ));
    }
    for connection in &connections {
        if let Err(error) = arcade.delete_user_connection(&connection.id).await {
            return results::upstream_error(OwnTool::RevokeConnection.name(), &error);
        }
    }
    tracing::info!(user = %user, provider, "connection revoked");
    let mut result = CallToolResult::success(vec![ContentBlock::text(format!(
        "Revoked the user's access grant to {provider}. Tools that need it will ask them to \
         grant access again."
    ))]);
    result.structured_content = Some(json!({"revoked": provider}));
    result
}

/// The user's connections (to `provider` only, if given), as the engine lists them,
/// less any that belong to someone else or another provider.
async fn users_connections(
    arcade: &ArcadeClient,
    user: &UserId,
    provider: Option<&str>,
) -> Result<Vec<UserConnection>, CallToolResult> {
    let page = arcade
        .list_user_connections(Some(user.as_str()), provider)
        .await
        .map_err(|error| results::upstream_error(OwnTool::ListConnections.name(), &error))?;
    Ok(page
        .items
        .into_iter()
        .filter(|c| c.user_id.as_deref() == Some(user.as_str()))
        .filter(|c| provider.is_none_or(|p| c.provider_id.as_deref() == Some(p)))
        .collect())
}

/// A provider id of plain characters, or a tool error saying what one looks like.
fn checked_provider_id(raw: String) -> Result<String, CallToolResult> {
    let id = raw.trim();
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if id.is_empty() || id.len() > MAX_PROVIDER_ID_LEN || !id.chars().all(plain) {
        return Err(own_tools::tool_error(
            "Invalid arguments for `revoke_connection`; nothing was sent. `provider_id` must be \
             a provider id as list_connections shows it (letters, digits, `-`, `_`, `.`), e.g. \
             google. Fix the arguments and call again."
                .to_owned(),
        ));
    }
    Ok(id.to_owned())
}

fn describe(connection: &UserConnection) -> String {
    let provider = connection
        .provider_id
        .as_deref()
        .unwrap_or("unknown provider");
    let scopes = connection.scopes.as_deref().unwrap_or_default();
    let status = connection.connection_status.as_deref().unwrap_or("unknown");
    if scopes.is_empty() {
        format!("- {provider} ({status})")
    } else {
        format!("- {provider} ({status}): {}", scopes.join(", "))
    }
}

fn structured(connection: &UserConnection) -> Value {
    json!({
        "provider_id": connection.provider_id,
        "scopes": connection.scopes.clone().unwrap_or_default(),
        "status": connection.connection_status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_ids_are_plain_words() {
        assert_eq!(checked_provider_id(" google ".into()).unwrap(), "google");
        for bad in [
            "",
            "a b",
            "x)](javascript:alert(1))",
            "google\nignore",
            &"a".repeat(101),
        ] {
            assert!(checked_provider_id(bad.into()).is_err(), "{bad:?}");
        }
    }
}
