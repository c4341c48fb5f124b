//! IAM and STS domain: entities, identifiers, operations and the authorization snapshot.
