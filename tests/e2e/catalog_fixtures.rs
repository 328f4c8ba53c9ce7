//! Converts every real Arcade tool of the fixture catalog (`tests/fixtures/catalog.tar.gz`,
//! about 6,400 definitions; a missing archive fails the test) and checks that the
//! catalog keeps them all, names them legally and uniquely, produces valid JSON
//! Schemas, and checks arguments the way a model would need.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use arcade_mcp_gateway::arcade::types::{ToolDefinition, ToolParameter, ValType};
use arcade_mcp_gateway::catalog::{ArgumentProblem, Catalog, CatalogEntry};
use arcade_mcp_gateway::emulator::load_toolkits;
use rmcp::model::Tool;
use serde_json::{Map, Value, json};

/// Every 7th tool (in catalog order) gets the argument checks: about 900 tools,
/// each compiling its validator, which keeps the test quick in debug builds.
const SAMPLE_EVERY: usize = 7;

const UNKNOWN_ARGUMENT: &str = "definitely_not_a_parameter";

/// The repository's copy of the real catalog (a `.tar.gz` of the toolkit files).
fn fixture_archive() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog.tar.gz")
}

fn load_definitions(archive: &Path) -> Vec<ToolDefinition> {
    load_toolkits(archive)
        .unwrap_or_else(|e| panic!("the fixture catalog must load: {e}"))
        .into_iter()
        .flat_map(|toolkit| toolkit.items)
        .collect()
}

#[test]
fn every_fixture_tool_converts_and_checks_arguments() {
    let archive = fixture_archive();
    let definitions = load_definitions(&archive);
    assert!(
        definitions.len() > 6000,
        "{} tools in {}",
        definitions.len(),
        archive.display()
    );
    let count = definitions.len();

    let parameters: HashMap<String, Vec<ToolParameter>> = definitions
        .iter()
        .map(|d| (d.qualified_name.clone(), d.input.parameters.clone()))
        .collect();
    let catalog = Catalog::from_definitions(definitions);
    assert_eq!(catalog.len(), count, "every definition becomes a tool");
    let tools = catalog.tools();
    assert_eq!(tools.len(), count, "every tool is listed");

    check_names(&catalog);
    for (entry, tool) in catalog.iter().zip(&tools) {
        assert_eq!(entry.name(), tool.name);
        check_schemas(entry, tool);
    }
    for entry in catalog.iter().step_by(SAMPLE_EVERY) {
        check_arguments(entry, &parameters[entry.qualified_name()]);
    }
}

fn check_names(catalog: &Catalog) {
    let mut seen = HashSet::new();
    for entry in catalog {
        let name = entry.name();
        let legal = (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        assert!(legal, "illegal MCP name {name:?}");
        assert!(seen.insert(name.to_owned()), "duplicate MCP name {name:?}");
        assert!(std::ptr::eq(catalog.get(name).unwrap(), entry));
    }
}

fn check_schemas(entry: &CatalogEntry, tool: &Tool) {
    let input = Value::Object(tool.input_schema.as_ref().clone());
    assert_valid_schema(entry, "inputSchema", &input);
    assert_eq!(input["type"], "object");
    if let Some(output) = &tool.output_schema {
        let output = Value::Object(output.as_ref().clone());
        assert_valid_schema(entry, "outputSchema", &output);
        assert_eq!(output["type"], "object", "MCP wants object output schemas");
    }
}

fn assert_valid_schema(entry: &CatalogEntry, which: &str, schema: &Value) {
    if let Err(error) = jsonschema::meta::validate(schema) {
        panic!(
            "{} {which} is not a valid JSON Schema: {error}\n{schema:#}",
            entry.name()
        );
    }
}

fn check_arguments(entry: &CatalogEntry, params: &[ToolParameter]) {
    let mut args = valid_arguments(params);
    if let Err(error) = entry.validate_arguments(&args) {
        panic!(
            "{}: valid arguments {args:?} refused: {error}",
            entry.name()
        );
    }

    if let Some((param, wrong)) = params.iter().find_map(|p| Some((p, wrong_value(p)?))) {
        let mut bad = args.clone();
        bad.insert(param.name.clone(), wrong);
        let error = entry.validate_arguments(&bad).unwrap_err();
        let names_it = error.problems().iter().any(|problem| {
            matches!(problem, ArgumentProblem::Invalid { argument, .. } if *argument == param.name)
        });
        assert!(names_it, "{}: {error}", entry.name());
        assert!(error.to_string().contains(&format!("`{}`", param.name)));
    }

    args.insert(UNKNOWN_ARGUMENT.into(), json!(1));
    let error = entry.validate_arguments(&args).unwrap_err();
    assert_eq!(
        error.problems().len(),
        1,
        "{}: only the unknown argument is wrong: {error}",
        entry.name()
    );
    assert!(
        error
            .to_string()
            .contains(&format!("unknown argument `{UNKNOWN_ARGUMENT}`")),
        "{}: {error}",
        entry.name()
    );
}

/// Every required parameter and every other optional one, with a plausible value.
fn valid_arguments(params: &[ToolParameter]) -> Map<String, Value> {
    params
        .iter()
        .enumerate()
        .filter(|(i, p)| p.required || i % 2 == 0)
        .map(|(_, p)| (p.name.clone(), sample_value(p)))
        .collect()
}

fn sample_value(param: &ToolParameter) -> Value {
    let schema = &param.value_schema;
    let first_enum = schema.r#enum.as_ref().and_then(|e| e.first()).cloned();
    match &schema.val_type {
        ValType::Array => {
            let inner = schema.inner_val_type.clone().unwrap_or(ValType::String);
            json!([scalar_value(&inner, first_enum)])
        }
        scalar => scalar_value(scalar, first_enum),
    }
}

fn scalar_value(val_type: &ValType, first_enum: Option<String>) -> Value {
    match val_type {
        ValType::String => json!(first_enum.unwrap_or_else(|| "example".into())),
        ValType::Integer => json!(3),
        ValType::Number => json!(2.5),
        ValType::Boolean => json!(true),
        ValType::Json => json!({"key": "value"}),
        ValType::Array => json!([]),
        ValType::Other => json!("anything"),
    }
}

/// A value of the wrong type for `param`, where its type constrains anything.
fn wrong_value(param: &ToolParameter) -> Option<Value> {
    match param.value_schema.val_type {
        ValType::String => Some(json!(42)),
        ValType::Other => None,
        _ => Some(json!("not the right type")),
    }
}
