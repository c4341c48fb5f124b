//! The errors SigV4 verification answers, with the codes, messages and HTTP
//! statuses AWS gives for them.
//!
//! Policy: every message here is safe to send to the client and to log. No
//! message ever carries a secret access key, a derived signing key, the
//! signature Tessera computed, the canonical request or the string to sign.
//! Messages that echo client input (an `Authorization` header that could not
//! be parsed, a credential scope, a date) echo only what the client sent.
//!
//! Sources for the texts (observed AWS answers, collected from client bug
//! reports and from emulators that reproduce captured AWS responses):
//! - `MissingAuthenticationToken` (403) "Request is missing Authentication
//!   Token": the AWS Query APIs' common errors list the code with 403.
//! - `IncompleteSignature` (400): "Authorization header requires 'Credential'
//!   parameter. … Authorization=…", "Date must be in ISO-8601 'basic format'.
//!   Got '…'. See `http://en.wikipedia.org/wiki/ISO_8601`", "Unsupported AWS
//!   'algorithm': '…' (only AWS4-HMAC-SHA256 for now). ", "Credential must
//!   have exactly 5 slash-delimited elements, e.g.
//!   keyid/date/region/service/term, got '…'".
//! - `SignatureDoesNotMatch` (403), as STS and IAM answer it (other services
//!   call the same condition `InvalidSignatureException`): the mismatch text,
//!   the clock texts "Signature expired: 20160609T184512Z is now earlier than
//!   20160610T013008Z (20160610T014508Z - 15 min.)" and "Signature not yet
//!   current: … is still later than … (… + 15 min.)", and the credential
//!   scope texts "Credential should be scoped to a valid region, not 'x'. ",
//!   "Credential should be scoped to correct service: 'iam'. ", "Credential
//!   should be scoped with a valid terminator: 'aws4_request', not 'x'. ",
//!   "Date in Credential scope does not match YYYYMMDD from ISO-8601 version
//!   of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'.".
//! - Expired presigned URLs: STS does not give presigned requests a separate
//!   error; a presigned `GetCallerIdentity` stops working 15 minutes after its
//!   `X-Amz-Date` with the same "Signature expired" `SignatureDoesNotMatch`
//!   (STS applies a fixed 15-minute window; see the reports on STS ignoring
//!   `X-Amz-Expires` in the Go SDK and in the Kubernetes IAM authenticator).
//!   Tessera honours `X-Amz-Expires` and reports the window it applied:
//!   "(… - 15 min.)" for 900 seconds, "(… - 90 sec.)" for a window that is
//!   not a whole number of minutes.
//! - `X-Amz-Expires` out of range: S3's texts "X-Amz-Expires must be less
//!   than a week (in seconds) that is 604800" and "X-Amz-Expires should be a
//!   number", as `IncompleteSignature` (400).
//! - Missing presigned parameters: "AWS query-string parameters must include
//!   'X-Amz-Credential'. Re-examine the query-string parameters." (400).
//! - `InvalidClientTokenId` (403) "The security token included in the request
//!   is invalid." and `ExpiredToken` (403) "The security token included in
//!   the request is expired": produced by the server, which knows the keys.
//! - `XAmzContentSHA256Mismatch` (400) "The provided 'x-amz-content-sha256'
//!   header does not match what was computed.": S3's text for a signed
//!   payload hash that is not the body's.

/// Why a request's SigV4 authentication was refused.
///
/// Every variant maps to the AWS error code, message and HTTP status that an
/// AWS client expects; see [`SigV4Error::code`], [`SigV4Error::message`] and
/// [`SigV4Error::http_status`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigV4Error {
    /// Neither an `Authorization` header nor presigned query parameters.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,
    /// The signature parameters are malformed or incomplete (header or query).
    #[error("{message}")]
    IncompleteSignature {
        /// AWS's text for what is missing or malformed.
        message: String,
    },
    /// The credential scope is invalid: terminator, date, region or service.
    #[error("{message}")]
    InvalidCredentialScope {
        /// AWS's text, one sentence per invalid element.
        message: String,
    },
    /// A required header is not among the signed headers.
    #[error("{message}")]
    UnsignedRequiredHeader {
        /// AWS's text naming the header.
        message: String,
    },
    /// The request time is too far in the past, or the presigned URL expired.
    #[error("{message}")]
    SignatureExpired {
        /// "Signature expired: … is now earlier than … (… - 15 min.)".
        message: String,
    },
    /// The request time is too far in the future.
    #[error("{message}")]
    SignatureNotYetCurrent {
        /// "Signature not yet current: … is still later than … (… + 15 min.)".
        message: String,
    },
    /// The signature is not the one the secret key gives for this request.
    #[error("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")]
    SignatureDoesNotMatch,
    /// The signed `x-amz-content-sha256` is not the SHA-256 of the body.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch,
    /// The access key id is not known (produced by the server).
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    /// The session token has expired (produced by the server).
    #[error("The security token included in the request is expired")]
    ExpiredToken,
}

impl SigV4Error {
    /// The error for an access key id Tessera does not know, or a temporary
    /// key whose session token is missing or invalid.
    pub fn unknown_access_key() -> Self {
        SigV4Error::UnknownAccessKey
    }

    /// The error for a session token that was valid but has expired.
    pub fn expired_token() -> Self {
        SigV4Error::ExpiredToken
    }

    /// The error for a credential scope naming a service this endpoint does
    /// not serve; `expected` is the service that should have been named.
    pub fn wrong_service(expected: &str) -> Self {
        SigV4Error::InvalidCredentialScope {
            message: format!("Credential should be scoped to correct service: '{expected}'. "),
        }
    }

    /// The error for a credential scope naming a region this endpoint refuses.
    pub fn wrong_region(region: &str) -> Self {
        SigV4Error::InvalidCredentialScope {
            message: format!("Credential should be scoped to a valid region, not '{region}'. "),
        }
    }

    pub(crate) fn incomplete(message: impl Into<String>) -> Self {
        SigV4Error::IncompleteSignature {
            message: message.into(),
        }
    }

    /// The AWS error code, e.g. `SignatureDoesNotMatch`.
    pub fn code(&self) -> &'static str {
        match self {
            SigV4Error::MissingAuthenticationToken => "MissingAuthenticationToken",
            SigV4Error::IncompleteSignature { .. } => "IncompleteSignature",
            SigV4Error::InvalidCredentialScope { .. }
            | SigV4Error::UnsignedRequiredHeader { .. }
            | SigV4Error::SignatureExpired { .. }
            | SigV4Error::SignatureNotYetCurrent { .. }
            | SigV4Error::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            SigV4Error::ContentSha256Mismatch => "XAmzContentSHA256Mismatch",
            SigV4Error::UnknownAccessKey => "InvalidClientTokenId",
            SigV4Error::ExpiredToken => "ExpiredToken",
        }
    }

    /// The message AWS sends with the code; safe to show and to log.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The HTTP status AWS answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            SigV4Error::IncompleteSignature { .. } | SigV4Error::ContentSha256Mismatch => 400,
            SigV4Error::MissingAuthenticationToken
            | SigV4Error::InvalidCredentialScope { .. }
            | SigV4Error::UnsignedRequiredHeader { .. }
            | SigV4Error::SignatureExpired { .. }
            | SigV4Error::SignatureNotYetCurrent { .. }
            | SigV4Error::SignatureDoesNotMatch
            | SigV4Error::UnknownAccessKey
            | SigV4Error::ExpiredToken => 403,
        }
    }
}
