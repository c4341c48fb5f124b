//! The service model: shapes, operations and errors read from a botocore
//! `service-2.json` document, resolved once into an index-linked form that
//! decoding and encoding walk without further lookups by name.

use std::collections::HashMap;

use serde_json::Value;

use crate::errors::{common_error_kind, ApiError, ErrorKind, Fault, UNKNOWN_ERROR_KIND};
use crate::pattern::Pattern;

/// Index of a shape in [`ServiceModel`]'s shape table.
pub(crate) type ShapeId = usize;

/// A reference from a structure, list or map to a shape, with the traits a
/// reference carries.
#[derive(Debug, Clone)]
pub(crate) struct ShapeRef {
    pub shape: ShapeId,
    /// `locationName`: the name on the wire, when it differs.
    pub location_name: Option<String>,
    /// `flattened` given on the reference.
    pub flattened: bool,
}

/// One member of a structure.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    /// The member's name in the model (PascalCase), the JSON key.
    pub name: String,
    /// The name AWS uses in validation messages: the member name with its
    /// first letter in lower case.
    pub validation_name: String,
    pub target: ShapeRef,
    pub required: bool,
}

impl Member {
    /// The member's name on the wire (query key segment or XML element).
    pub fn wire_name(&self) -> &str {
        self.target.location_name.as_deref().unwrap_or(&self.name)
    }
}

/// What kind of value a shape describes.
#[derive(Debug)]
pub(crate) enum ShapeKind {
    String,
    Integer,
    Long,
    Float,
    Boolean,
    Timestamp,
    Blob,
    Structure { members: Vec<Member> },
    List { member: ShapeRef },
    Map { key: ShapeRef, value: ShapeRef },
}

/// A shape and its constraints.
#[derive(Debug)]
pub(crate) struct Shape {
    pub name: String,
    pub kind: ShapeKind,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// Index into the model's pattern table.
    pub pattern: Option<usize>,
    pub enum_values: Option<Vec<String>>,
    pub sensitive: bool,
    pub flattened: bool,
}

/// One operation.
#[derive(Debug)]
pub(crate) struct Operation {
    pub name: String,
    pub input: Option<ShapeId>,
    pub output: Option<ShapeId>,
    /// The `resultWrapper` of the output, e.g. `GetUserResult`.
    pub result_wrapper: Option<String>,
}

/// Style of AWS's validation messages, which differs between services.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ValidationStyle {
    /// Whether messages quote the offending value (`Value 'x' at 'name'`).
    /// STS does; IAM writes `Value at 'name'` (see the recordings).
    pub echo_values: bool,
}

/// A service model, parsed once: its operations, shapes and errors.
#[derive(Debug)]
pub struct ServiceModel {
    api_version: String,
    xml_namespace: String,
    pub(crate) shapes: Vec<Shape>,
    pub(crate) patterns: Vec<Pattern>,
    pub(crate) operations: Vec<Operation>,
    /// Built once from the model: any name a request sends is only looked
    /// up, so a fast hasher is safe here.
    operation_index: foldhash::HashMap<String, usize>,
    errors: foldhash::HashMap<String, ErrorKind>,
    pub(crate) style: ValidationStyle,
}

/// Why a model document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The document is not JSON.
    #[error("the model is not valid JSON: {0}")]
    Json(String),
    /// A required part of the model is missing or has the wrong type.
    #[error("the model has no valid `{0}`")]
    Missing(String),
    /// A shape reference names no shape.
    #[error("shape `{0}` is referenced but not defined")]
    UnknownShape(String),
    /// A shape has a type this crate does not know.
    #[error("shape `{shape}` has unsupported type `{kind}`")]
    UnsupportedType {
        /// The shape's name.
        shape: String,
        /// Its type.
        kind: String,
    },
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn int_field(value: &Value, key: &str) -> Option<i64> {
    let field = value.get(key)?;
    field.as_i64().or_else(|| field.as_f64().map(|f| f as i64))
}

fn bool_field(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_bool).unwrap_or(false)
}

impl ServiceModel {
    /// Reads a botocore `service-2.json` document of a Query-protocol service.
    pub fn from_json(document: &str) -> Result<ServiceModel, ModelError> {
        let root: Value =
            serde_json::from_str(document).map_err(|e| ModelError::Json(e.to_string()))?;
        let metadata = root
            .get("metadata")
            .ok_or_else(|| ModelError::Missing("metadata".into()))?;
        let api_version = str_field(metadata, "apiVersion")
            .ok_or_else(|| ModelError::Missing("metadata.apiVersion".into()))?;
        let xml_namespace = str_field(metadata, "xmlNamespace")
            .ok_or_else(|| ModelError::Missing("metadata.xmlNamespace".into()))?;
        let echo_values = str_field(metadata, "endpointPrefix") == Some("sts");

        let shape_docs = root
            .get("shapes")
            .and_then(Value::as_object)
            .ok_or_else(|| ModelError::Missing("shapes".into()))?;
        let shape_ids: HashMap<&str, ShapeId> = shape_docs
            .keys()
            .enumerate()
            .map(|(id, name)| (name.as_str(), id))
            .collect();
        let resolve = |reference: &Value| -> Result<ShapeRef, ModelError> {
            let name = str_field(reference, "shape")
                .ok_or_else(|| ModelError::Missing("shape reference".into()))?;
            let shape = *shape_ids
                .get(name)
                .ok_or_else(|| ModelError::UnknownShape(name.to_owned()))?;
            Ok(ShapeRef {
                shape,
                location_name: str_field(reference, "locationName").map(str::to_owned),
                flattened: bool_field(reference, "flattened"),
            })
        };

        let mut patterns: Vec<Pattern> = Vec::new();
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut errors: foldhash::HashMap<String, ErrorKind> = foldhash::HashMap::default();
        let mut shapes = Vec::with_capacity(shape_docs.len());
        for (name, doc) in shape_docs {
            let kind_name = str_field(doc, "type").unwrap_or("");
            let kind = match kind_name {
                "string" => ShapeKind::String,
                "integer" => ShapeKind::Integer,
                "long" => ShapeKind::Long,
                "float" | "double" => ShapeKind::Float,
                "boolean" => ShapeKind::Boolean,
                "timestamp" => ShapeKind::Timestamp,
                "blob" => ShapeKind::Blob,
                "structure" => {
                    let required: Vec<&str> = doc
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|names| names.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    let mut members = Vec::new();
                    if let Some(member_docs) = doc.get("members").and_then(Value::as_object) {
                        for (member_name, member_doc) in member_docs {
                            members.push(Member {
                                name: member_name.clone(),
                                validation_name: lower_first(member_name),
                                target: resolve(member_doc)?,
                                required: required.contains(&member_name.as_str()),
                            });
                        }
                    }
                    ShapeKind::Structure { members }
                }
                "list" => ShapeKind::List {
                    member: resolve(
                        doc.get("member")
                            .ok_or_else(|| ModelError::Missing(format!("{name}.member")))?,
                    )?,
                },
                "map" => ShapeKind::Map {
                    key: resolve(
                        doc.get("key")
                            .ok_or_else(|| ModelError::Missing(format!("{name}.key")))?,
                    )?,
                    value: resolve(
                        doc.get("value")
                            .ok_or_else(|| ModelError::Missing(format!("{name}.value")))?,
                    )?,
                },
                other => {
                    return Err(ModelError::UnsupportedType {
                        shape: name.clone(),
                        kind: other.to_owned(),
                    });
                }
            };
            let pattern = str_field(doc, "pattern").map(|source| {
                *pattern_ids.entry(source.to_owned()).or_insert_with(|| {
                    patterns.push(Pattern::compile(source));
                    patterns.len() - 1
                })
            });
            if bool_field(doc, "exception") {
                let error = doc.get("error");
                let code = error
                    .and_then(|e| str_field(e, "code"))
                    .unwrap_or(name)
                    .to_owned();
                let status = error
                    .and_then(|e| int_field(e, "httpStatusCode"))
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(UNKNOWN_ERROR_KIND.status);
                // botocore reads a missing `senderFault` as a service fault;
                // an exception without any `error` trait is a client error.
                let fault = match error {
                    Some(e) if !bool_field(e, "senderFault") => Fault::Receiver,
                    _ => Fault::Sender,
                };
                errors.insert(code, ErrorKind { status, fault });
            }
            shapes.push(Shape {
                name: name.clone(),
                kind,
                min: int_field(doc, "min"),
                max: int_field(doc, "max"),
                pattern,
                enum_values: doc.get("enum").and_then(Value::as_array).map(|values| {
                    values
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                }),
                sensitive: bool_field(doc, "sensitive"),
                flattened: bool_field(doc, "flattened"),
            });
        }

        let operation_docs = root
            .get("operations")
            .and_then(Value::as_object)
            .ok_or_else(|| ModelError::Missing("operations".into()))?;
        let mut operations = Vec::with_capacity(operation_docs.len());
        for (name, doc) in operation_docs {
            let input = doc.get("input").map(&resolve).transpose()?.map(|r| r.shape);
            let output_doc = doc.get("output");
            let output = output_doc.map(&resolve).transpose()?.map(|r| r.shape);
            operations.push(Operation {
                name: name.clone(),
                input,
                output,
                result_wrapper: output_doc
                    .and_then(|o| str_field(o, "resultWrapper"))
                    .map(str::to_owned),
            });
        }
        let operation_index = operations
            .iter()
            .enumerate()
            .map(|(i, op)| (op.name.clone(), i))
            .collect();

        Ok(ServiceModel {
            api_version: api_version.to_owned(),
            xml_namespace: xml_namespace.to_owned(),
            shapes,
            patterns,
            operations,
            operation_index,
            errors,
            style: ValidationStyle { echo_values },
        })
    }

    /// The API version, e.g. `2010-05-08`.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The XML namespace of responses, e.g. `https://iam.amazonaws.com/doc/2010-05-08/`.
    pub fn xml_namespace(&self) -> &str {
        &self.xml_namespace
    }

    /// Whether the model defines the operation (names are case-sensitive, as
    /// AWS's `Action` is).
    pub fn has_operation(&self, name: &str) -> bool {
        self.operation_index.contains_key(name)
    }

    /// The names of all operations, in the model's order (alphabetical).
    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations.iter().map(|op| op.name.as_str())
    }

    pub(crate) fn operation(&self, name: &str) -> Option<&Operation> {
        self.operation_index
            .get(name)
            .and_then(|&i| self.operations.get(i))
    }

    pub(crate) fn shape(&self, id: ShapeId) -> Option<&Shape> {
        self.shapes.get(id)
    }

    pub(crate) fn pattern(&self, id: usize) -> Option<&Pattern> {
        self.patterns.get(id)
    }

    /// The patterns of the model that could not be translated and are not
    /// enforced (see the `pattern` module), as the model writes them.
    pub fn skipped_patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns
            .iter()
            .filter(|p| p.regex.is_none())
            .map(|p| p.source.as_str())
    }

    /// The HTTP status and fault the model gives an error code, falling back
    /// to AWS's common errors; an unknown code is a 400 `Sender` error.
    pub fn error_kind(&self, code: &str) -> ErrorKind {
        self.errors
            .get(code)
            .copied()
            .or_else(|| common_error_kind(code))
            .unwrap_or(UNKNOWN_ERROR_KIND)
    }

    /// Whether `code` is an error the model declares, or one of AWS's
    /// common errors: a misspelt code would otherwise become a plain 400.
    pub fn knows_error(&self, code: &str) -> bool {
        self.errors.contains_key(code) || common_error_kind(code).is_some()
    }

    /// Builds an error with the status and fault of its code.
    pub fn error(&self, code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(code, message, self.error_kind(code))
    }

    /// AWS's answer to an `Action` the API does not have:
    /// `InvalidAction`, "Could not find operation X for version 2010-05-08".
    pub fn invalid_action(&self, action: &str) -> ApiError {
        self.error(
            "InvalidAction",
            format!(
                "Could not find operation {action} for version {}",
                self.api_version
            ),
        )
    }

    /// AWS's answer to a request whose `Action` and `Version` name no
    /// operation of this API: `InvalidAction`, "Could not find operation X
    /// for version V", with the version as sent, `NO_VERSION_SPECIFIED`
    /// when there is none.
    pub fn operation_not_found(&self, action: &str, version: Option<&str>) -> ApiError {
        let version = version.unwrap_or("NO_VERSION_SPECIFIED");
        self.error(
            "InvalidAction",
            format!("Could not find operation {action} for version {version}"),
        )
    }

    /// The answer to an operation the model defines but the server does not
    /// implement: `NotImplemented`, HTTP 501, `Receiver`.
    ///
    /// The code is AWS's own for "functionality not implemented" (S3 uses it
    /// with 501); every SDK and the CLI show it verbatim
    /// ("An error occurred (NotImplemented) when calling the X operation"),
    /// and no SDK retries a 501 (their transient statuses are 500, 502, 503
    /// and 504), so a client fails at once with a message naming the
    /// operation instead of retrying or mistaking it for a bad request.
    pub fn not_implemented(&self, operation: &str) -> ApiError {
        self.error(
            "NotImplemented",
            format!(
                "The operation {operation} (API version {}) is not implemented by Tessera",
                self.api_version
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::lower_first;

    #[test]
    fn validation_names_lower_the_first_letter_only() {
        assert_eq!(lower_first("RoleSessionName"), "roleSessionName");
        assert_eq!(lower_first("ClientIDList"), "clientIDList");
        assert_eq!(lower_first(""), "");
    }
}
