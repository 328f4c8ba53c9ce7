//! `doctor`: whether this machine is ready to serve, one finding a line, each with what
//! to do: the engine, the key, the user, the catalog, the user's grants, the catalog
//! cache, over HTTP the user verifier the setup needs (and, with `--user-verifier`,
//! whether it answers), and the MCP clients configured to launch this server. It reads only: it
//! loads the catalog and lists the user's grants, and starts no authorization.
//!
//! Its output is pasted into issues and chats, so it never shows a secret: the values of
//! secret flags in a client's entry and the password of any URL are shown as `***`.

use std::path::Path;
use std::time::{Instant, SystemTime};

use crate::arcade::{ArcadeClient, ToolsQuery};
use crate::catalog::UnmetRequirement;
use crate::catalog::cache::CatalogCache;
use crate::config::{Engine, ServeConfig, TransportConfig};
use crate::identity::IdentityConfig;
use crate::startup::{Prepared, StartError};
use crate::transport::http::HttpSettings;
use mcp_client_config::{Client, Homes, Installed};

/// How a finding reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// All is well.
    Good,
    /// Something to fix before serving.
    Problem,
    /// Worth knowing, nothing to fix.
    Note,
}

/// One finding: what was looked at, how it is, and what to do.
#[derive(Debug, Clone)]
pub struct Finding {
    /// How it reads.
    pub status: Status,
    /// What was looked at (`engine`, `key`, …).
    pub topic: String,
    /// What was found, and what to do about it.
    pub detail: String,
}

impl Finding {
    /// A finding about `topic`; any URL's password in `detail` is hidden.
    pub fn new(status: Status, topic: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status,
            topic: topic.into(),
            detail: without_url_passwords(&detail.into()),
        }
    }
}

/// What stands for a secret in the output.
const HIDDEN: &str = "***";

/// The flags of `serve` whose value is a secret.
const SECRET_FLAGS: [&str; 3] = ["--api-key", "--request-state-key", "--redis-url"];

/// `text` with the password of each URL in it (`scheme://user:password@host`) hidden.
fn without_url_passwords(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        shown.push_str(before);
        let authority_end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@').and_then(|at| {
            let user_info = &authority[..at];
            user_info.find(':').map(|colon| (colon, at))
        }) {
            Some((colon, at)) => {
                shown.push_str(&authority[..=colon]);
                shown.push_str(HIDDEN);
                shown.push_str(&authority[at..]);
            }
            None => shown.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    shown.push_str(rest);
    shown
}

/// A client entry's arguments as `doctor` shows them, secret flags' values hidden.
fn shown_args(args: &[String]) -> String {
    let mut shown = Vec::with_capacity(args.len());
    let mut secret_next = false;
    for arg in args {
        if std::mem::take(&mut secret_next) {
            shown.push(HIDDEN.to_owned());
            continue;
        }
        match arg.split_once('=') {
            Some((flag, _)) if SECRET_FLAGS.contains(&flag) => {
                shown.push(format!("{flag}={HIDDEN}"));
            }
            _ => {
                secret_next = SECRET_FLAGS.contains(&arg.as_str());
                shown.push(arg.clone());
            }
        }
    }
    shown.join(" ")
}

/// The secret values among a client entry's arguments.
fn secret_values(args: &[String]) -> Vec<&str> {
    let mut values = Vec::new();
    for (n, arg) in args.iter().enumerate() {
        match arg.split_once('=') {
            Some((flag, value)) if SECRET_FLAGS.contains(&flag) => values.push(value),
            _ if SECRET_FLAGS.contains(&arg.as_str()) => {
                values.extend(args.get(n + 1).map(String::as_str));
            }
            _ => {}
        }
    }
    values.retain(|value| !value.is_empty());
    values
}

/// Examines the engine, the key, the user, the catalog, the user's grants and the
/// catalog cache for `config`.
pub async fn examine(config: &ServeConfig) -> Vec<Finding> {
    let mut findings = Vec::new();
    let prepared = match Prepared::new(&config.source, None).await {
        Ok(prepared) => prepared,
        Err(error) => {
            findings.push(start_failure(&error));
            return findings;
        }
    };
    let arcade = &prepared.arcade;
    findings.push(engine(arcade).await);
    findings.push(key(arcade).await);
    findings.push(catalog(config, &prepared));
    findings.extend(unmet_requirements(&prepared));
    match &config.transport {
        TransportConfig::Stdio { user } => {
            findings.push(Finding::new(Status::Good, "user", user.as_str()));
            findings.push(connections(arcade, user.as_str()).await);
        }
        TransportConfig::Http(settings) => findings.push(user_verifier(settings).await),
    }
    findings.push(cache(config, arcade));
    findings
}

/// Which user verifier the setup needs (Arcade's default one accepts only project
/// members whose Arcade email is the user id), and, with `--user-verifier`, whether
/// the route answers on the public URL as the gateway's own page.
async fn user_verifier(settings: &HttpSettings) -> Finding {
    const TOPIC: &str = "user verifier";
    let Some(verifier) = &settings.user_verifier else {
        let detail = match settings.identity {
            IdentityConfig::Fixed(_) => {
                "Arcade's default (the person signs in to Arcade; the user id must be their \
                 Arcade account's email); for many users, serve with --user-verifier"
            }
            IdentityConfig::BearerTokens { .. } => {
                "Arcade's default, which accepts only project members whose Arcade email is \
                 the user id; bearer tokens cannot identify a browser, so for a team use \
                 --oauth-issuer or --trust-user-header with --user-verifier"
            }
            _ => {
                "Arcade's default, which accepts only project members whose Arcade email is \
                 the user id; for a team, add --user-verifier and enter \
                 https://<public host>/arcade/verify as the custom verifier in Arcade's dashboard"
            }
        };
        return Finding::new(Status::Note, TOPIC, detail);
    };
    let url = &verifier.url;
    let probe = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string());
    let answer = match probe {
        Ok(client) => client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| e.to_string()),
        Err(error) => Err(error),
    };
    match answer {
        Ok(response) if is_verifier_page(&response) => Finding::new(
            Status::Good,
            TOPIC,
            format!(
                "this gateway's, answering at {url}; enter that URL as the custom verifier \
                 in Arcade's dashboard (Auth > Settings)"
            ),
        ),
        Ok(response) => Finding::new(
            Status::Problem,
            TOPIC,
            format!(
                "{url} answered HTTP {} but not with the gateway's verifier page: check that \
                 the gateway serves there with --user-verifier and that a proxy in front \
                 forwards /arcade/verify",
                response.status().as_u16()
            ),
        ),
        Err(error) => Finding::new(
            Status::Problem,
            TOPIC,
            format!(
                "{url} does not answer ({error}): start the gateway with --user-verifier, \
                 and check --public-url is where browsers reach it"
            ),
        ),
    }
}

/// Whether `response` is the verifier's answer to a link without a flow: its page,
/// under its strict policy.
fn is_verifier_page(response: &reqwest::Response) -> bool {
    let policy = response
        .headers()
        .get(reqwest::header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok());
    response.status() == reqwest::StatusCode::BAD_REQUEST
        && policy.is_some_and(|p| p.starts_with("default-src 'none'"))
}

/// What a failed start says about the engine and the key.
fn start_failure(error: &StartError) -> Finding {
    let topic = match error {
        StartError::Load(crate::catalog::loader::LoadError::Arcade(arcade)) => match arcade {
            e if e.is_unreachable() => "engine",
            crate::arcade::ArcadeError::Unauthorized { .. }
            | crate::arcade::ArcadeError::BadApiKey => "key",
            _ => "engine",
        },
        StartError::Load(_) => "catalog",
        _ => "start-up",
    };
    Finding::new(Status::Problem, topic, error.to_string())
}

async fn engine(arcade: &ArcadeClient) -> Finding {
    let started = Instant::now();
    match arcade.health().await {
        Ok(health) if !health.healthy => Finding::new(
            Status::Problem,
            "engine",
            format!(
                "{} reports itself unhealthy: {}; calls may fail until it recovers",
                arcade.base_url(),
                health.reason.as_deref().unwrap_or("no reason given")
            ),
        ),
        Ok(_) => Finding::new(
            Status::Good,
            "engine",
            format!(
                "{} answers (health check in {} ms)",
                arcade.base_url(),
                started.elapsed().as_millis()
            ),
        ),
        Err(error) => Finding::new(Status::Problem, "engine", error.to_string()),
    }
}

/// The key, checked with a request that needs one (the health check does not).
async fn key(arcade: &ArcadeClient) -> Finding {
    let one_tool = ToolsQuery {
        limit: 1,
        ..ToolsQuery::default()
    };
    match arcade.list_tools(&one_tool).await {
        Ok(_) => Finding::new(Status::Good, "key", "accepted: it can list tools"),
        Err(error) => Finding::new(Status::Problem, "key", error.to_string()),
    }
}

/// The served tools that cannot run until a project admin acts (a secret not set, an
/// inactive provider), one finding listing them.
fn unmet_requirements(prepared: &Prepared) -> Option<Finding> {
    let catalog = prepared.catalog.current();
    let blocked: Vec<String> = catalog
        .iter()
        .filter(|entry| !entry.unmet_requirements().is_empty())
        .map(|entry| {
            let what: Vec<String> = (entry.unmet_requirements().iter())
                .map(UnmetRequirement::describe)
                .collect();
            format!("{} ({})", entry.qualified_name(), what.join("; "))
        })
        .collect();
    if blocked.is_empty() {
        return None;
    }
    Some(Finding::new(
        Status::Problem,
        "requirements",
        format!(
            "{} tools cannot run until a project admin fixes them in Arcade: {}",
            blocked.len(),
            blocked.join(", ")
        ),
    ))
}

fn catalog(config: &ServeConfig, prepared: &Prepared) -> Finding {
    let catalog = prepared.catalog.current();
    let mut toolkits: Vec<&str> = catalog
        .iter()
        .map(|e| e.qualified_name().split('.').next().unwrap_or(""))
        .collect();
    toolkits.sort_unstable();
    toolkits.dedup();
    let served = if config.listing.discovery.discovers(catalog.len()) {
        "clients get search_tools, describe_tools and call_tool (discovery)"
    } else {
        "clients get every tool listed"
    };
    let status = if catalog.is_empty() {
        Status::Problem
    } else {
        Status::Good
    };
    Finding::new(
        status,
        "catalog",
        format!(
            "{} tools in {} toolkits; {served}",
            catalog.len(),
            toolkits.len()
        ),
    )
}

async fn connections(arcade: &ArcadeClient, user: &str) -> Finding {
    match arcade.list_user_connections(Some(user), None).await {
        Ok(connections) => {
            let granted: Vec<String> = connections
                .iter()
                .filter(|c| c.user_id.as_deref().is_none_or(|u| u == user))
                .map(|c| {
                    let scopes = c.scopes.as_ref().map_or(0, Vec::len);
                    let provider = c.provider_id.as_deref().unwrap_or("a provider");
                    format!("{provider} ({scopes} scopes)")
                })
                .collect();
            let detail = if granted.is_empty() {
                "none yet: the first call of a tool that needs one gives its link".to_owned()
            } else {
                format!("granted: {}", granted.join(", "))
            };
            Finding::new(Status::Good, "connections", detail)
        }
        Err(error) => Finding::new(Status::Problem, "connections", error.to_string()),
    }
}

fn cache(config: &ServeConfig, arcade: &ArcadeClient) -> Finding {
    if !matches!(config.source.engine, Engine::Arcade(_)) {
        return Finding::new(
            Status::Note,
            "catalog cache",
            "not used with the built-in emulator, whose address changes at every start",
        );
    }
    let Some(dir) = &config.catalog_cache else {
        return Finding::new(
            Status::Note,
            "catalog cache",
            "off (--no-catalog-cache): every start waits for the catalog",
        );
    };
    let cache = CatalogCache::new(dir, arcade.base_url().as_str(), &config.source.filter);
    let age = std::fs::metadata(cache.path())
        .and_then(|m| m.modified())
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok());
    match age {
        Some(age) => Finding::new(
            Status::Good,
            "catalog cache",
            format!(
                "{} ({} min old): the next start serves it at once",
                cache.path().display(),
                age.as_secs() / 60
            ),
        ),
        None => Finding::new(
            Status::Note,
            "catalog cache",
            format!(
                "none yet at {}: the first `serve` writes it",
                cache.path().display()
            ),
        ),
    }
}

/// How each MCP client of this machine launches this server: for each client whose
/// user config file holds the entry `name`, whether its command is there and its
/// flags parse (by `flags_parse`, the command line's own parser). A client without
/// the entry is a note, not a problem.
pub fn clients(
    homes: &Homes,
    name: &str,
    flags_parse: impl Fn(&[String]) -> Result<(), String>,
) -> Vec<Finding> {
    Client::ALL
        .iter()
        .map(|&client| match client.installed(homes, name) {
            Ok(Some(installed)) => installed_entry(client, &installed, &flags_parse),
            Ok(None) => Finding::new(
                Status::Note,
                client.name(),
                format!("no `{name}` entry (`arcade-mcp-gateway configure {client}` writes one)"),
            ),
            Err(error) => Finding::new(Status::Problem, client.name(), error.to_string()),
        })
        .collect()
}

fn installed_entry(
    client: Client,
    installed: &Installed,
    flags_parse: impl Fn(&[String]) -> Result<(), String>,
) -> Finding {
    let file = installed.path.display();
    let fix = format!("run `arcade-mcp-gateway configure {client} --force`");
    if !Path::new(&installed.command).is_file() {
        return Finding::new(
            Status::Problem,
            client.name(),
            format!(
                "{file} launches {}, which does not exist; {fix}",
                installed.command
            ),
        );
    }
    match flags_parse(&installed.args) {
        Ok(()) => Finding::new(
            Status::Good,
            client.name(),
            format!(
                "{file} launches {} {}",
                installed.command,
                shown_args(&installed.args)
            ),
        ),
        Err(problem) => {
            let problem = secret_values(&installed.args)
                .into_iter()
                .fold(problem, |problem, secret| problem.replace(secret, HIDDEN));
            Finding::new(
                Status::Problem,
                client.name(),
                format!("{file}: its flags do not parse ({problem}); {fix}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_hidden_wherever_they_are() {
        assert_eq!(
            without_url_passwords("https://ann:pw@host:8/p and redis://:s3@r/0, http://h/x@y"),
            "https://ann:***@host:8/p and redis://:***@r/0, http://h/x@y"
        );
        assert_eq!(without_url_passwords("no url here"), "no url here");
    }

    #[test]
    fn secret_flags_are_shown_without_their_values() {
        let args: Vec<String> = [
            "serve",
            "--api-key",
            "k1",
            "--request-state-key=k2",
            "--toolkit",
            "Gmail",
        ]
        .map(str::to_owned)
        .into();
        assert_eq!(
            shown_args(&args),
            "serve --api-key *** --request-state-key=*** --toolkit Gmail"
        );
        assert_eq!(secret_values(&args), ["k1", "k2"]);
    }
}
