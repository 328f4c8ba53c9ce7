//! One Arcade [`ToolDefinition`] as one MCP [`Tool`]: name, human title, description,
//! input and output schemas, behaviour annotations, and `_meta` saying which Arcade
//! tool it is and which grant it needs, so a client can show that before a call.

use std::sync::Arc;

use rmcp::model::{JsonObject, MetaObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use super::entry::UnmetRequirement;
use super::schema;
use crate::arcade::types::{AuthRequirement, ToolBehavior, ToolDefinition};

/// `_meta` key naming the Arcade tool behind an MCP tool.
pub const META_TOOL: &str = "dev.arcade/tool";

/// `_meta` key naming the grant a tool needs; present only when it needs one.
pub const META_AUTHORIZATION: &str = "dev.arcade/authorization";

/// `_meta` key listing what stands in the way of running the tool that only a project
/// admin can fix (a secret not set, an inactive provider); present only then.
pub const META_UNMET: &str = "dev.arcade/unmet_requirements";

/// The MCP tool that serves `def` under `mcp_name` (from [`super::assign_names`]).
pub fn to_mcp_tool(def: &ToolDefinition, mcp_name: &str) -> Tool {
    let title = title(def);
    let mut tool = Tool::new_with_raw(
        mcp_name.to_owned(),
        Some(description(def, &title).into()),
        Arc::new(schema::input_schema(&def.input.parameters)),
    )
    .with_annotations(annotations(&title, def.behavior()))
    .with_meta(meta(def));
    if let Some(output) = schema::output_schema(def.output.as_ref()) {
        tool = tool.with_raw_output_schema(Arc::new(output));
    }
    tool.with_title(title)
}

/// "Gmail: List Emails" from toolkit `Gmail` and name `ListEmails`.
pub fn title(def: &ToolDefinition) -> String {
    format!("{}: {}", humanize(&def.toolkit.name), humanize(&def.name))
}

/// The tool's description, or a plain sentence naming the Arcade tool where Arcade
/// gives none (a model needs some text to choose a tool by). A tool that cannot run
/// until a project admin acts says so at the end.
fn description(def: &ToolDefinition, title: &str) -> String {
    let mut text = match def.description.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => text.to_owned(),
        _ => format!("{title} (the Arcade tool {}).", def.qualified_name),
    };
    let unmet = UnmetRequirement::of(def);
    if !unmet.is_empty() {
        let what: Vec<String> = unmet.iter().map(UnmetRequirement::describe).collect();
        text.push_str(&format!(
            "\n\nUnavailable until a project admin fixes it in Arcade: {}.",
            what.join("; ")
        ));
    }
    text
}

/// Splits CamelCase and snake_case into words: `GetURLContent` → `Get URL Content`,
/// `list_emails` → `list emails`, `GetV2Data` → `Get V2 Data`.
fn humanize(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut words = String::with_capacity(name.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            words.push(' ');
            continue;
        }
        if i > 0 && c.is_uppercase() && starts_word(chars[i - 1], chars.get(i + 1).copied()) {
            words.push(' ');
        }
        words.push(c);
    }
    words.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether an uppercase letter after `prev` (and before `next`) starts a new word:
/// after a lowercase letter or digit, or as the last capital of an acronym.
fn starts_word(prev: char, next: Option<char>) -> bool {
    prev.is_lowercase()
        || prev.is_ascii_digit()
        || (prev.is_uppercase() && next.is_some_and(char::is_lowercase))
}

/// MCP behaviour hints from Arcade's `metadata.behavior`; hints Arcade does not give
/// stay unset, so clients apply MCP's cautious defaults.
fn annotations(title: &str, behavior: Option<&ToolBehavior>) -> ToolAnnotations {
    let hints = behavior.cloned().unwrap_or_default();
    ToolAnnotations::from_raw(
        Some(title.to_owned()),
        hints.read_only,
        hints.destructive,
        hints.idempotent,
        hints.open_world,
    )
}

/// `_meta`: which Arcade tool this is, and the grant it needs if any.
fn meta(def: &ToolDefinition) -> MetaObject {
    let mut object = JsonObject::new();
    object.insert(META_TOOL.into(), tool_meta(def));
    if let Some(auth) = def.auth_requirement() {
        object.insert(META_AUTHORIZATION.into(), authorization_meta(auth));
    }
    let unmet = UnmetRequirement::of(def);
    if !unmet.is_empty() {
        let unmet: Vec<String> = unmet.iter().map(UnmetRequirement::describe).collect();
        object.insert(META_UNMET.into(), json!(unmet));
    }
    MetaObject(object)
}

fn tool_meta(def: &ToolDefinition) -> Value {
    json!({
        "qualified_name": def.qualified_name,
        "fully_qualified_name": def.fully_qualified_name,
        "toolkit": def.toolkit.name,
        "version": def.toolkit.version,
    })
}

/// The `_meta["dev.arcade/authorization"]` value of a grant, shared with the direct
/// tools so both kinds of tool describe their grant alike.
pub fn authorization_meta(auth: &AuthRequirement) -> Value {
    json!({
        "provider_id": auth.provider_id,
        "provider_type": auth.provider_type,
        "scopes": auth.scopes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arcade::types::ToolMetadata;

    fn gmail_list_emails() -> ToolDefinition {
        serde_json::from_value(json!({
            "fully_qualified_name": "Gmail.ListEmails@4.1.0",
            "qualified_name": "Gmail.ListEmails",
            "name": "ListEmails",
            "description": "Lists emails.",
            "toolkit": {"name": "Gmail", "version": "4.1.0"},
            "input": {"parameters": [{"name": "n_emails", "required": false,
                "value_schema": {"val_type": "integer"}}]},
            "output": {"value_schema": {"val_type": "json"}},
            "requirements": {"authorization": {"provider_id": "google",
                "provider_type": "oauth2", "oauth2": {"scopes": ["gmail.readonly"]}}},
            "metadata": {"behavior": {"read_only": true, "destructive": false,
                "idempotent": true, "open_world": true}}
        }))
        .unwrap()
    }

    #[test]
    fn converts_name_title_description_and_schemas() {
        let tool = to_mcp_tool(&gmail_list_emails(), "Gmail_ListEmails");
        assert_eq!(tool.name, "Gmail_ListEmails");
        assert_eq!(tool.title.as_deref(), Some("Gmail: List Emails"));
        assert_eq!(tool.description.as_deref(), Some("Lists emails."));
        assert_eq!(
            tool.input_schema["properties"]["n_emails"],
            json!({"type": "integer"})
        );
        assert_eq!(
            tool.output_schema.as_deref().map(|s| s["type"].clone()),
            Some(json!("object"))
        );
    }

    #[test]
    fn annotations_follow_behavior() {
        let tool = to_mcp_tool(&gmail_list_emails(), "x");
        let annotations = serde_json::to_value(tool.annotations).unwrap();
        assert_eq!(
            annotations,
            json!({"title": "Gmail: List Emails", "readOnlyHint": true,
                "destructiveHint": false, "idempotentHint": true, "openWorldHint": true})
        );
    }

    #[test]
    fn missing_behavior_leaves_hints_unset() {
        let mut def = gmail_list_emails();
        def.metadata = Some(ToolMetadata::default());
        let annotations = serde_json::to_value(to_mcp_tool(&def, "x").annotations).unwrap();
        assert_eq!(annotations, json!({"title": "Gmail: List Emails"}));
    }

    #[test]
    fn meta_names_the_tool_and_its_grant() {
        let meta = to_mcp_tool(&gmail_list_emails(), "x").meta.unwrap();
        assert_eq!(
            meta.0[META_TOOL],
            json!({"qualified_name": "Gmail.ListEmails",
                "fully_qualified_name": "Gmail.ListEmails@4.1.0",
                "toolkit": "Gmail", "version": "4.1.0"})
        );
        assert_eq!(
            meta.0[META_AUTHORIZATION],
            json!({"provider_id": "google", "provider_type": "oauth2",
                "scopes": ["gmail.readonly"]})
        );
    }

    #[test]
    fn requirements_only_an_admin_can_meet_are_flagged() {
        let mut def = gmail_list_emails();
        let auth = def.requirements.as_mut().unwrap();
        auth.authorization.as_mut().unwrap().status = Some("inactive".into());
        auth.secrets = Some(vec![
            serde_json::from_value(json!({"key": "GMAIL_RELAY", "met": false})).unwrap(),
        ]);
        let tool = to_mcp_tool(&def, "x");
        assert_eq!(
            tool.meta.unwrap().0[META_UNMET],
            json!([
                "the secret `GMAIL_RELAY` is not set",
                "the auth provider `google` is not active"
            ])
        );
        let description = tool.description.unwrap();
        assert!(description.starts_with("Lists emails."), "{description}");
        assert!(description.contains("project admin"), "{description}");
        let met = to_mcp_tool(&gmail_list_emails(), "x");
        assert!(!met.meta.unwrap().0.contains_key(META_UNMET));
    }

    #[test]
    fn tools_without_a_grant_have_no_authorization_meta() {
        let mut def = gmail_list_emails();
        def.requirements = None;
        let meta = to_mcp_tool(&def, "x").meta.unwrap();
        assert!(!meta.0.contains_key(META_AUTHORIZATION));
    }

    #[test]
    fn missing_description_falls_back_to_a_sentence() {
        let mut def = gmail_list_emails();
        def.description = Some("  ".into());
        let tool = to_mcp_tool(&def, "x");
        assert_eq!(
            tool.description.as_deref(),
            Some("Gmail: List Emails (the Arcade tool Gmail.ListEmails).")
        );
    }

    #[test]
    fn humanize_splits_words() {
        assert_eq!(humanize("ListEmails"), "List Emails");
        assert_eq!(humanize("GetURLContent"), "Get URL Content");
        assert_eq!(humanize("GetV2Data"), "Get V2 Data");
        assert_eq!(humanize("list_emails"), "list emails");
        assert_eq!(humanize("HTTP"), "HTTP");
        assert_eq!(humanize("X"), "X");
    }
}
