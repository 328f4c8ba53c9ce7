//! `GET /v1/formatted_tools`: tool definitions as LLM providers' function schemas.

use serde_json::{Map, Value, json};

use arcade_types::{ToolDefinition, ToolParameter, ValType, ValueSchema};

/// A provider's function-calling format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolFormat {
    /// `{"type": "function", "function": {"name", "description", "parameters"}}`.
    OpenAi,
    /// `{"name", "description", "input_schema"}`.
    Anthropic,
}

impl ToolFormat {
    /// Parses the `format` query value (default `openai`); None for an unknown one.
    pub fn parse(format: Option<&str>) -> Option<Self> {
        match format.map(str::to_ascii_lowercase).as_deref() {
            None | Some("openai") => Some(Self::OpenAi),
            Some("anthropic") => Some(Self::Anthropic),
            Some(_) => None,
        }
    }

    /// `tool` in this format; its name is the qualified name with `_` for `.`.
    pub fn render(self, tool: &ToolDefinition) -> Value {
        let name = tool.qualified_name.replace('.', "_");
        let description = tool.description.clone().unwrap_or_default();
        let schema = parameters_schema(&tool.input.parameters);
        match self {
            Self::OpenAi => json!({
                "type": "function",
                "function": {"name": name, "description": description, "parameters": schema},
            }),
            Self::Anthropic => {
                json!({"name": name, "description": description, "input_schema": schema})
            }
        }
    }
}

fn parameters_schema(parameters: &[ToolParameter]) -> Value {
    let mut properties = Map::new();
    for param in parameters {
        let mut schema = value_schema(&param.value_schema);
        if let (Some(description), Some(object)) = (&param.description, schema.as_object_mut()) {
            object.insert("description".into(), json!(description));
        }
        properties.insert(param.name.clone(), schema);
    }
    let required: Vec<&str> = parameters
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name.as_str())
        .collect();
    json!({"type": "object", "properties": properties, "required": required})
}

fn value_schema(schema: &ValueSchema) -> Value {
    let mut out = type_schema(&schema.val_type);
    if schema.val_type == ValType::Array {
        let mut items = type_schema(schema.inner_val_type.as_ref().unwrap_or(&ValType::Other));
        add_enum(&mut items, schema);
        out["items"] = items;
    } else {
        add_enum(&mut out, schema);
    }
    out
}

fn add_enum(target: &mut Value, schema: &ValueSchema) {
    if let (Some(values), Some(object)) = (&schema.r#enum, target.as_object_mut()) {
        object.insert("enum".into(), json!(values));
    }
}

fn type_schema(val_type: &ValType) -> Value {
    match val_type {
        ValType::String => json!({"type": "string"}),
        ValType::Integer => json!({"type": "integer"}),
        ValType::Number => json!({"type": "number"}),
        ValType::Boolean => json!({"type": "boolean"}),
        ValType::Json => json!({"type": "object"}),
        ValType::Array => json!({"type": "array"}),
        ValType::Other => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_catalog::demo_tools;

    #[test]
    fn openai_and_anthropic_shapes() {
        let tools = demo_tools();
        let sum = &tools
            .iter()
            .find(|t| t.definition.name == "SumList")
            .unwrap()
            .definition;
        let openai = ToolFormat::OpenAi.render(sum);
        assert_eq!(openai["function"]["name"], "Math_SumList");
        assert_eq!(
            openai["function"]["parameters"]["properties"]["numbers"]["items"]["type"],
            "number"
        );
        let anthropic = ToolFormat::Anthropic.render(sum);
        assert_eq!(anthropic["input_schema"]["required"], json!(["numbers"]));
        assert_eq!(ToolFormat::parse(Some("gemini")), None);
    }
}
