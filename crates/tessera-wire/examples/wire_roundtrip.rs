//! A line-oriented front end to the crate for cross-checking with other
//! Query-protocol implementations (see `tests/botocore_roundtrip.py`).
//!
//! Each input line is a JSON object:
//! `{"service": "iam"|"sts", "operation": "X", "body": "Action=…"}` decodes a
//! form body and prints `{"input": …}` or `{"error": {"code", "message"}}`;
//! `{"service": …, "operation": "X", "output": {…}}` encodes an output and
//! prints `{"xml": "…"}` or `{"error": "…"}`.

use std::io::{BufRead, Write};

use serde_json::{json, Value};

fn answer(line: &str) -> Value {
    let Ok(request) = serde_json::from_str::<Value>(line) else {
        return json!({"error": "not JSON"});
    };
    let model = match request.get("service").and_then(Value::as_str) {
        Some("sts") => tessera_wire::sts(),
        _ => tessera_wire::iam(),
    };
    let operation = request
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if let Some(body) = request.get("body").and_then(Value::as_str) {
        let decoded = tessera_wire::parse_query_pairs(body.as_bytes())
            .and_then(|pairs| model.decode_input(operation, &pairs));
        return match decoded {
            Ok(input) => json!({"input": input}),
            Err(error) => json!({"error": {"code": error.code, "message": error.message}}),
        };
    }
    match model.encode_output(
        operation,
        request.get("output").unwrap_or(&Value::Null),
        "cross-check",
    ) {
        Ok(xml) => json!({"xml": xml}),
        Err(error) => json!({"error": error.to_string()}),
    }
}

fn main() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if writeln!(stdout, "{}", answer(&line)).is_err() {
            break;
        }
    }
}
