//! A team's setup with the gateway as Arcade's custom user verifier: an emulator in
//! verifier mode sending browsers to the gateway's `/arcade/verify`, the gateway in one
//! of the three identity modes that can tell who is at a browser, and, in OAuth mode,
//! the stand-in OpenID provider the person signs in at.

use arcade_mcp_gateway::emulator::{Emulator, EmulatorOptions};
use rmcp::service::ClientLifecycleMode;

use super::API_KEY;
use super::http::{HttpGateway, McpClient};
use super::person::Person;
use crate::support::auth_proxy::AuthProxy;
use crate::support::auth_server::{AuthServer, TestKey, claims};

/// The proxy secret of trusted-header mode.
pub const PROXY_SECRET: &str = "the-proxy-and-the-gateway-share-this-0123456789";
/// The gateway's client id at the OpenID provider.
pub const CLIENT_ID: &str = "gateway-user-verifier";
/// Its client secret (a confidential client).
pub const CLIENT_SECRET: &str = "TEST-ONLY-client-secret-9b8a7c6d";
/// The fixed user of fixed-user mode.
pub const FIXED_USER: &str = "ann@example.com";

/// The identity modes the verifier supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `--user-id` on loopback.
    Fixed,
    /// `--trust-user-header`: a proxy sends `Arcade-User-Id` and the secret.
    TrustedHeader,
    /// `--oauth-issuer` with `--oauth-client-id`: the person signs in.
    OAuth,
}

/// The emulator, the gateway, and the OpenID provider of OAuth mode.
pub struct Team {
    /// The mode.
    pub mode: Mode,
    /// The engine, in verifier mode.
    pub emulator: Emulator,
    /// The gateway, with `--user-verifier`.
    pub gateway: HttpGateway,
    /// OAuth mode's provider (it also issues the MCP clients' access tokens).
    pub provider: Option<(AuthServer, TestKey)>,
    /// Trusted-header mode's proxy in front of the browser route, when asked for.
    pub proxy: Option<AuthProxy>,
    /// `http://127.0.0.1:PORT/mcp`.
    pub resource: String,
    /// Where the audit log is written.
    pub audit: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Team {
    /// Starts everything for `mode`; calls wait up to 30 s in the call for a grant.
    pub async fn start(mode: Mode) -> Self {
        Self::start_with(mode, None).await
    }

    /// Trusted-header mode with browsers reaching the verifier through an
    /// authenticating proxy signed in as `person` (the URL Arcade sends them to).
    pub async fn behind_proxy(person: &str) -> Self {
        Self::start_with(Mode::TrustedHeader, Some(person)).await
    }

    async fn start_with(mode: Mode, proxied_person: Option<&str>) -> Self {
        let (listener, addr) = crate::support::loopback_listener().await;
        drop(listener);
        let base = format!("http://{addr}");
        let resource = format!("{base}/mcp");
        let proxy = match proxied_person {
            Some(person) => Some(AuthProxy::start(&base, PROXY_SECRET, person).await),
            None => None,
        };
        let public = proxy.as_ref().map_or(base.clone(), |p| p.base.clone());
        let emulator = Emulator::start(
            EmulatorOptions {
                api_key: API_KEY.to_owned(),
                user_verifier_url: Some(format!("{public}/arcade/verify")),
                ..EmulatorOptions::default()
            },
            ([127, 0, 0, 1], 0).into(),
        )
        .await
        .expect("emulator starts");
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit.jsonl");
        let mut args: Vec<String> = ["--user-verifier", "--auth-wait", "30", "--audit-log"]
            .map(str::to_owned)
            .to_vec();
        args.push(audit.to_str().unwrap().to_owned());
        let mut env = Vec::new();
        let provider = match mode {
            Mode::Fixed => {
                args.extend(["--user-id".to_owned(), FIXED_USER.to_owned()]);
                None
            }
            Mode::TrustedHeader => {
                args.push("--trust-user-header".to_owned());
                env.push(("ARCADE_GATEWAY_PROXY_SECRET", PROXY_SECRET));
                None
            }
            Mode::OAuth => {
                let key = TestKey::rsa_a();
                let server = AuthServer::start(&[&key]).await.with_sign_in(
                    TestKey::rsa_a(),
                    CLIENT_ID,
                    Some(CLIENT_SECRET),
                );
                args.extend(
                    [
                        "--oauth-issuer",
                        &server.issuer,
                        "--public-url",
                        &resource,
                        "--oauth-client-id",
                        CLIENT_ID,
                    ]
                    .map(str::to_owned),
                );
                env.push(("ARCADE_GATEWAY_OAUTH_CLIENT_SECRET", CLIENT_SECRET));
                Some((server, key))
            }
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let gateway =
            HttpGateway::start_on(&addr.to_string(), &emulator.base_url(), &args, &env).await;
        Self {
            mode,
            emulator,
            gateway,
            provider,
            proxy,
            resource,
            audit,
            _dir: dir,
        }
    }

    /// The headers an MCP client (or a browser behind the proxy) of `user` sends.
    pub fn credentials(&self, user: &str) -> Vec<(&'static str, String)> {
        match self.mode {
            Mode::Fixed => {
                assert_eq!(user, FIXED_USER, "fixed-user mode has one user");
                Vec::new()
            }
            Mode::TrustedHeader => proxy_headers(user),
            Mode::OAuth => {
                let (server, key) = self.provider.as_ref().unwrap();
                let token = key.sign(&claims(&server.issuer, &self.resource, user));
                vec![("authorization", format!("Bearer {token}"))]
            }
        }
    }

    /// An MCP client of `user` that cannot be asked (so its calls wait for the grant
    /// inside the call, and it reads the link from the log message).
    pub async fn client(&self, user: &str, person: Person) -> McpClient<Person> {
        self.client_with(user, person, ClientLifecycleMode::Initialize)
            .await
    }

    /// An MCP client of `user` with the given lifecycle (`Discover` for 2026-07-28).
    pub async fn client_with(
        &self,
        user: &str,
        person: Person,
        lifecycle: ClientLifecycleMode,
    ) -> McpClient<Person> {
        let credentials = self.credentials(user);
        let headers = super::http::headers(&credentials);
        McpClient::connect_with(person, lifecycle, &self.gateway.mcp_url(), &headers).await
    }

    /// How many `confirm_user` requests the engine has received.
    pub fn confirmations(&self) -> u64 {
        self.emulator.state().requests("auth.confirm_user")
    }

    /// The audit log's lines so far.
    pub fn audit_lines(&self) -> Vec<serde_json::Value> {
        let dir = self.audit.parent().unwrap();
        let mut lines = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("audit.") && name.ends_with(".jsonl") && !path.is_symlink() {
                let text = std::fs::read_to_string(&path).unwrap();
                lines.extend(text.lines().map(|l| serde_json::from_str(l).unwrap()));
            }
        }
        lines
    }
}

/// What the authenticating proxy adds for `user`.
pub fn proxy_headers(user: &str) -> Vec<(&'static str, String)> {
    vec![
        ("arcade-user-id", user.to_owned()),
        ("x-gateway-proxy-secret", PROXY_SECRET.to_owned()),
    ]
}

/// Waits until the client has been sent an authorization link (in a log message) and
/// returns it.
pub async fn link_sent_to(person: &Person) -> String {
    for _ in 0..500 {
        let found = person
            .seen()
            .logs
            .iter()
            .find_map(|data| data["authorization_url"].as_str().map(str::to_owned));
        if let Some(url) = found {
            return url;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no authorization link reached the client");
}
