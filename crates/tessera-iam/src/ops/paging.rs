//! One pagination helper for every list: `Marker` and `MaxItems` in,
//! `IsTruncated` and `Marker` out. A marker is the sort key of the last
//! item of a page (opaque to clients), so a page boundary survives
//! insertions and deletions elsewhere in the list.

use serde_json::{json, Map, Value};

use super::Input;
use crate::IamError;

/// The default page size of IAM list operations.
pub const DEFAULT_MAX_ITEMS: u64 = 100;

/// Encodes a pagination marker from a sort key.
pub fn encode_marker(key: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// Decodes a marker made by [`encode_marker`].
pub fn decode_marker(marker: &str) -> Result<String, IamError> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD
        .decode(marker.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| IamError::validation("Invalid Marker."))
}

/// One page of `items`, which come in ascending order of `sort_key`.
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The marker of the next page, when more items follow.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// The page as IAM's list output: `member` holds the items rendered by
    /// `render`, with `IsTruncated` and `Marker`.
    pub fn output(&self, member: &str, render: impl Fn(&T) -> Value) -> Value {
        let mut out = Map::new();
        out.insert(
            member.to_string(),
            Value::Array(self.items.iter().map(render).collect()),
        );
        self.finish(out)
    }

    /// Adds `IsTruncated` and `Marker` to an output object.
    pub fn finish(&self, mut out: Map<String, Value>) -> Value {
        out.insert("IsTruncated".into(), json!(self.next.is_some()));
        if let Some(next) = &self.next {
            out.insert("Marker".into(), Value::String(encode_marker(next)));
        }
        Value::Object(out)
    }
}

/// Cuts one page out of `items` (ascending by `sort_key`), after the
/// request's `Marker`, at most `MaxItems` long.
pub fn page<T>(
    input: Input<'_>,
    items: impl IntoIterator<Item = T>,
    sort_key: impl Fn(&T) -> String,
) -> Result<Page<T>, IamError> {
    let max_items =
        usize::try_from(input.u64("MaxItems").unwrap_or(DEFAULT_MAX_ITEMS)).unwrap_or(usize::MAX);
    let after = input.str("Marker").map(decode_marker).transpose()?;
    let mut rest = items
        .into_iter()
        .filter(|item| after.as_deref().is_none_or(|m| sort_key(item).as_str() > m));
    let items: Vec<T> = rest.by_ref().take(max_items).collect();
    let next = match rest.next() {
        Some(_) => items.last().map(&sort_key),
        None => None,
    };
    Ok(Page { items, next })
}
