//! Encoding an output given as a [`serde::Serialize`] value whose
//! structures name their members in the output shape's order: each member
//! is written to the XML as it comes, matched against the shape's next
//! members, with no JSON value built, no map hashed and no member looked
//! up by name.
//!
//! The XML is the same as [`ServiceModel::encode_output`] writes for the
//! JSON value with the same members (`serde_json::to_value` of it): the
//! element names, the list and map forms and the timestamps follow the
//! model alike; `None` and unit are left out as `null` is. What differs is
//! only what the caller must keep: a structure's members in the model's
//! order (a member the shape puts earlier than the one before it is a
//! [`EncodeError::MemberOutOfOrder`]), and structures serialized as structs
//! (`serialize_struct`, e.g. `#[derive(Serialize)]`), maps as maps.

use std::borrow::Cow;

use serde::ser::{self, Impossible, Serialize};
use serde_json::Value;

use crate::encode::{
    is_canonical_timestamp, list_form, mismatch, timestamp_text, Encoder, MapForm, Path,
};
use crate::errors::EncodeError;
use crate::model::{Member, ServiceModel, ShapeId, ShapeKind, ShapeRef};
use crate::xml::escape_text;

impl ServiceModel {
    /// Encodes `operation`'s `output` as the Query protocol's XML response,
    /// as [`ServiceModel::encode_output`] does for a JSON value, from a
    /// value that serializes its structures' members in the output shape's
    /// order (see the module's documentation).
    pub fn encode_serialized<T: Serialize + ?Sized>(
        &self,
        operation: &str,
        output: &T,
        request_id: &str,
    ) -> Result<String, EncodeError> {
        self.encode_response(operation, request_id, |encoder, root| {
            output.serialize(Element {
                encoder,
                shape: root.shape,
                flattened: root.flattened,
                name: None,
                path: Path::Root,
            })
        })
    }
}

/// One value to write as the element `name` of shape `target` (`None`:
/// the output structure itself, whose members go straight into the result
/// wrapper).
struct Element<'e, 'm, 'p> {
    encoder: &'e mut Encoder<'m>,
    /// The shape, and whether its reference is `flattened`.
    shape: ShapeId,
    flattened: bool,
    name: Option<&'m str>,
    path: Path<'p>,
}

impl<'e, 'm, 'p> Element<'e, 'm, 'p> {
    fn kind(&self) -> Result<&'m ShapeKind, EncodeError> {
        let model: &'m ServiceModel = self.encoder.model;
        model
            .shape(self.shape)
            .map(|shape| &shape.kind)
            .ok_or_else(|| mismatch(&self.path, "a value of a known shape"))
    }

    /// The mismatch error for a value the shape does not take, naming
    /// what the shape wants.
    fn wrong_kind(&self) -> EncodeError {
        let expected = match self.kind() {
            Ok(ShapeKind::String | ShapeKind::Blob) => "a string",
            Ok(ShapeKind::Integer | ShapeKind::Long) => "an integer",
            Ok(ShapeKind::Float) => "a number",
            Ok(ShapeKind::Boolean) => "a boolean",
            Ok(ShapeKind::Timestamp) => "a timestamp",
            Ok(ShapeKind::Structure { .. }) => "a structure",
            Ok(ShapeKind::List { .. }) => "an array",
            Ok(ShapeKind::Map { .. }) => "an object",
            Err(error) => return error,
        };
        mismatch(&self.path, expected)
    }

    /// Writes scalar text as the element.
    fn text(self, text: &str) -> Result<(), EncodeError> {
        let Some(name) = self.name else {
            return Err(mismatch(&self.path, "a structure"));
        };
        self.encoder.open(name);
        escape_text(&mut self.encoder.out, text);
        self.encoder.close(name);
        Ok(())
    }

    /// A number or a timestamp given as epoch seconds, written as the
    /// JSON encoder writes `value`.
    fn number(self, value: Value) -> Result<(), EncodeError> {
        let text: Cow<'_, str> = match (self.kind()?, &value) {
            (ShapeKind::Integer | ShapeKind::Long, Value::Number(n))
                if n.is_i64() || n.is_u64() =>
            {
                Cow::Owned(n.to_string())
            }
            (ShapeKind::Float, Value::Number(n)) => Cow::Owned(n.to_string()),
            (ShapeKind::Timestamp, _) => {
                Cow::Owned(timestamp_text(&value, &self.path)?.into_owned())
            }
            _ => return Err(self.wrong_kind()),
        };
        self.text(&text)
    }
}

impl<'e, 'm, 'p> ser::Serializer for Element<'e, 'm, 'p> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = List<'e, 'm, 'p>;
    type SerializeTuple = Impossible<(), EncodeError>;
    type SerializeTupleStruct = Impossible<(), EncodeError>;
    type SerializeTupleVariant = Impossible<(), EncodeError>;
    type SerializeMap = Map<'e, 'm, 'p>;
    type SerializeStruct = Structure<'e, 'm, 'p>;
    type SerializeStructVariant = Impossible<(), EncodeError>;

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        match self.kind()? {
            ShapeKind::Boolean => self.text(if v { "true" } else { "false" }),
            _ => Err(self.wrong_kind()),
        }
    }

    fn serialize_i8(self, v: i8) -> Result<(), EncodeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), EncodeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), EncodeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), EncodeError> {
        self.number(Value::from(v))
    }

    fn serialize_u8(self, v: u8) -> Result<(), EncodeError> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), EncodeError> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), EncodeError> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), EncodeError> {
        self.number(Value::from(v))
    }

    fn serialize_f32(self, v: f32) -> Result<(), EncodeError> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), EncodeError> {
        // As `serde_json::to_value` does: a number JSON cannot hold is null.
        match serde_json::Number::from_f64(v) {
            Some(number) => self.number(Value::Number(number)),
            None => Ok(()),
        }
    }

    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        match self.kind()? {
            ShapeKind::String | ShapeKind::Blob => self.text(v),
            // Operations answer timestamps in the form written out, so the
            // text is usually taken as given.
            ShapeKind::Timestamp if is_canonical_timestamp(v) => self.text(v),
            ShapeKind::Timestamp => {
                let value = Value::String(v.to_owned());
                let text = timestamp_text(&value, &self.path)?.into_owned();
                self.text(&text)
            }
            _ => Err(self.wrong_kind()),
        }
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), EncodeError> {
        Err(self.wrong_kind())
    }

    fn serialize_none(self) -> Result<(), EncodeError> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), EncodeError> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), EncodeError> {
        Err(self.wrong_kind())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<List<'e, 'm, 'p>, EncodeError> {
        let model: &'m ServiceModel = self.encoder.model;
        let shape = model.shape(self.shape);
        let (Some(shape), Some(name)) = (shape, self.name) else {
            return Err(self.wrong_kind());
        };
        let ShapeKind::List { member } = &shape.kind else {
            return Err(self.wrong_kind());
        };
        let (item_name, close) = list_form(shape, self.flattened, member, name);
        if let Some(wrapper) = close {
            self.encoder.open(wrapper);
        }
        Ok(List {
            encoder: self.encoder,
            item: member,
            item_name,
            close,
            path: self.path,
            index: 0,
        })
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, EncodeError> {
        Err(self.wrong_kind())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, EncodeError> {
        Err(self.wrong_kind())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        Err(self.wrong_kind())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'e, 'm, 'p>, EncodeError> {
        let model: &'m ServiceModel = self.encoder.model;
        let shape = model.shape(self.shape);
        let (Some(shape), Some(name)) = (shape, self.name) else {
            return Err(self.wrong_kind());
        };
        let ShapeKind::Map { key, value } = &shape.kind else {
            return Err(self.wrong_kind());
        };
        let form = MapForm::of(shape, self.flattened, key, value, name);
        if let Some(wrapper) = form.wrapper {
            self.encoder.open(wrapper);
        }
        Ok(Map {
            encoder: self.encoder,
            key,
            value,
            key_name: form.key_name,
            value_name: form.value_name,
            entry_name: form.entry_name,
            close: form.wrapper,
            path: self.path,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Structure<'e, 'm, 'p>, EncodeError> {
        let Ok(ShapeKind::Structure { members }) = self.kind() else {
            return Err(self.wrong_kind());
        };
        if let Some(name) = self.name {
            self.encoder.open(name);
        }
        Ok(Structure {
            encoder: self.encoder,
            members,
            next: 0,
            close: self.name,
            path: self.path,
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        Err(self.wrong_kind())
    }
}

/// A structure's members, matched in order against the shape's.
struct Structure<'e, 'm, 'p> {
    encoder: &'e mut Encoder<'m>,
    members: &'m [Member],
    /// The first shape member a further member may be.
    next: usize,
    close: Option<&'m str>,
    path: Path<'p>,
}

impl ser::SerializeStruct for Structure<'_, '_, '_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        let later = self.members.get(self.next..).unwrap_or_default();
        let Some(offset) = later.iter().position(|m| m.name == key) else {
            let member = key.to_owned();
            let path = self.path.render();
            return Err(if self.members.iter().any(|m| m.name == key) {
                EncodeError::MemberOutOfOrder { path, member }
            } else {
                EncodeError::UnknownMember { path, member }
            });
        };
        self.next += offset + 1;
        let Some(member) = later.get(offset) else {
            return Err(mismatch(&self.path, "a structure"));
        };
        value.serialize(Element {
            encoder: &mut *self.encoder,
            shape: member.target.shape,
            flattened: member.target.flattened,
            name: Some(member.wire_name()),
            path: Path::Member(&self.path, &member.name),
        })
    }

    fn end(self) -> Result<(), EncodeError> {
        if let Some(name) = self.close {
            self.encoder.close(name);
        }
        Ok(())
    }
}

/// A list's items, each an element of the list's member shape.
struct List<'e, 'm, 'p> {
    encoder: &'e mut Encoder<'m>,
    item: &'m ShapeRef,
    item_name: &'m str,
    close: Option<&'m str>,
    path: Path<'p>,
    index: usize,
}

impl ser::SerializeSeq for List<'_, '_, '_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        let index = self.index;
        self.index += 1;
        value.serialize(Element {
            encoder: &mut *self.encoder,
            shape: self.item.shape,
            flattened: self.item.flattened,
            name: Some(self.item_name),
            path: Path::Index(&self.path, index),
        })
    }

    fn end(self) -> Result<(), EncodeError> {
        if let Some(name) = self.close {
            self.encoder.close(name);
        }
        Ok(())
    }
}

/// A map's entries: a key element, then a value element unless the value
/// is absent.
struct Map<'e, 'm, 'p> {
    encoder: &'e mut Encoder<'m>,
    key: &'m ShapeRef,
    value: &'m ShapeRef,
    key_name: &'m str,
    value_name: &'m str,
    entry_name: &'m str,
    close: Option<&'m str>,
    path: Path<'p>,
}

impl ser::SerializeMap for Map<'_, '_, '_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        self.encoder.open(self.entry_name);
        key.serialize(Element {
            encoder: &mut *self.encoder,
            shape: self.key.shape,
            flattened: self.key.flattened,
            name: Some(self.key_name),
            path: self.path,
        })
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.serialize(Element {
            encoder: &mut *self.encoder,
            shape: self.value.shape,
            flattened: self.value.flattened,
            name: Some(self.value_name),
            path: self.path,
        })?;
        self.encoder.close(self.entry_name);
        Ok(())
    }

    fn end(self) -> Result<(), EncodeError> {
        if let Some(name) = self.close {
            self.encoder.close(name);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use crate::EncodeError;

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Tag<'a> {
        key: &'a str,
        value: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Boundary<'a> {
        permissions_boundary_type: &'a str,
        permissions_boundary_arn: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct User<'a> {
        path: &'a str,
        user_name: &'a str,
        user_id: &'a str,
        arn: &'a str,
        create_date: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        password_last_used: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        permissions_boundary: Option<Boundary<'a>>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tags: Vec<Tag<'a>>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct GetUser<'a> {
        user: User<'a>,
    }

    fn user<'a>(tags: Vec<Tag<'a>>, boundary: Option<Boundary<'a>>) -> GetUser<'a> {
        GetUser {
            user: User {
                path: "/division/<a&b>/",
                user_name: "bob",
                user_id: "AIDAEXAMPLE",
                arn: "arn:aws:iam::123456789012:user/division/<a&b>/bob",
                create_date: "2024-05-01T14:34:56+02:00",
                password_last_used: Some(1714566896),
                permissions_boundary: boundary,
                tags,
            },
        }
    }

    /// The JSON encoder's answer for the value's JSON form, and the
    /// serialized encoder's.
    fn both<T: Serialize>(operation: &str, value: &T) -> (String, String) {
        let iam = crate::iam();
        let json = serde_json::to_value(value).unwrap();
        (
            iam.encode_output(operation, &json, "req-1").unwrap(),
            iam.encode_serialized(operation, value, "req-1").unwrap(),
        )
    }

    #[test]
    fn a_serialized_output_is_written_as_its_json_form_is() {
        let cases = [
            user(Vec::new(), None),
            user(
                vec![
                    Tag {
                        key: "team",
                        value: "a<b",
                    },
                    Tag { key: "", value: "" },
                ],
                Some(Boundary {
                    permissions_boundary_type: "Policy",
                    permissions_boundary_arn: "arn:aws:iam::123456789012:policy/b",
                }),
            ),
        ];
        for case in &cases {
            let (json, serialized) = both("GetUser", case);
            assert_eq!(serialized, json);
        }
        let (json, serialized) = both("GetUser", &cases[1]);
        assert!(
            serialized.contains("<Tags><member><Key>team</Key><Value>a&lt;b</Value></member>"),
            "{serialized}"
        );
        assert!(serialized.contains("<CreateDate>2024-05-01T12:34:56Z</CreateDate><PasswordLastUsed>2024-05-01T12:34:56Z</PasswordLastUsed>"), "{json}");
    }

    #[test]
    fn maps_lists_numbers_and_booleans_are_written_as_their_json_form_is() {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Summary {
            summary_map: BTreeMap<&'static str, i64>,
        }
        let summary = Summary {
            summary_map: BTreeMap::from([("Users", 3), ("Groups", 0)]),
        };
        let (json, serialized) = both("GetAccountSummary", &summary);
        assert_eq!(serialized, json);
        assert!(serialized.contains("<entry><key>Groups</key><value>0</value></entry>"));

        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Aliases {
            account_aliases: Vec<&'static str>,
            is_truncated: bool,
            marker: Option<&'static str>,
        }
        let aliases = Aliases {
            account_aliases: vec!["one", "two"],
            is_truncated: false,
            marker: None,
        };
        let (json, serialized) = both("ListAccountAliases", &aliases);
        assert_eq!(serialized, json);
    }

    #[test]
    fn an_sts_output_is_written_as_its_json_form_is() {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Identity {
            user_id: &'static str,
            account: &'static str,
            arn: &'static str,
        }
        let identity = Identity {
            user_id: "123456789012",
            account: "123456789012",
            arn: "arn:aws:iam::123456789012:root",
        };
        let sts = crate::sts();
        let json = sts
            .encode_output(
                "GetCallerIdentity",
                &serde_json::to_value(&identity).unwrap(),
                "r",
            )
            .unwrap();
        let serialized = sts
            .encode_serialized("GetCallerIdentity", &identity, "r")
            .unwrap();
        assert_eq!(serialized, json);
    }

    #[test]
    fn members_out_of_the_models_order_or_unknown_are_refused() {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Reversed {
            arn: &'static str,
            user_id: &'static str,
        }
        let iam = crate::iam();
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Outer<T> {
            user: T,
        }
        let error = iam
            .encode_serialized(
                "GetUser",
                &Outer {
                    user: Reversed {
                        arn: "a",
                        user_id: "b",
                    },
                },
                "r",
            )
            .unwrap_err();
        assert_eq!(
            error,
            EncodeError::MemberOutOfOrder {
                path: "User".into(),
                member: "UserId".into()
            }
        );

        #[derive(Serialize)]
        struct Unknown {
            #[serde(rename = "Nickname")]
            nickname: &'static str,
        }
        let error = iam
            .encode_serialized(
                "GetUser",
                &Outer {
                    user: Unknown { nickname: "b" },
                },
                "r",
            )
            .unwrap_err();
        assert!(
            matches!(error, EncodeError::UnknownMember { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn values_of_the_wrong_kind_are_refused_with_their_path() {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct User {
            path: bool,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Outer {
            user: User,
        }
        let error = crate::iam()
            .encode_serialized(
                "GetUser",
                &Outer {
                    user: User { path: true },
                },
                "r",
            )
            .unwrap_err();
        assert_eq!(
            error,
            EncodeError::TypeMismatch {
                path: "User.Path".into(),
                expected: "a string"
            }
        );
        let error = crate::iam()
            .encode_serialized("GetUser", &"text", "r")
            .unwrap_err();
        assert!(
            matches!(error, EncodeError::TypeMismatch { .. }),
            "{error:?}"
        );
    }
}
