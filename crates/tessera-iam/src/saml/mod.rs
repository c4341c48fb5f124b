//! SAML 2.0 federation as `AssumeRoleWithSAML` needs it: exclusive XML
//! canonicalization ([`c14n`]), enveloped XML signatures ([`xmldsig`]),
//! encrypted assertions ([`xmlenc`]), the reading of an identity provider's `Response` ([`response`]) and
//! the caller it vouches for ([`identity`]).
//! Pure functions of their input and the time given: no I/O.

pub mod c14n;
pub mod identity;
pub mod response;
pub mod xmldsig;
pub mod xmlenc;
