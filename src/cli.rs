//! The command line: `serve`, `tools` and `emulator`, and the exit codes.
//!
//! Exit code 2 means the server could not start: the configuration is wrong, or Arcade
//! could not give the catalog (a one-line error says what to set or what happened);
//! 1 means the server failed while running.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, ArcadeArgs, ConfigError};
use crate::emulator::EmulatorArgs;
use crate::gateway::{AuthorizationArgs, Caller};
use crate::startup::{self, Prepared, Serving, StartError};
use crate::{emulator, identity, transport};

/// An MCP server that serves Arcade's tools, with per-user authorization.
#[derive(Debug, Parser)]
#[command(name = "arcade-mcp-gateway", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve Arcade's tools to MCP clients: over stdio (one user), or over HTTP (many)
    Serve(Box<ServeArgs>),
    /// Print the tools the server would serve: name, authorization, provider, scopes
    Tools(ToolsArgs),
    /// Run a local Arcade-compatible engine (no Arcade account needed)
    Emulator(EmulatorArgs),
    /// Print the line of a bearer-token file for a token and a user (only the token's
    /// hash is stored)
    HashToken(HashTokenArgs),
}

/// Flags of `hash-token`.
#[derive(Debug, Clone, Args)]
pub struct HashTokenArgs {
    /// The user the token stands for
    #[arg(long)]
    pub user_id: String,
    /// The token, read from standard input when absent (so it stays out of the shell history)
    #[arg(long)]
    pub token: Option<String>,
}

/// Flags of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Where Arcade is and which tools to serve.
    #[command(flatten)]
    pub source: SourceArgs,

    /// Where the catalog is cached between starts.
    #[command(flatten)]
    pub cache: config::CatalogCacheArgs,

    /// The Arcade user id this server acts for [env: ARCADE_USER_ID]; over HTTP only on
    /// a loopback address, when no other identity mode is chosen
    #[arg(long, env = "ARCADE_USER_ID")]
    pub user_id: Option<String>,

    /// How authorization prompts reach the person.
    #[command(flatten)]
    pub authorization: AuthorizationArgs,

    /// The direct tools served beside Arcade's.
    #[command(flatten)]
    pub direct: config::DirectToolsArgs,

    /// How clients connect: `stdio` (one client, the one that launched the server) or
    /// `http` (Streamable HTTP at /mcp and legacy SSE at /sse, for many users)
    #[arg(long, value_enum, default_value_t = Transport::Stdio)]
    pub transport: Transport,

    /// The HTTP transport's flags.
    #[command(flatten, next_help_heading = "HTTP transport")]
    pub http: transport::http::HttpArgs,
}

/// The transports `serve` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// MCP over stdin/stdout.
    Stdio,
    /// MCP over HTTP.
    Http,
}

/// Flags of `tools`.
#[derive(Debug, Clone, Args)]
pub struct ToolsArgs {
    /// Where Arcade is and which tools to list.
    #[command(flatten)]
    pub source: SourceArgs,

    /// The direct tools listed beside Arcade's.
    #[command(flatten)]
    pub direct: config::DirectToolsArgs,

    /// Print the MCP tool definitions as JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

/// Where the tools come from: Arcade, or the built-in emulator.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Arcade's address, key and filters.
    #[command(flatten)]
    pub arcade: ArcadeArgs,

    /// Start the built-in emulator in-process and serve its demo tools (no Arcade
    /// account needed; overrides the key and base URL)
    #[arg(long)]
    pub emulator: bool,
}

/// Which async runtime a command runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// One thread: one stdio client's calls are a chain of hops (stdin, the handler,
    /// the request to Arcade), and on one thread no hop waits for another thread to
    /// wake up (a profile of stdio calls showed task switches as the largest cost).
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

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Tools(args) => tools(args).await,
        Command::Emulator(args) => emulator::run(args).await.map_err(StartError::from),
        Command::HashToken(args) => hash_token(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), StartError> {
    if args.transport == Transport::Http {
        let fixed = crate::startup::fixed_user(&args);
        // Flag mistakes end the program before the catalog is loaded.
        args.http.identity(fixed.clone())?;
        args.http.limits()?;
        let serving = Serving::new(&args).await?;
        return Ok(transport::http::serve(serving, fixed, &args.http).await?);
    }
    let user = crate::startup::user_for(&args)?;
    let serving = Serving::new(&args).await?;
    tracing::info!(tools = serving.prepared.catalog.current().len(), user = %user, "serving over stdio");
    transport::stdio::serve(serving.gateway(Caller::Fixed(user))).await
}

async fn tools(args: ToolsArgs) -> Result<(), StartError> {
    let direct = startup::direct_tools(&args.direct)?;
    let prepared = Prepared::new(&args.source, None).await?;
    let catalog = prepared.catalog.current();
    if let Some(direct) = &direct {
        direct.check_against(&catalog)?;
    }
    let listing = if args.json {
        crate::listing::json(&catalog, direct.as_ref())
    } else {
        crate::listing::table(&catalog, direct.as_ref())
    };
    println!("{listing}");
    Ok(())
}

fn hash_token(args: HashTokenArgs) -> Result<(), StartError> {
    let token = match args.token {
        Some(token) => token,
        None => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line
        }
    };
    let token = token.trim();
    let user = config::user_id(Some(&args.user_id))?;
    if token.is_empty() {
        return Err(ConfigError::EmptyToken.into());
    }
    println!("sha256:{} {user}", identity::hash_token(token));
    Ok(())
}
