//! Checking `tools/call` arguments against a tool's `inputSchema` before anything goes
//! upstream, with errors a model can act on: which argument, and what is wrong.
//!
//! The JSON Schema validator of each tool is compiled on its first call, not at
//! start-up: a catalog of thousands of tools loads fast, and only tools in use pay.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use rmcp::model::JsonObject;
use serde_json::Value;

/// How many problems one [`ArgumentError`] lists; the rest are counted.
pub const MAX_PROBLEMS: usize = 10;

/// A rendered problem longer than this hides the offending value (an argument may be
/// a whole email body), keeping the message short.
const MAX_PROBLEM_LEN: usize = 200;

/// One thing wrong with the arguments of a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgumentProblem {
    /// A required argument is absent.
    #[error("missing required argument `{0}`")]
    Missing(String),
    /// An argument the tool does not take.
    #[error("unknown argument `{argument}`; {}", takes(.accepted))]
    Unknown {
        /// The argument given.
        argument: String,
        /// The arguments the tool takes.
        accepted: Vec<String>,
    },
    /// An argument whose value does not fit its schema.
    #[error("argument `{argument}`: {reason}")]
    Invalid {
        /// The argument.
        argument: String,
        /// Why its value does not fit.
        reason: String,
    },
    /// A problem not tied to one argument, or a schema the gateway cannot compile.
    #[error("{0}")]
    Other(String),
}

/// Why the arguments of a call were refused: every problem found (up to
/// [`MAX_PROBLEMS`]), so a model can fix them all in one retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid arguments: {}", render(.problems, *.omitted))]
pub struct ArgumentError {
    problems: Vec<ArgumentProblem>,
    omitted: usize,
}

impl ArgumentError {
    /// The problems listed.
    pub fn problems(&self) -> &[ArgumentProblem] {
        &self.problems
    }

    /// How many further problems were found but not listed.
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    fn from_problems(problems: impl Iterator<Item = ArgumentProblem>) -> Result<(), Self> {
        let mut listed = Vec::new();
        let mut omitted = 0;
        for problem in problems {
            if listed.len() < MAX_PROBLEMS {
                listed.push(problem);
            } else {
                omitted += 1;
            }
        }
        if listed.is_empty() {
            Ok(())
        } else {
            Err(Self {
                problems: listed,
                omitted,
            })
        }
    }
}

/// The argument check of one tool, compiled from its `inputSchema` on the tool's first
/// call and kept: the schema itself is not kept here, so a catalog of thousands of
/// tools holds no parsed schemas for the tools nobody calls.
#[derive(Debug, Default)]
pub struct ArgumentValidator {
    compiled: OnceLock<Result<Compiled, String>>,
}

/// A compiled schema and the argument names it declares (for "this tool takes: …").
#[derive(Debug)]
struct Compiled {
    validator: Validator,
    accepted: Vec<String>,
}

impl ArgumentValidator {
    /// Checks `args`, naming every argument that is missing, unknown or wrongly typed.
    /// `schema` gives the tool's `inputSchema`; it is asked for only on the first call.
    /// A schema that cannot be read or compiled refuses every call: nothing unchecked
    /// goes upstream.
    pub fn validate(
        &self,
        schema: impl FnOnce() -> Result<JsonObject, String>,
        args: &JsonObject,
    ) -> Result<(), ArgumentError> {
        let compiled = match self.compiled.get_or_init(|| compile(schema())) {
            Ok(compiled) => compiled,
            Err(reason) => {
                let problem = ArgumentProblem::Other(reason.clone());
                return ArgumentError::from_problems(std::iter::once(problem));
            }
        };
        let instance = Value::Object(args.clone());
        let problems = compiled
            .validator
            .iter_errors(&instance)
            .flat_map(|error| compiled.problems_of(&error));
        ArgumentError::from_problems(problems)
    }
}

fn compile(schema: Result<JsonObject, String>) -> Result<Compiled, String> {
    let schema = Value::Object(schema?);
    let validator = jsonschema::validator_for(&schema).map_err(|e| {
        tracing::error!(error = %e, "a tool's input schema does not compile");
        format!("the gateway cannot check the arguments of this tool ({e}); please report it")
    })?;
    Ok(Compiled {
        validator,
        accepted: declared_arguments(&schema),
    })
}

/// The argument names a schema declares, sorted (whatever map order serde_json was
/// built with).
fn declared_arguments(schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default();
    names.sort_unstable();
    names
}

impl Compiled {
    fn problems_of(&self, error: &ValidationError<'_>) -> Vec<ArgumentProblem> {
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_owned);
                vec![ArgumentProblem::Missing(name)]
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
                .iter()
                .map(|argument| ArgumentProblem::Unknown {
                    argument: argument.clone(),
                    accepted: self.accepted.clone(),
                })
                .collect(),
            _ => vec![invalid(error)],
        }
    }
}

/// An error about a value: named after the top-level argument it is in, with the
/// path inside it where the value is nested.
fn invalid(error: &ValidationError<'_>) -> ArgumentProblem {
    let path = error.instance_path();
    let Some(argument) = path.segments().next().map(|s| s.to_string()) else {
        return ArgumentProblem::Other(message(error));
    };
    let reason = if path.segments().nth(1).is_some() {
        format!("at {}: {}", path.as_str(), message(error))
    } else {
        message(error)
    };
    ArgumentProblem::Invalid { argument, reason }
}

/// The validator's message, with the offending value hidden when it is long.
fn message(error: &ValidationError<'_>) -> String {
    let full = error.to_string();
    if full.len() <= MAX_PROBLEM_LEN {
        full
    } else {
        error.masked().to_string()
    }
}

fn takes(accepted: &[String]) -> String {
    if accepted.is_empty() {
        "this tool takes no arguments".to_owned()
    } else {
        format!("this tool takes: {}", accepted.join(", "))
    }
}

fn render(problems: &[ArgumentProblem], omitted: usize) -> String {
    let mut text = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if omitted > 0 {
        text.push_str(&format!("; and {omitted} more"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> JsonObject {
        let schema = json!({
            "type": "object",
            "properties": {
                "email_id": {"type": "string"},
                "n_emails": {"type": "integer"},
                "labels": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
            },
            "required": ["email_id"],
            "additionalProperties": false,
        });
        schema.as_object().unwrap().clone()
    }

    fn check(args: Value) -> Result<(), ArgumentError> {
        ArgumentValidator::default().validate(|| Ok(schema()), args.as_object().unwrap())
    }

    #[test]
    fn good_arguments_pass() {
        assert_eq!(check(json!({"email_id": "x", "labels": ["a"]})), Ok(()));
    }

    #[test]
    fn wrong_type_names_the_argument() {
        let error = check(json!({"email_id": "x", "n_emails": "ten"})).unwrap_err();
        assert_eq!(
            error.problems(),
            [ArgumentProblem::Invalid {
                argument: "n_emails".into(),
                reason: r#""ten" is not of type "integer""#.into(),
            }]
        );
        assert_eq!(
            error.to_string(),
            r#"invalid arguments: argument `n_emails`: "ten" is not of type "integer""#
        );
    }

    #[test]
    fn missing_and_unknown_arguments_are_all_reported() {
        let error = check(json!({"foo": 1})).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("missing required argument `email_id`"),
            "{text}"
        );
        assert!(
            text.contains("unknown argument `foo`; this tool takes: email_id, labels, n_emails"),
            "{text}"
        );
        assert_eq!(error.problems().len(), 2);
    }

    #[test]
    fn nested_values_say_where() {
        let error = check(json!({"email_id": "x", "labels": ["a", "z"]})).unwrap_err();
        let [ArgumentProblem::Invalid { argument, reason }] = error.problems() else {
            panic!("{error}");
        };
        assert_eq!(argument, "labels");
        assert!(
            reason.starts_with("at /labels/1: \"z\" is not one of"),
            "{reason}"
        );
    }

    #[test]
    fn long_values_are_hidden() {
        let long = "x".repeat(500);
        let error = check(json!({"email_id": "x", "n_emails": long})).unwrap_err();
        assert!(!error.to_string().contains(&long));
        assert!(error.to_string().contains("n_emails"));
    }

    #[test]
    fn problems_are_capped() {
        let args: JsonObject = (0..25).map(|i| (format!("x{i}"), json!(i))).collect();
        let error = ArgumentValidator::default()
            .validate(|| Ok(schema()), &args)
            .unwrap_err();
        assert_eq!(error.problems().len(), MAX_PROBLEMS);
        assert_eq!(error.omitted(), 26 - MAX_PROBLEMS);
        assert!(
            error
                .to_string()
                .ends_with(&format!("; and {} more", 26 - MAX_PROBLEMS))
        );
    }

    #[test]
    fn a_broken_schema_refuses_every_call() {
        let schema = json!({"type": "no-such-type"});
        let v = ArgumentValidator::default();
        let broken = || Ok(schema.as_object().unwrap().clone());
        let error = v.validate(broken, &JsonObject::new()).unwrap_err();
        assert!(matches!(error.problems(), [ArgumentProblem::Other(_)]));
        let again = v.validate(|| unreachable!("compiled once"), &JsonObject::new());
        assert_eq!(again.unwrap_err(), error);
    }

    #[test]
    fn an_unreadable_schema_refuses_every_call_with_its_reason() {
        let v = ArgumentValidator::default();
        let error = v
            .validate(|| Err("the schema is damaged".into()), &JsonObject::new())
            .unwrap_err();
        assert_eq!(
            error.problems(),
            [ArgumentProblem::Other("the schema is damaged".into())]
        );
    }

    #[test]
    fn a_tool_without_parameters_says_so() {
        let schema = json!({"type": "object", "properties": {}, "additionalProperties": false});
        let args = json!({"q": 1});
        let error = ArgumentValidator::default()
            .validate(
                || Ok(schema.as_object().unwrap().clone()),
                args.as_object().unwrap(),
            )
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid arguments: unknown argument `q`; this tool takes no arguments"
        );
    }
}
