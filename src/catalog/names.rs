//! MCP tool names for Arcade tools.
//!
//! MCP clients accept tool names matching `^[a-zA-Z0-9_-]{1,64}$`, and a server's names
//! must be unique. Arcade's own convention turns `Gmail.ListEmails` into
//! `Gmail_ListEmails`; this module follows it and repairs what does not fit: illegal
//! characters become `_`, names longer than 64 characters are cut and get a short
//! stable hash, and colliding names get `_2`, `_3`, … suffixes. Every repair is logged
//! with `tracing::warn!`: a tool is renamed, never dropped.

use std::collections::{HashMap, HashSet};

use crate::arcade::types::ToolDefinition;

/// The longest tool name MCP clients accept.
pub const MAX_NAME_LEN: usize = 64;

/// The name used when a qualified name has no usable character at all.
const EMPTY_NAME: &str = "tool";

/// Gives each definition its MCP name, in input order.
///
/// The result does not depend on the order of `defs`: tools are ranked by
/// `qualified_name`, then `fully_qualified_name`, then toolkit version; in each group of
/// equal names the first keeps the name and later ones get a numbered suffix. A name
/// that is some tool's natural name is never handed to another tool as a suffixed name.
pub fn assign_names(defs: &[ToolDefinition]) -> Vec<String> {
    let bases: Vec<String> = defs.iter().map(|d| base_name(&d.qualified_name)).collect();
    let mut order: Vec<usize> = (0..defs.len()).collect();
    order.sort_by(|&a, &b| rank_key(&defs[a]).cmp(&rank_key(&defs[b])));

    let natural: HashSet<&str> = bases.iter().map(String::as_str).collect();
    let mut taken: HashSet<String> = HashSet::with_capacity(defs.len());
    let mut next_suffix: HashMap<&str, usize> = HashMap::new();
    let mut names = vec![String::new(); defs.len()];
    for i in order {
        let base = bases[i].as_str();
        let name = if taken.insert(base.to_owned()) {
            base.to_owned()
        } else {
            let counter = next_suffix.entry(base).or_insert(2);
            let name = free_suffixed_name(base, counter, &natural, &taken);
            taken.insert(name.clone());
            name
        };
        warn_if_renamed(&defs[i], &name);
        names[i] = name;
    }
    names
}

/// Arcade's convention (`.` → `_`), made legal: other illegal characters become `_`,
/// and a name over [`MAX_NAME_LEN`] is cut and tagged with a hash of the full name.
pub fn base_name(qualified_name: &str) -> String {
    let cleaned: String = qualified_name
        .chars()
        .map(|c| if is_legal_char(c) { c } else { '_' })
        .collect();
    if cleaned.is_empty() {
        return EMPTY_NAME.to_owned();
    }
    if cleaned.len() <= MAX_NAME_LEN {
        return cleaned;
    }
    let tag = format!("_{:08x}", fnv1a(qualified_name.as_bytes()));
    format!("{}{tag}", &cleaned[..MAX_NAME_LEN - tag.len()])
}

/// Whether `name` is a legal MCP tool name (`^[a-zA-Z0-9_-]{1,64}$`).
pub fn is_valid_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len()) && name.chars().all(is_legal_char)
}

fn is_legal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn rank_key(def: &ToolDefinition) -> (&str, Option<&str>, Option<&str>) {
    (
        &def.qualified_name,
        def.fully_qualified_name.as_deref(),
        def.toolkit.version.as_deref(),
    )
}

/// The first `base_N` (cut to fit 64 characters) that is neither taken nor another
/// tool's natural name; `counter` remembers where the search for this base stands.
fn free_suffixed_name(
    base: &str,
    counter: &mut usize,
    natural: &HashSet<&str>,
    taken: &HashSet<String>,
) -> String {
    loop {
        let suffix = format!("_{counter}");
        *counter += 1;
        let stem = &base[..base.len().min(MAX_NAME_LEN - suffix.len())];
        let name = format!("{stem}{suffix}");
        if !natural.contains(name.as_str()) && !taken.contains(&name) {
            return name;
        }
    }
}

fn warn_if_renamed(def: &ToolDefinition, name: &str) {
    let conventional = def.qualified_name.replace('.', "_");
    if name != conventional {
        tracing::warn!(
            qualified_name = %def.qualified_name,
            fully_qualified_name = ?def.fully_qualified_name,
            mcp_name = %name,
            "tool renamed to fit MCP naming rules or to avoid a name collision"
        );
    }
}

/// 32-bit FNV-1a: a hash that stays the same across Rust releases and runs (std's
/// `DefaultHasher` promises neither), so a cut name is stable for clients.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash: u32, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arcade::types::ToolkitInfo;

    fn def(qualified: &str, fully: Option<&str>) -> ToolDefinition {
        ToolDefinition {
            qualified_name: qualified.into(),
            fully_qualified_name: fully.map(Into::into),
            name: qualified.rsplit('.').next().unwrap_or_default().into(),
            toolkit: ToolkitInfo {
                name: qualified.split('.').next().unwrap_or_default().into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn dots_become_underscores() {
        assert_eq!(base_name("Gmail.ListEmails"), "Gmail_ListEmails");
    }

    #[test]
    fn illegal_characters_become_underscores() {
        assert_eq!(base_name("My Kit.Send/Mail é"), "My_Kit_Send_Mail__");
        assert_eq!(base_name("Kit.do-it"), "Kit_do-it");
        assert_eq!(base_name(""), "tool");
    }

    #[test]
    fn long_names_are_cut_with_a_stable_hash() {
        let long = format!("Kit.{}", "A".repeat(100));
        let name = base_name(&long);
        assert_eq!(name.len(), MAX_NAME_LEN);
        assert!(is_valid_name(&name));
        assert_eq!(name, base_name(&long), "stable");
        let other = base_name(&format!("Kit.{}B", "A".repeat(100)));
        assert_ne!(name, other, "names differing past the cut stay apart");
        assert_eq!(base_name(&"a".repeat(64)), "a".repeat(64));
    }

    #[test]
    fn collisions_get_suffixes_independent_of_order() {
        let defs = vec![
            def("Kit.Tool", Some("Kit.Tool@2.0.0")),
            def("Kit Tool", None),
            def("Kit.Tool", Some("Kit.Tool@1.0.0")),
            def("Kit.Tool_2", None),
        ];
        let names = assign_names(&defs);
        // Ranked: "Kit Tool" < "Kit.Tool"@1 < "Kit.Tool"@2 < "Kit.Tool_2".
        assert_eq!(
            names,
            ["Kit_Tool_4", "Kit_Tool", "Kit_Tool_3", "Kit_Tool_2"]
        );

        let mut reversed = defs.clone();
        reversed.reverse();
        let mut names_rev = assign_names(&reversed);
        names_rev.reverse();
        assert_eq!(names, names_rev);
    }

    #[test]
    fn suffixed_long_names_stay_within_the_limit() {
        let long = format!("Kit.{}", "A".repeat(70));
        let names = assign_names(&[def(&long, Some("a")), def(&long, Some("b"))]);
        assert_ne!(names[0], names[1]);
        assert!(names.iter().all(|n| is_valid_name(n)), "{names:?}");
    }

    #[test]
    fn name_validity() {
        assert!(is_valid_name("Gmail_ListEmails-2"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("a.b"));
        assert!(!is_valid_name(&"a".repeat(65)));
    }
}
