//! A direct tool written in Rust, served next to the Arcade catalog over stdio.
//!
//! `GitHub_RepoSummary` asks GitHub for the user's repositories with the token Arcade
//! issued for them and answers with a summary (how many, which are private). The
//! gateway does the rest: the authorization link on the first call, the token, one
//! re-authorization if GitHub refuses it, and keeping the token out of results and logs.
//!
//! Against the built-in emulator (start it with `cargo run -- emulator`):
//!
//! ```text
//! ARCADE_API_KEY=<the emulator's key> cargo run --example native_direct_tool -- \
//!     --base-url http://127.0.0.1:PORT --user-id you@example.com \
//!     --github-api http://127.0.0.1:PORT/provider/github
//! ```
//!
//! Against Arcade and GitHub: set `ARCADE_API_KEY` and pass `--user-id` only.

use std::process::ExitCode;

use arcade_mcp_gateway::arcade::{ArcadeClient, ArcadeSettings};
use arcade_mcp_gateway::catalog::Catalog;
use arcade_mcp_gateway::catalog::ToolFilter;
use arcade_mcp_gateway::catalog::loader::load_definitions;
use arcade_mcp_gateway::cli::AuthorizationArgs;
use arcade_mcp_gateway::direct::{DirectTool, DirectTools, Grant, ProviderError, ToolContext};
use arcade_mcp_gateway::gateway::{Caller, Gateway};
use arcade_mcp_gateway::identity::UserId;
use arcade_mcp_gateway::{logging, transport};
use clap::Parser;
use futures::future::BoxFuture;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

/// Flags of the example.
#[derive(Debug, Parser)]
struct Args {
    /// Arcade's address (or the emulator's)
    #[arg(
        long,
        env = "ARCADE_BASE_URL",
        default_value = "https://api.arcade.dev"
    )]
    base_url: url::Url,
    /// Arcade API key
    #[arg(long, env = "ARCADE_API_KEY", hide_env_values = true)]
    api_key: String,
    /// The user this server acts for
    #[arg(long, env = "ARCADE_USER_ID")]
    user_id: String,
    /// GitHub's API (the emulator's fake one is `<emulator>/provider/github`)
    #[arg(long, default_value = "https://api.github.com")]
    github_api: String,
    /// How authorization prompts reach the person (the same flags as `serve`)
    #[command(flatten)]
    authorization: AuthorizationArgs,
}

/// The native tool: a summary of the user's GitHub repositories.
struct RepoSummary {
    api: String,
    grant: Grant,
}

impl DirectTool for RepoSummary {
    fn tool(&self) -> Tool {
        let schema = json!({"type": "object", "properties": {}, "additionalProperties": false});
        Tool::new_with_raw(
            "GitHub_RepoSummary",
            Some(
                "Summarizes the user's GitHub repositories: how many, and which are private."
                    .into(),
            ),
            std::sync::Arc::new(schema.as_object().cloned().unwrap_or_default()),
        )
        .with_annotations(ToolAnnotations::from_raw(
            None,
            Some(true),
            None,
            None,
            Some(true),
        ))
    }

    fn grant(&self) -> &Grant {
        &self.grant
    }

    fn call<'a>(
        &'a self,
        context: &'a ToolContext,
        _arguments: &'a JsonObject,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let request = context.http.get(format!("{}/user/repos", self.api));
            let repos = context.send_json(request).await?;
            let repos = repos.as_array().ok_or_else(|| {
                ProviderError::BadResponse("GitHub did not answer with a list".into())
            })?;
            let names = |private: bool| -> Vec<&Value> {
                repos
                    .iter()
                    .filter(|r| r["private"].as_bool() == Some(private))
                    .map(|r| &r["full_name"])
                    .collect()
            };
            Ok(json!({
                "user": context.user.as_str(),
                "count": repos.len(),
                "private": names(true),
                "public": names(false),
            }))
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    logging::init("info", logging::LogFormat::Text, None);
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let arcade = ArcadeClient::new(ArcadeSettings::new(args.base_url, args.api_key.into()))?;
    let catalog =
        Catalog::from_definitions(load_definitions(&arcade, &ToolFilter::default()).await?);
    let direct = DirectTools::builder()
        .tool(RepoSummary {
            api: args.github_api.trim_end_matches('/').to_owned(),
            grant: Grant::new("github", &["repo"]),
        })
        .build()?;
    direct.check_against(&catalog)?;
    let user = UserId::new(args.user_id);
    let gateway = Gateway::new(
        arcade,
        catalog,
        Caller::Fixed(user),
        args.authorization.settings(false)?,
    )
    .with_direct_tools(direct);
    transport::stdio::serve(gateway).await?;
    Ok(())
}
