//! Key ranges for backends: turns a scan's prefix and start-after key into
//! byte bounds that an ordered index can seek, so that no backend matches
//! prefixes with `LIKE` (whose wildcards would need escaping) or compares
//! keys under a locale's collation.

/// The byte range of keys that a scan or count covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange<'a> {
    /// The lowest key in the range, as UTF-8 bytes.
    pub lower: &'a [u8],
    /// Whether `lower` itself is in the range (`key >= lower`) or not
    /// (`key > lower`).
    pub lower_inclusive: bool,
    /// Keys are below this bound (`key < upper`); `None` when the range is
    /// unbounded above.
    pub upper: Option<Vec<u8>>,
}

impl<'a> KeyRange<'a> {
    /// The range of keys that start with `prefix` and, when `start_after`
    /// is given, sort strictly after it. Keys compare as bytes.
    pub fn new(prefix: &'a str, start_after: Option<&'a str>) -> Self {
        let upper = prefix_successor(prefix.as_bytes());
        match start_after {
            Some(after) if after.as_bytes() >= prefix.as_bytes() => KeyRange {
                lower: after.as_bytes(),
                lower_inclusive: false,
                upper,
            },
            _ => KeyRange {
                lower: prefix.as_bytes(),
                lower_inclusive: true,
                upper,
            },
        }
    }

    /// Whether `key` lies in the range; the reference the SQL bounds must
    /// agree with.
    pub fn contains(&self, key: &[u8]) -> bool {
        let above_lower = if self.lower_inclusive {
            key >= self.lower
        } else {
            key > self.lower
        };
        let below_upper = self.upper.as_deref().is_none_or(|upper| key < upper);
        above_lower && below_upper
    }
}

/// The smallest byte string greater than every string that starts with
/// `prefix`, or `None` when there is none (an empty prefix, or one made only
/// of `0xFF` bytes, which UTF-8 never contains).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut bound = prefix.to_vec();
    while let Some(last) = bound.pop() {
        if last < u8::MAX {
            bound.push(last + 1);
            return Some(bound);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_of_a_prefix() {
        assert_eq!(prefix_successor(b""), None);
        assert_eq!(prefix_successor(b"a"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b"user/"), Some(b"user0".to_vec()));
        assert_eq!(prefix_successor(&[0x61, 0xff, 0xff]), Some(vec![0x62]));
        assert_eq!(prefix_successor(&[0xff]), None);
        // U+10FFFF is F4 8F BF BF.
        assert_eq!(
            prefix_successor("\u{10ffff}".as_bytes()),
            Some(vec![0xf4, 0x8f, 0xbf, 0xc0])
        );
    }

    #[test]
    fn range_agrees_with_starts_with_and_start_after() {
        let keys = [
            "",
            "a",
            "a/",
            "a/b",
            "a/b/c",
            "a0",
            "ab",
            "b",
            "\u{10ffff}",
            "\u{10ffff}z",
            "é",
            "é/x",
        ];
        let prefixes = ["", "a", "a/", "a/b", "b", "\u{10ffff}", "é", "zz"];
        let afters = [
            None,
            Some(""),
            Some("a"),
            Some("a/"),
            Some("a/a"),
            Some("a/b"),
            Some("z"),
        ];
        for prefix in prefixes {
            for after in afters {
                let range = KeyRange::new(prefix, after);
                for key in keys {
                    let expected = key.starts_with(prefix) && after.is_none_or(|after| key > after);
                    assert_eq!(
                        range.contains(key.as_bytes()),
                        expected,
                        "prefix {prefix:?}, after {after:?}, key {key:?}"
                    );
                }
            }
        }
    }
}
