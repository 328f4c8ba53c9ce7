//! `hash-token`: the line of a bearer-token file for a token and a user.

use super::CliError;
use crate::config::{self, ConfigError};
use crate::identity;

/// Flags of `hash-token`.
#[derive(Debug, Clone, clap::Args)]
pub struct HashTokenArgs {
    /// The user the token stands for
    #[arg(long)]
    pub user_id: String,
    /// The token, read from standard input when absent (so it stays out of the shell history)
    #[arg(long)]
    pub token: Option<String>,
}

/// Prints `sha256:<hex> <user>`; only the token's hash is ever stored.
pub fn run(args: HashTokenArgs) -> Result<(), CliError> {
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
