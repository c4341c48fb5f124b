//! Encoding an operation's output value as the Query protocol's XML
//! response.
//!
//! `<{Op}Response xmlns="{ns}"><{Op}Result>…</{Op}Result><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{Op}Response>`,
//! with no `Result` element when the operation has no output shape. Inside,
//! members follow the output shape's order and `locationName`s; absent and
//! `null` members are left out; lists are `<Name><member>…</member></Name>`
//! (flattened: the element repeated), maps
//! `<Name><entry><key>…</key><value>…</value></entry></Name>`; timestamps
//! are ISO 8601 in UTC (`2024-05-01T12:34:56Z`, with fractional seconds only
//! when the value has them); text is XML-escaped.

use std::borrow::Cow;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::errors::EncodeError;
use crate::model::{ServiceModel, Shape, ShapeKind, ShapeRef};
use crate::xml::escape_text;

pub(crate) struct Encoder<'m> {
    pub(crate) model: &'m ServiceModel,
    pub(crate) out: String,
}

/// Where in the output value the encoder is, written out (`Users[0].Tags`)
/// only when an error names it: encoding a value that follows its shape
/// builds no path text.
#[derive(Clone, Copy)]
pub(crate) enum Path<'p> {
    Root,
    Member(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
    Key(&'p Path<'p>, &'p str),
}

impl Path<'_> {
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Path::Root => {}
            Path::Member(parent, name) => {
                parent.write(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Path::Index(parent, index) => {
                parent.write(out);
                let _ = write!(out, "[{index}]");
            }
            Path::Key(parent, key) => {
                parent.write(out);
                let _ = write!(out, "[{key:?}]");
            }
        }
    }
}

/// How a list is written as the element `name`: each item's element name,
/// and the wrapping element (`None` when flattened: the items repeat in
/// the list's place). Both encoders follow it.
pub(crate) fn list_form<'a>(
    shape: &Shape,
    target_flattened: bool,
    member: &'a ShapeRef,
    name: &'a str,
) -> (&'a str, Option<&'a str>) {
    if shape.flattened || target_flattened || member.flattened {
        (member.location_name.as_deref().unwrap_or(name), None)
    } else {
        (
            member.location_name.as_deref().unwrap_or("member"),
            Some(name),
        )
    }
}

/// How a map is written as the element `name`.
pub(crate) struct MapForm<'a> {
    pub(crate) key_name: &'a str,
    pub(crate) value_name: &'a str,
    /// The element around each key and value.
    pub(crate) entry_name: &'a str,
    /// The element around the entries; `None` when flattened.
    pub(crate) wrapper: Option<&'a str>,
}

impl<'a> MapForm<'a> {
    pub(crate) fn of(
        shape: &Shape,
        target_flattened: bool,
        key: &'a ShapeRef,
        value: &'a ShapeRef,
        name: &'a str,
    ) -> MapForm<'a> {
        let flattened = shape.flattened || target_flattened;
        MapForm {
            key_name: key.location_name.as_deref().unwrap_or("key"),
            value_name: value.location_name.as_deref().unwrap_or("value"),
            entry_name: if flattened { name } else { "entry" },
            wrapper: (!flattened).then_some(name),
        }
    }
}

pub(crate) fn mismatch(path: &Path<'_>, expected: &'static str) -> EncodeError {
    EncodeError::TypeMismatch {
        path: path.render(),
        expected,
    }
}

/// Formats an instant as AWS writes timestamps: `YYYY-MM-DDTHH:MM:SS`,
/// then `.` and `fraction_digits` digits when there are any, then `Z`.
fn format_timestamp(instant: OffsetDateTime, fraction_digits: usize) -> String {
    let utc = instant.to_offset(UtcOffset::UTC);
    let mut text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    );
    if fraction_digits > 0 {
        let nanos = format!("{:09}", utc.nanosecond());
        text.push('.');
        text.push_str(nanos.get(..fraction_digits.min(9)).unwrap_or(&nanos));
    }
    text.push('Z');
    text
}

/// Whether `text` is already what [`format_timestamp`] would write for it:
/// `YYYY-MM-DDTHH:MM:SSZ` naming a real UTC second (no leap second, which
/// the parser folds into the one before). Operations store and answer
/// timestamps in this form, so most are written as given, without a parse
/// and a format per timestamp.
pub(crate) fn is_canonical_timestamp(text: &str) -> bool {
    let Ok(b) = <&[u8; 20]>::try_from(text.as_bytes()) else {
        return false;
    };
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', n0, n1, b':', s0, s1, b'Z'] =
        *b
    else {
        return false;
    };
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        number(&[y0, y1, y2, y3]),
        number(&[m0, m1]),
        number(&[d0, d1]),
        number(&[h0, h1]),
        number(&[n0, n1]),
        number(&[s0, s1]),
    ) else {
        return false;
    };
    // Two digits each: a month or a day below 100 fits in a byte.
    let Ok(month) = time::Month::try_from(month as u8) else {
        return false;
    };
    hour < 24
        && minute < 60
        && second < 60
        && time::Date::from_calendar_date(year as i32, month, day as u8).is_ok()
}

/// A timestamp value: RFC 3339 text (its fractional digits are kept as
/// given) or epoch seconds (fractional seconds, to the microsecond, only
/// when not whole).
pub(crate) fn timestamp_text<'v>(
    value: &'v Value,
    path: &Path<'_>,
) -> Result<Cow<'v, str>, EncodeError> {
    if let Value::String(text) = value {
        if is_canonical_timestamp(text) {
            return Ok(Cow::Borrowed(text));
        }
    }
    let invalid = || EncodeError::InvalidTimestamp {
        path: path.render(),
        value: value.to_string(),
    };
    match value {
        Value::String(text) => {
            let instant = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| invalid())?;
            let fraction_digits = text
                .split_once('.')
                .map(|(_, after)| after.bytes().take_while(u8::is_ascii_digit).count())
                .unwrap_or(0);
            Ok(Cow::Owned(format_timestamp(instant, fraction_digits)))
        }
        Value::Number(number) => {
            if let Some(seconds) = number.as_i64() {
                let instant =
                    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| invalid())?;
                return Ok(Cow::Owned(format_timestamp(instant, 0)));
            }
            let seconds = number
                .as_f64()
                .filter(|s| s.is_finite() && s.abs() < 1e15)
                .ok_or_else(invalid)?;
            let micros = (seconds * 1e6).round() as i128;
            let instant =
                OffsetDateTime::from_unix_timestamp_nanos(micros * 1000).map_err(|_| invalid())?;
            let fraction = format!("{:06}", micros.rem_euclid(1_000_000));
            let digits = fraction.trim_end_matches('0').len();
            Ok(Cow::Owned(format_timestamp(instant, digits)))
        }
        _ => Err(invalid()),
    }
}

impl Encoder<'_> {
    pub(crate) fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Writes the members of a structure (without an enclosing element).
    fn members(
        &mut self,
        shape_ref: &ShapeRef,
        value: &Value,
        path: &Path<'_>,
    ) -> Result<(), EncodeError> {
        let model = self.model;
        let Some(ShapeKind::Structure { members }) = model.shape(shape_ref.shape).map(|s| &s.kind)
        else {
            return Err(mismatch(path, "a structure"));
        };
        let object = match value {
            Value::Object(object) => object,
            Value::Null => return Ok(()),
            _ => return Err(mismatch(path, "an object")),
        };
        if let Some(unknown) = object
            .keys()
            .find(|key| !members.iter().any(|m| &m.name == *key))
        {
            return Err(EncodeError::UnknownMember {
                path: path.render(),
                member: unknown.clone(),
            });
        }
        for member in members {
            let Some(member_value) = object.get(&member.name).filter(|v| !v.is_null()) else {
                continue;
            };
            self.element(
                &member.target,
                member.wire_name(),
                member_value,
                &Path::Member(path, &member.name),
            )?;
        }
        Ok(())
    }

    /// Writes `value` as the element `name` (several elements for a
    /// flattened list or map).
    fn element(
        &mut self,
        target: &ShapeRef,
        name: &str,
        value: &Value,
        path: &Path<'_>,
    ) -> Result<(), EncodeError> {
        let model = self.model;
        let Some(shape) = model.shape(target.shape) else {
            return Err(mismatch(path, "a value of a known shape"));
        };
        match &shape.kind {
            ShapeKind::Structure { .. } => {
                self.open(name);
                self.members(target, value, path)?;
                self.close(name);
            }
            ShapeKind::List { member } => {
                let Value::Array(items) = value else {
                    return Err(mismatch(path, "an array"));
                };
                let (item_name, wrapper) = list_form(shape, target.flattened, member, name);
                if let Some(wrapper) = wrapper {
                    self.open(wrapper);
                }
                for (i, item) in items.iter().enumerate() {
                    self.element(member, item_name, item, &Path::Index(path, i))?;
                }
                if let Some(wrapper) = wrapper {
                    self.close(wrapper);
                }
            }
            ShapeKind::Map {
                key,
                value: value_ref,
            } => {
                let Value::Object(entries) = value else {
                    return Err(mismatch(path, "an object"));
                };
                let form = MapForm::of(shape, target.flattened, key, value_ref, name);
                if let Some(wrapper) = form.wrapper {
                    self.open(wrapper);
                }
                for (entry_key, entry_value) in entries {
                    let entry_path = Path::Key(path, entry_key);
                    self.open(form.entry_name);
                    self.element(
                        key,
                        form.key_name,
                        &Value::String(entry_key.clone()),
                        &entry_path,
                    )?;
                    if !entry_value.is_null() {
                        self.element(value_ref, form.value_name, entry_value, &entry_path)?;
                    }
                    self.close(form.entry_name);
                }
                if let Some(wrapper) = form.wrapper {
                    self.close(wrapper);
                }
            }
            kind => {
                let text = self.scalar_text(kind, value, path)?;
                self.open(name);
                escape_text(&mut self.out, &text);
                self.close(name);
            }
        }
        Ok(())
    }

    fn scalar_text<'v>(
        &self,
        kind: &ShapeKind,
        value: &'v Value,
        path: &Path<'_>,
    ) -> Result<Cow<'v, str>, EncodeError> {
        match kind {
            ShapeKind::String | ShapeKind::Blob => value
                .as_str()
                .map(Cow::Borrowed)
                .ok_or_else(|| mismatch(path, "a string")),
            ShapeKind::Integer | ShapeKind::Long => match value {
                Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Cow::Owned(n.to_string())),
                _ => Err(mismatch(path, "an integer")),
            },
            ShapeKind::Float => match value {
                Value::Number(n) => Ok(Cow::Owned(n.to_string())),
                _ => Err(mismatch(path, "a number")),
            },
            ShapeKind::Boolean => value
                .as_bool()
                .map(|b| Cow::Borrowed(if b { "true" } else { "false" }))
                .ok_or_else(|| mismatch(path, "a boolean")),
            ShapeKind::Timestamp => timestamp_text(value, path),
            ShapeKind::Structure { .. } | ShapeKind::List { .. } | ShapeKind::Map { .. } => {
                Err(mismatch(path, "a scalar"))
            }
        }
    }
}

impl ServiceModel {
    /// Encodes `operation`'s output `value` (an object keyed by the output
    /// shape's member names; timestamps as RFC 3339 text or epoch seconds)
    /// as the Query protocol's XML response, with `request_id` in
    /// `ResponseMetadata`. An operation without an output shape ignores
    /// `output`. A value that does not follow the shape (a wrong type, a
    /// member the shape lacks) is an [`EncodeError`].
    pub fn encode_output(
        &self,
        operation: &str,
        output: &Value,
        request_id: &str,
    ) -> Result<String, EncodeError> {
        self.encode_response(operation, request_id, |encoder, root| {
            encoder.members(root, output, &Path::Root)
        })
    }

    /// The response envelope of `operation`, with `members` writing the
    /// output shape's members (`root`) inside the result wrapper.
    pub(crate) fn encode_response(
        &self,
        operation: &str,
        request_id: &str,
        members: impl FnOnce(&mut Encoder<'_>, &ShapeRef) -> Result<(), EncodeError>,
    ) -> Result<String, EncodeError> {
        let op = self
            .operation(operation)
            .ok_or_else(|| EncodeError::UnknownOperation(operation.to_owned()))?;
        let mut encoder = Encoder {
            model: self,
            out: String::with_capacity(512),
        };
        encoder.out.push('<');
        encoder.out.push_str(&op.name);
        encoder.out.push_str("Response xmlns=\"");
        escape_text(&mut encoder.out, self.xml_namespace());
        encoder.out.push_str("\">");
        if let Some(output_shape) = op.output {
            let wrapper = match &op.result_wrapper {
                Some(wrapper) => Cow::Borrowed(wrapper.as_str()),
                None => Cow::Owned(format!("{}Result", op.name)),
            };
            encoder.open(&wrapper);
            let root = ShapeRef {
                shape: output_shape,
                location_name: None,
                flattened: false,
            };
            members(&mut encoder, &root)?;
            encoder.close(&wrapper);
        }
        encoder.out.push_str("<ResponseMetadata><RequestId>");
        escape_text(&mut encoder.out, request_id);
        encoder.out.push_str("</RequestId></ResponseMetadata></");
        encoder.out.push_str(&op.name);
        encoder.out.push_str("Response>");
        Ok(encoder.out)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn only_timestamps_the_formatter_would_write_unchanged_are_taken_as_given() {
        for given in ["2024-02-29T23:59:59Z", "1999-01-01T00:00:00Z"] {
            assert!(is_canonical_timestamp(given), "{given}");
            let parsed =
                time::OffsetDateTime::parse(given, &time::format_description::well_known::Rfc3339)
                    .expect("RFC 3339");
            assert_eq!(format_timestamp(parsed, 0), given);
        }
        for other in [
            "2023-02-29T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-12-31T23:59:60Z",
            "2024-01-01T00:00:00.5Z",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01t00:00:00Z",
            "2024-1-01T00:00:00Z ",
            "",
        ] {
            assert!(!is_canonical_timestamp(other), "{other}");
        }
    }
    use serde_json::json;

    use super::{format_timestamp, is_canonical_timestamp, timestamp_text, Path};

    #[test]
    fn timestamps_are_iso8601_utc_with_fractions_only_when_given() {
        let text = |v| {
            timestamp_text(&v, &Path::Member(&Path::Root, "t"))
                .unwrap()
                .into_owned()
        };
        assert_eq!(text(json!("2024-05-01T12:34:56Z")), "2024-05-01T12:34:56Z");
        assert_eq!(
            text(json!("2024-05-01T14:34:56+02:00")),
            "2024-05-01T12:34:56Z"
        );
        assert_eq!(
            text(json!("2024-05-01T12:34:56.120Z")),
            "2024-05-01T12:34:56.120Z"
        );
        assert_eq!(text(json!(1714566896)), "2024-05-01T12:34:56Z");
        assert_eq!(text(json!(1714566896.5)), "2024-05-01T12:34:56.5Z");
        assert_eq!(text(json!("2024-02-29T23:59:59Z")), "2024-02-29T23:59:59Z");
        assert!(timestamp_text(&json!("2023-02-29T12:00:00Z"), &Path::Root).is_err());
        assert!(timestamp_text(&json!("2024-13-01T12:00:00Z"), &Path::Root).is_err());
        assert!(timestamp_text(&json!("2024-05-01T24:00:00Z"), &Path::Root).is_err());
        assert!(timestamp_text(&json!("May 1st"), &Path::Root).is_err());
        assert!(timestamp_text(&json!(true), &Path::Root).is_err());
        assert!(timestamp_text(&json!(1e300), &Path::Root).is_err());
    }
}
