//! The request being authorized: who asks (the principal), for what action,
//! on which resource, and the context keys that conditions read.
//!
//! The current time is a context key (`aws:CurrentTime`, `aws:EpochTime`)
//! supplied by the caller; the engine never reads a clock.

use crate::arn::{is_account_id, Arn};
use crate::evaluate::ResourcePolicyKind;
use crate::pattern::Resolve;
use std::fmt;

/// What kind of caller a principal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The account root user (`arn:aws:iam::ACCOUNT:root`).
    Root,
    /// An IAM user.
    User,
    /// A role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
    RoleSession,
    /// A federated-user session from `GetFederationToken`
    /// (`arn:aws:sts::ACCOUNT:federated-user/NAME`).
    FederatedUser,
    /// An AWS service principal such as `lambda.amazonaws.com`.
    Service,
    /// A web-identity or SAML identity provider calling
    /// `AssumeRoleWithWebIdentity` / `AssumeRoleWithSAML`.
    IdentityProvider,
    /// An unauthenticated caller.
    Anonymous,
}

impl PrincipalKind {
    /// The value of `aws:PrincipalType` for this kind, when it has one.
    pub fn principal_type(&self) -> Option<&'static str> {
        match self {
            PrincipalKind::Root => Some("Account"),
            PrincipalKind::User => Some("User"),
            PrincipalKind::RoleSession => Some("AssumedRole"),
            PrincipalKind::FederatedUser => Some("FederatedUser"),
            PrincipalKind::Anonymous => Some("Anonymous"),
            PrincipalKind::Service | PrincipalKind::IdentityProvider => None,
        }
    }

    /// True for principals that belong to an account and are governed by
    /// its identity policies and SCPs.
    pub fn is_account_principal(&self) -> bool {
        matches!(
            self,
            PrincipalKind::Root
                | PrincipalKind::User
                | PrincipalKind::RoleSession
                | PrincipalKind::FederatedUser
        )
    }
}

/// A request could not be described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError {
    message: String,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RequestError {}

fn request_error(message: String) -> RequestError {
    RequestError { message }
}

/// Who makes the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    kind: PrincipalKind,
    /// The caller's own ARN (session ARN for sessions); empty for anonymous.
    arn: String,
    account: Option<String>,
    /// The role of a role session, or the IAM user behind a federated-user
    /// session: naming it in a resource policy grants through the identity.
    parent_arn: Option<String>,
    user_id: Option<String>,
    user_name: Option<String>,
    service: Option<String>,
    provider: Option<String>,
    canonical_user: Option<String>,
    tags: Vec<(String, String)>,
}

impl Principal {
    fn bare(kind: PrincipalKind, arn: String, account: Option<String>) -> Principal {
        Principal {
            kind,
            arn,
            account,
            parent_arn: None,
            user_id: None,
            user_name: None,
            service: None,
            provider: None,
            canonical_user: None,
            tags: Vec::new(),
        }
    }

    /// Describes a principal from its ARN: `…:root`, `…:user/…`,
    /// `…:assumed-role/ROLE/SESSION` or `…:federated-user/NAME`. A role ARN
    /// is refused: a role acts only through a session.
    pub fn from_arn(arn: &str) -> Result<Principal, RequestError> {
        let parsed = Arn::parse(arn)
            .ok_or_else(|| request_error(format!("principal `{arn}` is not an ARN")))?;
        if !is_account_id(parsed.account) {
            return Err(request_error(format!(
                "principal `{arn}` has no 12-digit account id"
            )));
        }
        let account = parsed.account.to_string();
        match (parsed.service, parsed.resource) {
            ("iam", "root") => Ok(Principal::bare(PrincipalKind::Root, arn.to_string(), Some(account.clone())).with_user_id(&account)),
            ("iam", r) if r.starts_with("user/") => {
                let name = r.rsplit('/').next().unwrap_or(r).to_string();
                let mut p = Principal::bare(PrincipalKind::User, arn.to_string(), Some(account));
                p.user_name = Some(name);
                Ok(p)
            }
            ("sts", r) if r.starts_with("assumed-role/") => {
                let mut parts = r.splitn(3, '/');
                let _ = parts.next();
                let (Some(role), Some(session)) = (parts.next(), parts.next()) else {
                    return Err(request_error(format!("assumed-role ARN `{arn}` needs a role name and a session name")));
                };
                let mut p = Principal::bare(PrincipalKind::RoleSession, arn.to_string(), Some(account.clone()));
                p.parent_arn = Some(format!("arn:{}:iam::{account}:role/{role}", parsed.partition));
                let _ = session;
                Ok(p)
            }
            ("sts", r) if r.starts_with("federated-user/") => {
                Ok(Principal::bare(PrincipalKind::FederatedUser, arn.to_string(), Some(account.clone())))
            }
            ("iam", r) if r.starts_with("role/") => Err(request_error(format!(
                "principal `{arn}` is a role; a role acts through a session: use arn:{}:sts::{}:assumed-role/ROLE/SESSION",
                parsed.partition, parsed.account
            ))),
            _ => Err(request_error(format!("principal `{arn}` is not a root, user, assumed-role or federated-user ARN"))),
        }
    }

    /// A session of `role_arn` (which may carry a path) named `session_name`.
    pub fn role_session(role_arn: &str, session_name: &str) -> Result<Principal, RequestError> {
        let parsed = Arn::parse(role_arn)
            .ok_or_else(|| request_error(format!("role `{role_arn}` is not an ARN")))?;
        let Some(path_and_name) = parsed.resource.strip_prefix("role/") else {
            return Err(request_error(format!("`{role_arn}` is not a role ARN")));
        };
        if !is_account_id(parsed.account) {
            return Err(request_error(format!(
                "role `{role_arn}` has no 12-digit account id"
            )));
        }
        let role_name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
        let arn = format!(
            "arn:{}:sts::{}:assumed-role/{role_name}/{session_name}",
            parsed.partition, parsed.account
        );
        let mut p = Principal::bare(
            PrincipalKind::RoleSession,
            arn,
            Some(parsed.account.to_string()),
        );
        p.parent_arn = Some(role_arn.to_string());
        Ok(p)
    }

    /// An unauthenticated caller.
    pub fn anonymous() -> Principal {
        Principal::bare(PrincipalKind::Anonymous, String::new(), None)
    }

    /// An AWS service principal such as `lambda.amazonaws.com`.
    pub fn service(name: &str) -> Principal {
        let mut p = Principal::bare(PrincipalKind::Service, name.to_string(), None);
        p.service = Some(name.to_string());
        p
    }

    /// A SAML or web-identity provider, as named in a trust policy's
    /// `Federated` principal (`cognito-identity.amazonaws.com`,
    /// `arn:aws:iam::ACCOUNT:saml-provider/NAME`, …).
    pub fn identity_provider(provider: &str) -> Principal {
        let mut p = Principal::bare(PrincipalKind::IdentityProvider, provider.to_string(), None);
        p.provider = Some(provider.to_string());
        p
    }

    /// Sets the unique id (`aws:userid`), e.g. `AIDA…` for a user or
    /// `AROA…:session` for a role session.
    pub fn with_user_id(mut self, user_id: &str) -> Principal {
        self.user_id = Some(user_id.to_string());
        self
    }

    /// Adds a principal tag (`aws:PrincipalTag/KEY`).
    pub fn with_tag(mut self, key: &str, value: &str) -> Principal {
        self.tags.push((key.to_string(), value.to_string()));
        self
    }

    /// For a federated-user session: the IAM user who called
    /// `GetFederationToken`.
    pub fn with_federating_user(mut self, user_arn: &str) -> Principal {
        self.parent_arn = Some(user_arn.to_string());
        self
    }

    /// Sets the S3 canonical user id matched by `CanonicalUser` principals.
    pub fn with_canonical_user(mut self, id: &str) -> Principal {
        self.canonical_user = Some(id.to_string());
        self
    }

    /// The kind of caller.
    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// The caller's ARN (the session ARN for sessions; the service or
    /// provider name for those kinds; empty for anonymous).
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The caller's account, when it has one.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The role of a role session, or the federating user of a federated
    /// user session.
    pub fn parent_arn(&self) -> Option<&str> {
        self.parent_arn.as_deref()
    }

    pub(crate) fn service_name(&self) -> Option<&str> {
        self.service.as_deref()
    }

    pub(crate) fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    pub(crate) fn canonical_user(&self) -> Option<&str> {
        self.canonical_user.as_deref()
    }

    /// The value of `aws:PrincipalArn`: the role ARN for role sessions,
    /// the caller's ARN otherwise.
    pub fn principal_arn(&self) -> Option<&str> {
        match self.kind {
            PrincipalKind::RoleSession => self.parent_arn.as_deref(),
            PrincipalKind::Root | PrincipalKind::User | PrincipalKind::FederatedUser => {
                Some(&self.arn)
            }
            _ => None,
        }
    }

    /// The text after `User: ` in an AccessDenied message.
    pub fn display_arn(&self) -> &str {
        if self.kind == PrincipalKind::Anonymous {
            "anonymous"
        } else {
            &self.arn
        }
    }
}

/// One or many values of a context key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContextValue {
    /// A single-valued key.
    Single(String),
    /// A multivalued key such as `aws:TagKeys` (may be empty).
    Multi(Vec<String>),
}

impl From<&str> for ContextValue {
    fn from(value: &str) -> Self {
        ContextValue::Single(value.to_string())
    }
}

impl From<String> for ContextValue {
    fn from(value: String) -> Self {
        ContextValue::Single(value)
    }
}

impl From<Vec<String>> for ContextValue {
    fn from(values: Vec<String>) -> Self {
        ContextValue::Multi(values)
    }
}

/// How many context keys a server's request typically carries besides the
/// principal's tags (the principal's own, the time, the source, the
/// transport, the region, the agent…): room made once rather than grown
/// key by key.
pub const TYPICAL_CONTEXT_KEYS: usize = 20;

/// The request context: keys (case-insensitive) to values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Sorted by lowercased key.
    entries: Vec<(Box<str>, ContextValue)>,
    /// The hash ([`key_hash`]) of each entry's key, in the same order: a
    /// caller that knows its key's hash finds the entry by comparing
    /// integers, and compares text once.
    hashes: Vec<u64>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// An empty context with room for `keys` keys before it grows.
    pub fn with_capacity(keys: usize) -> Context {
        Context {
            entries: Vec::with_capacity(keys),
            hashes: Vec::with_capacity(keys),
        }
    }

    /// Sets `key` (case-insensitive) to `value`, replacing any earlier value.
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) {
        let lower = key.to_ascii_lowercase();
        let value = value.into();
        match self
            .entries
            .binary_search_by(|(k, _)| (**k).cmp(lower.as_str()))
        {
            Ok(at) => {
                if let Some(slot) = self.entries.get_mut(at) {
                    slot.1 = value;
                }
            }
            Err(at) => {
                self.hashes.insert(at, key_hash(&lower));
                self.entries.insert(at, (lower.into_boxed_str(), value));
            }
        }
    }

    /// The value of `key` (any case).
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.get_lower(&key.to_ascii_lowercase())
    }

    pub(crate) fn get_lower(&self, lower_key: &str) -> Option<&ContextValue> {
        let at = self
            .entries
            .binary_search_by(|(k, _)| (**k).cmp(lower_key))
            .ok()?;
        self.entries.get(at).map(|(_, v)| v)
    }

    /// The value of `lower_key` (lowercased), whose [`key_hash`] is
    /// `hash`: the same answer as [`Context::get_lower`], found by
    /// comparing hashes; a colliding hash falls back to the search by
    /// text.
    pub(crate) fn get_hashed(&self, lower_key: &str, hash: u64) -> Option<&ContextValue> {
        let at = self.hashes.iter().position(|&h| h == hash)?;
        match self.entries.get(at) {
            Some((key, value)) if **key == *lower_key => Some(value),
            _ => self.get_lower(lower_key),
        }
    }

    /// True when `key` has a value.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// All entries, keys lowercased, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }
}

/// A request to authorize.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    principal: Principal,
    action: String,
    action_lower: String,
    /// Hash of the lowercased service prefix, for the per-policy index.
    service_hash: u64,
    /// Where the action's name starts, when the action has exactly one
    /// colon (so `*:List*` is a test of the name alone).
    action_name_at: Option<usize>,
    resource: String,
    resource_account: Option<String>,
    /// What the action and resource imply about a resource policy
    /// ([`ResourcePolicyKind::implied_by`]), and the account field of the
    /// resource ARN (a byte range of `resource`, empty when it has none):
    /// neither changes after the request is built, so the ARN is parsed
    /// once here rather than on every decision.
    implied_kind: ResourcePolicyKind,
    arn_account: std::ops::Range<usize>,
    context: Context,
}

impl Request {
    /// A request by `principal` to perform `action` (`service:Name`) on
    /// `resource` (an ARN, or `*` for actions without a resource). The
    /// principal-derived keys `aws:PrincipalArn`, `aws:PrincipalAccount`,
    /// `aws:PrincipalType`, `aws:userid`, `aws:username` and
    /// `aws:PrincipalTag/*` are filled in; a later [`Request::with_context`]
    /// overrides them.
    pub fn new(principal: Principal, action: &str, resource: &str) -> Request {
        let mut context = Context::with_capacity(TYPICAL_CONTEXT_KEYS + principal.tags.len());
        if let Some(arn) = principal.principal_arn() {
            context.insert("aws:PrincipalArn", arn);
        }
        if let Some(account) = principal.account() {
            context.insert("aws:PrincipalAccount", account);
        }
        if let Some(t) = principal.kind.principal_type() {
            context.insert("aws:PrincipalType", t);
        }
        if let Some(id) = &principal.user_id {
            context.insert("aws:userid", id.as_str());
        } else if principal.kind == PrincipalKind::Anonymous {
            context.insert("aws:userid", "anonymous");
        }
        if let Some(name) = &principal.user_name {
            context.insert("aws:username", name.as_str());
        }
        for (k, v) in &principal.tags {
            context.insert(&format!("aws:PrincipalTag/{k}"), v.as_str());
        }
        Request::with_whole_context(principal, action, resource, context)
    }

    /// A request by `principal` to perform `action` on `resource` whose
    /// context is exactly `context`: no key is derived from the principal,
    /// for a caller that fills in every key itself.
    pub fn with_whole_context(
        principal: Principal,
        action: &str,
        resource: &str,
        context: Context,
    ) -> Request {
        let action_lower = action.to_ascii_lowercase();
        let split = action_lower.split_once(':');
        let service_hash = service_hash(split.map_or(action_lower.as_str(), |(s, _)| s));
        let action_name_at = match split {
            Some((service, name)) if !name.contains(':') => Some(service.len() + 1),
            _ => None,
        };
        Request {
            action: action.to_string(),
            action_lower,
            service_hash,
            action_name_at,
            resource: resource.to_string(),
            resource_account: None,
            implied_kind: ResourcePolicyKind::implied_by(action, resource),
            arn_account: arn_account_range(resource),
            principal,
            context,
        }
    }

    /// Sets the account that owns the resource. Without it, the account
    /// field of the resource ARN is used, and failing that the principal's.
    pub fn with_resource_account(mut self, account: &str) -> Request {
        self.resource_account = Some(account.to_string());
        self
    }

    /// Sets a context key (case-insensitive), replacing any earlier value.
    pub fn with_context(mut self, key: &str, value: impl Into<ContextValue>) -> Request {
        self.context.insert(key, value);
        self
    }

    /// Mutable access to the context.
    pub fn context_mut(&mut self) -> &mut Context {
        &mut self.context
    }

    /// The principal.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The action as given.
    pub fn action(&self) -> &str {
        &self.action
    }

    pub(crate) fn action_lower(&self) -> &str {
        &self.action_lower
    }

    pub(crate) fn service_hash(&self) -> u64 {
        self.service_hash
    }

    /// Where the lowercased action's name starts, when it has exactly one
    /// colon.
    pub(crate) fn action_name_at(&self) -> Option<usize> {
        self.action_name_at
    }

    /// The resource as given.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The context.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The kind of resource policy the action and resource imply
    /// ([`ResourcePolicyKind::implied_by`]), worked out when the request
    /// was built.
    pub(crate) fn implied_resource_kind(&self) -> ResourcePolicyKind {
        self.implied_kind
    }

    /// The account that owns the resource.
    pub fn resource_account(&self) -> Option<&str> {
        if let Some(a) = &self.resource_account {
            return Some(a);
        }
        match self.resource.get(self.arn_account.clone()) {
            Some(account) if !account.is_empty() => Some(account),
            _ => self.principal.account(),
        }
    }
}

/// The byte range of the account field of `resource` when it is an ARN
/// (empty otherwise, or when the field is).
fn arn_account_range(resource: &str) -> std::ops::Range<usize> {
    let Some(arn) = Arn::parse(resource) else {
        return 0..0;
    };
    // `arn:PARTITION:SERVICE:REGION:ACCOUNT:…`: the account follows four
    // fields, each ended by one colon.
    let start = ["arn", arn.partition, arn.service, arn.region]
        .iter()
        .map(|field| field.len() + 1)
        .sum::<usize>();
    start..start.saturating_add(arn.account.len())
}

/// The hash [`Context::get_hashed`] compares: FNV-1a over a lowercased
/// key.
pub(crate) fn key_hash(lower_key: &str) -> u64 {
    service_hash(lower_key)
}

/// FNV-1a over a service prefix: lets the action index and the action
/// matchers compare one integer before they compare text.
pub(crate) fn service_hash(service: &str) -> u64 {
    service.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Resolve for Request {
    /// Variables read single-valued keys only: a multivalued key cannot be
    /// a policy variable (reference_policies_condition-single-vs-multi-valued-context-keys).
    fn resolve(&self, key: &str) -> Option<&str> {
        match self.context.get_lower(key)? {
            ContextValue::Single(v) => Some(v),
            ContextValue::Multi(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_arn_derives_principal_keys() {
        let p = Principal::from_arn("arn:aws:iam::123456789012:user/division/bob")
            .unwrap()
            .with_tag("team", "red");
        let r = Request::new(p, "iam:ListUsers", "*");
        assert_eq!(
            r.context().get("AWS:USERNAME"),
            Some(&ContextValue::Single("bob".into()))
        );
        assert_eq!(
            r.context().get("aws:PrincipalType"),
            Some(&ContextValue::Single("User".into()))
        );
        assert_eq!(
            r.context().get("aws:principaltag/team"),
            Some(&ContextValue::Single("red".into()))
        );
        assert_eq!(r.resource_account(), Some("123456789012"));
    }

    #[test]
    fn assumed_role_arn_knows_its_role() {
        let p = Principal::from_arn("arn:aws:sts::123456789012:assumed-role/Admin/alice").unwrap();
        assert_eq!(p.kind(), PrincipalKind::RoleSession);
        assert_eq!(
            p.principal_arn(),
            Some("arn:aws:iam::123456789012:role/Admin")
        );
        let s = Principal::role_session("arn:aws:iam::123456789012:role/path/Admin", "s1").unwrap();
        assert_eq!(s.arn(), "arn:aws:sts::123456789012:assumed-role/Admin/s1");
    }

    #[test]
    fn resource_account_and_policy_kind_come_from_the_resource_arn() {
        let p = Principal::from_arn("arn:aws:iam::123456789012:user/bob").unwrap();
        let key = Request::new(
            p.clone(),
            "kms:Decrypt",
            "arn:aws:kms:us-east-1:210987654321:key/k1",
        );
        assert_eq!(key.resource_account(), Some("210987654321"));
        assert_eq!(key.implied_resource_kind(), ResourcePolicyKind::KeyPolicy);
        let role = Request::new(
            p.clone(),
            "STS:AssumeRole",
            "arn:aws:iam::210987654321:role/r",
        );
        assert_eq!(role.implied_resource_kind(), ResourcePolicyKind::RoleTrust);
        // No account in the ARN, or no ARN: the principal's account.
        let bucket = Request::new(p.clone(), "s3:GetObject", "arn:aws:s3:::b/k");
        assert_eq!(bucket.resource_account(), Some("123456789012"));
        assert_eq!(bucket.implied_resource_kind(), ResourcePolicyKind::Standard);
        let star = Request::new(p, "ec2:DescribeInstances", "*");
        assert_eq!(star.resource_account(), Some("123456789012"));
        assert_eq!(star.implied_resource_kind(), ResourcePolicyKind::Standard);
    }

    #[test]
    fn context_finds_a_key_by_its_hash_as_by_its_text() {
        let mut context = Context::new();
        context.insert("aws:SourceIp", "192.0.2.7");
        context.insert("aws:TagKeys", vec!["env".to_string()]);
        context.insert("AWS:sourceip", "192.0.2.8");
        for key in ["aws:sourceip", "aws:tagkeys", "aws:username"] {
            assert_eq!(
                context.get_hashed(key, key_hash(key)),
                context.get_lower(key)
            );
        }
        assert_eq!(
            context.get_hashed("aws:sourceip", key_hash("aws:sourceip")),
            Some(&ContextValue::Single("192.0.2.8".into()))
        );
        // A hash that belongs to another key is checked against the text.
        assert_eq!(
            context.get_hashed("aws:username", key_hash("aws:sourceip")),
            None
        );
        assert_eq!(
            context.get_hashed("aws:tagkeys", key_hash("aws:sourceip")),
            context.get_lower("aws:tagkeys")
        );
    }

    #[test]
    fn role_arn_is_not_a_caller() {
        assert!(Principal::from_arn("arn:aws:iam::123456789012:role/Admin").is_err());
    }
}
