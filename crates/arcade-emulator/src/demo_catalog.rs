//! The built-in demo catalog: three small toolkits written for this project.
//!
//! - `Math` needs no authorization and really computes.
//! - `Mail` (provider `google`) reads and "sends" email: fake, deterministic per user.
//! - `CodeHost` (provider `github`) lists repositories and "creates" issues, likewise.
//!
//! Between them they show every shape the gateway must handle: enums, arrays, optional
//! parameters, read-only and side-effecting tools, and different scopes of one provider.

use serde_json::json;

use super::catalog::{CatalogTool, Runner};
use arcade_types::*;

/// The demo tools, so execute can dispatch without string matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoTool {
    /// `Math.Add`.
    Add,
    /// `Math.Subtract`.
    Subtract,
    /// `Math.Multiply`.
    Multiply,
    /// `Math.Divide`.
    Divide,
    /// `Math.Sqrt`.
    Sqrt,
    /// `Math.SumList`.
    SumList,
    /// `Mail.ListEmails`.
    ListEmails,
    /// `Mail.SendEmail`.
    SendEmail,
    /// `CodeHost.ListRepositories`.
    ListRepositories,
    /// `CodeHost.CreateIssue`.
    CreateIssue,
}

/// Gmail's read scope, asked by `Mail.ListEmails`.
pub const GMAIL_READ: &str = "https://www.googleapis.com/auth/gmail.readonly";
/// Gmail's send scope, asked by `Mail.SendEmail`.
pub const GMAIL_SEND: &str = "https://www.googleapis.com/auth/gmail.send";

const MATH_VERSION: &str = "1.2.0";
const MAIL_VERSION: &str = "2.0.1";
const CODEHOST_VERSION: &str = "0.9.3";

/// The demo catalog, in listing order.
pub fn demo_tools() -> Vec<CatalogTool> {
    let mut tools = math_tools();
    tools.extend(mail_tools());
    tools.extend(codehost_tools());
    tools
}

fn math_tools() -> Vec<CatalogTool> {
    let two = || {
        vec![
            number("a", "The first number."),
            number("b", "The second number."),
        ]
    };
    let tk = || {
        Toolkit::new(
            "Math",
            MATH_VERSION,
            "Arithmetic that needs no authorization.",
        )
    };
    vec![
        tk().tool(DemoTool::Add, "Add", "Adds two numbers: a + b.", two()),
        tk().tool(
            DemoTool::Subtract,
            "Subtract",
            "Subtracts b from a: a - b.",
            two(),
        ),
        tk().tool(
            DemoTool::Multiply,
            "Multiply",
            "Multiplies two numbers: a * b.",
            two(),
        ),
        tk().tool(
            DemoTool::Divide,
            "Divide",
            "Divides a by b: a / b. b must not be zero.",
            vec![
                number("a", "The dividend."),
                number("b", "The divisor, not zero."),
            ],
        ),
        tk().tool(
            DemoTool::Sqrt,
            "Sqrt",
            "The square root of a non-negative number.",
            vec![number("x", "The number, at least 0.")],
        ),
        tk().tool(
            DemoTool::SumList,
            "SumList",
            "Adds up a list of numbers.",
            vec![param(
                "numbers",
                true,
                "The numbers to add.",
                array_of(ValType::Number),
            )],
        ),
    ]
    .into_iter()
    .map(|tool| tool.output("The result.", ValType::Number).behavior(READ))
    .collect()
}

fn mail_tools() -> Vec<CatalogTool> {
    let tk = || {
        Toolkit::new(
            "Mail",
            MAIL_VERSION,
            "A mailbox (fake data) behind Google OAuth.",
        )
    };
    vec![
        tk().tool(
            DemoTool::ListEmails,
            "ListEmails",
            "Lists the most recent emails of the user's mailbox.",
            vec![
                param(
                    "n_emails",
                    false,
                    "How many emails, 1 to 20 (default 5).",
                    scalar(ValType::Integer),
                ),
                param(
                    "folder",
                    false,
                    "Which folder (default inbox).",
                    one_of(&["inbox", "sent", "starred"]),
                ),
            ],
        )
        .output("The emails, newest first.", ValType::Json)
        .requires("google", &[GMAIL_READ])
        .behavior(READ_REMOTE),
        tk().tool(
            DemoTool::SendEmail,
            "SendEmail",
            "Sends an email from the user's account. Each call sends one more email.",
            vec![
                param(
                    "recipient",
                    true,
                    "The recipient's address.",
                    scalar(ValType::String),
                ),
                param(
                    "subject",
                    true,
                    "The subject line.",
                    scalar(ValType::String),
                ),
                param(
                    "body",
                    true,
                    "The plain-text body.",
                    scalar(ValType::String),
                ),
                param("cc", false, "More recipients.", array_of(ValType::String)),
            ],
        )
        .output("The sent message's id and status.", ValType::Json)
        .requires("google", &[GMAIL_SEND])
        .behavior(CREATE_REMOTE),
    ]
}

fn codehost_tools() -> Vec<CatalogTool> {
    let tk = || {
        Toolkit::new(
            "CodeHost",
            CODEHOST_VERSION,
            "Source hosting (fake data) behind GitHub OAuth.",
        )
    };
    vec![
        tk().tool(
            DemoTool::ListRepositories,
            "ListRepositories",
            "Lists the user's repositories.",
            vec![
                param(
                    "visibility",
                    false,
                    "Which ones (default all).",
                    one_of(&["all", "public", "private"]),
                ),
                param(
                    "limit",
                    false,
                    "At most this many, 1 to 30 (default 10).",
                    scalar(ValType::Integer),
                ),
            ],
        )
        .output("The repositories.", ValType::Json)
        .requires("github", &["repo"])
        .behavior(READ_REMOTE),
        tk().tool(
            DemoTool::CreateIssue,
            "CreateIssue",
            "Opens a new issue in one of the user's repositories.",
            vec![
                param(
                    "repo",
                    true,
                    "The repository, `owner/name`.",
                    scalar(ValType::String),
                ),
                param("title", true, "The issue's title.", scalar(ValType::String)),
                param(
                    "body",
                    false,
                    "The issue's text (markdown).",
                    scalar(ValType::String),
                ),
                param("labels", false, "Labels to set.", array_of(ValType::String)),
            ],
        )
        .output("The new issue's number and URL.", ValType::Json)
        .requires("github", &["repo"])
        .behavior(CREATE_REMOTE),
    ]
}

/// Behaviour hints: (operations, read_only, idempotent, open_world).
type Behavior = (&'static str, bool, bool, bool);
const READ: Behavior = ("read", true, true, false);
const READ_REMOTE: Behavior = ("read", true, true, true);
const CREATE_REMOTE: Behavior = ("create", false, false, true);

struct Toolkit {
    info: ToolkitInfo,
}

impl Toolkit {
    fn new(name: &str, version: &str, description: &str) -> Self {
        Self {
            info: ToolkitInfo {
                name: name.to_owned(),
                description: Some(description.to_owned()),
                version: Some(version.to_owned()),
            },
        }
    }

    fn tool(
        self,
        runner: DemoTool,
        name: &str,
        description: &str,
        parameters: Vec<ToolParameter>,
    ) -> CatalogTool {
        let version = self.info.version.clone().unwrap_or_default();
        let qualified_name = format!("{}.{name}", self.info.name);
        CatalogTool {
            definition: ToolDefinition {
                fully_qualified_name: Some(format!("{qualified_name}@{version}")),
                qualified_name,
                name: name.to_owned(),
                description: Some(description.to_owned()),
                toolkit: self.info,
                input: ToolInput { parameters },
                output: None,
                requirements: Some(ToolRequirements {
                    authorization: None,
                    secrets: None,
                    met: Some(true),
                }),
                metadata: None,
            },
            listed: None,
            runner: Runner::Demo(runner),
        }
    }
}

impl CatalogTool {
    fn output(mut self, description: &str, val_type: ValType) -> Self {
        self.definition.output = Some(ToolOutput {
            available_modes: Some(vec!["value".into(), "error".into()]),
            description: Some(description.to_owned()),
            value_schema: Some(ValueSchema {
                val_type,
                inner_val_type: None,
                r#enum: None,
            }),
        });
        self
    }

    fn requires(mut self, provider: &str, scopes: &[&str]) -> Self {
        let requirement = AuthRequirement {
            provider_id: Some(provider.to_owned()),
            provider_type: Some("oauth2".to_owned()),
            id: None,
            oauth2: Some(OAuth2Requirement {
                scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
            }),
            token_status: None,
            status: Some("active".to_owned()),
            status_reason: None,
        };
        if let Some(output) = &mut self.definition.output {
            output
                .available_modes
                .get_or_insert_default()
                .push("requires_authorization".into());
        }
        self.definition.requirements = Some(ToolRequirements {
            authorization: Some(requirement),
            secrets: None,
            met: None,
        });
        self
    }

    fn behavior(mut self, (operation, read_only, idempotent, open_world): Behavior) -> Self {
        let domain = self.definition.toolkit.name.to_lowercase();
        self.definition.metadata = Some(ToolMetadata {
            classification: Some(json!({"service_domains": [domain]})),
            behavior: Some(ToolBehavior {
                operations: Some(vec![operation.to_owned()]),
                read_only: Some(read_only),
                destructive: Some(false),
                idempotent: Some(idempotent),
                open_world: Some(open_world),
            }),
        });
        self
    }
}

fn param(
    name: &str,
    required: bool,
    description: &str,
    value_schema: ValueSchema,
) -> ToolParameter {
    ToolParameter {
        name: name.to_owned(),
        required,
        description: Some(description.to_owned()),
        inferrable: Some(true),
        value_schema,
    }
}

fn number(name: &str, description: &str) -> ToolParameter {
    param(name, true, description, scalar(ValType::Number))
}

fn scalar(val_type: ValType) -> ValueSchema {
    ValueSchema {
        val_type,
        inner_val_type: None,
        r#enum: None,
    }
}

fn array_of(inner: ValType) -> ValueSchema {
    ValueSchema {
        val_type: ValType::Array,
        inner_val_type: Some(inner),
        r#enum: None,
    }
}

fn one_of(values: &[&str]) -> ValueSchema {
    ValueSchema {
        val_type: ValType::String,
        inner_val_type: None,
        r#enum: Some(values.iter().map(|s| s.to_string()).collect()),
    }
}
