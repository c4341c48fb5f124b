//! Console passwords: the account password policy, the checks a new
//! password must pass (with IAM's `PasswordPolicyViolation` sentences), and
//! argon2id hashes. A password is never stored, logged or returned; only
//! its hash is kept.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};

use crate::ids::Random;
use crate::IamError;

/// The account password policy, as `UpdateAccountPasswordPolicy` sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// The shortest password allowed (6 when not given).
    pub minimum_length: u32,
    /// At least one symbol.
    pub require_symbols: bool,
    /// At least one digit.
    pub require_numbers: bool,
    /// At least one upper-case letter.
    pub require_uppercase: bool,
    /// At least one lower-case letter.
    pub require_lowercase: bool,
    /// Users may change their own password.
    pub allow_users_to_change: bool,
    /// Days a password is valid, if it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
    /// How many previous passwords may not be reused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse_prevention: Option<u32>,
    /// Whether an expired password blocks the user until an administrator
    /// resets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_expiry: Option<bool>,
}

fn violation(message: &str) -> IamError {
    IamError::new("PasswordPolicyViolation", message)
}

/// Checks `password` against `policy`, or, without one, against AWS's
/// default policy (at least 8 characters, and three of: upper-case,
/// lower-case, digits, symbols).
pub fn check(password: &str, policy: Option<&PasswordPolicy>) -> Result<(), IamError> {
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let symbol = password.chars().any(|c| c.is_ascii_punctuation());
    let length = password.chars().count();
    let Some(policy) = policy else {
        if length < 8 {
            return Err(violation("Password should have a minimum length of 8"));
        }
        if [upper, lower, digit, symbol].iter().filter(|b| **b).count() < 3 {
            return Err(violation(
                "Password should have at least three of: an uppercase letter, a lowercase letter, a number, a symbol",
            ));
        }
        return Ok(());
    };
    if length < usize::try_from(policy.minimum_length).unwrap_or(usize::MAX) {
        return Err(violation(&format!(
            "Password should have a minimum length of {}",
            policy.minimum_length
        )));
    }
    if policy.require_uppercase && !upper {
        return Err(violation(
            "Password should have at least one uppercase letter",
        ));
    }
    if policy.require_lowercase && !lower {
        return Err(violation(
            "Password should have at least one lowercase letter",
        ));
    }
    if policy.require_numbers && !digit {
        return Err(violation("Password should have at least one number"));
    }
    if policy.require_symbols && !symbol {
        return Err(violation("Password should have at least one symbol"));
    }
    Ok(())
}

/// The argon2id hash of `password` (PHC string), with a salt from `random`.
pub fn hash(password: &str, random: &dyn Random) -> Result<String, IamError> {
    let mut salt = [0u8; 16];
    random.fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|_| IamError::service_failure())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| IamError::service_failure())
}

/// Whether `password` matches `hash`.
pub fn matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SeededRandom;

    #[test]
    fn hashes_verify_and_never_contain_the_password() {
        let random = SeededRandom::new(1);
        let hash = hash("Correct-Horse-9", &random).expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("Correct-Horse-9"));
        assert!(matches("Correct-Horse-9", &hash));
        assert!(!matches("correct-horse-9", &hash));
    }

    #[test]
    fn passwords_are_checked_against_the_policy_or_the_default() {
        assert!(check("Abcdef1!", None).is_ok());
        assert_eq!(
            check("Abc1!", None).map_err(|e| e.message),
            Err("Password should have a minimum length of 8".into())
        );
        assert!(check("abcdefgh", None).is_err());
        let policy = PasswordPolicy {
            minimum_length: 10,
            require_symbols: true,
            require_numbers: true,
            require_uppercase: true,
            require_lowercase: true,
            allow_users_to_change: true,
            max_age_days: None,
            reuse_prevention: None,
            hard_expiry: None,
        };
        assert!(check("Abcdefgh1!", Some(&policy)).is_ok());
        assert_eq!(
            check("abcdefgh1!", Some(&policy)).map_err(|e| e.message),
            Err("Password should have at least one uppercase letter".into())
        );
        assert_eq!(
            check("Abcdefghi1", Some(&policy)).map_err(|e| e.message),
            Err("Password should have at least one symbol".into())
        );
    }
}
