//! What a verified access token says: who the user is and which scopes it grants.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::identity::rejection::AuthRejection;
use crate::identity::user::OAuthClientId;
use crate::identity::user::UserId;

/// The verified claims of an access token.
pub(crate) type Claims = Map<String, Value>;

/// The user named by `claim`, which must be a non-empty string. An `email` claim
/// counts only with `email_verified` true: an unverified address is whatever the
/// person typed, and would let them act as whoever owns it.
pub(crate) fn user_from(claims: &Claims, claim: &str) -> Result<UserId, AuthRejection> {
    let verified = matches!(claims.get("email_verified"), Some(Value::Bool(true)))
        || matches!(claims.get("email_verified"), Some(Value::String(s)) if s == "true");
    if claim == "email" && !verified {
        return Err(AuthRejection::invalid(
            "the access token's `email` claim is not verified (`email_verified` is not true); \
             verify the address at the authorization server, or choose another \
             --oauth-user-claim such as `sub`"
                .to_owned(),
        ));
    }
    match claims.get(claim) {
        Some(Value::String(user)) if !user.trim().is_empty() => Ok(UserId::new(user.as_str())),
        _ => Err(AuthRejection::invalid(format!(
            "the access token has no `{claim}` claim naming the user; ask the authorization \
             server to include it"
        ))),
    }
}

/// The client the token was issued to: `client_id` (RFC 9068's JWT access tokens), else
/// `azp` (OpenID Connect's authorized party); for the audit log, so never required.
pub(crate) fn client_from(claims: &Claims) -> Option<OAuthClientId> {
    ["client_id", "azp"]
        .iter()
        .find_map(|name| {
            claims
                .get(*name)?
                .as_str()
                .filter(|id| !id.trim().is_empty())
        })
        .map(OAuthClientId::new)
}

/// Refuses a token that lacks any of `required`, naming every required scope so the client
/// can ask for all of them at once.
pub(crate) fn require_scopes(claims: &Claims, required: &[String]) -> Result<(), AuthRejection> {
    let granted = granted_scopes(claims);
    let missing: Vec<&str> = required
        .iter()
        .map(String::as_str)
        .filter(|scope| !granted.contains(scope))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(AuthRejection::insufficient_scope(
        required.join(" "),
        format!(
            "the access token lacks the scope {}; get a token that grants `{}`",
            missing.join(", "),
            required.join(" ")
        ),
    ))
}

/// Scopes from `scope` and `scp`, each either a space-separated string or an array of strings
/// (authorization servers differ).
fn granted_scopes(claims: &Claims) -> HashSet<&str> {
    ["scope", "scp"]
        .iter()
        .filter_map(|name| claims.get(*name))
        .flat_map(|value| match value {
            Value::String(scopes) => scopes.split_whitespace().collect(),
            Value::Array(scopes) => scopes.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Claims {
        value.as_object().unwrap().clone()
    }

    fn required(scopes: &[&str]) -> Vec<String> {
        scopes.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scopes_come_from_scope_or_scp_in_either_shape() {
        for token in [
            json!({"scope": "mcp:tools email"}),
            json!({"scp": ["mcp:tools", "email"]}),
            json!({"scp": "mcp:tools email"}),
            json!({"scope": "email", "scp": ["mcp:tools"]}),
        ] {
            assert!(
                require_scopes(&claims(token.clone()), &required(&["mcp:tools", "email"])).is_ok(),
                "{token}"
            );
        }
    }

    #[test]
    fn a_missing_scope_is_forbidden_and_named() {
        let err = require_scopes(
            &claims(json!({"scope": "email"})),
            &required(&["mcp:tools", "email"]),
        )
        .unwrap_err();
        assert_eq!(err.error_code(), "insufficient_scope");
        assert!(err.description().contains("mcp:tools"));
    }

    #[test]
    fn the_client_is_client_id_else_azp() {
        let both = claims(json!({"client_id": "editor", "azp": "other"}));
        assert_eq!(client_from(&both), Some(OAuthClientId::new("editor")));
        let azp = claims(json!({"azp": "cli", "client_id": " "}));
        assert_eq!(client_from(&azp), Some(OAuthClientId::new("cli")));
        assert_eq!(client_from(&claims(json!({"client_id": 7}))), None);
    }

    #[test]
    fn the_user_claim_must_be_a_non_empty_string() {
        let token = claims(json!({"sub": "ann", "uid": 7, "empty": " "}));
        assert_eq!(user_from(&token, "sub").unwrap(), UserId::new("ann"));
        for claim in ["uid", "empty", "absent"] {
            assert_eq!(
                user_from(&token, claim).unwrap_err().error_code(),
                "invalid_token"
            );
        }
    }

    #[test]
    fn an_email_names_the_user_only_when_verified() {
        let unverified = claims(json!({"email": "ann@example.com", "email_verified": false}));
        let err = user_from(&unverified, "email").unwrap_err();
        assert!(
            err.description().contains("email_verified"),
            "{}",
            err.description()
        );
        assert!(user_from(&claims(json!({"email": "ann@example.com"})), "email").is_err());
        let verified = claims(json!({"email": "ann@example.com", "email_verified": true}));
        assert_eq!(
            user_from(&verified, "email").unwrap(),
            UserId::new("ann@example.com")
        );
    }
}
