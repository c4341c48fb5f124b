//! Compiled text patterns: literal text, `*` and `?` wildcards, and policy
//! variables, matched without building the substituted string (but for a
//! piece between two stars that mixes text and variables, whose text is
//! put together once per match to be searched for).
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
//!
//! The text is often the client's (a `User-Agent`, a tag, a resource
//! name), so the cost of a match is bounded whatever the pattern: each
//! piece between two stars is found once, at its leftmost place, never
//! retried; a literal by a substring search linear in the text, one with
//! `?` or compared ignoring case by a bit-parallel search costing one pass
//! over the text per 64 of its characters.

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

impl Piece {
    /// The piece's literal text, if it is text.
    fn text(&self) -> Option<&[u8]> {
        match self {
            Piece::Text(l) => Some(l.as_bytes()),
            Piece::Literal(text) => Some(text.as_bytes()),
            Piece::Star | Piece::Question | Piece::Variable(_) => None,
        }
    }
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
    /// A non-empty literal between two stars (`*:List*`, `*log*`): a
    /// substring search. Cross-service actions such as `*:List*` are
    /// tested on every request, so their literal sits in the pattern too.
    Contains(Literal),
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

    /// The literal as text (an inline literal is ASCII, so always valid).
    fn as_str(&self) -> Option<&str> {
        match self {
            Literal::Inline { .. } => std::str::from_utf8(self.as_bytes()).ok(),
            Literal::Heap(text) => Some(text),
        }
    }

    fn char_count(&self) -> usize {
        match self {
            Literal::Inline { len, .. } => usize::from(*len),
            Literal::Heap(text) => text.chars().count(),
        }
    }

    /// Length in bytes of `text`'s prefix equal to this literal, if it has one.
    // Inlined: nearly every call is an inline literal compared exactly or
    // over ASCII text, a few instructions that a call's frame would
    // outweigh; the rest is out of line.
    #[inline]
    fn prefix_of(&self, text: &str, case: Case) -> Option<usize> {
        match (self, case) {
            (_, Case::Sensitive) => {
                let literal = self.as_bytes();
                text.as_bytes()
                    .get(..literal.len())
                    .is_some_and(|head| bytes_equal(head, literal))
                    .then_some(literal.len())
            }
            // ASCII bytes are their own characters. When the text's bytes
            // under the literal are ASCII too, they are characters one for
            // one, and an ASCII character's lowercase form is ASCII: byte
            // comparison decides. Otherwise a non-ASCII character (the
            // Kelvin sign, whose lowercase is `k`) may still match.
            (Literal::Inline { .. }, Case::Insensitive) => {
                let literal = self.as_bytes();
                match text.as_bytes().get(..literal.len()) {
                    Some(head) if head.is_ascii() => {
                        head.eq_ignore_ascii_case(literal).then_some(literal.len())
                    }
                    _ => self.prefix_of_unicode(text),
                }
            }
            (Literal::Heap(_), Case::Insensitive) => self.prefix_of_unicode(text),
        }
    }

    /// [`Literal::prefix_of`] ignoring case where the text or the literal
    /// is not ASCII: character by character, by lowercase forms.
    #[inline(never)]
    fn prefix_of_unicode(&self, text: &str) -> Option<usize> {
        match self {
            Literal::Heap(literal) => prefix_len(text, literal, Case::Insensitive),
            Literal::Inline { .. } => {
                insensitive_prefix_len(text, self.as_bytes().iter().map(|&b| char::from(b)))
            }
        }
    }
}

/// `a == b`, for the short texts patterns compare (action names, most
/// ARN prefixes), by a few overlapping word loads instead of a call to the
/// general comparison: up to 32 bytes, every byte lies under one of the
/// words compared.
#[inline]
pub(crate) fn bytes_equal(a: &[u8], b: &[u8]) -> bool {
    /// The `N` bytes of `a` and of `b` at `at` are equal; false, never
    /// true, when either has no such bytes.
    fn same<const N: usize>(a: &[u8], b: &[u8], at: usize) -> bool {
        let load = |bytes: &[u8]| {
            bytes
                .get(at..at + N)
                .and_then(|w| <[u8; N]>::try_from(w).ok())
        };
        match (load(a), load(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
    }
    let len = a.len();
    if len != b.len() {
        return false;
    }
    match len {
        0..=3 => a == b,
        4..=7 => same::<4>(a, b, 0) && same::<4>(a, b, len - 4),
        8..=16 => same::<8>(a, b, 0) && same::<8>(a, b, len - 8),
        17..=32 => {
            same::<8>(a, b, 0)
                && same::<8>(a, b, 8)
                && same::<8>(a, b, len - 16)
                && same::<8>(a, b, len - 8)
        }
        _ => a == b,
    }
}

/// Looks up the value of a variable's key in the request.
pub(crate) trait Resolve {
    /// The single value of `key` (lowercased), if the request has one.
    fn resolve(&self, key: &str) -> Option<&str>;
}

/// An upper bound on the work of matching a pattern against a text of `n`
/// bytes, in word operations per byte of text: `passes × n`, plus, for
/// each `${…}` variable, up to `n / 64` passes more, since a variable's
/// value lengthens its segment and a segment longer than the text left is
/// refused without a search. One unit is about a nanosecond (the
/// `hostile_pattern` benches in `BENCHMARKS.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MatchCost {
    /// Passes over the text, whatever the request: one per segment between
    /// stars, and one more per 64 of its characters.
    pub(crate) passes: u64,
    /// Variables, each of which adds passes in proportion to its value.
    pub(crate) variables: u64,
}

impl MatchCost {
    /// The sum of two costs.
    pub(crate) fn plus(self, other: MatchCost) -> MatchCost {
        MatchCost {
            passes: self.passes.saturating_add(other.passes),
            variables: self.variables.saturating_add(other.variables),
        }
    }

    /// The work against text of at most `n` bytes (any variable's value
    /// being one of them).
    pub(crate) fn against(self, n: u64) -> u64 {
        let per_byte = self
            .passes
            .saturating_add(self.variables.saturating_mul(n.div_ceil(64)));
        per_byte.saturating_mul(n)
    }
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
            [Piece::Star, Piece::Literal(literal), Piece::Star] => {
                Shape::Contains(Literal::new(std::mem::take(literal)))
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

    /// The pieces of a pattern the general matcher ([`glob`]) decides,
    /// `None` for the fast-path shapes: a caller may keep them elsewhere
    /// (a [`crate::PolicyBundle`] keeps them next to its other records) and
    /// match them with [`glob`] to the same result.
    pub(crate) fn general_pieces(&self) -> Option<&[Piece]> {
        match &self.shape {
            Shape::General(pieces) => Some(pieces),
            Shape::AnyText | Shape::Exact(_) | Shape::Prefix(_) | Shape::Contains(_) => None,
        }
    }

    /// The literal text every match starts with (case-sensitive): an
    /// exact or prefix pattern's literal, a general pattern's first piece
    /// when it is text; empty when the pattern starts with a wildcard or a
    /// variable.
    pub(crate) fn literal_start(&self) -> &[u8] {
        match &self.shape {
            Shape::Exact(l) | Shape::Prefix(l) => l.as_bytes(),
            Shape::General(pieces) => pieces.first().and_then(Piece::text).unwrap_or(&[]),
            Shape::AnyText | Shape::Contains(_) => &[],
        }
    }

    /// A literal every match holds somewhere at or after a fixed offset
    /// (matching case-sensitively), and that offset: the literal after a
    /// pattern's first star when only literal text comes before the star
    /// (`:123456789012:table/app-17-` of
    /// `arn:aws:dynamodb:*:123456789012:table/app-17-*`, at or after 17),
    /// or a substring pattern's literal (at or after 0). Where it sits
    /// depends on what the star matched, so only a search finds it; `None`
    /// for any other pattern.
    pub(crate) fn floating_literal(&self) -> Option<(usize, &[u8])> {
        match &self.shape {
            Shape::Contains(l) => Some((0, l.as_bytes())),
            Shape::General(pieces) => match pieces.as_ref() {
                [Piece::Star, second, ..] => Some((0, second.text()?)),
                [first, Piece::Star, third, ..] => Some((first.text()?.len(), third.text()?)),
                _ => None,
            },
            Shape::AnyText | Shape::Exact(_) | Shape::Prefix(_) => None,
        }
    }

    /// True when the pattern has a `${…}` variable.
    pub(crate) fn has_variables(&self) -> bool {
        match &self.shape {
            Shape::General(pieces) => pieces.iter().any(|p| matches!(p, Piece::Variable(_))),
            Shape::AnyText | Shape::Exact(_) | Shape::Prefix(_) | Shape::Contains(_) => false,
        }
    }

    /// What matching this pattern can cost, per byte of the text it is
    /// matched against (see [`MatchCost`]).
    pub(crate) fn cost(&self) -> MatchCost {
        match &self.shape {
            Shape::AnyText => MatchCost::default(),
            Shape::Exact(_) | Shape::Prefix(_) => MatchCost {
                passes: 1,
                variables: 0,
            },
            // Ignoring case, the literal is searched for bit-parallel.
            Shape::Contains(literal) => MatchCost {
                passes: 1 + (literal.char_count() as u64).div_ceil(64),
                variables: 0,
            },
            Shape::General(pieces) => {
                let mut cost = MatchCost::default();
                for segment in pieces.split(|piece| matches!(piece, Piece::Star)) {
                    let mut atoms = 0u64;
                    for piece in segment {
                        match piece {
                            Piece::Question => atoms += 1,
                            Piece::Literal(s) => atoms += s.chars().count() as u64,
                            Piece::Text(l) => atoms += l.char_count() as u64,
                            Piece::Variable(_) => cost.variables += 1,
                            Piece::Star => {}
                        }
                    }
                    cost.passes += 1 + atoms.div_ceil(64);
                }
                cost
            }
        }
    }

    /// Matches `text`. A pattern with a variable that `resolver` has no
    /// value for (and that has no default) matches nothing.
    // Inlined: the exact and prefix shapes, most patterns a decision
    // tests, are a comparison or two; searches are out of line.
    #[inline]
    pub(crate) fn matches<R: Resolve + ?Sized>(
        &self,
        text: &str,
        case: Case,
        resolver: &R,
    ) -> bool {
        match &self.shape {
            Shape::AnyText => true,
            Shape::Exact(literal) => match case {
                Case::Sensitive => bytes_equal(literal.as_bytes(), text.as_bytes()),
                Case::Insensitive => literal.prefix_of(text, case) == Some(text.len()),
            },
            Shape::Prefix(literal) => literal.prefix_of(text, case).is_some(),
            Shape::Contains(_) | Shape::General(_) => self.search(text, case, resolver),
        }
    }

    /// [`Pattern::matches`] for the shapes that search the text.
    #[inline(never)]
    fn search<R: Resolve + ?Sized>(&self, text: &str, case: Case, resolver: &R) -> bool {
        match &self.shape {
            // A literal's bytes are always UTF-8 (ASCII inline, `str` on
            // the heap): no check needed before the search.
            Shape::Contains(literal) => match case {
                Case::Sensitive => find_literal(text, literal.as_bytes()).is_some(),
                Case::Insensitive => glob(
                    &[Piece::Star, Piece::Text(literal.clone()), Piece::Star],
                    text,
                    case,
                    resolver,
                ),
            },
            Shape::General(pieces) => glob(pieces, text, case, resolver),
            Shape::AnyText | Shape::Exact(_) | Shape::Prefix(_) => {
                self.matches(text, case, resolver)
            }
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

/// Glob matching in time linear in the text for literal segments and
/// `O(text × segment / 64)` for segments with `?` or compared ignoring
/// case, whatever the pattern: the pieces between stars (segments) each
/// match a fixed number of characters, so the leftmost occurrence of each
/// middle segment is always as good as any later one. The first segment is
/// anchored at the start, the last at the end, and each middle one is found
/// once, never retried. False as soon as it meets a variable without a
/// value: every match passes through every piece.
pub(crate) fn glob<R: Resolve + ?Sized>(
    pieces: &[Piece],
    text: &str,
    case: Case,
    resolver: &R,
) -> bool {
    if case == Case::Sensitive {
        if let Some(matched) = literal_glob(pieces, text) {
            return matched;
        }
    }
    let mut segments = pieces.split(|piece| matches!(piece, Piece::Star));
    let first = segments.next().unwrap_or(&[]);
    let Some(mut at) = match_here(first, text, case, resolver) else {
        return false;
    };
    let Some(mut segment) = segments.next() else {
        // No star: the one segment is the whole text.
        return at == text.len();
    };
    for next in segments {
        let Some(end) = find_segment(segment, text, at, case, resolver) else {
            return false;
        };
        at = end;
        segment = next;
    }
    match_at_end(segment, text, at, case, resolver)
}

/// [`glob`] for a pattern of literals and stars only (most resource ARNs:
/// `arn:aws:dynamodb:*:123456789012:table/app-*`), compared exactly, in one
/// pass over the pieces: the literal before the first star must start the
/// text, one after the last star must end it, and each one between is
/// found at its leftmost place after the one before. `None` for a pattern
/// with any other piece.
fn literal_glob(pieces: &[Piece], text: &str) -> Option<bool> {
    let mut at = 0usize;
    let mut after_star = false;
    let mut pieces = pieces.iter().peekable();
    while let Some(piece) = pieces.next() {
        let literal = match piece {
            Piece::Star => {
                after_star = true;
                continue;
            }
            Piece::Text(literal) => literal.as_bytes(),
            Piece::Literal(_) | Piece::Question | Piece::Variable(_) => return None,
        };
        let rest = text.get(at..)?;
        let last = pieces.peek().is_none();
        if !after_star {
            if !rest.as_bytes().starts_with(literal) {
                return Some(false);
            }
            at += literal.len();
            if last {
                return Some(at == text.len());
            }
        } else if last {
            return Some(rest.len() >= literal.len() && rest.as_bytes().ends_with(literal));
        } else {
            match find_literal(rest, literal) {
                Some(found) => at += found + literal.len(),
                None => return Some(false),
            }
        }
    }
    // The pattern ends with a star, or is empty.
    Some(after_star || at == text.len())
}

/// Bytes of `text`'s prefix matched by `segment` (pieces without a star).
fn match_here<R: Resolve + ?Sized>(
    segment: &[Piece],
    text: &str,
    case: Case,
    resolver: &R,
) -> Option<usize> {
    let mut t = 0usize;
    for piece in segment {
        let rest = text.get(t..)?;
        t += match piece {
            Piece::Question => rest.chars().next().map(char::len_utf8)?,
            Piece::Literal(s) => prefix_len(rest, s, case)?,
            Piece::Text(l) => l.prefix_of(rest, case)?,
            Piece::Variable(v) => prefix_len(rest, value_of(v, resolver)?, case)?,
            Piece::Star => return None,
        };
    }
    Some(t)
}

/// True when `segment` matches the end of `text`, starting at or after `from`.
/// Every piece matches a fixed number of characters, so the segment can
/// only start that many characters before the end.
fn match_at_end<R: Resolve + ?Sized>(
    segment: &[Piece],
    text: &str,
    from: usize,
    case: Case,
    resolver: &R,
) -> bool {
    let mut chars = 0usize;
    for piece in segment {
        chars += match piece {
            Piece::Question => 1,
            Piece::Literal(s) => s.chars().count(),
            Piece::Text(l) => l.char_count(),
            Piece::Variable(v) => match value_of(v, resolver) {
                Some(value) => value.chars().count(),
                None => return false,
            },
            Piece::Star => return false,
        };
    }
    let Some(rest) = text.get(from..) else {
        return false;
    };
    let start = match chars.checked_sub(1) {
        None => rest.len(),
        Some(back) => match rest.char_indices().rev().nth(back) {
            Some((start, _)) => start,
            None => return false,
        },
    };
    rest.get(start..)
        .is_some_and(|tail| match_here(segment, tail, case, resolver) == Some(tail.len()))
}

/// The end (in bytes) of the leftmost match of `segment` in `text` at or
/// after `from`.
fn find_segment<R: Resolve + ?Sized>(
    segment: &[Piece],
    text: &str,
    from: usize,
    case: Case,
    resolver: &R,
) -> Option<usize> {
    let rest = text.get(from..)?;
    let literal_only = case == Case::Sensitive
        && segment
            .iter()
            .all(|p| matches!(p, Piece::Text(_) | Piece::Literal(_) | Piece::Variable(_)));
    if literal_only {
        let found = match segment {
            [Piece::Text(l)] => find_literal(rest, l.as_bytes()).map(|at| (at, l.as_bytes().len())),
            [Piece::Variable(v)] => {
                let value = value_of(v, resolver)?;
                find_literal(rest, value.as_bytes()).map(|at| (at, value.len()))
            }
            _ => {
                let mut needle = String::new();
                for piece in segment {
                    match piece {
                        Piece::Text(l) => needle.push_str(l.as_str()?),
                        Piece::Literal(s) => needle.push_str(s),
                        Piece::Variable(v) => needle.push_str(value_of(v, resolver)?),
                        Piece::Question | Piece::Star => return None,
                    }
                }
                find_literal(rest, needle.as_bytes()).map(|at| (at, needle.len()))
            }
        }?;
        return Some(from + found.0 + found.1);
    }
    let searcher = ShiftAnd::new(segment, case, resolver, rest.len())?;
    searcher.find_end(rest).map(|end| from + end)
}

/// Longest literal searched by scanning for its first byte and comparing.
const SHORT_NEEDLE: usize = 32;

/// The first position in `text` where `needle` occurs. A short needle (the
/// usual literal of a policy) is found by scanning for its first byte and
/// comparing, which beats setting up a general searcher; a longer one by
/// the standard two-way search, linear in the text. A text in which the
/// first byte keeps recurring without a match (`aaa…` against `aa…ab`)
/// would cost up to [`SHORT_NEEDLE`] comparisons per byte, so after
/// [`candidates_allowed`] failed candidates the rest of the text goes to
/// the two-way search too: at most about three comparisons per byte in
/// all. A first byte of a UTF-8 needle is never a continuation byte, so
/// every candidate is a character boundary.
fn find_literal(text: &str, needle: &[u8]) -> Option<usize> {
    if needle.len() > SHORT_NEEDLE {
        return text.find(std::str::from_utf8(needle).ok()?);
    }
    match find_bytes(text.as_bytes(), needle, 0, candidates_allowed(text.len())) {
        Ok(found) => found,
        Err(at) => text
            .get(at..)?
            .find(std::str::from_utf8(needle).ok()?)
            .map(|found| at + found),
    }
}

/// Where `needle` first starts in `bytes` at or after `from`, trying at
/// most `tries` places of its first byte (each found eight bytes at a
/// time, its last byte compared before the rest, and only where the whole
/// needle still fits): `Ok` with the answer, or `Err` with the place the
/// search stopped at when the tries ran out. Inlined, so that a caller
/// with a needle of known length gets its comparisons folded.
#[inline]
pub(crate) fn find_bytes(
    bytes: &[u8],
    needle: &[u8],
    from: usize,
    tries: usize,
) -> Result<Option<usize>, usize> {
    let (Some(&first), Some(&last_byte)) = (needle.first(), needle.last()) else {
        return Ok(Some(from));
    };
    let last = needle.len() - 1;
    // Only a start from which the whole needle still fits can match.
    let Some(starts) = bytes.len().checked_sub(last) else {
        return Ok(None);
    };
    let mut at = from;
    let mut left = tries;
    loop {
        let Some(found) = bytes.get(at..starts).and_then(|b| find_byte(b, first)) else {
            return Ok(None);
        };
        let candidate = at + found;
        // The last byte is compared first: most false candidates end there
        // without comparing the rest.
        if bytes.get(candidate + last) == Some(&last_byte)
            && bytes
                .get(candidate..candidate + needle.len())
                .is_some_and(|here| bytes_equal(here, needle))
        {
            return Ok(Some(candidate));
        }
        at = candidate + 1;
        left = left.saturating_sub(1);
        if left == 0 {
            return Err(at);
        }
    }
}

/// The first position of `byte` in `bytes`, found eight bytes at a time:
/// a word's bytes equal to `byte` become zero bytes, and the classic
/// zero-byte test marks them, exactly at the lowest one (a false mark can
/// only sit above a true one).
fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let wanted = LOW * u64::from(byte);
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or([0; 8])) ^ wanted;
        let zeros = word.wrapping_sub(LOW) & !word & HIGH;
        if zeros != 0 {
            return Some(at + (zeros.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == byte)
        .map(|i| at + i)
}

/// Failed first-byte candidates [`find_literal`] tries in a text of `len`
/// bytes before it hands the rest to the two-way search: enough for any
/// ordinary text, few enough that their comparisons stay within two per
/// byte of text.
fn candidates_allowed(len: usize) -> usize {
    16 + len / SHORT_NEEDLE * 2
}

fn value_of<'a, R: Resolve + ?Sized>(variable: &'a Variable, resolver: &'a R) -> Option<&'a str> {
    resolver
        .resolve(&variable.key)
        .or(variable.default.as_deref())
}

/// What a character is compared by: itself, or its lowercase form (up to
/// three characters) when case is ignored. Two characters are equal
/// ignoring case exactly when their lowercase forms are equal
/// ([`chars_equal_ignoring_case`]); `'\0'` pads, and no lowercase form but
/// that of `'\0'` holds one.
type Fold = [char; 3];

fn fold(c: char, case: Case) -> Fold {
    let mut folded = ['\0'; 3];
    match case {
        Case::Sensitive => folded[0] = c,
        Case::Insensitive => {
            for (slot, lower) in folded.iter_mut().zip(c.to_lowercase()) {
                *slot = lower;
            }
        }
    }
    folded
}

/// A bit-parallel (shift-and) search for one segment: bit `j` of the state
/// says the segment's first `j + 1` positions match the text just read, so
/// each text character costs one pass over `positions / 64` words whatever
/// the text, with no backtracking.
struct ShiftAnd {
    /// Positions that are `?` (match any character).
    any: Vec<u64>,
    /// Per distinct character (sorted), the positions that hold it: a bit
    /// set when it appears often, a list otherwise, so that the tables stay
    /// linear in the segment's length.
    chars: Vec<(Fold, Positions)>,
    len: usize,
    case: Case,
}

enum Positions {
    Dense(Vec<u64>),
    Sparse(Vec<usize>),
}

impl ShiftAnd {
    /// The searcher for `segment`, or `None` when it cannot match a text
    /// of `text_len` bytes: a variable without a value, or more characters
    /// than the text has bytes. The second keeps a segment lengthened by a
    /// variable's value (`*?${aws:UserAgent}*`) from costing a pass per 64
    /// of its characters over a text too short to hold it.
    fn new<R: Resolve + ?Sized>(
        segment: &[Piece],
        case: Case,
        resolver: &R,
        text_len: usize,
    ) -> Option<ShiftAnd> {
        let mut atoms: Vec<Option<Fold>> = Vec::new();
        for piece in segment {
            let text: &str = match piece {
                Piece::Question => {
                    atoms.push(None);
                    continue;
                }
                Piece::Text(l) => l.as_str()?,
                Piece::Literal(s) => s,
                Piece::Variable(v) => value_of(v, resolver)?,
                Piece::Star => return None,
            };
            atoms.extend(text.chars().map(|c| Some(fold(c, case))));
            if atoms.len() > text_len {
                return None;
            }
        }
        if atoms.len() > text_len {
            return None;
        }
        let len = atoms.len();
        let words = len.div_ceil(64);
        let mut any = vec![0u64; words];
        let mut by_char: Vec<(Fold, usize)> = Vec::new();
        for (position, atom) in atoms.iter().enumerate() {
            match atom {
                None => set_bit(&mut any, position),
                Some(folded) => by_char.push((*folded, position)),
            }
        }
        by_char.sort_unstable();
        let mut chars: Vec<(Fold, Positions)> = Vec::new();
        for group in by_char.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(folded, _)) = group.first() else {
                continue;
            };
            let positions = if group.len() > words {
                let mut bits = vec![0u64; words];
                for &(_, position) in group {
                    set_bit(&mut bits, position);
                }
                Positions::Dense(bits)
            } else {
                Positions::Sparse(group.iter().map(|&(_, position)| position).collect())
            };
            chars.push((folded, positions));
        }
        Some(ShiftAnd {
            any,
            chars,
            len,
            case,
        })
    }

    /// The end (in bytes) of the leftmost match in `text`.
    fn find_end(&self, text: &str) -> Option<usize> {
        let Some(last) = self.len.checked_sub(1) else {
            return Some(0);
        };
        let words = self.any.len();
        let mut state = vec![0u64; words];
        let mut shifted = vec![0u64; words];
        // Words of `state` from `live` on are zero: only the words that a
        // partial match has reached are updated, so a text that matches no
        // long prefix of the segment costs one word per character.
        let mut live = 0usize;
        for (at, c) in text.char_indices() {
            let limit = (live + 1).min(words);
            let (Some(state), Some(shifted)) = (state.get_mut(..limit), shifted.get_mut(..limit))
            else {
                return None;
            };
            // shifted = (state << 1) | 1: a match may start at every character.
            let mut carry = 1u64;
            for (out, &word) in shifted.iter_mut().zip(state.iter()) {
                *out = (word << 1) | carry;
                carry = word >> 63;
            }
            for ((out, &word), &any) in state.iter_mut().zip(shifted.iter()).zip(&self.any) {
                *out = word & any;
            }
            match self.lookup(c) {
                Some(Positions::Dense(bits)) => {
                    for ((out, &word), &bit) in state.iter_mut().zip(shifted.iter()).zip(bits) {
                        *out |= word & bit;
                    }
                }
                Some(Positions::Sparse(positions)) => {
                    for &position in positions.iter().take_while(|&&p| p < limit * 64) {
                        if get_bit(shifted, position) {
                            set_bit(state, position);
                        }
                    }
                }
                None => {}
            }
            if get_bit(state, last) {
                return Some(at + c.len_utf8());
            }
            live = limit;
            while live > 0 && state.get(live - 1) == Some(&0) {
                live -= 1;
            }
        }
        None
    }

    fn lookup(&self, c: char) -> Option<&Positions> {
        let folded = fold(c, self.case);
        let index = self.chars.binary_search_by(|(f, _)| f.cmp(&folded)).ok()?;
        self.chars.get(index).map(|(_, positions)| positions)
    }
}

fn set_bit(bits: &mut [u64], position: usize) {
    if let Some(word) = bits.get_mut(position / 64) {
        *word |= 1 << (position % 64);
    }
}

fn get_bit(bits: &[u64], position: usize) -> bool {
    bits.get(position / 64)
        .is_some_and(|word| word & (1 << (position % 64)) != 0)
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
    /// Ignoring case, two characters are equal when their lowercase forms
    /// are.
    fn naive(pattern: &[char], text: &[char], case: Case) -> bool {
        let equal = |p: char, t: char| match case {
            Case::Sensitive => p == t,
            Case::Insensitive => p.to_lowercase().eq(t.to_lowercase()),
        };
        match (pattern.first(), text.first()) {
            (None, None) => true,
            (None, Some(_)) => false,
            (Some('*'), _) => {
                naive(&pattern[1..], text, case)
                    || (!text.is_empty() && naive(pattern, &text[1..], case))
            }
            (Some('?'), Some(_)) => naive(&pattern[1..], &text[1..], case),
            (Some(&p), Some(&t)) => equal(p, t) && naive(&pattern[1..], &text[1..], case),
            (Some(_), None) => false,
        }
    }

    fn chars(text: &str) -> Vec<char> {
        text.chars().collect()
    }

    fn glob_match_case(pattern: &str, text: &str, case: Case) -> bool {
        Pattern::parse(pattern, Wildcards::Glob, true).matches(text, case, &Vars(&[]))
    }

    #[test]
    fn floating_literal_is_the_literal_after_the_first_star_when_only_text_precedes_it() {
        let floating = |text: &str| {
            let pattern = Pattern::parse(text, Wildcards::Glob, true);
            pattern
                .floating_literal()
                .map(|(at, literal)| (at, String::from_utf8_lossy(literal).into_owned()))
        };
        assert_eq!(
            floating("arn:aws:dynamodb:*:1:table/app-17-*"),
            Some((17, ":1:table/app-17-".to_string()))
        );
        assert_eq!(
            floating("*:table/app-17"),
            Some((0, ":table/app-17".to_string()))
        );
        assert_eq!(floating("*app-17*"), Some((0, "app-17".to_string())));
        assert_eq!(floating("a?*bcde*"), None);
        assert_eq!(floating("arn:${aws:username}*bcde"), None);
        assert_eq!(floating("arn:aws:s3:::b/*"), None);
        assert_eq!(floating("arn:aws:s3:::b"), None);
        assert_eq!(floating("**"), None);
    }

    proptest::proptest! {
        #[test]
        fn word_compare_of_short_texts_answers_as_plain_comparison(
            a in proptest::collection::vec(proptest::sample::select(&b"ab"[..]), 0..40),
            flip in proptest::prelude::any::<proptest::sample::Index>(),
            flipped in proptest::prelude::any::<bool>(),
        ) {
            let mut b = a.clone();
            if flipped && !b.is_empty() {
                let at = flip.index(b.len());
                b[at] ^= 3;
            }
            proptest::prop_assert_eq!(bytes_equal(&a, &b), a == b);
            proptest::prop_assert!(!bytes_equal(&a, &b[..b.len().saturating_sub(1)]) || a.is_empty());
        }

        #[test]
        fn word_at_a_time_byte_search_finds_the_first_occurrence(
            text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            byte in proptest::prelude::any::<u8>(),
        ) {
            proptest::prop_assert_eq!(find_byte(&text, byte), text.iter().position(|&b| b == byte));
        }

        #[test]
        fn literal_and_star_patterns_agree_with_naive_glob(
            pattern in "[ab:*]{0,14}",
            text in "[ab:]{0,30}",
        ) {
            let expected = naive(&chars(&pattern), &chars(&text), Case::Sensitive);
            proptest::prop_assert_eq!(glob_match(&pattern, &text), expected, "{} vs {}", pattern, text);
        }

        #[test]
        fn literal_search_finds_what_the_standard_search_finds(
            text in "[ab:-]{0,48}",
            needle in "[ab:-]{1,6}",
        ) {
            proptest::prop_assert_eq!(find_literal(&text, needle.as_bytes()), text.find(&needle));
        }

        #[test]
        fn fast_glob_agrees_with_naive_glob(pattern in "[ab*?é]{0,8}", text in "[abé]{0,10}") {
            let expected = naive(&chars(&pattern), &chars(&text), Case::Sensitive);
            proptest::prop_assert_eq!(glob_match(&pattern, &text), expected, "{} vs {}", pattern, text);
        }

        #[test]
        fn segment_matcher_agrees_with_naive_glob_in_both_cases(
            pattern in "[abkK\u{212a}éÉ*?]{0,16}",
            text in "[abkK\u{212a}éÉ]{0,24}",
        ) {
            for case in [Case::Sensitive, Case::Insensitive] {
                let expected = naive(&chars(&pattern), &chars(&text), case);
                proptest::prop_assert_eq!(
                    glob_match_case(&pattern, &text, case), expected,
                    "{} vs {} ({:?})", pattern, text, case
                );
            }
        }

        #[test]
        fn segments_longer_than_a_word_agree_with_naive_glob(
            segment in "[ab?]{60,140}",
            before in "[ab]{0,100}",
            after in "[ab]{0,100}",
            flip in proptest::option::of(0usize..140),
        ) {
            // The text holds the segment (its `?` read as `b`), with one
            // character changed when `flip` says so: both answers occur.
            let instance: String = segment
                .chars()
                .enumerate()
                .map(|(i, c)| match (c, Some(i) == flip) {
                    ('?', _) => 'b',
                    ('a', true) => 'b',
                    ('b', true) => 'a',
                    (c, _) => c,
                })
                .collect();
            let text = format!("{before}{instance}{after}");
            let pattern = format!("*{segment}*");
            proptest::prop_assert_eq!(
                glob_match(&pattern, &text),
                naive(&chars(&pattern), &chars(&text), Case::Sensitive)
            );
        }

        #[test]
        fn substituted_variables_match_like_the_literal_text(
            before in "[ab*?]{0,6}",
            value in "[abK]{0,3}",
            after in "[ab*?]{0,6}",
            text in "[abk]{0,14}",
        ) {
            let pattern = Pattern::parse(&format!("{before}${{aws:username}}{after}"), Wildcards::Glob, true);
            let spelled = chars(&format!("{before}{value}{after}"));
            let resolver = Owned(vec![("aws:username".to_string(), value.clone())]);
            for case in [Case::Sensitive, Case::Insensitive] {
                proptest::prop_assert_eq!(
                    pattern.matches(&text, case, &resolver),
                    naive(&spelled, &chars(&text), case),
                    "{}{}{} vs {}", before, value, after, text
                );
            }
        }
    }

    struct Owned(Vec<(String, String)>);
    impl Resolve for Owned {
        fn resolve(&self, key: &str) -> Option<&str> {
            self.0
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        }
    }

    /// The shapes that cost a backtracking matcher time proportional to
    /// text × pattern: each answer here is known by construction, and each
    /// completes after one pass over the text per segment.
    #[test]
    fn worst_case_patterns_against_long_texts_give_the_right_answer() {
        let n = 200 * 1024;
        let all_a = "a".repeat(n);
        let a_question = "a?".repeat(900);
        let cases: Vec<(String, String, Case, bool)> = vec![
            // `*` then `a?` × 900: anchored at the end.
            (
                format!("*{a_question}"),
                all_a.clone(),
                Case::Sensitive,
                true,
            ),
            (
                format!("*{a_question}"),
                format!("{all_a}ba"),
                Case::Sensitive,
                false,
            ),
            (
                format!("*{a_question}"),
                format!("{all_a}ab"),
                Case::Sensitive,
                true,
            ),
            // The same segment in the middle: one shift-and pass.
            (
                format!("*{a_question}*"),
                "aab".repeat(n / 3),
                Case::Sensitive,
                false,
            ),
            (
                format!("*{a_question}*"),
                format!("{}{}x", "aab".repeat(n / 3), "a".repeat(1800)),
                Case::Sensitive,
                true,
            ),
            (
                format!("x*{a_question}*y"),
                format!("x{}y", "aab".repeat(n / 3)),
                Case::Sensitive,
                false,
            ),
            // Many stars: `*a*a*…*b`.
            (
                format!("{}*b", "*a".repeat(900)),
                all_a.clone(),
                Case::Sensitive,
                false,
            ),
            (
                format!("{}*b", "*a".repeat(900)),
                format!("{all_a}b"),
                Case::Sensitive,
                true,
            ),
            (
                format!("{}*b", "*a".repeat(900)),
                "a".repeat(899) + "b",
                Case::Sensitive,
                false,
            ),
            // A literal too long for the first-byte scan.
            (
                format!("*{}c*", "ab".repeat(20)),
                "ab".repeat(n / 2),
                Case::Sensitive,
                false,
            ),
            (
                format!("*{}c*", "ab".repeat(20)),
                format!("{}c", "ab".repeat(n / 2)),
                Case::Sensitive,
                true,
            ),
            // Long runs of `?`.
            ("?".repeat(2000), "a".repeat(1999), Case::Sensitive, false),
            ("?".repeat(2000), "é".repeat(2000), Case::Sensitive, true),
            (
                format!("*{}*", "?".repeat(2000)),
                all_a.clone(),
                Case::Sensitive,
                true,
            ),
            (
                format!("*{}*", "?".repeat(2000)),
                "é".repeat(1999),
                Case::Sensitive,
                false,
            ),
            (
                format!("*{}", "?".repeat(2000)),
                "é".repeat(n),
                Case::Sensitive,
                true,
            ),
            // Many short segments.
            (
                format!("{}*c", "*ab?".repeat(500)),
                "ab".repeat(n / 2),
                Case::Sensitive,
                false,
            ),
            (
                format!("{}*c", "*ab?".repeat(500)),
                format!("{}c", "ab".repeat(n / 2)),
                Case::Sensitive,
                true,
            ),
            // Each `ab?` after the first takes four characters here: 1,999 in all.
            (
                format!("{}*", "*ab?".repeat(500)),
                "ab".repeat(999),
                Case::Sensitive,
                false,
            ),
            (
                format!("{}*", "*ab?".repeat(500)),
                "ab".repeat(1000),
                Case::Sensitive,
                true,
            ),
            // Ignoring case: the Kelvin sign is a `k`.
            (
                format!("*{}*", "K?".repeat(900)),
                "\u{212a}".repeat(n / 3),
                Case::Insensitive,
                true,
            ),
            (
                format!("*{}*", "K?".repeat(900)),
                "kkb".repeat(n / 3),
                Case::Insensitive,
                false,
            ),
            (
                format!("{}*b", "*K".repeat(900)),
                "k".repeat(n),
                Case::Insensitive,
                false,
            ),
            (
                format!("{}*B", "*K".repeat(900)),
                format!("{}b", "k".repeat(n)),
                Case::Insensitive,
                true,
            ),
        ];
        for (pattern, text, case, expected) in cases {
            assert_eq!(
                glob_match_case(&pattern, &text, case),
                expected,
                "{} chars of pattern against {} chars ({case:?})",
                pattern.chars().count(),
                text.chars().count(),
            );
        }
    }

    #[test]
    fn shift_and_handles_characters_both_dense_and_sparse() {
        // 130 positions (three words); `a` is frequent (a bit set), the
        // others rare (position lists).
        let segment = format!("{}b?c{}", "a".repeat(64), "a".repeat(63));
        let pattern = format!("*{segment}*");
        let hit = format!("xx{}b!c{}yy", "a".repeat(64), "a".repeat(63));
        let miss = format!("xx{}b!d{}yy", "a".repeat(64), "a".repeat(63));
        assert!(glob_match(&pattern, &hit));
        assert!(!glob_match(&pattern, &miss));
        assert!(glob_match_case(
            &pattern.to_uppercase(),
            &hit,
            Case::Insensitive
        ));
    }

    #[test]
    fn a_literal_between_stars_is_a_substring_test_in_both_cases() {
        let none = Vars(&[]);
        for literal in [":list", "é-long-literal-beyond-thirty-bytes-é", "k"] {
            let p = Pattern::parse(&format!("*{literal}*"), Wildcards::Glob, true);
            assert!(matches!(p.shape, Shape::Contains(_)), "{literal}");
            assert!(p.matches(&format!("x{literal}y"), Case::Sensitive, &none));
            assert!(p.matches(literal, Case::Sensitive, &none));
            let shorter: String = literal.chars().skip(1).collect();
            assert!(!p.matches(&shorter, Case::Sensitive, &none));
            let upper = format!("X{}Y", literal.to_uppercase());
            assert!(p.matches(&upper, Case::Insensitive, &none), "{literal}");
            assert!(!p.matches(&upper, Case::Sensitive, &none), "{literal}");
        }
        let kelvin = Pattern::parse("*k*", Wildcards::Glob, false);
        assert!(kelvin.matches("a\u{212a}b", Case::Insensitive, &none));
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
    fn a_literal_whose_first_byte_keeps_recurring_is_still_found_or_refused() {
        let needle = format!("{}b", "a".repeat(31));
        let refused = "a".repeat(10_000);
        let found = format!("{refused}b");
        for (text, expected) in [
            (refused.as_str(), None),
            (found.as_str(), Some(10_000 - 31)),
        ] {
            assert_eq!(find_literal(text, needle.as_bytes()), expected);
            assert_eq!(glob_match(&format!("*{needle}*"), text), expected.is_some());
        }
        // Found after the hand-over to the two-way search, and before it.
        let late = format!("{}{needle}{}", "a".repeat(5_000), "c".repeat(10));
        assert_eq!(find_literal(&late, needle.as_bytes()), Some(5_000));
        assert_eq!(find_literal("xxab", b"ab"), Some(2));
    }

    #[test]
    fn a_segment_longer_than_the_text_left_matches_nothing() {
        let agent = "a".repeat(2_000);
        let vars = Vars(Box::leak(Box::new([(
            "aws:useragent",
            &*Box::leak(agent.clone().into_boxed_str()),
        )])));
        let p = Pattern::parse("*?${aws:UserAgent}*", Wildcards::Glob, true);
        assert!(!p.matches(&agent, Case::Sensitive, &vars));
        assert!(p.matches(&format!("x{agent}"), Case::Sensitive, &vars));
        let q = Pattern::parse("*a?a*", Wildcards::Glob, false);
        assert!(!q.matches("aa", Case::Sensitive, &Vars(&[])));
        assert!(q.matches("xaxa", Case::Sensitive, &Vars(&[])));
    }

    #[test]
    fn cost_counts_segments_their_length_and_variables() {
        let cost = |text: &str| Pattern::parse(text, Wildcards::Glob, true).cost();
        assert_eq!(cost("*"), MatchCost::default());
        assert_eq!(cost("s3:Get*").passes, 1);
        let hostile = format!("*{}b*", "a?".repeat(900));
        // Three segments (empty, 1,801 characters, empty).
        assert_eq!(cost(&hostile).passes, 1 + (1 + 1801_u64.div_ceil(64)) + 1);
        let variable = cost("*?${aws:UserAgent}*");
        assert_eq!(variable.variables, 1);
        // A variable's value lengthens its segment: charged n / 64 passes.
        assert!(variable.against(64_000) > cost("*?x*").against(64_000) * 100);
    }

    #[test]
    fn case_insensitive_matching() {
        let p = Pattern::parse("s3:get*", Wildcards::Glob, false);
        assert!(p.matches("S3:GetObject", Case::Insensitive, &Vars(&[])));
        let e = Pattern::parse("ÉCOLE", Wildcards::Literal, false);
        assert!(e.matches("école", Case::Insensitive, &Vars(&[])));
    }
}
