//! XML text escaping for responses.

/// Appends `text` to `out` escaped for XML character data or a
/// double-quoted attribute value. Carriage returns and other control
/// characters are written as character references so that an XML parser
/// gives them back unchanged (a raw `\r` would be normalised to `\n`).
pub fn escape_text(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
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
    }
}
