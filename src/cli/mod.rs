//! The command line: every clap definition of the program, checked once into the typed
//! [`crate::config`], and the exit codes.
//!
//! Subcommands: `serve`, `tools`, `call`, `doctor`, `configure`, `emulator` (with the
//! default `emulator` feature), `hash-token`, `completions` and `man`. Exit code 2 means
//! the server could not start: the configuration is
//! wrong, or Arcade could not give the catalog (a one-line error says what to set or
//! what happened), or `configure` changed nothing (bad input); 1 means the server failed
//! while running, or `configure` could not write the file.

mod authorization;
mod call;
mod configure;
mod docs;
mod doctor;
mod hash_token;
mod http;
mod serve;
mod source;
mod tools;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use authorization::AuthorizationArgs;
pub use call::{CallArgs, CallError};
pub use configure::ConfigureArgs;
pub use hash_token::HashTokenArgs;
pub use http::{HttpArgs, OAUTH_CLIENT_SECRET_ENV, PROXY_SECRET_ENV};
pub use serve::{ServeArgs, Transport};
pub use source::{ArcadeArgs, CatalogCacheArgs, DirectToolsArgs, SourceArgs};
pub use tools::ToolsArgs;

use crate::config::{ConfigError, ServeConfig, TransportConfig};
use crate::gateway::Caller;
use crate::startup::{Serving, StartError};
use crate::transport::http::{HttpError, Readiness};
use crate::transport::stdio::StdioError;
use mcp_client_config::ConfigureError;

/// What `--version` prints: the version and the git commit it was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("ARCADE_GATEWAY_COMMIT"),
    ")"
);

/// An MCP server that serves Arcade's tools, with per-user authorization.
#[derive(Debug, Parser)]
#[command(name = "arcade-mcp-gateway", version = VERSION, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,

    /// How log lines on stderr are written: `text`, or `json` (one object a line, for
    /// log collectors)
    #[arg(long, global = true, value_enum, default_value_t = LogFormatArg::Text)]
    pub log_format: LogFormatArg,
}

/// The values of `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormatArg {
    /// Readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

impl From<LogFormatArg> for crate::logging::LogFormat {
    fn from(value: LogFormatArg) -> Self {
        match value {
            LogFormatArg::Text => Self::Text,
            LogFormatArg::Json => Self::Json,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve Arcade's tools to MCP clients: over stdio (one user), or over HTTP (many)
    Serve(Box<ServeArgs>),
    /// Print the tools the server would serve: name, authorization, provider, scopes
    Tools(ToolsArgs),
    /// Run one tool for the configured user and print its result (exit codes: 0 success,
    /// 1 tool error, 2 usage or configuration, 3 authorization needed, 4 engine
    /// unreachable)
    Call(Box<CallArgs>),
    /// Check that this machine is ready to serve: the engine, the key, the user, the
    /// catalog, the user's grants, the catalog cache, the MCP clients configured to
    /// launch it (exit code 0 when all is well)
    Doctor(Box<doctor::DoctorArgs>),
    /// Run a local Arcade-compatible engine (no Arcade account needed)
    #[cfg(feature = "emulator")]
    Emulator(crate::emulator::EmulatorArgs),
    /// Print the line of a bearer-token file for a token and a user (only the token's
    /// hash is stored)
    HashToken(HashTokenArgs),
    /// Write the entry that launches this server into an MCP client's config file
    /// (Claude Desktop, Claude Code, Cursor, VS Code, Windsurf, Codex, Gemini CLI)
    Configure(Box<ConfigureArgs>),
    /// Print the shell completion script for a shell
    Completions(docs::CompletionsArgs),
    /// Print the man page (roff)
    Man,
}

/// Why a command failed, each with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The flags are wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The server could not get ready.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The HTTP transport could not start or failed.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The stdio transport failed.
    #[error(transparent)]
    Stdio(#[from] StdioError),
    /// The `emulator` subcommand failed.
    #[cfg(feature = "emulator")]
    #[error(transparent)]
    Emulator(#[from] crate::emulator::EmulatorError),
    /// `configure` could not write the entry.
    #[error(transparent)]
    Configure(#[from] ConfigureError),
    /// Reading standard input or writing standard output failed.
    #[error("could not read standard input or write standard output: {0}")]
    Stdin(#[from] std::io::Error),
    /// `call` could not run the tool.
    #[error(transparent)]
    Call(#[from] CallError),
    /// The outcome is already printed; only its exit code is left.
    #[error("exit code {0}")]
    Exit(u8),
}

impl CliError {
    /// 2 when the program could not start (a configuration mistake, or Arcade could
    /// not give the catalog even after retries), 1 when it failed while running.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) => 2,
            Self::Start(error) => error.exit_code(),
            Self::Http(HttpError::Serve(_)) => 1,
            Self::Http(_) => 2,
            Self::Stdio(_) | Self::Stdin(_) => 1,
            Self::Call(CallError::Call(_)) => 1,
            Self::Call(_) => 2,
            Self::Exit(code) => *code,
            Self::Configure(ConfigureError::Write { .. }) => 1,
            Self::Configure(_) => 2,
            #[cfg(feature = "emulator")]
            Self::Emulator(_) => 1,
        }
    }
}

/// Which async runtime a command runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// One thread: one stdio client's calls are a chain of hops (stdin, the handler,
    /// the request to Arcade), and on one thread no hop waits for another thread to
    /// wake up.
    SingleThread,
    /// Several workers, by default one a core: many HTTP clients at once.
    MultiThread(Option<std::num::NonZeroUsize>),
}

impl Cli {
    /// The runtime this command needs: one thread for `serve` over stdio, several for
    /// the rest (HTTP serving as `--worker-threads` says, the emulator).
    pub fn runtime(&self) -> Runtime {
        match &self.command {
            Command::Serve(args) if args.transport == Transport::Stdio => Runtime::SingleThread,
            Command::Serve(args) => match args.http.worker_threads {
                Some(n) if n.get() == 1 => Runtime::SingleThread,
                workers => Runtime::MultiThread(workers),
            },
            _ => Runtime::MultiThread(None),
        }
    }
}

impl Cli {
    /// The log level without `RUST_LOG`: `warn` for `call` and `doctor`, whose output
    /// is read by the person or script that ran them; `info` for the servers.
    pub fn default_log_level(&self) -> &'static str {
        match self.command {
            Command::Call(_) | Command::Doctor(_) => "warn",
            _ => "info",
        }
    }

    /// Whether this command serves MCP requests, and so sends traces when the `OTEL_*`
    /// variables ask for them (`serve`, and `call`, which runs one call through the same
    /// server); the other commands neither read those variables nor fail on them.
    pub fn traces_requests(&self) -> bool {
        matches!(self.command, Command::Serve(_) | Command::Call(_))
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve(&args).await,
        Command::Tools(args) => tools::run(&args).await,
        Command::Call(args) => call::run(&args).await,
        Command::Doctor(args) => doctor::run(&args).await,
        #[cfg(feature = "emulator")]
        Command::Emulator(args) => crate::emulator::run(args).await.map_err(CliError::from),
        Command::HashToken(args) => hash_token::run(args),
        Command::Configure(args) => configure::run(&args),
        Command::Completions(args) => docs::completions(&args),
        Command::Man => docs::man(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Exit(code)) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

/// `serve`: every flag is checked before the catalog is loaded, so a flag mistake ends
/// the program at once. Over stdio, the client is first told why (see
/// [`crate::transport::refusal`]).
async fn serve(args: &ServeArgs) -> Result<(), CliError> {
    let ready = async {
        let config = args.config()?;
        let serving = Serving::new(&config).await?;
        Ok::<_, CliError>((config, serving))
    };
    match ready.await {
        Ok((config, serving)) => serve_with(&config, &serving).await,
        Err(error) if args.transport == Transport::Stdio => {
            eprintln!("error: {error}");
            crate::transport::refusal::refuse(&error.to_string()).await;
            Err(CliError::Exit(error.exit_code()))
        }
        Err(error) => Err(error),
    }
}

/// What `serve` says when started by hand in a terminal, where a stdio server would
/// otherwise sit silent waiting for JSON-RPC on stdin.
const TERMINAL_HINT: &str = "arcade-mcp-gateway is waiting for an MCP client on stdin \
     (Ctrl-C to quit): let a client launch it (`arcade-mcp-gateway configure claude-code`, \
     or `npx @modelcontextprotocol/inspector arcade-mcp-gateway serve --emulator`), or try \
     a tool here with `arcade-mcp-gateway call Math.Add --emulator --input '{\"a\": 1, \"b\": 2}'`";

async fn serve_with(config: &ServeConfig, serving: &Serving) -> Result<(), CliError> {
    let tools = serving.prepared.catalog.current().len();
    match &config.transport {
        TransportConfig::Stdio { user } => {
            tracing::info!(tools, user = %user, "serving over stdio");
            if std::io::stdin().is_terminal() {
                eprintln!("{TERMINAL_HINT}");
            }
            let gateway = serving.gateway(Caller::Fixed(user.clone()));
            Ok(crate::transport::stdio::serve(gateway).await?)
        }
        TransportConfig::Http(settings) => {
            let shared = serving.shared_state().clone();
            let readiness = Readiness::new(serving.prepared.arcade.clone(), tools)
                .with_shared_state(shared.clone());
            let gateway = serving.gateway(Caller::FromTransport);
            Ok(crate::transport::http::serve(gateway, readiness, shared, settings).await?)
        }
    }
}

/// The command line of this process, parsed (clap prints help, versions and usage
/// mistakes itself, and exits 2 on a mistake).
pub fn parse() -> Cli {
    <Cli as clap::Parser>::parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn serve(words: &[&str]) -> ServeArgs {
        let words = ["arcade-mcp-gateway", "serve"].iter().chain(words);
        match Cli::try_parse_from(words).unwrap().command {
            Command::Serve(args) => *args,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn the_two_timeouts_have_clearer_names_and_keep_the_old_ones() {
        let new = serve(&["--arcade-timeout", "7", "--client-timeout", "9"]);
        assert_eq!(new.source.arcade.request_timeout, 7.0);
        assert_eq!(new.http.http_timeout, 9);
        let old = serve(&["--request-timeout", "7", "--http-timeout", "9"]);
        assert_eq!(old.source.arcade.request_timeout, 7.0);
        assert_eq!(old.http.http_timeout, 9);
    }

    #[test]
    fn rarely_tuned_limits_are_in_help_but_not_in_short_help() {
        let mut command = Cli::command();
        let serve = command.find_subcommand_mut("serve").unwrap();
        let short = serve.render_help().to_string();
        let long = serve.render_long_help().to_string();
        for flag in [
            "--header-read-timeout",
            "--keep-alive-timeout",
            "--max-body-bytes",
        ] {
            assert!(!short.contains(flag), "{flag} in -h");
            assert!(long.contains(flag), "{flag} not in --help");
        }
        assert!(short.contains("--client-timeout") && short.contains("--arcade-timeout"));
    }
}
