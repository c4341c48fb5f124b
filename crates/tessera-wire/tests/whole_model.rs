//! Every operation of both models, both ways.
//!
//! For each operation, an input value is generated from the input shape
//! (satisfying every constraint), serialized to query pairs by a small
//! serializer written here after botocore's `QuerySerializer`, decoded by
//! the crate, and compared with the original. An output value is generated
//! from the output shape, encoded by the crate, parsed back from the XML by
//! a reader written here after botocore's `QueryParser`, and compared too:
//! every member must come back, in its place, with its value.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use regex::Regex;
use serde_json::{json, Map, Value};

const IAM_MODEL: &str = include_str!("../models/iam-2010-05-08.json");
const STS_MODEL: &str = include_str!("../models/sts-2011-06-15.json");

struct Model {
    doc: Value,
}

/// Strings tried, in order, for a string shape: the first that satisfies
/// the shape's length and pattern is used. The first ones carry characters
/// that need escaping on both the query and the XML side.
const CANDIDATES: &[&str] = &[
    "a&b<c>\"d' é+%=日本/?#",
    "Plain text with spaces",
    "a-b_c.d@e=f,g+h",
    "abc",
    "/",
    "/path/",
    "v1",
    "123456789012",
    "ABCDEF123456",
    "http://example.com/a",
    "https://example.com",
    "p-abcdefgh12",
    "o-abcdefghij",
    "o-abcdefghij/r-abcd",
    "arn:aws:iam::123456789012:role/name",
    "AKIAEXAMPLE",
];

fn java_pattern(pattern: &str) -> Option<Regex> {
    let mut translated = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'u') {
            chars.next();
            let hex: String = (0..4).filter_map(|_| chars.next()).collect();
            translated.push_str(&format!("\\x{{{hex}}}"));
        } else if c == '\\' && chars.peek().is_some_and(|n| matches!(n, '/' | ':' | '@')) {
            translated.push(chars.next().unwrap());
        } else {
            translated.push(c);
        }
    }
    Regex::new(&format!("^(?:{translated})$")).ok()
}

impl Model {
    fn shape(&self, name: &str) -> &Value {
        &self.doc["shapes"][name]
    }

    fn string_value(&self, shape: &Value, salt: usize) -> String {
        if let Some(values) = shape["enum"].as_array() {
            return values[salt % values.len()].as_str().unwrap().to_owned();
        }
        let min = shape["min"].as_u64().unwrap_or(0) as usize;
        let max = shape["max"].as_u64().unwrap_or(u64::MAX) as usize;
        let pattern = shape["pattern"].as_str().and_then(java_pattern);
        let fits = |text: &str| {
            let length = text.encode_utf16().count();
            length >= min && length <= max && pattern.as_ref().is_none_or(|p| p.is_match(text))
        };
        let mut options: Vec<String> = CANDIDATES.iter().map(|c| (*c).to_owned()).collect();
        for base in ["a", "A", "1", "/", "ab"] {
            options.push(base.repeat(min.max(1)));
        }
        for option in &options {
            let salted = if salt > 0 {
                format!("{option}{salt}")
            } else {
                option.clone()
            };
            if fits(&salted) {
                return salted;
            }
            if fits(option) {
                return option.clone();
            }
        }
        panic!("no candidate string fits {shape}");
    }

    /// A value of `shape_name` satisfying its constraints, with every
    /// optional member present.
    fn generate(&self, shape_name: &str, depth: usize, salt: usize) -> Value {
        let shape = self.shape(shape_name);
        match shape["type"].as_str().unwrap() {
            "string" => Value::String(self.string_value(shape, salt)),
            "blob" => json!("aGVsbG8gd29ybGQ="),
            "boolean" => json!(salt.is_multiple_of(2)),
            "timestamp" => json!("2024-05-01T12:34:56Z"),
            "integer" | "long" => {
                let min = shape["min"].as_i64().unwrap_or(i64::MIN);
                let max = shape["max"].as_i64().unwrap_or(i64::MAX);
                json!((7 + salt as i64).clamp(min, max))
            }
            "structure" => {
                let mut object = Map::new();
                for (name, member) in shape["members"].as_object().unwrap() {
                    if depth > 6 {
                        continue;
                    }
                    object.insert(
                        name.clone(),
                        self.generate(member["shape"].as_str().unwrap(), depth + 1, salt),
                    );
                }
                Value::Object(object)
            }
            "list" => {
                let max = shape["max"].as_u64().unwrap_or(2).min(2) as usize;
                let count = max.max(shape["min"].as_u64().unwrap_or(0) as usize).max(1);
                let member = shape["member"]["shape"].as_str().unwrap();
                Value::Array(
                    (0..count)
                        .map(|i| self.generate(member, depth + 1, salt + i))
                        .collect(),
                )
            }
            "map" => {
                let key = shape["key"]["shape"].as_str().unwrap();
                let value = shape["value"]["shape"].as_str().unwrap();
                let mut object = Map::new();
                for i in 0..2 {
                    let key_value = self.generate(key, depth + 1, i + 1);
                    object.insert(
                        key_value.as_str().unwrap().to_owned(),
                        self.generate(value, depth + 1, i),
                    );
                }
                Value::Object(object)
            }
            other => panic!("unexpected shape type {other}"),
        }
    }

    /// botocore's `QuerySerializer`, for the shapes these models use.
    fn serialize(
        &self,
        shape_name: &str,
        value: &Value,
        prefix: &str,
        out: &mut Vec<(String, String)>,
    ) {
        let shape = self.shape(shape_name);
        match shape["type"].as_str().unwrap() {
            "structure" => {
                for (key, member_value) in value.as_object().unwrap() {
                    let member = &shape["members"][key];
                    let name = member["locationName"].as_str().unwrap_or(key);
                    let member_prefix = if prefix.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{prefix}.{name}")
                    };
                    self.serialize(
                        member["shape"].as_str().unwrap(),
                        member_value,
                        &member_prefix,
                        out,
                    );
                }
            }
            "list" => {
                let items = value.as_array().unwrap();
                if items.is_empty() {
                    out.push((prefix.to_owned(), String::new()));
                    return;
                }
                let list_prefix = if shape["flattened"].as_bool() == Some(true) {
                    prefix.to_owned()
                } else {
                    format!(
                        "{prefix}.{}",
                        shape["member"]["locationName"].as_str().unwrap_or("member")
                    )
                };
                for (i, item) in items.iter().enumerate() {
                    self.serialize(
                        shape["member"]["shape"].as_str().unwrap(),
                        item,
                        &format!("{list_prefix}.{}", i + 1),
                        out,
                    );
                }
            }
            "map" => {
                let full = if shape["flattened"].as_bool() == Some(true) {
                    prefix.to_owned()
                } else {
                    format!("{prefix}.entry")
                };
                let key_name = shape["key"]["locationName"].as_str().unwrap_or("key");
                let value_name = shape["value"]["locationName"].as_str().unwrap_or("value");
                for (i, (key, entry)) in value.as_object().unwrap().iter().enumerate() {
                    out.push((format!("{full}.{}.{key_name}", i + 1), key.clone()));
                    self.serialize(
                        shape["value"]["shape"].as_str().unwrap(),
                        entry,
                        &format!("{full}.{}.{value_name}", i + 1),
                        out,
                    );
                }
            }
            "boolean" => out.push((
                prefix.to_owned(),
                if value.as_bool().unwrap() {
                    "true"
                } else {
                    "false"
                }
                .to_owned(),
            )),
            "integer" | "long" => out.push((prefix.to_owned(), value.to_string())),
            _ => out.push((prefix.to_owned(), value.as_str().unwrap().to_owned())),
        }
    }

    /// botocore's `QueryParser`, for the shapes these models use.
    fn parse(&self, shape_name: &str, node: roxmltree::Node<'_, '_>) -> Value {
        let shape = self.shape(shape_name);
        let text = || node.text().unwrap_or("").to_owned();
        match shape["type"].as_str().unwrap() {
            "structure" => {
                let mut object = Map::new();
                for (name, member) in shape["members"].as_object().unwrap() {
                    let xml_name = member["locationName"].as_str().unwrap_or(name);
                    let matching: Vec<_> = node
                        .children()
                        .filter(|c| c.is_element() && c.tag_name().name() == xml_name)
                        .collect();
                    assert!(matching.len() <= 1, "{xml_name} repeated");
                    if let Some(child) = matching.first() {
                        object.insert(
                            name.clone(),
                            self.parse(member["shape"].as_str().unwrap(), *child),
                        );
                    }
                }
                let known = node.children().filter(|c| c.is_element()).count();
                assert_eq!(
                    known,
                    object.len(),
                    "unexpected elements in {}",
                    node.tag_name().name()
                );
                Value::Object(object)
            }
            "list" => {
                let item_name = shape["member"]["locationName"].as_str().unwrap_or("member");
                let items = node.children().filter(|c| c.is_element());
                Value::Array(
                    items
                        .map(|item| {
                            assert_eq!(item.tag_name().name(), item_name);
                            self.parse(shape["member"]["shape"].as_str().unwrap(), item)
                        })
                        .collect(),
                )
            }
            "map" => {
                let key_name = shape["key"]["locationName"].as_str().unwrap_or("key");
                let value_name = shape["value"]["locationName"].as_str().unwrap_or("value");
                let mut object = Map::new();
                for entry in node.children().filter(|c| c.is_element()) {
                    assert_eq!(entry.tag_name().name(), "entry");
                    let key = entry
                        .children()
                        .find(|c| c.tag_name().name() == key_name)
                        .unwrap()
                        .text()
                        .unwrap_or("");
                    let value = entry
                        .children()
                        .find(|c| c.tag_name().name() == value_name)
                        .unwrap();
                    object.insert(
                        key.to_owned(),
                        self.parse(shape["value"]["shape"].as_str().unwrap(), value),
                    );
                }
                Value::Object(object)
            }
            "boolean" => json!(text() == "true"),
            "integer" | "long" => json!(text().parse::<i64>().unwrap()),
            _ => Value::String(text()),
        }
    }
}

/// Checks every operation; returns the number of operations and of query
/// pairs sent.
fn check_model(document: &str, model: &tessera_wire::ServiceModel) -> (usize, usize) {
    let test_model = Model {
        doc: serde_json::from_str(document).unwrap(),
    };
    let operations = test_model.doc["operations"].as_object().unwrap();
    assert_eq!(model.operation_names().count(), operations.len());
    let namespace = model.xml_namespace();
    let mut pair_count = 0;
    for (name, operation) in operations {
        assert!(model.has_operation(name));

        // Input: generate, serialize like botocore, decode, compare.
        let mut pairs = vec![
            ("Action".to_owned(), name.clone()),
            ("Version".to_owned(), model.api_version().to_owned()),
        ];
        let expected_input = match operation["input"]["shape"].as_str() {
            Some(input) => {
                let value = test_model.generate(input, 0, 0);
                test_model.serialize(input, &value, "", &mut pairs);
                value
            }
            None => json!({}),
        };
        // Through the form encoding too: encode each pair, parse the body.
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect();
        let body = body.join("&");
        let parsed = tessera_wire::parse_query_pairs(body.as_bytes()).unwrap();
        let owned: Vec<(String, String)> = parsed
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(owned, pairs);
        pair_count += pairs.len();
        let decoded = model
            .decode_input(name, &parsed)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{pairs:?}"));
        assert_eq!(decoded, expected_input, "{name} input");

        // Output: generate, encode, parse like botocore, compare.
        let output_shape = operation["output"]["shape"].as_str();
        let value = output_shape.map_or(json!({}), |shape| test_model.generate(shape, 0, 0));
        let xml = model
            .encode_output(name, &value, "req-0001")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{name}: {e}\n{xml}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), format!("{name}Response"));
        assert_eq!(root.tag_name().namespace(), Some(namespace));
        let children: Vec<_> = root.children().filter(|c| c.is_element()).collect();
        let metadata = children.last().unwrap();
        assert_eq!(metadata.tag_name().name(), "ResponseMetadata");
        assert_eq!(
            metadata.first_element_child().unwrap().text(),
            Some("req-0001")
        );
        match output_shape {
            Some(shape) => {
                assert_eq!(children.len(), 2, "{name}");
                let result = children[0];
                assert_eq!(
                    result.tag_name().name(),
                    operation["output"]["resultWrapper"].as_str().unwrap()
                );
                assert_eq!(
                    test_model.parse(shape, result),
                    value,
                    "{name} output\n{xml}"
                );
            }
            None => assert_eq!(children.len(), 1, "{name}"),
        }
    }
    (operations.len(), pair_count)
}

fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[test]
fn every_iam_operation_round_trips() {
    let (operations, pairs) = check_model(IAM_MODEL, tessera_wire::iam());
    assert_eq!(operations, 176);
    assert!(pairs > 800, "{pairs}");
}

#[test]
fn every_sts_operation_round_trips() {
    let (operations, pairs) = check_model(STS_MODEL, tessera_wire::sts());
    assert_eq!(operations, 11);
    assert!(pairs > 60, "{pairs}");
}
