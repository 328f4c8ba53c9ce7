//! Adding an entry to a JSON config file, edited as a syntax tree so that everything
//! else in it stays byte for byte: other servers, other settings, their order, the
//! indentation and, in the JSONC files of VS Code and Gemini CLI, comments and trailing
//! commas.

use std::path::Path;

use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use jsonc_parser::{CollectOptions, ParseOptions};

use super::ConfigureError;
use super::entry::{Edit, Entry, Prompt};

/// Which JSON a client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// Strict JSON: a comment or a trailing comma breaks the client's file.
    Strict,
    /// JSON with comments and trailing commas (VS Code, Gemini CLI).
    Jsonc,
}

/// How a client's JSON file holds its servers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    /// The top-level key of the servers object.
    pub servers: &'static str,
    /// What the client parses.
    pub dialect: Dialect,
    /// Whether the entry says `"type": "stdio"`.
    pub typed: bool,
}

/// `text` (empty for a new file) with the entry added, or replaced with `force`.
pub(super) fn merge(
    text: &str,
    shape: Shape,
    edit: &Edit,
    path: &Path,
) -> Result<String, ConfigureError> {
    let invalid = |reason: String| ConfigureError::Invalid {
        path: path.to_owned(),
        format: match shape.dialect {
            Dialect::Strict => "JSON",
            Dialect::Jsonc => "JSON with comments",
        },
        reason,
    };
    let options = options(shape.dialect);
    // The syntax tree's parser keeps comments whatever the options say, so the plain
    // parser checks the dialect first.
    jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options)
        .map_err(|error| invalid(error.to_string()))?;
    let root = CstRootNode::parse(text, &options).map_err(|error| invalid(error.to_string()))?;
    let top = root
        .object_value_or_create()
        .ok_or_else(|| invalid("it does not hold a JSON object".into()))?;
    let servers = top
        .object_value_or_create(shape.servers)
        .ok_or_else(|| invalid(format!("`{}` is not an object", shape.servers)))?;
    let value = entry_value(edit.entry, shape.typed);
    match servers.get(edit.name) {
        Some(_) if !edit.force => return Err(edit.exists(path)),
        Some(old) => old.set_value(value),
        None => {
            servers.append(edit.name, value);
        }
    }
    for prompt in &edit.entry.prompts {
        add_prompt(&top, prompt).ok_or_else(|| invalid("`inputs` is not an array".into()))?;
    }
    Ok(root.to_string())
}

/// What the client accepts: strict JSON, or JSONC's comments and trailing commas too
/// (and none of JSON5's other liberties in either).
fn options(dialect: Dialect) -> ParseOptions {
    let jsonc = dialect == Dialect::Jsonc;
    ParseOptions {
        allow_comments: jsonc,
        allow_trailing_commas: jsonc,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

fn entry_value(entry: &Entry, typed: bool) -> CstInputValue {
    let mut fields: Vec<(String, CstInputValue)> = Vec::new();
    if typed {
        fields.push(("type".into(), "stdio".into()));
    }
    fields.push(("command".into(), entry.command.as_str().into()));
    let args = entry.args.iter().map(|a| a.as_str().into()).collect();
    fields.push(("args".into(), CstInputValue::Array(args)));
    if !entry.env.is_empty() {
        let env = entry
            .env
            .iter()
            .map(|(name, value)| (name.clone(), value.as_str().into()))
            .collect();
        fields.push(("env".into(), CstInputValue::Object(env)));
    }
    CstInputValue::Object(fields)
}

/// Adds VS Code's `inputs` item for `prompt` unless one with its id is there (which the
/// person may have reworded); `None` when `inputs` is not an array.
fn add_prompt(top: &CstObject, prompt: &Prompt) -> Option<()> {
    let inputs = top.array_value_or_create("inputs")?;
    let has_id = |node: &jsonc_parser::cst::CstNode| {
        let id = node.as_object()?.get("id")?.value()?.as_string_lit()?;
        Some(id.decoded_value().ok()? == prompt.id)
    };
    if !inputs.elements().iter().any(|e| has_id(e) == Some(true)) {
        inputs.append(CstInputValue::Object(vec![
            ("type".into(), "promptString".into()),
            ("id".into(), prompt.id.into()),
            ("description".into(), prompt.description.into()),
            ("password".into(), true.into()),
        ]));
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MCP_SERVERS: Shape = Shape {
        servers: "mcpServers",
        dialect: Dialect::Strict,
        typed: false,
    };
    const VSCODE: Shape = Shape {
        servers: "servers",
        dialect: Dialect::Jsonc,
        typed: true,
    };

    fn entry(prompts: Vec<Prompt>) -> Entry {
        Entry {
            command: "/bin/gw".into(),
            args: vec!["serve".into()],
            env: vec![("ARCADE_USER_ID".into(), "ann".into())],
            forward: vec![],
            prompts,
        }
    }

    fn merge_into(
        text: &str,
        shape: Shape,
        entry: &Entry,
        force: bool,
    ) -> Result<String, ConfigureError> {
        let edit = Edit {
            name: "arcade",
            entry,
            force,
        };
        merge(text, shape, &edit, Path::new("/x/mcp.json"))
    }

    #[test]
    fn a_new_file_holds_only_the_entry() {
        let text = merge_into("", MCP_SERVERS, &entry(vec![]), false).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"mcpServers": {"arcade": {
                "command": "/bin/gw", "args": ["serve"], "env": {"ARCADE_USER_ID": "ann"}
            }}})
        );
        assert!(text.ends_with('\n'), "{text:?}");
    }

    #[test]
    fn windows_paths_and_quotes_are_escaped() {
        let mut windows = entry(vec![]);
        windows.command = r#"C:\Program Files\Arcade "gw"\gw.exe"#.into();
        let text = merge_into("", MCP_SERVERS, &windows, false).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["mcpServers"]["arcade"]["command"], windows.command);
    }

    #[test]
    fn comments_order_and_other_servers_stay() {
        let old = "{\n  // mine\n  \"servers\": {\n    \"other\": {\"command\": \"x\"},\n  },\n  \"a\": 1,\n}\n";
        let prompt = Prompt {
            id: "k",
            description: "K",
        };
        let text = merge_into(old, VSCODE, &entry(vec![prompt]), false).unwrap();
        assert!(
            text.starts_with(
                "{\n  // mine\n  \"servers\": {\n    \"other\": {\"command\": \"x\"},\n"
            ),
            "{text}"
        );
        let other = text.find("\"other\"").unwrap();
        assert!(
            other < text.find("\"arcade\"").unwrap() && text.contains("\"a\": 1,"),
            "{text}"
        );
        assert_eq!(text.matches("promptString").count(), 1);
        let again = merge_into(&text, VSCODE, &entry(vec![prompt]), true).unwrap();
        assert_eq!(
            again.matches("promptString").count(),
            1,
            "one prompt, however often"
        );
    }

    #[test]
    fn strict_clients_refuse_comments_and_every_client_refuses_garbage() {
        let commented = "{ // no\n}";
        assert!(matches!(
            merge_into(commented, MCP_SERVERS, &entry(vec![]), false),
            Err(ConfigureError::Invalid { .. })
        ));
        assert!(merge_into(commented, VSCODE, &entry(vec![]), false).is_ok());
        for garbage in ["{not json", "[1]", "{\"servers\": 3}"] {
            let err = merge_into(garbage, VSCODE, &entry(vec![]), false).unwrap_err();
            assert!(err.to_string().contains("/x/mcp.json"), "{err}");
        }
    }

    #[test]
    fn an_existing_entry_needs_force() {
        let old = r#"{"mcpServers": {"arcade": {"command": "old"}, "b": {}}}"#;
        let err = merge_into(old, MCP_SERVERS, &entry(vec![]), false).unwrap_err();
        assert!(matches!(err, ConfigureError::Exists { .. }), "{err}");
        let text = merge_into(old, MCP_SERVERS, &entry(vec![]), true).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["mcpServers"]["arcade"]["command"], "/bin/gw");
        assert!(
            text.find("arcade").unwrap() < text.find("\"b\"").unwrap(),
            "kept its place"
        );
    }
}
