//! Direct tools: tools that call a third-party API (Gmail, GitHub, …) themselves with
//! the provider token Arcade issues for the calling user (flow 2 of `docs/arcade-api.md`),
//! served next to the Arcade catalog with the same authorization experience. The
//! token never reaches a model or a log.
//!
//! - [`tool`]: the [`DirectTool`] trait, [`ToolContext`], [`Grant`], [`ProviderToken`];
//! - [`declarative`]: tools declared in a TOML file (`serve --direct-tools FILE`);
//! - [`url_template`]: URL templates whose values cannot change scheme, host or port;
//! - [`token_cache`]: tokens in memory, per (user, provider, scopes), short-lived;
//! - `call`: one call — authorize, call the provider, re-authorize once after a 401.
//!
//! From Rust: `DirectTools::builder().tool(MyTool).build()?`, then
//! [`crate::gateway::Gateway::with_direct_tools`].

pub(crate) mod call;
pub mod declarative;
pub mod token_cache;
pub mod tool;
pub mod url_template;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{JsonObject, Tool};
use serde_json::Value;

use crate::arcade::types::{AuthRequirement, OAuth2Requirement};
use crate::catalog::{
    ArgumentError, ArgumentValidator, Catalog, META_AUTHORIZATION, authorization_meta,
    is_valid_name,
};

pub use declarative::{DeclarativeTool, DirectConfigError, load_file};
pub use token_cache::TokenCache;
pub use tool::{DirectTool, Grant, PROVIDER_TIMEOUT, ProviderError, ProviderToken, ToolContext};

/// The default cap on a provider's answer (1 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1 << 20;

/// How many same-host redirects a provider call follows.
const MAX_REDIRECTS: usize = 5;

/// Why a set of direct tools cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Two tools with one name.
    #[error("direct tool `{0}` is defined twice; give each tool its own name")]
    Duplicate(String),
    /// A name MCP clients would refuse.
    #[error("direct tool `{0}` has an invalid name: use 1-64 of A-Z a-z 0-9 _ -")]
    InvalidName(String),
    /// A name the Arcade catalog already serves.
    #[error("direct tool `{0}` has the same name as a tool of the Arcade catalog; rename it")]
    Clash(String),
    /// An `inputSchema` that is not an object schema.
    #[error("direct tool `{name}`: {reason}")]
    BadSchema {
        /// The tool.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("could not set up the HTTP client for direct tools: {0}")]
    Http(String),
}

/// A registered direct tool: what `tools/list` shows, its argument check, and the
/// implementation.
pub struct DirectEntry {
    /// The tool as `tools/list` shows it (with `_meta["dev.arcade/authorization"]`).
    pub tool: Tool,
    /// The grant as Arcade's `auth_requirement`, what a prompt for it names.
    requirement: AuthRequirement,
    arguments: ArgumentValidator,
    implementation: Arc<dyn DirectTool>,
}

impl DirectEntry {
    /// The MCP name.
    pub fn name(&self) -> &str {
        &self.tool.name
    }

    /// The grant the tool needs.
    pub fn grant(&self) -> &Grant {
        self.implementation.grant()
    }

    /// The grant as Arcade's `auth_requirement` (every direct tool needs one).
    pub fn requirement(&self) -> Option<&AuthRequirement> {
        Some(&self.requirement)
    }

    /// Checks the arguments of a call against the tool's `inputSchema`.
    pub fn validate_arguments(&self, args: &JsonObject) -> Result<(), ArgumentError> {
        let schema = || Ok(self.tool.input_schema.as_ref().clone());
        self.arguments.validate(schema, args)
    }
}

/// The direct tools a gateway serves, by name, with the shared HTTP client and token
/// cache. Cloning is cheap (one `Arc`): every connection shares one set.
#[derive(Clone)]
pub struct DirectTools {
    inner: Arc<Inner>,
}

struct Inner {
    entries: Vec<DirectEntry>,
    by_name: HashMap<String, usize>,
    tools: Arc<[Tool]>,
    http: reqwest::Client,
    tokens: TokenCache,
    max_response_bytes: usize,
}

impl std::fmt::Debug for DirectTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectTools")
            .field("tools", &self.inner.by_name.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Collects direct tools (native ones and declared ones) before they are served.
#[derive(Default)]
pub struct DirectToolsBuilder {
    tools: Vec<Arc<dyn DirectTool>>,
    max_response_bytes: Option<usize>,
}

impl DirectToolsBuilder {
    /// Adds a tool.
    pub fn tool(mut self, tool: impl DirectTool) -> Self {
        self.tools.push(Arc::new(tool));
        self
    }

    /// Adds several tools (e.g. those of [`load_file`]).
    pub fn tools(mut self, tools: impl IntoIterator<Item = Arc<dyn DirectTool>>) -> Self {
        self.tools.extend(tools);
        self
    }

    /// Caps how much of a provider's answer native tools read
    /// (default [`DEFAULT_MAX_RESPONSE_BYTES`]; declared tools set their own).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Checks names and schemas and builds the set.
    pub fn build(self) -> Result<DirectTools, RegistryError> {
        let mut entries = Vec::with_capacity(self.tools.len());
        let mut by_name = HashMap::new();
        for implementation in self.tools {
            let tool = with_authorization_meta(implementation.tool(), implementation.grant());
            let name = tool.name.to_string();
            if !is_valid_name(&name) {
                return Err(RegistryError::InvalidName(name));
            }
            check_schema(&name, &tool.input_schema)?;
            if by_name.insert(name.clone(), entries.len()).is_some() {
                return Err(RegistryError::Duplicate(name));
            }
            entries.push(DirectEntry {
                tool,
                requirement: implementation.grant().requirement(),
                arguments: ArgumentValidator::default(),
                implementation,
            });
        }
        let tools = entries.iter().map(|e| e.tool.clone()).collect();
        Ok(DirectTools {
            inner: Arc::new(Inner {
                entries,
                by_name,
                tools,
                http: http_client()?,
                tokens: TokenCache::default(),
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            }),
        })
    }
}

impl DirectTools {
    /// Starts a set of direct tools.
    pub fn builder() -> DirectToolsBuilder {
        DirectToolsBuilder::default()
    }

    /// Every tool, in registration order.
    pub fn iter(&self) -> std::slice::Iter<'_, DirectEntry> {
        self.inner.entries.iter()
    }

    /// The tool clients call `name`.
    pub fn get(&self, name: &str) -> Option<&DirectEntry> {
        self.inner
            .by_name
            .get(name)
            .map(|&i| &self.inner.entries[i])
    }

    /// Every tool as `tools/list` shows it, in registration order.
    pub fn tools(&self) -> Arc<[Tool]> {
        Arc::clone(&self.inner.tools)
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.inner.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.inner.entries.is_empty()
    }

    /// Refuses a direct tool named like a catalog tool: clients could not tell which
    /// one they call.
    pub fn check_against(&self, catalog: &Catalog) -> Result<(), RegistryError> {
        match self
            .inner
            .entries
            .iter()
            .find(|e| catalog.get(e.name()).is_some())
        {
            Some(entry) => Err(RegistryError::Clash(entry.name().to_owned())),
            None => Ok(()),
        }
    }

    /// What a call of `user` with `token` gets to work with.
    fn context(&self, user: &crate::identity::UserId, token: ProviderToken) -> ToolContext {
        ToolContext {
            user: user.clone(),
            token,
            http: self.inner.http.clone(),
            max_response_bytes: self.inner.max_response_bytes,
        }
    }
}

/// `_meta["dev.arcade/authorization"]`, as catalog tools carry it.
fn with_authorization_meta(tool: Tool, grant: &Grant) -> Tool {
    let mut meta = tool.meta.clone().unwrap_or_default();
    meta.0.insert(
        META_AUTHORIZATION.into(),
        authorization_meta(&grant.requirement()),
    );
    tool.with_meta(meta)
}

/// An `inputSchema` must be an object schema that compiles.
fn check_schema(name: &str, schema: &JsonObject) -> Result<(), RegistryError> {
    let bad = |reason: String| RegistryError::BadSchema {
        name: name.to_owned(),
        reason,
    };
    if schema.get("type") != Some(&Value::String("object".into())) {
        return Err(bad(r#"the input schema must have "type": "object""#.into()));
    }
    jsonschema::validator_for(&Value::Object(schema.clone()))
        .map(|_| ())
        .map_err(|e| bad(format!("the input schema is not valid JSON Schema: {e}")))
}

/// The client for provider calls: a time limit, and redirects followed only within
/// the same origin (the token must never travel to another host).
fn http_client() -> Result<reqwest::Client, RegistryError> {
    reqwest::Client::builder()
        .timeout(PROVIDER_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("arcade-mcp-gateway/", env!("CARGO_PKG_VERSION")))
        .redirect(crate::arcade::http::same_origin_redirects(MAX_REDIRECTS))
        .build()
        .map_err(|e| RegistryError::Http(e.to_string()))
}

impl Grant {
    /// Arcade's `auth_requirement` for this grant.
    pub fn requirement(&self) -> AuthRequirement {
        AuthRequirement {
            provider_id: Some(self.provider_id.clone()),
            provider_type: Some("oauth2".to_owned()),
            oauth2: Some(OAuth2Requirement {
                scopes: Some(self.scopes.clone()),
            }),
            ..Default::default()
        }
    }
}
