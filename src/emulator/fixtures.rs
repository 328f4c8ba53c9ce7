//! Loading a catalog folder (`--catalog DIR`): every `*.json` file in it is a toolkit
//! `{"toolkit", "version", "items": [ToolDefinition]}` ([`ToolkitFile`]). Files are read
//! and parsed on several threads, since the full fixture set is thousands of tools.

use std::path::{Path, PathBuf};

use super::catalog::{CatalogTool, Runner};
use crate::arcade::types::ToolkitFile;

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
    /// The folder holds no `*.json` file.
    #[error("catalog folder {0} holds no *.json toolkit file")]
    Empty(PathBuf),
}

/// The tools of every `*.json` file in `dir`, files in name order; they run as echoes.
pub fn load_dir(dir: &Path) -> Result<Vec<CatalogTool>, FixtureError> {
    let files = json_files(dir)?;
    if files.is_empty() {
        return Err(FixtureError::Empty(dir.to_owned()));
    }
    let threads = std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .min(files.len());
    let chunk_size = files.len().div_ceil(threads);
    let parsed: Vec<Result<Vec<ToolkitFile>, FixtureError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk_size)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|path| read_toolkit(path)).collect()))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("catalog loader thread panicked"))
            .collect()
    });
    let mut tools = Vec::new();
    for toolkit in parsed
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
    {
        tools.extend(toolkit.items.into_iter().map(|definition| CatalogTool {
            definition,
            runner: Runner::Echo,
        }));
    }
    Ok(tools)
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

fn read_toolkit(path: &Path) -> Result<ToolkitFile, FixtureError> {
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
        let tools = load_dir(dir.path()).unwrap();
        assert_eq!(tools.len(), 1);
        assert_eq!(tools[0].runner, Runner::Echo);
    }

    #[test]
    fn a_broken_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.json"), "{").unwrap();
        let error = load_dir(dir.path()).unwrap_err().to_string();
        assert!(error.contains("bad.json"), "{error}");
    }
}
