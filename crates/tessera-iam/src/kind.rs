//! Entity kinds: what differs between users, groups, roles, managed
//! policies, instance profiles and server certificates, stated once per kind, so that the
//! families of operations they share (create, get, list, tags, inline
//! policies, attachments, boundaries) are written once.

use crate::ids::IdKind;

/// The kinds of IAM entity Tessera stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    /// An IAM user.
    User,
    /// A group of users.
    Group,
    /// A role.
    Role,
    /// A customer-managed policy.
    Policy,
    /// An instance profile.
    InstanceProfile,
    /// A server certificate (for load balancers and CloudFront).
    ServerCertificate,
}

impl EntityKind {
    /// Every kind, in a fixed order.
    pub const ALL: [EntityKind; 6] = [
        EntityKind::User,
        EntityKind::Group,
        EntityKind::Role,
        EntityKind::Policy,
        EntityKind::InstanceProfile,
        EntityKind::ServerCertificate,
    ];

    /// The kind of unique id the entity gets (`AIDA…`, `AGPA…`, …).
    pub fn id_kind(self) -> IdKind {
        match self {
            EntityKind::User => IdKind::User,
            EntityKind::Group => IdKind::Group,
            EntityKind::Role => IdKind::Role,
            EntityKind::Policy => IdKind::Policy,
            EntityKind::InstanceProfile => IdKind::InstanceProfile,
            EntityKind::ServerCertificate => IdKind::ServerCertificate,
        }
    }

    /// The resource type in the entity's ARN: `arn:aws:iam::ACCOUNT:TYPE/…`.
    pub fn arn_type(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
            EntityKind::Policy => "policy",
            EntityKind::InstanceProfile => "instance-profile",
            EntityKind::ServerCertificate => "server-certificate",
        }
    }

    /// The request member that names the entity, e.g. `RoleName`.
    pub fn name_member(self) -> &'static str {
        match self {
            EntityKind::User => "UserName",
            EntityKind::Group => "GroupName",
            EntityKind::Role => "RoleName",
            EntityKind::Policy => "PolicyName",
            EntityKind::InstanceProfile => "InstanceProfileName",
            EntityKind::ServerCertificate => "ServerCertificateName",
        }
    }

    /// How IAM's messages name the kind: `The role with name X cannot be
    /// found.`, `Role with name X already exists.`
    pub fn noun(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
            EntityKind::Policy => "policy",
            EntityKind::InstanceProfile => "instance profile",
            EntityKind::ServerCertificate => "Server Certificate",
        }
    }

    /// The longest name the kind allows.
    pub fn max_name_len(self) -> usize {
        match self {
            EntityKind::User | EntityKind::Role => 64,
            EntityKind::Group
            | EntityKind::Policy
            | EntityKind::InstanceProfile
            | EntityKind::ServerCertificate => 128,
        }
    }

    /// The short tag of the kind in index keys.
    pub(crate) fn index_tag(self) -> &'static str {
        match self {
            EntityKind::User => "u",
            EntityKind::Group => "g",
            EntityKind::Role => "r",
            EntityKind::Policy => "p",
            EntityKind::InstanceProfile => "i",
            EntityKind::ServerCertificate => "c",
        }
    }

    /// The kind whose index tag is `tag`.
    pub(crate) fn from_index_tag(tag: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.index_tag() == tag)
    }

    /// The size quota for all inline policies of one entity together, and
    /// the policy-storage class the engine validates them as; `None` for
    /// kinds without inline policies.
    pub fn inline_storage(self) -> Option<tessera_policy::PolicyStorage> {
        use tessera_policy::PolicyStorage;
        match self {
            EntityKind::User => Some(PolicyStorage::InlineUser),
            EntityKind::Group => Some(PolicyStorage::InlineGroup),
            EntityKind::Role => Some(PolicyStorage::InlineRole),
            EntityKind::Policy | EntityKind::InstanceProfile | EntityKind::ServerCertificate => {
                None
            }
        }
    }

    /// Whether tag keys differ by case (managed policies) or not (the
    /// other kinds), as IAM treats them.
    pub fn tag_keys_case_sensitive(self) -> bool {
        self == EntityKind::Policy
    }

    /// IAM's `InvalidInput` sentence for duplicate tag keys.
    pub fn duplicate_tags_message(self) -> &'static str {
        match self {
            EntityKind::Role => {
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            }
            _ => "Duplicate tag keys found.",
        }
    }

    /// The `aws:PrincipalType`-style capitalised noun used in
    /// `LimitExceeded` sentences (`Cannot exceed quota for
    /// PoliciesPerRole: 10`).
    pub fn quota_noun(self) -> &'static str {
        match self {
            EntityKind::User => "User",
            EntityKind::Group => "Group",
            EntityKind::Role => "Role",
            EntityKind::Policy => "Policy",
            EntityKind::InstanceProfile => "InstanceProfile",
            EntityKind::ServerCertificate => "ServerCertificate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_tags_are_unique_and_round_trip() {
        for kind in EntityKind::ALL {
            assert_eq!(EntityKind::from_index_tag(kind.index_tag()), Some(kind));
        }
    }
}
