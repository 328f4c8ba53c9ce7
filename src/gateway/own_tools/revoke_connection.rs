//! `revoke_connection {provider_id}`: takes back the calling user's grant to one
//! provider. It acts only for the calling user (from the transport), whatever the
//! arguments say, and revokes only connections the engine lists as that user's.

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool};
use schemars::JsonSchema;
use serde_json::json;

use super::OwnTool;
use super::list_connections::users_connections;
use crate::arcade::ArcadeClient;
use crate::arcade::types::UserConnection;
use crate::identity::UserId;
use crate::outcome::{Answer, CallOutcome};
use crate::results;

/// The longest provider id accepted: real ones are a word or two.
const MAX_PROVIDER_ID_LEN: usize = 100;

const DESCRIPTION: &str = "Revoke the user's grant to one provider (from \
list_connections): tools needing it will ask the user for access again. This cannot be undone \
by you: confirm with the person before calling it.";

/// The arguments of `revoke_connection`.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RevokeArguments {
    /// The provider, as list_connections names it.
    provider_id: String,
}

/// What `tools/list` shows of `revoke_connection`.
pub(super) fn definition() -> Tool {
    super::definition_of::<RevokeArguments>(
        OwnTool::RevokeConnection,
        DESCRIPTION,
        super::revoking(),
    )
}

/// `revoke_connection {provider_id}`: deletes the user's grants to that provider.
pub(in crate::gateway) async fn run(
    arcade: &ArcadeClient,
    user: &UserId,
    arguments: JsonObject,
) -> Answer {
    let provider = match super::arguments::<RevokeArguments>(OwnTool::RevokeConnection, arguments)
        .and_then(|args| checked_provider_id(args.provider_id))
    {
        Ok(provider) => provider,
        Err(result) => return Answer::new(result, CallOutcome::InvalidArguments),
    };
    let connections = match users_connections(arcade, user, Some(&provider)).await {
        Ok(connections) => connections,
        Err(answer) => return answer,
    };
    if connections.is_empty() {
        return Answer::own(super::tool_error(format!(
            "The user has no connection to `{provider}`; nothing was revoked. Call \
             list_connections to see the providers they have granted."
        )));
    }
    let ids: Vec<&str> = connections.iter().filter_map(connection_id).collect();
    if ids.is_empty() {
        return Answer::own(super::tool_error(format!(
            "The engine lists the user's connection to `{provider}` without an id, so it \
             cannot be revoked from here; nothing was revoked. Revoke it in the Arcade dashboard."
        )));
    }
    for id in ids {
        if let Err(error) = arcade.delete_user_connection(id).await {
            return results::upstream_error(OwnTool::RevokeConnection.name(), &error);
        }
    }
    tracing::info!(user = %user, provider, "connection revoked");
    let mut result = CallToolResult::success(vec![ContentBlock::text(format!(
        "Revoked the user's access grant to {provider}. Tools that need it will ask them to \
         grant access again."
    ))]);
    result.structured_content = Some(json!({"revoked": provider}));
    Answer::own(result)
}

/// A provider id of plain characters, or a tool error saying what one looks like.
fn checked_provider_id(raw: String) -> Result<String, CallToolResult> {
    let id = raw.trim();
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if id.is_empty() || id.len() > MAX_PROVIDER_ID_LEN || !id.chars().all(plain) {
        return Err(super::tool_error(
            "Invalid arguments for `revoke_connection`; nothing was sent. `provider_id` must be \
             a provider id as list_connections shows it (letters, digits, `-`, `_`, `.`), e.g. \
             google. Fix the arguments and call again."
                .to_owned(),
        ));
    }
    Ok(id.to_owned())
}

/// The id `DELETE /v1/admin/user_connections/{id}` takes.
fn connection_id(connection: &UserConnection) -> Option<&str> {
    (connection.id.as_deref())
        .or(connection.connection_id.as_deref())
        .filter(|id| !id.is_empty())
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

    #[test]
    fn a_connection_without_an_id_has_none_to_revoke() {
        assert_eq!(connection_id(&UserConnection::default()), None);
    }
}
