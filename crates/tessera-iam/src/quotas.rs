//! Quotas, with AWS's default values. They are configuration: a deployment
//! may raise them, so no limit is a constant scattered in the code.

use crate::kind::EntityKind;

/// The limits the domain enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    /// Access keys per user, and for the account root (AWS: 2).
    pub access_keys_per_user: u64,
    /// Total characters of all inline policies of one user (AWS: 2,048).
    pub user_inline_policy_chars: usize,
    /// Total characters of all inline policies of one group (AWS: 5,120).
    pub group_inline_policy_chars: usize,
    /// Total characters of all inline policies of one role (AWS: 10,240).
    pub role_inline_policy_chars: usize,
    /// Characters of a role trust policy (AWS: 2,048).
    pub trust_policy_chars: usize,
    /// Characters of one managed policy version (AWS: 6,144).
    pub managed_policy_chars: usize,
    /// Managed policies attached to one user, group or role (AWS: 10).
    pub attached_policies_per_principal: u64,
    /// Groups one user may be in (AWS: 10).
    pub groups_per_user: u64,
    /// Versions kept per managed policy (AWS: 5).
    pub versions_per_policy: usize,
    /// Tags per entity (AWS: 50).
    pub tags_per_entity: usize,
    /// Roles per instance profile (AWS: 1).
    pub roles_per_instance_profile: u64,
}

impl Quotas {
    /// The inline-policy quota of a principal kind.
    pub fn inline_chars(&self, kind: EntityKind) -> usize {
        match kind {
            EntityKind::Group => self.group_inline_policy_chars,
            EntityKind::Role => self.role_inline_policy_chars,
            _ => self.user_inline_policy_chars,
        }
    }
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            access_keys_per_user: 2,
            user_inline_policy_chars: 2048,
            group_inline_policy_chars: 5120,
            role_inline_policy_chars: 10240,
            trust_policy_chars: 2048,
            managed_policy_chars: 6144,
            attached_policies_per_principal: 10,
            groups_per_user: 10,
            versions_per_policy: 5,
            tags_per_entity: 50,
            roles_per_instance_profile: 1,
        }
    }
}
