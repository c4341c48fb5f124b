//! An operation's answer: a JSON value, or [`Members`], the output's
//! members already in the order the service model lists them.
//!
//! `Members` is for the answers on the hot path (`GetUser`,
//! `GetCallerIdentity`, …): its member names are `&'static str`, nothing is
//! hashed, and it serializes (`serde::Serialize`) member by member, so the
//! protocol's encoder writes it straight to XML without building a JSON
//! value or looking a member up by name. It turns into the same JSON value
//! (`Value::from`) for callers that read answers as JSON. The order is the
//! builder's responsibility: the encoder refuses a member the model puts
//! before the one written last.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};

/// What a handler answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A JSON value keyed by the output shape's member names.
    Value(Value),
    /// The output's members in the model's order.
    Members(Members),
}

impl Output {
    /// The answer as a JSON value.
    pub fn into_value(self) -> Value {
        match self {
            Output::Value(value) => value,
            Output::Members(members) => members.into(),
        }
    }
}

impl From<Value> for Output {
    fn from(value: Value) -> Self {
        Output::Value(value)
    }
}

impl From<Members> for Output {
    fn from(members: Members) -> Self {
        Output::Members(members)
    }
}

/// A structure's members, in the model's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Members(Vec<(&'static str, Field)>);

/// One member's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// Text (strings, and timestamps as ISO 8601 text).
    Text(String),
    /// A nested structure.
    Members(Members),
    /// A list.
    List(Vec<Field>),
    /// A boolean (`IsTruncated`, …).
    Bool(bool),
}

impl Members {
    /// Room for `members` members.
    pub fn with_capacity(members: usize) -> Self {
        Members(Vec::with_capacity(members))
    }

    /// The structure with the one member `name`.
    pub fn one(name: &'static str, value: impl Into<Field>) -> Self {
        let mut members = Members::with_capacity(1);
        members.push(name, value);
        members
    }

    /// Appends the member `name`.
    pub fn push(&mut self, name: &'static str, value: impl Into<Field>) {
        self.0.push((name, value.into()));
    }

    /// The members, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Field)> {
        self.0.iter().map(|(name, field)| (*name, field))
    }
}

impl From<String> for Field {
    fn from(text: String) -> Self {
        Field::Text(text)
    }
}

impl From<&str> for Field {
    fn from(text: &str) -> Self {
        Field::Text(text.to_owned())
    }
}

impl From<bool> for Field {
    fn from(value: bool) -> Self {
        Field::Bool(value)
    }
}

impl From<Members> for Field {
    fn from(members: Members) -> Self {
        Field::Members(members)
    }
}

impl From<Members> for Value {
    fn from(members: Members) -> Self {
        Value::Object(members.into())
    }
}

impl From<Members> for Map<String, Value> {
    fn from(members: Members) -> Self {
        let mut map = Map::with_capacity(members.0.len());
        for (name, field) in members.0 {
            map.insert(name.to_owned(), field.into());
        }
        map
    }
}

impl From<Field> for Value {
    fn from(field: Field) -> Self {
        match field {
            Field::Text(text) => Value::String(text),
            Field::Members(members) => members.into(),
            Field::List(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            Field::Bool(value) => Value::Bool(value),
        }
    }
}

impl Serialize for Members {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut structure = serializer.serialize_struct("Members", self.0.len())?;
        for (name, field) in &self.0 {
            structure.serialize_field(name, field)?;
        }
        structure.end()
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Text(text) => serializer.serialize_str(text),
            Field::Members(members) => members.serialize(serializer),
            Field::List(items) => serializer.collect_seq(items),
            Field::Bool(value) => serializer.serialize_bool(*value),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Field, Members, Output};

    #[test]
    fn members_become_the_json_object_with_the_same_members_in_order() {
        let mut user = Members::with_capacity(3);
        user.push("Path", "/");
        user.push("UserName", String::from("bob"));
        let mut tag = Members::with_capacity(2);
        tag.push("Key", "k");
        tag.push("Value", "v");
        user.push("Tags", Field::List(vec![Field::Members(tag)]));
        let value = Output::from(Members::one("User", user)).into_value();
        assert_eq!(
            value,
            json!({"User": {"Path": "/", "UserName": "bob", "Tags": [{"Key": "k", "Value": "v"}]}})
        );
        let keys: Vec<&str> = value["User"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["Path", "UserName", "Tags"]);
        assert_eq!(
            serde_json::to_value(Members::one("A", "b")).ok(),
            Some(json!({"A": "b"}))
        );
    }
}
