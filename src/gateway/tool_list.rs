//! `tools/list` in pages, so that no single message breaks a client: a page holds at
//! most [`PAGE_MAX_TOOLS`] tools and [`PAGE_MAX_BYTES`] of tool JSON (the Python SDK
//! refuses an SSE event over 1 MiB), and only its own tools are parsed, so answering a
//! page costs memory in proportion to the page, not to the catalog.
//!
//! The order is fixed (the gateway's own tools, the catalog by MCP name, the direct
//! tools) and the cursor is stateless: it names a position in one listing, tagged with
//! that listing's fingerprint, so any replica serving the same tools can continue it,
//! and a cursor from another listing is refused instead of skipping or repeating tools.

use rmcp::model::{ListToolsResult, Tool};
use sha2::{Digest, Sha256};

use crate::catalog::{Catalog, CatalogEntry};

/// Most tools on one page: a few hundred keeps pages small for any client while a
/// client that wants everything needs few round trips.
pub const PAGE_MAX_TOOLS: usize = 200;

/// Most bytes of tool JSON on one page: well under the 1 MiB event a Python client
/// accepts, with room for the JSON-RPC and SSE framing. A single larger tool still gets
/// a page of its own.
pub const PAGE_MAX_BYTES: usize = 256 * 1024;

/// Marks a cursor of this format, so a future one can be told apart.
const CURSOR_PREFIX: &str = "t1.";

/// The longest cursor this server hands out, with room to spare: anything longer is
/// refused before it is read.
const MAX_CURSOR_LEN: usize = 64;

/// A cursor this listing cannot continue.
#[derive(Debug, thiserror::Error)]
#[error(
    "this cursor is not one the server gave for its current tool list (the list may have \
     changed since, or the cursor was altered): call tools/list again without a cursor"
)]
pub struct CursorError;

/// What one listing shows, in order.
pub(super) struct ToolList<'a> {
    /// The gateway's own tools (discovery, connections), first.
    pub own: &'a [Tool],
    /// The catalog, unless discovery stands in for it.
    pub catalog: Option<&'a Catalog>,
    /// The direct tools, unless discovery stands in for them.
    pub direct: &'a [Tool],
}

/// One listed tool: kept as JSON text (the catalog) or as a tool.
enum Item<'a> {
    Kept(&'a CatalogEntry),
    Tool(&'a Tool),
}

impl Item<'_> {
    fn json_len(&self) -> usize {
        match self {
            Self::Kept(entry) => entry.tool_json().len(),
            Self::Tool(tool) => serde_json::to_vec(tool).map_or(0, |json| json.len()),
        }
    }

    fn tool(&self) -> Option<Tool> {
        match self {
            Self::Kept(entry) => entry.tool(),
            Self::Tool(tool) => Some((*tool).clone()),
        }
    }
}

impl ToolList<'_> {
    /// The page that `cursor` points at (the first without one), with the cursor of the
    /// next page when there is one.
    pub fn page(&self, cursor: Option<&str>) -> Result<ListToolsResult, CursorError> {
        let fingerprint = self.fingerprint();
        let start = match cursor {
            None => 0,
            Some(cursor) => decode(cursor, &fingerprint)?,
        };
        let total = self.len();
        if start > total {
            return Err(CursorError);
        }
        let mut bytes = 0;
        let mut taken = 0;
        let mut tools = Vec::new();
        for item in self.items().skip(start).take(PAGE_MAX_TOOLS) {
            bytes += item.json_len();
            if taken > 0 && bytes > PAGE_MAX_BYTES {
                break;
            }
            taken += 1;
            tools.extend(item.tool());
        }
        let next = start + taken;
        let mut result = ListToolsResult::with_all_items(tools);
        result.next_cursor = (next < total).then(|| encode(next, &fingerprint));
        Ok(result)
    }

    fn len(&self) -> usize {
        self.own.len() + self.catalog.map_or(0, Catalog::len) + self.direct.len()
    }

    fn items(&self) -> impl Iterator<Item = Item<'_>> {
        let kept = self.catalog.into_iter().flat_map(Catalog::iter);
        self.own
            .iter()
            .map(Item::Tool)
            .chain(kept.map(Item::Kept))
            .chain(self.direct.iter().map(Item::Tool))
    }

    /// A digest of the whole listing: the catalog's and every other tool's name.
    fn fingerprint(&self) -> [u8; 8] {
        let mut digest = Sha256::new();
        if let Some(catalog) = self.catalog {
            digest.update(catalog.fingerprint());
        }
        for tool in self.own.iter().chain(self.direct) {
            digest.update(tool.name.as_bytes());
            digest.update([0]);
        }
        let full: [u8; 32] = digest.finalize().into();
        full[..8].try_into().expect("8 of 32 bytes")
    }
}

fn encode(position: usize, fingerprint: &[u8; 8]) -> String {
    format!("{CURSOR_PREFIX}{}.{position}", hex::encode(fingerprint))
}

fn decode(cursor: &str, fingerprint: &[u8; 8]) -> Result<usize, CursorError> {
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(CursorError);
    }
    let (tag, position) = cursor
        .strip_prefix(CURSOR_PREFIX)
        .and_then(|rest| rest.split_once('.'))
        .ok_or(CursorError)?;
    if tag != hex::encode(fingerprint) {
        return Err(CursorError);
    }
    position.parse().map_err(|_| CursorError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::JsonObject;
    use std::sync::Arc;

    fn tool(name: &str, description_len: usize) -> Tool {
        Tool::new(
            name.to_owned(),
            "x".repeat(description_len),
            Arc::new(JsonObject::new()),
        )
    }

    fn names(result: &ListToolsResult) -> Vec<String> {
        result.tools.iter().map(|t| t.name.to_string()).collect()
    }

    #[test]
    fn pages_are_bounded_in_count_and_bytes_and_cover_everything_once() {
        let direct: Vec<Tool> = (0..450).map(|i| tool(&format!("t{i:03}"), 2000)).collect();
        let list = ToolList {
            own: &[],
            catalog: None,
            direct: &direct,
        };
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = list.page(cursor.as_deref()).unwrap();
            let bytes: usize = page.tools.iter().map(|t| Item::Tool(t).json_len()).sum();
            assert!(page.tools.len() <= PAGE_MAX_TOOLS && bytes <= PAGE_MAX_BYTES);
            assert!(!page.tools.is_empty());
            seen.extend(names(&page));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let expected: Vec<String> = direct.iter().map(|t| t.name.to_string()).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn a_tool_larger_than_a_page_gets_a_page_of_its_own() {
        let direct = vec![tool("big", PAGE_MAX_BYTES * 2), tool("small", 10)];
        let list = ToolList {
            own: &[],
            catalog: None,
            direct: &direct,
        };
        let first = list.page(None).unwrap();
        assert_eq!(names(&first), ["big"]);
        let second = list.page(first.next_cursor.as_deref()).unwrap();
        assert_eq!(names(&second), ["small"]);
        assert!(second.next_cursor.is_none());
    }

    #[test]
    fn a_cursor_from_another_listing_or_altered_is_refused() {
        let one: Vec<Tool> = (0..300).map(|i| tool(&format!("a{i}"), 10)).collect();
        let other: Vec<Tool> = (0..300).map(|i| tool(&format!("b{i}"), 10)).collect();
        let list = |direct| ToolList {
            own: &[],
            catalog: None,
            direct,
        };
        let cursor = list(&one).page(None).unwrap().next_cursor.unwrap();
        assert!(list(&one).page(Some(&cursor)).is_ok());
        assert!(list(&other).page(Some(&cursor)).is_err());
        for bad in [
            "",
            "t1.",
            "garbage",
            &format!("{cursor}0000"),
            &"x".repeat(500),
        ] {
            assert!(list(&one).page(Some(bad)).is_err(), "{bad}");
        }
        let past_the_end = cursor.rsplit_once('.').unwrap().0.to_owned() + ".99999";
        assert!(list(&one).page(Some(&past_the_end)).is_err());
    }
}
