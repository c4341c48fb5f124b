//! A small JSON parser that remembers where every value starts.
//!
//! Policy validation must point at the offending line and column, which
//! `serde_json::Value` forgets. This parser keeps object members in document
//! order (duplicates included, so validation can report them), keeps the raw
//! text of numbers (a condition value `10` is the string `"10"` to IAM), and
//! never panics: nesting is bounded and every error carries a position.

use std::fmt;

/// A 1-based line and column (in characters) inside the policy text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in characters, starting at 1.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A JSON value together with the position where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Json {
    /// Where the value starts.
    pub position: Position,
    /// The value itself.
    pub value: JsonValue,
}

/// The kinds of JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, kept as the text it was written as.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object: members in document order, duplicates kept.
    Object(Vec<Member>),
}

/// One `"key": value` member of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// The key, unescaped.
    pub key: String,
    /// Where the key starts.
    pub key_position: Position,
    /// The value.
    pub value: Json,
}

impl Json {
    /// The name of this value's JSON type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "a boolean",
            JsonValue::Number(_) => "a number",
            JsonValue::String(_) => "a string",
            JsonValue::Array(_) => "an array",
            JsonValue::Object(_) => "an object",
        }
    }

    /// The string content, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a text is not JSON, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Where the problem was found.
    pub position: Position,
    /// What is wrong, in words.
    pub message: String,
}

/// Deeper nesting than any policy needs; bounds recursion on hostile input.
const MAX_DEPTH: usize = 64;

/// Parses `text` as one JSON value (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let mut parser = Parser {
        text,
        offset: 0,
        line: 1,
        column: 1,
    };
    parser.skip_whitespace();
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.offset < text.len() {
        return Err(parser.error("unexpected text after the end of the JSON document"));
    }
    Ok(value)
}

struct Parser<'t> {
    text: &'t str,
    offset: usize,
    line: u32,
    column: u32,
}

impl Parser<'_> {
    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    fn error(&self, message: &str) -> JsonError {
        JsonError {
            position: self.position(),
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.text
            .get(self.offset..)
            .and_then(|rest| rest.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.offset += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.column = 1;
        } else {
            self.column = self.column.saturating_add(1);
        }
        Some(c)
    }

    fn skip_whitespace(&mut self) {
        while let Some(c) = self.peek() {
            if matches!(c, ' ' | '\t' | '\n' | '\r') {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn expect_word(
        &mut self,
        word: &str,
        value: JsonValue,
        position: Position,
    ) -> Result<Json, JsonError> {
        if self
            .text
            .get(self.offset..)
            .is_some_and(|rest| rest.starts_with(word))
        {
            for _ in word.chars() {
                self.bump();
            }
            Ok(Json { position, value })
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("JSON nesting is too deep"));
        }
        let position = self.position();
        match self.peek() {
            None => Err(self.error("unexpected end of the document, expected a JSON value")),
            Some('{') => self.object(depth),
            Some('[') => self.array(depth),
            Some('"') => {
                let s = self.string()?;
                Ok(Json {
                    position,
                    value: JsonValue::String(s),
                })
            }
            Some('t') => self.expect_word("true", JsonValue::Bool(true), position),
            Some('f') => self.expect_word("false", JsonValue::Bool(false), position),
            Some('n') => self.expect_word("null", JsonValue::Null, position),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        let position = self.position();
        self.bump();
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some('}') {
            self.bump();
            return Ok(Json {
                position,
                value: JsonValue::Object(members),
            });
        }
        loop {
            self.skip_whitespace();
            let key_position = self.position();
            if self.peek() != Some('"') {
                return Err(self.error("expected a string key in double quotes"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(':') {
                return Err(self.error("expected `:` after an object key"));
            }
            self.bump();
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_position,
                value,
            });
            self.skip_whitespace();
            match self.peek() {
                Some(',') => self.bump(),
                Some('}') => {
                    self.bump();
                    break;
                }
                _ => return Err(self.error("expected `,` or `}` in an object")),
            };
        }
        Ok(Json {
            position,
            value: JsonValue::Object(members),
        })
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        let position = self.position();
        self.bump();
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(']') {
            self.bump();
            return Ok(Json {
                position,
                value: JsonValue::Array(items),
            });
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.peek() {
                Some(',') => self.bump(),
                Some(']') => {
                    self.bump();
                    break;
                }
                _ => return Err(self.error("expected `,` or `]` in an array")),
            };
        }
        Ok(Json {
            position,
            value: JsonValue::Array(items),
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit = self.bump().and_then(|c| c.to_digit(16));
            match digit {
                Some(d) => code = code * 16 + d,
                None => return Err(self.error("invalid `\\u` escape in a string")),
            }
        }
        Ok(code)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.bump();
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(self.error("unterminated string"));
            };
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let escaped = match self.bump() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('/') => '/',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('u') => {
                            let first = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&first) {
                                if self.bump() != Some('\\') || self.bump() != Some('u') {
                                    return Err(self.error("unpaired surrogate in a `\\u` escape"));
                                }
                                let second = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&second) {
                                    return Err(self.error("unpaired surrogate in a `\\u` escape"));
                                }
                                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                            } else {
                                first
                            };
                            match char::from_u32(code) {
                                Some(ch) => ch,
                                None => return Err(self.error("invalid `\\u` escape in a string")),
                            }
                        }
                        _ => return Err(self.error("invalid escape in a string")),
                    };
                    out.push(escaped);
                }
                c if (c as u32) < 0x20 => {
                    return Err(self.error("control character inside a string; escape it"));
                }
                c => out.push(c),
            }
        }
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let position = self.position();
        let start = self.offset;
        if self.peek() == Some('-') {
            self.bump();
        }
        let digits_start = self.offset;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        let int_part = self.text.get(digits_start..self.offset).unwrap_or("");
        if int_part.is_empty() || (int_part.len() > 1 && int_part.starts_with('0')) {
            return Err(self.error("invalid number"));
        }
        if self.peek() == Some('.') {
            self.bump();
            let frac_start = self.offset;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
            if self.offset == frac_start {
                return Err(self.error("invalid number: digits expected after `.`"));
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            let exp_start = self.offset;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
            if self.offset == exp_start {
                return Err(self.error("invalid number: digits expected in the exponent"));
            }
        }
        let raw = self.text.get(start..self.offset).unwrap_or("").to_string();
        Ok(Json {
            position,
            value: JsonValue::Number(raw),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_point_at_value_starts() {
        let doc = parse("{\n  \"a\": [1, \"x\"]\n}").unwrap();
        let JsonValue::Object(members) = doc.value else {
            panic!("object expected")
        };
        assert_eq!(members[0].key_position, Position { line: 2, column: 3 });
        let JsonValue::Array(items) = &members[0].value.value else {
            panic!("array expected")
        };
        assert_eq!(
            items[1].position,
            Position {
                line: 2,
                column: 12
            }
        );
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let doc = parse(r#"{"a":1,"a":2}"#).unwrap();
        let JsonValue::Object(members) = doc.value else {
            panic!("object expected")
        };
        assert_eq!(members.len(), 2);
    }

    #[test]
    fn errors_carry_positions() {
        let err = parse("{\n \"a\" 1}").unwrap_err();
        assert_eq!(err.position, Position { line: 2, column: 6 });
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(10_000);
        assert!(parse(&text).is_err());
    }

    #[test]
    fn escapes_and_surrogates_decode() {
        let doc = parse(r#""a\u00e9\ud83d\ude00\n""#).unwrap();
        assert_eq!(doc.as_str(), Some("aé😀\n"));
    }
}
