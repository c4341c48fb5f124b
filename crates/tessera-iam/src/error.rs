//! Domain errors: an AWS error code and its message, exactly as IAM and STS
//! word them. The server turns them into the Query protocol's error envelope,
//! taking the HTTP status from the service model.

use std::fmt;

use crate::kind::EntityKind;

/// An error an operation answers to its caller.
#[derive(Clone, PartialEq, Eq)]
pub struct IamError {
    /// The AWS error code, e.g. `NoSuchEntity`.
    pub code: &'static str,
    /// The message, in AWS's wording. Never contains secrets.
    pub message: String,
}

impl fmt::Debug for IamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl fmt::Display for IamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for IamError {}

impl IamError {
    /// Builds an error from a code and a message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        IamError {
            code,
            message: message.into(),
        }
    }

    /// `NoSuchEntity` for a user name.
    pub fn no_such_user(name: &str) -> Self {
        Self::no_such_entity(EntityKind::User, name)
    }

    /// `NoSuchEntity` for an entity named `name`, in IAM's sentence for
    /// the kind.
    pub fn no_such_entity(kind: EntityKind, name: &str) -> Self {
        let message = match kind {
            EntityKind::InstanceProfile => format!("Instance Profile {name} cannot be found."),
            EntityKind::Policy => format!("Policy {name} was not found."),
            _ => format!("The {} with name {name} cannot be found.", kind.noun()),
        };
        Self::new("NoSuchEntity", message)
    }

    /// `EntityAlreadyExists` for a name that is taken, in IAM's sentence
    /// for the kind.
    pub fn already_exists(kind: EntityKind, name: &str) -> Self {
        let message = match kind {
            EntityKind::User => format!("User with name {name} already exists."),
            EntityKind::Group => format!("Group with name {name} already exists."),
            EntityKind::Role => format!("Role with name {name} already exists."),
            EntityKind::Policy => {
                format!("A policy called {name} already exists. Duplicate names are not allowed.")
            }
            EntityKind::InstanceProfile => format!("Instance Profile {name} already exists."),
            EntityKind::ServerCertificate => {
                format!("The Server Certificate with name {name} already exists.")
            }
        };
        Self::new("EntityAlreadyExists", message)
    }

    /// `NoSuchEntity` for an inline policy of a principal.
    pub fn no_such_inline_policy(kind: EntityKind, name: &str) -> Self {
        Self::new(
            "NoSuchEntity",
            format!(
                "The {} policy with name {name} cannot be found.",
                kind.noun()
            ),
        )
    }

    /// `DeleteConflict` with IAM's sentence naming what must go first.
    pub fn delete_conflict(message: impl Into<String>) -> Self {
        Self::new("DeleteConflict", message)
    }

    /// `LimitExceeded` with IAM's quota sentence.
    pub fn quota_exceeded(quota: &str, limit: impl fmt::Display) -> Self {
        Self::new(
            "LimitExceeded",
            format!("Cannot exceed quota for {quota}: {limit}"),
        )
    }

    /// `UnmodifiableEntity` with IAM's sentence.
    pub fn unmodifiable(message: impl Into<String>) -> Self {
        Self::new("UnmodifiableEntity", message)
    }

    /// `NoSuchEntity` for an access key id.
    pub fn no_such_access_key(id: &str) -> Self {
        Self::new(
            "NoSuchEntity",
            format!("The Access Key with id {id} cannot be found."),
        )
    }

    /// `ValidationError` with a free-form message.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationError", message)
    }

    /// `InvalidInput` with a free-form message.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new("InvalidInput", message)
    }

    /// `ServiceFailure`: the store failed. The detail is logged by the
    /// server, never sent to the client.
    pub fn service_failure() -> Self {
        Self::new(
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }
}

impl From<tessera_store::StoreError> for IamError {
    fn from(error: tessera_store::StoreError) -> Self {
        // Store errors never carry item values, so the detail is safe to log.
        tracing::error!(%error, "store operation failed");
        IamError::service_failure()
    }
}

impl From<tessera_store::Outcome<IamError>> for IamError {
    fn from(outcome: tessera_store::Outcome<IamError>) -> Self {
        match outcome {
            tessera_store::Outcome::Domain(e) => e,
            tessera_store::Outcome::Store(error) => error.into(),
        }
    }
}
