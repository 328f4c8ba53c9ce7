//! The shape of the crate, checked from its source: the top-level modules depend on
//! each other one way only, `src/lib.rs` names every one of them, and only `src/cli`
//! knows about clap (flags are read once, there).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file at or under `path`.
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let entries = std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The top-level modules: each `src/X.rs` or `src/X/` but the crate roots.
fn top_level_modules() -> BTreeMap<String, PathBuf> {
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name != "lib" && name != "main" {
            modules.insert(name, path);
        }
    }
    modules
}

/// Which top-level modules each one names as `crate::other` outside comments.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let modules = top_level_modules();
    let mut graph = BTreeMap::new();
    for (name, path) in &modules {
        let mut uses = BTreeSet::new();
        for file in rust_files(path) {
            let text = std::fs::read_to_string(&file).unwrap();
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (at, _) in line.match_indices("crate::") {
                    let rest = &line[at + "crate::".len()..];
                    let other: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    if other != *name && modules.contains_key(&other) {
                        uses.insert(other);
                    }
                }
            }
        }
        graph.insert(name.clone(), uses);
    }
    graph
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut stack = vec![from.to_owned()];
    let mut seen = BTreeSet::new();
    while let Some(node) = stack.pop() {
        if node == to {
            return true;
        }
        if seen.insert(node.clone()) {
            stack.extend(graph[&node].iter().cloned());
        }
    }
    false
}

#[test]
fn top_level_modules_depend_one_way() {
    let graph = dependencies();
    assert!(graph.len() > 5, "modules found: {graph:?}");
    let cycles: Vec<String> = graph
        .iter()
        .flat_map(|(from, uses)| uses.iter().map(move |to| (from, to)))
        .filter(|(from, to)| reaches(&graph, to, from))
        .map(|(from, to)| format!("{from} -> {to}"))
        .collect();
    assert!(cycles.is_empty(), "dependency cycles: {cycles:?}");
}

#[test]
fn lib_rs_names_every_top_level_module() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    for name in top_level_modules().keys() {
        assert!(
            lib.contains(&format!("pub mod {name};")) && lib.contains(&format!("[`{name}`]")),
            "src/lib.rs must declare and describe `{name}`"
        );
    }
}

#[test]
fn only_the_cli_module_knows_clap() {
    let strays: Vec<PathBuf> = rust_files(&src())
        .into_iter()
        .filter(|file| !file.starts_with(src().join("cli")))
        .filter(|file| std::fs::read_to_string(file).unwrap().contains("clap"))
        .collect();
    assert!(strays.is_empty(), "clap outside src/cli: {strays:?}");
}
