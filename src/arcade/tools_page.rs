//! [`ToolsPage`]: a page of `GET /v1/tools` read one definition at a time, so that one
//! definition this gateway cannot read costs that tool, not the page (and with it the
//! whole catalog).

use serde_json::value::RawValue;

use super::http::excerpt;
use super::types::{Page, ToolDefinition};

/// The longest reason quoted for an unreadable definition.
const MAX_REASON_CHARS: usize = 200;
/// The longest name quoted for an unreadable definition.
const MAX_NAME_CHARS: usize = 120;

/// One page of tool definitions: those that could be read, and those set aside.
#[derive(Debug, Default)]
pub struct ToolsPage {
    /// The definitions that could be read.
    pub tools: Vec<ToolDefinition>,
    /// The definitions that could not, with why.
    pub unreadable: Vec<UnreadableTool>,
    /// How many items the engine returned (read or not): where the next page starts.
    pub returned: usize,
    /// How many tools the engine says there are in all, if it says.
    pub total_count: Option<u32>,
}

/// A definition that could not be read: named as well as it can be, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableTool {
    /// Its `qualified_name` (or `name`) when the item has one, else its place.
    pub name: String,
    /// What did not read.
    pub reason: String,
}

impl ToolsPage {
    /// Reads each item of `page` on its own.
    pub fn read(page: Page<Box<RawValue>>) -> Self {
        let mut read = Self {
            returned: page.items.len(),
            total_count: page.total_count,
            ..Self::default()
        };
        let offset = page.offset.unwrap_or(0) as usize;
        for (index, item) in page.items.iter().enumerate() {
            match serde_json::from_str::<ToolDefinition>(item.get()) {
                Ok(tool) => read.tools.push(tool),
                Err(error) => read.unreadable.push(UnreadableTool {
                    name: name_of(item).unwrap_or_else(|| format!("item {}", offset + index)),
                    reason: excerpt(&error.to_string(), MAX_REASON_CHARS),
                }),
            }
        }
        read
    }
}

/// The name an unreadable item gives itself, if any.
fn name_of(item: &RawValue) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        qualified_name: Option<serde_json::Value>,
        name: Option<serde_json::Value>,
    }
    let named: Named = serde_json::from_str(item.get()).ok()?;
    let name = [named.qualified_name, named.name]
        .into_iter()
        .flatten()
        .find_map(|v| v.as_str().map(str::to_owned))?;
    Some(excerpt(&name, MAX_NAME_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(items: serde_json::Value) -> Page<Box<RawValue>> {
        serde_json::from_value(json!({"items": items, "offset": 100, "total_count": 103})).unwrap()
    }

    #[test]
    fn an_unreadable_definition_is_set_aside_and_named() {
        let read = ToolsPage::read(page(json!([
            {"qualified_name": "Kit.Good", "name": "Good", "toolkit": {"name": "Kit"},
             "input": {"parameters": null}},
            {"qualified_name": "Kit.Bad", "name": "Bad", "toolkit": "not an object", "input": {}},
            [1, 2, 3]
        ])));
        assert_eq!(read.returned, 3);
        assert_eq!(read.total_count, Some(103));
        assert_eq!(read.tools.len(), 1);
        assert_eq!(read.unreadable.len(), 2);
        assert_eq!(read.unreadable[0].name, "Kit.Bad");
        assert!(
            read.unreadable[0].reason.contains("toolkit")
                || read.unreadable[0].reason.contains("invalid type"),
            "{}",
            read.unreadable[0].reason
        );
        assert_eq!(read.unreadable[1].name, "item 102");
    }

    #[test]
    fn a_null_page_is_empty() {
        let read = ToolsPage::read(page(serde_json::Value::Null));
        assert_eq!(read.returned, 0);
        assert!(read.tools.is_empty());
    }
}
