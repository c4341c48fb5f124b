//! Query strings and form bodies: decoding `application/x-www-form-urlencoded`
//! text into pairs, and arranging the pairs' dotted keys into a tree.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::errors::{common_error, ApiError};

/// Keys with more dot-separated segments than this are ignored: no shape in
/// the models nests that deep, and a bounded depth keeps the tree small and
/// its recursive drop shallow whatever a client sends.
pub(crate) const MAX_KEY_SEGMENTS: usize = 32;

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn malformed(detail: &str) -> ApiError {
    common_error(
        "MalformedQueryString",
        format!("The query string contains a syntax error: {detail}"),
    )
}

/// Decodes one form-encoded component: `+` is a space, `%XX` a byte; the
/// bytes must be UTF-8. A component with neither is borrowed as it is.
fn decode_component(raw: &[u8]) -> Result<Cow<'_, str>, ApiError> {
    if !raw.iter().any(|&b| b == b'+' || b == b'%') {
        return std::str::from_utf8(raw)
            .map(Cow::Borrowed)
            .map_err(|_| malformed("percent-encoded bytes are not UTF-8"));
    }
    let mut bytes = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let decoded = match rest {
                    [high, low, ..] => hex_value(*high)
                        .zip(hex_value(*low))
                        .map(|(h, l)| h * 16 + l),
                    _ => None,
                };
                let Some(decoded) = decoded else {
                    return Err(malformed("invalid percent-encoding"));
                };
                bytes.push(decoded);
                rest = rest.get(2..).unwrap_or_default();
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes)
        .map(Cow::Owned)
        .map_err(|_| malformed("percent-encoded bytes are not UTF-8"))
}

/// A name segment as the tree keys it: a number loses its leading zeros,
/// so `member.01` and `member.1` name the same element (the last value
/// given wins, as for any repeated name). No member of any shape has a
/// name made of digits, so only indexes are touched.
fn canonical_index(segment: &str) -> &str {
    if segment.len() > 1 && segment.bytes().all(|b| b.is_ascii_digit()) {
        let trimmed = segment.trim_start_matches('0');
        if trimmed.is_empty() {
            "0"
        } else {
            trimmed
        }
    } else {
        segment
    }
}

fn invalid_index(name: &str) -> ApiError {
    common_error("MalformedInput", format!("{name} is not a valid index"))
}

/// A decoded parameter: its name and its value, each borrowed from the
/// raw text when it needed no decoding.
pub type QueryPair<'r> = (Cow<'r, str>, Cow<'r, str>);

/// Parses an `application/x-www-form-urlencoded` body or a raw query string
/// into decoded `(name, value)` pairs, in order. `+` is a space; a name
/// without `=` has the empty value; empty segments (`a=1&&b=2`) are skipped.
/// A malformed percent-escape or text that is not UTF-8 is a
/// `MalformedQueryString` error. Names and values that need no decoding
/// are borrowed from `raw`.
pub fn parse_query_pairs(raw: &[u8]) -> Result<Vec<QueryPair<'_>>, ApiError> {
    let mut pairs = Vec::new();
    for segment in raw.split(|&b| b == b'&') {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = match segment.iter().position(|&b| b == b'=') {
            Some(at) => (
                segment.get(..at).unwrap_or_default(),
                segment.get(at + 1..).unwrap_or_default(),
            ),
            None => (segment, &[][..]),
        };
        pairs.push((decode_component(name)?, decode_component(value)?));
    }
    Ok(pairs)
}

/// The query parameters arranged by the dot-separated segments of their
/// names: `Tags.member.1.Key=a` is the value `a` at
/// `Tags` → `member` → `1` → `Key`.
#[derive(Debug, Default)]
pub(crate) struct ParamTree<'a> {
    /// The value given for exactly this name, if any (the last one wins
    /// when a name is repeated).
    pub value: Option<&'a str>,
    pub children: BTreeMap<&'a str, ParamTree<'a>>,
}

impl<'a> ParamTree<'a> {
    /// Builds the tree of the given pairs, leaving out those named exactly
    /// as one of `skipped` (the decoder skips `Action` and `Version` for
    /// an input with no member of those names).
    pub fn build<K: AsRef<str>, V: AsRef<str>>(
        params: &'a [(K, V)],
        skipped: &[&str],
    ) -> ParamTree<'a> {
        let mut root = ParamTree::default();
        for (name, value) in params {
            let (name, value) = (name.as_ref(), value.as_ref());
            if skipped.contains(&name) {
                continue;
            }
            if name.split('.').nth(MAX_KEY_SEGMENTS).is_some() {
                continue;
            }
            let mut node = &mut root;
            for segment in name.split('.') {
                node = node.children.entry(canonical_index(segment)).or_default();
            }
            node.value = Some(value);
        }
        root
    }

    pub fn child(&self, name: &str) -> Option<&ParamTree<'a>> {
        self.children.get(name)
    }

    /// The children of a list or map node, which are all indexes, in
    /// numeric order; gaps are allowed. Anything but a positive 32-bit
    /// integer (`0`, `-1`, `4294967296`, `x`) is AWS's `MalformedInput`
    /// "… is not a valid index".
    pub fn indexed_children(&self) -> Result<Vec<(u32, &ParamTree<'a>)>, ApiError> {
        let mut indexed = Vec::with_capacity(self.children.len());
        for (name, node) in &self.children {
            let index = name
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| name.parse::<u32>().ok())
                .flatten()
                .filter(|&n| n > 0)
                .ok_or_else(|| invalid_index(name))?;
            indexed.push((index, node));
        }
        indexed.sort_by_key(|(n, _)| *n);
        Ok(indexed)
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_query_pairs, ParamTree};

    fn pairs(raw: &str) -> Vec<(String, String)> {
        parse_query_pairs(raw.as_bytes())
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn components_that_need_no_decoding_are_borrowed() {
        let parsed = parse_query_pairs(b"Action=GetUser&UserName=a+b").unwrap();
        assert!(matches!(
            parsed[0],
            (
                std::borrow::Cow::Borrowed("Action"),
                std::borrow::Cow::Borrowed("GetUser")
            )
        ));
        assert!(matches!(&parsed[1].1, std::borrow::Cow::Owned(v) if v == "a b"));
        assert_eq!(
            parse_query_pairs(b"a=\xff").unwrap_err().code,
            "MalformedQueryString"
        );
    }

    #[test]
    fn decodes_plus_percent_and_bare_names() {
        assert_eq!(
            pairs("Action=GetUser&UserName=a+b%2Bc%3D&Flag&&Empty="),
            vec![
                ("Action".into(), "GetUser".into()),
                ("UserName".into(), "a b+c=".into()),
                ("Flag".into(), "".into()),
                ("Empty".into(), "".into()),
            ]
        );
        assert_eq!(
            pairs("Name=%E6%97%A5%e6%9c%ac"),
            vec![("Name".into(), "日本".into())]
        );
        assert_eq!(pairs("a=b=c"), vec![("a".into(), "b=c".into())]);
        assert!(pairs("").is_empty());
    }

    #[test]
    fn refuses_malformed_escapes_and_non_utf8() {
        for raw in ["a=%", "a=%4", "a=%zz", "%g1=b", "a=%FF"] {
            let error = parse_query_pairs(raw.as_bytes()).unwrap_err();
            assert_eq!(error.code, "MalformedQueryString", "{raw}");
            assert_eq!(error.status, 404);
        }
    }

    #[test]
    fn builds_a_tree_of_dotted_names() {
        let params = pairs("Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.10.Key=c");
        let tree = ParamTree::build(&params, &[]);
        let members = tree.child("Tags").unwrap().child("member").unwrap();
        let keys: Vec<_> = members
            .indexed_children()
            .unwrap()
            .iter()
            .map(|(n, node)| (*n, node.child("Key").unwrap().value.unwrap()))
            .collect();
        assert_eq!(keys, vec![(1, "a"), (2, "b"), (10, "c")]);
    }

    #[test]
    fn an_index_that_is_not_a_positive_32_bit_integer_is_malformed_input() {
        for index in ["0", "00", "-1", "4294967296", "x", ""] {
            let params = pairs(&format!("L.member.{index}=a"));
            let tree = ParamTree::build(&params, &[]);
            let error = tree
                .child("L")
                .and_then(|l| l.child("member"))
                .map(ParamTree::indexed_children)
                .and_then(Result::err)
                .unwrap_or_else(|| panic!("index `{index}` was accepted"));
            assert_eq!(error.code, "MalformedInput");
            let shown = if index == "00" { "0" } else { index };
            assert_eq!(error.message, format!("{shown} is not a valid index"));
            assert_eq!(error.status, 400);
        }
    }

    #[test]
    fn an_index_with_leading_zeros_names_the_same_element() {
        let params = pairs("L.member.1=a&L.member.01=b&L.member.002=c");
        let tree = ParamTree::build(&params, &[]);
        let members = tree.child("L").unwrap().child("member").unwrap();
        let values: Vec<_> = members
            .indexed_children()
            .unwrap()
            .iter()
            .map(|(n, node)| (*n, node.value.unwrap()))
            .collect();
        assert_eq!(values, vec![(1, "b"), (2, "c")]);
    }

    #[test]
    fn ignores_absurdly_deep_names() {
        let deep = vec![("a.".repeat(10_000), "x".to_owned())];
        let tree = ParamTree::build(&deep, &[]);
        assert!(tree.children.is_empty());
    }
}
