//! An upper bound on the work of one evaluation, worked out before it runs.
//!
//! Matching is linear in the text for every pattern (`pattern`), but a
//! request's policies may hold thousands of patterns and its context a
//! client's text of tens of kilobytes (a `User-Agent`), so one decision can
//! still cost far more than most. A server that decides on shared workers
//! reads [`PolicySet::work_bound`] first and decides a costly request
//! elsewhere. The bound never changes a decision: it only says how long
//! the decision may take.
//!
//! Each compiled policy carries its [`MatchWork`], summed at compile time
//! over every pattern it holds; per request only the longest text a pattern
//! can meet is measured, so the bound costs one pass over the context's
//! values plus a few operations per policy.

use crate::arn::ArnPattern;
use crate::compiled::{ActionPattern, CompiledStatement};
use crate::condition::Values;
use crate::evaluate::PolicySet;
use crate::pattern::MatchCost;
use crate::request::{ContextValue, Request};

/// Work units charged per statement, whatever its patterns: finding it,
/// testing its effect and principal, walking its conditions.
const STATEMENT_UNITS: u64 = 16;

/// Work units charged per condition value that is not text (a number, a
/// date, a CIDR range, a Boolean): a comparison of fixed cost.
const FIXED_VALUE_UNITS: u64 = 2;

/// What evaluating one policy can cost: its patterns' per-byte costs and
/// the fixed costs of its statements and non-text values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MatchWork {
    patterns: MatchCost,
    fixed: u64,
}

impl MatchWork {
    /// The work of a policy's statements.
    pub(crate) fn of(statements: &[CompiledStatement]) -> MatchWork {
        let mut work = MatchWork::default();
        for statement in statements {
            work.fixed = work.fixed.saturating_add(STATEMENT_UNITS);
            for action in statement.actions.patterns() {
                match action {
                    ActionPattern::Any => {}
                    ActionPattern::Service { whole, .. }
                    | ActionPattern::AnyService { whole, .. }
                    | ActionPattern::Whole(whole) => {
                        work.patterns = work.patterns.plus(whole.cost());
                    }
                }
            }
            if let Some(resources) = &statement.resources {
                for pattern in resources.patterns() {
                    work.patterns = work.patterns.plus(pattern.cost());
                }
            }
            for condition in &statement.conditions {
                work.add_values(&condition.values);
            }
        }
        work
    }

    fn add_values(&mut self, values: &Values) {
        let fixed = |count: usize| (count as u64).saturating_mul(FIXED_VALUE_UNITS);
        match values {
            Values::Strings(patterns) | Values::Bools(patterns) => {
                for pattern in patterns.iter() {
                    self.patterns = self.patterns.plus(pattern.cost());
                }
            }
            Values::Arns(patterns) => {
                for pattern in patterns.iter() {
                    match pattern {
                        ArnPattern::Components(components) => {
                            for component in components.iter() {
                                self.patterns = self.patterns.plus(component.cost());
                            }
                        }
                        ArnPattern::Anything | ArnPattern::Never => {
                            self.fixed = self.fixed.saturating_add(FIXED_VALUE_UNITS);
                        }
                    }
                }
            }
            Values::Numbers(v) => self.fixed = self.fixed.saturating_add(fixed(v.len())),
            Values::Dates(v) => self.fixed = self.fixed.saturating_add(fixed(v.len())),
            Values::Binary(v) => self.fixed = self.fixed.saturating_add(fixed(v.len())),
            Values::Cidrs(v) => self.fixed = self.fixed.saturating_add(fixed(v.len())),
            Values::Null(v) => self.fixed = self.fixed.saturating_add(fixed(v.len())),
        }
    }

    /// The work against a request whose longest text is `longest` bytes.
    fn against(self, longest: u64) -> u64 {
        self.patterns.against(longest).saturating_add(self.fixed)
    }
}

/// The longest text a pattern of the request's policies can be matched
/// against, in bytes: the action, the resource, or one context key's
/// values together (a multivalued key's values are each matched, so their
/// sum bounds the work). A policy variable's value is one of these too.
fn longest_text(request: &Request) -> u64 {
    let mut longest = request.action().len().max(request.resource().len());
    for (_, value) in request.context().iter() {
        let len = match value {
            ContextValue::Single(text) => text.len(),
            ContextValue::Multi(texts) => texts.iter().map(String::len).sum(),
        };
        longest = longest.max(len);
    }
    longest as u64
}

impl PolicySet<'_> {
    /// An upper bound on the work of evaluating `request` against these
    /// policies, in units of about a nanosecond on a current core
    /// (`BENCHMARKS.md`, "Hostile patterns"). It is loose by design — every
    /// pattern is charged as if matched against the request's longest
    /// text — and costs one pass over the request's context values plus a
    /// few operations per policy, so a caller can read it before every
    /// decision and decide the costly ones away from latency-sensitive
    /// threads. It never affects the decision.
    pub fn work_bound(&self, request: &Request) -> u64 {
        let longest = longest_text(request);
        let identity = match self.identity_bundle {
            Some(bundle) => bundle.policies(),
            None => self.identity,
        };
        identity
            .iter()
            .map(|p| &**p)
            .chain(self.permissions_boundary)
            .chain(self.session.iter().map(|p| &**p))
            .chain(self.resource)
            .chain(self.service_control.iter().flatten().map(|p| &**p))
            .chain(self.resource_control.iter().flatten().map(|p| &**p))
            .fold(0u64, |total, policy| {
                total.saturating_add(policy.match_work().against(longest))
            })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{evaluate, CompiledPolicy, Decision, PolicyKind, PolicySet, Principal, Request};

    fn policy(text: &str) -> Arc<CompiledPolicy> {
        Arc::new(CompiledPolicy::compile_kind("p", text, PolicyKind::Identity).expect("valid"))
    }

    fn agent_request(agent: &str) -> Request {
        let bob = Principal::from_arn("arn:aws:iam::123456789012:user/bob").expect("a user ARN");
        Request::new(bob, "iam:GetUser", "arn:aws:iam::123456789012:user/bob")
            .with_resource_account("123456789012")
            .with_context("aws:UserAgent", agent)
    }

    fn hostile_policy() -> Arc<CompiledPolicy> {
        let pattern = format!("*{}b*", "a?".repeat(900));
        policy(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*",
              "Condition":{{"StringLike":{{"aws:UserAgent":"{pattern}"}}}}}}]}}"#
        ))
    }

    #[test]
    fn an_ordinary_policy_and_request_are_cheap() {
        let ordinary = policy(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":["iam:Get*","iam:List*","s3:*"],"Resource":"arn:aws:iam::*:user/${aws:username}"},
                {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:UserAgent":"*curl*"}}},
                {"Effect":"Allow","Action":"sts:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#,
        );
        let identity = [ordinary];
        let set = PolicySet {
            identity: &identity,
            ..PolicySet::default()
        };
        let request = agent_request(&"x".repeat(200)).with_context("aws:username", "bob");
        assert!(
            set.work_bound(&request) < 10_000,
            "{}",
            set.work_bound(&request)
        );
    }

    #[test]
    fn the_bound_grows_with_the_patterns_and_the_text() {
        let identity = [hostile_policy()];
        let set = PolicySet {
            identity: &identity,
            ..PolicySet::default()
        };
        let short = set.work_bound(&agent_request(&"a".repeat(1_000)));
        let long = set.work_bound(&agent_request(&"a".repeat(60_000)));
        assert!(long >= short * 59, "{short} {long}");
        assert!(long > 1_000_000, "{long}");
        let twice = [hostile_policy(), hostile_policy()];
        let both = PolicySet {
            identity: &twice,
            ..PolicySet::default()
        };
        assert!(both.work_bound(&agent_request(&"a".repeat(60_000))) >= 2 * long);
    }

    #[test]
    fn the_bound_is_read_without_changing_the_decision() {
        let identity = [hostile_policy()];
        let set = PolicySet {
            identity: &identity,
            ..PolicySet::default()
        };
        let request = agent_request(&format!("{}b", "a".repeat(3_000)));
        let before = evaluate(&set, &request).decision();
        assert!(set.work_bound(&request) > 0);
        assert_eq!(evaluate(&set, &request).decision(), before);
        assert_eq!(before, Decision::Allowed);
    }
}
