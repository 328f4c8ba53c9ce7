//! The recorder of the contract check: with `ARCADE_EMULATOR_CONTRACT_LOG=DIR` set,
//! every `/v1` exchange the emulator handles is written as one JSON line to
//! `DIR/emulator-<pid>.jsonl`, which `tests/contract/check_contract.py` then checks
//! against the contract of `docs/arcade-api.md` (`tests/contract/arcade-api.json`).
//!
//! The variable is read once per process, so emulators started in a test binary and
//! the emulator processes the tests spawn (which inherit it) all record. It sits
//! inside the key check and the fault injection: it records what the emulator itself
//! answers, never an injected fault or a canned answer a test chose to be wrong.
//!
//! Bounded: a body over [`WHOLE_BODY_LIMIT`] is recorded in reduced form (strings cut,
//! array items kept once per distinct shape: the field names, types and nulls the
//! check reads survive) and marked `reduced`; one still over [`REDUCED_BODY_LIMIT`]
//! is left out and marked `skipped`, which the check reports. No header value is
//! recorded but the user agent, the content type and the retry hints: the key never is.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use parking_lot::Mutex;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::errors::ApiError;

/// The environment variable naming the folder of the recordings.
const CONTRACT_LOG_VAR: &str = "ARCADE_EMULATOR_CONTRACT_LOG";

/// A body up to this size is recorded whole.
const WHOLE_BODY_LIMIT: usize = 256 * 1024;

/// A reduced body still over this size is left out (and counted by the check).
const REDUCED_BODY_LIMIT: usize = 1024 * 1024;

/// The largest request body read: above axum's 2 MB JSON limit, so every body a
/// handler would accept is read whole.
const REQUEST_READ_LIMIT: usize = 8 * 1024 * 1024;

/// Strings of a reduced body keep this many characters (enum values survive).
const REDUCED_STRING_CHARS: usize = 64;

/// Header values recorded are cut to this many characters.
const HEADER_CHARS: usize = 200;

/// The open recording of this process, when `CONTRACT_LOG_VAR` names a folder.
fn recording() -> Option<&'static Mutex<File>> {
    static FILE: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = PathBuf::from(std::env::var_os(CONTRACT_LOG_VAR)?);
        let path = dir.join(format!("emulator-{}.jsonl", std::process::id()));
        let opened = std::fs::create_dir_all(&dir).and_then(|()| {
            OpenOptions::new().create(true).append(true).open(&path)
        });
        match opened {
            Ok(file) => Some(Mutex::new(file)),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot open the contract log; exchanges are not recorded");
                None
            }
        }
    })
    .as_ref()
}

/// The layer on the `/v1` routes: passes through untouched unless recording.
pub async fn record(route: MatchedPath, request: Request, next: Next) -> Response {
    let Some(file) = recording() else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(request_body) = to_bytes(body, REQUEST_READ_LIMIT).await else {
        return ApiError::Rejected {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!("request body over {REQUEST_READ_LIMIT} bytes"),
        }
        .into_response();
    };
    let mut line = json!({
        "pid": std::process::id(),
        "route": route.as_str(),
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "user_agent": header_text(&parts.headers, header::USER_AGENT.as_str()),
        "key": key_form(&parts.headers),
        "request": recorded_body(&request_body),
    });
    let response = next
        .run(Request::from_parts(parts, Body::from(request_body)))
        .await;
    let (parts, body) = response.into_parts();
    let Ok(response_body) = to_bytes(body, usize::MAX).await else {
        // The handler's own body failed: nothing to record, nothing to pass on.
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    line["status"] = parts.status.as_u16().into();
    line["response_headers"] = ["content-type", "retry-after", "retry-after-ms"]
        .into_iter()
        .filter_map(|name| {
            Some((
                name.to_owned(),
                Value::from(header_text(&parts.headers, name)?),
            ))
        })
        .collect::<Map<_, _>>()
        .into();
    line["response"] = recorded_body(&response_body);
    write_line(file, &line);
    Response::from_parts(parts, Body::from(response_body))
}

fn write_line(file: &Mutex<File>, line: &Value) {
    let mut text = line.to_string();
    text.push('\n');
    let mut file = file.lock();
    if let Err(error) = file.write_all(text.as_bytes()) {
        tracing::warn!(%error, "cannot write the contract log");
    }
}

/// How the key was sent, never its value: `bearer`, `bare` or `absent`.
fn key_form(headers: &HeaderMap) -> &'static str {
    match headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()) {
        None => "absent",
        Some(value) if value.starts_with(b"Bearer ") => "bearer",
        Some(_) => "bare",
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    Some(value.chars().take(HEADER_CHARS).collect())
}

/// A body as the check reads it: `{"bytes", "json"?, "reduced"?, "skipped"?, "not_json"?}`.
fn recorded_body(bytes: &Bytes) -> Value {
    let mut recorded = json!({ "bytes": bytes.len() });
    if bytes.is_empty() {
        return recorded;
    }
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        recorded["not_json"] = true.into();
        return recorded;
    };
    if bytes.len() <= WHOLE_BODY_LIMIT {
        recorded["json"] = value;
        return recorded;
    }
    let (reduced, _) = reduce(value);
    recorded["reduced"] = true.into();
    if reduced.to_string().len() <= REDUCED_BODY_LIMIT {
        recorded["json"] = reduced;
    } else {
        recorded["skipped"] = true.into();
    }
    recorded
}

/// The value with strings cut and array items kept once per shape, and its shape.
fn reduce(value: Value) -> (Value, String) {
    match value {
        Value::Null => (Value::Null, "n".into()),
        Value::Bool(b) => (Value::Bool(b), "b".into()),
        Value::Number(n) => {
            let shape = if n.is_f64() { "f" } else { "i" };
            (Value::Number(n), shape.into())
        }
        Value::String(s) => (
            Value::String(s.chars().take(REDUCED_STRING_CHARS).collect()),
            "s".into(),
        ),
        Value::Array(items) => {
            let mut shapes = BTreeSet::new();
            let kept: Vec<Value> = items
                .into_iter()
                .map(reduce)
                .filter_map(|(item, shape)| shapes.insert(shape).then_some(item))
                .collect();
            let shape = format!("[{}]", shapes.into_iter().collect::<Vec<_>>().join(","));
            (Value::Array(kept), shape)
        }
        Value::Object(fields) => {
            let mut shape = String::from("{");
            let mut kept = Map::new();
            for (name, field) in fields {
                let (field, field_shape) = reduce(field);
                shape.push_str(&format!("{name}:{field_shape},"));
                kept.insert(name, field);
            }
            shape.push('}');
            (Value::Object(kept), shape)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reducing_keeps_one_item_per_shape_and_every_field() {
        let tool = |n: usize| json!({"name": "x".repeat(200), "input": {"parameters": vec![json!({"name": "a"}); n]}});
        let page = json!({"items": [tool(1), tool(2), tool(1), {"name": null}], "total_count": 4});
        let (reduced, _) = reduce(page);
        let items = reduced["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{reduced}");
        assert_eq!(
            items[0]["name"].as_str().unwrap().len(),
            REDUCED_STRING_CHARS
        );
        assert_eq!(items[0]["input"]["parameters"].as_array().unwrap().len(), 1);
        assert_eq!(items[1]["name"], Value::Null);
        assert_eq!(reduced["total_count"], 4);
    }

    #[test]
    fn a_body_over_the_limit_is_marked_reduced_and_keeps_its_fields() {
        let items: Vec<Value> = (0..20_000)
            .map(|i| json!({"id": format!("c{i}"), "scopes": null}))
            .collect();
        let bytes = Bytes::from(json!({"items": items}).to_string());
        assert!(bytes.len() > WHOLE_BODY_LIMIT);
        let recorded = recorded_body(&bytes);
        assert_eq!(recorded["reduced"], true);
        assert_eq!(
            recorded["json"]["items"],
            json!([{"id": "c0", "scopes": null}])
        );
        assert_eq!(recorded["bytes"], bytes.len());
    }

    #[test]
    fn a_body_that_is_not_json_says_so() {
        let recorded = recorded_body(&Bytes::from_static(b"<html>"));
        assert_eq!(recorded, json!({"bytes": 6, "not_json": true}));
    }

    #[test]
    fn the_key_form_never_holds_the_key() {
        let mut headers = HeaderMap::new();
        assert_eq!(key_form(&headers), "absent");
        headers.insert(header::AUTHORIZATION, "Bearer arc_secret".parse().unwrap());
        assert_eq!(key_form(&headers), "bearer");
        headers.insert(header::AUTHORIZATION, "arc_secret".parse().unwrap());
        assert_eq!(key_form(&headers), "bare");
    }
}
