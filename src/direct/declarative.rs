//! Direct tools declared in a TOML file (`serve --direct-tools FILE`), so a team can
//! add a tool over a provider's API without writing a server. Each `[[tool]]` has:
//!
//! - `name`, `description`, optional `title` and `[tool.annotations]`
//!   (`read_only`, `destructive`, `idempotent`, `open_world`);
//! - `[tool.grant]`: `provider_id` and `scopes`;
//! - parameters: `[tool.input_schema]` (a JSON Schema object) or Arcade-style
//!   `[[tool.parameters]]` (`name`, `required`, `description`,
//!   `value_schema = { val_type = "string" }`);
//! - `[tool.request]`: `method` (default `GET`), `url` (an `https` URL on a fixed host
//!   whose path may hold `{param}` placeholders; `http` only for loopback hosts, for
//!   tests against the emulator), `query` and `headers` (tables of templates; an entry
//!   whose argument is absent is left out), `body` (a JSON template: a string that is
//!   exactly `"{param}"` takes the argument's value with its type);
//! - `[tool.response]`: `pointer` (a JSON Pointer choosing part of the answer; the
//!   whole body if absent) and `max_bytes` (default 1 MiB).
//!
//! Every mistake is found at start-up and named with the tool: see
//! [`DirectConfigError`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::future::BoxFuture;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde::Deserialize;
use serde_json::Value;

use super::tool::{DirectTool, Grant, ProviderError, ToolContext};
use super::url_template::{TextTemplate, UrlTemplate};
use super::{DEFAULT_MAX_RESPONSE_BYTES, RegistryError};
use crate::arcade::types::ToolParameter;
use crate::catalog::input_schema;

/// Why a direct tools file cannot be served; each message is one line naming the
/// file, the tool and the fault.
#[derive(Debug, thiserror::Error)]
pub enum DirectConfigError {
    /// The file could not be read.
    #[error("cannot read direct tools file `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not TOML of the expected shape.
    #[error("direct tools file `{path}` is invalid{line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// ` (line N)` where known.
        line: String,
        /// What the TOML reader said.
        message: String,
    },
    /// No `[[tool]]`.
    #[error("direct tools file `{0}` defines no tools: add a [[tool]] table")]
    Empty(PathBuf),
    /// One tool is wrong.
    #[error("direct tools file `{path}`, tool `{tool}`: {fault}")]
    Tool {
        /// The file.
        path: PathBuf,
        /// The tool's name.
        tool: String,
        /// What is wrong and how to fix it.
        fault: String,
    },
    /// The tools cannot be served together (duplicate or clashing names).
    #[error("direct tools file `{path}`: {source}")]
    Registry {
        /// The file.
        path: PathBuf,
        /// Why.
        source: RegistryError,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    tool: Vec<ToolSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolSpec {
    name: String,
    description: String,
    #[serde(default)]
    title: Option<String>,
    grant: Grant,
    #[serde(default)]
    parameters: Option<Vec<ToolParameter>>,
    #[serde(default)]
    input_schema: Option<JsonObject>,
    #[serde(default)]
    annotations: Option<AnnotationSpec>,
    request: RequestSpec,
    #[serde(default)]
    response: ResponseSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnotationSpec {
    read_only: Option<bool>,
    destructive: Option<bool>,
    idempotent: Option<bool>,
    open_world: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestSpec {
    #[serde(default = "default_method")]
    method: String,
    url: String,
    #[serde(default)]
    query: BTreeMap<String, String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<Value>,
}

fn default_method() -> String {
    "GET".to_owned()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseSpec {
    #[serde(default)]
    pointer: Option<String>,
    #[serde(default)]
    max_bytes: Option<usize>,
}

/// A tool declared in TOML: a request template filled in from the checked arguments.
#[derive(Debug)]
pub struct DeclarativeTool {
    tool: Tool,
    grant: Grant,
    method: Method,
    url: UrlTemplate,
    query: Vec<(String, TextTemplate)>,
    headers: Vec<(HeaderName, TextTemplate)>,
    body: Option<Value>,
    pointer: Option<String>,
    max_bytes: usize,
}

/// Reads and checks a direct tools file.
pub fn load_file(path: &Path) -> Result<Vec<Arc<dyn DirectTool>>, DirectConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| DirectConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path)
}

/// Parses and checks the text of a direct tools file (`path` names it in errors).
pub fn parse(text: &str, path: &Path) -> Result<Vec<Arc<dyn DirectTool>>, DirectConfigError> {
    let file: File = toml::from_str(text).map_err(|e| DirectConfigError::Parse {
        path: path.to_owned(),
        line: e
            .span()
            .map(|span| line_of(text, span.start))
            .unwrap_or_default(),
        message: e.message().split_whitespace().collect::<Vec<_>>().join(" "),
    })?;
    if file.tool.is_empty() {
        return Err(DirectConfigError::Empty(path.to_owned()));
    }
    let mut seen = BTreeSet::new();
    let mut tools: Vec<Arc<dyn DirectTool>> = Vec::new();
    for spec in file.tool {
        if !seen.insert(spec.name.clone()) {
            return Err(DirectConfigError::Registry {
                path: path.to_owned(),
                source: RegistryError::Duplicate(spec.name),
            });
        }
        let name = spec.name.clone();
        let tool = DeclarativeTool::from_spec(spec).map_err(|fault| DirectConfigError::Tool {
            path: path.to_owned(),
            tool: name,
            fault,
        })?;
        tools.push(Arc::new(tool));
    }
    Ok(tools)
}

impl DeclarativeTool {
    fn from_spec(spec: ToolSpec) -> Result<Self, String> {
        let schema = match (spec.parameters, spec.input_schema) {
            (Some(_), Some(_)) => {
                return Err("declare either `parameters` or `input_schema`, not both".into());
            }
            (Some(parameters), None) => input_schema(&parameters),
            (None, Some(schema)) => schema,
            (None, None) => input_schema(&[]),
        };
        let properties: BTreeSet<&str> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let known = |place: &str, name: &str| {
            if properties.contains(name) {
                Ok(())
            } else {
                Err(format!(
                    "{place} uses the placeholder `{{{name}}}` but the tool has no parameter `{name}`; \
                     declare it or fix the placeholder"
                ))
            }
        };

        let request = spec.request;
        let url = UrlTemplate::parse(&request.url).map_err(|e| e.to_string())?;
        for name in url.placeholders() {
            known("the url", name)?;
            if !required.contains(name) {
                return Err(format!(
                    "the url uses `{{{name}}}` but parameter `{name}` is optional; a path parameter must be required"
                ));
            }
        }
        let method = Method::from_bytes(request.method.trim().to_ascii_uppercase().as_bytes())
            .ok()
            .filter(|m| {
                [
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ]
                .contains(m)
            })
            .ok_or_else(|| {
                format!(
                    "method `{}` is not one of GET, POST, PUT, PATCH, DELETE",
                    request.method
                )
            })?;
        let template = |place: String, text: &str| {
            let t = TextTemplate::parse(text)
                .ok_or_else(|| format!("{place} `{text}` has an unclosed or empty placeholder"))?;
            t.placeholders().iter().try_for_each(|n| known(&place, n))?;
            Ok::<_, String>(t)
        };
        let query = request
            .query
            .iter()
            .map(|(key, value)| {
                Ok((
                    key.clone(),
                    template(format!("query parameter `{key}`"), value)?,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let headers = request
            .headers
            .iter()
            .map(|(key, value)| {
                let name = HeaderName::from_bytes(key.as_bytes())
                    .map_err(|_| format!("`{key}` is not a valid header name"))?;
                if name == AUTHORIZATION {
                    return Err(
                        "do not set the Authorization header: the gateway sends the user's token"
                            .into(),
                    );
                }
                if routes_the_request(&name) {
                    return Err(format!(
                        "do not set the `{key}` header: it decides where or how the request \
                         travels (and so where the user's token goes); put the host in the URL \
                         and let the HTTP client frame the request"
                    ));
                }
                Ok((name, template(format!("header `{key}`"), value)?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        if let Some(body) = &request.body {
            body_strings(body)
                .into_iter()
                .try_for_each(|text| template("the body".into(), text).map(drop))?;
        }
        let pointer = spec.response.pointer.filter(|p| !p.is_empty());
        if let Some(p) = &pointer
            && !p.starts_with('/')
        {
            return Err(format!(
                "response pointer `{p}` is not a JSON Pointer: it must start with `/`, e.g. \"/messages\""
            ));
        }
        let max_bytes = spec
            .response
            .max_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        if max_bytes == 0 {
            return Err("response max_bytes must be at least 1".into());
        }
        if spec.grant.provider_id.trim().is_empty() {
            return Err("grant.provider_id must name the provider, e.g. \"google\"".into());
        }

        let mut tool =
            Tool::new_with_raw(spec.name, Some(spec.description.into()), Arc::new(schema));
        if let Some(a) = spec.annotations {
            tool = tool.with_annotations(ToolAnnotations::from_raw(
                spec.title.clone(),
                a.read_only,
                a.destructive,
                a.idempotent,
                a.open_world,
            ));
        }
        if let Some(title) = spec.title {
            tool = tool.with_title(title);
        }
        Ok(Self {
            tool,
            grant: spec.grant,
            method,
            url,
            query,
            headers,
            body: request.body,
            pointer,
            max_bytes,
        })
    }

    /// The URL's path for these arguments; refused values are found here.
    fn url(&self, arguments: &JsonObject) -> Result<url::Url, ProviderError> {
        self.url
            .render(|name| argument_text(arguments, name))
            .map_err(|e| ProviderError::BadRequest(e.to_string()))
    }

    fn request(
        &self,
        context: &ToolContext,
        arguments: &JsonObject,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        let value = |name: &str| argument_text(arguments, name);
        let mut url = self.url(arguments)?;
        let pairs: Vec<(&str, String)> = self
            .query
            .iter()
            .filter_map(|(key, t)| Some((key.as_str(), t.render(value)?)))
            .collect();
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        let mut request = context.http.request(self.method.clone(), url);
        for (name, t) in &self.headers {
            let Some(text) = t.render(value) else {
                continue;
            };
            let header = HeaderValue::from_str(&text).map_err(|_| {
                ProviderError::BadRequest(format!(
                    "the arguments make header `{name}` invalid (no line breaks or control characters)"
                ))
            })?;
            request = request.header(name, header);
        }
        if let Some(body) = &self.body {
            request = request.json(&fill_body(body, arguments));
        }
        Ok(request)
    }
}

impl DirectTool for DeclarativeTool {
    fn tool(&self) -> Tool {
        self.tool.clone()
    }

    fn grant(&self) -> &Grant {
        &self.grant
    }

    fn check(&self, arguments: &JsonObject) -> Result<(), ProviderError> {
        self.url(arguments).map(drop)
    }

    fn call<'a>(
        &'a self,
        context: &'a ToolContext,
        arguments: &'a JsonObject,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let request = self.request(context, arguments)?;
            let capped = ToolContext {
                max_response_bytes: self.max_bytes,
                ..context.clone()
            };
            let answer = capped.send_json(request).await?;
            match &self.pointer {
                None => Ok(answer),
                Some(pointer) => answer.pointer(pointer).cloned().ok_or_else(|| {
                    ProviderError::BadResponse(format!("the answer has nothing at `{pointer}`"))
                }),
            }
        })
    }
}

/// ` (line N: `the line`)` for an error at byte `at`, the line cut at 80 characters.
fn line_of(text: &str, at: usize) -> String {
    let number = text[..at].matches('\n').count() + 1;
    let line = text.lines().nth(number - 1).unwrap_or_default().trim();
    let shown: String = line.chars().take(80).collect();
    format!(" (line {number}: `{shown}`)")
}

/// The argument `name` as text, if given and not `null`.
fn argument_text(arguments: &JsonObject, name: &str) -> Option<String> {
    arguments.get(name).filter(|v| !v.is_null()).map(as_text)
}

/// An argument as text: strings as they are, anything else as compact JSON.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every string of a body template.
fn body_strings(body: &Value) -> Vec<&str> {
    match body {
        Value::String(s) => vec![s],
        Value::Array(items) => items.iter().flat_map(body_strings).collect(),
        Value::Object(map) => map.values().flat_map(body_strings).collect(),
        _ => Vec::new(),
    }
}

/// The body for these arguments: `"{p}"` takes p's value (typed), other strings are
/// filled in; an object field whose argument is absent is left out (`null` elsewhere).
fn fill_body(template: &Value, arguments: &JsonObject) -> Value {
    fill(template, arguments).unwrap_or(Value::Null)
}

fn fill(template: &Value, arguments: &JsonObject) -> Option<Value> {
    let value = |name: &str| arguments.get(name).filter(|v| !v.is_null());
    match template {
        Value::String(text) => {
            let t = TextTemplate::parse(text)?;
            match t.sole_placeholder() {
                Some(name) => value(name).cloned(),
                None => t.render(|name| value(name).map(as_text)).map(Value::String),
            }
        }
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .map(|item| fill(item, arguments).unwrap_or(Value::Null))
                .collect(),
        )),
        Value::Object(map) => Some(Value::Object(
            map.iter()
                .filter_map(|(key, item)| Some((key.clone(), fill(item, arguments)?)))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

/// Whether a header decides where a request goes or how it is framed (`Host`, the
/// hop-by-hop headers, the proxy and forwarding headers): a template naming one could
/// send the user's token to a host of the caller's choosing, or smuggle a request.
fn routes_the_request(name: &HeaderName) -> bool {
    let name = name.as_str();
    matches!(
        name,
        "host"
            | "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "content-length"
            | "upgrade"
            | "te"
            | "trailer"
            | "forwarded"
    ) || name.starts_with("proxy-")
        || name.starts_with("x-forwarded-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fault(toml: &str) -> String {
        match parse(toml, Path::new("t.toml")) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {toml}"),
        }
    }

    const HEAD: &str = r#"
[[tool]]
name = "T"
description = "d"
grant = { provider_id = "google", scopes = ["s"] }
"#;

    #[test]
    fn faults_name_the_tool_and_the_fault() {
        let cases = [
            (
                "request = { url = \"https://a.example/{nope}\" }",
                "no parameter `nope`",
            ),
            (
                "request = { url = \"ftp://a.example/x\" }",
                "must use https",
            ),
            ("request = { url = \"http://a.example/x\" }", "loopback"),
            (
                "request = { url = \"https://{host}/x\" }",
                "scheme, host and port must be fixed",
            ),
            (
                "request = { url = \"https://a.example/x\", method = \"TRACE\" }",
                "not one of GET",
            ),
            (
                "request = { url = \"https://a.example/x\", headers = { Authorization = \"x\" } }",
                "Authorization",
            ),
            (
                "request = { url = \"https://a.example/x\", headers = { Host = \"evil.example\" } }",
                "do not set the `Host` header",
            ),
            (
                "request = { url = \"https://a.example/x\", headers = { X-Forwarded-Host = \"e\" } }",
                "do not set the `X-Forwarded-Host` header",
            ),
            (
                "request = { url = \"https://a.example/x\", headers = { Transfer-Encoding = \"chunked\" } }",
                "Transfer-Encoding",
            ),
            (
                "request = { url = \"https://a.example/x\", query = { q = \"{q}\" } }",
                "no parameter `q`",
            ),
            (
                "request = { url = \"https://a.example/x\" }\nresponse = { pointer = \"messages\" }",
                "JSON Pointer",
            ),
            (
                "parameters = [{ name = \"id\", value_schema = { val_type = \"string\" } }]\n\
                 request = { url = \"https://a.example/{id}\" }",
                "must be required",
            ),
        ];
        for (tail, expected) in cases {
            let message = fault(&format!("{HEAD}{tail}\n"));
            assert!(message.contains("tool `T`"), "{message}");
            assert!(message.contains(expected), "{expected}: {message}");
            assert!(!message.contains('\n'), "one line: {message}");
        }
    }

    #[test]
    fn duplicates_unknown_keys_and_empty_files_are_refused() {
        let one = format!("{HEAD}request = {{ url = \"https://a.example/x\" }}\n");
        assert!(fault(&format!("{one}{one}")).contains("defined twice"));
        assert!(fault("").contains("defines no tools"));
        let message = fault(&format!("{one}colour = 1\n"));
        assert!(
            message.contains("line") && message.contains("colour"),
            "{message}"
        );
    }

    #[test]
    fn the_example_file_is_valid() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/direct-tools.toml"
        ));
        let tools = load_file(path).unwrap();
        let names: Vec<String> = tools.iter().map(|t| t.tool().name.to_string()).collect();
        assert_eq!(
            names,
            [
                "Gmail_ListMyMessages",
                "Gmail_GetMyMessage",
                "GitHub_ListMyRepos"
            ]
        );
        assert_eq!(tools[2].grant(), &Grant::new("github", &["repo"]));
    }

    #[test]
    fn bodies_take_typed_values_and_leave_out_absent_ones() {
        let template = json!({"n": "{n}", "label": "x-{name}", "gone": "{absent}", "fixed": 1});
        let arguments = json!({"n": 3, "name": "ann"});
        assert_eq!(
            fill_body(&template, arguments.as_object().unwrap()),
            json!({"n": 3, "label": "x-ann", "fixed": 1})
        );
    }
}
