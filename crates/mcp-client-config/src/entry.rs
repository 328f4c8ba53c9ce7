//! The stdio entry a client launches this server with, and how the Arcade key reaches
//! the server in each client: by reference, by prompt, by name, or (only where nothing
//! else works) by value.

use secrecy::{ExposeSecret, SecretString};

use super::{Client, ConfigureError, KEY_VAR, KeyStyle};

/// The id of VS Code's prompt for the key: one prompt for every entry that uses it.
pub(super) const KEY_INPUT_ID: &str = "arcade-api-key";

/// How the client launches this server, as `configure` was asked.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The program's absolute path (a desktop app's `PATH` is not the shell's): this
    /// binary, or what runs it (see [`super::Launcher`]).
    pub command: String,
    /// The program's arguments before `serve` (none when it is this binary).
    pub leading_args: Vec<String>,
    /// What follows `serve`: the serve options, checked.
    pub serve_args: Vec<String>,
    /// Variables the server needs that are not secret (`ARCADE_USER_ID`, …), with their
    /// values.
    pub env: Vec<(String, String)>,
    /// The Arcade key.
    pub key: ApiKey,
}

/// The Arcade key, as far as `configure` knows it.
#[derive(Debug, Clone)]
pub enum ApiKey {
    /// `--emulator`: the server needs none.
    NotNeeded,
    /// `ARCADE_API_KEY` of this environment.
    Given(SecretString),
    /// Not set here.
    Missing,
}

/// One server entry, in no client's format yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// The program.
    pub command: String,
    /// Its arguments, `serve` first.
    pub args: Vec<String>,
    /// The variables set for it, by value or by the client's reference syntax.
    pub env: Vec<(String, String)>,
    /// The variables the client passes on by name (Codex's `env_vars`; only Codex
    /// entries have any).
    pub forward: Vec<String>,
    /// The secret prompts the entry's references need (VS Code's `inputs`; only VS Code
    /// entries have any).
    pub prompts: Vec<Prompt>,
}

/// An entry to put into a config file under a name.
pub(super) struct Edit<'a> {
    /// The server's name in the file.
    pub name: &'a str,
    /// The entry.
    pub entry: &'a Entry,
    /// Whether an entry of the same name is replaced.
    pub force: bool,
}

impl Edit<'_> {
    /// The error for an entry of the same name already in `path`, without `--force`.
    pub fn exists(&self, path: &std::path::Path) -> ConfigureError {
        ConfigureError::Exists {
            name: self.name.to_owned(),
            path: path.to_owned(),
        }
    }
}

/// A VS Code `promptString` input: asked once, kept in VS Code's secret store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Prompt {
    /// What `${input:ID}` names.
    pub id: &'static str,
    /// What the prompt says.
    pub description: &'static str,
}

/// What became of the key, for the person to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyUse {
    /// The key's value is in the entry.
    Written,
    /// The entry names `ARCADE_API_KEY`, which is not set here: the client must have it.
    ClientMustHaveIt,
    /// Nothing to say: no key needed, a prompt, or a reference to a key that is set.
    Quiet,
    /// The client needs the key's value, and there is none: the entry cannot work.
    ValueMissing,
}

impl Entry {
    /// The entry `client` gets for `launch`, and what became of the key.
    pub fn new(client: Client, launch: &Launch) -> (Entry, KeyUse) {
        let mut entry = Entry {
            command: launch.command.clone(),
            args: (launch.leading_args.iter().cloned())
                .chain(std::iter::once("serve".to_owned()))
                .chain(launch.serve_args.iter().cloned())
                .collect(),
            env: Vec::new(),
            forward: Vec::new(),
            prompts: Vec::new(),
        };
        let key_use = entry.pass_key(client, &launch.key);
        entry.env.extend(launch.env.iter().cloned());
        (entry, key_use)
    }

    fn pass_key(&mut self, client: Client, key: &ApiKey) -> KeyUse {
        let missing = matches!(key, ApiKey::Missing);
        let referenced = if missing {
            KeyUse::ClientMustHaveIt
        } else {
            KeyUse::Quiet
        };
        match (client.key_style(), key) {
            (_, ApiKey::NotNeeded) => KeyUse::Quiet,
            (KeyStyle::Literal, ApiKey::Missing) => KeyUse::ValueMissing,
            (KeyStyle::Literal, ApiKey::Given(key)) => {
                self.set(KEY_VAR, key.expose_secret());
                KeyUse::Written
            }
            (KeyStyle::Reference(reference), _) => {
                self.set(KEY_VAR, reference);
                referenced
            }
            (KeyStyle::Prompt, _) => {
                self.set(KEY_VAR, &format!("${{input:{KEY_INPUT_ID}}}"));
                self.prompts.push(Prompt {
                    id: KEY_INPUT_ID,
                    description: "Arcade API key",
                });
                KeyUse::Quiet
            }
            (KeyStyle::Forward, _) => {
                self.forward.push(KEY_VAR.to_owned());
                referenced
            }
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        self.env.push((name.to_owned(), value.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(key: ApiKey) -> Launch {
        Launch {
            command: "/opt/bin/arcade-mcp-gateway".into(),
            leading_args: vec![],
            serve_args: vec!["--toolkit".into(), "Math".into()],
            env: vec![("ARCADE_USER_ID".into(), "ann@example.com".into())],
            key,
        }
    }

    fn given() -> ApiKey {
        ApiKey::Given(SecretString::from("arc_secret"))
    }

    #[test]
    fn only_claude_desktop_gets_the_value_of_the_key() {
        for client in Client::ALL {
            let (entry, key_use) = Entry::new(client, &launch(given()));
            let text = format!("{entry:?}");
            assert_eq!(
                text.contains("arc_secret"),
                client == Client::ClaudeDesktop,
                "{client}"
            );
            assert_eq!(key_use == KeyUse::Written, client == Client::ClaudeDesktop);
            assert_eq!(entry.args, ["serve", "--toolkit", "Math"]);
            assert!(
                entry
                    .env
                    .contains(&("ARCADE_USER_ID".into(), "ann@example.com".into()))
            );
        }
    }

    #[test]
    fn a_missing_key_stops_claude_desktop_and_warns_for_the_clients_that_reference_it() {
        for client in Client::ALL {
            let (_, key_use) = Entry::new(client, &launch(ApiKey::Missing));
            let expected = match client {
                Client::ClaudeDesktop => KeyUse::ValueMissing,
                Client::VsCode => KeyUse::Quiet,
                _ => KeyUse::ClientMustHaveIt,
            };
            assert_eq!(key_use, expected, "{client}");
        }
    }

    #[test]
    fn the_emulator_needs_no_key_anywhere() {
        for client in Client::ALL {
            let (entry, key_use) = Entry::new(client, &launch(ApiKey::NotNeeded));
            assert_eq!(key_use, KeyUse::Quiet);
            assert!(entry.forward.is_empty() && entry.prompts.is_empty());
            assert!(
                entry.env.iter().all(|(name, _)| name != KEY_VAR),
                "{client}"
            );
        }
    }
}
