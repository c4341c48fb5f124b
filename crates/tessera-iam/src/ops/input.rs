//! Reading a decoded request: the service model has already checked
//! presence, types, lengths, patterns and enums, so these accessors only
//! name what a handler needs.

use serde_json::Value;

use crate::kind::EntityKind;
use crate::records::Tag;
use crate::IamError;

/// A decoded request input.
#[derive(Debug, Clone, Copy)]
pub struct Input<'v>(pub &'v Value);

impl<'v> Input<'v> {
    /// A string member, if present.
    pub fn str(self, member: &str) -> Option<&'v str> {
        self.0.get(member).and_then(Value::as_str)
    }

    /// A required string member. The model has checked presence, so
    /// absence here is a handler/model mismatch, answered as AWS answers a
    /// missing member.
    pub fn required(self, member: &str) -> Result<&'v str, IamError> {
        self.str(member).ok_or_else(|| {
            IamError::validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_camel(member)
            ))
        })
    }

    /// An integer member.
    pub fn u64(self, member: &str) -> Option<u64> {
        self.0.get(member).and_then(Value::as_u64)
    }

    /// A boolean member.
    pub fn bool(self, member: &str) -> Option<bool> {
        self.0.get(member).and_then(Value::as_bool)
    }

    /// A list-of-strings member (empty when absent).
    pub fn strings(self, member: &str) -> Vec<&'v str> {
        self.0
            .get(member)
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The `Path` member, `/` by default.
    pub fn path(self) -> &'v str {
        self.str("Path").unwrap_or("/")
    }

    /// The `PathPrefix` member, `/` by default.
    pub fn path_prefix(self) -> &'v str {
        self.str("PathPrefix").unwrap_or("/")
    }

    /// The `Tags` member for an entity of `kind`, refusing duplicate keys
    /// with IAM's sentence for the kind.
    pub fn tags(self, kind: EntityKind) -> Result<Vec<Tag>, IamError> {
        let Some(list) = self.0.get("Tags").and_then(Value::as_array) else {
            return Ok(Vec::new());
        };
        let mut tags: Vec<Tag> = Vec::with_capacity(list.len());
        for item in list {
            let item = Input(item);
            let key = item.str("Key").unwrap_or_default().to_string();
            let value = item.str("Value").unwrap_or_default().to_string();
            let duplicate = tags.iter().any(|t| {
                if kind.tag_keys_case_sensitive() {
                    t.key == key
                } else {
                    t.key.eq_ignore_ascii_case(&key)
                }
            });
            if duplicate {
                return Err(IamError::invalid_input(kind.duplicate_tags_message()));
            }
            tags.push(Tag { key, value });
        }
        Ok(tags)
    }
}

fn lower_camel(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
