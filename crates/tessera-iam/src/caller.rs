//! The authenticated principal behind a request.

use std::sync::Arc;

use crate::arn;
use crate::saml::identity::SamlIdentity;
use crate::sessions::Session;
use crate::web_identity::WebIdentity;

/// Who signed a request, as resolved from the snapshot (long-term keys) or
/// from the session token (temporary credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The account's root user.
    Root {
        /// The account id.
        account: String,
        /// The account's partition.
        partition: String,
        /// The session, for temporary credentials from `GetSessionToken`.
        session: Option<Arc<Session>>,
    },
    /// An IAM user.
    User {
        /// The account id.
        account: String,
        /// The account's partition.
        partition: String,
        /// The user id (`AIDA…`).
        user_id: String,
        /// The user name.
        name: String,
        /// The user's path.
        path: String,
        /// The session, for temporary credentials from `GetSessionToken`.
        session: Option<Arc<Session>>,
    },
    /// A role session (`AssumeRole`).
    AssumedRole {
        /// The role's account.
        account: String,
        /// The account's partition.
        partition: String,
        /// The role id (`AROA…`).
        role_id: String,
        /// The role name.
        role_name: String,
        /// The role's path.
        role_path: String,
        /// The role session name.
        session_name: String,
        /// The session.
        session: Arc<Session>,
    },
    /// A federated-user session (`GetFederationToken`).
    FederatedUser {
        /// The account.
        account: String,
        /// The account's partition.
        partition: String,
        /// The federated user's name.
        name: String,
        /// The session.
        session: Arc<Session>,
    },
    /// The bearer of an OpenID Connect token the role's account trusts
    /// (`AssumeRoleWithWebIdentity`): no credentials, only the token.
    WebIdentity(Arc<WebIdentity>),
    /// The bearer of a SAML assertion that a SAML provider of the role's
    /// account signed (`AssumeRoleWithSAML`): no credentials, only the
    /// verified assertion.
    Saml(Arc<SamlIdentity>),
}

impl Caller {
    /// The root of `account` with long-term credentials.
    pub fn root(account: &str, partition: &str) -> Caller {
        Caller::Root {
            account: account.to_string(),
            partition: partition.to_string(),
            session: None,
        }
    }

    /// The caller's account.
    pub fn account(&self) -> &str {
        match self {
            Caller::Root { account, .. }
            | Caller::User { account, .. }
            | Caller::AssumedRole { account, .. }
            | Caller::FederatedUser { account, .. } => account,
            Caller::WebIdentity(identity) => &identity.account,
            Caller::Saml(identity) => &identity.account,
        }
    }

    /// The caller's partition.
    pub fn partition(&self) -> &str {
        match self {
            Caller::Root { partition, .. }
            | Caller::User { partition, .. }
            | Caller::AssumedRole { partition, .. }
            | Caller::FederatedUser { partition, .. } => partition,
            Caller::WebIdentity(identity) => &identity.partition,
            Caller::Saml(identity) => &identity.partition,
        }
    }

    /// The caller's ARN, as `GetCallerIdentity` reports it.
    pub fn arn(&self) -> String {
        match self {
            Caller::Root {
                account, partition, ..
            } => arn::root(partition, account),
            Caller::User {
                account,
                partition,
                name,
                path,
                ..
            } => arn::user(partition, account, path, name),
            Caller::AssumedRole {
                account,
                partition,
                role_name,
                session_name,
                ..
            } => arn::joined(&[
                "arn:",
                partition,
                ":sts::",
                account,
                ":assumed-role/",
                role_name,
                "/",
                session_name,
            ]),
            Caller::FederatedUser {
                account,
                partition,
                name,
                ..
            } => arn::joined(&[
                "arn:",
                partition,
                ":sts::",
                account,
                ":federated-user/",
                name,
            ]),
            Caller::WebIdentity(identity) => identity.provider_arn.clone(),
            Caller::Saml(identity) => identity.provider_arn.clone(),
        }
    }

    /// The caller's unique id, as `GetCallerIdentity` reports it: the
    /// account id for root, the user id for users, `ROLEID:SESSION` for
    /// role sessions, `ACCOUNT:NAME` for federated users.
    pub fn user_id(&self) -> String {
        match self {
            Caller::Root { account, .. } => account.clone(),
            Caller::User { user_id, .. } => user_id.clone(),
            Caller::AssumedRole {
                role_id,
                session_name,
                ..
            } => arn::joined(&[role_id, ":", session_name]),
            Caller::FederatedUser { account, name, .. } => arn::joined(&[account, ":", name]),
            // CloudTrail's principal id of a web identity user.
            Caller::WebIdentity(identity) => format!(
                "{}:{}:{}",
                identity.provider_url, identity.audience, identity.subject
            ),
            // CloudTrail's principal id of a SAML user.
            Caller::Saml(identity) => {
                format!("{}:{}", identity.name_qualifier, identity.claims.subject)
            }
        }
    }

    /// The value of `aws:PrincipalType`.
    pub fn principal_type(&self) -> &'static str {
        match self {
            Caller::Root { .. } => "Account",
            Caller::User { .. } => "User",
            Caller::AssumedRole { .. } => "AssumedRole",
            Caller::FederatedUser { .. } => "FederatedUser",
            Caller::WebIdentity(_) => "WebIdentityUser",
            Caller::Saml(_) => "SAMLUser",
        }
    }

    /// The verified web identity, for `AssumeRoleWithWebIdentity`.
    pub fn web_identity(&self) -> Option<&WebIdentity> {
        match self {
            Caller::WebIdentity(identity) => Some(identity),
            _ => None,
        }
    }

    /// Whether the caller is the account root.
    pub fn is_root(&self) -> bool {
        matches!(self, Caller::Root { .. })
    }

    /// The session of temporary credentials, if the caller used them.
    pub fn session(&self) -> Option<&Session> {
        match self {
            Caller::Root { session, .. } | Caller::User { session, .. } => session.as_deref(),
            Caller::AssumedRole { session, .. } | Caller::FederatedUser { session, .. } => {
                Some(session)
            }
            Caller::WebIdentity(_) => None,
            Caller::Saml(_) => None,
        }
    }

    /// The verified SAML assertion of an `AssumeRoleWithSAML` caller.
    pub fn saml(&self) -> Option<&SamlIdentity> {
        match self {
            Caller::Saml(identity) => Some(identity),
            _ => None,
        }
    }
}
