//! Property tests of [`super::input_schema`]: for any parameters Arcade can declare
//! (every `val_type`, arrays of any element type including arrays, string enums,
//! required and optional parameters), the `inputSchema` is a valid JSON Schema 2020-12
//! that accepts every argument set Arcade would accept and rejects one with a value of
//! the wrong type, a missing required argument, or an unknown one.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::input_schema;
use crate::arcade::types::{ToolParameter, ValType, ValueSchema};

const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

fn val_type() -> impl Strategy<Value = ValType> {
    prop_oneof![
        Just(ValType::String),
        Just(ValType::Integer),
        Just(ValType::Number),
        Just(ValType::Boolean),
        Just(ValType::Json),
        Just(ValType::Array),
        Just(ValType::Other),
    ]
}

fn value_schema() -> impl Strategy<Value = ValueSchema> {
    let enum_values = prop::option::of(prop::collection::vec("[a-zA-Z0-9 _-]{0,8}", 0..4));
    (val_type(), prop::option::of(val_type()), enum_values).prop_map(
        |(val_type, inner_val_type, r#enum)| ValueSchema {
            inner_val_type: inner_val_type.filter(|_| val_type == ValType::Array),
            val_type,
            r#enum,
        },
    )
}

/// Parameters with distinct names, as Arcade declares them.
fn parameters() -> impl Strategy<Value = Vec<ToolParameter>> {
    let parameter = (any::<bool>(), value_schema(), prop::option::of(".{0,20}"));
    prop::collection::btree_map("[a-z_][a-z0-9_]{0,12}", parameter, 0..6).prop_map(|map| {
        map.into_iter()
            .map(
                |(name, (required, value_schema, description))| ToolParameter {
                    name,
                    required,
                    description,
                    value_schema,
                    ..Default::default()
                },
            )
            .collect()
    })
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn any_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-z]{1,4}", any_json(), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// The enum's values, where it restricts strings (Arcade ignores an empty one).
fn string_enum(schema: &ValueSchema) -> Option<Vec<String>> {
    schema.r#enum.clone().filter(|values| !values.is_empty())
}

/// A value of `val_type` Arcade would accept (`allowed` restricting strings).
fn scalar_value(val_type: &ValType, allowed: Option<Vec<String>>) -> BoxedStrategy<Value> {
    match val_type {
        ValType::String => match allowed {
            Some(values) => prop::sample::select(values).prop_map(Value::from).boxed(),
            None => ".{0,12}".prop_map(Value::from).boxed(),
        },
        ValType::Integer => any::<i64>().prop_map(Value::from).boxed(),
        ValType::Number => prop_oneof![
            any::<i64>().prop_map(Value::from),
            (-1e12f64..1e12).prop_map(Value::from),
        ]
        .boxed(),
        ValType::Boolean => any::<bool>().prop_map(Value::from).boxed(),
        ValType::Json => any_object().boxed(),
        ValType::Array => prop::collection::vec(any_json(), 0..3)
            .prop_map(Value::from)
            .boxed(),
        ValType::Other => any_json().boxed(),
    }
}

fn conforming_value(schema: &ValueSchema) -> BoxedStrategy<Value> {
    match (&schema.val_type, &schema.inner_val_type) {
        (ValType::Array, Some(inner)) => {
            prop::collection::vec(scalar_value(inner, string_enum(schema)), 0..4)
                .prop_map(Value::from)
                .boxed()
        }
        (val_type, _) => scalar_value(val_type, string_enum(schema)),
    }
}

/// A value whose JSON type `schema` never accepts; `None` for a type that takes any.
fn wrongly_typed(schema: &ValueSchema) -> Option<Value> {
    match schema.val_type {
        ValType::String => Some(json!(42)),
        ValType::Integer => Some(json!(1.5)),
        ValType::Number | ValType::Boolean => Some(json!("1")),
        ValType::Json => Some(json!(["not", "an", "object"])),
        ValType::Array => Some(json!({"not": "a list"})),
        ValType::Other => None,
    }
}

/// Parameters and an argument set Arcade would accept: every required argument and
/// some optional ones, each of its declared type.
fn tool_and_arguments() -> impl Strategy<Value = (Vec<ToolParameter>, Map<String, Value>)> {
    parameters().prop_flat_map(|params| {
        let values: Vec<_> = params
            .iter()
            .map(|p| {
                let given = if p.required {
                    Just(true).boxed()
                } else {
                    any::<bool>().boxed()
                };
                (given, conforming_value(&p.value_schema))
            })
            .collect();
        (Just(params.clone()), values).prop_map(|(params, values)| {
            let arguments: BTreeMap<String, Value> = params
                .iter()
                .zip(values)
                .filter(|(_, (given, _))| *given)
                .map(|(p, (_, value))| (p.name.clone(), value))
                .collect();
            (params, arguments.into_iter().collect())
        })
    })
}

fn schema_of(params: &[ToolParameter]) -> Value {
    Value::Object(input_schema(params))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_input_schema_is_a_valid_json_schema(params in parameters()) {
        let mut schema = schema_of(&params);
        schema["$schema"] = DRAFT_2020_12.into();
        let checked = jsonschema::meta::validate(&schema).map_err(|e| e.to_string());
        prop_assert!(checked.is_ok(), "{checked:?}: {schema}");
    }

    #[test]
    fn arguments_arcade_accepts_are_accepted((params, arguments) in tool_and_arguments()) {
        let schema = schema_of(&params);
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let arguments = Value::Object(arguments);
        let errors: Vec<String> = validator.iter_errors(&arguments).map(|e| e.to_string()).collect();
        prop_assert!(errors.is_empty(), "{errors:?}\nschema: {schema}\narguments: {arguments}");
    }

    #[test]
    fn a_wrongly_typed_missing_or_unknown_argument_is_rejected(
        (params, arguments) in tool_and_arguments(),
        pick in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!params.is_empty());
        let validator = jsonschema::draft202012::new(&schema_of(&params)).unwrap();
        let param = pick.get(&params);

        if let Some(wrong) = wrongly_typed(&param.value_schema) {
            let mut bad = arguments.clone();
            bad.insert(param.name.clone(), wrong);
            prop_assert!(!validator.is_valid(&Value::Object(bad.clone())), "accepted {bad:?}");
        }
        if param.required {
            let mut missing = arguments.clone();
            missing.remove(&param.name);
            prop_assert!(!validator.is_valid(&Value::Object(missing)));
        }
        let mut unknown = arguments;
        unknown.insert(format!("{}_not_a_parameter", param.name), json!(1));
        prop_assert!(!validator.is_valid(&Value::Object(unknown)));
    }
}
