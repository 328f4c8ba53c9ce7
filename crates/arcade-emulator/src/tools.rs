//! Running a tool: checking its input against its parameters, running it (a demo tool
//! computes, a fixture echoes), and wrapping the outcome as an [`ExecuteToolResponse`].

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::catalog::{CatalogTool, Runner};
use super::demo_tools;
use arcade_types::{
    AuthorizationResponse, ExecuteToolResponse, OutputError, REQUIREMENTS_NOT_MET, ToolCallOutput,
    ToolDefinition, ValType, ValueSchema,
};

/// What running a tool gives: its value, or its `output.error` (boxed: it is large).
pub type Outcome = Result<Value, Box<OutputError>>;

/// The error kind of bad input.
pub const BAD_INPUT: &str = "TOOL_RUNTIME_BAD_INPUT_VALUE";

/// An `output.error` of kind [`BAD_INPUT`]: the model can fix its call and try again.
pub fn bad_input(message: String, prompt: &str) -> Box<OutputError> {
    Box::new(OutputError {
        developer_message: Some(format!("rejected input: {message}")),
        message,
        kind: Some(BAD_INPUT.to_owned()),
        can_retry: Some(false),
        additional_prompt_content: Some(prompt.to_owned()),
        ..OutputError::default()
    })
}

/// Checks `input` against the tool's parameters: every required one present, every
/// value of its declared type (and enum), no unknown names.
pub fn check_input(
    tool: &ToolDefinition,
    input: &Map<String, Value>,
) -> Result<(), Box<OutputError>> {
    let params = &tool.input.parameters;
    let fix = format!(
        "Call {} again with arguments matching its parameters.",
        tool.qualified_name
    );
    if let Some(unknown) = input.keys().find(|k| !params.iter().any(|p| &p.name == *k)) {
        return Err(bad_input(format!("unknown parameter '{unknown}'"), &fix));
    }
    for param in params {
        match input.get(&param.name) {
            None | Some(Value::Null) if param.required => {
                return Err(bad_input(
                    format!("missing required parameter '{}'", param.name),
                    &fix,
                ));
            }
            None | Some(Value::Null) => {}
            Some(value) => check_value(&param.value_schema, value).map_err(|expected| {
                bad_input(
                    format!("parameter '{}' must be {expected}", param.name),
                    &fix,
                )
            })?,
        }
    }
    Ok(())
}

/// Ok when `value` fits `schema`; else what was expected.
fn check_value(schema: &ValueSchema, value: &Value) -> Result<(), String> {
    if schema.val_type != ValType::Array {
        return check_scalar(&schema.val_type, schema.r#enum.as_deref(), value);
    }
    let items = value.as_array().ok_or("an array")?;
    let inner = schema.inner_val_type.clone().unwrap_or(ValType::Other);
    items
        .iter()
        .try_for_each(|item| check_scalar(&inner, schema.r#enum.as_deref(), item))
        .map_err(|expected| format!("an array whose items are each {expected}"))
}

fn check_scalar(
    val_type: &ValType,
    allowed: Option<&[String]>,
    value: &Value,
) -> Result<(), String> {
    let fits = match val_type {
        ValType::String => value.is_string(),
        ValType::Integer => value.is_i64() || value.is_u64(),
        ValType::Number => value.is_number(),
        ValType::Boolean => value.is_boolean(),
        ValType::Json => value.is_object(),
        ValType::Array => value.is_array(),
        ValType::Other => true,
    };
    if !fits {
        return Err(format!(
            "of type {}",
            json!(val_type).as_str().unwrap_or("?")
        ));
    }
    match (allowed, value.as_str()) {
        (Some(allowed), Some(s)) if !allowed.iter().any(|a| a == s) => {
            Err(format!("one of {}", allowed.join(", ")))
        }
        _ => Ok(()),
    }
}

/// Runs a tool whose input was checked; `run_number` counts this user's runs of it
/// (1 for the first), which the demo tools use for ids.
pub fn run(
    tool: &CatalogTool,
    user_id: &str,
    input: &Map<String, Value>,
    run_number: u64,
) -> Outcome {
    match tool.runner {
        Runner::Demo(demo) => demo_tools::run(demo, user_id, input, run_number),
        Runner::Echo => Ok(json!({
            "tool": tool.definition.qualified_name,
            "version": tool.definition.toolkit_version(),
            "user_id": user_id,
            "input": input,
        })),
        Runner::Unreadable => Err(Box::new(OutputError {
            message: format!(
                "the definition of {} is invalid",
                tool.definition.qualified_name
            ),
            kind: Some("TOOL_DEFINITION_BAD_DEFINITION".to_owned()),
            ..OutputError::default()
        })),
    }
}

/// An execute answer: the tool's value or error.
pub fn executed(outcome: Outcome, started: Instant) -> ExecuteToolResponse {
    let output = match outcome {
        Ok(value) => ToolCallOutput {
            value: Some(value),
            ..ToolCallOutput::default()
        },
        Err(error) => ToolCallOutput {
            error: Some(*error),
            ..ToolCallOutput::default()
        },
    };
    response(output, started)
}

/// An execute answer saying the user must authorize first, inside `output.authorization`.
pub fn authorization_pending(
    authorization: AuthorizationResponse,
    started: Instant,
) -> ExecuteToolResponse {
    let output = ToolCallOutput {
        authorization: Some(authorization),
        ..ToolCallOutput::default()
    };
    response(output, started)
}

/// An execute answer saying the user must authorize first, as `TOOL_REQUIREMENTS_NOT_MET`.
pub fn requirements_not_met(message: String, started: Instant) -> ExecuteToolResponse {
    let error = OutputError {
        message,
        kind: Some(REQUIREMENTS_NOT_MET.to_owned()),
        can_retry: Some(false),
        additional_prompt_content: Some("The user must authorize this tool first.".to_owned()),
        ..OutputError::default()
    };
    failed(error, started)
}

/// An execute answer for a tool whose project secrets are not set: only a project
/// admin can set them, as Arcade's answer says.
pub fn secrets_not_set(keys: &[String], started: Instant) -> ExecuteToolResponse {
    let error = OutputError {
        message: format!(
            "Tool requirements not met: secret(s) not set: {}",
            keys.join(", ")
        ),
        kind: Some(REQUIREMENTS_NOT_MET.to_owned()),
        can_retry: Some(false),
        developer_message: Some("Set the secrets in the project's settings.".to_owned()),
        ..OutputError::default()
    };
    failed(error, started)
}

/// An execute answer for a tool whose definition is broken: it cannot be run.
pub fn bad_definition(tool: &ToolDefinition, started: Instant) -> ExecuteToolResponse {
    let error = OutputError {
        message: format!("the definition of {} is invalid", tool.qualified_name),
        kind: Some("TOOL_DEFINITION_BAD_DEFINITION".to_owned()),
        can_retry: Some(false),
        ..OutputError::default()
    };
    failed(error, started)
}

fn failed(error: OutputError, started: Instant) -> ExecuteToolResponse {
    response(
        ToolCallOutput {
            error: Some(error),
            ..ToolCallOutput::default()
        },
        started,
    )
}

fn response(output: ToolCallOutput, started: Instant) -> ExecuteToolResponse {
    let success = output.value.is_some();
    ExecuteToolResponse {
        id: Some(format!("te_{}", uuid::Uuid::new_v4().simple())),
        execution_id: Some(format!("tc_{}", uuid::Uuid::new_v4().simple())),
        execution_type: Some("immediate".to_owned()),
        finished_at: Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        duration: Some(started.elapsed().as_secs_f64() * 1000.0),
        status: Some(if success { "success" } else { "failed" }.to_owned()),
        success: Some(success),
        output: Some(output),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_catalog::demo_tools;

    fn tool(name: &str) -> ToolDefinition {
        demo_tools()
            .into_iter()
            .find(|t| t.definition.qualified_name == name)
            .unwrap()
            .definition
    }

    fn check(name: &str, input: Value) -> Result<(), Box<OutputError>> {
        check_input(&tool(name), input.as_object().unwrap())
    }

    #[test]
    fn input_is_checked_against_parameters() {
        assert!(check("Math.Add", json!({"a": 1, "b": 2.5})).is_ok());
        let missing = check("Math.Add", json!({"a": 1})).unwrap_err();
        assert!(missing.message.contains("missing required parameter 'b'"));
        assert_eq!(missing.kind.as_deref(), Some(BAD_INPUT));
        assert!(check("Math.Add", json!({"a": "1", "b": 2})).is_err());
        assert!(check("Math.Add", json!({"a": 1, "b": 2, "c": 3})).is_err());
        assert!(check("Math.SumList", json!({"numbers": [1, 2, "x"]})).is_err());
        assert!(check("Mail.ListEmails", json!({"folder": "trash"})).is_err());
        assert!(
            check(
                "Mail.ListEmails",
                json!({"folder": "sent", "n_emails": null})
            )
            .is_ok()
        );
        assert!(check("Mail.ListEmails", json!({"n_emails": 2.5})).is_err());
    }
}
