//! How an emulator is configured: the `emulator` subcommand's flags ([`EmulatorArgs`])
//! and the options a test passes to [`super::Emulator::start`] ([`EmulatorOptions`]).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::faults::Faults;

/// The flags of the emulator: of its own binary, and of `arcade-mcp-gateway emulator`,
/// which embeds them.
#[derive(Debug, Clone, clap::Args)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:9099")]
    pub bind: SocketAddr,
    /// The API key clients must send (`Authorization: Bearer <key>` or the bare key).
    #[arg(
        long,
        env = "ARCADE_API_KEY",
        default_value = "arc_emulator_key",
        hide_env_values = true
    )]
    pub api_key: String,
    /// Serve every `*.json` toolkit file of this folder, or of this `.tar.gz` archive,
    /// instead of the demo catalog (repeatable: the tools of each, in order)
    #[arg(long, value_name = "PATH")]
    pub catalog: Vec<PathBuf>,
    /// Base of the authorization URLs handed out (default: the emulator's own URL).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// How execute says "authorization required".
    #[arg(long, value_enum, default_value_t = AuthRequiredStyle::Forbidden)]
    pub auth_required_style: AuthRequiredStyle,
    /// Delay added to every `/v1` request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of `/v1` requests answered with --error-status.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// The 5xx status of those errors.
    #[arg(long, default_value_t = 500)]
    pub error_status: u16,
    /// Share of `/v1` requests answered 429.
    #[arg(long, default_value_t = 0.0)]
    pub rate_limit_rate: f64,
    /// The `Retry-After` of those 429s, in seconds.
    #[arg(long, default_value_t = 1)]
    pub retry_after_secs: u64,
    /// Share of `/v1` requests answered 200 with a body that is not JSON.
    #[arg(long, default_value_t = 0.0)]
    pub malformed_rate: f64,
    /// Share of `/v1` requests whose connection breaks after the headers.
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Share of `/v1` requests whose body stops halfway, short of its `Content-Length`.
    #[arg(long, default_value_t = 0.0)]
    pub truncate_rate: f64,
    /// Act as a project with a custom user verifier at this URL: after consent, the
    /// page redirects (303) to `URL?flow_id=…`, and the grant completes only when
    /// `POST /v1/auth/confirm_user` names the flow's own user
    #[arg(long, value_name = "URL")]
    pub user_verifier_url: Option<String>,
}

/// Where the emulator's tools come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CatalogSource {
    /// The small built-in catalog (Math, Mail, CodeHost) whose tools really run.
    #[default]
    Demo,
    /// Every `*.json` toolkit file of some folders or `.tar.gz` archives; their tools
    /// echo their input.
    Files(Vec<PathBuf>),
}

/// The three ways `docs/arcade-api.md` says the engine answers an execute the user has not
/// authorized, so the gateway can be tested against each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum AuthRequiredStyle {
    /// 403 `permission_denied`, "authorization required".
    #[default]
    Forbidden,
    /// 200 with `output.authorization` pending.
    OutputAuthorization,
    /// 200 with `output.error.kind` `TOOL_REQUIREMENTS_NOT_MET`.
    RequirementsNotMet,
}

/// Everything a running emulator needs to know besides its address.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// The API key clients must send.
    pub api_key: String,
    /// Which tools to serve.
    pub catalog: CatalogSource,
    /// Faults injected from the start.
    pub faults: Faults,
    /// Base of the authorization URLs, when the emulator sits behind another address.
    pub public_url: Option<String>,
    /// How execute says "authorization required".
    pub auth_required_style: AuthRequiredStyle,
    /// The project's custom user verifier, if it has one (see
    /// [`EmulatorArgs::user_verifier_url`]); without one, consent completes the grant.
    pub user_verifier_url: Option<String>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            api_key: "arc_emulator_key".to_owned(),
            catalog: CatalogSource::Demo,
            faults: Faults::default(),
            public_url: None,
            auth_required_style: AuthRequiredStyle::Forbidden,
            user_verifier_url: None,
        }
    }
}

impl From<&EmulatorArgs> for EmulatorOptions {
    fn from(args: &EmulatorArgs) -> Self {
        Self {
            api_key: args.api_key.clone(),
            catalog: if args.catalog.is_empty() {
                CatalogSource::Demo
            } else {
                CatalogSource::Files(args.catalog.clone())
            },
            faults: Faults {
                latency_ms: args.latency_ms,
                error_rate: args.error_rate,
                error_status: args.error_status,
                rate_limit_rate: args.rate_limit_rate,
                retry_after_secs: args.retry_after_secs,
                malformed_rate: args.malformed_rate,
                drop_rate: args.drop_rate,
                truncate_rate: args.truncate_rate,
                endpoints: None,
                count: None,
                answer: None,
                unhealthy: None,
                retry_after_as_date: false,
                max_page_size: None,
            },
            public_url: args.public_url.clone(),
            auth_required_style: args.auth_required_style,
            user_verifier_url: args.user_verifier_url.clone(),
        }
    }
}
