//! [`ArcadeClient`]: one pooled HTTP client for every endpoint the gateway uses.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::{Method, RequestBuilder, Response, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, de::DeserializeOwned};
use url::Url;

use super::error::ArcadeError;
use super::http::{ReadError, excerpt, read_capped, same_origin_redirects};
use super::tools_page::ToolsPage;
use super::types::*;
use crate::telemetry::{Upstream, send_traced};

/// Where Arcade lives and how patient to be with it.
#[derive(Debug, Clone)]
pub struct ArcadeSettings {
    /// The engine's base URL, e.g. `https://api.arcade.dev`.
    pub base_url: Url,
    /// The API key, sent as `Authorization: Bearer <key>`.
    pub api_key: SecretString,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long one request may take in all (a long-poll adds its wait to this).
    pub request_timeout: Duration,
    /// How many times a failed request that is safe to resend is sent again.
    pub max_retries: usize,
}

impl ArcadeSettings {
    /// Settings with the default timeouts (5 s to connect, 60 s a request, 2 retries,
    /// as the official clients do).
    pub fn new(base_url: Url, api_key: SecretString) -> Self {
        Self {
            base_url,
            api_key,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(60),
            max_retries: 2,
        }
    }
}

/// Which paged listing of tools to fetch.
#[derive(Debug, Clone, Default)]
pub struct ToolsQuery {
    /// Only this toolkit.
    pub toolkit: Option<String>,
    /// Page size (Arcade allows up to 100).
    pub limit: u32,
    /// Where the page starts.
    pub offset: u32,
    /// Include this user's grant status in each tool.
    pub user_id: Option<String>,
}

/// The largest answer read from Arcade. Far above any page of definitions or tool
/// value a client can take, and far below what would strain this process: a larger
/// body is refused before it is held.
pub const MAX_ANSWER_BYTES: usize = 16 << 20;
/// The largest error body read: only its message is used.
const MAX_ERROR_BODY_BYTES: usize = 64 << 10;
/// The longest message of Arcade's quoted in an error.
const MAX_MESSAGE_CHARS: usize = 300;
/// Redirects followed, all on the engine's own origin.
const MAX_REDIRECTS: usize = 5;
/// The page size asked of a paged admin listing (the engine's largest).
const CONNECTIONS_PAGE_SIZE: u32 = 100;
/// The most pages of user connections read: far more grants than one user holds,
/// and a bound on an engine whose paging never ends.
const MAX_CONNECTION_PAGES: usize = 100;

/// A path of the API and the route it is on: the route, without ids or names, names
/// the request's span.
#[derive(Debug, Clone, Copy)]
struct Route<'a> {
    template: &'static str,
    path: &'a str,
}

impl<'a> Route<'a> {
    /// `path`, on the route `template` (e.g. `/v1/tools/{name}`).
    fn new(template: &'static str, path: &'a str) -> Self {
        Self { template, path }
    }

    fn upstream(self) -> Upstream {
        Upstream::Arcade {
            template: self.template,
        }
    }
}

/// A path without parameters is its own route.
impl From<&'static str> for Route<'static> {
    fn from(path: &'static str) -> Self {
        Self::new(path, path)
    }
}

/// Whether a failed execute may be sent again (`docs/arcade-api.md`: an execute may have
/// side effects, so only some failures may be retried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecuteRetry {
    /// The tool is read-only or idempotent: retry like any safe request.
    SafeToRepeat,
    /// The tool may have side effects: retry only a 429 or a connection that was
    /// never made.
    OnlyIfNotRun,
}

/// The typed client of the Arcade Engine API. Cheap to clone: clones share one
/// connection pool.
#[derive(Clone)]
pub struct ArcadeClient {
    http: reqwest::Client,
    settings: ArcadeSettings,
    /// `Bearer <key>`, marked sensitive so that no HTTP-layer log prints it.
    authorization: header::HeaderValue,
}

impl std::fmt::Debug for ArcadeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArcadeClient")
            .field("base_url", &self.settings.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl ArcadeClient {
    /// A client for the engine at `settings.base_url`.
    pub fn new(settings: ArcadeSettings) -> Result<Self, ArcadeError> {
        if !matches!(settings.base_url.scheme(), "http" | "https") {
            return Err(ArcadeError::BadBaseUrl(settings.base_url.to_string()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("arcade-mcp-gateway/", env!("CARGO_PKG_VERSION")))
            // A redirect to another origin would carry the user id and the tool's input
            // (reqwest drops only the key) to a host the engine's answer chose.
            .redirect(same_origin_redirects(MAX_REDIRECTS))
            .build()
            .map_err(|e| ArcadeError::BadBaseUrl(format!("{} ({e})", settings.base_url)))?;
        let mut authorization =
            header::HeaderValue::from_str(&format!("Bearer {}", settings.api_key.expose_secret()))
                .map_err(|_| ArcadeError::BadApiKey)?;
        authorization.set_sensitive(true);
        Ok(Self {
            http,
            settings,
            authorization,
        })
    }

    /// The engine's base URL.
    pub fn base_url(&self) -> &Url {
        &self.settings.base_url
    }

    /// `GET /v1/health`: the engine's own word on its health. An unhealthy engine
    /// answers 503 with `{healthy: false, reason}`, which is an answer, not a failure.
    pub async fn health(&self) -> Result<HealthResponse, ArcadeError> {
        let route: Route<'_> = "/v1/health".into();
        let send = || async {
            let request = self.request(Method::GET, route, &[], None);
            let response = self.transport_result(send_traced(request, route.upstream()).await)?;
            if response.status() == StatusCode::SERVICE_UNAVAILABLE {
                let body = read_capped(response, MAX_ERROR_BODY_BYTES)
                    .await
                    .unwrap_or_default();
                return Ok(unhealthy(&body));
            }
            self.read_json(check_status(response).await?).await
        };
        self.with_retries(send, ArcadeError::retry_may_help).await
    }

    /// `GET /v1/tools`: one page of tool definitions, read one by one (see
    /// [`ToolsPage`]).
    pub async fn list_tools(&self, query: &ToolsQuery) -> Result<ToolsPage, ArcadeError> {
        let mut params = vec![
            ("limit", query.limit.to_string()),
            ("offset", query.offset.to_string()),
        ];
        if let Some(toolkit) = &query.toolkit {
            params.push(("toolkit", toolkit.clone()));
        }
        if let Some(user_id) = &query.user_id {
            params.push(("user_id", user_id.clone()));
        }
        let page: Page<Box<serde_json::value::RawValue>> = self
            .send_safe(Method::GET, "/v1/tools".into(), &params, None::<&()>, None)
            .await?;
        Ok(ToolsPage::read(page))
    }

    /// `GET /v1/tools/{qualified_name}`.
    pub async fn get_tool(
        &self,
        qualified_name: &str,
        user_id: Option<&str>,
    ) -> Result<ToolDefinition, ArcadeError> {
        let params: Vec<_> = user_id
            .map(|u| ("user_id", u.to_owned()))
            .into_iter()
            .collect();
        let path = format!("/v1/tools/{}", encode_segment(qualified_name));
        let route = Route::new("/v1/tools/{name}", &path);
        self.send_safe(Method::GET, route, &params, None::<&()>, None)
            .await
    }

    /// `POST /v1/tools/authorize`: start (or look up) the user's grant for a tool.
    pub async fn authorize_tool(
        &self,
        request: &ToolAuthorizeRequest,
    ) -> Result<AuthorizationResponse, ArcadeError> {
        self.send_safe(
            Method::POST,
            "/v1/tools/authorize".into(),
            &[],
            Some(request),
            None,
        )
        .await
    }

    /// `POST /v1/auth/authorize`: start (or look up) a grant for a provider and scopes.
    pub async fn authorize(
        &self,
        request: &AuthAuthorizeRequest,
    ) -> Result<AuthorizationResponse, ArcadeError> {
        self.send_safe(
            Method::POST,
            "/v1/auth/authorize".into(),
            &[],
            Some(request),
            None,
        )
        .await
    }

    /// `GET /v1/auth/status`: where an authorization stands; with `wait`, long-poll up
    /// to that long (Arcade caps it at 59 s) for it to change.
    pub async fn auth_status(
        &self,
        id: &str,
        wait: Option<Duration>,
    ) -> Result<AuthorizationResponse, ArcadeError> {
        let mut params = vec![("id", id.to_owned())];
        let wait = wait.map(|w| w.min(Duration::from_secs(59)));
        if let Some(wait) = wait {
            params.push(("wait", wait.as_secs().to_string()));
        }
        self.send_safe(
            Method::GET,
            "/v1/auth/status".into(),
            &params,
            None::<&()>,
            wait,
        )
        .await
    }

    /// `POST /v1/auth/confirm_user`: the custom user verifier's answer that the person
    /// at the browser is `user_id`. It completes a grant, so it is sent again only when
    /// it surely did not arrive (a refused connection) or Arcade asked for a pause (429).
    pub async fn confirm_user(
        &self,
        request: &ConfirmUserRequest,
    ) -> Result<ConfirmUserResponse, ArcadeError> {
        let send = || {
            self.send_once(
                Method::POST,
                "/v1/auth/confirm_user".into(),
                &[],
                Some(request),
                None,
            )
        };
        self.with_retries(send, |e| {
            matches!(e, ArcadeError::RateLimited { .. }) || e.nothing_was_sent()
        })
        .await
    }

    /// `GET /v1/admin/user_connections`: every stored grant, optionally of one user
    /// or provider, all pages of them (an admin-capable key is needed).
    pub async fn list_user_connections(
        &self,
        user_id: Option<&str>,
        provider_id: Option<&str>,
    ) -> Result<Vec<UserConnection>, ArcadeError> {
        let mut filter = Vec::new();
        if let Some(user_id) = user_id {
            filter.push(("user_id", user_id.to_owned()));
        }
        if let Some(provider_id) = provider_id {
            filter.push(("provider_id", provider_id.to_owned()));
        }
        let mut connections = Vec::new();
        for _ in 0..MAX_CONNECTION_PAGES {
            let page = self
                .user_connections_page(&filter, connections.len())
                .await?;
            let returned = page.items.len();
            connections.extend(page.items);
            let total = page.total_count.map(|t| t as usize);
            if returned == 0 || total.is_some_and(|total| connections.len() >= total) {
                break;
            }
        }
        Ok(connections)
    }

    /// One page of user connections, from `offset`.
    async fn user_connections_page(
        &self,
        filter: &[(&str, String)],
        offset: usize,
    ) -> Result<Page<UserConnection>, ArcadeError> {
        let mut params = filter.to_vec();
        params.push(("limit", CONNECTIONS_PAGE_SIZE.to_string()));
        params.push(("offset", offset.to_string()));
        self.send_safe(
            Method::GET,
            "/v1/admin/user_connections".into(),
            &params,
            None::<&()>,
            None,
        )
        .await
    }

    /// `DELETE /v1/admin/user_connections/{id}`: revoke a stored grant.
    pub async fn delete_user_connection(&self, id: &str) -> Result<(), ArcadeError> {
        let path = format!("/v1/admin/user_connections/{}", encode_segment(id));
        let route = Route::new("/v1/admin/user_connections/{id}", &path);
        let send = || async {
            let request = self.request(Method::DELETE, route, &[], None);
            let response = send_traced(request, route.upstream()).await;
            check_status(self.transport_result(response)?)
                .await
                .map(drop)
        };
        self.with_retries(send, ArcadeError::retry_may_help).await
    }

    /// `POST /v1/tools/execute`. Sent again after a failure only where `retry` says
    /// that cannot repeat a side effect.
    pub async fn execute_tool(
        &self,
        request: &ExecuteToolRequest,
        retry: ExecuteRetry,
    ) -> Result<ExecuteToolResponse, ArcadeError> {
        let send = || {
            self.send_once(
                Method::POST,
                "/v1/tools/execute".into(),
                &[],
                Some(request),
                None,
            )
        };
        self.with_retries(send, |e| match retry {
            ExecuteRetry::SafeToRepeat => e.retry_may_help(),
            ExecuteRetry::OnlyIfNotRun => {
                matches!(e, ArcadeError::RateLimited { .. }) || e.nothing_was_sent()
            }
        })
        .await
    }

    /// Sends a request that is safe to repeat, retrying what may help.
    async fn send_safe<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        method: Method,
        route: Route<'_>,
        params: &[(&str, String)],
        body: Option<&B>,
        long_poll: Option<Duration>,
    ) -> Result<T, ArcadeError> {
        let send = || self.send_once(method.clone(), route, params, body, long_poll);
        self.with_retries(send, ArcadeError::retry_may_help).await
    }

    /// Runs `send`, and again after a backoff (or Arcade's `Retry-After`) while
    /// `may_resend` allows and retries are left.
    async fn with_retries<T, Send, Sent>(
        &self,
        send: Send,
        may_resend: impl FnMut(&ArcadeError) -> bool,
    ) -> Result<T, ArcadeError>
    where
        Send: FnMut() -> Sent,
        Sent: Future<Output = Result<T, ArcadeError>>,
    {
        send.retry(self.backoff())
            .when(may_resend)
            .adjust(retry_delay)
            .await
    }

    /// Sends one request and reads its JSON answer.
    async fn send_once<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        route: Route<'_>,
        params: &[(&str, String)],
        body: Option<&B>,
        long_poll: Option<Duration>,
    ) -> Result<T, ArcadeError> {
        let mut builder = self.request(method, route, params, long_poll);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        let response = self.transport_result(send_traced(builder, route.upstream()).await)?;
        self.read_json(check_status(response).await?).await
    }

    /// Reads a successful answer's JSON, up to [`MAX_ANSWER_BYTES`].
    async fn read_json<T: DeserializeOwned>(&self, response: Response) -> Result<T, ArcadeError> {
        let bytes = read_capped(response, MAX_ANSWER_BYTES)
            .await
            .map_err(|error| match error {
                ReadError::TooLarge(cap) => ArcadeError::TooLarge(cap),
                ReadError::Transport(error) => self.transport_error(error),
            })?;
        serde_json::from_slice(&bytes).map_err(|e| ArcadeError::MalformedResponse {
            detail: e.to_string(),
        })
    }

    fn request(
        &self,
        method: Method,
        route: Route<'_>,
        params: &[(&str, String)],
        long_poll: Option<Duration>,
    ) -> RequestBuilder {
        let mut url = self.settings.base_url.clone();
        let base_path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base_path}{}", route.path));
        let timeout = self.settings.request_timeout + long_poll.unwrap_or_default();
        self.http
            .request(method, url)
            .query(params)
            .timeout(timeout)
            .header(header::AUTHORIZATION, self.authorization.clone())
    }

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(200))
            .with_max_delay(Duration::from_secs(5))
            .with_max_times(self.settings.max_retries)
            .with_jitter()
    }

    fn transport_result(
        &self,
        result: Result<Response, reqwest::Error>,
    ) -> Result<Response, ArcadeError> {
        result.map_err(|e| self.transport_error(e))
    }

    /// Sorts a transport failure into "never connected", "timed out" and "broke
    /// mid-way", because only the first is certain not to have reached Arcade.
    fn transport_error(&self, error: reqwest::Error) -> ArcadeError {
        let detail = error_chain(&error);
        if error.is_timeout() {
            ArcadeError::Timeout(self.settings.request_timeout)
        } else if error.is_connect() {
            ArcadeError::Unreachable {
                base_url: self.settings.base_url.to_string(),
                detail,
            }
        } else if error.is_decode() {
            ArcadeError::MalformedResponse { detail }
        } else {
            ArcadeError::ConnectionLost { detail }
        }
    }
}

/// Turns a non-2xx answer into the matching [`ArcadeError`].
async fn check_status(response: Response) -> Result<Response, ArcadeError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if status.is_redirection() {
        // Only a redirect to another origin is left unfollowed.
        return Err(ArcadeError::Redirected {
            status: status.as_u16(),
        });
    }
    let retry_after = retry_after(&response);
    // An error body too large (or broken) to read still says its status.
    let body = read_capped(response, MAX_ERROR_BODY_BYTES)
        .await
        .unwrap_or_default();
    let message = error_message(status, &body);
    Err(match status {
        StatusCode::UNAUTHORIZED => ArcadeError::Unauthorized { message },
        StatusCode::FORBIDDEN => ArcadeError::PermissionDenied { message },
        StatusCode::NOT_FOUND => ArcadeError::NotFound { message },
        StatusCode::TOO_MANY_REQUESTS => ArcadeError::RateLimited { retry_after },
        s if s.is_server_error() => ArcadeError::Server {
            status: s.as_u16(),
            message,
        },
        s => ArcadeError::Rejected {
            status: s.as_u16(),
            message,
        },
    })
}

/// Arcade's `{"name", "message"}` error body, or a short excerpt of whatever came.
fn error_message(status: StatusCode, body: &[u8]) -> String {
    if let Ok(ErrorBody {
        message: Some(message),
        ..
    }) = serde_json::from_slice::<ErrorBody>(body)
        && !message.trim().is_empty()
    {
        return excerpt(&message, MAX_MESSAGE_CHARS);
    }
    let text = excerpt(&String::from_utf8_lossy(body), MAX_MESSAGE_CHARS);
    if text.is_empty() {
        status.canonical_reason().unwrap_or("no message").to_owned()
    } else {
        text
    }
}

/// The health a 503 answer states: its `{healthy: false, reason}`, or a reason made
/// from whatever came.
fn unhealthy(body: &[u8]) -> HealthResponse {
    let stated = serde_json::from_slice::<HealthResponse>(body).ok();
    let reason = stated
        .and_then(|health| health.reason)
        .map(|reason| excerpt(&reason, MAX_MESSAGE_CHARS))
        .filter(|reason| !reason.trim().is_empty())
        .unwrap_or_else(|| error_message(StatusCode::SERVICE_UNAVAILABLE, body));
    HealthResponse {
        healthy: false,
        reason: Some(reason),
    }
}

/// Arcade's `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date.
fn retry_after(response: &Response) -> Option<Duration> {
    let header = |name: &str| {
        let value = response.headers().get(name)?.to_str().ok()?.trim();
        Some(value.to_owned())
    };
    let seconds = |value: &str| {
        value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    if let Some(ms) = header("retry-after-ms").as_deref().and_then(seconds) {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = header("retry-after")?;
    seconds(&value).map(Duration::from_secs_f64).or_else(|| {
        let at = httpdate::parse_http_date(&value).ok()?;
        Some(
            at.duration_since(std::time::SystemTime::now())
                .unwrap_or_default(),
        )
    })
}

/// A transport error with its causes, e.g. "error sending request: connection refused".
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.dedup();
    parts.join(": ")
}

/// The longest `Retry-After` waited out inside one request: a longer one ends the
/// retries, and the error says how long the engine asked to wait.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The delay before the next retry: the server's `Retry-After` when it sent one, else
/// the backoff's. `None` (the backoff has no retries left, or the engine asks for a
/// wait longer than [`MAX_RETRY_AFTER`]) ends retrying, so a server that always
/// answers 429 cannot keep the client retrying forever, nor hold a call for hours.
fn retry_delay(error: &ArcadeError, backoff: Option<Duration>) -> Option<Duration> {
    let delay = backoff?;
    match error.retry_after() {
        Some(asked) if asked > MAX_RETRY_AFTER => None,
        Some(asked) => Some(asked),
        None => Some(delay),
    }
}

/// Percent-encodes one path segment (tool names hold `.` and may hold `@`).
fn encode_segment(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
