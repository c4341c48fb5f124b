//! The little DER (X.690) that public keys need: reading and writing one
//! tag-length-value element at a time. Reading never panics on hostile
//! input: every length is checked against what is left.

/// `SEQUENCE`.
pub const SEQUENCE: u8 = 0x30;
/// `INTEGER`.
pub const INTEGER: u8 = 0x02;
/// `BIT STRING`.
pub const BIT_STRING: u8 = 0x03;
/// `OCTET STRING`.
pub const OCTET_STRING: u8 = 0x04;
/// `NULL`.
pub const NULL: u8 = 0x05;
/// `OBJECT IDENTIFIER`.
pub const OID: u8 = 0x06;

/// A cursor over DER bytes.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element, whatever its tag: `(tag, contents)`.
    pub fn any(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return None;
            }
            let (digits, after) = (rest.get(..count)?, rest.get(count..)?);
            rest = after;
            digits
                .iter()
                .fold(0usize, |acc, &d| (acc << 8) | usize::from(d))
        };
        let contents = rest.get(..len)?;
        self.rest = rest.get(len..)?;
        Some((tag, contents))
    }

    /// The next element, which must have tag `tag`: its contents.
    pub fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.any()? {
            (t, contents) if t == tag => Some(contents),
            _ => None,
        }
    }
}

/// One element: `tag`, its length, `contents`.
pub fn element(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(contents.len() + 6);
    out.push(tag);
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let digits: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | digits.len() as u8);
        out.extend_from_slice(&digits);
    }
    out.extend_from_slice(contents);
    out
}

/// A non-negative `INTEGER` from big-endian magnitude bytes.
pub fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let trimmed = trim_leading_zeros(magnitude);
    let mut contents = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|&b| b & 0x80 != 0) {
        contents.push(0);
    }
    contents.extend_from_slice(trimmed);
    element(INTEGER, &contents)
}

/// Big-endian bytes without their leading zeros.
pub fn trim_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_element_written_is_read_back_with_short_and_long_lengths() {
        for len in [0usize, 5, 127, 128, 300, 70_000] {
            let contents = vec![7u8; len];
            let bytes = element(OCTET_STRING, &contents);
            let mut reader = Reader::new(&bytes);
            assert_eq!(reader.expect(OCTET_STRING), Some(&contents[..]));
            assert!(reader.is_empty());
        }
    }

    #[test]
    fn truncated_or_overlong_input_is_refused_without_panicking() {
        for bytes in [
            &[0x30u8][..],
            &[0x30, 0x05, 1],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x80],
        ] {
            assert_eq!(Reader::new(bytes).any(), None, "{bytes:?}");
        }
    }

    #[test]
    fn an_integer_with_its_top_bit_set_gets_a_sign_byte() {
        assert_eq!(unsigned_integer(&[0, 0x80]), vec![INTEGER, 2, 0, 0x80]);
        assert_eq!(unsigned_integer(&[1, 0]), vec![INTEGER, 2, 1, 0]);
    }
}
