//! What `arcade-mcp-gateway configure` knows about MCP clients: where each keeps its
//! config file, in what format, how it passes a secret to a server it launches, and how
//! to add the gateway's stdio entry to that file without losing anything already in it.
//!
//! It is a crate of its own because it is a concern of its own: it knows nothing of
//! the gateway but the entry it is asked to write, and the gateway's `cli` and `doctor`
//! are its only users.
//!
//! The flow: [`plan`] finds the file (`paths`) and reads it (`file`), builds the entry
//! for the client (`entry`), merges it in (`json` or `codex`) and returns a [`Plan`]
//! holding the whole new text; [`Plan::apply`] backs the old file up and writes the new
//! one atomically. Nothing is written before every check has passed.

mod codex;
mod entry;
mod error;
mod file;
mod installed;
mod json;
mod launcher;
mod paths;
mod plan;

use std::fmt;

use json::{Dialect, Shape};

pub use entry::{ApiKey, Launch};
pub use error::ConfigureError;
pub use installed::Installed;
pub use launcher::Launcher;
pub use paths::{Homes, Scope};
pub use plan::{Applied, Note, Plan, Request, plan};

/// The variable holding the Arcade key, in the server's environment.
const KEY_VAR: &str = "ARCADE_API_KEY";

/// An MCP client `configure` can write an entry for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// Claude Desktop (`claude_desktop_config.json`).
    ClaudeDesktop,
    /// Claude Code, user scope (`~/.claude.json`) or a project's `.mcp.json`.
    ClaudeCode,
    /// Cursor (`~/.cursor/mcp.json`).
    Cursor,
    /// VS Code with GitHub Copilot (`Code/User/mcp.json`).
    VsCode,
    /// Windsurf (`~/.codeium/windsurf/mcp_config.json`).
    Windsurf,
    /// OpenAI Codex CLI (`$CODEX_HOME/config.toml`).
    Codex,
    /// Gemini CLI (`~/.gemini/settings.json`).
    Gemini,
}

/// How a client's config file is written.
#[derive(Debug, Clone, Copy)]
enum Format {
    /// JSON, holding the servers as an object.
    Json(Shape),
    /// Codex's TOML, one `[mcp_servers.NAME]` table an entry.
    Toml,
}

/// How a client hands the Arcade key to the server it launches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyStyle {
    /// It cannot reference a variable: the key's value goes into the file.
    Literal,
    /// It expands this reference to its own `ARCADE_API_KEY` in the entry's `env`.
    Reference(&'static str),
    /// It prompts for the key once and keeps it in its secret store (VS Code `inputs`).
    Prompt,
    /// It passes on only the variables an entry lists (Codex `env_vars`).
    Forward,
}

impl Client {
    /// Every client, in the order `--help` lists them.
    pub const ALL: [Client; 7] = [
        Client::ClaudeDesktop,
        Client::ClaudeCode,
        Client::Cursor,
        Client::VsCode,
        Client::Windsurf,
        Client::Codex,
        Client::Gemini,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "claude-desktop",
            Client::ClaudeCode => "claude-code",
            Client::Cursor => "cursor",
            Client::VsCode => "vscode",
            Client::Windsurf => "windsurf",
            Client::Codex => "codex",
            Client::Gemini => "gemini",
        }
    }

    /// The product's name, for messages.
    pub fn title(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "Claude Desktop",
            Client::ClaudeCode => "Claude Code",
            Client::Cursor => "Cursor",
            Client::VsCode => "VS Code",
            Client::Windsurf => "Windsurf",
            Client::Codex => "Codex",
            Client::Gemini => "Gemini CLI",
        }
    }

    /// What the person does next for the client to start the server.
    pub fn next_step(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "quit and restart Claude Desktop",
            Client::ClaudeCode => "run `claude mcp list` to check it",
            Client::Cursor => "restart Cursor, then check Settings → MCP",
            Client::VsCode => "run `MCP: List Servers` in VS Code and start it",
            Client::Windsurf => "refresh the MCP panel in Windsurf's Cascade",
            Client::Codex => "run `codex mcp list` to check it",
            Client::Gemini => "run `gemini mcp list` to check it",
        }
    }

    /// What the client asks of the person before it starts a server from a project's
    /// file: a project entry is not used until then, which looks like a broken entry
    /// to someone who does not know. `None` for clients without project files.
    pub fn project_approval(self) -> Option<&'static str> {
        match self {
            Client::ClaudeDesktop | Client::Windsurf => None,
            Client::ClaudeCode => Some(
                "Claude Code asks each person to approve a project's servers: until they do, \
                 `claude mcp list` shows the entry as pending approval (start `claude` in the \
                 project and accept it)",
            ),
            Client::Cursor => Some(
                "Cursor asks before it enables a project's servers: turn the entry on in \
                 Settings → MCP when it asks",
            ),
            Client::VsCode => {
                Some("VS Code asks you to trust a workspace's server the first time it starts it")
            }
            Client::Codex => Some(
                "Codex reads a project's .codex/config.toml only once the project is trusted: \
                 until then `codex mcp list` says no servers are configured (start `codex` in \
                 the project and trust it)",
            ),
            Client::Gemini => Some(
                "Gemini CLI starts a project's servers only in a trusted folder: until it is \
                 trusted, `gemini mcp list` shows the entry as disabled (trust it with \
                 `/permissions` in gemini)",
            ),
        }
    }

    fn format(self) -> Format {
        let json = |servers, dialect, typed| {
            Format::Json(Shape {
                servers,
                dialect,
                typed,
            })
        };
        match self {
            Client::ClaudeDesktop | Client::Windsurf => json("mcpServers", Dialect::Strict, false),
            Client::ClaudeCode | Client::Cursor => json("mcpServers", Dialect::Strict, true),
            Client::VsCode => json("servers", Dialect::Jsonc, true),
            Client::Gemini => json("mcpServers", Dialect::Jsonc, false),
            Client::Codex => Format::Toml,
        }
    }

    fn key_style(self) -> KeyStyle {
        match self {
            Client::ClaudeDesktop => KeyStyle::Literal,
            Client::ClaudeCode => KeyStyle::Reference("${ARCADE_API_KEY}"),
            Client::Cursor | Client::Windsurf => KeyStyle::Reference("${env:ARCADE_API_KEY}"),
            // Gemini strips inherited variables that look secret (`*KEY*`), so the entry
            // must pass the key on explicitly.
            Client::Gemini => KeyStyle::Reference("$ARCADE_API_KEY"),
            Client::VsCode => KeyStyle::Prompt,
            Client::Codex => KeyStyle::Forward,
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
