//! The AWS IAM policy language: parse, validate, compile and evaluate.
