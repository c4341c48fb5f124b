//! AWS's error envelope: codes, HTTP statuses, fault types, and the
//! `<ErrorResponse>` document the Query protocol answers with.

use crate::xml::escape_text;

/// Who AWS blames for an error: the `<Type>` element of an error response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The request was wrong (4xx statuses).
    Sender,
    /// The service failed (5xx statuses).
    Receiver,
}

impl Fault {
    /// The text AWS writes in `<Type>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Sender => "Sender",
            Fault::Receiver => "Receiver",
        }
    }
}

/// The HTTP status and fault type of one error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorKind {
    /// The HTTP status code of the response.
    pub status: u16,
    /// Who is at fault.
    pub fault: Fault,
}

impl ErrorKind {
    /// A client error with the given status.
    pub const fn sender(status: u16) -> ErrorKind {
        ErrorKind {
            status,
            fault: Fault::Sender,
        }
    }

    /// A service error with the given status.
    pub const fn receiver(status: u16) -> ErrorKind {
        ErrorKind {
            status,
            fault: Fault::Receiver,
        }
    }
}

/// An error answer of the AWS API: a code, a message, and the HTTP status and
/// fault type that go with the code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The AWS error code, e.g. `NoSuchEntity`.
    pub code: String,
    /// The human-readable message. An empty message is left out of the XML,
    /// as AWS does for `ReportNotPresent`.
    pub message: String,
    /// The HTTP status code.
    pub status: u16,
    /// Who is at fault.
    pub fault: Fault,
}

impl ApiError {
    /// Builds an error of the given kind.
    pub fn new(code: impl Into<String>, message: impl Into<String>, kind: ErrorKind) -> ApiError {
        ApiError {
            code: code.into(),
            message: message.into(),
            status: kind.status,
            fault: kind.fault,
        }
    }

    /// The status and fault of this error.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind {
            status: self.status,
            fault: self.fault,
        }
    }

    /// The Query protocol's error document:
    /// `<ErrorResponse xmlns="…"><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`.
    pub fn to_xml(&self, xml_namespace: &str, request_id: &str) -> String {
        let mut out = String::with_capacity(200 + self.message.len());
        out.push_str("<ErrorResponse xmlns=\"");
        escape_text(&mut out, xml_namespace);
        out.push_str("\"><Error><Type>");
        out.push_str(self.fault.as_str());
        out.push_str("</Type><Code>");
        escape_text(&mut out, &self.code);
        out.push_str("</Code>");
        if !self.message.is_empty() {
            out.push_str("<Message>");
            escape_text(&mut out, &self.message);
            out.push_str("</Message>");
        }
        out.push_str("</Error><RequestId>");
        escape_text(&mut out, request_id);
        out.push_str("</RequestId></ErrorResponse>");
        out
    }
}

/// AWS's common errors, which every Query API may answer, with the status
/// each has on the wire. From the "Common Errors" pages of the AWS API
/// references; `AccessDenied` and `ExpiredToken` are 403 as IAM and STS send
/// them (the recordings and IAM's "Common Error Types" page), and
/// `SignatureDoesNotMatch` is 403 as every signed AWS API answers it.
const COMMON_ERRORS: &[(&str, ErrorKind)] = &[
    ("AccessDenied", ErrorKind::sender(403)),
    ("AccessDeniedException", ErrorKind::sender(403)),
    ("ExpiredToken", ErrorKind::sender(403)),
    ("IncompleteSignature", ErrorKind::sender(400)),
    ("InternalFailure", ErrorKind::receiver(500)),
    ("InvalidAction", ErrorKind::sender(400)),
    ("InvalidClientTokenId", ErrorKind::sender(403)),
    ("InvalidParameterCombination", ErrorKind::sender(400)),
    ("InvalidParameterValue", ErrorKind::sender(400)),
    ("InvalidQueryParameter", ErrorKind::sender(400)),
    ("MalformedQueryString", ErrorKind::sender(404)),
    ("MissingAction", ErrorKind::sender(400)),
    ("MissingAuthenticationToken", ErrorKind::sender(403)),
    ("MissingParameter", ErrorKind::sender(400)),
    ("NotAuthorized", ErrorKind::sender(400)),
    ("NotImplemented", ErrorKind::receiver(501)),
    ("OptInRequired", ErrorKind::sender(403)),
    ("RequestExpired", ErrorKind::sender(400)),
    ("ServiceUnavailable", ErrorKind::receiver(503)),
    ("SignatureDoesNotMatch", ErrorKind::sender(403)),
    ("Throttling", ErrorKind::sender(400)),
    ("ThrottlingException", ErrorKind::sender(400)),
    ("ValidationError", ErrorKind::sender(400)),
];

/// The kind of a common AWS error, if `code` is one.
pub fn common_error_kind(code: &str) -> Option<ErrorKind> {
    COMMON_ERRORS
        .iter()
        .find(|(name, _)| *name == code)
        .map(|(_, kind)| *kind)
}

/// The kind given to a code that neither the model nor the common table
/// knows: a client error, 400.
pub const UNKNOWN_ERROR_KIND: ErrorKind = ErrorKind::sender(400);

/// Builds one of AWS's common errors (`AccessDenied`, `ValidationError`,
/// `InvalidClientTokenId`, …) with its usual status; an unknown code is a
/// 400 `Sender` error.
pub fn common_error(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(
        code,
        message,
        common_error_kind(code).unwrap_or(UNKNOWN_ERROR_KIND),
    )
}

/// Why an output value could not be written as XML. These are programming
/// errors of the caller (the value does not follow the output shape), never
/// caused by a client's request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The model has no operation of that name.
    #[error("unknown operation `{0}`")]
    UnknownOperation(String),
    /// A value has the wrong JSON type for its shape.
    #[error("value at `{path}` must be {expected}")]
    TypeMismatch {
        /// Where the value is, e.g. `Role.Tags[0].Key`.
        path: String,
        /// What the shape wants.
        expected: &'static str,
    },
    /// An object has a member that its structure shape does not define.
    #[error("`{path}` has no member `{member}` in the model")]
    UnknownMember {
        /// The structure's path.
        path: String,
        /// The unexpected member.
        member: String,
    },
    /// A serialized structure gave a member after one the shape puts
    /// after it: members are written in the shape's order as they come.
    #[error("`{path}` gives member `{member}` out of the model's order")]
    MemberOutOfOrder {
        /// The structure's path.
        path: String,
        /// The member given too late.
        member: String,
    },
    /// A serialized value reported an error of its own.
    #[error("the output could not be serialized: {0}")]
    Serialize(String),
    /// A timestamp is neither RFC 3339 text nor epoch seconds.
    #[error("value at `{path}` is not a timestamp: `{value}`")]
    InvalidTimestamp {
        /// Where the value is.
        path: String,
        /// The value given.
        value: String,
    },
}

/// A [`serde::Serialize`] output's own failure, which
/// [`crate::ServiceModel::encode_serialized`] reports as its encoding error.
impl serde::ser::Error for EncodeError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        EncodeError::Serialize(message.to_string())
    }
}
