//! The on-disk copy of the served catalog, so that a second start serves its tools
//! without waiting on the network (the copy is then revalidated in the background, see
//! [`super::refresh`]).
//!
//! One file per engine URL and tool selection, named by a hash of both. The file holds
//! the converted tools ([`CatalogEntry`]: MCP tool text and what a call needs), so a
//! start from it converts nothing; it is tied to the gateway version that wrote it,
//! whose conversion it reflects. The API key is never written (nor hashed into the
//! name). A cache that cannot be read or parsed, or that another version wrote, is
//! ignored; the catalog is then fetched as if there were none.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Catalog, CatalogEntry};
use crate::catalog::ToolFilter;

/// The gateway version writing and reading cache files.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Bumped whenever the file's shape changes, so an old file is ignored, not misread.
const FORMAT: u32 = 3;

/// Why the cache could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The folder or the file cannot be written.
    #[error(
        "cannot write the catalog cache {path}: {source}; set --catalog-cache-dir to a writable folder or pass --no-catalog-cache"
    )]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

/// Where the catalog of one engine and tool selection is kept on disk.
#[derive(Debug, Clone)]
pub struct CatalogCache {
    path: PathBuf,
}

/// What a cache file holds (written from a borrowed catalog, read into owned entries).
#[derive(Serialize)]
struct FileOut<'a> {
    format: u32,
    gateway: &'a str,
    tools: Vec<&'a CatalogEntry>,
}

#[derive(Deserialize)]
struct FileIn {
    format: u32,
    gateway: String,
    tools: Vec<CatalogEntry>,
}

impl CatalogCache {
    /// The cache in `dir` of the tools `filter` selects from the engine at `engine_url`.
    pub fn new(dir: &Path, engine_url: &str, filter: &ToolFilter) -> Self {
        Self {
            path: dir.join(format!("catalog-{}.json", key(engine_url, filter))),
        }
    }

    /// The file this cache reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached catalog, or `None` when there is no usable copy (a damaged or
    /// unreadable one is reported with a warning).
    pub fn load(&self) -> Option<Catalog> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "catalog cache unreadable; ignoring it and fetching the catalog");
                return None;
            }
        };
        match serde_json::from_slice::<FileIn>(&bytes) {
            Ok(file) if file.format == FORMAT && file.gateway == VERSION => {
                Some(Catalog::from_entries(file.tools))
            }
            Ok(file) => {
                tracing::info!(path = %self.path.display(), format = file.format, gateway = %file.gateway, "catalog cache from another version; ignoring it");
                None
            }
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "catalog cache damaged; ignoring it and fetching the catalog");
                None
            }
        }
    }

    /// Writes the definitions behind `catalog`, replacing the file in one step so a
    /// reader never sees half of it.
    pub fn store(&self, catalog: &Catalog) -> Result<(), CacheError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let fail = |path: &Path| {
            let path = path.to_owned();
            move |source| CacheError::Write { path, source }
        };
        std::fs::create_dir_all(dir).map_err(fail(dir))?;
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail(dir))?;
        let contents = FileOut {
            format: FORMAT,
            gateway: VERSION,
            tools: catalog.iter().collect(),
        };
        serde_json::to_writer(std::io::BufWriter::new(&mut file), &contents)
            .map_err(|e| fail(&self.path)(e.into()))?;
        file.as_file_mut().flush().map_err(fail(&self.path))?;
        file.persist(&self.path)
            .map_err(|e| fail(&self.path)(e.error))?;
        Ok(())
    }
}

/// The platform's cache folder for this program (e.g. `~/.cache/arcade-mcp-gateway`),
/// if the platform has one.
pub fn default_dir() -> Option<PathBuf> {
    Some(dirs::cache_dir()?.join(env!("CARGO_PKG_NAME")))
}

/// A short hash of the engine URL and the selection (order-independent).
fn key(engine_url: &str, filter: &ToolFilter) -> String {
    let mut toolkits = filter.toolkits.clone();
    toolkits.sort_unstable();
    let mut tools = filter.tools.clone();
    tools.sort_unstable();
    let mut hash = Sha256::new();
    hash.update(engine_url.trim_end_matches('/'));
    for part in [toolkits, tools] {
        hash.update([0]);
        hash.update(part.join("\n"));
    }
    hex::encode(&hash.finalize()[..12])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arcade::types::ToolDefinition;
    use serde_json::json;

    fn definitions() -> Vec<ToolDefinition> {
        ["Math.Add", "Gmail.SendEmail"]
            .into_iter()
            .map(|name| {
                let (toolkit, tool) = name.split_once('.').unwrap();
                serde_json::from_value(json!({
                    "qualified_name": name, "name": tool, "toolkit": {"name": toolkit},
                    "input": {"parameters": []},
                }))
                .unwrap()
            })
            .collect()
    }

    fn filter(toolkits: &[&str]) -> ToolFilter {
        ToolFilter {
            toolkits: toolkits.iter().map(|t| (*t).to_owned()).collect(),
            tools: vec![],
        }
    }

    #[test]
    fn one_file_per_engine_and_selection() {
        let dir = Path::new("/cache");
        let a = CatalogCache::new(dir, "http://a/", &filter(&["Gmail", "Math"]));
        let same = CatalogCache::new(dir, "http://a", &filter(&["Math", "Gmail"]));
        let other_engine = CatalogCache::new(dir, "http://b", &filter(&["Gmail", "Math"]));
        let other_tools = CatalogCache::new(dir, "http://a", &filter(&["Gmail"]));
        assert_eq!(a.path(), same.path());
        assert_ne!(a.path(), other_engine.path());
        assert_ne!(a.path(), other_tools.path());
        assert!(a.path().starts_with(dir));
    }

    #[test]
    fn stored_definitions_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CatalogCache::new(&dir.path().join("new"), "http://a", &filter(&[]));
        assert!(cache.load().is_none());
        let catalog = Catalog::from_definitions(definitions());
        cache.store(&catalog).unwrap();
        let loaded = cache.load().unwrap();
        assert!(loaded.same_tools(&catalog));
        assert_eq!(loaded.tools(), catalog.tools());
        assert_eq!(
            loaded.get("Gmail_SendEmail").unwrap().qualified_name(),
            "Gmail.SendEmail"
        );
    }

    #[test]
    fn damaged_or_foreign_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CatalogCache::new(dir.path(), "http://a", &filter(&[]));
        for contents in [
            "{\"format\": 2, \"gateway\": \"0\", \"tools\": [",
            "not json",
            "{\"format\": 99, \"gateway\": \"0\", \"tools\": []}",
            "{\"format\": 1, \"definitions\": []}",
            "{\"format\": 2, \"gateway\": \"0.0.0-other\", \"tools\": []}",
        ] {
            std::fs::write(cache.path(), contents).unwrap();
            assert!(cache.load().is_none(), "{contents}");
        }
    }
}
