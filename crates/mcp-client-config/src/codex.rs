//! Adding an entry to Codex's `config.toml` as a `[mcp_servers.NAME]` table, edited in
//! place so that comments, formatting and every other setting survive.

use std::path::Path;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};

use super::ConfigureError;
use super::entry::{Edit, Entry};

/// `text` (empty for a new file) with the entry added, or replaced with `force`.
pub(super) fn merge(text: &str, edit: &Edit, path: &Path) -> Result<String, ConfigureError> {
    let invalid = |reason: String| ConfigureError::Invalid {
        path: path.to_owned(),
        format: "TOML",
        reason,
    };
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|error: toml_edit::TomlError| invalid(describe(&error, text)))?;
    let servers = doc
        .entry("mcp_servers")
        .or_insert_with(|| {
            let mut table = Table::new();
            // No bare `[mcp_servers]` header above the entry's own.
            table.set_implicit(true);
            Item::Table(table)
        })
        .as_table_like_mut()
        .ok_or_else(|| invalid("`mcp_servers` is not a table".into()))?;
    let mut table = entry_table(edit.entry);
    match servers.get(edit.name) {
        Some(_) if !edit.force => return Err(edit.exists(path)),
        Some(Item::Table(old)) => {
            // The replacement stays where the old table was, under its comments.
            table.set_position(old.position());
            *table.decor_mut() = old.decor().clone();
        }
        _ => {}
    }
    servers.insert(edit.name, Item::Table(table));
    Ok(doc.to_string())
}

fn entry_table(entry: &Entry) -> Table {
    let mut table = Table::new();
    table["command"] = value(&entry.command);
    table["args"] = value(Array::from_iter(&entry.args));
    if !entry.forward.is_empty() {
        table["env_vars"] = value(Array::from_iter(&entry.forward));
    }
    if !entry.env.is_empty() {
        let env = entry
            .env
            .iter()
            .map(|(name, v)| (name.as_str(), v.as_str()));
        table["env"] = value(InlineTable::from_iter(env));
    }
    table
}

/// A parse error on one line: where it is and the first line of what is wrong (the
/// parser's own text spans several, with a drawing of the line).
fn describe(error: &toml_edit::TomlError, text: &str) -> String {
    let message = error.message().lines().next().unwrap_or("a syntax error");
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
            format!("{message} on line {line} column {column}")
        }
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            command: "/bin/gw".into(),
            args: vec!["serve".into(), "--emulator".into()],
            env: vec![("ARCADE_USER_ID".into(), "ann".into())],
            forward: vec!["ARCADE_API_KEY".into()],
            prompts: vec![],
        }
    }

    fn merge_into(text: &str, force: bool) -> Result<String, ConfigureError> {
        let entry = entry();
        let edit = Edit {
            name: "arcade",
            entry: &entry,
            force,
        };
        merge(text, &edit, Path::new("/x/config.toml"))
    }

    #[test]
    fn the_entry_is_a_table_after_what_was_there() {
        let old =
            "# my settings\nmodel = \"o3\" # the best\n\n[mcp_servers.other]\ncommand = \"x\"\n";
        let text = merge_into(old, false).unwrap();
        assert!(text.starts_with(old), "{text}");
        assert!(
            text.contains("[mcp_servers.arcade]\ncommand = \"/bin/gw\""),
            "{text}"
        );
        let value: toml::Table = text.parse().unwrap();
        let arcade = &value["mcp_servers"]["arcade"];
        assert_eq!(arcade["env_vars"].as_array().unwrap().len(), 1);
        assert_eq!(arcade["env"]["ARCADE_USER_ID"].as_str(), Some("ann"));
        assert!(!merge_into("", false).unwrap().contains("[mcp_servers]\n"));
    }

    #[test]
    fn force_replaces_in_place_and_garbage_is_refused_with_its_line() {
        let old = "[mcp_servers.arcade]\ncommand = \"old\"\n\n# after\n[other]\nx = 1\n";
        assert!(matches!(
            merge_into(old, false),
            Err(ConfigureError::Exists { .. })
        ));
        let text = merge_into(old, true).unwrap();
        assert!(
            text.find("/bin/gw").unwrap() < text.find("[other]").unwrap(),
            "{text}"
        );
        assert!(!text.contains("old"), "{text}");
        let err = merge_into("a = 1\n[[[", false).unwrap_err().to_string();
        assert!(err.contains("on line 2") && !err.contains('\n'), "{err}");
        assert!(merge_into("mcp_servers = 3", false).is_err());
    }
}
