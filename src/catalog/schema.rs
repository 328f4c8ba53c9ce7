//! Arcade value schemas as JSON Schema (the MCP default dialect, 2020-12).
//!
//! ## Input
//! A tool's `inputSchema` is a closed object: one property per parameter (typed, with
//! its description and, for strings, its `enum`), the required ones listed, and no
//! other properties allowed, so a misspelt argument is caught before it goes upstream.
//!
//! ## Output and `structuredContent`
//! MCP requires an `outputSchema` to describe an object, and a client that sees one may
//! check every result's `structuredContent` against it and reject a result that does
//! not match. Arcade's declared output types are not always what a tool returns (a
//! `json` tool may answer `null` or a list, a `string` tool `null`), so the policy is
//! built to never turn a real result into a client-side failure:
//! - [`ResultShape`] puts an object value of a `json` (or undeclared) output
//!   in `structuredContent` as-is and wraps everything else as `{"result": value}`;
//!   `structuredContent` is therefore always an object.
//! - a `json` output declares only `{"type": "object"}`, which every object matches,
//!   wrapped or not;
//! - any other output declares `{"type": "object", "properties": {"result": S},
//!   "required": ["result"]}`, where `S` is the declared type widened to accept `null`
//!   and without `enum` (an output enum is a description, not a promise). Only a
//!   non-null value of another type than declared (an Arcade bug) can fail a client's
//!   check; the type is kept because it tells a model what comes back;
//! - a tool with no declared output type declares no `outputSchema`.
//!
//! The gateway must put [`ResultShape::structured_content`] in every successful result of a tool
//! that declares an `outputSchema` (MCP requires it).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::arcade::types::{ToolOutput, ToolParameter, ValType, ValueSchema};
use rmcp::model::JsonObject;

/// The key under which a non-object output value is wrapped.
pub const RESULT_KEY: &str = "result";

/// The `inputSchema` of a tool taking `params`.
pub fn input_schema(params: &[ToolParameter]) -> JsonObject {
    let properties: JsonObject = params
        .iter()
        .map(|p| (p.name.clone(), Value::Object(parameter_schema(p))))
        .collect();
    // JSON Schema wants `required` without repeats; a definition may name a
    // parameter twice (found by fuzzing).
    let mut required: Vec<&str> = Vec::new();
    for name in params
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name.as_str())
    {
        if !required.contains(&name) {
            required.push(name);
        }
    }
    as_object(json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    }))
}

/// The `outputSchema` of a tool with `output`, or `None` where no type is declared
/// (see the module documentation for why it looks the way it does).
pub fn output_schema(output: Option<&ToolOutput>) -> Option<JsonObject> {
    let output = output?;
    let value_schema = output.value_schema.as_ref()?;
    let mut schema = if value_schema.val_type == ValType::Json {
        as_object(json!({"type": "object"}))
    } else {
        let result = nullable(value_type_schema(value_schema, Enums::Omit));
        as_object(json!({
            "type": "object",
            "properties": {RESULT_KEY: result},
            "required": [RESULT_KEY],
        }))
    };
    insert_description(&mut schema, output.description.as_deref());
    Some(schema)
}

/// How a tool's successful value becomes its `structuredContent`, so that it always
/// matches [`output_schema`]: all a call needs to know of the declared output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultShape {
    /// A `json` or undeclared output: an object value as-is, anything else wrapped.
    ObjectOrWrapped,
    /// Any other declared type: always `{"result": value}`.
    Wrapped,
}

impl ResultShape {
    /// The shape of a tool with `output`.
    pub fn of(output: Option<&ToolOutput>) -> Self {
        let declared = output.and_then(|o| o.value_schema.as_ref());
        if declared.is_none_or(|s| s.val_type == ValType::Json) {
            Self::ObjectOrWrapped
        } else {
            Self::Wrapped
        }
    }

    /// The `structuredContent` of a successful call that returned `value`.
    pub fn structured_content(self, value: Value) -> JsonObject {
        match value {
            Value::Object(object) if self == Self::ObjectOrWrapped => object,
            other => JsonObject::from_iter([(RESULT_KEY.to_owned(), other)]),
        }
    }
}

/// Whether a schema carries the value schema's `enum`.
#[derive(Clone, Copy)]
enum Enums {
    Keep,
    Omit,
}

fn parameter_schema(param: &ToolParameter) -> JsonObject {
    let mut schema = value_type_schema(&param.value_schema, Enums::Keep);
    insert_description(&mut schema, param.description.as_deref());
    schema
}

/// The JSON Schema of one value schema: its type, and for strings (or arrays of
/// strings) its enum when `enums` says so.
fn value_type_schema(vs: &ValueSchema, enums: Enums) -> JsonObject {
    let allowed = match enums {
        Enums::Keep => enum_values(vs),
        Enums::Omit => None,
    };
    match vs.val_type {
        ValType::Array => {
            let mut schema = as_object(json!({"type": "array"}));
            if let Some(inner) = &vs.inner_val_type {
                schema.insert("items".into(), Value::Object(scalar_schema(inner, allowed)));
            }
            schema
        }
        ref scalar => scalar_schema(scalar, allowed),
    }
}

/// The schema of a non-array value (or of an array's items): a nested array is
/// typed as an array of anything, an unknown type is left unconstrained.
fn scalar_schema(val_type: &ValType, allowed: Option<Vec<String>>) -> JsonObject {
    let mut schema = JsonObject::new();
    if let Some(name) = json_type_name(val_type) {
        schema.insert("type".into(), name.into());
    }
    if let Some(values) = allowed.filter(|_| *val_type == ValType::String) {
        schema.insert("enum".into(), values.into());
    }
    schema
}

fn json_type_name(val_type: &ValType) -> Option<&'static str> {
    match val_type {
        ValType::String => Some("string"),
        ValType::Integer => Some("integer"),
        ValType::Number => Some("number"),
        ValType::Boolean => Some("boolean"),
        ValType::Json => Some("object"),
        ValType::Array => Some("array"),
        ValType::Other => None,
    }
}

/// The enum's values without duplicates, in order; `None` where absent or empty (an
/// empty enum would make every value invalid, which is never what a tool means).
fn enum_values(vs: &ValueSchema) -> Option<Vec<String>> {
    let values = vs.r#enum.as_ref().filter(|v| !v.is_empty())?;
    let mut unique: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        if !unique.contains(v) {
            unique.push(v.clone());
        }
    }
    Some(unique)
}

/// `schema` that also accepts `null`; an unconstrained schema already does.
fn nullable(mut schema: JsonObject) -> JsonObject {
    if let Some(Value::String(name)) = schema.get("type") {
        let both = json!([name, "null"]);
        schema.insert("type".into(), both);
    }
    schema
}

fn insert_description(schema: &mut JsonObject, description: Option<&str>) {
    if let Some(text) = description.map(str::trim).filter(|t| !t.is_empty()) {
        schema.insert("description".into(), text.into());
    }
}

/// The object inside a `json!({...})` literal.
fn as_object(value: Value) -> JsonObject {
    match value {
        Value::Object(object) => object,
        _ => unreachable!("as_object is only called with object literals"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_named_twice_is_required_once() {
        let twice = [
            param("label", true, vs(ValType::String, None, None)),
            param("label", true, vs(ValType::String, None, None)),
        ];
        let schema = input_schema(&twice);
        assert_eq!(schema["required"], json!(["label"]));
        assert!(jsonschema::meta::is_valid(&Value::Object(schema)));
    }

    fn vs(val_type: ValType, inner: Option<ValType>, en: Option<&[&str]>) -> ValueSchema {
        ValueSchema {
            val_type,
            inner_val_type: inner,
            r#enum: en.map(|e| e.iter().map(|s| (*s).to_owned()).collect()),
        }
    }

    fn param(name: &str, required: bool, schema: ValueSchema) -> ToolParameter {
        ToolParameter {
            name: name.into(),
            required,
            description: Some(format!("the {name}")),
            value_schema: schema,
            ..Default::default()
        }
    }

    fn property(schema: ValueSchema) -> Value {
        let object = input_schema(&[param("p", false, schema)]);
        let mut property = object["properties"]["p"].clone();
        property.as_object_mut().unwrap().remove("description");
        property
    }

    #[test]
    fn input_schema_is_a_closed_object() {
        let schema = input_schema(&[
            param("a", true, vs(ValType::String, None, None)),
            param("b", false, vs(ValType::Integer, None, None)),
        ]);
        assert_eq!(
            Value::Object(schema),
            json!({
                "type": "object",
                "properties": {
                    "a": {"type": "string", "description": "the a"},
                    "b": {"type": "integer", "description": "the b"},
                },
                "required": ["a"],
                "additionalProperties": false,
            })
        );
    }

    #[test]
    fn every_value_type_maps() {
        let cases = [
            (ValType::String, json!({"type": "string"})),
            (ValType::Integer, json!({"type": "integer"})),
            (ValType::Number, json!({"type": "number"})),
            (ValType::Boolean, json!({"type": "boolean"})),
            (ValType::Json, json!({"type": "object"})),
            (ValType::Array, json!({"type": "array"})),
            (ValType::Other, json!({})),
        ];
        for (val_type, expected) in cases {
            assert_eq!(property(vs(val_type, None, None)), expected);
        }
    }

    #[test]
    fn arrays_type_their_items() {
        let of = |inner| property(vs(ValType::Array, Some(inner), None));
        assert_eq!(
            of(ValType::Json),
            json!({"type": "array", "items": {"type": "object"}})
        );
        assert_eq!(
            of(ValType::Number),
            json!({"type": "array", "items": {"type": "number"}})
        );
        assert_eq!(of(ValType::Other), json!({"type": "array", "items": {}}));
    }

    #[test]
    fn enums_restrict_strings_and_string_items_only() {
        let abc = Some(&["a", "b", "a"][..]);
        assert_eq!(
            property(vs(ValType::String, None, abc)),
            json!({"type": "string", "enum": ["a", "b"]})
        );
        assert_eq!(
            property(vs(ValType::Array, Some(ValType::String), abc)),
            json!({"type": "array", "items": {"type": "string", "enum": ["a", "b"]}})
        );
        assert_eq!(
            property(vs(ValType::Integer, None, Some(&["1"]))),
            json!({"type": "integer"})
        );
        assert_eq!(
            property(vs(ValType::String, None, Some(&[]))),
            json!({"type": "string"})
        );
    }

    fn output(schema: Option<ValueSchema>) -> ToolOutput {
        ToolOutput {
            description: Some("what comes back".into()),
            value_schema: schema,
            ..Default::default()
        }
    }

    #[test]
    fn json_output_declares_an_object() {
        let out = output(Some(vs(ValType::Json, None, None)));
        assert_eq!(
            output_schema(Some(&out)).map(Value::Object),
            Some(json!({"type": "object", "description": "what comes back"}))
        );
    }

    #[test]
    fn other_outputs_are_wrapped_and_nullable() {
        let out = output(Some(vs(ValType::String, None, Some(&["x"]))));
        assert_eq!(
            output_schema(Some(&out)).map(Value::Object),
            Some(json!({
                "type": "object",
                "properties": {"result": {"type": ["string", "null"]}},
                "required": ["result"],
                "description": "what comes back",
            }))
        );
        let list = output(Some(vs(ValType::Array, Some(ValType::Json), None)));
        assert_eq!(
            output_schema(Some(&list)).unwrap()["properties"]["result"],
            json!({"type": ["array", "null"], "items": {"type": "object"}})
        );
    }

    #[test]
    fn undeclared_outputs_declare_nothing() {
        assert_eq!(output_schema(None), None);
        assert_eq!(output_schema(Some(&output(None))), None);
    }

    #[test]
    fn structured_content_matches_the_output_schema() {
        let json_out = output(Some(vs(ValType::Json, None, None)));
        let string_out = output(Some(vs(ValType::String, None, None)));
        let object = json!({"id": 1});
        let wrap = |v: Value| JsonObject::from_iter([("result".to_owned(), v)]);

        let cases = [
            (
                Some(&json_out),
                object.clone(),
                object.as_object().unwrap().clone(),
            ),
            (Some(&json_out), Value::Null, wrap(Value::Null)),
            (Some(&json_out), json!([1]), wrap(json!([1]))),
            (Some(&string_out), json!("hi"), wrap(json!("hi"))),
            (Some(&string_out), object.clone(), wrap(object.clone())),
            (None, object.clone(), object.as_object().unwrap().clone()),
            (None, json!(3), wrap(json!(3))),
        ];
        for (out, value, expected) in cases {
            assert_eq!(ResultShape::of(out).structured_content(value), expected);
        }
    }
}
