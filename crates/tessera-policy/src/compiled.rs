//! Compiled policies: everything that can be decided once is decided at
//! compile time, so evaluation only compares.
//!
//! - actions are lowercased and split into service prefix and name, and each
//!   policy keeps an index from service prefix to the statements that can
//!   match it (statements with `*`, a wildcard prefix or `NotAction` are
//!   always candidates);
//! - resources, condition strings and ARNs are pre-split glob patterns;
//! - numbers, dates and CIDR ranges are parsed;
//! - principals are normalised (`123456789012` and `…:root` are the same
//!   account).

use crate::arn::{is_account_id, Arn};
use crate::condition::ConditionTest;
use crate::diagnostics::{PolicyKind, ValidationConfig, ValidationReport};
use crate::document::{analyze, Document, Effect, LanguageVersion, PrincipalModel, StatementModel};
use crate::pattern::{Case, Pattern, Wildcards};
use crate::request::{service_hash, Principal, PrincipalKind, Request};
use crate::work::MatchWork;

/// A validated, compiled policy, ready to evaluate. Immutable; share it
/// with `Arc` across threads.
#[derive(Clone, Debug)]
// The fields evaluation reads come first, in declaration order, so they
// share the first cache lines of the allocation.
#[repr(C)]
pub struct CompiledPolicy {
    statements: Box<[CompiledStatement]>,
    index: ActionIndex,
    name: Box<str>,
    kind: PolicyKind,
    version: LanguageVersion,
    id: Option<Box<str>>,
    report: ValidationReport,
    /// What evaluating it can cost, for [`PolicySet::work_bound`](crate::PolicySet::work_bound).
    work: MatchWork,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledStatement {
    pub(crate) sid: Option<Box<str>>,
    pub(crate) effect: Effect,
    /// Boxed: most statements have none, and a smaller statement keeps
    /// more of a policy in each cache line.
    pub(crate) principal: Option<Box<PrincipalMatcher>>,
    pub(crate) actions: ActionMatcher,
    pub(crate) resources: Option<ResourceMatcher>,
    pub(crate) conditions: Box<[ConditionTest]>,
}

#[derive(Clone, Debug)]
pub(crate) struct ActionMatcher {
    negated: bool,
    patterns: Few<ActionPattern>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ActionPattern {
    Any,
    /// A literal service prefix and a pattern for the action name.
    Service {
        /// Hash of `service`, compared before the text.
        hash: u64,
        /// The whole action (`service:name`) as one pattern: for a request
        /// action with a colon, matching it is the same as comparing the
        /// service and matching the name (the service has no colon), and
        /// it follows one pointer instead of three.
        whole: Pattern,
        service: Box<str>,
        /// Whether the name pattern matches the empty name, which is what a
        /// request action without a colon has.
        name_matches_empty: bool,
    },
    /// `*:` and a name pattern without a colon (`*:List*`): any service.
    /// For a request action with exactly one colon it matches when `name`
    /// matches the part after that colon, since the pattern's colon can
    /// only be that one; any other action is matched by `whole`.
    AnyService {
        name: Pattern,
        whole: Pattern,
    },
    /// A wildcard inside the service prefix: match the whole action.
    Whole(Pattern),
}

#[derive(Clone, Debug)]
pub(crate) struct ResourceMatcher {
    negated: bool,
    any: bool,
    patterns: Few<Pattern>,
}

/// How a `Principal` entry named the caller, weakest first. The kind of
/// naming decides which other policies still apply (the same-account table
/// in reference_policies_evaluation-logic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalMatch {
    /// Not named.
    None,
    /// Named through its account (`123456789012` or `…:root`).
    Account,
    /// Named through the role of a role session, or the IAM user behind a
    /// federated-user session: boundary and session policies still apply.
    Parent,
    /// Named directly: the user, the session, the service, the provider,
    /// or `*`.
    Direct,
}

#[derive(Clone, Debug)]
pub(crate) struct PrincipalMatcher {
    pub(crate) negated: bool,
    wildcard: bool,
    accounts: Box<[Box<str>]>,
    arns: Box<[Box<str>]>,
    services: Box<[Box<str>]>,
    federated: Box<[Box<str>]>,
    canonical: Box<[Box<str>]>,
}

/// The statements (by index) that can match one service prefix, keyed by
/// the prefix's hash (then the prefix itself, to rule out collisions).
type ServiceEntry = (u64, Box<str>, Box<[u32]>);

/// Statement candidates per service prefix.
#[derive(Clone, Debug, Default)]
#[repr(C)]
struct ActionIndex {
    /// For a policy of at most 64 statements naming at most
    /// [`MASK_SERVICES`] service prefixes (then the two lists below are
    /// left empty): the same index as bit sets, held in the policy itself,
    /// so a lookup reads no other memory, no list and no name. Without the
    /// name check a service whose hash collides only adds candidates, which
    /// the action matcher then rejects.
    masks: Option<MaskIndex>,
    /// Sorted by service prefix.
    by_service: Box<[ServiceEntry]>,
    /// Statements that can match any service, ascending.
    always: Box<[u32]>,
}

/// Service prefixes a [`MaskIndex`] holds.
const MASK_SERVICES: usize = 8;

/// [`ActionIndex`] as bit sets of statement indices.
#[derive(Clone, Debug, Default)]
#[repr(C)]
struct MaskIndex {
    /// Statements that can match any service.
    always: u64,
    /// Entries used in `hashes` and `bits`.
    len: usize,
    /// Service prefix hashes.
    hashes: [u64; MASK_SERVICES],
    /// The statements of the service prefix at the same position.
    bits: [u64; MASK_SERVICES],
}

/// A short list held inline: most statements list one or two actions and
/// resources, and keeping them inside the statement saves following a
/// pointer (a likely cache miss when the policies are not in cache).
#[derive(Clone, Debug)]
pub(crate) enum Few<T> {
    None,
    One(T),
    Two([T; 2]),
    Many(Box<[T]>),
}

impl<T> Few<T> {
    pub(crate) fn from_vec(mut items: Vec<T>) -> Few<T> {
        if items.len() == 1 {
            if let Some(item) = items.pop() {
                return Few::One(item);
            }
        }
        match <[T; 2]>::try_from(items) {
            Ok(two) => Few::Two(two),
            Err(items) if items.is_empty() => Few::None,
            Err(items) => Few::Many(items.into_boxed_slice()),
        }
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            Few::None => &[],
            Few::One(item) => std::slice::from_ref(item),
            Few::Two(items) => items,
            Few::Many(items) => items,
        }
    }
}

impl<T> std::ops::Deref for Few<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> FromIterator<T> for Few<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Few<T> {
        Few::from_vec(iter.into_iter().collect())
    }
}

/// A resolver with no values, for matching patterns without variables at
/// compile time.
struct NoValues;

impl crate::pattern::Resolve for NoValues {
    fn resolve(&self, _key: &str) -> Option<&str> {
        None
    }
}

/// Whether one statement applies to a request, and if not, what stopped it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatementOutcome {
    /// Every element matched: the statement applies.
    Applies,
    /// `Action`/`NotAction` excludes the request's action.
    ActionNotMatched,
    /// `Resource`/`NotResource` excludes the resource. A `Resource` entry
    /// whose variable has no value matches no resource.
    ResourceNotMatched,
    /// `Principal`/`NotPrincipal` excludes the caller.
    PrincipalNotMatched,
    /// A condition does not hold.
    ConditionFailed {
        /// The operator as written.
        operator: String,
        /// The condition key as written.
        key: String,
    },
}

/// A policy could not be compiled: its validation report has errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The findings, errors included.
    pub report: ValidationReport,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.report.errors().next() {
            Some(d) => write!(f, "{d}"),
            None => f.write_str("the policy is not valid"),
        }
    }
}

impl std::error::Error for CompileError {}

/// Validates `text` as a policy of the configured kind, without compiling.
pub fn validate(text: &str, config: &ValidationConfig) -> ValidationReport {
    analyze(text, config).1
}

impl CompiledPolicy {
    /// Validates and compiles `text`. `name` (a policy name or ARN) is what
    /// traces and explanations show. Fails when validation finds an error;
    /// warnings are kept in [`CompiledPolicy::report`].
    pub fn compile(
        name: &str,
        text: &str,
        config: &ValidationConfig,
    ) -> Result<CompiledPolicy, CompileError> {
        let (document, report) = analyze(text, config);
        match document {
            Some(document) if !report.has_errors() => Ok(CompiledPolicy::from_document(
                name,
                config.kind,
                document,
                report,
            )),
            _ => Err(CompileError { report }),
        }
    }

    /// [`CompiledPolicy::compile`] with the default configuration for `kind`.
    pub fn compile_kind(
        name: &str,
        text: &str,
        kind: PolicyKind,
    ) -> Result<CompiledPolicy, CompileError> {
        CompiledPolicy::compile(name, text, &ValidationConfig::for_kind(kind))
    }

    fn from_document(
        name: &str,
        kind: PolicyKind,
        document: Document,
        report: ValidationReport,
    ) -> CompiledPolicy {
        let variables = document.version.supports_variables();
        let statements: Box<[CompiledStatement]> = document
            .statements
            .into_iter()
            .map(|s| compile_statement(s, variables))
            .collect();
        let index = build_index(&statements);
        let work = MatchWork::of(&statements);
        CompiledPolicy {
            name: name.into(),
            kind,
            version: document.version,
            id: document.id.map(String::into_boxed_str),
            statements,
            index,
            report,
            work,
        }
    }

    /// What evaluating this policy can cost.
    pub(crate) fn match_work(&self) -> MatchWork {
        self.work
    }

    /// The name or ARN given at compile time.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kind the policy was validated as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The policy language version.
    pub fn version(&self) -> LanguageVersion {
        self.version
    }

    /// The document's `Id`, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The validation findings (warnings only, since it compiled).
    pub fn report(&self) -> &ValidationReport {
        &self.report
    }

    /// The number of statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// The Sid of statement `index`, if it has one.
    pub fn sid(&self, index: usize) -> Option<&str> {
        self.statements.get(index).and_then(|s| s.sid.as_deref())
    }

    /// The effect of statement `index`.
    pub fn effect(&self, index: usize) -> Option<Effect> {
        self.statements.get(index).map(|s| s.effect)
    }

    /// Why statement `index` does or does not apply to `request`: the
    /// first element that fails, checked in the order action, resource,
    /// principal, conditions. `None` when there is no such statement.
    /// `has_boundary` says whether the caller has a permissions boundary
    /// (it changes how `NotPrincipal` applies).
    pub fn check_statement(
        &self,
        index: usize,
        request: &Request,
        has_boundary: bool,
    ) -> Option<StatementOutcome> {
        let statement = self.statements.get(index)?;
        if !statement.actions.matches(request) {
            return Some(StatementOutcome::ActionNotMatched);
        }
        if let Some(resources) = &statement.resources {
            if !resources.admits(request) {
                return Some(StatementOutcome::ResourceNotMatched);
            }
        }
        if let Some(p) = &statement.principal {
            let applies = if p.negated {
                (has_boundary && statement.effect == Effect::Deny)
                    || p.not_principal_applies(request.principal())
            } else {
                p.naming(request.principal()) != PrincipalMatch::None
            };
            if !applies {
                return Some(StatementOutcome::PrincipalNotMatched);
            }
        }
        for c in statement.conditions.iter() {
            if !c.holds(request) {
                return Some(StatementOutcome::ConditionFailed {
                    operator: c.operator_name.to_string(),
                    key: c.key.to_string(),
                });
            }
        }
        Some(StatementOutcome::Applies)
    }

    pub(crate) fn statements(&self) -> &[CompiledStatement] {
        &self.statements
    }

    pub(crate) fn statement(&self, index: u32) -> Option<&CompiledStatement> {
        self.statements.get(index as usize)
    }

    /// Calls `visit` with the index of every statement whose actions could
    /// match `request`, in statement order.
    pub(crate) fn for_each_candidate(&self, request: &Request, mut visit: impl FnMut(u32)) {
        let hash = request.service_hash();
        if let Some(masks) = &self.index.masks {
            let specific = masks
                .hashes
                .iter()
                .take(masks.len)
                .position(|h| *h == hash)
                .and_then(|at| masks.bits.get(at))
                .map_or(0, |bits| *bits);
            let mut bits = specific | masks.always;
            while bits != 0 {
                visit(bits.trailing_zeros());
                bits &= bits - 1;
            }
            return;
        }
        let action = request.action_lower();
        let service = action.split_once(':').map_or(action, |(s, _)| s);
        let specific: &[u32] = match self
            .index
            .by_service
            .binary_search_by(|(h, _, _)| h.cmp(&hash))
        {
            Ok(at) => match self.index.by_service.get(at) {
                Some((_, name, list)) if **name == *service => list,
                _ => &[],
            },
            Err(_) => &[],
        };
        let always = &self.index.always;
        let (mut i, mut j) = (0, 0);
        loop {
            match (specific.get(i), always.get(j)) {
                (Some(&a), Some(&b)) => {
                    if a <= b {
                        visit(a);
                        i += 1;
                        if a == b {
                            j += 1;
                        }
                    } else {
                        visit(b);
                        j += 1;
                    }
                }
                (Some(&a), None) => {
                    visit(a);
                    i += 1;
                }
                (None, Some(&b)) => {
                    visit(b);
                    j += 1;
                }
                (None, None) => break,
            }
        }
    }
}

fn compile_statement(s: StatementModel, variables: bool) -> CompiledStatement {
    let patterns = s.actions.iter().map(|a| compile_action(a)).collect();
    let resources = s.resources.map(|rs| {
        let patterns: Few<Pattern> = rs
            .iter()
            .map(|r| Pattern::parse(r, Wildcards::Glob, variables))
            .collect();
        let any = patterns.as_slice().iter().any(Pattern::matches_everything);
        ResourceMatcher {
            negated: s.not_resource,
            any,
            patterns,
        }
    });
    CompiledStatement {
        sid: s.sid.map(String::into_boxed_str),
        effect: s.effect,
        principal: s
            .principal
            .map(|p| Box::new(compile_principal(p, s.not_principal))),
        actions: ActionMatcher {
            negated: s.not_action,
            patterns,
        },
        resources,
        conditions: s.conditions.into_boxed_slice(),
    }
}

fn compile_action(action: &str) -> ActionPattern {
    let lower = action.to_ascii_lowercase();
    if lower == "*" {
        return ActionPattern::Any;
    }
    match lower.split_once(':') {
        Some((service, name)) if !service.contains(['*', '?']) => ActionPattern::Service {
            hash: service_hash(service),
            whole: Pattern::parse(&lower, Wildcards::Glob, false),
            service: service.into(),
            name_matches_empty: Pattern::parse(name, Wildcards::Glob, false).matches(
                "",
                Case::Sensitive,
                &NoValues,
            ),
        },
        Some(("*", name)) if !name.contains(':') => ActionPattern::AnyService {
            name: Pattern::parse(name, Wildcards::Glob, false),
            whole: Pattern::parse(&lower, Wildcards::Glob, false),
        },
        _ => ActionPattern::Whole(Pattern::parse(&lower, Wildcards::Glob, false)),
    }
}

fn compile_principal(p: PrincipalModel, negated: bool) -> PrincipalMatcher {
    let mut accounts = Vec::new();
    let mut arns = Vec::new();
    for entry in p.aws {
        if is_account_id(&entry) {
            accounts.push(entry.into_boxed_str());
        } else if let Some(arn) =
            Arn::parse(&entry).filter(|a| a.service == "iam" && a.resource == "root")
        {
            accounts.push(arn.account.into());
        } else {
            arns.push(entry.into_boxed_str());
        }
    }
    let boxed = |v: Vec<String>| {
        v.into_iter()
            .map(String::into_boxed_str)
            .collect::<Box<[_]>>()
    };
    PrincipalMatcher {
        negated,
        wildcard: p.wildcard,
        accounts: accounts.into_boxed_slice(),
        arns: arns.into_boxed_slice(),
        services: boxed(p.service),
        federated: boxed(p.federated),
        canonical: boxed(p.canonical),
    }
}

fn build_index(statements: &[CompiledStatement]) -> ActionIndex {
    let mut by_service: Vec<(Box<str>, Vec<u32>)> = Vec::new();
    let mut always = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let services: Option<Vec<&str>> = if s.actions.negated {
            None
        } else {
            s.actions
                .patterns
                .as_slice()
                .iter()
                .map(|p| match p {
                    ActionPattern::Service { service, .. } => Some(&**service),
                    _ => None,
                })
                .collect()
        };
        match services {
            Some(list) => {
                for service in list {
                    match by_service.iter_mut().find(|(s, _)| **s == *service) {
                        Some((_, ids)) => {
                            if ids.last() != Some(&i) {
                                ids.push(i);
                            }
                        }
                        None => by_service.push((service.into(), vec![i])),
                    }
                }
            }
            None => always.push(i),
        }
    }
    let mut keyed: Vec<ServiceEntry> = by_service
        .into_iter()
        .map(|(s, ids)| (service_hash(&s), s, ids.into_boxed_slice()))
        .collect();
    keyed.sort_by_key(|entry| entry.0);
    // Two prefixes sharing a hash would make lookups ambiguous: then every
    // statement is a candidate, which is slower but still exact.
    let index = if keyed.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
        let every: Box<[u32]> = (0..u32::try_from(statements.len()).unwrap_or(u32::MAX)).collect();
        ActionIndex {
            by_service: Box::new([]),
            always: every,
            masks: None,
        }
    } else {
        ActionIndex {
            by_service: keyed.into_boxed_slice(),
            always: always.into_boxed_slice(),
            masks: None,
        }
    };
    if statements.len() > 64 || index.by_service.len() > MASK_SERVICES {
        return index;
    }
    let mask = |ids: &[u32]| {
        ids.iter()
            .fold(0u64, |bits, &i| bits | 1u64.checked_shl(i).unwrap_or(0))
    };
    let mut masks = MaskIndex {
        always: mask(&index.always),
        len: index.by_service.len(),
        ..MaskIndex::default()
    };
    for ((hash, _, ids), (h, bits)) in index
        .by_service
        .iter()
        .zip(masks.hashes.iter_mut().zip(masks.bits.iter_mut()))
    {
        *h = *hash;
        *bits = mask(ids);
    }
    ActionIndex {
        masks: Some(masks),
        by_service: Box::new([]),
        always: Box::new([]),
    }
}

impl ActionMatcher {
    pub(crate) fn matches(&self, request: &Request) -> bool {
        let action = RequestAction::of(request);
        let any = self
            .patterns
            .as_slice()
            .iter()
            .any(|p| p.matches(&action, request));
        any != self.negated
    }

    /// True for `NotAction`.
    pub(crate) fn negated(&self) -> bool {
        self.negated
    }

    /// The patterns, in the order written.
    pub(crate) fn patterns(&self) -> &[ActionPattern] {
        self.patterns.as_slice()
    }
}

/// The request's action as action patterns read it, worked out once per
/// decision.
pub(crate) struct RequestAction<'r> {
    lower: &'r str,
    has_colon: bool,
    /// The part after the colon, when the action has exactly one.
    name: Option<&'r str>,
    hash: u64,
}

impl<'r> RequestAction<'r> {
    pub(crate) fn of(request: &'r Request) -> RequestAction<'r> {
        let lower = request.action_lower();
        let name = request.action_name_at().and_then(|at| lower.get(at..));
        RequestAction {
            lower,
            has_colon: name.is_some() || lower.contains(':'),
            name,
            hash: request.service_hash(),
        }
    }
}

impl ActionPattern {
    /// The hash of the literal service prefix, when the pattern has one:
    /// it then matches only actions of that prefix.
    pub(crate) fn service_hash(&self) -> Option<u64> {
        match self {
            ActionPattern::Service { hash, .. } => Some(*hash),
            ActionPattern::Any | ActionPattern::AnyService { .. } | ActionPattern::Whole(_) => None,
        }
    }

    pub(crate) fn matches(&self, action: &RequestAction<'_>, request: &Request) -> bool {
        match self {
            ActionPattern::Any => true,
            ActionPattern::Service {
                hash,
                whole,
                service,
                name_matches_empty,
            } => {
                *hash == action.hash
                    && if action.has_colon {
                        whole.matches(action.lower, Case::Sensitive, request)
                    } else {
                        *name_matches_empty && **service == *action.lower
                    }
            }
            ActionPattern::AnyService { name, whole } => match action.name {
                Some(n) => name.matches(n, Case::Sensitive, request),
                None => whole.matches(action.lower, Case::Sensitive, request),
            },
            ActionPattern::Whole(p) => p.matches(action.lower, Case::Sensitive, request),
        }
    }
}

impl ResourceMatcher {
    /// The patterns, in the order written.
    pub(crate) fn patterns(&self) -> &[Pattern] {
        self.patterns.as_slice()
    }

    /// True for `NotResource`.
    pub(crate) fn negated(&self) -> bool {
        self.negated
    }

    /// True for `Resource: "*"` (or `NotResource: "*"`): no pattern is read.
    pub(crate) fn any(&self) -> bool {
        self.any
    }

    /// Whether the statement's Resource/NotResource admits the request.
    /// An entry with a variable the request has no value for "will not
    /// match any resource" (reference_policies_variables, "Policy variables
    /// with no value"), one rule for every resource: under `Resource` that
    /// entry grants nothing, under `NotResource` it excludes nothing, so the
    /// statement applies to every resource no other entry excludes.
    pub(crate) fn admits(&self, request: &Request) -> bool {
        if self.any {
            return !self.negated;
        }
        let resource = request.resource();
        let matched = self
            .patterns
            .as_slice()
            .iter()
            .any(|p| p.matches(resource, Case::Sensitive, request));
        matched != self.negated
    }
}

impl PrincipalMatcher {
    /// How the entries name `principal`.
    pub(crate) fn naming(&self, principal: &Principal) -> PrincipalMatch {
        if self.wildcard {
            return PrincipalMatch::Direct;
        }
        let arn = principal.arn();
        let contains = |list: &[Box<str>], value: Option<&str>| {
            value.is_some_and(|v| list.iter().any(|e| **e == *v))
        };
        match principal.kind() {
            PrincipalKind::Service => {
                return if contains(&self.services, principal.service_name()) {
                    PrincipalMatch::Direct
                } else {
                    PrincipalMatch::None
                };
            }
            PrincipalKind::IdentityProvider => {
                return if contains(&self.federated, principal.provider()) {
                    PrincipalMatch::Direct
                } else {
                    PrincipalMatch::None
                };
            }
            PrincipalKind::Anonymous => return PrincipalMatch::None,
            _ => {}
        }
        if contains(&self.arns, Some(arn)) || contains(&self.canonical, principal.canonical_user())
        {
            return PrincipalMatch::Direct;
        }
        if contains(&self.arns, principal.parent_arn()) {
            return PrincipalMatch::Parent;
        }
        if contains(&self.accounts, principal.account()) {
            // The root user is its account: naming the account names it.
            return if principal.kind() == PrincipalKind::Root {
                PrincipalMatch::Direct
            } else {
                PrincipalMatch::Account
            };
        }
        PrincipalMatch::None
    }

    /// Whether a `NotPrincipal` statement applies: AWS checks the account,
    /// then the role, then the session (reference_policies_elements_notprincipal),
    /// so it applies unless *every* one of them is listed.
    pub(crate) fn not_principal_applies(&self, principal: &Principal) -> bool {
        if self.wildcard {
            return false;
        }
        let listed = |list: &[Box<str>], value: Option<&str>| {
            value.is_some_and(|v| list.iter().any(|e| **e == *v))
        };
        match principal.kind() {
            PrincipalKind::Service => !listed(&self.services, principal.service_name()),
            PrincipalKind::IdentityProvider => !listed(&self.federated, principal.provider()),
            PrincipalKind::Anonymous => true,
            PrincipalKind::Root => !listed(&self.accounts, principal.account()),
            _ => {
                let account_listed = listed(&self.accounts, principal.account());
                let parent_listed =
                    principal.parent_arn().is_none() || listed(&self.arns, principal.parent_arn());
                let self_listed = listed(&self.arns, Some(principal.arn()))
                    || listed(&self.canonical, principal.canonical_user());
                !(account_listed && parent_listed && self_listed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{evaluate, Decision, PolicySet};
    use std::sync::Arc;

    #[test]
    fn few_keeps_every_item_in_order() {
        for n in 0..5usize {
            let few: Few<usize> = (0..n).collect();
            assert_eq!(few.as_slice(), (0..n).collect::<Vec<_>>().as_slice());
        }
    }

    fn decide(statements: &[String], action: &str, resource: &str) -> Decision {
        let text = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
            statements.join(",")
        );
        let policy = Arc::new(
            CompiledPolicy::compile_kind("t", &text, PolicyKind::Identity).expect("valid"),
        );
        let identity = [policy];
        let set = PolicySet {
            identity: &identity,
            ..PolicySet::default()
        };
        let principal = Principal::from_arn("arn:aws:iam::123456789012:user/u").expect("valid");
        evaluate(&set, &Request::new(principal, action, resource)).decision()
    }

    /// `*:List*` is tested on the action's name when the action has
    /// exactly one colon, and whole otherwise: either way the answer is the
    /// glob's over the whole action.
    #[test]
    fn any_service_pattern_answers_as_its_glob_over_the_whole_action() {
        let statement = r#"{"Effect": "Allow", "Action": "*:List*", "Resource": "*"}"#;
        for action in [
            "s3:ListBucket",
            "s3:GetObject",
            "ListBucket",
            "a:b:ListX",
            "a:ListX:b",
            "a:GetX:b",
            "s3:",
            ":List",
            "S3:LISTBUCKET",
        ] {
            let glob = Pattern::parse("*:list*", Wildcards::Glob, false).matches(
                &action.to_ascii_lowercase(),
                Case::Sensitive,
                &NoValues,
            );
            let expected = if glob {
                Decision::Allowed
            } else {
                Decision::ImplicitDeny
            };
            assert_eq!(
                decide(&[statement.into()], action, "*"),
                expected,
                "{action}"
            );
        }
    }

    /// The bit-set index covers at most 64 statements and 8 service
    /// prefixes; beyond either the lists are used. Both find the same
    /// candidates.
    #[test]
    fn large_policies_use_the_list_index_and_decide_alike() {
        let allow = |action: &str| {
            format!(r#"{{"Effect": "Allow", "Action": "{action}", "Resource": "*"}}"#)
        };
        let services: Vec<String> = (0..12).map(|i| allow(&format!("svc{i}:Get*"))).collect();
        let mut many: Vec<String> = (0..70).map(|_| allow("s3:ListBucket")).collect();
        many.push(allow("ec2:Describe*"));
        for statements in [&services[..8], &services[..], &many[..60], &many[..]] {
            let has_ec2 = statements.len() > 64;
            for (action, expected) in [
                ("svc0:GetThing", statements.len() < 60),
                ("svc7:GetThing", statements.len() < 60),
                ("s3:ListBucket", statements.len() >= 60),
                ("ec2:DescribeInstances", has_ec2),
                ("svc1:PutThing", false),
            ] {
                let want = if expected {
                    Decision::Allowed
                } else {
                    Decision::ImplicitDeny
                };
                assert_eq!(decide(statements, action, "*"), want, "{action}");
            }
        }
        assert_eq!(decide(&services, "svc11:GetThing", "*"), Decision::Allowed);
    }
}
