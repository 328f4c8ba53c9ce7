//! The one hash of a call's arguments: what the audit log records instead of the
//! arguments, and what a multi round-trip retry's sealed state checks them against.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// SHA-256 (hex) of the arguments' canonical JSON (object keys sorted, no spaces), so
/// that the same arguments hash the same whatever order a client sends them in.
pub fn arguments_sha256(arguments: &Map<String, Value>) -> String {
    let mut canonical = String::new();
    write_object(arguments, &mut canonical);
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

fn write_object(map: &Map<String, Value>, out: &mut String) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    out.push('{');
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        write_canonical(&map[key], out);
    }
    out.push('}');
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => write_object(map, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::String(text) => write_string(text, out),
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A JSON string as `serde_json` writes it.
fn write_string(text: &str, out: &mut String) {
    // Serializing a `&str` into a `String`'s bytes cannot fail.
    let quoted = serde_json::to_string(text).unwrap_or_default();
    out.push_str(&quoted);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn argument_order_does_not_change_the_hash_but_values_do() {
        let a = map(json!({"a": 1, "b": {"y": 2, "x": [1, {"q": 1, "p": 2}]}}));
        let b = map(json!({"b": {"x": [1, {"p": 2, "q": 1}], "y": 2}, "a": 1}));
        let c = map(json!({"a": 2, "b": {"x": [1, {"p": 2, "q": 1}], "y": 2}}));
        assert_eq!(arguments_sha256(&a), arguments_sha256(&b));
        assert_ne!(arguments_sha256(&a), arguments_sha256(&c));
    }

    #[test]
    fn the_hash_is_of_compact_sorted_json() {
        let arguments = map(json!({"b": "x\"y", "a": [true, null, 1.5]}));
        let canonical = r#"{"a":[true,null,1.5],"b":"x\"y"}"#;
        assert_eq!(
            arguments_sha256(&arguments),
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
    }
}
