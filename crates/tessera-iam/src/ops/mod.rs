//! The operations Tessera implements, as one declarative table: per
//! operation its service, how it uses the store, the resource it is
//! authorized on (as data: [`ResourceSpec`]), its operation-specific
//! condition keys ([`ConditionKey`]), the secondary actions it requires
//! ([`Secondary`], e.g. `iam:PassRole`) and its handler. Operations are
//! looked up by the [`Op`] enum; names map to it through one `match`.
//!
//! Handlers take the input decoded by the service model (a JSON object
//! keyed by member name) and return the output in the same form; they never
//! see HTTP. Reads are answered from the snapshot; writes run one store
//! transaction through [`crate::table`] and [`crate::edges`].

mod access_keys;
mod account;
mod assume_saml;
mod assume_web_identity;
mod attachments;
mod boundaries;
mod context_keys;
mod credential_report;
mod delegation;
mod delegation_summary;
mod delegation_template;
mod groups;
mod inline;
mod input;
mod keyed;
mod last_accessed;
mod login;
mod managed;
mod mfa;
mod oidc;
mod outbound;
mod output;
mod packed;
mod paging;
mod profiles;
mod roles;
mod root_sessions;
mod saml;
mod server_certificates;
mod service_access;
mod simulator;
mod sts;
mod tags;
mod user_credentials;
mod users;

use serde_json::Value;
use tessera_store::Backend;
use time::OffsetDateTime;

pub use delegation::sent_token as sent_delegation_token;
pub use input::Input;
pub use paging::{decode_marker, encode_marker};

use crate::caller::Caller;
use crate::crypto::Kek;
use crate::ids::Random;
use crate::kind::EntityKind;
use crate::quotas::Quotas;
use crate::records::{
    GroupBody, InstanceProfileBody, LastUsedRecord, MfaDeviceRecord, OidcProviderRecord, RoleBody,
    SamlProviderRecord, ServerCertificateBody, Tag, UserBody,
};
use crate::snapshot::Snapshot;
use crate::IamError;

/// The AWS services Tessera answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// IAM, API version 2010-05-08.
    Iam,
    /// STS, API version 2011-06-15.
    Sts,
}

impl Service {
    /// The SigV4 signing name and action prefix: `iam` or `sts`.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }

    /// The service named by a SigV4 credential scope.
    pub fn from_signing_name(name: &str) -> Option<Service> {
        match name {
            "iam" => Some(Service::Iam),
            "sts" => Some(Service::Sts),
            _ => None,
        }
    }
}

/// The server's record of use: access keys' last use, and every principal's
/// attempts on services and actions. The server keeps both in memory and
/// writes them in the background, so that no request waits on a write.
pub trait Usage: Send + Sync {
    /// The latest known use of `access_key_id`.
    fn last_used(&self, access_key_id: &str) -> Option<LastUsedRecord>;

    /// Notes an authenticated request's attempt on an action, allowed or
    /// denied (see [`crate::service_usage`]).
    fn attempted(&self, attempt: crate::service_usage::Attempt<'_>);
}

/// Everything a handler may use.
pub struct OpContext<'a> {
    /// The store, for writes and for reads the snapshot does not hold.
    pub store: &'a dyn Backend,
    /// The snapshot the request was authorized against.
    pub snapshot: &'a Snapshot,
    /// The authenticated caller.
    pub caller: &'a Caller,
    /// The request time.
    pub now: OffsetDateTime,
    /// The random source.
    pub random: &'a dyn Random,
    /// The key-encryption key, for sealing new secrets.
    pub kek: &'a Kek,
    /// The quotas in force.
    pub quotas: &'a Quotas,
    /// The server's record of use (access keys' last use).
    pub usage: &'a dyn Usage,
    /// The server's public base URL, under which it serves the issuers
    /// of outbound identity federation (see [`crate::outbound`]).
    pub public_url: &'a str,
}

/// How an operation uses the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreUse {
    /// Answered from the snapshot alone.
    None,
    /// Reads the store (persisted records the snapshot does not hold).
    Read,
    /// Writes the store; the node's snapshot must see the change before the
    /// caller's next request.
    Write,
}

/// The resource an operation is authorized on, as the Service
/// Authorization Reference gives it, resolved against the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceSpec {
    /// `*`: the action has no resource type.
    Star,
    /// A list over a kind: `arn:aws:iam::ACCOUNT:KIND/` (with `PathPrefix`
    /// when given).
    AllOf(EntityKind),
    /// A new entity: its ARN from the kind's name member and `Path`.
    New(EntityKind),
    /// The existing entity named by the kind's name member.
    Named(EntityKind),
    /// The user named by `UserName`, or the calling user without it.
    NamedOrCaller,
    /// The managed policy named by `PolicyArn`.
    PolicyArn,
    /// The owner of the access key named by `AccessKeyId`.
    AccessKeyOwner,
    /// A rename or move: the entity named by the kind's name member, and
    /// also its ARN after the change (`NewUserName`/`NewGroupName`,
    /// `NewPath`), as AWS authorizes both.
    Renamed(EntityKind),
    /// The service-linked role `CreateServiceLinkedRole` would create.
    ServiceLinkedRole,
    /// The role named by `RoleArn`, in any account; its trust policy is
    /// the resource policy of the request.
    RoleArn,
    /// A new virtual MFA device: its serial from `VirtualMFADeviceName`
    /// and `Path`.
    NewMfaDevice,
    /// The MFA device named by `SerialNumber`.
    MfaSerial,
    /// A new OpenID Connect provider: its ARN from `Url`.
    NewOidcProvider,
    /// The OpenID Connect provider named by `OpenIDConnectProviderArn`.
    OidcProviderArn,
    /// The user, group or role whose ARN is in the member
    /// (`PolicySourceArn`, `Arn`).
    EntityArnIn(&'static str),
    /// A new SAML provider: its ARN from `Name`.
    NewSamlProvider,
    /// The SAML provider named by `SAMLProviderArn`.
    SamlProviderArn,
    /// The federated user a `GetFederationToken` names
    /// (`arn:aws:sts::ACCOUNT:federated-user/NAME`).
    FederatedUser,
    /// The Organizations access report of the entity `EntityPath` names
    /// (`arn:aws:iam::ACCOUNT:access-report/ENTITY_PATH`).
    AccessReport,
    /// The service-linked role a `DeletionTaskId`
    /// (`task/aws-service-role/SERVICE/ROLE/UUID`) names.
    DeletionTaskRole,
    /// A new delegation request of the caller's account
    /// (`arn:aws:iam::ACCOUNT:delegation-request/*`: its id is not known
    /// yet).
    NewDelegationRequest,
    /// The delegation request named by the member (`DelegationRequestId`,
    /// or the ARN in `EntityArn`), as the caller's account names it; its
    /// owner's default permissions are its resource policy.
    DelegationRequest(&'static str),
    /// The root user of the account `AssumeRoot`'s `TargetPrincipal`
    /// names (`arn:aws:iam::ACCOUNT:root`).
    TargetRootUser,
}

/// Operation-specific condition keys an operation fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionKey {
    /// `aws:RequestTag/*` and `aws:TagKeys` from the `Tags` member.
    RequestTags,
    /// `aws:TagKeys` from the `TagKeys` member.
    TagKeys,
    /// `iam:PermissionsBoundary` from the `PermissionsBoundary` member.
    PermissionsBoundary,
    /// `iam:PermissionsBoundary`: the boundary the named entity has now.
    CurrentBoundary(EntityKind),
    /// `iam:PolicyARN` from the `PolicyArn` member.
    PolicyArn,
    /// `iam:AWSServiceName` from the `AWSServiceName` member.
    AwsServiceName,
    /// `sts:ExternalId`, `sts:RoleSessionName`, `sts:SourceIdentity`,
    /// `sts:TransitiveTagKeys` from `AssumeRole`'s members.
    AssumeRoleKeys,
    /// `iam:OrganizationsPolicyId` from the `OrganizationsPolicyId` member.
    OrganizationsPolicyId,
    /// `iam:DelegationDuration`, `iam:NotificationChannel` and
    /// `iam:TemplateArn` from `CreateDelegationRequest`'s members.
    DelegationTerms,
    /// `iam:DelegationRequestOwner` from the `OwnerId` member.
    DelegationRequestOwner,
    /// `sts:IdentityTokenAudience`, `sts:SigningAlgorithm` and
    /// `sts:DurationSeconds` (the token's lifetime, 300 when not given)
    /// from `GetWebIdentityToken`'s members.
    WebIdentityTokenKeys,
    /// `sts:TaskPolicyArn` from `AssumeRoot`'s `TaskPolicyArn`.
    TaskPolicyArn,
    /// For `AssumeRoleWithWebIdentity`, from the verified token: the
    /// provider's keys (`HOST/PATH:aud`, `:sub`, `:amr`, `:azp`, `:oaud`),
    /// `aws:FederatedProvider`, the session tags of its tags claim
    /// (`aws:RequestTag/*`, `aws:TagKeys`, `sts:TransitiveTagKeys`), its
    /// source identity (`sts:SourceIdentity`); and `sts:RoleSessionName`.
    WebIdentityKeys,
    /// For `AssumeRoleWithSAML`, from the verified assertion: the
    /// `saml:*` keys, `aws:FederatedProvider`, `sts:RoleSessionName`, the
    /// session tags of its `PrincipalTag` attributes (`aws:RequestTag/*`,
    /// `aws:TagKeys`, `sts:TransitiveTagKeys`) and `sts:SourceIdentity`.
    SamlKeys,
}

/// A further action an operation requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secondary {
    /// `iam:PassRole` on the role named by the member, with
    /// `iam:PassedToService` set to the service.
    PassRole {
        /// The member naming the role.
        role_member: &'static str,
        /// The service the role is passed to.
        service: &'static str,
    },
    /// `sts:TagSession` on the same role, when the request passes `Tags`
    /// (or its web identity token carries session tags).
    TagSession,
    /// `sts:SetSourceIdentity` on the same role, when the request passes
    /// `SourceIdentity` (or its web identity token carries one).
    SetSourceIdentity,
    /// `sts:TagGetWebIdentityToken`, when a `GetWebIdentityToken` request
    /// passes `Tags`.
    TagGetWebIdentityToken,
}

pub use output::{Field, Members, Output};

/// The handler of an operation.
pub type Handler = fn(&OpContext<'_>, &Value) -> Result<Output, IamError>;

/// An operation Tessera implements: one row of the table.
#[derive(Debug)]
pub struct Operation {
    /// The operation's enum value.
    pub op: Op,
    /// The service.
    pub service: Service,
    /// The action name, as in `Action=CreateUser`.
    pub name: &'static str,
    /// How the handler uses the store: the server runs handlers that use
    /// it off the async threads, and refreshes its snapshot after writes.
    pub store: StoreUse,
    /// The resource the request acts on.
    pub resource: ResourceSpec,
    /// Operation-specific condition keys.
    pub condition_keys: &'static [ConditionKey],
    /// Further actions the caller needs.
    pub secondary: &'static [Secondary],
    /// Whether every authenticated caller may call it without a policy
    /// (only `sts:GetCallerIdentity`).
    pub always_allowed: bool,
    /// The handler.
    pub handler: Handler,
}

/// What a request is authorized as: the action on one or more resources,
/// with the operation's condition keys, plus secondary actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The IAM action, e.g. `iam:CreateUser`.
    pub action: String,
    /// The resource ARN the action is on.
    pub resource: String,
    /// Further resources the same action must be allowed on (a rename's
    /// destination).
    pub also: Vec<String>,
    /// Tags of the entity the action is on (`aws:ResourceTag/*`,
    /// `iam:ResourceTag/*`).
    pub resource_tags: Vec<Tag>,
    /// Operation-specific context keys and their values.
    pub context: Vec<(String, tessera_policy::ContextValue)>,
    /// Secondary actions, each authorized on its own resource.
    pub secondary: Vec<Target>,
    /// For `sts:AssumeRole`: the role whose trust policy must allow the
    /// request (its account owns the resource).
    pub trust: Option<TrustTarget>,
    /// A resource-based policy of the resource, as a document: the
    /// default permissions of a delegation request's owner.
    pub resource_policy: Option<String>,
}

/// The role whose trust policy decides an `AssumeRole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustTarget {
    /// The role's id.
    pub role_id: String,
    /// The role's account.
    pub account: String,
}

impl Operation {
    /// The action, resources and keys to authorize.
    pub fn target(&self, snapshot: &Snapshot, caller: &Caller, input: &Value) -> Target {
        authorization::target(self, snapshot, caller, input)
    }
}

mod authorization;

macro_rules! operations {
    ($(
        $name:ident: $service:ident, $store:ident, $resource:expr,
            [$($key:expr),*], [$($secondary:expr),*], $handler:expr;
    )*) => {
        /// Every implemented operation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Op {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                $name,
            )*
        }

        impl Op {
            /// Every implemented operation, in table order.
            pub const ALL: &'static [Op] = &[$(Op::$name),*];

            /// The operation `name` of `service`, if implemented.
            pub fn from_name(service: Service, name: &str) -> Option<Op> {
                // Looked up on every request: hashed once, not compared
                // against every name in turn. The table is fixed, so a
                // fast hasher is safe whatever name a request sends.
                type Index = foldhash::HashMap<&'static str, Op>;
                static BY_NAME: std::sync::OnceLock<[Index; 2]> = std::sync::OnceLock::new();
                let [iam, sts] = BY_NAME.get_or_init(|| {
                    let mut by_service: [Index; 2] = Default::default();
                    $(
                        let service_index = usize::from(Service::$service == Service::Sts);
                        if let Some(index) = by_service.get_mut(service_index) {
                            index.insert(stringify!($name), Op::$name);
                        }
                    )*
                    by_service
                });
                let index = match service {
                    Service::Iam => iam,
                    Service::Sts => sts,
                };
                index.get(name).copied()
            }

            /// The operation's row of the table.
            pub fn operation(self) -> &'static Operation {
                match self {
                    $(
                        Op::$name => {
                            static ROW: Operation = Operation {
                                op: Op::$name,
                                service: Service::$service,
                                name: stringify!($name),
                                store: StoreUse::$store,
                                resource: $resource,
                                condition_keys: &[$($key),*],
                                secondary: &[$($secondary),*],
                                // AWS: GetCallerIdentity is never denied, and
                                // GetSessionToken needs no permission.
                                always_allowed: matches!(
                                    Op::$name,
                                    Op::GetCallerIdentity | Op::GetSessionToken
                                ),
                                // A handler answers a JSON value or
                                // ordered members; the row takes either.
                                handler: |ctx, input| ($handler)(ctx, input).map(Output::from),
                            };
                            &ROW
                        }
                    )*
                }
            }
        }
    };
}

use ConditionKey as K;
use EntityKind::{
    Group as G, InstanceProfile as IP, Policy as P, Role as R, ServerCertificate as SC, User as U,
};
use ResourceSpec as Res;
use ResourceSpec::DelegationRequest as Dr;

operations! {
    GetCallerIdentity: Sts, None, Res::Star, [], [], sts::get_caller_identity;
    AssumeRole: Sts, None, Res::RoleArn, [K::RequestTags, K::AssumeRoleKeys],
        [Secondary::TagSession, Secondary::SetSourceIdentity], sts::assume_role;
    GetSessionToken: Sts, None, Res::Star, [], [], sts::get_session_token;
    GetAccessKeyInfo: Sts, None, Res::Star, [], [], sts::get_access_key_info;
    DecodeAuthorizationMessage: Sts, None, Res::Star, [], [], sts::decode_authorization_message;
    GetFederationToken: Sts, None, Res::FederatedUser, [K::RequestTags], [Secondary::TagSession],
        sts::get_federation_token;
    GetDelegatedAccessToken: Sts, None, Res::Star, [], [], sts::get_delegated_access_token;
    GetWebIdentityToken: Sts, None, Res::Star, [K::RequestTags, K::WebIdentityTokenKeys],
        [Secondary::TagGetWebIdentityToken], outbound::get_web_identity_token;
    AssumeRoot: Sts, None, Res::TargetRootUser, [K::TaskPolicyArn], [], root_sessions::assume_root;
    AssumeRoleWithWebIdentity: Sts, None, Res::RoleArn, [K::WebIdentityKeys],
        [Secondary::TagSession, Secondary::SetSourceIdentity],
        assume_web_identity::assume_role_with_web_identity;
    AssumeRoleWithSAML: Sts, None, Res::RoleArn, [K::SamlKeys],
        [Secondary::TagSession, Secondary::SetSourceIdentity], assume_saml::assume_role_with_saml;

    CreateUser: Iam, Write, Res::New(U), [K::RequestTags, K::PermissionsBoundary], [], users::create_user;
    GetUser: Iam, None, Res::NamedOrCaller, [], [], users::get_user;
    ListUsers: Iam, None, Res::AllOf(U), [], [], users::list_users;
    UpdateUser: Iam, Write, Res::Renamed(U), [], [], users::update_user;
    DeleteUser: Iam, Write, Res::Named(U), [], [], users::delete_user;
    TagUser: Iam, Write, Res::Named(U), [K::RequestTags], [], tags::tag::<UserBody>;
    UntagUser: Iam, Write, Res::Named(U), [K::TagKeys], [], tags::untag::<UserBody>;
    ListUserTags: Iam, None, Res::Named(U), [], [], tags::list::<UserBody>;
    PutUserPolicy: Iam, Write, Res::Named(U), [K::CurrentBoundary(U)], [], inline::put::<UserBody>;
    GetUserPolicy: Iam, None, Res::Named(U), [], [], inline::get::<UserBody>;
    ListUserPolicies: Iam, None, Res::Named(U), [], [], inline::list::<UserBody>;
    DeleteUserPolicy: Iam, Write, Res::Named(U), [K::CurrentBoundary(U)], [], inline::delete::<UserBody>;
    AttachUserPolicy: Iam, Write, Res::Named(U), [K::PolicyArn, K::CurrentBoundary(U)], [], attachments::attach::<UserBody>;
    DetachUserPolicy: Iam, Write, Res::Named(U), [K::PolicyArn, K::CurrentBoundary(U)], [], attachments::detach::<UserBody>;
    ListAttachedUserPolicies: Iam, None, Res::Named(U), [], [], attachments::list::<UserBody>;
    PutUserPermissionsBoundary: Iam, Write, Res::Named(U), [K::PermissionsBoundary], [], boundaries::put::<UserBody>;
    DeleteUserPermissionsBoundary: Iam, Write, Res::Named(U), [K::CurrentBoundary(U)], [], boundaries::delete::<UserBody>;

    CreateAccessKey: Iam, Write, Res::NamedOrCaller, [], [], access_keys::create_access_key;
    ListAccessKeys: Iam, Read, Res::NamedOrCaller, [], [], access_keys::list_access_keys;
    UpdateAccessKey: Iam, Write, Res::NamedOrCaller, [], [], access_keys::update_access_key;
    DeleteAccessKey: Iam, Write, Res::NamedOrCaller, [], [], access_keys::delete_access_key;
    GetAccessKeyLastUsed: Iam, Read, Res::AccessKeyOwner, [], [], access_keys::get_access_key_last_used;

    CreateGroup: Iam, Write, Res::New(G), [], [], groups::create_group;
    GetGroup: Iam, None, Res::Named(G), [], [], groups::get_group;
    ListGroups: Iam, None, Res::AllOf(G), [], [], groups::list_groups;
    UpdateGroup: Iam, Write, Res::Renamed(G), [], [], groups::update_group;
    DeleteGroup: Iam, Write, Res::Named(G), [], [], groups::delete_group;
    AddUserToGroup: Iam, Write, Res::Named(G), [], [], groups::add_user_to_group;
    RemoveUserFromGroup: Iam, Write, Res::Named(G), [], [], groups::remove_user_from_group;
    ListGroupsForUser: Iam, None, Res::Named(U), [], [], groups::list_groups_for_user;
    PutGroupPolicy: Iam, Write, Res::Named(G), [], [], inline::put::<GroupBody>;
    GetGroupPolicy: Iam, None, Res::Named(G), [], [], inline::get::<GroupBody>;
    ListGroupPolicies: Iam, None, Res::Named(G), [], [], inline::list::<GroupBody>;
    DeleteGroupPolicy: Iam, Write, Res::Named(G), [], [], inline::delete::<GroupBody>;
    AttachGroupPolicy: Iam, Write, Res::Named(G), [K::PolicyArn], [], attachments::attach::<GroupBody>;
    DetachGroupPolicy: Iam, Write, Res::Named(G), [K::PolicyArn], [], attachments::detach::<GroupBody>;
    ListAttachedGroupPolicies: Iam, None, Res::Named(G), [], [], attachments::list::<GroupBody>;

    CreateRole: Iam, Write, Res::New(R), [K::RequestTags, K::PermissionsBoundary], [], roles::create_role;
    GetRole: Iam, None, Res::Named(R), [K::CurrentBoundary(R)], [], roles::get_role;
    ListRoles: Iam, None, Res::AllOf(R), [], [], roles::list_roles;
    UpdateRole: Iam, Write, Res::Named(R), [K::CurrentBoundary(R)], [], roles::update_role;
    UpdateRoleDescription: Iam, Write, Res::Named(R), [K::CurrentBoundary(R)], [], roles::update_role_description;
    UpdateAssumeRolePolicy: Iam, Write, Res::Named(R), [K::CurrentBoundary(R)], [], roles::update_assume_role_policy;
    DeleteRole: Iam, Write, Res::Named(R), [K::CurrentBoundary(R)], [], roles::delete_role;
    TagRole: Iam, Write, Res::Named(R), [K::RequestTags], [], tags::tag::<RoleBody>;
    UntagRole: Iam, Write, Res::Named(R), [K::TagKeys], [], tags::untag::<RoleBody>;
    ListRoleTags: Iam, None, Res::Named(R), [], [], tags::list::<RoleBody>;
    PutRolePolicy: Iam, Write, Res::Named(R), [K::CurrentBoundary(R)], [], inline::put::<RoleBody>;
    GetRolePolicy: Iam, None, Res::Named(R), [], [], inline::get::<RoleBody>;
    ListRolePolicies: Iam, None, Res::Named(R), [], [], inline::list::<RoleBody>;
    DeleteRolePolicy: Iam, Write, Res::Named(R), [K::CurrentBoundary(R)], [], inline::delete::<RoleBody>;
    AttachRolePolicy: Iam, Write, Res::Named(R), [K::PolicyArn, K::CurrentBoundary(R)], [], attachments::attach::<RoleBody>;
    DetachRolePolicy: Iam, Write, Res::Named(R), [K::PolicyArn, K::CurrentBoundary(R)], [], attachments::detach::<RoleBody>;
    ListAttachedRolePolicies: Iam, None, Res::Named(R), [], [], attachments::list::<RoleBody>;
    PutRolePermissionsBoundary: Iam, Write, Res::Named(R), [K::PermissionsBoundary], [], boundaries::put::<RoleBody>;
    DeleteRolePermissionsBoundary: Iam, Write, Res::Named(R), [K::CurrentBoundary(R)], [], boundaries::delete::<RoleBody>;
    CreateServiceLinkedRole: Iam, Write, Res::ServiceLinkedRole, [K::AwsServiceName], [], roles::create_service_linked_role;
    DeleteServiceLinkedRole: Iam, Write, Res::Named(R), [], [], roles::delete_service_linked_role;
    GetServiceLinkedRoleDeletionStatus: Iam, Read, Res::DeletionTaskRole, [], [], roles::get_service_linked_role_deletion_status;

    CreatePolicy: Iam, Write, Res::New(P), [K::RequestTags], [], managed::create_policy;
    GetPolicy: Iam, None, Res::PolicyArn, [], [], managed::get_policy;
    ListPolicies: Iam, None, Res::Star, [], [], managed::list_policies;
    DeletePolicy: Iam, Write, Res::PolicyArn, [], [], managed::delete_policy;
    CreatePolicyVersion: Iam, Write, Res::PolicyArn, [], [], managed::create_policy_version;
    GetPolicyVersion: Iam, None, Res::PolicyArn, [], [], managed::get_policy_version;
    ListPolicyVersions: Iam, None, Res::PolicyArn, [], [], managed::list_policy_versions;
    SetDefaultPolicyVersion: Iam, Write, Res::PolicyArn, [], [], managed::set_default_policy_version;
    DeletePolicyVersion: Iam, Write, Res::PolicyArn, [], [], managed::delete_policy_version;
    TagPolicy: Iam, Write, Res::PolicyArn, [K::RequestTags], [], managed::tag_policy;
    UntagPolicy: Iam, Write, Res::PolicyArn, [K::TagKeys], [], managed::untag_policy;
    ListPolicyTags: Iam, None, Res::PolicyArn, [], [], managed::list_policy_tags;
    ListEntitiesForPolicy: Iam, None, Res::PolicyArn, [], [], attachments::list_entities_for_policy;

    CreateInstanceProfile: Iam, Write, Res::New(IP), [K::RequestTags], [], profiles::create_instance_profile;
    GetInstanceProfile: Iam, None, Res::Named(IP), [], [], profiles::get_instance_profile;
    ListInstanceProfiles: Iam, None, Res::AllOf(IP), [], [], profiles::list_instance_profiles;
    DeleteInstanceProfile: Iam, Write, Res::Named(IP), [], [], profiles::delete_instance_profile;
    AddRoleToInstanceProfile: Iam, Write, Res::Named(IP), [],
        [Secondary::PassRole { role_member: "RoleName", service: "ec2.amazonaws.com" }],
        profiles::add_role_to_instance_profile;
    RemoveRoleFromInstanceProfile: Iam, Write, Res::Named(IP), [], [], profiles::remove_role_from_instance_profile;
    ListInstanceProfilesForRole: Iam, None, Res::Named(R), [], [], profiles::list_instance_profiles_for_role;
    TagInstanceProfile: Iam, Write, Res::Named(IP), [K::RequestTags], [], tags::tag::<InstanceProfileBody>;
    UntagInstanceProfile: Iam, Write, Res::Named(IP), [K::TagKeys], [], tags::untag::<InstanceProfileBody>;
    ListInstanceProfileTags: Iam, None, Res::Named(IP), [], [], tags::list::<InstanceProfileBody>;

    CreateLoginProfile: Iam, Write, Res::Named(U), [], [], login::create_login_profile;
    GetLoginProfile: Iam, None, Res::NamedOrCaller, [], [], login::get_login_profile;
    UpdateLoginProfile: Iam, Write, Res::Named(U), [], [], login::update_login_profile;
    DeleteLoginProfile: Iam, Write, Res::Named(U), [], [], login::delete_login_profile;
    ChangePassword: Iam, Write, Res::NamedOrCaller, [], [], login::change_password;
    UpdateAccountPasswordPolicy: Iam, Write, Res::Star, [], [], login::update_account_password_policy;
    GetAccountPasswordPolicy: Iam, None, Res::Star, [], [], login::get_account_password_policy;
    DeleteAccountPasswordPolicy: Iam, Write, Res::Star, [], [], login::delete_account_password_policy;

    CreateVirtualMFADevice: Iam, Write, Res::NewMfaDevice, [K::RequestTags], [], mfa::create;
    EnableMFADevice: Iam, Write, Res::NamedOrCaller, [], [], mfa::enable;
    ResyncMFADevice: Iam, Write, Res::NamedOrCaller, [], [], mfa::resync;
    DeactivateMFADevice: Iam, Write, Res::NamedOrCaller, [], [], mfa::deactivate;
    DeleteVirtualMFADevice: Iam, Write, Res::MfaSerial, [], [], mfa::delete;
    GetMFADevice: Iam, None, Res::NamedOrCaller, [], [], mfa::get;
    ListMFADevices: Iam, None, Res::NamedOrCaller, [], [], mfa::list;
    ListVirtualMFADevices: Iam, None, Res::Star, [], [], mfa::list_virtual;
    TagMFADevice: Iam, Write, Res::MfaSerial, [K::RequestTags], [], keyed::tag::<MfaDeviceRecord>;
    UntagMFADevice: Iam, Write, Res::MfaSerial, [K::TagKeys], [], keyed::untag::<MfaDeviceRecord>;
    ListMFADeviceTags: Iam, None, Res::MfaSerial, [], [], keyed::list_tags::<MfaDeviceRecord>;

    CreateOpenIDConnectProvider: Iam, Write, Res::NewOidcProvider, [K::RequestTags], [], oidc::create;
    GetOpenIDConnectProvider: Iam, None, Res::OidcProviderArn, [], [], oidc::get;
    ListOpenIDConnectProviders: Iam, None, Res::Star, [], [], oidc::list;
    DeleteOpenIDConnectProvider: Iam, Write, Res::OidcProviderArn, [], [], oidc::delete;
    AddClientIDToOpenIDConnectProvider: Iam, Write, Res::OidcProviderArn, [], [], oidc::add_client_id;
    RemoveClientIDFromOpenIDConnectProvider: Iam, Write, Res::OidcProviderArn, [], [], oidc::remove_client_id;
    UpdateOpenIDConnectProviderThumbprint: Iam, Write, Res::OidcProviderArn, [], [], oidc::update_thumbprint;
    TagOpenIDConnectProvider: Iam, Write, Res::OidcProviderArn, [K::RequestTags], [], keyed::tag::<OidcProviderRecord>;
    UntagOpenIDConnectProvider: Iam, Write, Res::OidcProviderArn, [K::TagKeys], [], keyed::untag::<OidcProviderRecord>;
    ListOpenIDConnectProviderTags: Iam, None, Res::OidcProviderArn, [], [], keyed::list_tags::<OidcProviderRecord>;

    UploadSSHPublicKey: Iam, Write, Res::Named(U), [], [], user_credentials::upload_ssh_public_key;
    GetSSHPublicKey: Iam, Read, Res::Named(U), [], [], user_credentials::get_ssh_public_key;
    ListSSHPublicKeys: Iam, Read, Res::NamedOrCaller, [], [], user_credentials::list_ssh_public_keys;
    UpdateSSHPublicKey: Iam, Write, Res::Named(U), [], [], user_credentials::update_ssh_public_key;
    DeleteSSHPublicKey: Iam, Write, Res::Named(U), [], [], user_credentials::delete_ssh_public_key;
    UploadSigningCertificate: Iam, Write, Res::NamedOrCaller, [], [], user_credentials::upload_signing_certificate;
    ListSigningCertificates: Iam, Read, Res::NamedOrCaller, [], [], user_credentials::list_signing_certificates;
    UpdateSigningCertificate: Iam, Write, Res::NamedOrCaller, [], [], user_credentials::update_signing_certificate;
    DeleteSigningCertificate: Iam, Write, Res::NamedOrCaller, [], [], user_credentials::delete_signing_certificate;
    CreateServiceSpecificCredential: Iam, Write, Res::Named(U), [], [], user_credentials::create_service_specific_credential;
    ListServiceSpecificCredentials: Iam, Read, Res::NamedOrCaller, [], [], user_credentials::list_service_specific_credentials;
    ResetServiceSpecificCredential: Iam, Write, Res::NamedOrCaller, [], [], user_credentials::reset_service_specific_credential;
    UpdateServiceSpecificCredential: Iam, Write, Res::NamedOrCaller, [], [], user_credentials::update_service_specific_credential;
    DeleteServiceSpecificCredential: Iam, Write, Res::NamedOrCaller, [], [], user_credentials::delete_service_specific_credential;

    UploadServerCertificate: Iam, Write, Res::New(SC), [K::RequestTags], [], server_certificates::upload_server_certificate;
    GetServerCertificate: Iam, None, Res::Named(SC), [], [], server_certificates::get_server_certificate;
    ListServerCertificates: Iam, None, Res::AllOf(SC), [], [], server_certificates::list_server_certificates;
    UpdateServerCertificate: Iam, Write, Res::Renamed(SC), [], [], server_certificates::update_server_certificate;
    DeleteServerCertificate: Iam, Write, Res::Named(SC), [], [], server_certificates::delete_server_certificate;
    TagServerCertificate: Iam, Write, Res::Named(SC), [K::RequestTags], [], tags::tag::<ServerCertificateBody>;
    UntagServerCertificate: Iam, Write, Res::Named(SC), [K::TagKeys], [], tags::untag::<ServerCertificateBody>;
    ListServerCertificateTags: Iam, None, Res::Named(SC), [], [], tags::list::<ServerCertificateBody>;

    GetContextKeysForCustomPolicy: Iam, None, Res::Star, [], [], context_keys::for_custom_policy;
    GetContextKeysForPrincipalPolicy: Iam, None, Res::EntityArnIn("PolicySourceArn"), [], [], context_keys::for_principal_policy;

    SimulateCustomPolicy: Iam, None, Res::Star, [], [], simulator::simulate_custom_policy;
    SimulatePrincipalPolicy: Iam, None, Res::EntityArnIn("PolicySourceArn"), [], [], simulator::simulate_principal_policy;

    ListPoliciesGrantingServiceAccess: Iam, None, Res::EntityArnIn("Arn"), [], [], service_access::list_policies_granting_service_access;
    GenerateServiceLastAccessedDetails: Iam, Write, Res::EntityArnIn("Arn"), [], [], last_accessed::generate;
    GetServiceLastAccessedDetails: Iam, Read, Res::Star, [], [], last_accessed::get;
    GetServiceLastAccessedDetailsWithEntities: Iam, Read, Res::Star, [], [], last_accessed::get_with_entities;
    GenerateOrganizationsAccessReport: Iam, None, Res::AccessReport, [K::OrganizationsPolicyId], [], account::generate_organizations_access_report;
    GetOrganizationsAccessReport: Iam, None, Res::Star, [], [], account::get_organizations_access_report;

    GenerateCredentialReport: Iam, Write, Res::Star, [], [], credential_report::generate_credential_report;
    GetCredentialReport: Iam, Read, Res::Star, [], [], credential_report::get_credential_report;

    CreateSAMLProvider: Iam, Write, Res::NewSamlProvider, [K::RequestTags], [], saml::create;
    GetSAMLProvider: Iam, None, Res::SamlProviderArn, [], [], saml::get;
    UpdateSAMLProvider: Iam, Write, Res::SamlProviderArn, [], [], saml::update;
    DeleteSAMLProvider: Iam, Write, Res::SamlProviderArn, [], [], saml::delete;
    ListSAMLProviders: Iam, None, Res::Star, [], [], saml::list;
    TagSAMLProvider: Iam, Write, Res::SamlProviderArn, [K::RequestTags], [], keyed::tag::<SamlProviderRecord>;
    UntagSAMLProvider: Iam, Write, Res::SamlProviderArn, [K::TagKeys], [], keyed::untag::<SamlProviderRecord>;
    ListSAMLProviderTags: Iam, None, Res::SamlProviderArn, [], [], keyed::list_tags::<SamlProviderRecord>;

    CreateDelegationRequest: Iam, Write, Res::NewDelegationRequest, [K::DelegationTerms], [], delegation::create;
    GetDelegationRequest: Iam, None, Dr("DelegationRequestId"), [], [], delegation::get;
    ListDelegationRequests: Iam, None, Res::Star, [K::DelegationRequestOwner], [], delegation::list;
    AssociateDelegationRequest: Iam, Write, Dr("DelegationRequestId"), [], [], delegation::associate;
    UpdateDelegationRequest: Iam, Write, Dr("DelegationRequestId"), [], [], delegation::update;
    AcceptDelegationRequest: Iam, Write, Dr("DelegationRequestId"), [], [], delegation::accept;
    RejectDelegationRequest: Iam, Write, Dr("DelegationRequestId"), [], [], delegation::reject;
    SendDelegationToken: Iam, Write, Dr("DelegationRequestId"), [], [], delegation::send_token;
    GetHumanReadableSummary: Iam, None, Dr("EntityArn"), [], [], delegation::summary;

    GetAccountAuthorizationDetails: Iam, None, Res::Star, [], [], account::get_account_authorization_details;
    GetAccountSummary: Iam, None, Res::Star, [], [], account::get_account_summary;
    CreateAccountAlias: Iam, Write, Res::Star, [], [], account::create_account_alias;
    DeleteAccountAlias: Iam, Write, Res::Star, [], [], account::delete_account_alias;
    ListAccountAliases: Iam, None, Res::Star, [], [], account::list_account_aliases;
    SetSecurityTokenServicePreferences: Iam, Write, Res::Star, [], [], account::set_security_token_service_preferences;
    ListOrganizationsFeatures: Iam, None, Res::Star, [], [], account::organizations_feature;
    EnableOrganizationsRootCredentialsManagement: Iam, None, Res::Star, [], [], account::organizations_feature;
    DisableOrganizationsRootCredentialsManagement: Iam, None, Res::Star, [], [], account::organizations_feature;
    EnableOrganizationsRootSessions: Iam, None, Res::Star, [], [], account::organizations_feature;
    DisableOrganizationsRootSessions: Iam, None, Res::Star, [], [], account::organizations_feature;
    EnableOutboundWebIdentityFederation: Iam, Write, Res::Star, [], [], outbound::enable;
    DisableOutboundWebIdentityFederation: Iam, Write, Res::Star, [], [], outbound::disable;
    GetOutboundWebIdentityFederationInfo: Iam, None, Res::Star, [], [], outbound::info;
}

/// Checks an operation's input beyond what the service model checks,
/// before authorization (as AWS does: a malformed `RoleArn` is a
/// `ValidationError`, not a refusal).
pub fn precheck(operation: &Operation, input: &Value) -> Result<(), IamError> {
    match operation.op {
        Op::GetHumanReadableSummary => {
            delegation::check_summary_entity(Input(input).str("EntityArn").unwrap_or(""))
        }
        Op::GetWebIdentityToken => outbound::check_signing_algorithm(Input(input)),
        Op::AssumeRoot => root_sessions::check_input(input),
        Op::AssumeRole | Op::AssumeRoleWithWebIdentity | Op::AssumeRoleWithSAML => {
            sts::check_role_arn(Input(input).str("RoleArn").unwrap_or(""))
        }
        _ => Ok(()),
    }
}

/// The ARN of the OpenID Connect provider of `account` whose issuer URL
/// is `url` (`https://HOST/PATH`).
pub(crate) fn oidc_provider_arn(partition: &str, account: &str, url: &str) -> Option<String> {
    oidc::provider_arn(partition, account, url)
}

/// Whether the operation `action` of `service` is answered without AWS
/// credentials: the federation calls, whose token or assertion is their
/// authentication. A signed request is still verified, but the caller is
/// the one its token stands for ([`federated_caller`]).
pub fn accepts_unsigned(service: Service, action: &str) -> bool {
    service == Service::Sts && matches!(action, "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity")
}

/// Whether the operation itself evaluates policies the caller supplies
/// (the policy simulator): its cost follows the caller's documents,
/// context entries and lists of actions and resources, so a server runs it
/// where a long evaluation holds no one else up.
pub fn evaluates_policies(op: Op) -> bool {
    matches!(op, Op::SimulateCustomPolicy | Op::SimulatePrincipalPolicy)
}

/// The caller a federation request stands for, from its verified token
/// or assertion; `None` for an operation that is not a federation.
pub fn federated_caller(
    operation: &Operation,
    snapshot: &Snapshot,
    input: &Value,
    now: OffsetDateTime,
) -> Option<Result<Caller, IamError>> {
    match operation.op {
        Op::AssumeRoleWithSAML => Some(crate::saml::identity::caller(
            snapshot,
            input,
            now.unix_timestamp(),
        )),
        _ => None,
    }
}

/// The implemented operation `name` of `service`, if any.
pub fn find(service: Service, name: &str) -> Option<&'static Operation> {
    Op::from_name(service, name).map(Op::operation)
}

/// All implemented operations.
pub fn all() -> impl Iterator<Item = &'static Operation> {
    Op::ALL.iter().map(|op| op.operation())
}

/// An output of one member, `{name: value}`, taking `value` as it is:
/// `json!({"User": value})` would serialize a copy of the whole value
/// (every member's text again) and drop the original.
pub(crate) fn one_member(name: &str, value: impl Into<Value>) -> Value {
    let mut out = serde_json::Map::with_capacity(1);
    out.insert(name.to_owned(), value.into());
    Value::Object(out)
}

/// An ISO 8601 timestamp as IAM writes it: `2024-05-01T12:34:56Z`.
pub fn iso8601(seconds: i64) -> String {
    utc_timestamp(seconds, "Z")
}

/// A UTC timestamp to the second, followed by `zone` (`Z`, or `+00:00`
/// as the credential report writes it).
pub(crate) fn utc_timestamp(seconds: i64, zone: &str) -> String {
    let t = OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    // Written digit by digit: every answer naming an entity carries one,
    // and the formatting machinery cost more than the rest of the value.
    if let Ok(year) = u16::try_from(t.year()) {
        if year <= 9999 {
            let mut text = String::with_capacity(19 + zone.len());
            let mut digits = |n: u16, width: u32, after: Option<char>| {
                for place in (0..width).rev() {
                    let digit = (n / 10u16.pow(place)) % 10;
                    text.push(char::from(b'0' + digit as u8));
                }
                if let Some(separator) = after {
                    text.push(separator);
                }
            };
            digits(year, 4, Some('-'));
            digits(u16::from(u8::from(t.month())), 2, Some('-'));
            digits(u16::from(t.day()), 2, Some('T'));
            digits(u16::from(t.hour()), 2, Some(':'));
            digits(u16::from(t.minute()), 2, Some(':'));
            digits(u16::from(t.second()), 2, None);
            text.push_str(zone);
            return text;
        }
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl OpContext<'_> {
    /// The caller's account.
    pub fn account(&self) -> &str {
        self.caller.account()
    }

    /// The request time in seconds since the epoch.
    pub fn now_secs(&self) -> i64 {
        self.now.unix_timestamp()
    }

    /// Runs one read transaction; a domain refusal is returned as it is.
    pub fn read<T>(
        &self,
        mut work: impl FnMut(&mut dyn tessera_store::Transaction) -> crate::table::TxResult<T>,
    ) -> Result<T, IamError> {
        use tessera_store::Outcome;
        tessera_store::read(self.store, |tx| match work(tx) {
            Ok(value) => Ok(Ok(value)),
            Err(Outcome::Domain(e)) => Ok(Err(e)),
            Err(Outcome::Store(e)) => Err(e),
        })?
    }

    /// Runs one write transaction; a domain refusal rolls it back.
    pub fn write<T>(
        &self,
        work: impl FnMut(&mut dyn tessera_store::Transaction) -> crate::table::TxResult<T>,
    ) -> Result<T, IamError> {
        tessera_store::write(self.store, work).map_err(IamError::from)
    }

    /// The entity of kind `B` named `name` in the caller's account, from
    /// the snapshot, or IAM's `NoSuchEntity`.
    pub fn require<B: crate::snapshot::Stored>(
        &self,
        name: &str,
    ) -> Result<&crate::records::Entity<B>, IamError> {
        self.snapshot
            .by_name::<B>(self.account(), name)
            .ok_or_else(|| IamError::no_such_entity(B::KIND, name))
    }
}

#[cfg(test)]
mod tests {
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;

    use super::utc_timestamp;

    #[test]
    fn utc_timestamps_match_rfc3339_to_the_second() {
        // From year 0 to 9999, in uneven steps so every field varies.
        let mut seconds = -62_167_219_200_i64;
        while seconds < 253_402_300_799 {
            let expected = OffsetDateTime::from_unix_timestamp(seconds)
                .unwrap()
                .format(&Rfc3339)
                .unwrap();
            assert_eq!(utc_timestamp(seconds, "Z"), expected);
            assert_eq!(
                utc_timestamp(seconds, "+00:00"),
                expected.replace('Z', "+00:00")
            );
            seconds += 987_654_321 + seconds.rem_euclid(86_399);
        }
        assert_eq!(utc_timestamp(1_714_566_896, "Z"), "2024-05-01T12:34:56Z");
    }
}
