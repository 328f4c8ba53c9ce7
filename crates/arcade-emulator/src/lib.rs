//! A local Arcade-compatible engine (axum) for the offline demo and every test.
//!
//! It serves the `/v1` API of `docs/arcade-api.md` with the wire types of
//! [`arcade_types`], so it cannot drift from what the gateway reads, and the
//! official clients (`arcadepy`) work against it too.
//!
//! - Tools: the built-in demo catalog (`Math`, `Mail`, `CodeHost`, in
//!   `demo_catalog.rs`) or every toolkit file of some folders or archives
//!   ([`CatalogSource::Files`]), whose tools echo their input. Several versions of a
//!   toolkit may be served, and one retired while serving; a fixture's JSON is listed
//!   as it is written, `null` arrays and unreadable definitions included.
//! - Authorization: per-user grants; an execute the user has not authorized answers
//!   in the configured [`AuthRequiredStyle`]; authorization URLs point at
//!   `GET /authorize/{id}`, an HTML page whose form posts `decision=approve|deny`.
//! - Faults: latency, 5xx, 429, malformed and truncated bodies and dropped
//!   connections, applied deterministically, optionally to the next N requests only
//!   (see [`Faults`]).
//!
//! - Provider API: a fake Gmail and GitHub under `/provider/…` that accept only a
//!   token this emulator issued (see [`provider_api`]), for the direct tools.
//!
//! Admin endpoints (API key required): `GET|PUT /_emulator/faults` (a [`Faults`] JSON
//! body), `PUT /_emulator/auth-style` (`{"style": "forbidden" | "output_authorization"
//! | "requirements_not_met"}`), `GET /_emulator/stats` (request counts per endpoint
//! key, requests abandoned by their client, executions per tool and user, faults, style)
//! and `DELETE /_emulator/toolkits/{toolkit}/{version}` (retire a toolkit version).

mod admin;
mod api;
mod catalog;
mod contract_log;
mod demo_catalog;
mod demo_tools;
mod errors;
mod faults;
mod fixtures;
mod formats;
mod grants;
mod options;
mod pages;
pub mod provider_api;
mod state;
mod tools;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post, put};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{CannedAnswer, Faults, FaultsError};
pub use fixtures::{FixtureError, load_toolkits};
pub use options::{AuthRequiredStyle, CatalogSource, EmulatorArgs, EmulatorOptions};
pub use state::EmulatorState;

use catalog::Catalog;

/// Why an emulator could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The fault settings are out of range.
    #[error("invalid fault settings: {0}")]
    Faults(#[from] FaultsError),
    /// The catalog folder could not be loaded.
    #[error(transparent)]
    Catalog(#[from] FixtureError),
    /// The address is taken or not ours.
    #[error("cannot listen on {addr}: {source} (pick another --bind, or port 0 for any free port)")]
    Bind {
        /// The address asked.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Stdout or the signal handlers failed.
    #[error("emulator I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A running emulator: serving in a spawned task until [`Emulator::shutdown`].
pub struct Emulator {
    base_url: String,
    state: EmulatorState,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Emulator {
    /// Loads the catalog, binds `bind` (port 0 picks a free port) and starts serving.
    pub async fn start(
        options: EmulatorOptions,
        bind: SocketAddr,
    ) -> Result<Emulator, EmulatorError> {
        options.faults.validate()?;
        let catalog = load_catalog(options.catalog.clone()).await?;
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| EmulatorError::Bind { addr: bind, source })?;
        let base_url = url_of(listener.local_addr()?);
        let url_base = options
            .public_url
            .clone()
            .unwrap_or_else(|| base_url.clone());
        let state = EmulatorState::new(
            options.api_key,
            catalog,
            options.faults,
            options.auth_required_style,
            &url_base,
            options.user_verifier_url,
        );
        let (stop, stopped) = oneshot::channel();
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "emulator server failed");
            }
        });
        Ok(Emulator {
            base_url,
            state,
            stop,
            task,
        })
    }

    /// Where it listens: `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Its state, for tests to read counters and switch faults.
    pub fn state(&self) -> EmulatorState {
        self.state.clone()
    }

    /// Stops serving: open requests get a second to finish (a long-poll is cut).
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(1), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// The `emulator` subcommand: start, print `arcade emulator listening on URL` on
/// stdout (scripts read the port from it), log to stderr, stop on Ctrl-C or SIGTERM.
pub async fn run(args: EmulatorArgs) -> Result<(), EmulatorError> {
    let emulator = Emulator::start(EmulatorOptions::from(&args), args.bind).await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "arcade emulator listening on {}",
        emulator.base_url()
    )?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(tools = emulator.state.catalog().tool_count(), url = %emulator.base_url, "emulator ready");
    stop_signal().await?;
    tracing::info!("emulator stopping");
    emulator.shutdown().await;
    Ok(())
}

async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}

async fn load_catalog(source: CatalogSource) -> Result<Catalog, FixtureError> {
    let tools = match source {
        CatalogSource::Demo => demo_catalog::demo_tools(),
        CatalogSource::Files(paths) => {
            tokio::task::spawn_blocking(move || fixtures::load_all(&paths))
                .await
                .expect("catalog loading panicked")?
        }
    };
    Ok(Catalog::new(tools))
}

/// The URL clients should use: an unspecified bind address is reached on loopback.
fn url_of(addr: SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() {
        Ipv4Addr::LOCALHOST.into()
    } else {
        addr.ip()
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

fn router(state: EmulatorState) -> Router {
    let v1 = Router::new()
        .route("/v1/health", get(api::health))
        .route("/v1/tools", get(api::list_tools))
        .route("/v1/tools/authorize", post(api::authorize_tool))
        .route("/v1/tools/execute", post(api::execute))
        .route("/v1/tools/{name}", get(api::get_tool))
        .route("/v1/formatted_tools", get(api::formatted_tools))
        .route("/v1/auth/authorize", post(api::auth_authorize))
        .route("/v1/auth/status", get(api::auth_status))
        .route("/v1/auth/confirm_user", post(api::confirm_user))
        .route("/v1/admin/user_connections", get(api::list_connections))
        .route(
            "/v1/admin/user_connections/{id}",
            delete(api::delete_connection),
        )
        .route_layer(axum::middleware::from_fn(contract_log::record))
        .route_layer(from_fn_with_state(state.clone(), api::v1_layer));
    let admin = Router::new()
        .route(
            "/_emulator/faults",
            get(admin::get_faults).put(admin::put_faults),
        )
        .route("/_emulator/auth-style", put(admin::put_auth_style))
        .route("/_emulator/stats", get(admin::stats))
        .route(
            "/_emulator/toolkits/{toolkit}/{version}",
            delete(admin::retire_version),
        )
        .route_layer(from_fn_with_state(state.clone(), admin::key_layer));
    let pages = Router::new().route("/authorize/{id}", get(pages::show).post(pages::decide));
    let provider = Router::new()
        .route(
            "/provider/google/gmail/v1/users/me/messages",
            get(provider_api::gmail_list),
        )
        .route(
            "/provider/google/gmail/v1/users/me/messages/{id}",
            get(provider_api::gmail_get),
        )
        .route(
            "/provider/github/user/repos",
            get(provider_api::github_repos),
        )
        .route("/provider/redirect-away", get(provider_api::redirect_away))
        .route("/provider/{*rest}", get(provider_api::not_found));
    v1.merge(admin)
        .merge(pages)
        .merge(provider)
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .with_state(state)
}
