//! Loading a catalog (`--catalog PATH`): every `*.json` file of a folder, or of a
//! `.tar.gz` archive, is a toolkit `{"toolkit", "version", "items": [ToolDefinition]}`
//! ([`ToolkitFile`]). Folder files are parsed on every core, since the full fixture set
//! is thousands of tools; an archive is one stream, read in order.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::catalog::{CatalogTool, Runner};
use arcade_types::{ToolDefinition, ToolkitFile, ToolkitInfo, null_as_default};

/// Why a catalog folder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The folder cannot be listed.
    #[error("cannot read catalog folder {path}: {source}")]
    ReadDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file cannot be read.
    #[error("cannot read catalog file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not a toolkit file.
    #[error(
        "catalog file {path} is not a toolkit file {{\"toolkit\", \"version\", \"items\": [...]}}: {source}"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// The folder or archive holds no `*.json` file.
    #[error("catalog {0} holds no *.json toolkit file")]
    Empty(PathBuf),
}

/// A toolkit file as it is written: its items kept as JSON, so that one an engine
/// might send (a `null` array, a definition that does not read) is served as it is.
#[derive(Debug, Deserialize)]
struct RawToolkitFile {
    #[serde(default)]
    toolkit: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    items: Vec<Value>,
}

/// The tools of every toolkit file at `path` (see [`load_toolkits`]); they run as
/// echoes. An item that does not read as a definition is listed as it is, never run.
pub fn load_tools(path: &Path) -> Result<Vec<CatalogTool>, FixtureError> {
    let files: Vec<RawToolkitFile> = load_files(path)?;
    let tools = files
        .into_par_iter()
        .flat_map_iter(|file| {
            let toolkit = ToolkitInfo {
                name: file.toolkit.unwrap_or_default(),
                version: file.version,
                description: None,
            };
            file.items
                .into_iter()
                .enumerate()
                .map(move |(index, item)| served(&toolkit, index, item))
        })
        .collect();
    Ok(tools)
}

/// One item of a toolkit file as served: listed verbatim where its JSON says more
/// than the definition read from it.
fn served(toolkit: &ToolkitInfo, index: usize, item: Value) -> CatalogTool {
    match ToolDefinition::deserialize(&item) {
        Ok(definition) => {
            let same = serde_json::to_value(&definition).is_ok_and(|typed| typed == item);
            CatalogTool {
                definition,
                listed: (!same).then_some(item),
                runner: Runner::Echo,
            }
        }
        Err(error) => {
            let name = item.get("qualified_name").and_then(Value::as_str);
            let name = name.map_or_else(
                || format!("{}.Unreadable{index}", toolkit.name),
                str::to_owned,
            );
            tracing::info!(tool = %name, %error, "serving a definition that does not read, as it is");
            CatalogTool {
                definition: ToolDefinition {
                    qualified_name: name.clone(),
                    name,
                    toolkit: toolkit.clone(),
                    ..ToolDefinition::default()
                },
                listed: Some(item),
                runner: Runner::Unreadable,
            }
        }
    }
}

/// The tools of every toolkit file at each of `paths`, in order.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<CatalogTool>, FixtureError> {
    let mut tools = Vec::new();
    for path in paths {
        tools.extend(load_tools(path)?);
    }
    Ok(tools)
}

/// Every toolkit file at `path`, in name order: the `*.json` files of a folder, or of
/// a `.tar.gz` archive (how the repository ships the fixture catalog).
pub fn load_toolkits(path: &Path) -> Result<Vec<ToolkitFile>, FixtureError> {
    load_files(path)
}

/// Every toolkit file at `path`, read as `T`, in name order.
fn load_files<T: DeserializeOwned + Send>(path: &Path) -> Result<Vec<T>, FixtureError> {
    let toolkits = if path.is_file() {
        read_archive(path)?
    } else {
        let files = json_files(path)?;
        files
            .par_iter()
            .map(|file| read_toolkit(file))
            .collect::<Result<Vec<_>, _>>()?
    };
    if toolkits.is_empty() {
        return Err(FixtureError::Empty(path.to_owned()));
    }
    Ok(toolkits)
}

/// The `*.json` entries of a `.tar.gz` archive, in name order.
fn read_archive<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, FixtureError> {
    let read_error = |source| FixtureError::ReadFile {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut toolkits = Vec::new();
    for entry in archive.entries().map_err(read_error)? {
        let mut entry = entry.map_err(read_error)?;
        let name = entry.path().map_err(read_error)?.into_owned();
        if name.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(read_error)?;
        let toolkit = serde_json::from_slice(&bytes).map_err(|source| FixtureError::Parse {
            path: path.join(&name),
            source,
        })?;
        toolkits.push((name, toolkit));
    }
    toolkits.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(toolkits.into_iter().map(|(_, toolkit)| toolkit).collect())
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let read_dir_error = |source| FixtureError::ReadDir {
        path: dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir_error)? {
        let path = entry.map_err(read_dir_error)?.path();
        if path.extension().is_some_and(|ext| ext == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_toolkit<T: DeserializeOwned>(path: &Path) -> Result<T, FixtureError> {
    let bytes = std::fs::read(path).map_err(|source| FixtureError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| FixtureError::Parse {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_json_files_and_ignores_others() {
        let dir = tempfile::tempdir().unwrap();
        let tool = r#"{"qualified_name": "Kit.Do", "name": "Do", "toolkit": {"name": "Kit"},
                       "input": {"parameters": []}, "novel": 1}"#;
        std::fs::write(
            dir.path().join("kit.json"),
            format!(r#"{{"toolkit": "Kit", "items": [{tool}]}}"#),
        )
        .unwrap();
        std::fs::write(dir.path().join("README.md"), "not a toolkit").unwrap();
        let tools = load_tools(dir.path()).unwrap();
        assert_eq!(tools.len(), 1);
        assert_eq!(tools[0].runner, Runner::Echo);
        let listed = tools[0]
            .listed
            .as_ref()
            .expect("a field the types lack is kept");
        assert_eq!(listed["novel"], 1);
    }

    #[test]
    fn a_definition_that_does_not_read_is_kept_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let good = r#"{"qualified_name": "Kit.Good", "name": "Good", "toolkit": {"name": "Kit"},
                       "input": {"parameters": null}}"#;
        let bad = r#"{"qualified_name": "Kit.Bad", "name": "Bad", "toolkit": 7, "input": {}}"#;
        std::fs::write(
            dir.path().join("kit.json"),
            format!(r#"{{"toolkit": "Kit", "items": [{good}, {bad}]}}"#),
        )
        .unwrap();
        let tools = load_tools(dir.path()).unwrap();
        assert_eq!(tools.len(), 2);
        assert_eq!(tools[0].runner, Runner::Echo);
        assert!(tools[0].listed.as_ref().unwrap()["input"]["parameters"].is_null());
        assert_eq!(tools[1].runner, Runner::Unreadable);
        assert_eq!(tools[1].definition.qualified_name, "Kit.Bad");
        assert_eq!(tools[1].listed.as_ref().unwrap()["toolkit"], 7);
    }

    #[test]
    fn a_broken_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.json"), "{").unwrap();
        let error = load_tools(dir.path()).unwrap_err().to_string();
        assert!(error.contains("bad.json"), "{error}");
    }

    #[test]
    fn loads_an_archive_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kits.tar.gz");
        let file = std::fs::File::create(&path).unwrap();
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        for (name, kit) in [
            ("kits/b.json", "B"),
            ("kits/a.json", "A"),
            ("kits/x.md", "X"),
        ] {
            let body = format!(r#"{{"toolkit": "{kit}", "items": []}}"#);
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, name, body.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        let kits: Vec<ToolkitFile> = load_toolkits(&path).unwrap();
        let names: Vec<_> = kits.iter().filter_map(|k| k.toolkit.as_deref()).collect();
        assert_eq!(names, ["A", "B"]);
    }

    #[test]
    fn a_missing_catalog_is_named() {
        let error = load_toolkits(Path::new("/nonexistent/catalog.tar.gz"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("/nonexistent/catalog.tar.gz"), "{error}");
    }
}
