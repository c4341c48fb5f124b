//! End-to-end tests with the AWS SDK for Rust against the real tessera binary.
