//! Query strings and form bodies: decoding `application/x-www-form-urlencoded`
//! text into pairs, and arranging the pairs' dotted keys into a tree.

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
/// bytes must be UTF-8.
fn decode_component(raw: &[u8]) -> Result<String, ApiError> {
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
    String::from_utf8(bytes).map_err(|_| malformed("percent-encoded bytes are not UTF-8"))
}

/// Parses an `application/x-www-form-urlencoded` body or a raw query string
/// into decoded `(name, value)` pairs, in order. `+` is a space; a name
/// without `=` has the empty value; empty segments (`a=1&&b=2`) are skipped.
/// A malformed percent-escape or text that is not UTF-8 is a
/// `MalformedQueryString` error.
pub fn parse_query_pairs(raw: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
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
    /// Builds the tree of the given pairs. `Action` and `Version` are
    /// ordinary names here; no input shape has members of those names.
    pub fn build(params: &'a [(String, String)]) -> ParamTree<'a> {
        let mut root = ParamTree::default();
        for (name, value) in params {
            if name.split('.').nth(MAX_KEY_SEGMENTS).is_some() {
                continue;
            }
            let mut node = &mut root;
            for segment in name.split('.') {
                node = node.children.entry(segment).or_default();
            }
            node.value = Some(value.as_str());
        }
        root
    }

    pub fn child(&self, name: &str) -> Option<&ParamTree<'a>> {
        self.children.get(name)
    }

    /// The children named by positive integers (`1`, `2`, …), in numeric
    /// order. Other names are ignored; gaps are allowed.
    pub fn indexed_children(&self) -> Vec<(u32, &ParamTree<'a>)> {
        let mut indexed: Vec<(u32, &ParamTree<'a>)> = self
            .children
            .iter()
            .filter(|(name, _)| !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
            .filter_map(|(name, node)| {
                name.parse::<u32>()
                    .ok()
                    .filter(|&n| n > 0)
                    .map(|n| (n, node))
            })
            .collect();
        indexed.sort_by_key(|(n, _)| *n);
        indexed
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_query_pairs, ParamTree};

    fn pairs(raw: &str) -> Vec<(String, String)> {
        parse_query_pairs(raw.as_bytes()).unwrap()
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
        let params = pairs(
            "Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.10.Key=c&Tags.member.x.Key=d",
        );
        let tree = ParamTree::build(&params);
        let members = tree.child("Tags").unwrap().child("member").unwrap();
        let keys: Vec<_> = members
            .indexed_children()
            .iter()
            .map(|(n, node)| (*n, node.child("Key").unwrap().value.unwrap()))
            .collect();
        assert_eq!(keys, vec![(1, "a"), (2, "b"), (10, "c")]);
    }

    #[test]
    fn ignores_absurdly_deep_names() {
        let deep = vec![("a.".repeat(10_000), "x".to_owned())];
        let tree = ParamTree::build(&deep);
        assert!(tree.children.is_empty());
    }
}
