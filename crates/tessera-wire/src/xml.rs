//! XML text escaping for responses.

/// The bytes that stand for themselves in XML text: not a control
/// character, not markup, not DEL, and not 0xEF, the first byte of
/// U+FFFE and U+FFFF in UTF-8 (and of other characters, which the slow
/// path then copies unchanged).
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time, where an index out of bounds fails the build"
)]
static PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut byte = 0x20;
    while byte < 256 {
        plain[byte] = !matches!(byte as u8, b'&' | b'<' | b'>' | b'"' | b'\'' | 0x7f | 0xef);
        byte += 1;
    }
    plain
};

/// Appends `text` to `out` escaped for XML character data or a
/// double-quoted attribute value. Carriage returns and DEL are written as
/// character references so that an XML parser gives them back unchanged (a
/// raw `\r` would be normalised to `\n`); the characters XML 1.0 cannot
/// carry at all become U+FFFD.
pub fn escape_text(out: &mut String, text: &str) {
    // Most text (ids, names, ARNs, dates) needs no escaping: copied whole.
    // Every answer's every element passes here, so the bytes are checked
    // against a table, one load each.
    let plain = |b: u8| PLAIN.get(usize::from(b)).copied().unwrap_or(false);
    if text.bytes().all(plain) {
        out.push_str(text);
        return;
    }
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(ch),
            // XML 1.0 has no way to write these, not even as references: a
            // parser refuses the document. AWS's answer must stay readable.
            c if ((c as u32) < 0x20 && c != '\r') || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push('\u{fffd}');
            }
            c if c == '\r' || c == '\u{7f}' => {
                out.push_str("&#x");
                out.push_str(&format!("{:X}", c as u32));
                out.push(';');
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape_text;

    fn escaped(text: &str) -> String {
        let mut out = String::new();
        escape_text(&mut out, text);
        out
    }

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escaped("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escaped("x\r\ny\tz"), "x&#xD;\ny\tz");
        assert_eq!(escaped("é ü 日本"), "é ü 日本");
        assert_eq!(escaped("\u{7f}"), "&#x7F;");
    }

    #[test]
    fn every_ascii_character_and_the_non_characters_are_escaped_as_xml_needs() {
        for byte in 0u8..=0x7f {
            let c = char::from(byte);
            let expected = match c {
                '&' => "&amp;".to_string(),
                '<' => "&lt;".to_string(),
                '>' => "&gt;".to_string(),
                '"' => "&quot;".to_string(),
                '\'' => "&apos;".to_string(),
                '\r' => "&#xD;".to_string(),
                '\u{7f}' => "&#x7F;".to_string(),
                '\t' | '\n' => c.to_string(),
                c if (c as u32) < 0x20 => "\u{fffd}".to_string(),
                c => c.to_string(),
            };
            assert_eq!(
                escaped(&format!("a{c}b")),
                format!("a{expected}b"),
                "{byte:#x}"
            );
        }
        for (text, expected) in [
            ("\u{fffe}", "\u{fffd}"),
            ("\u{ffff}", "\u{fffd}"),
            ("\u{efff}", "\u{efff}"),
            ("é日本", "é日本"),
        ] {
            assert_eq!(escaped(text), expected, "{text:?}");
        }
    }

    #[test]
    fn replaces_what_xml_cannot_carry() {
        assert_eq!(
            escaped("Get\u{1}User\u{0}\u{1f}"),
            "Get\u{fffd}User\u{fffd}\u{fffd}"
        );
        assert_eq!(escaped("a\u{fffe}b\u{ffff}"), "a\u{fffd}b\u{fffd}");
        let mut document = String::from("<a>");
        escape_text(&mut document, "x\u{1}\u{8}\u{b}\u{c}\r\u{7f}y");
        document.push_str("</a>");
        assert!(roxmltree::Document::parse(&document).is_ok(), "{document}");
    }
}
