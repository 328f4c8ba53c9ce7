//! `call`: one tool, run from a script for the configured user, through the same
//! pipeline as an MCP client's `tools/call` (see [`crate::in_process_call`]).
//!
//! Exit codes, kept stable for scripts: 0 the tool succeeded; 1 the tool reported an
//! error; 2 a usage or configuration mistake; 3 the user must grant access first (the
//! link is printed on stdout); 4 the engine could not be reached.

use std::path::PathBuf;
use std::time::Duration;

use rmcp::model::{CallToolResult, JsonObject};

use super::{CliError, ServeArgs};
use crate::catalog::loader::LoadError;
use crate::config::TransportConfig;
use crate::gateway::Caller;
use crate::in_process_call::{self, InProcessCallError, Outcome, Wait};
use crate::startup::{Serving, StartError};

/// The exit codes of `call`.
const TOOL_ERROR: u8 = 1;
const USAGE: u8 = 2;
const NEEDS_AUTHORIZATION: u8 = 3;
const UNREACHABLE: u8 = 4;

/// Flags of `call`.
#[derive(Debug, Clone, clap::Args)]
pub struct CallArgs {
    /// The tool: its qualified name (`Gmail.ListEmails`) or its MCP name
    /// (`Gmail_ListEmails`)
    pub tool: String,

    /// The arguments, as a JSON object (default `{}`)
    #[arg(long, value_name = "JSON", conflicts_with = "input_file")]
    pub input: Option<String>,

    /// A file holding the arguments as a JSON object; `-` reads standard input
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,

    /// Print the whole MCP result as JSON (content, structuredContent, isError)
    #[arg(long)]
    pub json: bool,

    /// When the user has not granted access yet: print the link, wait up to SECONDS
    /// for the grant, then run the tool
    #[arg(long, value_name = "SECONDS")]
    pub wait: Option<u64>,

    /// The flags of `serve`: where Arcade is, the user, the tools.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Why `call` could not run the tool.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The arguments are not a JSON object.
    #[error(
        "the arguments are not a JSON object ({0}); pass them as e.g. --input '{{\"owner\": \"acme\"}}'"
    )]
    BadInput(String),
    /// The arguments file could not be read.
    #[error("could not read the arguments file {path}: {error}")]
    InputFile {
        /// The file given.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// `call` acts for one user, like stdio.
    #[error("`call` runs one tool for one user: leave out --transport http")]
    NotStdio,
    /// The call could not be made.
    #[error(transparent)]
    Call(#[from] InProcessCallError),
}

/// Runs the tool and prints its outcome; the exit code tells which.
pub async fn run(args: &CallArgs) -> Result<(), CliError> {
    let config = args.serve.config()?;
    let TransportConfig::Stdio { user } = &config.transport else {
        return Err(CallError::NotStdio.into());
    };
    let arguments = arguments(args)?;
    let serving = match Serving::new(&config).await {
        Ok(serving) => serving,
        Err(error) if engine_unreachable(&error) => {
            eprintln!("error: {error}");
            return Err(CliError::Exit(UNREACHABLE));
        }
        Err(error) => return Err(error.into()),
    };
    let catalog = serving.prepared.catalog.current();
    let gateway = serving.gateway(Caller::Fixed(user.clone()));
    let wait = args.wait.map(|seconds| Wait {
        at_most: Duration::from_secs(seconds),
        show_link,
    });
    let outcome = in_process_call::call(gateway, &catalog, &args.tool, arguments, wait).await;
    match outcome {
        Ok(outcome) => report(args, outcome),
        Err(InProcessCallError::Refused(message)) => {
            eprintln!("error: {message}");
            Err(CliError::Exit(USAGE))
        }
        Err(error) => Err(CallError::from(error).into()),
    }
}

/// The arguments from `--input` or `--input-file`, `{}` without either.
fn arguments(args: &CallArgs) -> Result<JsonObject, CallError> {
    let text = match (&args.input, &args.input_file) {
        (Some(input), _) => input.clone(),
        (None, Some(path)) if path.as_os_str() == "-" => std::io::read_to_string(std::io::stdin())
            .map_err(|error| CallError::InputFile {
                path: path.clone(),
                error,
            })?,
        (None, Some(path)) => {
            std::fs::read_to_string(path).map_err(|error| CallError::InputFile {
                path: path.clone(),
                error,
            })?
        }
        (None, None) => return Ok(JsonObject::new()),
    };
    serde_json::from_str(&text).map_err(|e| CallError::BadInput(e.to_string()))
}

fn engine_unreachable(error: &StartError) -> bool {
    matches!(error, StartError::Load(LoadError::Arcade(error)) if error.is_unreachable())
}

fn show_link(url: &str) {
    eprintln!("Open this link and approve access; the call goes on once you have:\n{url}");
}

/// Prints the outcome (stdout for results and links, stderr for explanations) and
/// gives its exit code.
fn report(args: &CallArgs, outcome: Outcome) -> Result<(), CliError> {
    let (result, code) = match outcome {
        Outcome::Succeeded(result) => {
            print_result(args.json, &result, true);
            return Ok(());
        }
        Outcome::Failed(result) => (Some(result), TOOL_ERROR),
        Outcome::Unreachable(result) => (Some(result), UNREACHABLE),
        Outcome::NeedsAuthorization { url, result } => {
            eprintln!(
                "The user has not granted access yet{}: open the link below, approve, then run \
                 this command again (or pass --wait SECONDS).",
                args.wait
                    .map(|s| format!(" (not within {s} s)"))
                    .unwrap_or_default()
            );
            if args.json
                && let Some(result) = &result
            {
                print_result(true, result, true);
            } else {
                println!("{url}");
            }
            return Err(CliError::Exit(NEEDS_AUTHORIZATION));
        }
    };
    if let Some(result) = result {
        print_result(args.json, &result, args.json);
    }
    Err(CliError::Exit(code))
}

/// The result as JSON, or its text; on stdout, or (a failure's text) on stderr.
fn print_result(json: bool, result: &CallToolResult, to_stdout: bool) {
    let text = if json {
        serde_json::to_string_pretty(result).unwrap_or_default()
    } else {
        result_text(result)
    };
    if to_stdout {
        println!("{text}");
    } else {
        eprintln!("{text}");
    }
}

/// The text blocks of a result, or its structured content when it has no text.
fn result_text(result: &CallToolResult) -> String {
    let texts: Vec<&str> = result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|t| t.text.as_str()))
        .collect();
    if texts.is_empty()
        && let Some(structured) = &result.structured_content
    {
        return structured.to_string();
    }
    texts.join("\n")
}
