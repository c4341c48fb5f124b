//! The combining rules, one scenario per documented behaviour, and every
//! example policy from the seed articles. Each scenario names its source:
//! reference_policies_evaluation-logic ("EVAL"),
//! reference_policies_evaluation-logic-cross-account ("XACCT"),
//! access_policies_boundaries ("BOUND"), access_policies#policies_session
//! ("SESSION"), orgs_manage_policies_scps / _rcps ("SCP", "RCP"),
//! reference_policies_elements_principal ("PRINCIPAL"),
//! reference_policies_elements_notprincipal ("NOTPRINCIPAL"),
//! reference_policies_elements_resource ("RESOURCE"),
//! reference_policies_elements_action ("ACTION"), reference_policies_variables
//! ("NOVAL": its section "Policy variables with no value"), the KMS
//! Developer Guide's key-policies ("KEY"), and the seed articles.

use std::sync::Arc;
use tessera_policy::{
    access_denied_message, evaluate, AllowBasis, CompiledPolicy, Decision, OwnedPolicySet,
    PolicyKind, PolicySet, PolicyType, Principal, Reason, Request, ResourcePolicyKind,
};

const ACCOUNT: &str = "123456789012";
const OTHER: &str = "987654321001";
const BOB: &str = "arn:aws:iam::123456789012:user/bob";
const ROLE: &str = "arn:aws:iam::123456789012:role/app";
const SESSION: &str = "arn:aws:sts::123456789012:assumed-role/app/s1";
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const ALLOW_S3: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

fn compile(kind: PolicyKind, doc: &str) -> Arc<CompiledPolicy> {
    Arc::new(CompiledPolicy::compile_kind("p", doc, kind).unwrap_or_else(|e| panic!("{doc}: {e}")))
}

fn allow_resource(principal_json: &str, action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal_json},"Action":"{action}","Resource":"*"}}]}}"#
    )
}

#[derive(Default)]
struct Scenario {
    policies: OwnedPolicySet,
}

impl Scenario {
    fn identity(mut self, doc: &str) -> Self {
        self.policies
            .identity
            .push(compile(PolicyKind::Identity, doc));
        self
    }
    fn boundary(mut self, doc: &str) -> Self {
        self.policies.permissions_boundary = Some(compile(PolicyKind::Boundary, doc));
        self
    }
    fn session(mut self, doc: &str) -> Self {
        self.policies
            .session
            .push(compile(PolicyKind::Session, doc));
        self
    }
    fn resource(mut self, doc: &str) -> Self {
        self.policies.resource = Some(compile(PolicyKind::Resource, doc));
        self
    }
    fn trust(mut self, doc: &str) -> Self {
        self.policies.resource = Some(compile(PolicyKind::Trust, doc));
        self.policies.resource_kind = ResourcePolicyKind::RoleTrust;
        self
    }
    fn scp_level(mut self, docs: &[&str]) -> Self {
        self.policies.service_control.push(
            docs.iter()
                .map(|d| compile(PolicyKind::ServiceControl, d))
                .collect(),
        );
        self
    }
    fn rcp_level(mut self, docs: &[&str]) -> Self {
        self.policies.resource_control.push(
            docs.iter()
                .map(|d| compile(PolicyKind::ResourceControl, d))
                .collect(),
        );
        self
    }
    fn reason(&self, request: &Request) -> Reason {
        evaluate(&self.policies.as_set(), request).reason()
    }
    fn decide(&self, request: &Request) -> Decision {
        match self.reason(request) {
            Reason::Allowed(_) => Decision::Allowed,
            Reason::ExplicitDeny(_) => Decision::ExplicitDeny,
            Reason::ImplicitDeny(_) => Decision::ImplicitDeny,
        }
    }
}

fn user_request(action: &str, resource: &str) -> Request {
    Request::new(Principal::from_arn(BOB).unwrap(), action, resource).with_resource_account(ACCOUNT)
}

fn session_request(action: &str, resource: &str) -> Request {
    Request::new(Principal::from_arn(SESSION).unwrap(), action, resource)
        .with_resource_account(ACCOUNT)
}

use Decision::{Allowed, ExplicitDeny, ImplicitDeny};

// EVAL: by default every request is implicitly denied.
#[test]
fn no_policy_means_implicit_deny_for_the_identity_side() {
    assert_eq!(
        Scenario::default().reason(&user_request("s3:GetObject", "arn:aws:s3:::b/k")),
        Reason::ImplicitDeny(PolicyType::Identity)
    );
}

// EVAL: an explicit deny in any policy overrides any allow.
#[test]
fn explicit_deny_beats_allow_in_every_policy_type() {
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#;
    let deny_resource = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
    let r = session_request("s3:GetObject", "arn:aws:s3:::b/k");
    let base = || Scenario::default().identity(ALLOW_ALL);
    assert_eq!(
        base().identity(deny).reason(&r),
        Reason::ExplicitDeny(PolicyType::Identity)
    );
    assert_eq!(
        base().boundary(deny).reason(&r),
        Reason::ExplicitDeny(PolicyType::PermissionsBoundary)
    );
    assert_eq!(
        base().session(deny).reason(&r),
        Reason::ExplicitDeny(PolicyType::Session)
    );
    assert_eq!(
        base().resource(deny_resource).reason(&r),
        Reason::ExplicitDeny(PolicyType::Resource)
    );
    assert_eq!(
        base().scp_level(&[ALLOW_ALL, deny]).reason(&r),
        Reason::ExplicitDeny(PolicyType::ServiceControl)
    );
    let rcp_deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
    let rcp_allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    assert_eq!(
        base().rcp_level(&[rcp_allow, rcp_deny]).reason(&r),
        Reason::ExplicitDeny(PolicyType::ResourceControl)
    );
}

// EVAL example (carlossalazar): identity allow + deny on *log*; bucket policy naming the user.
#[test]
fn documented_carlos_example() {
    let identity = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetAccountPublicAccessBlock","s3:ListAccessPoints","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"},
        {"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},
        {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}]}"#;
    let bucket = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/carlossalazar"},"Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]}]}"#;
    let carlos = Principal::from_arn("arn:aws:iam::123456789012:user/carlossalazar").unwrap();
    let s = Scenario::default().identity(identity).resource(bucket);
    let put = |res: &str| {
        Request::new(carlos.clone(), "s3:PutObject", res).with_resource_account(ACCOUNT)
    };
    assert_eq!(
        s.decide(&put("arn:aws:s3:::carlossalazar-logs/f")),
        ExplicitDeny
    );
    assert_eq!(s.decide(&put("arn:aws:s3:::carlossalazar/f")), Allowed);
}

// EVAL: AllowGetList / DenyReports example: Get*/List* allowed, *Report explicitly denied, others implicit.
#[test]
fn documented_explicit_and_implicit_deny_example() {
    let doc = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"AllowGetList","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},
        {"Sid":"DenyReports","Effect":"Deny","Action":"iam:*Report","Resource":"*"}]}"#;
    let s = Scenario::default().identity(doc);
    assert_eq!(s.decide(&user_request("iam:ListUsers", "*")), Allowed);
    assert_eq!(
        s.decide(&user_request("iam:GetOrganizationsAccessReport", "*")),
        ExplicitDeny
    );
    assert_eq!(
        s.decide(&user_request("iam:CreatePolicy", "*")),
        ImplicitDeny
    );
}

// ACTION: actions compare case-insensitively; RESOURCE: ARNs case-sensitively.
#[test]
fn action_case_insensitive_resource_case_sensitive() {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"S3:getobject","Resource":"arn:aws:s3:::MyBucket/*"}]}"#;
    let s = Scenario::default().identity(doc);
    assert_eq!(
        s.decide(&user_request("s3:GetObject", "arn:aws:s3:::MyBucket/k")),
        Allowed
    );
    assert_eq!(
        s.decide(&user_request("s3:GetObject", "arn:aws:s3:::mybucket/k")),
        ImplicitDeny
    );
}

// ACTION / RESOURCE: NotAction and NotResource match everything not listed.
#[test]
fn not_action_and_not_resource() {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::secret/*"}]}"#;
    let s = Scenario::default().identity(doc);
    assert_eq!(
        s.decide(&user_request("s3:GetObject", "arn:aws:s3:::open/k")),
        Allowed
    );
    assert_eq!(s.decide(&user_request("iam:ListUsers", "*")), ImplicitDeny);
    assert_eq!(
        s.decide(&user_request("s3:GetObject", "arn:aws:s3:::secret/k")),
        ImplicitDeny
    );
}

// RESOURCE / VAR: ${aws:username} in Resource; a missing key means the entry does not match.
#[test]
fn variables_in_resource() {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::123456789012:user/${aws:username}"}]}"#;
    let s = Scenario::default().identity(doc);
    assert_eq!(s.decide(&user_request("iam:CreateAccessKey", BOB)), Allowed);
    assert_eq!(
        s.decide(&user_request(
            "iam:CreateAccessKey",
            "arn:aws:iam::123456789012:user/alice"
        )),
        ImplicitDeny
    );
    // A role session has no aws:username: the statement cannot match.
    let r = session_request(
        "iam:CreateAccessKey",
        "arn:aws:iam::123456789012:user/${aws:username}",
    );
    assert_eq!(s.decide(&r), ImplicitDeny);
}

// BOUND: effective permissions are the intersection of identity policies and the boundary (also the seed article's boundary intersection).
#[test]
fn boundary_intersects_identity_policies() {
    let boundary = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","cloudwatch:*","ec2:*"],"Resource":"*"}]}"#;
    let identity = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"}}"#;
    let s = Scenario::default()
        .identity(identity)
        .identity(ALLOW_S3)
        .boundary(boundary);
    assert_eq!(
        s.reason(&user_request("iam:CreateUser", "*")),
        Reason::ImplicitDeny(PolicyType::PermissionsBoundary)
    );
    assert_eq!(
        s.decide(&user_request("s3:GetObject", "arn:aws:s3:::b/k")),
        Allowed
    );
    assert_eq!(
        s.reason(&user_request("ec2:RunInstances", "*")),
        Reason::ImplicitDeny(PolicyType::Identity)
    );
}

// EVAL same-account table: a resource policy naming the IAM user is not limited by identity policies or the boundary.
#[test]
fn resource_policy_naming_the_user_bypasses_boundary() {
    let boundary = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
    let s = Scenario::default()
        .boundary(boundary)
        .resource(&allow_resource(
            &format!(r#"{{"AWS":"{BOB}"}}"#),
            "s3:GetObject",
        ));
    assert_eq!(
        s.decide(&user_request("s3:GetObject", "arn:aws:s3:::b/k")),
        Allowed
    );
}

// EVAL same-account table: naming the role session ARN bypasses identity, boundary and session policies.
#[test]
fn resource_policy_naming_the_session_bypasses_boundary_and_session_policy() {
    let only_ec2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
    let s = Scenario::default()
        .boundary(only_ec2)
        .session(only_ec2)
        .resource(&allow_resource(
            &format!(r#"{{"AWS":"{SESSION}"}}"#),
            "s3:GetObject",
        ));
    assert_eq!(
        s.decide(&session_request("s3:GetObject", "arn:aws:s3:::b/k")),
        Allowed
    );
}

// EVAL same-account table: naming the role ARN is limited by the boundary and session policies.
#[test]
fn resource_policy_naming_the_role_is_limited_by_boundary_and_session_policy() {
    let only_ec2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
    let rp = allow_resource(&format!(r#"{{"AWS":"{ROLE}"}}"#), "s3:GetObject");
    let r = session_request("s3:GetObject", "arn:aws:s3:::b/k");
    // No identity policy at all: the role-naming statement stands in for it.
    assert_eq!(Scenario::default().resource(&rp).decide(&r), Allowed);
    assert_eq!(
        Scenario::default()
            .resource(&rp)
            .boundary(only_ec2)
            .reason(&r),
        Reason::ImplicitDeny(PolicyType::PermissionsBoundary)
    );
    assert_eq!(
        Scenario::default()
            .resource(&rp)
            .session(only_ec2)
            .reason(&r),
        Reason::ImplicitDeny(PolicyType::Session)
    );
    assert_eq!(
        Scenario::default()
            .resource(&rp)
            .session(ALLOW_S3)
            .boundary(ALLOW_S3)
            .decide(&r),
        Allowed
    );
}

// EVAL: a resource policy naming only the account has no effect within the account: the identity side must allow.
#[test]
fn resource_policy_naming_the_account_needs_identity_allow() {
    let rp = allow_resource(
        &format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}}"#),
        "s3:GetObject",
    );
    let r = user_request("s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(
        Scenario::default().resource(&rp).reason(&r),
        Reason::ImplicitDeny(PolicyType::Identity)
    );
    assert_eq!(
        Scenario::default()
            .resource(&rp)
            .identity(ALLOW_S3)
            .decide(&r),
        Allowed
    );
    let bare_id = allow_resource(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#), "s3:GetObject");
    assert_eq!(
        Scenario::default().resource(&bare_id).reason(&r),
        Reason::ImplicitDeny(PolicyType::Identity)
    );
}

// EVAL: within one account an identity allow alone suffices (resource policy present but silent).
#[test]
fn identity_allow_suffices_within_the_account() {
    let rp = allow_resource(
        r#"{"AWS":"arn:aws:iam::123456789012:user/alice"}"#,
        "s3:GetObject",
    );
    assert_eq!(
        Scenario::default()
            .identity(ALLOW_S3)
            .resource(&rp)
            .decide(&user_request("s3:GetObject", "arn:aws:s3:::b/k")),
        Allowed
    );
}

// SESSION / EVAL step 7: a role session without session policies keeps its role's permissions; with one, the intersection.
#[test]
fn session_policies_intersect_role_permissions() {
    let r = session_request("s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(Scenario::default().identity(ALLOW_ALL).decide(&r), Allowed);
    let only_ec2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
    assert_eq!(
        Scenario::default()
            .identity(ALLOW_ALL)
            .session(only_ec2)
            .reason(&r),
        Reason::ImplicitDeny(PolicyType::Session)
    );
    // Several session policies act together: any of them may allow.
    assert_eq!(
        Scenario::default()
            .identity(ALLOW_ALL)
            .session(only_ec2)
            .session(ALLOW_S3)
            .decide(&r),
        Allowed
    );
    // A session policy never grants beyond the identity policies.
    assert_eq!(
        Scenario::default().session(ALLOW_ALL).reason(&r),
        Reason::ImplicitDeny(PolicyType::Identity)
    );
}

// EVAL step 7: a federated-user session (GetFederationToken) without a session policy is denied.
#[test]
fn federated_user_needs_a_session_policy() {
    let fed = Principal::from_arn("arn:aws:sts::123456789012:federated-user/carol")
        .unwrap()
        .with_federating_user(BOB);
    let r = Request::new(fed, "s3:GetObject", "arn:aws:s3:::b/k").with_resource_account(ACCOUNT);
    assert_eq!(
        Scenario::default().identity(ALLOW_ALL).reason(&r),
        Reason::ImplicitDeny(PolicyType::Session)
    );
    assert_eq!(
        Scenario::default()
            .identity(ALLOW_ALL)
            .session(ALLOW_S3)
            .decide(&r),
        Allowed
    );
    // EVAL: naming the federated-user ARN grants directly; naming the federating IAM user is limited by the session policy.
    let direct = allow_resource(
        r#"{"AWS":"arn:aws:sts::123456789012:federated-user/carol"}"#,
        "s3:GetObject",
    );
    assert_eq!(Scenario::default().resource(&direct).decide(&r), Allowed);
    let via_user = allow_resource(&format!(r#"{{"AWS":"{BOB}"}}"#), "s3:GetObject");
    assert_eq!(
        Scenario::default().resource(&via_user).reason(&r),
        Reason::ImplicitDeny(PolicyType::Session)
    );
}

// SCP: every level, root first, must allow; the account root user is bound by SCPs too.
#[test]
fn scps_must_allow_at_every_level() {
    let r = user_request("s3:GetObject", "arn:aws:s3:::b/k");
    let full = ALLOW_ALL;
    let only_ec2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
    let s = |levels: &[&[&str]]| {
        levels
            .iter()
            .fold(Scenario::default().identity(ALLOW_ALL), |s, l| {
                s.scp_level(l)
            })
    };
    assert_eq!(s(&[&[full], &[full], &[full]]).decide(&r), Allowed);
    assert_eq!(
        s(&[&[full], &[only_ec2], &[full]]).reason(&r),
        Reason::ImplicitDeny(PolicyType::ServiceControl)
    );
    assert_eq!(s(&[&[full], &[only_ec2, ALLOW_S3]]).decide(&r), Allowed);
    let root = Request::new(
        Principal::from_arn("arn:aws:iam::123456789012:root").unwrap(),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
    );
    assert_eq!(Scenario::default().decide(&root), Allowed);
    assert_eq!(
        Scenario::default().scp_level(&[only_ec2]).reason(&root),
        Reason::ImplicitDeny(PolicyType::ServiceControl)
    );
}

// Seed 003: the SCP denying iam:AttachRolePolicy for AdministratorAccess.
#[test]
fn seed_scp_denies_attaching_administrator_access() {
    let scp = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:AttachRolePolicy","Resource":"*","Condition":{"StringEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AdministratorAccess"}}}]}"#;
    let s = Scenario::default()
        .identity(ALLOW_ALL)
        .scp_level(&[ALLOW_ALL, scp]);
    let attach =
        |arn: &str| user_request("iam:AttachRolePolicy", ROLE).with_context("iam:PolicyARN", arn);
    assert_eq!(
        s.reason(&attach("arn:aws:iam::aws:policy/AdministratorAccess")),
        Reason::ExplicitDeny(PolicyType::ServiceControl)
    );
    assert_eq!(
        s.decide(&attach("arn:aws:iam::aws:policy/ReadOnlyAccess")),
        Allowed
    );
}

// RCP: resource control policies must allow at every level; they do not apply to AWS service principals.
#[test]
fn rcps_apply_to_callers_but_not_services() {
    let rcp_deny_ext = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"123456789012"}}}]}"#;
    let rcp_full = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    let rp = allow_resource(r#""*""#, "s3:GetObject");
    let s = Scenario::default()
        .resource(&rp)
        .rcp_level(&[rcp_full, rcp_deny_ext]);
    let outsider = Request::new(
        Principal::from_arn("arn:aws:iam::987654321001:user/eve").unwrap(),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
    )
    .with_resource_account(ACCOUNT);
    assert_eq!(
        s.reason(&outsider),
        Reason::ExplicitDeny(PolicyType::ResourceControl)
    );
    let service = Request::new(
        Principal::service("cloudtrail.amazonaws.com"),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
    )
    .with_resource_account(ACCOUNT);
    assert_eq!(s.decide(&service), Allowed);
}

// XACCT: across accounts both the identity side and the resource policy must allow.
#[test]
fn cross_account_needs_both_sides() {
    let eve = || Principal::from_arn("arn:aws:iam::987654321001:user/eve").unwrap();
    let r = Request::new(eve(), "s3:GetObject", "arn:aws:s3:::b/k").with_resource_account(ACCOUNT);
    let rp_account = allow_resource(&format!(r#"{{"AWS":"{OTHER}"}}"#), "s3:GetObject");
    let rp_user = allow_resource(
        r#"{"AWS":"arn:aws:iam::987654321001:user/eve"}"#,
        "s3:GetObject",
    );
    assert_eq!(
        Scenario::default().identity(ALLOW_S3).reason(&r),
        Reason::ImplicitDeny(PolicyType::Resource)
    );
    assert_eq!(
        Scenario::default().resource(&rp_user).reason(&r),
        Reason::ImplicitDeny(PolicyType::Identity)
    );
    assert_eq!(
        Scenario::default()
            .resource(&rp_account)
            .identity(ALLOW_S3)
            .decide(&r),
        Allowed
    );
    assert_eq!(
        Scenario::default()
            .resource(&rp_user)
            .identity(ALLOW_S3)
            .decide(&r),
        Allowed
    );
    let boundary_ec2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
    assert_eq!(
        Scenario::default()
            .resource(&rp_user)
            .identity(ALLOW_S3)
            .boundary(boundary_ec2)
            .reason(&r),
        Reason::ImplicitDeny(PolicyType::PermissionsBoundary)
    );
}

// Seed 003 / XACCT: cross-account trust policy requiring MFA, and the caller's identity policy allowing sts:AssumeRole.
#[test]
fn seed_cross_account_trust_with_mfa() {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"123456789012"},"Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}}]}"#;
    let caller_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::987654321001:role/CrossAccountRoleA"}]}"#;
    let s = Scenario::default().trust(trust).identity(caller_policy);
    let assume = |mfa: Option<&str>| {
        let r = Request::new(
            Principal::from_arn(BOB).unwrap(),
            "sts:AssumeRole",
            "arn:aws:iam::987654321001:role/CrossAccountRoleA",
        );
        match mfa {
            Some(v) => r.with_context("aws:MultiFactorAuthPresent", v),
            None => r,
        }
    };
    assert_eq!(s.decide(&assume(Some("true"))), Allowed);
    assert_eq!(
        s.reason(&assume(Some("false"))),
        Reason::ImplicitDeny(PolicyType::Resource)
    );
    assert_eq!(
        s.reason(&assume(None)),
        Reason::ImplicitDeny(PolicyType::Resource)
    );
    let no_identity = Scenario::default().trust(trust);
    assert_eq!(
        no_identity.reason(&assume(Some("true"))),
        Reason::ImplicitDeny(PolicyType::Identity)
    );
}

// Seed 000/003: same-account trust policies; EVAL: trust policies must always allow explicitly.
#[test]
fn seed_trust_policies() {
    let trust_user = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"sts:AssumeRole"}]}"#;
    let trust_account = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    let trust_lambda = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
    let assume = user_request("sts:AssumeRole", ROLE);
    // Naming the user directly needs no identity policy in the same account.
    assert_eq!(
        Scenario::default().trust(trust_user).decide(&assume),
        Allowed
    );
    // Naming only the account needs the identity side too.
    assert_eq!(
        Scenario::default().trust(trust_account).reason(&assume),
        Reason::ImplicitDeny(PolicyType::Identity)
    );
    assert_eq!(
        Scenario::default()
            .trust(trust_account)
            .identity(ALLOW_ALL)
            .decide(&assume),
        Allowed
    );
    // An identity allow is not enough when the trust policy does not allow.
    assert_eq!(
        Scenario::default()
            .trust(trust_lambda)
            .identity(ALLOW_ALL)
            .reason(&assume),
        Reason::ImplicitDeny(PolicyType::Resource)
    );
    // The service named in the trust policy may assume the role.
    let lambda = Request::new(
        Principal::service("lambda.amazonaws.com"),
        "sts:AssumeRole",
        ROLE,
    )
    .with_resource_account(ACCOUNT);
    assert_eq!(
        Scenario::default().trust(trust_lambda).decide(&lambda),
        Allowed
    );
    let ec2 = Request::new(
        Principal::service("ec2.amazonaws.com"),
        "sts:AssumeRole",
        ROLE,
    )
    .with_resource_account(ACCOUNT);
    assert_eq!(
        Scenario::default().trust(trust_lambda).decide(&ec2),
        ImplicitDeny
    );
}

// PRINCIPAL: Federated principals in trust policies (AssumeRoleWithWebIdentity).
#[test]
fn federated_provider_in_trust_policy() {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:pool"}}}]}"#;
    let r = |aud: &str| {
        Request::new(
            Principal::identity_provider("cognito-identity.amazonaws.com"),
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
        )
        .with_context("cognito-identity.amazonaws.com:aud", aud)
    };
    assert_eq!(
        Scenario::default()
            .trust(trust)
            .decide(&r("us-east-1:pool")),
        Allowed
    );
    assert_eq!(
        Scenario::default().trust(trust).decide(&r("other")),
        ImplicitDeny
    );
}

// PRINCIPAL: "*" includes anonymous callers; anonymous callers have only resource policies.
#[test]
fn anonymous_access_only_through_public_resource_policies() {
    let anon = Request::new(
        Principal::anonymous(),
        "s3:GetObject",
        "arn:aws:s3:::public/k",
    )
    .with_resource_account(ACCOUNT);
    assert_eq!(
        Scenario::default()
            .resource(&allow_resource(r#""*""#, "s3:GetObject"))
            .decide(&anon),
        Allowed
    );
    assert_eq!(
        Scenario::default()
            .resource(&allow_resource(r#"{"AWS":"*"}"#, "s3:GetObject"))
            .decide(&anon),
        Allowed
    );
    assert_eq!(
        Scenario::default()
            .resource(&allow_resource(
                &format!(r#"{{"AWS":"{ACCOUNT}"}}"#),
                "s3:GetObject"
            ))
            .reason(&anon),
        Reason::ImplicitDeny(PolicyType::Resource)
    );
    assert_eq!(
        Scenario::default().identity(ALLOW_ALL).reason(&anon),
        Reason::ImplicitDeny(PolicyType::Resource)
    );
}

// NOTPRINCIPAL: Deny with NotPrincipal denies everyone not listed; the account must be listed too.
#[test]
fn not_principal_deny_exempts_only_fully_listed_principals() {
    let doc = |listed: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","NotPrincipal":{{"AWS":[{listed}]}},"Action":"s3:*","Resource":"*"}}]}}"#
        )
    };
    let r = session_request("s3:GetObject", "arn:aws:s3:::b/k");
    let with = |d: String| Scenario::default().identity(ALLOW_S3).resource(&d);
    assert_eq!(
        with(doc(&format!(r#""{SESSION}""#))).decide(&r),
        ExplicitDeny
    );
    assert_eq!(
        with(doc(&format!(
            r#""{SESSION}","{ROLE}","arn:aws:iam::{ACCOUNT}:root""#
        )))
        .decide(&r),
        Allowed
    );
    assert_eq!(
        with(doc(r#""arn:aws:iam::123456789012:user/other""#)).decide(&r),
        ExplicitDeny
    );
    // BOUND: with a permissions boundary, a NotPrincipal Deny always denies.
    let full = format!(r#""{SESSION}","{ROLE}","arn:aws:iam::{ACCOUNT}:root""#);
    assert_eq!(
        with(doc(&full)).boundary(ALLOW_ALL).decide(&r),
        ExplicitDeny
    );
}

// Seed 003: DenyIPRange and AllowGetObject examples together.
#[test]
fn seed_deny_ip_range_and_allow_get_object() {
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowGetObject","Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::mydata/*"}]}"#;
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyIPRange","Action":"*","Effect":"Deny","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}}]}"#;
    let s = Scenario::default().identity(allow).identity(deny);
    let get = |ip: &str| {
        user_request("s3:GetObject", "arn:aws:s3:::mydata/a.txt").with_context("aws:SourceIp", ip)
    };
    assert_eq!(s.decide(&get("192.0.2.7")), Allowed);
    assert_eq!(s.decide(&get("203.0.113.200")), Allowed);
    assert_eq!(
        s.reason(&get("198.51.100.1")),
        Reason::ExplicitDeny(PolicyType::Identity)
    );
    assert_eq!(
        s.decide(
            &user_request("s3:GetObject", "arn:aws:s3:::mydata")
                .with_context("aws:SourceIp", "192.0.2.7")
        ),
        ImplicitDeny
    );
    assert_eq!(
        s.decide(
            &user_request("s3:PutObject", "arn:aws:s3:::mydata/a")
                .with_context("aws:SourceIp", "192.0.2.7")
        ),
        ImplicitDeny
    );
}

// Seed 003: MFA-required NotAction deny with BoolIfExists.
#[test]
fn seed_mfa_required_not_action_deny() {
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
    let s = Scenario::default().identity(ALLOW_ALL).identity(deny);
    // Long-term keys carry no MFA key: BoolIfExists holds, so everything but the listed actions is denied.
    assert_eq!(s.decide(&user_request("s3:ListBuckets", "*")), ExplicitDeny);
    assert_eq!(s.decide(&user_request("iam:EnableMFADevice", "*")), Allowed);
    assert_eq!(
        s.decide(
            &user_request("s3:ListBuckets", "*")
                .with_context("aws:MultiFactorAuthPresent", "false")
        ),
        ExplicitDeny
    );
    assert_eq!(
        s.decide(
            &user_request("s3:ListBuckets", "*").with_context("aws:MultiFactorAuthPresent", "true")
        ),
        Allowed
    );
}

// Seed 003: the iam:PassRole restriction.
#[test]
fn seed_pass_role_restricted_to_one_role() {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/lambda-role"}]}"#;
    let s = Scenario::default().identity(doc);
    assert_eq!(
        s.decide(&user_request(
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/lambda-role"
        )),
        Allowed
    );
    assert_eq!(
        s.decide(&user_request(
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/admin"
        )),
        ImplicitDeny
    );
}

// EVAL: the account root user needs no identity policy in its own account.
#[test]
fn account_root_is_allowed_in_its_own_account() {
    let root = Request::new(
        Principal::from_arn("arn:aws:iam::123456789012:root").unwrap(),
        "iam:CreateUser",
        "*",
    );
    assert_eq!(Scenario::default().decide(&root), Allowed);
    let deny =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    assert_eq!(
        Scenario::default()
            .scp_level(&[ALLOW_ALL, deny])
            .decide(&root),
        ExplicitDeny
    );
}

// The AccessDenied wording, for each reason.
#[test]
fn access_denied_messages_match_aws_wording() {
    let m = |reason| {
        access_denied_message(
            reason,
            BOB,
            "iam:ListUsers",
            "arn:aws:iam::123456789012:user/",
        )
        .unwrap()
    };
    assert_eq!(
        m(Reason::ImplicitDeny(PolicyType::Identity)),
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action"
    );
    assert!(m(Reason::ExplicitDeny(PolicyType::ServiceControl))
        .ends_with("with an explicit deny in a service control policy"));
    assert!(m(Reason::ExplicitDeny(PolicyType::Identity))
        .ends_with("with an explicit deny in an identity-based policy"));
    assert!(m(Reason::ImplicitDeny(PolicyType::PermissionsBoundary))
        .ends_with("because no permissions boundary allows the iam:ListUsers action"));
    assert!(m(Reason::ImplicitDeny(PolicyType::Session))
        .ends_with("because no session policy allows the iam:ListUsers action"));
    assert_eq!(
        access_denied_message(
            Reason::Allowed(tessera_policy::AllowBasis::IdentityPolicy),
            BOB,
            "a:b",
            "*"
        ),
        None
    );
}

// The trace lists each matching statement with its policy type, name and Sid.
#[test]
fn trace_lists_matching_statements() {
    let identity = [Arc::new(
        CompiledPolicy::compile_kind(
            "arn:aws:iam::123456789012:policy/ReadOnly",
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*"},{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#,
            PolicyKind::Identity,
        )
        .unwrap(),
    )];
    let set = PolicySet {
        identity: &identity,
        ..PolicySet::default()
    };
    let eval = evaluate(&set, &user_request("s3:GetObject", "arn:aws:s3:::b/k"));
    let matched: Vec<_> = eval
        .matched_statements()
        .map(|m| (m.policy_type, m.policy_name(), m.sid(), m.statement_index))
        .collect();
    assert_eq!(
        matched,
        vec![(
            PolicyType::Identity,
            "arn:aws:iam::123456789012:policy/ReadOnly",
            Some("Read"),
            0
        )]
    );
    assert!(eval.explain().contains("statement `Read` (#0): Allow"));
}

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROOT: &str = "arn:aws:iam::123456789012:root";
const EVE: &str = "arn:aws:iam::987654321001:user/eve";
const BUCKET_OBJECT: &str = "arn:aws:s3:::amzn-s3-demo-bucket/report";
const ALLOW_KMS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:*","s3:*"],"Resource":"*"}]}"#;

/// One key-policy case: caller, resource, the key policy's `Principal`
/// (none: no key policy), whether an identity policy allows, the kind the
/// set gives, and the reason expected for `kms:Decrypt`.
type KeyPolicyCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    ResourcePolicyKind,
    Reason,
);

// KEY: "Unless the key policy explicitly allows it, you cannot use IAM policies to allow access to a KMS key";
// EVAL: "IAM role trust policies and KMS key policies are exceptions to this logic, because they must explicitly allow access for principals."
#[rustfmt::skip]
const KEY_POLICY_CASES: &[KeyPolicyCase] = &[
    // An identity allow and a key policy naming only another role: denied (the kind comes from the key ARN).
    (BOB, KEY, Some(r#"{"AWS":"arn:aws:iam::123456789012:role/other"}"#), true, ResourcePolicyKind::FromRequest, Reason::ImplicitDeny(PolicyType::Resource)),
    // KEY: a key policy naming the account ("root") lets IAM policies allow; without one nothing does.
    (BOB, KEY, Some(r#"{"AWS":"arn:aws:iam::123456789012:root"}"#), true, ResourcePolicyKind::FromRequest, Reason::Allowed(AllowBasis::IdentityPolicy)),
    (BOB, KEY, Some(r#"{"AWS":"arn:aws:iam::123456789012:root"}"#), false, ResourcePolicyKind::FromRequest, Reason::ImplicitDeny(PolicyType::Identity)),
    // KEY: a key policy naming the user allows on its own.
    (BOB, KEY, Some(r#"{"AWS":"arn:aws:iam::123456789012:user/bob"}"#), false, ResourcePolicyKind::FromRequest, Reason::Allowed(AllowBasis::ResourcePolicy)),
    // EVAL same-account table: naming the role of a session stands in for the identity allow.
    (SESSION, KEY, Some(r#"{"AWS":"arn:aws:iam::123456789012:role/app"}"#), false, ResourcePolicyKind::FromRequest, Reason::Allowed(AllowBasis::ResourcePolicy)),
    // A key without its key policy in the set: nothing can allow.
    (BOB, KEY, None, true, ResourcePolicyKind::FromRequest, Reason::ImplicitDeny(PolicyType::Resource)),
    // KEY: the account root user too needs the key policy.
    (ROOT, KEY, Some(r#"{"AWS":"arn:aws:iam::123456789012:role/other"}"#), false, ResourcePolicyKind::FromRequest, Reason::ImplicitDeny(PolicyType::Resource)),
    (ROOT, KEY, Some(r#"{"AWS":"arn:aws:iam::123456789012:root"}"#), false, ResourcePolicyKind::FromRequest, Reason::Allowed(AllowBasis::AccountRoot)),
    // XACCT: across accounts the key policy must name the other account, and its identity policy allow.
    (EVE, KEY, Some(r#"{"AWS":"arn:aws:iam::987654321001:root"}"#), true, ResourcePolicyKind::FromRequest, Reason::Allowed(AllowBasis::IdentityAndResourcePolicy)),
    (EVE, KEY, Some(r#"{"AWS":"arn:aws:iam::123456789012:root"}"#), true, ResourcePolicyKind::FromRequest, Reason::ImplicitDeny(PolicyType::Resource)),
    // EVAL: an ordinary resource policy need not allow within the account.
    (BOB, BUCKET_OBJECT, Some(r#"{"AWS":"arn:aws:iam::123456789012:role/other"}"#), true, ResourcePolicyKind::FromRequest, Reason::Allowed(AllowBasis::IdentityPolicy)),
    // The caller may say which kind the policy is, whatever the resource.
    (BOB, KEY, Some(r#"{"AWS":"arn:aws:iam::123456789012:role/other"}"#), true, ResourcePolicyKind::Standard, Reason::Allowed(AllowBasis::IdentityPolicy)),
    (BOB, BUCKET_OBJECT, Some(r#"{"AWS":"arn:aws:iam::123456789012:role/other"}"#), true, ResourcePolicyKind::KeyPolicy, Reason::ImplicitDeny(PolicyType::Resource)),
];

#[test]
fn kms_key_policies_must_allow_explicitly() {
    let mut failures = Vec::new();
    for &(caller, resource, principal, identity, kind, want) in KEY_POLICY_CASES {
        let mut s = Scenario::default();
        if identity {
            s = s.identity(ALLOW_KMS);
        }
        if let Some(principal) = principal {
            s = s.resource(&allow_resource(principal, "kms:*"));
        }
        s.policies.resource_kind = kind;
        let request = Request::new(
            Principal::from_arn(caller).unwrap(),
            "kms:Decrypt",
            resource,
        )
        .with_resource_account(ACCOUNT);
        let got = s.reason(&request);
        if got != want {
            failures.push(format!("{caller} on {resource}, key policy {principal:?}, identity {identity}, {kind:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_request_decides_the_resource_policy_kind_by_default() {
    let implied = |action, resource| ResourcePolicyKind::implied_by(action, resource);
    assert_eq!(implied("kms:Decrypt", KEY), ResourcePolicyKind::KeyPolicy);
    assert_eq!(
        implied(
            "kms:Decrypt",
            "arn:aws-cn:kms:cn-north-1:123456789012:key/k"
        ),
        ResourcePolicyKind::KeyPolicy
    );
    assert_eq!(
        implied(
            "kms:Decrypt",
            "arn:aws:kms:us-east-1:123456789012:alias/app"
        ),
        ResourcePolicyKind::Standard
    );
    assert_eq!(
        implied("sts:AssumeRole", ROLE),
        ResourcePolicyKind::RoleTrust
    );
    assert_eq!(
        implied("STS:assumerolewithwebidentity", ROLE),
        ResourcePolicyKind::RoleTrust
    );
    assert_eq!(implied("iam:GetRole", ROLE), ResourcePolicyKind::Standard);
    assert_eq!(
        implied("s3:GetObject", BUCKET_OBJECT),
        ResourcePolicyKind::Standard
    );
    assert_eq!(implied("s3:GetObject", "*"), ResourcePolicyKind::Standard);
    assert_eq!(
        ResourcePolicyKind::default(),
        ResourcePolicyKind::FromRequest
    );
    for kind in ["auto", "standard", "trust", "key"] {
        assert_eq!(
            ResourcePolicyKind::from_name(kind).map(|k| k.as_str()),
            Some(kind)
        );
    }
    assert_eq!(ResourcePolicyKind::from_name("kms"), None);
}

/// One null-variable Deny case: the Deny policy, the caller, its principal
/// tags, the action, the request context, and the decision expected with
/// an identity policy that allows everything.
type NullVariableCase = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static [(&'static str, &'static str)],
    Decision,
);

const DENY_OUTSIDE_HOME: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:ListBucket","Resource":"*","Condition":{"StringNotLike":{"s3:prefix":"home/${aws:username}/*"}}}]}"#;
/// AWS's own example in reference_policies_variables, "Policy variables with no value".
const DENY_OTHER_TEAMS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Condition":{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}]}"#;

// NOVAL: "Inverted condition operators like StringNotEquals or StringNotLike do match against a null value";
// CO: a negated operator on a missing key is true. A Deny written with one denies whoever lacks the variable.
#[rustfmt::skip]
const NULL_VARIABLE_CASES: &[NullVariableCase] = &[
    // A role session has no aws:username: denied whatever the prefix, and with none.
    (DENY_OUTSIDE_HOME, SESSION, &[], "s3:ListBucket", &[("s3:prefix", "home/app/x")], ExplicitDeny),
    (DENY_OUTSIDE_HOME, SESSION, &[], "s3:ListBucket", &[], ExplicitDeny),
    (DENY_OUTSIDE_HOME, BOB, &[], "s3:ListBucket", &[("s3:prefix", "home/bob/x")], Allowed),
    (DENY_OUTSIDE_HOME, BOB, &[], "s3:ListBucket", &[("s3:prefix", "home/alice/x")], ExplicitDeny),
    // NOVAL: "Access is explicitly denied when aws:principaltag/Team is not set."
    (DENY_OTHER_TEAMS, BOB, &[], "s3:GetObject", &[("s3:ExistingObjectTag/Team", "red")], ExplicitDeny),
    (DENY_OTHER_TEAMS, BOB, &[("Team", "red")], "s3:GetObject", &[("s3:ExistingObjectTag/Team", "red")], Allowed),
    (DENY_OTHER_TEAMS, BOB, &[("Team", "blue")], "s3:GetObject", &[("s3:ExistingObjectTag/Team", "red")], ExplicitDeny),
    (DENY_OTHER_TEAMS, SESSION, &[], "s3:GetObject", &[], ExplicitDeny),
];

#[test]
fn negated_operators_match_a_variable_with_no_value() {
    let mut failures = Vec::new();
    for &(deny, caller, tags, action, context, want) in NULL_VARIABLE_CASES {
        let s = Scenario::default().identity(ALLOW_ALL).identity(deny);
        let principal = tags
            .iter()
            .fold(Principal::from_arn(caller).unwrap(), |p, (k, v)| {
                p.with_tag(k, v)
            });
        let request = context.iter().fold(
            Request::new(principal, action, BUCKET_OBJECT).with_resource_account(ACCOUNT),
            |r, (k, v)| r.with_context(k, *v),
        );
        let got = s.decide(&request);
        if got != want {
            failures.push(format!(
                "{caller} {tags:?} {action} {context:?}: got {got:?}, want {want:?}\n  {deny}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// NOVAL: "If a variable that has no value in the authorization context is used as part of the Resource or NotResource
// element of a policy, the resource that includes a policy variable with no value will not match any resource":
// one rule for every resource, so a NotResource entry with it excludes nothing.
#[rustfmt::skip]
const HOME_RESOURCE_CASES: &[(&str, &str, &str, &str, Decision)] = &[
    // (effect, element, caller, resource, decision); a Deny is evaluated beside an identity Allow of everything.
    ("Deny", "NotResource", SESSION, "arn:aws:s3:::home-bucket/home/app/x", ExplicitDeny),
    ("Deny", "NotResource", SESSION, "arn:aws:s3:::other-bucket/x", ExplicitDeny),
    ("Deny", "NotResource", SESSION, "arn:aws:s3:::home-bucket/home/${aws:username}/x", ExplicitDeny),
    ("Deny", "NotResource", BOB, "arn:aws:s3:::home-bucket/home/bob/x", Allowed),
    ("Deny", "NotResource", BOB, "arn:aws:s3:::home-bucket/home/alice/x", ExplicitDeny),
    ("Allow", "NotResource", SESSION, "arn:aws:s3:::home-bucket/home/app/x", Allowed),
    ("Allow", "NotResource", SESSION, "arn:aws:s3:::other-bucket/x", Allowed),
    ("Deny", "Resource", SESSION, "arn:aws:s3:::home-bucket/home/app/x", Allowed),
    ("Deny", "Resource", BOB, "arn:aws:s3:::home-bucket/home/bob/x", ExplicitDeny),
    ("Allow", "Resource", SESSION, "arn:aws:s3:::home-bucket/home/app/x", ImplicitDeny),
    ("Allow", "Resource", SESSION, "arn:aws:s3:::home-bucket/home/${aws:username}/x", ImplicitDeny),
    ("Allow", "Resource", BOB, "arn:aws:s3:::home-bucket/home/bob/x", Allowed),
];

#[test]
fn a_resource_entry_whose_variable_has_no_value_matches_no_resource() {
    let mut failures = Vec::new();
    for &(effect, element, caller, resource, want) in HOME_RESOURCE_CASES {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":"s3:*","{element}":"arn:aws:s3:::home-bucket/home/${{aws:username}}/*"}}]}}"#
        );
        let mut s = Scenario::default().identity(&doc);
        if effect == "Deny" {
            s = s.identity(ALLOW_ALL);
        }
        let request = Request::new(
            Principal::from_arn(caller).unwrap(),
            "s3:GetObject",
            resource,
        )
        .with_resource_account(ACCOUNT);
        let got = s.decide(&request);
        if got != want {
            failures.push(format!(
                "{effect} {element} for {caller} on {resource}: got {got:?}, want {want:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
