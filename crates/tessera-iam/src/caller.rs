//! The authenticated principal behind a request.

use crate::arn;

/// Who signed a request, as resolved from the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The account's root user.
    Root {
        /// The account id.
        account: String,
        /// The account's partition.
        partition: String,
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
    },
}

impl Caller {
    /// The caller's account.
    pub fn account(&self) -> &str {
        match self {
            Caller::Root { account, .. } | Caller::User { account, .. } => account,
        }
    }

    /// The caller's partition.
    pub fn partition(&self) -> &str {
        match self {
            Caller::Root { partition, .. } | Caller::User { partition, .. } => partition,
        }
    }

    /// The caller's ARN, as `GetCallerIdentity` reports it.
    pub fn arn(&self) -> String {
        match self {
            Caller::Root { account, partition } => arn::root(partition, account),
            Caller::User {
                account,
                partition,
                name,
                path,
                ..
            } => arn::user(partition, account, path, name),
        }
    }

    /// The caller's unique id, as `GetCallerIdentity` reports it: the
    /// account id for root, the user id for users.
    pub fn user_id(&self) -> &str {
        match self {
            Caller::Root { account, .. } => account,
            Caller::User { user_id, .. } => user_id,
        }
    }

    /// The value of `aws:PrincipalType`.
    pub fn principal_type(&self) -> &'static str {
        match self {
            Caller::Root { .. } => "Account",
            Caller::User { .. } => "User",
        }
    }

    /// Whether the caller is the account root.
    pub fn is_root(&self) -> bool {
        matches!(self, Caller::Root { .. })
    }
}
