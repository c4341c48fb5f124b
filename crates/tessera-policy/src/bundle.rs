//! A caller's identity policies compiled together into one
//! [`PolicyBundle`], so that a decision reads one small index and adjacent
//! memory instead of following each policy's pointers.
//!
//! Across a large population of principals a principal's policies are
//! rarely in cache when its request arrives, and every pointer a decision
//! follows is a likely cache miss. The bundle therefore keeps, for all of
//! a principal's identity policies at once:
//!
//! - every distinct action pattern once (`s3:Get*` written in five
//!   policies is tested once per decision), each with the statements that
//!   list it;
//! - one index from service prefix (by hash) to the patterns that can
//!   match it and, for up to 64 statements, the statements those patterns
//!   can name, plus the patterns that can match any service (up to two of
//!   them held in the bundle itself);
//! - the statements' other elements (effect, resources, principal, the
//!   policy itself) in one array in (policy, statement) order, each
//!   followed by its conditions, with up to two values of each condition
//!   inline and its key as an id into one table of the distinct keys
//!   (with their hashes, so a key is found in the request by integer);
//! - the pieces of every general resource pattern in one array, and for
//!   each statement four bytes every resource it names holds, and where:
//!   at the end of its patterns' common literal start, or somewhere after
//!   a fixed offset (the end of the literal after the first star, as in
//!   `arn:aws:dynamodb:*:…:table/app-17-*`).
//!
//! A decision first reads only the bundle itself: the service's entry and
//! the inline service-independent patterns say which statements can be
//! candidates, and the four resource bytes which of those can name the
//! request's resource (another principal's bucket cannot), so only the
//! records, conditions and pattern pieces of the remaining ones are
//! fetched, all at once, their cache misses overlapping, before any of them
//! is checked. It then tests the request's service's patterns and the
//! service-independent ones, marks the statements they name in a bit set,
//! adds the `NotAction` statements none of whose patterns matched, and
//! checks the marked statements in order. The statements checked, their
//! order and the rule applied to each are those of scanning the policies
//! one by one, so both decide alike and report the same matched
//! statements. Each condition key is looked up in the request once per
//! decision, however many statements test it.

use std::sync::Arc;

use crate::compiled::{
    ActionPattern, CompiledPolicy, Few, PrincipalMatch, PrincipalMatcher, RequestAction,
    ResourceMatcher,
};
use crate::condition::{Operator, Values};
use crate::document::Effect;
use crate::evaluate::StatementParts;
use crate::pattern::{find_bytes, glob, Case, Pattern, Piece};
use crate::prefetch;
use crate::request::{key_hash, ContextValue, Principal, Request};

/// A caller's identity policies compiled together for fast evaluation.
/// Immutable; share it with `Arc`. Build it once per principal (when its
/// policies change) and pass it as [`crate::PolicySet::identity_bundle`].
#[derive(Clone, Debug)]
// `repr(C)`, in this order: what every decision reads first (the flags,
// the arrays' pointers and lengths) shares the first cache lines; the
// inline tables follow, of which a decision reads only the entries of its
// service and candidates; the policies, which only `policies()` reads,
// come last.
#[repr(C)]
pub struct PolicyBundle {
    /// Whether every statement fits one word of a bit set: patterns then
    /// name their statements by [`BundlePattern::mask`].
    small: bool,
    /// Patterns without a literal service prefix (`*`, `*:List*`), a span
    /// of `patterns` (its start).
    always: Span,
    /// For a small bundle, the statements that may be candidates whatever
    /// the service and are not found through `header_always`: the
    /// `NotAction` ones, and those the service-independent patterns name
    /// when they are not in `header_always`.
    always_reach: u64,
    /// Service prefix hash → the patterns with that prefix (a span of
    /// `patterns`, which holds each service's patterns together), sorted
    /// by hash; read only when there are more than [`INLINE_SERVICES`].
    services: Box<[(u64, Span)]>,
    patterns: Box<[BundlePattern]>,
    /// Every statement followed by its conditions, in (policy, statement)
    /// order: one allocation, so a statement and its conditions share
    /// cache lines and pages.
    records: Box<[Record]>,
    /// The pieces of every general resource pattern
    /// (`arn:aws:dynamodb:*:…:table/app-*`), in statement order: held by
    /// the bundle rather than each pattern behind its own pointer, so that
    /// a candidate's are fetched together with its record.
    pieces: Box<[Piece]>,
    /// Every distinct condition key, lowercased, once.
    keys: KeyTable,
    /// Statements written with `NotAction`, ascending.
    not_action: Box<[u32]>,
    /// Where each statement's record is in `records`, by statement id, and
    /// the end of the last: statement `s` and its conditions are
    /// `records[statement_at[s]..statement_at[s + 1]]`.
    statement_at: Box<[u32]>,
    /// The index lists: pattern ids for `services`, `always` and `NotAction`
    /// statements, statement ids for patterns.
    ids: Box<[u32]>,
    /// The first [`INLINE_SERVICES`] entries of `services`, held in the
    /// bundle itself so that the lookup reads no other memory.
    inline_hashes: [u64; INLINE_SERVICES],
    inline_spans: [Span; INLINE_SERVICES],
    /// For a small bundle, the statements the patterns of the service at
    /// the same position in `inline_hashes` can name: read together with
    /// the hash, so the candidate statements can be fetched before any
    /// pattern is tested.
    inline_reach: [u64; INLINE_SERVICES],
    /// For a small bundle with at most two service-independent patterns
    /// (`*:List*` written in every policy is one), those patterns, held in
    /// the bundle itself: they are tested before any other memory is read,
    /// so the statements they cannot name are never fetched.
    header_always: Few<BundlePattern>,
    /// For a small bundle, `statement_at` held in the bundle itself, so a
    /// candidate's record and its conditions (the records up to the next
    /// statement's) are fetched without reading other memory first.
    inline_statement_at: Option<[u16; STATEMENT_AT]>,
    /// For a small bundle, where each statement's pieces start in
    /// `pieces`, and the end of the last (as `inline_statement_at`).
    inline_pieces_at: Option<[u16; STATEMENT_AT]>,
    /// For a small bundle, what the request's resource must hold for each
    /// statement to apply (see [`ResourceTail`]): tested from the bundle
    /// alone, so the records of candidates whose resources cannot match
    /// (another principal's bucket, another team's path) are never
    /// fetched.
    resource_tails: [ResourceTail; 64],
    policies: Box<[Arc<CompiledPolicy>]>,
}

/// A range of one of the bundle's arrays.
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn of<T>(items: &[T], span: Span) -> &[T] {
        let start = span.start as usize;
        items
            .get(start..start.saturating_add(span.len as usize))
            .unwrap_or(&[])
    }
}

#[derive(Clone, Debug)]
struct BundlePattern {
    /// The `Action` statements that list it, as a bit set when the bundle
    /// is small.
    mask: u64,
    /// The same statements (a span of `ids`), ascending.
    statements: Span,
    pattern: ActionPattern,
}

/// Entries of `statement_at` a small bundle holds inline: one per
/// statement of a small bundle, and the end of the last.
const STATEMENT_AT: usize = 65;

/// Service prefixes whose index entries the bundle holds inline.
const INLINE_SERVICES: usize = 8;

// `repr(C)`: the fields a decision reads first (`index`, `conditions`)
// open the record and `effect` closes it, so touching both fetches every
// cache line the record spans.
#[derive(Clone, Debug)]
#[repr(C)]
struct BundleStatement {
    /// The policy and the statement's position in it. The policy itself,
    /// not its position in [`PolicyBundle::policies`]: a matched statement
    /// names its policy without the decision reading that list.
    policy: Arc<CompiledPolicy>,
    index: u32,
    conditions: Span,
    /// For `NotAction`, its patterns (a span of `ids`).
    not_action: Span,
    principal: Option<Box<PrincipalMatcher>>,
    resources: Option<BundleResources>,
    effect: Effect,
}

/// Four bytes every resource a statement's `Resource` patterns match
/// holds, at a fixed place or somewhere after one: the part that tells one
/// principal's resources from another's. A statement without such bytes
/// (`*`, `NotResource`, a pattern whose literal start and literal after its
/// first star are both shorter than four bytes, a variable in either)
/// admits every resource here.
#[derive(Clone, Copy, Debug, Default)]
enum ResourceTail {
    #[default]
    Any,
    /// The last four bytes of the literal text all of the statement's
    /// patterns start with, and their offset (`t-17` of
    /// `arn:aws:s3:::bucket-17/*` and `arn:aws:s3:::bucket-17`).
    At { at: u8, bytes: [u8; 4] },
    /// The last four bytes of the literal all of its patterns hold after
    /// their first star, and the first offset they can start at
    /// (`-17-` of `arn:aws:dynamodb:*:123456789012:table/app-17-*`, whose
    /// literal start `arn:aws:dynamodb:` every principal's tables share).
    After { from: u8, bytes: [u8; 4] },
}

impl ResourceTail {
    /// The test for a statement's resources, when they have one. The end
    /// of their common literal start when that start reaches past an
    /// ARN's fifth colon, into the resource part that names one
    /// principal's resources (`t-17/` of `arn:aws:s3:::bucket-17/*.json`);
    /// otherwise the end of the literal every pattern holds after its first
    /// star, when they all hold the same; otherwise the end of the common
    /// start, which may still tell services apart.
    fn of(resources: Option<&ResourceMatcher>) -> ResourceTail {
        let Some(matcher) = resources else {
            return ResourceTail::Any;
        };
        if matcher.any() || matcher.negated() {
            return ResourceTail::Any;
        }
        let patterns = matcher.patterns();
        let mut starts = patterns.iter().map(Pattern::literal_start);
        let Some(first) = starts.next() else {
            return ResourceTail::Any;
        };
        let common = starts.fold(first, |common, start| {
            let same = common.iter().zip(start).take_while(|(a, b)| a == b).count();
            common.get(..same).unwrap_or(&[])
        });
        let at = common.len().checked_sub(4).and_then(|start| {
            let bytes = <[u8; 4]>::try_from(common.get(start..)?).ok()?;
            Some(ResourceTail::At {
                at: u8::try_from(start).ok()?,
                bytes,
            })
        });
        let names_resource_part = common
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b':')
            .nth(4)
            .is_some_and(|(fifth, _)| fifth + 1 < common.len());
        if names_resource_part {
            if let Some(at) = at {
                return at;
            }
        }
        let floating = patterns
            .iter()
            .map(|p| {
                let (offset, literal) = p.floating_literal()?;
                let start = literal.len().checked_sub(4)?;
                let bytes = <[u8; 4]>::try_from(literal.get(start..)?).ok()?;
                Some((u8::try_from(offset + start).ok()?, bytes))
            })
            .reduce(|a, b| if a == b { a } else { None })
            .flatten();
        match (floating, at) {
            (Some((from, bytes)), _) => ResourceTail::After { from, bytes },
            (None, Some(at)) => at,
            (None, None) => ResourceTail::Any,
        }
    }

    /// False only when no resource the statement names can be `resource`.
    fn admits(&self, resource: &[u8]) -> bool {
        match *self {
            ResourceTail::Any => true,
            ResourceTail::At { at, bytes } => {
                let at = usize::from(at);
                resource.get(at..at + 4) == Some(&bytes[..])
            }
            ResourceTail::After { from, bytes } => occurs_from(resource, usize::from(from), bytes),
        }
    }
}

/// Whether `bytes` occur in `text` starting at `from` or later, by the
/// literal search patterns use. Four bytes cost the same at every place
/// tried, so the search is not bounded; were it ever to stop, the
/// statement is admitted (a filter that cannot tell passes the statement
/// on to its patterns). Out of line: the loop over the candidates' tails
/// stays small for the common fixed-place test.
#[inline(never)]
fn occurs_from(text: &[u8], from: usize, bytes: [u8; 4]) -> bool {
    !matches!(find_bytes(text, &bytes, from, usize::MAX), Ok(None))
}

/// A statement's `Resource` or `NotResource` as the bundle holds it: the
/// rule of [`ResourceMatcher::admits`], with each general pattern's pieces
/// in [`PolicyBundle::pieces`] instead of an allocation of their own.
#[derive(Clone, Debug)]
struct BundleResources {
    negated: bool,
    any: bool,
    patterns: Few<BundleResource>,
}

#[derive(Clone, Debug)]
enum BundleResource {
    /// A fast-path pattern (exact, prefix, substring), matched as compiled.
    Pattern(Pattern),
    /// A general pattern: its pieces, a span of [`PolicyBundle::pieces`].
    Pieces(Span),
}

impl BundleResources {
    /// `matcher`, its general patterns' pieces appended to `pieces`.
    fn new(matcher: &ResourceMatcher, pieces: &mut Vec<Piece>) -> BundleResources {
        let patterns = matcher
            .patterns()
            .iter()
            .map(|pattern| match pattern.general_pieces() {
                Some(own) => {
                    let start = to_u32(pieces.len());
                    pieces.extend_from_slice(own);
                    BundleResource::Pieces(Span {
                        start,
                        len: to_u32(own.len()),
                    })
                }
                None => BundleResource::Pattern(pattern.clone()),
            })
            .collect();
        BundleResources {
            negated: matcher.negated(),
            any: matcher.any(),
            patterns,
        }
    }

    /// What [`ResourceMatcher::admits`] says of the matcher it was made
    /// from: the general matcher decides the pieces as it decides the
    /// pattern that held them.
    fn admits(&self, pieces: &[Piece], request: &Request) -> bool {
        if self.any {
            return !self.negated;
        }
        let resource = request.resource();
        let matched = self.patterns.iter().any(|pattern| match pattern {
            BundleResource::Pattern(p) => p.matches(resource, Case::Sensitive, request),
            BundleResource::Pieces(span) => {
                glob(Span::of(pieces, *span), resource, Case::Sensitive, request)
            }
        });
        matched != self.negated
    }
}

/// One entry of [`PolicyBundle::records`].
#[derive(Clone, Debug)]
enum Record {
    Statement(BundleStatement),
    Condition(BundleCondition),
}

/// A condition test, with its key as an id in [`PolicyBundle::keys`] and
/// without the text only explanations read, so that it stays small.
#[derive(Clone, Debug)]
struct BundleCondition {
    key: u32,
    operator: Operator,
    values: Values,
}

/// Distinct condition keys in one string, so that they sit in adjacent
/// memory and a decision looks each up in the request once.
#[derive(Clone, Debug, Default)]
struct KeyTable {
    text: Box<str>,
    /// Byte ranges of `text`, by key id, each with the key's hash, so a
    /// decision finds the key in the request's context by comparing
    /// integers.
    spans: Box<[(Span, u64)]>,
}

impl KeyTable {
    /// Key `id` and its hash.
    fn key(&self, id: u32) -> (&str, u64) {
        let Some((span, hash)) = self.spans.get(id as usize) else {
            return ("", key_hash(""));
        };
        let start = span.start as usize;
        let text = self
            .text
            .get(start..start.saturating_add(span.len as usize))
            .unwrap_or("");
        (text, *hash)
    }
}

/// Keys whose request values a decision remembers on the stack; a bundle
/// with more distinct keys looks the others up each time.
const CACHED_KEYS: usize = 16;

/// The request's values of a bundle's condition keys, each looked up on
/// first use: one lookup per key per decision, however many statements
/// test it.
struct ResolvedKeys<'r> {
    known: u32,
    values: [Option<&'r ContextValue>; CACHED_KEYS],
}

impl<'r> ResolvedKeys<'r> {
    fn new() -> Self {
        ResolvedKeys {
            known: 0,
            values: [None; CACHED_KEYS],
        }
    }

    fn get(&mut self, id: u32, keys: &KeyTable, request: &'r Request) -> Option<&'r ContextValue> {
        let look_up = || {
            let (key, hash) = keys.key(id);
            request.context().get_hashed(key, hash)
        };
        let Some(slot) = self.values.get_mut(id as usize) else {
            return look_up();
        };
        let bit = 1u32 << id;
        if self.known & bit == 0 {
            *slot = look_up();
            self.known |= bit;
        }
        *slot
    }
}

/// A bit set held on the stack up to [`INLINE_WORDS`] words, so a decision
/// allocates nothing unless the principal has more than 512 statements.
struct Bits {
    inline: [u64; INLINE_WORDS],
    heap: Vec<u64>,
    words: usize,
}

const INLINE_WORDS: usize = 8;

impl Bits {
    fn new(len: usize) -> Bits {
        let words = len.div_ceil(64);
        Bits {
            inline: [0; INLINE_WORDS],
            heap: if words > INLINE_WORDS {
                vec![0; words]
            } else {
                Vec::new()
            },
            words,
        }
    }

    fn words(&self) -> &[u64] {
        if self.words > INLINE_WORDS {
            &self.heap
        } else {
            self.inline.get(..self.words).unwrap_or(&[])
        }
    }

    fn words_mut(&mut self) -> &mut [u64] {
        if self.words > INLINE_WORDS {
            &mut self.heap
        } else {
            self.inline.get_mut(..self.words).unwrap_or(&mut [])
        }
    }

    fn set(&mut self, bit: u32) {
        if let Some(word) = self.words_mut().get_mut(bit as usize / 64) {
            *word |= 1 << (bit % 64);
        }
    }

    fn get(&self, bit: u32) -> bool {
        self.words()
            .get(bit as usize / 64)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }

    /// Calls `visit` with every set bit, ascending.
    fn for_each(&self, mut visit: impl FnMut(u32)) {
        for (at, &word) in self.words().iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let bit = u32::try_from(at * 64).unwrap_or(u32::MAX) + bits.trailing_zeros();
                visit(bit);
                bits &= bits - 1;
            }
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `offsets` (ascending, at most [`STATEMENT_AT`], the last the end) as
/// the bundle holds them inline, padded with the end; `None` when one does
/// not fit 16 bits.
fn inline_offsets(offsets: &[u32]) -> Option<[u16; STATEMENT_AT]> {
    let mut inline = [0u16; STATEMENT_AT];
    let end = offsets.last().copied().unwrap_or(0);
    for (slot, at) in inline
        .iter_mut()
        .zip(offsets.iter().copied().chain(std::iter::repeat(end)))
    {
        *slot = u16::try_from(at).ok()?;
    }
    Some(inline)
}

/// Appends `items` to `ids` and returns their span.
fn push_span(ids: &mut Vec<u32>, items: &[u32]) -> Span {
    let start = to_u32(ids.len());
    ids.extend_from_slice(items);
    Span {
        start,
        len: to_u32(items.len()),
    }
}

impl PolicyBundle {
    /// Compiles `policies` (a caller's identity policies, in the order
    /// [`crate::PolicySet::identity`] would list them) together.
    pub fn new(policies: &[Arc<CompiledPolicy>]) -> PolicyBundle {
        let mut patterns: Vec<ActionPattern> = Vec::new();
        let mut pattern_statements: Vec<Vec<u32>> = Vec::new();
        // Distinct patterns by service hash, for interning.
        let mut by_hash: std::collections::HashMap<Option<u64>, Vec<u32>> =
            std::collections::HashMap::new();
        let mut statements = Vec::new();
        let mut not_action_patterns: Vec<Vec<u32>> = Vec::new();
        let mut conditions: Vec<BundleCondition> = Vec::new();
        let mut key_ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        let mut key_text = String::new();
        let mut key_spans: Vec<(Span, u64)> = Vec::new();
        let mut not_action = Vec::new();
        let mut pieces: Vec<Piece> = Vec::new();
        let mut pieces_at: Vec<u32> = Vec::new();
        let mut resource_tails = [ResourceTail::Any; 64];
        for policy in policies {
            for (index, statement) in policy.statements().iter().enumerate() {
                let id = to_u32(statements.len());
                if let Some(slot) = resource_tails.get_mut(id as usize) {
                    *slot = ResourceTail::of(statement.resources.as_ref());
                }
                let negated = statement.actions.negated();
                let mut own = Vec::new();
                for pattern in statement.actions.patterns() {
                    let bucket = by_hash.entry(pattern.service_hash()).or_default();
                    let found = bucket
                        .iter()
                        .copied()
                        .find(|&p| patterns.get(p as usize) == Some(pattern));
                    let pattern_id = match found {
                        Some(p) => p,
                        None => {
                            let p = to_u32(patterns.len());
                            patterns.push(pattern.clone());
                            pattern_statements.push(Vec::new());
                            bucket.push(p);
                            p
                        }
                    };
                    if negated {
                        own.push(pattern_id);
                    } else if let Some(list) = pattern_statements.get_mut(pattern_id as usize) {
                        if list.last() != Some(&id) {
                            list.push(id);
                        }
                    }
                }
                if negated {
                    not_action.push(id);
                }
                not_action_patterns.push(own);
                let start = to_u32(conditions.len());
                for test in statement.conditions.iter() {
                    let lower: &str = &test.key_lower;
                    let key = *key_ids.entry(lower).or_insert_with(|| {
                        key_spans.push((
                            Span {
                                start: to_u32(key_text.len()),
                                len: to_u32(lower.len()),
                            },
                            key_hash(lower),
                        ));
                        key_text.push_str(lower);
                        to_u32(key_spans.len() - 1)
                    });
                    conditions.push(BundleCondition {
                        key,
                        operator: test.operator,
                        values: test.values.clone(),
                    });
                }
                statements.push(BundleStatement {
                    effect: statement.effect,
                    policy: Arc::clone(policy),
                    index: to_u32(index),
                    not_action: Span::default(),
                    conditions: Span {
                        start,
                        len: to_u32(statement.conditions.len()),
                    },
                    resources: {
                        pieces_at.push(to_u32(pieces.len()));
                        statement
                            .resources
                            .as_ref()
                            .map(|r| BundleResources::new(r, &mut pieces))
                    },
                    principal: statement.principal.clone(),
                });
            }
        }
        // Patterns are stored grouped: the service-independent ones first,
        // then each service's, so that a service's entry is a span.
        let mut always_ids = Vec::new();
        let mut keyed: Vec<(u64, Vec<u32>)> = Vec::new();
        for (p, pattern) in patterns.iter().enumerate() {
            let p = to_u32(p);
            match pattern.service_hash() {
                Some(hash) => match keyed.iter_mut().find(|(h, _)| *h == hash) {
                    Some((_, list)) => list.push(p),
                    None => keyed.push((hash, vec![p])),
                },
                None => always_ids.push(p),
            }
        }
        keyed.sort_by_key(|(hash, _)| *hash);
        let order: Vec<u32> = always_ids
            .iter()
            .chain(keyed.iter().flat_map(|(_, list)| list))
            .copied()
            .collect();
        // Where each pattern went.
        let mut moved = vec![0u32; patterns.len()];
        for (to, &from) in order.iter().enumerate() {
            if let Some(slot) = moved.get_mut(from as usize) {
                *slot = to_u32(to);
            }
        }
        let always = Span {
            start: 0,
            len: to_u32(always_ids.len()),
        };
        let mut start = always.len;
        let services: Box<[(u64, Span)]> = keyed
            .iter()
            .map(|(hash, list)| {
                let span = Span {
                    start,
                    len: to_u32(list.len()),
                };
                start += span.len;
                (*hash, span)
            })
            .collect();
        let small = statements.len() <= 64;
        let mut ids = Vec::new();
        let mut slots: Vec<Option<ActionPattern>> = patterns.into_iter().map(Some).collect();
        let patterns: Box<[BundlePattern]> = order
            .iter()
            .filter_map(|&from| {
                let pattern = slots.get_mut(from as usize)?.take()?;
                let list = pattern_statements.get(from as usize)?;
                let mask = if small {
                    list.iter()
                        .fold(0u64, |bits, &s| bits | 1u64.checked_shl(s).unwrap_or(0))
                } else {
                    0
                };
                Some(BundlePattern {
                    mask,
                    statements: push_span(&mut ids, list),
                    pattern,
                })
            })
            .collect();
        for (statement, own) in statements.iter_mut().zip(&not_action_patterns) {
            if !own.is_empty() {
                let own: Vec<u32> = own
                    .iter()
                    .filter_map(|&p| moved.get(p as usize).copied())
                    .collect();
                statement.not_action = push_span(&mut ids, &own);
            }
        }
        let reach = |span: Span| {
            Span::of(&patterns, span)
                .iter()
                .fold(0u64, |bits, p: &BundlePattern| bits | p.mask)
        };
        let mut inline_hashes = [0u64; INLINE_SERVICES];
        let mut inline_spans = [Span::default(); INLINE_SERVICES];
        let mut inline_reach = [0u64; INLINE_SERVICES];
        for ((hash, span), ((h, s), r)) in services.iter().zip(
            inline_hashes
                .iter_mut()
                .zip(inline_spans.iter_mut())
                .zip(inline_reach.iter_mut()),
        ) {
            *h = *hash;
            *s = *span;
            *r = reach(*span);
        }
        let header_always: Few<BundlePattern> = if small && always.len <= 2 {
            Span::of(&patterns, always).iter().cloned().collect()
        } else {
            Few::None
        };
        let not_reached = if header_always.is_empty() {
            reach(always)
        } else {
            0
        };
        let always_reach = not_action.iter().fold(not_reached, |bits, &s| {
            bits | 1u64.checked_shl(s).unwrap_or(0)
        });
        let patterns: Box<[BundlePattern]> = patterns;
        // Each statement followed by its conditions.
        let mut records = Vec::with_capacity(statements.len() + conditions.len());
        let mut statement_at = Vec::with_capacity(statements.len() + 1);
        let mut conditions = conditions.into_iter();
        for mut statement in statements {
            statement_at.push(to_u32(records.len()));
            let count = statement.conditions.len as usize;
            statement.conditions = Span {
                start: to_u32(records.len() + 1),
                len: statement.conditions.len,
            };
            records.push(Record::Statement(statement));
            records.extend(conditions.by_ref().take(count).map(Record::Condition));
        }
        statement_at.push(to_u32(records.len()));
        pieces_at.push(to_u32(pieces.len()));
        let (inline_statement_at, inline_pieces_at) = if small {
            (inline_offsets(&statement_at), inline_offsets(&pieces_at))
        } else {
            (None, None)
        };
        PolicyBundle {
            inline_statement_at,
            inline_hashes,
            inline_spans,
            inline_reach,
            always_reach,
            header_always,
            services,
            always,
            small,
            resource_tails,
            patterns,
            ids: ids.into_boxed_slice(),
            records: records.into_boxed_slice(),
            statement_at: statement_at.into_boxed_slice(),
            keys: KeyTable {
                text: key_text.into_boxed_str(),
                spans: key_spans.into_boxed_slice(),
            },
            not_action: not_action.into_boxed_slice(),
            pieces: pieces.into_boxed_slice(),
            inline_pieces_at,
            policies: policies.into(),
        }
    }

    /// The policies it was compiled from, in order.
    pub fn policies(&self) -> &[Arc<CompiledPolicy>] {
        &self.policies
    }

    /// Whether it was compiled from exactly these policies (the same
    /// compiled values, in the same order): a cache of bundles checks this
    /// before reusing one.
    pub fn is_compiled_from(&self, policies: &[Arc<CompiledPolicy>]) -> bool {
        self.policies.len() == policies.len()
            && self
                .policies
                .iter()
                .zip(policies)
                .all(|(a, b)| Arc::ptr_eq(a, b))
    }

    /// The patterns of the service prefix with hash `hash` (a span of
    /// `patterns`) and, for a small bundle, the statements they can name.
    fn service_entry(&self, hash: u64) -> (Span, u64) {
        if self.services.len() <= INLINE_SERVICES {
            let len = self.services.len();
            return self
                .inline_hashes
                .iter()
                .take(len)
                .position(|h| *h == hash)
                .and_then(|at| Some((*self.inline_spans.get(at)?, *self.inline_reach.get(at)?)))
                .unwrap_or_default();
        }
        match self.services.binary_search_by_key(&hash, |(h, _)| *h) {
            Ok(at) => self
                .services
                .get(at)
                .map_or((Span::default(), 0), |(_, s)| (*s, 0)),
            Err(_) => (Span::default(), 0),
        }
    }

    /// Asks for statement `s`'s record, its conditions and, where the
    /// bundle knows where they are, its resource patterns' pieces (for a
    /// larger bundle they are reached from the record).
    fn prefetch_statement(&self, s: usize) {
        let records = match &self.inline_statement_at {
            Some(inline) => match inline.get(s..s + 2) {
                Some(&[start, end]) => Some((usize::from(start), usize::from(end))),
                _ => None,
            },
            None => match self.statement_at.get(s..s + 2) {
                Some(&[start, end]) => Some((start as usize, end as usize)),
                _ => None,
            },
        };
        if let Some((start, end)) = records {
            prefetch::lines(self.records.get(start..end).unwrap_or(&[]));
        }
        if let Some(at) = &self.inline_pieces_at {
            let start = at.get(s).copied().unwrap_or(0);
            let end = at.get(s + 1).copied().unwrap_or(0);
            prefetch::lines(
                self.pieces
                    .get(usize::from(start)..usize::from(end))
                    .unwrap_or(&[]),
            );
        }
    }

    /// Statement `s`.
    fn statement(&self, s: usize) -> Option<&BundleStatement> {
        let at = match &self.inline_statement_at {
            Some(inline) => usize::from(*inline.get(s)?),
            None => *self.statement_at.get(s)? as usize,
        };
        match self.records.get(at)? {
            Record::Statement(statement) => Some(statement),
            Record::Condition(_) => None,
        }
    }

    /// The conditions of `statement`.
    fn conditions_of<'s>(
        &'s self,
        statement: &BundleStatement,
    ) -> impl Iterator<Item = &'s BundleCondition> {
        Span::of(&self.records, statement.conditions)
            .iter()
            .filter_map(|r| match r {
                Record::Condition(c) => Some(c),
                Record::Statement(_) => None,
            })
    }

    /// Asks for every line of the bundle's own struct (the index, the
    /// inline tables, the resource tails) before any is read: a decision
    /// does this first, so the misses overlap each other and whatever the
    /// decision does before it reaches the bundle.
    pub(crate) fn prefetch(&self) {
        prefetch::value(self);
    }

    /// The number of statements across its policies.
    pub fn statement_count(&self) -> usize {
        self.statement_at.len().saturating_sub(1)
    }

    /// Calls `visit` with every statement that applies to `request`, in
    /// (policy, statement) order: its policy, its position in it, its
    /// effect and how its `Principal` (if any) named the caller.
    pub(crate) fn for_each_applicable<'b>(
        &'b self,
        request: &Request,
        principal: &Principal,
        has_boundary: bool,
        mut visit: impl FnMut(&'b CompiledPolicy, usize, Effect, Option<PrincipalMatch>),
    ) {
        let action = RequestAction::of(request);
        let hash = request.service_hash();
        let (specific, reach) = self.service_entry(hash);
        // Across a population the bundle is seldom in cache, and each
        // pointer followed is a likely cache miss. Every load below depends
        // only on the bundle itself, so their misses overlap instead of
        // coming one after the other as the decision reaches each: the
        // patterns to test, the statements they may name (known from the
        // index before any pattern is tested), the conditions and what
        // their values point at, the keys and the policies.
        let mut candidates = Bits::new(self.statement_count());
        let track = !self.not_action.is_empty();
        let mut matched = Bits::new(if track { self.patterns.len() } else { 0 });
        // The service-independent patterns held in the bundle itself are
        // tested first: what they name joins what the service may name.
        let mut mask = 0u64;
        for (entry, p) in self.header_always.iter().zip(self.always.start..) {
            if entry.pattern.matches(&action, request) {
                mask |= entry.mask;
                if track {
                    matched.set(p);
                }
            }
        }
        // Statements whose resources cannot match the request, among those
        // that could be candidates: never fetched, never checked.
        let mut excluded = 0u64;
        if self.small {
            let resource = request.resource().as_bytes();
            let mut maybe = reach | mask | self.always_reach;
            while maybe != 0 {
                let s = maybe.trailing_zeros();
                if let Some(tail) = self.resource_tails.get(s as usize) {
                    if !tail.admits(resource) {
                        excluded |= 1u64 << s;
                    }
                }
                maybe &= maybe - 1;
            }
        }
        // When every statement the service's patterns can name is passed
        // over (another principal's bucket), those patterns need not be
        // read at all, unless a `NotAction` statement needs to know which
        // of them match.
        // Only the inline service table knows which statements a service's
        // patterns can name: past it `reach` is 0 for every service, which
        // says nothing.
        let reach_known = self.services.len() <= INLINE_SERVICES;
        let specific = if self.small && reach_known && !track && reach & !excluded == 0 {
            Span::default()
        } else {
            specific
        };
        prefetch::lines(Span::of(&self.patterns, specific));
        // The key table is needed only when some statement may still be
        // checked.
        let live = (reach | mask | self.always_reach) & !excluded;
        if !self.small || live != 0 {
            prefetch::lines(self.keys.text.as_bytes());
            prefetch::lines(&self.keys.spans);
        }
        if self.small {
            let mut bits = live;
            while bits != 0 {
                self.prefetch_statement(bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        } else {
            prefetch::lines(&self.statement_at);
        }
        let spans = if self.header_always.is_empty() {
            [self.always, specific]
        } else {
            [Span::default(), specific]
        };
        for span in spans {
            let first = span.start;
            for (entry, p) in Span::of(&self.patterns, span).iter().zip(first..) {
                if !entry.pattern.matches(&action, request) {
                    continue;
                }
                if self.small {
                    mask |= entry.mask;
                } else {
                    for &s in Span::of(&self.ids, entry.statements) {
                        candidates.set(s);
                    }
                }
                if track {
                    matched.set(p);
                }
            }
        }
        if let Some(word) = candidates.words_mut().first_mut() {
            *word = (*word | mask) & !excluded;
        }
        for &s in self.not_action.iter() {
            if excluded & 1u64.checked_shl(s).unwrap_or(0) != 0 {
                continue;
            }
            let Some(statement) = self.statement(s as usize) else {
                continue;
            };
            let named = Span::of(&self.ids, statement.not_action)
                .iter()
                .any(|&p| matched.get(p));
            if !named {
                candidates.set(s);
            }
        }
        if !self.small {
            // Large bundles have no reach masks: fetch the candidates now.
            candidates.for_each(|s| self.prefetch_statement(s as usize));
        }
        let mut keys = ResolvedKeys::new();
        candidates.for_each(|s| {
            let Some(statement) = self.statement(s as usize) else {
                return;
            };
            let policy: &'b CompiledPolicy = &statement.policy;
            if let Some(resources) = &statement.resources {
                if !resources.admits(&self.pieces, request) {
                    return;
                }
            }
            // The resources are checked above, against the bundle's
            // pieces, and the conditions below rather than by `applies`, so
            // that each key is looked up in the request once per decision.
            let parts = StatementParts {
                effect: statement.effect,
                principal: statement.principal.as_deref(),
                resources: None,
                conditions: &[],
            };
            let Some(naming) = parts.applies(request, principal, has_boundary) else {
                return;
            };
            let holds = self.conditions_of(statement).all(|c| {
                c.values
                    .hold(c.operator, keys.get(c.key, &self.keys, request), request)
            });
            if holds {
                visit(policy, statement.index as usize, statement.effect, naming);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::occurs_from;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn occurs_from_finds_the_bytes_exactly_where_a_plain_search_does(
            text in prop::collection::vec(prop::sample::select(&b"ab-:1"[..]), 0..40),
            from in 0usize..44,
            random in prop::array::uniform4(prop::sample::select(&b"ab-:1"[..])),
            inside in prop::option::of(any::<prop::sample::Index>()),
        ) {
            // Half the cases look for four bytes the text holds somewhere.
            let bytes = match inside {
                Some(at) if text.len() >= 4 => {
                    let at = at.index(text.len() - 3);
                    <[u8; 4]>::try_from(&text[at..at + 4]).unwrap_or(random)
                }
                _ => random,
            };
            let plain = text
                .windows(4)
                .enumerate()
                .any(|(at, window)| at >= from && window == bytes);
            prop_assert_eq!(occurs_from(&text, from, bytes), plain);
        }
    }
}
