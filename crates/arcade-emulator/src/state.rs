//! [`EmulatorState`]: everything a running emulator holds, shared by its handlers and
//! open to tests (counters, fault and style switches).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;

use axum::http::{HeaderMap, header};
use serde::Serialize;

use super::catalog::{Catalog, CatalogTool};
use super::faults::{FaultInjector, Faults};
use super::grants::{Ask, Grants};
use super::options::AuthRequiredStyle;
use arcade_types::{AuthStatus, ToolDefinition};

/// A handle on a running emulator's state; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct EmulatorState {
    shared: Arc<Shared>,
}

struct Shared {
    api_key: Mutex<String>,
    catalog: Catalog,
    grants: Grants,
    faults: FaultInjector,
    style: Mutex<AuthRequiredStyle>,
    requests: Mutex<HashMap<&'static str, u64>>,
    abandoned: Mutex<HashMap<&'static str, u64>>,
    executions: Mutex<HashMap<(String, String), Runs>>,
    traceparents: Mutex<HashMap<&'static str, String>>,
    /// The `tool_version` of the last execute or authorize of each tool (by name in
    /// lower case; `None` when it was not pinned).
    pinned: Mutex<HashMap<String, Option<String>>>,
}

/// The counters and settings `GET /_emulator/stats` shows.
#[derive(Debug, Serialize)]
pub struct Stats {
    /// Tools served.
    pub tools: usize,
    /// Requests seen per endpoint key.
    pub requests: BTreeMap<String, u64>,
    /// Requests per endpoint key whose client went away before the answer was ready.
    pub abandoned: BTreeMap<String, u64>,
    /// Runs per tool, then per user.
    pub executions: BTreeMap<String, BTreeMap<String, u64>>,
    /// The last W3C `traceparent` header per endpoint key, to check that a caller
    /// passes its trace on.
    pub traceparents: BTreeMap<String, String>,
    /// The faults in force.
    pub faults: Faults,
    /// How execute says "authorization required".
    pub auth_required_style: AuthRequiredStyle,
}

impl EmulatorState {
    /// The state of a new emulator whose authorization pages live under `url_base`.
    pub(super) fn new(
        api_key: String,
        catalog: Catalog,
        faults: Faults,
        style: AuthRequiredStyle,
        url_base: &str,
        user_verifier_url: Option<String>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                api_key: Mutex::new(api_key),
                catalog,
                grants: Grants::new(url_base).with_user_verifier(user_verifier_url),
                faults: FaultInjector::new(faults),
                style: Mutex::new(style),
                requests: Mutex::default(),
                abandoned: Mutex::default(),
                executions: Mutex::default(),
                traceparents: Mutex::default(),
                pinned: Mutex::default(),
            }),
        }
    }

    /// The `tool_version` the last execute or authorize of `tool` was pinned to:
    /// `Some(None)` when it was sent without one, `None` when none was sent.
    pub fn last_pinned_version(&self, tool: &str) -> Option<Option<String>> {
        let pinned = self.shared.pinned.lock();
        pinned.get(&tool.to_lowercase()).cloned()
    }

    /// Notes which version an execute or authorize of `tool` was pinned to.
    pub(super) fn note_pinned_version(&self, tool: &str, version: Option<&str>) {
        let mut pinned = self.shared.pinned.lock();
        pinned.insert(tool.to_lowercase(), version.map(str::to_owned));
    }

    /// How many times `tool` actually ran for `user` (a 403, a fault that stopped the
    /// request or rejected input does not count), so tests can prove a side-effecting
    /// call was never sent twice.
    pub fn executions(&self, tool: &str, user: &str) -> u64 {
        self.runs(tool, user).map_or(0, |runs| runs.count)
    }

    /// The execution id the last run of `tool` for `user` answered with: what the
    /// gateway's audit log must show for it.
    pub fn last_execution_id(&self, tool: &str, user: &str) -> Option<String> {
        self.runs(tool, user).map(|runs| runs.last_execution_id)
    }

    fn runs(&self, tool: &str, user: &str) -> Option<Runs> {
        let found = self.shared.catalog.get(tool, None)?;
        let key = (found.definition.qualified_name.clone(), user.to_owned());
        self.shared.executions.lock().get(&key).cloned()
    }

    /// How many requests reached `endpoint` (`execute`, `tools.list`, `auth.status`, …),
    /// whatever their answer.
    pub fn requests(&self, endpoint: &str) -> u64 {
        self.shared
            .requests
            .lock()
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// The `traceparent` header of the last request to `endpoint` that carried one.
    pub fn last_traceparent(&self, endpoint: &str) -> Option<String> {
        self.shared.traceparents.lock().get(endpoint).cloned()
    }

    /// How many requests to `endpoint` were abandoned: their handling was dropped
    /// before the answer was ready because the client closed the connection. Shows
    /// that a client that gives up also stops the work it asked for.
    pub fn abandoned(&self, endpoint: &str) -> u64 {
        self.shared
            .abandoned
            .lock()
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// How many `auth/status?wait=` long-polls are open on the authorization `id`
    /// (see [`Grants::waiters`]).
    pub fn auth_waiters(&self, id: &str) -> usize {
        self.grants().waiters(id)
    }

    /// Replaces the injected faults and restarts their counter. Shares outside [0, 1]
    /// act as 0 or 1.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.faults.set(faults);
    }

    /// Changes how execute says "authorization required".
    pub fn set_auth_required_style(&self, style: AuthRequiredStyle) {
        *self.shared.style.lock() = style;
    }

    pub(super) fn auth_required_style(&self) -> AuthRequiredStyle {
        *self.shared.style.lock()
    }

    pub(super) fn catalog(&self) -> &Catalog {
        &self.shared.catalog
    }

    pub(super) fn grants(&self) -> &Grants {
        &self.shared.grants
    }

    /// The key the emulator accepts now.
    pub fn api_key(&self) -> String {
        self.shared.api_key.lock().clone()
    }

    /// Rotates the accepted key, so tests can see how a client meets a revoked key.
    pub fn set_api_key(&self, key: &str) {
        *self.shared.api_key.lock() = key.to_owned();
    }

    pub(super) fn faults(&self) -> &FaultInjector {
        &self.shared.faults
    }

    /// Whether the request carries the API key, as `Bearer <key>` or bare.
    pub(super) fn key_ok(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let value = value.trim();
        let key = match value.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => value,
        };
        *key == *self.api_key()
    }

    /// Keeps the request's `traceparent`, if it has one, as the last for `endpoint`.
    pub(super) fn note_traceparent(&self, endpoint: &'static str, headers: &HeaderMap) {
        if let Some(value) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
            self.shared
                .traceparents
                .lock()
                .insert(endpoint, value.to_owned());
        }
    }

    pub(super) fn count_request(&self, endpoint: &'static str) {
        *self.shared.requests.lock().entry(endpoint).or_default() += 1;
    }

    /// A guard counting the request to `endpoint` as abandoned unless
    /// [`Unfinished::finish`] is called before it is dropped.
    pub(super) fn unfinished(&self, endpoint: &'static str) -> Unfinished {
        Unfinished {
            state: self.clone(),
            endpoint: Some(endpoint),
        }
    }

    /// Counts one run of `tool` for `user`: its number (1 for the first) and the
    /// execution id its answer carries.
    pub(super) fn record_execution(&self, tool: &str, user: &str) -> Run {
        let mut executions = self.shared.executions.lock();
        let runs = executions
            .entry((tool.to_owned(), user.to_owned()))
            .or_default();
        runs.count += 1;
        runs.last_execution_id = format!("tc_{}", uuid::Uuid::new_v4().simple());
        Run {
            number: runs.count,
            execution_id: runs.last_execution_id.clone(),
        }
    }

    /// The grant `tool` needs from `user`, if any.
    pub(super) fn ask_for(tool: &ToolDefinition, user: &str) -> Option<Ask> {
        let requirement = tool.auth_requirement()?;
        let provider = requirement
            .provider_id
            .as_deref()
            .or(requirement.id.as_deref())?;
        Some(Ask::new(user, provider, requirement.scopes()))
    }

    /// A tool as listings show it: verbatim where it came so, else its definition with
    /// `user`'s grant status when asked.
    pub(super) fn listed(&self, tool: &CatalogTool, user: Option<&str>) -> serde_json::Value {
        match &tool.listed {
            Some(listed) => listed.clone(),
            None => {
                serde_json::to_value(self.describe(tool, user)).expect("a definition serializes")
            }
        }
    }

    /// A tool's definition as listed, with `user`'s grant status when asked.
    pub(super) fn describe(&self, tool: &CatalogTool, user: Option<&str>) -> ToolDefinition {
        let mut definition = tool.definition.clone();
        let Some(user) = user else { return definition };
        let status = Self::ask_for(&definition, user).map(|ask| self.grants().token_status(&ask));
        let requirements = definition.requirements.get_or_insert_default();
        requirements.met = Some(status.is_none_or(|s| s == AuthStatus::Completed));
        if let (Some(status), Some(auth)) = (status, requirements.authorization.as_mut()) {
            auth.token_status = Some(status);
        }
        definition
    }

    pub(super) fn stats(&self) -> Stats {
        let requests = self.shared.requests.lock();
        let mut executions: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for ((tool, user), runs) in self.shared.executions.lock().iter() {
            executions
                .entry(tool.clone())
                .or_default()
                .insert(user.clone(), runs.count);
        }
        let abandoned = self.shared.abandoned.lock();
        let traceparents = self.shared.traceparents.lock();
        Stats {
            tools: self.shared.catalog.tool_count(),
            requests: requests.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            abandoned: abandoned.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            executions,
            traceparents: traceparents
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            faults: self.shared.faults.get(),
            auth_required_style: self.auth_required_style(),
        }
    }
}

/// The runs of one tool for one user.
#[derive(Debug, Clone, Default)]
struct Runs {
    count: u64,
    last_execution_id: String,
}

/// One recorded run of a tool.
pub(super) struct Run {
    /// 1 for the user's first run of the tool.
    pub number: u64,
    /// The id its execute answer carries.
    pub execution_id: String,
}

/// A request being handled; dropped without [`Unfinished::finish`] (its future was
/// dropped because the client went away), it counts as abandoned.
pub(super) struct Unfinished {
    state: EmulatorState,
    endpoint: Option<&'static str>,
}

impl Unfinished {
    /// The answer is ready: nothing was abandoned.
    pub(super) fn finish(mut self) {
        self.endpoint = None;
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(endpoint) = self.endpoint {
            *self
                .state
                .shared
                .abandoned
                .lock()
                .entry(endpoint)
                .or_default() += 1;
        }
    }
}
