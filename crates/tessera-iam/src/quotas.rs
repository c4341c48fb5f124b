//! Quotas, with AWS's default values. They are configuration: a deployment
//! may raise them, so no limit is a constant scattered in the code.

/// The limits the domain enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    /// Access keys per user, and for the account root (AWS: 2).
    pub access_keys_per_user: u64,
    /// Total characters of all inline policies of one user (AWS: 2,048).
    pub user_inline_policy_chars: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            access_keys_per_user: 2,
            user_inline_policy_chars: 2048,
        }
    }
}
