//! Translation of the models' Java regular expressions to the `regex` crate.
//!
//! The models' `pattern` traits are Java `java.util.regex` patterns that AWS
//! applies with `Matcher.matches()` (the whole value must match). The
//! differences that matter for the patterns in the vendored models:
//!
//! - `\uXXXX` escapes take exactly four hex digits (so `\u10000` is `\u1000`
//!   followed by `0`); they become `\x{XXXX}`.
//! - `\w`, `\d` and `\s` are ASCII-only in Java; they become explicit ASCII
//!   classes (in the `regex` crate they would be Unicode-aware).
//! - Escaped punctuation that the `regex` crate does not treat as special
//!   (`\/`, `\:`, `\@`, …) becomes the plain character.
//! - The whole pattern is anchored: `\A(?:…)\z`.
//!
//! A pattern that still does not compile (the one with a look-ahead,
//! `(?!-)`, which the `regex` crate does not support by design) is skipped:
//! values of that shape are not checked against it, and [`Pattern::regex`]
//! is `None`. Skipping loses a check but never refuses a valid value.

use regex::Regex;

/// A model pattern with its compiled form, when it could be compiled.
#[derive(Debug)]
pub struct Pattern {
    /// The pattern exactly as the model writes it (AWS quotes it verbatim in
    /// validation messages).
    pub source: String,
    /// The translated, anchored regular expression; `None` when the
    /// translation does not compile (see the module docs).
    pub regex: Option<Regex>,
}

impl Pattern {
    /// Translates and compiles a model pattern.
    pub fn compile(source: &str) -> Pattern {
        let regex = Regex::new(&format!("\\A(?:{})\\z", translate(source))).ok();
        Pattern {
            source: source.to_owned(),
            regex,
        }
    }

    /// Whether `value` satisfies the pattern. A pattern that could not be
    /// compiled accepts every value.
    pub fn matches(&self, value: &str) -> bool {
        self.regex
            .as_ref()
            .is_none_or(|regex| regex.is_match(value))
    }
}

/// Characters the `regex` crate treats as meta characters, which stay escaped.
fn is_regex_meta(ch: char) -> bool {
    matches!(
        ch,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    )
}

/// Rewrites Java regex syntax as `regex` crate syntax (see the module docs).
pub fn translate(java: &str) -> String {
    let mut out = String::with_capacity(java.len() + 16);
    let mut chars = java.chars().peekable();
    let mut class_depth = 0usize;
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    out.push_str("\\\\");
                    break;
                };
                let in_class = class_depth > 0;
                match escaped {
                    'u' => {
                        let hex: String = chars.clone().take(4).collect();
                        if hex.len() == 4 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                            for _ in 0..4 {
                                chars.next();
                            }
                            out.push_str("\\x{");
                            out.push_str(&hex);
                            out.push('}');
                        } else {
                            out.push_str("\\u");
                        }
                    }
                    'w' => out.push_str(if in_class {
                        "0-9A-Za-z_"
                    } else {
                        "[0-9A-Za-z_]"
                    }),
                    'd' => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                    's' => out.push_str(if in_class {
                        " \\t\\n\\x0B\\f\\r"
                    } else {
                        "[ \\t\\n\\x0B\\f\\r]"
                    }),
                    'W' if !in_class => out.push_str("[^0-9A-Za-z_]"),
                    'D' if !in_class => out.push_str("[^0-9]"),
                    c if c.is_ascii_punctuation() && !is_regex_meta(c) => out.push(c),
                    c => {
                        out.push('\\');
                        out.push(c);
                    }
                }
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                // A `]` right after the opening bracket is a literal in Java.
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            c if class_depth > 0 && matches!(c, '&' | '~') => {
                // Literal inside a Java class unless doubled (`&&`), which the
                // models do not use; the regex crate would read `&&`/`~~` as
                // class operators, so escape them.
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{translate, Pattern};

    #[test]
    fn translates_unicode_escapes_and_ascii_classes() {
        assert_eq!(
            translate(r"[\u0009\u000A\u000D\u0020-\u00FF]+"),
            r"[\x{0009}\x{000A}\x{000D}\x{0020}-\x{00FF}]+"
        );
        assert_eq!(translate(r"[\w+=,.@-]*"), r"[0-9A-Za-z_+=,.@-]*");
        assert_eq!(translate(r"\d{12}"), r"[0-9]{12}");
        assert_eq!(translate(r"[\w+=,.@:\/-]*"), r"[0-9A-Za-z_+=,.@:/-]*");
        assert_eq!(translate(r"\u10000"), r"\x{1000}0");
    }

    #[test]
    fn matches_whole_values_like_java() {
        let session = Pattern::compile(r"[\w+=,.@-]*");
        assert!(session.matches("Session1"));
        assert!(session.matches(""));
        assert!(!session.matches("Session1:2"));
        // Java's \w is ASCII only.
        assert!(!session.matches("é"));
        let version = Pattern::compile(r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?");
        assert!(version.matches("v12"));
        assert!(!version.matches("xv12"));
        assert!(!version.matches("v12x"));
        let tag = Pattern::compile(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+");
        assert!(tag.matches("Clé 日本 1"));
        assert!(!tag.matches("a#b"));
    }

    #[test]
    fn an_unsupported_pattern_is_skipped_and_accepts_everything() {
        let lookahead = Pattern::compile(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$");
        assert!(lookahead.regex.is_none());
        assert!(lookahead.matches("anything--at all"));
    }
}
