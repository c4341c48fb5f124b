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
//!   match it, plus the patterns that can match any service;
//! - the statements' other elements (effect, resources, principal,
//!   conditions) in one array in (policy, statement) order, and their
//!   conditions in another.
//!
//! A decision tests the request's service's patterns and the
//! service-independent ones, marks the statements they name in a bit set,
//! adds the `NotAction` statements none of whose patterns matched, and
//! checks the marked statements in order. The statements checked, their
//! order and the rule applied to each are those of scanning the policies
//! one by one, so both decide alike and report the same matched
//! statements.

use std::sync::Arc;

use crate::compiled::{
    ActionPattern, CompiledPolicy, PrincipalMatch, PrincipalMatcher, RequestAction, ResourceMatcher,
};
use crate::condition::ConditionTest;
use crate::document::Effect;
use crate::evaluate::StatementParts;
use crate::request::{Principal, Request};

/// A caller's identity policies compiled together for fast evaluation.
/// Immutable; share it with `Arc`. Build it once per principal (when its
/// policies change) and pass it as [`crate::PolicySet::identity_bundle`].
#[derive(Clone, Debug)]
pub struct PolicyBundle {
    /// The first [`INLINE_SERVICES`] entries of `services`, held in the
    /// bundle itself so that the lookup reads no other memory.
    inline_hashes: [u64; INLINE_SERVICES],
    inline_spans: [Span; INLINE_SERVICES],
    /// Service prefix hash → the patterns with that prefix (a span of
    /// `patterns`, which holds each service's patterns together), sorted
    /// by hash; read only when there are more than [`INLINE_SERVICES`].
    services: Box<[(u64, Span)]>,
    /// Patterns without a literal service prefix (`*`, `*:List*`), a span
    /// of `patterns` (its start).
    always: Span,
    /// Whether every statement fits one word of a bit set: patterns then
    /// name their statements by [`BundlePattern::mask`].
    small: bool,
    patterns: Box<[BundlePattern]>,
    /// The index lists: pattern ids for `services`, `always` and `NotAction`
    /// statements, statement ids for patterns.
    ids: Box<[u32]>,
    statements: Box<[BundleStatement]>,
    conditions: Box<[ConditionTest]>,
    /// Statements written with `NotAction`, ascending.
    not_action: Box<[u32]>,
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

/// Service prefixes whose index entries the bundle holds inline.
const INLINE_SERVICES: usize = 8;

#[derive(Clone, Debug)]
struct BundleStatement {
    effect: Effect,
    /// The policy (in [`PolicyBundle::policies`]) and the statement's
    /// position in it.
    policy: u32,
    index: u32,
    /// For `NotAction`, its patterns (a span of `ids`).
    not_action: Span,
    conditions: Span,
    resources: Option<ResourceMatcher>,
    principal: Option<Box<PrincipalMatcher>>,
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

/// Loads `value` for certain (so the cache line holding it is fetched),
/// without using it.
fn touch(value: Option<u64>) {
    std::hint::black_box(value);
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
        let mut conditions: Vec<ConditionTest> = Vec::new();
        let mut not_action = Vec::new();
        for (policy_at, policy) in policies.iter().enumerate() {
            for (index, statement) in policy.statements().iter().enumerate() {
                let id = to_u32(statements.len());
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
                conditions.extend(statement.conditions.iter().cloned());
                statements.push(BundleStatement {
                    effect: statement.effect,
                    policy: to_u32(policy_at),
                    index: to_u32(index),
                    not_action: Span::default(),
                    conditions: Span {
                        start,
                        len: to_u32(statement.conditions.len()),
                    },
                    resources: statement.resources.clone(),
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
        let patterns = order
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
        let mut inline_hashes = [0u64; INLINE_SERVICES];
        let mut inline_spans = [Span::default(); INLINE_SERVICES];
        for ((hash, span), (h, s)) in services
            .iter()
            .zip(inline_hashes.iter_mut().zip(inline_spans.iter_mut()))
        {
            *h = *hash;
            *s = *span;
        }
        PolicyBundle {
            inline_hashes,
            inline_spans,
            services,
            always,
            small,
            patterns,
            ids: ids.into_boxed_slice(),
            statements: statements.into_boxed_slice(),
            conditions: conditions.into_boxed_slice(),
            not_action: not_action.into_boxed_slice(),
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
    /// `patterns`).
    fn service_span(&self, hash: u64) -> Span {
        if self.services.len() <= INLINE_SERVICES {
            let len = self.services.len();
            return self
                .inline_hashes
                .iter()
                .take(len)
                .position(|h| *h == hash)
                .and_then(|at| self.inline_spans.get(at))
                .copied()
                .unwrap_or_default();
        }
        match self.services.binary_search_by_key(&hash, |(h, _)| *h) {
            Ok(at) => self.services.get(at).map_or(Span::default(), |(_, s)| *s),
            Err(_) => Span::default(),
        }
    }

    /// The number of statements across its policies.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
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
        // Across a population the bundle is seldom in cache. Reading the
        // start of each array now lets their cache misses overlap instead of
        // coming one after the other as the decision reaches each.
        let action = RequestAction::of(request);
        let hash = request.service_hash();
        let specific = self.service_span(hash);
        // Across a population the bundle is seldom in cache. Reading the
        // patterns to test and the start of the other arrays now lets their
        // cache misses overlap instead of coming one after the other as
        // the decision reaches each.
        touch(Span::of(&self.patterns, specific).first().map(|p| p.mask));
        touch(
            Span::of(&self.patterns, self.always)
                .first()
                .map(|p| p.mask),
        );
        touch(self.statements.first().map(|s| u64::from(s.policy)));
        touch(
            self.conditions
                .first()
                .map(|c| u64::from(c.operator.negated)),
        );
        let mut candidates = Bits::new(self.statements.len());
        let track = !self.not_action.is_empty();
        let mut matched = Bits::new(if track { self.patterns.len() } else { 0 });
        let mut mask = 0u64;
        for span in [self.always, specific] {
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
            *word |= mask;
        }
        for &s in self.not_action.iter() {
            let Some(statement) = self.statements.get(s as usize) else {
                continue;
            };
            let excluded = Span::of(&self.ids, statement.not_action)
                .iter()
                .any(|&p| matched.get(p));
            if !excluded {
                candidates.set(s);
            }
        }
        // The same for the statements to check, each likely on its own
        // cache line.
        candidates.for_each(|s| {
            touch(self.statements.get(s as usize).map(|s| {
                let first = Span::of(&self.conditions, s.conditions).first();
                u64::from(s.policy) ^ first.map_or(0, |c| u64::from(c.operator.if_exists))
            }));
        });
        // And what those statements' conditions point at.
        candidates.for_each(|s| {
            if let Some(statement) = self.statements.get(s as usize) {
                for c in Span::of(&self.conditions, statement.conditions) {
                    touch(Some(c.touch()));
                }
            }
        });
        candidates.for_each(|s| {
            let Some(statement) = self.statements.get(s as usize) else {
                return;
            };
            let Some(policy) = self.policies.get(statement.policy as usize) else {
                return;
            };
            let parts = StatementParts {
                effect: statement.effect,
                principal: statement.principal.as_deref(),
                resources: statement.resources.as_ref(),
                conditions: Span::of(&self.conditions, statement.conditions),
            };
            if let Some(naming) = parts.applies(request, principal, has_boundary) {
                visit(policy, statement.index as usize, statement.effect, naming);
            }
        });
    }
}
