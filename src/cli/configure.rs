//! `configure <client>`: writes the stdio entry that launches this binary into an MCP
//! client's config file. The serve options beside the client's name are parsed by
//! `serve`'s own definitions, so the entry cannot hold a flag `serve` would refuse.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, FromArgMatches};

use super::CliError;
use super::serve::{ServeArgs, Transport};
use mcp_client_config::{
    self, ApiKey, Client, ConfigureError, Homes, Launch, Launcher, Note, Request, Scope,
};

/// Flags of `configure`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:\n  \
    arcade-mcp-gateway configure claude-desktop --toolkit Gmail\n  \
    arcade-mcp-gateway configure vscode --project . --emulator\n  \
    arcade-mcp-gateway configure codex --print")]
pub struct ConfigureArgs {
    /// The client whose config file gets the entry
    #[arg(value_parser = client_parser())]
    pub client: Client,

    /// The entry's name in the client's config
    #[arg(long, default_value = "arcade")]
    pub name: String,

    /// Print the whole file it would write (on standard output) and change nothing
    #[arg(long)]
    pub print: bool,

    /// Replace an entry of the same name
    #[arg(long)]
    pub force: bool,

    /// Write the project's config file in DIR (e.g. DIR/.vscode/mcp.json) instead of
    /// your user's; not for claude-desktop or windsurf, which have none
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// The options of `serve` the client launches it with.
    #[command(
        flatten,
        next_help_heading = "Serve options (written into the entry's args)"
    )]
    pub serve: ServeOptions,
}

/// `serve`'s own flags inside `configure`, parsed by `serve`'s definitions, kept with
/// the words that set them: the entry's `args` repeat those words, in their order.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The flags, as `serve` reads them (with the variables of this environment).
    pub args: ServeArgs,
    /// The words of the command line that set them.
    pub words: Vec<String>,
    /// The variables `serve` read from this environment that the entry must carry.
    pub carried_env: Vec<(String, String)>,
    /// A secret flag given on the command line (`--api-key`), which would put the
    /// secret into `args`, and its variable.
    pub secret_flag: Option<(String, String)>,
}

impl clap::Args for ServeOptions {
    fn augment_args(command: clap::Command) -> clap::Command {
        hide_what_an_entry_cannot_use(ServeArgs::augment_args(command))
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        hide_what_an_entry_cannot_use(ServeArgs::augment_args_for_update(command))
    }
}

/// Leaves out of `--help` the serve options an entry refuses or has no use for: secrets
/// on the command line, and HTTP (the client speaks stdio). They still parse, so that
/// the refusal can say why.
fn hide_what_an_entry_cannot_use(command: clap::Command) -> clap::Command {
    command.mut_args(|arg| {
        let http = arg.get_help_heading() == Some("HTTP transport");
        if http || arg.is_hide_env_values_set() || arg.get_id() == "transport" {
            arg.hide(true)
        } else {
            arg
        }
    })
}

impl FromArgMatches for ServeOptions {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let serve = ServeArgs::augment_args(clap::Command::new("serve"));
        let secret_flag = given(&serve, matches)
            .find(|arg| arg.is_hide_env_values_set())
            .map(|arg| {
                let var = arg.get_env().map(|v| v.to_string_lossy().into_owned());
                (long(arg), var.unwrap_or_default())
            });
        Ok(Self {
            args: ServeArgs::from_arg_matches(matches)?,
            words: serve_words(&serve, matches)?,
            carried_env: carried_env(matches),
            secret_flag,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// The serve options given on the command line (not from a variable or a default).
fn given<'a>(
    serve: &'a clap::Command,
    matches: &'a ArgMatches,
) -> impl Iterator<Item = &'a clap::Arg> {
    serve
        .get_arguments()
        .filter(|arg| matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine))
}

fn long(arg: &clap::Arg) -> String {
    let name = arg.get_long().expect("every serve option is a long flag");
    format!("--{name}")
}

/// The serve options given, as words in the order given: `--flag`, or `--flag VALUE`
/// for each value.
fn serve_words(serve: &clap::Command, matches: &ArgMatches) -> Result<Vec<String>, clap::Error> {
    let mut placed: Vec<(usize, Vec<String>)> = Vec::new();
    for arg in given(serve, matches) {
        let (id, flag) = (arg.get_id().as_str(), long(arg));
        let indices = matches.indices_of(id).into_iter().flatten();
        if !arg.get_action().takes_values() {
            placed.extend(indices.take(1).map(|at| (at, vec![flag.clone()])));
            continue;
        }
        for (at, raw) in indices.zip(matches.get_raw(id).into_iter().flatten()) {
            let value = raw.to_str().ok_or_else(|| {
                let message =
                    format!("the value of {flag} is not UTF-8, which a config file cannot hold\n");
                clap::Error::raw(clap::error::ErrorKind::InvalidUtf8, message)
            })?;
            placed.push((at, vec![flag.clone(), value.to_owned()]));
        }
    }
    placed.sort_by_key(|(at, _)| *at);
    Ok(placed.into_iter().flat_map(|(_, words)| words).collect())
}

/// The client names, with the product each stands for in `--help`.
fn client_parser() -> impl TypedValueParser<Value = Client> {
    let values = Client::ALL.map(|c| PossibleValue::new(c.name()).help(c.title()));
    PossibleValuesParser::new(values).map(|name| {
        Client::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .expect("the parser accepts only the clients' names")
    })
}

/// Writes the entry (or prints it with `--print`), then says what to do next.
pub fn run(args: &ConfigureArgs) -> Result<(), CliError> {
    let request = Request {
        client: args.client,
        name: args.name.clone(),
        scope: args.project.clone().map_or(Scope::User, Scope::Project),
        force: args.force,
        launch: launch(&args.serve)?,
    };
    let plan = plan(request, args.print)?;
    if args.project.is_some()
        && let Some(approval) = args.client.project_approval()
    {
        eprintln!("note: {approval}");
    }
    if args.print {
        print(&plan);
        return Ok(());
    }
    let applied = plan.apply()?;
    for note in &plan.notes {
        eprintln!("{note}");
    }
    let backup = match &applied.backup {
        Some(backup) => format!("backup: {}", backup.display()),
        None => "a new file".to_owned(),
    };
    eprintln!(
        "configured {} for {} in {} ({backup}); next: {}",
        args.name,
        args.client.title(),
        plan.path.display(),
        args.client.next_step()
    );
    Ok(())
}

/// The plan; with `--print`, which writes nothing, an entry of the same name is shown
/// replaced, with a line saying that writing it needs `--force`.
fn plan(request: Request, print: bool) -> Result<mcp_client_config::Plan, CliError> {
    let homes = Homes::from_env();
    match mcp_client_config::plan(&request, &homes) {
        Err(ConfigureError::Exists { name, path }) if print => {
            eprintln!(
                "# an entry named `{name}` is already in {}; shown replaced (to write it, \
                 pass --force)",
                path.display()
            );
            let replacing = Request {
                force: true,
                ..request
            };
            Ok(mcp_client_config::plan(&replacing, &homes)?)
        }
        planned => Ok(planned?),
    }
}

/// `--print`: the warnings, the file's name on stderr and its new content on stdout.
fn print(plan: &mcp_client_config::Plan) {
    let warnings = plan
        .notes
        .iter()
        .filter(|n| matches!(n, Note::ClientNeedsKey(_)));
    for warning in warnings {
        eprintln!("{warning}");
    }
    eprintln!("# would write {}", plan.path.display());
    print!("{}", plan.text);
}

/// The launch the entry describes: the serve options, checked as `serve` checks them.
fn launch(options: &ServeOptions) -> Result<Launch, CliError> {
    if let Some((flag, var)) = options.secret_flag.clone() {
        return Err(ConfigureError::SecretOnCommandLine { flag, var }.into());
    }
    if options.args.transport != Transport::Stdio {
        return Err(ConfigureError::NotStdio.into());
    }
    check_as_serve(&options.args)?;
    let launcher = Launcher::of_this_binary()?;
    Ok(Launch {
        command: launcher.command,
        leading_args: launcher.args,
        serve_args: options.words.clone(),
        env: options.carried_env.clone(),
        key: api_key(&options.args),
    })
}

/// Every serve option checked as `serve` would, but the key: it reaches the launched
/// server from the client (a reference, a prompt), not from this environment.
fn check_as_serve(serve: &ServeArgs) -> Result<(), CliError> {
    let mut serve = serve.clone();
    serve
        .source
        .arcade
        .api_key
        .get_or_insert_with(|| "arc_checked_by_the_client".to_owned());
    serve.config()?;
    Ok(())
}

/// The variables `serve` read from this environment that the launched server needs
/// too, which the client would not pass on: the user, the engine (without it the key
/// would go to Arcade's hosted engine instead) and the toolkits.
fn carried_env(matches: &ArgMatches) -> Vec<(String, String)> {
    [
        ("user_id", "ARCADE_USER_ID"),
        ("base_url", "ARCADE_BASE_URL"),
        ("toolkits", "ARCADE_GATEWAY_TOOLKITS"),
    ]
    .into_iter()
    .filter(|(id, _)| matches.value_source(id) == Some(ValueSource::EnvVariable))
    .filter_map(|(id, var)| {
        let values: Vec<&str> = matches
            .get_many::<String>(id)?
            .map(|value| value.trim())
            .collect();
        Some((var.to_owned(), values.join(",")))
    })
    .collect()
}

fn api_key(serve: &ServeArgs) -> ApiKey {
    if serve.source.emulator {
        return ApiKey::NotNeeded;
    }
    match serve.source.arcade.api_key.as_deref().map(str::trim) {
        Some(key) if !key.is_empty() => ApiKey::Given(key.to_owned().into()),
        _ => ApiKey::Missing,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    fn parse(words: &[&str]) -> Cli {
        Cli::try_parse_from(["arcade-mcp-gateway"].iter().chain(words)).unwrap()
    }

    #[test]
    fn the_entry_repeats_the_serve_words_in_their_order_and_serve_takes_them() {
        let words = [
            "configure",
            "cursor",
            "--toolkit",
            "Math",
            "--force",
            "--emulator",
            "--toolkit=Mail",
            "--name",
            "demo",
            "--discovery",
            "never",
        ];
        let Command::Configure(args) = parse(&words).command else {
            panic!("configure")
        };
        assert!(args.force && args.name == "demo");
        let expected = [
            "--toolkit",
            "Math",
            "--emulator",
            "--toolkit",
            "Mail",
            "--discovery",
            "never",
        ];
        assert_eq!(args.serve.words, expected);
        let serve: Vec<&str> = std::iter::once("serve")
            .chain(args.serve.words.iter().map(String::as_str))
            .collect();
        let Command::Serve(serve) = parse(&serve).command else {
            panic!("serve")
        };
        assert!(serve.source.emulator);
        assert_eq!(serve.source.arcade.toolkits, ["Math", "Mail"]);
    }
}
