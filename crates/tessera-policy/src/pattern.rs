//! Compiled text patterns: literal text, `*` and `?` wildcards, and policy
//! variables, matched without building the substituted string.
//!
//! One type serves the `Resource` element, `StringLike`, `StringEquals` and
//! the ARN operators. A pattern is parsed once; matching walks its pieces
//! against the request text, resolving `${…}` variables from the request as
//! it goes. A variable whose key has no single value in the request (and no
//! default) is AWS's *null* value: "There is no equal or like value"
//! (reference_policies_variables, "Policy variables with no value"), so a
//! pattern holding one matches no text at all, whatever the text. Callers
//! build the rest on that one rule: a positive operator or a `Resource`
//! entry with such a pattern never matches, a negated operator or a
//! `NotResource` entry therefore never excludes. Substituted values are
//! matched literally, so a tag value of `*` can never widen a pattern.

/// A `${key}` or `${key, 'default'}` reference inside a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Variable {
    /// The context key, lowercased (condition keys are case-insensitive).
    pub(crate) key: Box<str>,
    /// The value used when the key is absent.
    pub(crate) default: Option<Box<str>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Literal text, while parsing.
    Literal(Box<str>),
    /// Literal text in a compiled pattern: short ASCII text inline.
    Text(Literal),
    Star,
    Question,
    Variable(Variable),
}

/// How `*` and `?` are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wildcards {
    /// `*` matches any run of characters, `?` any one character.
    Glob,
    /// `*` and `?` are ordinary characters (`StringEquals`).
    Literal,
}

/// Whether letters must match in case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Case {
    Sensitive,
    Insensitive,
}

/// A parsed pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    shape: Shape,
}

/// Fast paths decided at compile time. The literal of the two common
/// shapes is held directly (one allocation, one pointer to follow), not
/// inside a list of pieces: across a large population the policies are
/// rarely in cache, and each pointer followed is a likely cache miss.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    /// Only `*`: matches everything.
    AnyText,
    /// One literal (possibly empty): plain comparison.
    Exact(Literal),
    /// A literal then `*` (`s3:Get*`, `arn:aws:s3:::bucket/*`): a prefix test.
    Prefix(Literal),
    /// Everything else: the general matcher.
    General(Box<[Piece]>),
}

/// Longest literal kept inside the pattern itself.
const INLINE_LITERAL: usize = 30;

/// The literal of a fast-path pattern: a short ASCII literal (most action
/// names, many resource ARNs) sits inside the pattern, so matching it reads
/// no other memory; a longer or non-ASCII one is on the heap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Literal {
    /// ASCII bytes; `len` of `bytes` are used.
    Inline {
        len: u8,
        bytes: [u8; INLINE_LITERAL],
    },
    Heap(Box<str>),
}

impl Literal {
    fn new(text: Box<str>) -> Literal {
        let mut bytes = [0u8; INLINE_LITERAL];
        match (bytes.get_mut(..text.len()), u8::try_from(text.len())) {
            (Some(slot), Ok(len)) if text.is_ascii() => {
                slot.copy_from_slice(text.as_bytes());
                Literal::Inline { len, bytes }
            }
            _ => Literal::Heap(text),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Literal::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(&[]),
            Literal::Heap(text) => text.as_bytes(),
        }
    }

    /// Length in bytes of `text`'s prefix equal to this literal, if it has one.
    fn prefix_of(&self, text: &str, case: Case) -> Option<usize> {
        match (self, case) {
            (_, Case::Sensitive) => {
                let literal = self.as_bytes();
                text.as_bytes()
                    .starts_with(literal)
                    .then_some(literal.len())
            }
            (Literal::Heap(literal), Case::Insensitive) => prefix_len(text, literal, case),
            // ASCII bytes are their own characters.
            (Literal::Inline { .. }, Case::Insensitive) => {
                insensitive_prefix_len(text, self.as_bytes().iter().map(|&b| char::from(b)))
            }
        }
    }
}

/// Looks up the value of a variable's key in the request.
pub(crate) trait Resolve {
    /// The single value of `key` (lowercased), if the request has one.
    fn resolve(&self, key: &str) -> Option<&str>;
}

impl Pattern {
    /// Parses `text`. With `variables` false (policies without Version
    /// 2012-10-17) `${…}` is literal text.
    pub(crate) fn parse(text: &str, wildcards: Wildcards, variables: bool) -> Pattern {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if variables && rest.starts_with("${") {
                if let Some((piece, consumed)) = parse_variable(rest) {
                    match piece {
                        Piece::Literal(s) => literal.push_str(&s),
                        other => {
                            flush(&mut literal, &mut pieces);
                            pieces.push(other);
                        }
                    }
                    rest = rest.get(consumed..).unwrap_or("");
                    continue;
                }
            }
            match (c, wildcards) {
                ('*', Wildcards::Glob) => {
                    flush(&mut literal, &mut pieces);
                    // Consecutive stars mean the same as one.
                    if pieces.last() != Some(&Piece::Star) {
                        pieces.push(Piece::Star);
                    }
                }
                ('?', Wildcards::Glob) => {
                    flush(&mut literal, &mut pieces);
                    pieces.push(Piece::Question);
                }
                _ => literal.push(c),
            }
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
        flush(&mut literal, &mut pieces);
        let shape = match pieces.as_mut_slice() {
            [Piece::Star] => Shape::AnyText,
            [] => Shape::Exact(Literal::new(Box::from(""))),
            [Piece::Literal(literal)] => Shape::Exact(Literal::new(std::mem::take(literal))),
            [Piece::Literal(literal), Piece::Star] => {
                Shape::Prefix(Literal::new(std::mem::take(literal)))
            }
            _ => Shape::General(
                pieces
                    .into_iter()
                    .map(|piece| match piece {
                        Piece::Literal(text) => Piece::Text(Literal::new(text)),
                        other => other,
                    })
                    .collect(),
            ),
        };
        Pattern { shape }
    }

    /// True when the pattern is a lone `*`.
    pub(crate) fn matches_everything(&self) -> bool {
        self.shape == Shape::AnyText
    }

    /// True when the pattern has a `${…}` variable.
    pub(crate) fn has_variables(&self) -> bool {
        match &self.shape {
            Shape::General(pieces) => pieces.iter().any(|p| matches!(p, Piece::Variable(_))),
            Shape::AnyText | Shape::Exact(_) | Shape::Prefix(_) => false,
        }
    }

    /// Matches `text`. A pattern with a variable that `resolver` has no
    /// value for (and that has no default) matches nothing.
    pub(crate) fn matches<R: Resolve + ?Sized>(
        &self,
        text: &str,
        case: Case,
        resolver: &R,
    ) -> bool {
        match &self.shape {
            Shape::AnyText => true,
            Shape::Exact(literal) => match case {
                Case::Sensitive => literal.as_bytes() == text.as_bytes(),
                Case::Insensitive => literal.prefix_of(text, case) == Some(text.len()),
            },
            Shape::Prefix(literal) => literal.prefix_of(text, case).is_some(),
            Shape::General(pieces) => glob(pieces, text, case, resolver),
        }
    }
}

fn flush(literal: &mut String, pieces: &mut Vec<Piece>) {
    if !literal.is_empty() {
        pieces.push(Piece::Literal(std::mem::take(literal).into_boxed_str()));
    }
}

/// Parses a `${…}` at the start of `text`; returns the piece and the bytes
/// consumed, or `None` when it is not a well-formed variable (then it is
/// literal text).
fn parse_variable(text: &str) -> Option<(Piece, usize)> {
    let body_start = 2;
    let close = text.get(body_start..)?.find('}')? + body_start;
    let body = text.get(body_start..close)?;
    let consumed = close + 1;
    match body {
        "*" => return Some((Piece::Literal("*".into()), consumed)),
        "?" => return Some((Piece::Literal("?".into()), consumed)),
        "$" => return Some((Piece::Literal("$".into()), consumed)),
        _ => {}
    }
    let (key, default) = match body.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let inner = default.strip_prefix('\'')?.strip_suffix('\'')?;
            (key.trim(), Some(inner.to_string().into_boxed_str()))
        }
        None => (body.trim(), None),
    };
    if key.is_empty() || key.contains(['$', '{', ' ']) {
        return None;
    }
    Some((
        Piece::Variable(Variable {
            key: key.to_ascii_lowercase().into_boxed_str(),
            default,
        }),
        consumed,
    ))
}

/// Where `${` opens a variable that is not well formed, for validation.
pub(crate) fn malformed_variable(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let candidate = rest.get(at..)?;
        if parse_variable(candidate).is_none() {
            return Some(candidate);
        }
        rest = candidate.get(2..)?;
    }
    None
}

/// Length in bytes of `text`'s prefix equal to `literal`, if it has one.
fn prefix_len(text: &str, literal: &str, case: Case) -> Option<usize> {
    match case {
        Case::Sensitive => text.starts_with(literal).then_some(literal.len()),
        Case::Insensitive => insensitive_prefix_len(text, literal.chars()),
    }
}

/// [`prefix_len`] ignoring case, for the literal's characters.
fn insensitive_prefix_len(text: &str, literal: impl Iterator<Item = char>) -> Option<usize> {
    let mut consumed = 0;
    let mut text_chars = text.chars();
    for l in literal {
        let t = text_chars.next()?;
        if !chars_equal_ignoring_case(l, t) {
            return None;
        }
        consumed += t.len_utf8();
    }
    Some(consumed)
}

fn chars_equal_ignoring_case(a: char, b: char) -> bool {
    a == b
        || (a.is_ascii() && b.is_ascii() && a.eq_ignore_ascii_case(&b))
        || a.to_lowercase().eq(b.to_lowercase())
}

/// Glob matching with single backtracking point at the last `*`: every
/// earlier star is already satisfied by the shortest extension that works,
/// so retrying only from the last one is enough (linear in practice,
/// quadratic at worst, never exponential). False as soon as it reaches a
/// variable without a value: every match passes through every piece.
fn glob<R: Resolve + ?Sized>(pieces: &[Piece], text: &str, case: Case, resolver: &R) -> bool {
    let mut p = 0usize;
    let mut t = 0usize;
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        let rest = text.get(t..).unwrap_or("");
        let advanced = match pieces.get(p) {
            Some(Piece::Star) => {
                // A trailing star matches whatever is left.
                if p + 1 == pieces.len() {
                    return true;
                }
                let Some(start) = next_literal_start(pieces, p + 1, text, t, case) else {
                    return false;
                };
                backtrack = Some((p + 1, start));
                p += 1;
                t = start;
                continue;
            }
            Some(Piece::Question) => rest.chars().next().map(char::len_utf8),
            Some(Piece::Literal(s)) => prefix_len(rest, s, case),
            Some(Piece::Text(l)) => l.prefix_of(rest, case),
            Some(Piece::Variable(v)) => {
                // A match must pass through every piece, so a variable
                // without a value means no text matches.
                let Some(value) = resolver.resolve(&v.key).or(v.default.as_deref()) else {
                    return false;
                };
                prefix_len(rest, value, case)
            }
            None if rest.is_empty() => return true,
            None => None,
        };
        match advanced {
            Some(n) => {
                p += 1;
                t += n;
            }
            None => {
                let Some((star_piece, star_text)) = backtrack else {
                    return false;
                };
                let Some(c) = text.get(star_text..).and_then(|r| r.chars().next()) else {
                    return false;
                };
                let Some(next) =
                    next_literal_start(pieces, star_piece, text, star_text + c.len_utf8(), case)
                else {
                    return false;
                };
                backtrack = Some((star_piece, next));
                p = star_piece;
                t = next;
            }
        }
    }
}

/// Where the piece after a star can first match, at or after `from`: for a
/// case-sensitive literal, the next occurrence of it (a substring search
/// instead of trying every position); otherwise `from` itself. `None` when
/// the literal does not occur again, so nothing after the star can match.
fn next_literal_start(
    pieces: &[Piece],
    piece: usize,
    text: &str,
    from: usize,
    case: Case,
) -> Option<usize> {
    match (pieces.get(piece), case) {
        (Some(Piece::Literal(literal)), Case::Sensitive) => {
            find_literal(text, from, literal.as_bytes())
        }
        (Some(Piece::Text(literal)), Case::Sensitive) => {
            find_literal(text, from, literal.as_bytes())
        }
        _ => Some(from),
    }
}

/// The first position at or after `from` where `literal` occurs. Scans for
/// the literal's first byte and then compares: for the short literals of
/// policies this beats building a general substring searcher. A first byte
/// of a UTF-8 literal is never a continuation byte, so every candidate is a
/// character boundary.
fn find_literal(text: &str, from: usize, needle: &[u8]) -> Option<usize> {
    let bytes = text.as_bytes();
    let Some(&first) = needle.first() else {
        return Some(from);
    };
    let mut at = from;
    loop {
        let offset = bytes.get(at..)?.iter().position(|&b| b == first)?;
        let candidate = at + offset;
        if bytes
            .get(candidate..)
            .is_some_and(|rest| rest.starts_with(needle))
        {
            return Some(candidate);
        }
        at = candidate + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Vars(&'static [(&'static str, &'static str)]);
    impl Resolve for Vars {
        fn resolve(&self, key: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
    }

    fn glob_match(pattern: &str, text: &str) -> bool {
        Pattern::parse(pattern, Wildcards::Glob, true).matches(text, Case::Sensitive, &Vars(&[]))
    }

    #[test]
    fn star_spans_slashes_and_colons() {
        assert!(glob_match(
            "arn:aws:s3:::mydata/*",
            "arn:aws:s3:::mydata/a/b:c"
        ));
        assert!(glob_match(
            "arn:aws:iam::*",
            "arn:aws:iam::123456789012:user/bob"
        ));
        assert!(!glob_match("arn:aws:s3:::mydata/*", "arn:aws:s3:::mydata"));
    }

    /// Plain recursive glob: the specification the fast matcher must meet.
    fn naive(pattern: &[char], text: &[char]) -> bool {
        match (pattern.first(), text.first()) {
            (None, None) => true,
            (None, Some(_)) => false,
            (Some('*'), _) => {
                naive(&pattern[1..], text) || (!text.is_empty() && naive(pattern, &text[1..]))
            }
            (Some('?'), Some(_)) => naive(&pattern[1..], &text[1..]),
            (Some(p), Some(t)) => p == t && naive(&pattern[1..], &text[1..]),
            (Some(_), None) => false,
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_glob_agrees_with_naive_glob(pattern in "[ab*?é]{0,8}", text in "[abé]{0,10}") {
            let expected = naive(&pattern.chars().collect::<Vec<_>>(), &text.chars().collect::<Vec<_>>());
            proptest::prop_assert_eq!(glob_match(&pattern, &text), expected, "{} vs {}", pattern, text);
        }
    }

    #[test]
    fn literal_after_star_is_searched_not_stepped() {
        assert!(glob_match("*:list*", "s3:listbucket"));
        assert!(!glob_match("*:list*", "s3:getobject"));
        assert!(glob_match("a*aab", "aaaab"));
        assert!(glob_match("*ab*ab", "xabyab"));
        assert!(!glob_match("*ab*ab", "xabyaba"));
    }

    #[test]
    fn question_mark_matches_exactly_one_character() {
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("a?c", "aéc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(!glob_match("a?c", "abbc"));
    }

    #[test]
    fn backtracking_finds_late_matches() {
        assert!(glob_match("*log*", "arn:aws:s3:::carlossalazar-logs"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(glob_match("*", ""));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "x"));
    }

    #[test]
    fn variables_substitute_literally() {
        let vars = Vars(&[("aws:username", "bob"), ("aws:principaltag/team", "*")]);
        let p = Pattern::parse("home/${aws:username}/*", Wildcards::Glob, true);
        assert!(p.matches("home/bob/x", Case::Sensitive, &vars));
        assert!(!p.matches("home/alice/x", Case::Sensitive, &vars));
        let tag = Pattern::parse("team/${aws:PrincipalTag/team}", Wildcards::Glob, true);
        assert!(!tag.matches("team/anything", Case::Sensitive, &vars));
        assert!(tag.matches("team/*", Case::Sensitive, &vars));
    }

    #[test]
    fn a_variable_without_a_value_matches_no_text_unless_defaulted() {
        let p = Pattern::parse("x/${aws:userid}", Wildcards::Glob, true);
        for text in ["x/1", "x/", "y/1", "x/${aws:userid}", ""] {
            assert!(!p.matches(text, Case::Sensitive, &Vars(&[])), "{text}");
        }
        let prefixed = Pattern::parse("home/${aws:username}/*", Wildcards::Glob, true);
        for text in ["home/x/y", "other/x", "home/"] {
            assert!(
                !prefixed.matches(text, Case::Sensitive, &Vars(&[])),
                "{text}"
            );
        }
        let d = Pattern::parse("x/${aws:userid, 'nobody'}", Wildcards::Glob, true);
        assert!(d.matches("x/nobody", Case::Sensitive, &Vars(&[])));
    }

    #[test]
    fn special_variables_are_literal_characters() {
        let p = Pattern::parse("a${*}b${?}c${$}", Wildcards::Glob, true);
        assert!(p.matches("a*b?c$", Case::Sensitive, &Vars(&[])));
        assert!(!p.matches("aXb?c$", Case::Sensitive, &Vars(&[])));
    }

    #[test]
    fn without_variables_dollar_braces_are_text() {
        let p = Pattern::parse("home/${aws:username}", Wildcards::Glob, false);
        assert!(p.matches("home/${aws:username}", Case::Sensitive, &Vars(&[])));
    }

    #[test]
    fn literal_mode_treats_wildcards_as_text() {
        let p = Pattern::parse("a*", Wildcards::Literal, true);
        assert!(p.matches("a*", Case::Sensitive, &Vars(&[])));
        assert!(!p.matches("ab", Case::Sensitive, &Vars(&[])));
    }

    #[test]
    fn inline_and_heap_literals_match_alike() {
        let none = Vars(&[]);
        for len in [0usize, 1, 29, 30, 31, 64] {
            let literal: String = "abcdefghij".chars().cycle().take(len).collect();
            let exact = Pattern::parse(&literal, Wildcards::Glob, false);
            let prefix = Pattern::parse(&format!("{literal}*"), Wildcards::Glob, false);
            assert!(exact.matches(&literal, Case::Sensitive, &none), "{len}");
            assert!(!exact.matches(&format!("{literal}x"), Case::Sensitive, &none));
            assert!(prefix.matches(&format!("{literal}x"), Case::Sensitive, &none));
            let upper = literal.to_ascii_uppercase();
            assert!(exact.matches(&upper, Case::Insensitive, &none), "{len}");
            assert!(!exact.matches(&upper, Case::Sensitive, &none) || len == 0);
            assert!(prefix.matches(&format!("{upper}Y"), Case::Insensitive, &none));
            if len > 0 {
                let shorter = literal.get(..len - 1).unwrap_or("");
                assert!(!exact.matches(shorter, Case::Sensitive, &none));
                assert!(!prefix.matches(shorter, Case::Insensitive, &none));
            }
        }
        // An ASCII literal still matches a non-ASCII character that
        // lowercases to it (the Kelvin sign and `k`), as before.
        let k = Pattern::parse("k", Wildcards::Literal, false);
        assert!(k.matches("\u{212a}", Case::Insensitive, &none));
        assert!(!k.matches("\u{212a}", Case::Sensitive, &none));
        let e = Pattern::parse("café*", Wildcards::Glob, false);
        assert!(e.matches("CAFÉ au lait", Case::Insensitive, &none));
    }

    #[test]
    fn case_insensitive_matching() {
        let p = Pattern::parse("s3:get*", Wildcards::Glob, false);
        assert!(p.matches("S3:GetObject", Case::Insensitive, &Vars(&[])));
        let e = Pattern::parse("ÉCOLE", Wildcards::Literal, false);
        assert!(e.matches("école", Case::Insensitive, &Vars(&[])));
    }
}
