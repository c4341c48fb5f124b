//! The AWS Query protocol (IAM 2010-05-08 and STS 2011-06-15), driven by the
//! botocore service models, which are vendored in `models/` and interpreted
//! at run time.
//!
//! This crate knows the Query protocol's encoding and AWS's error envelope,
//! and nothing else: no HTTP server, no storage, no IAM semantics. Its
//! contract is the service model: [`ServiceModel::decode_input`] turns a
//! request's parameters into a JSON value following the operation's input
//! shape (checking the model's constraints with AWS's wording), and
//! [`ServiceModel::encode_output`] writes an output value as the XML
//! response; [`ServiceModel::encode_serialized`] writes the same response
//! from a [`serde::Serialize`] output whose members come in the model's
//! order, building no JSON value.
//!
//! ```
//! let iam = tessera_wire::iam();
//! let params = tessera_wire::parse_query_pairs(b"Action=GetUser&Version=2010-05-08&UserName=bob").unwrap();
//! let input = iam.decode_input("GetUser", &params).unwrap();
//! assert_eq!(input, serde_json::json!({"UserName": "bob"}));
//!
//! let output = serde_json::json!({"User": {
//!     "Path": "/", "UserName": "bob", "UserId": "AIDAEXAMPLE",
//!     "Arn": "arn:aws:iam::123456789012:user/bob", "CreateDate": "2024-05-01T12:34:56Z"}});
//! let xml = iam.encode_output("GetUser", &output, "req-1").unwrap();
//! assert!(xml.starts_with(r#"<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User><Path>/</Path>"#));
//!
//! let error = iam.error("NoSuchEntity", "The user with name alice cannot be found.");
//! assert_eq!((error.status, error.fault), (404, tessera_wire::Fault::Sender));
//! ```

mod decode;
mod encode;
mod errors;
mod model;
mod pattern;
mod query;
mod serialized;
mod validate;
mod xml;

use std::sync::OnceLock;

pub use errors::{common_error, ApiError, EncodeError, ErrorKind, Fault};
pub use model::{ModelError, ServiceModel};
pub use query::{parse_query_pairs, QueryPair};

/// The vendored IAM model (botocore's `iam/2010-05-08/service-2.json`).
const IAM_MODEL: &str = include_str!("../models/iam-2010-05-08.json");
/// The vendored STS model (botocore's `sts/2011-06-15/service-2.json`).
const STS_MODEL: &str = include_str!("../models/sts-2011-06-15.json");

#[expect(
    clippy::expect_used,
    reason = "the vendored models are constants of the build, and a test parses both"
)]
fn load(document: &str) -> ServiceModel {
    ServiceModel::from_json(document).expect("the vendored service model is valid")
}

/// The IAM API (version 2010-05-08), parsed on first use.
pub fn iam() -> &'static ServiceModel {
    static IAM: OnceLock<ServiceModel> = OnceLock::new();
    IAM.get_or_init(|| load(IAM_MODEL))
}

/// The STS API (version 2011-06-15), parsed on first use.
pub fn sts() -> &'static ServiceModel {
    static STS: OnceLock<ServiceModel> = OnceLock::new();
    STS.get_or_init(|| load(STS_MODEL))
}
