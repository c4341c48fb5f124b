//! Identifiers as AWS makes them: a four-letter prefix that names the kind
//! of entity (`AIDA` user, `AKIA` long-term access key, …) followed by
//! random characters from the base32 alphabet, and 40-character secrets.

use std::sync::Mutex;

use rand::{rngs::StdRng, RngCore, SeedableRng};

/// A source of randomness, passed in so that tests are deterministic.
pub trait Random: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);
}

/// The production random source: a per-thread cryptographically secure
/// generator (ChaCha) seeded and periodically reseeded from the operating
/// system. It costs no system call per draw, which matters because every
/// request draws a request id.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        rand::thread_rng().fill_bytes(buf);
    }
}

/// A seeded generator for tests.
pub struct SeededRandom(Mutex<StdRng>);

impl SeededRandom {
    /// A generator that always yields the same sequence for `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom(Mutex::new(StdRng::seed_from_u64(seed)))
    }
}

impl Random for SeededRandom {
    fn fill(&self, buf: &mut [u8]) {
        let mut rng = match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        rng.fill_bytes(buf);
    }
}

/// The kinds of unique identifier IAM hands out, with their prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// `AIDA`: an IAM user.
    User,
    /// `AROA`: a role.
    Role,
    /// `AGPA`: a group.
    Group,
    /// `ANPA`: a managed policy.
    Policy,
    /// `AIPA`: an instance profile.
    InstanceProfile,
    /// `AKIA`: a long-term access key.
    AccessKey,
    /// `ASIA`: a temporary access key.
    TemporaryAccessKey,
}

impl IdKind {
    /// The four-letter prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::User => "AIDA",
            IdKind::Role => "AROA",
            IdKind::Group => "AGPA",
            IdKind::Policy => "ANPA",
            IdKind::InstanceProfile => "AIPA",
            IdKind::AccessKey => "AKIA",
            IdKind::TemporaryAccessKey => "ASIA",
        }
    }

    /// How many random characters follow the prefix: access key ids are
    /// 20 characters long, the other unique ids 21.
    fn random_len(self) -> usize {
        match self {
            IdKind::AccessKey | IdKind::TemporaryAccessKey => 16,
            _ => 17,
        }
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A new unique identifier of `kind`.
pub fn new_id(random: &dyn Random, kind: IdKind) -> String {
    let mut out = String::with_capacity(21);
    out.push_str(kind.prefix());
    out.push_str(&random_chars(random, kind.random_len(), BASE32));
    out
}

/// A new 40-character secret access key.
pub fn new_secret(random: &dyn Random) -> String {
    random_chars(random, 40, SECRET_ALPHABET)
}

/// `len` characters drawn uniformly from `alphabet`, whose length is a power
/// of two, so masking the random byte keeps the draw uniform.
fn random_chars(random: &dyn Random, len: usize, alphabet: &[u8]) -> String {
    let mut bytes = vec![0u8; len];
    random.fill(&mut bytes);
    let mask = alphabet.len() - 1;
    bytes
        .iter()
        .map(|b| {
            char::from(
                alphabet
                    .get(usize::from(*b) & mask)
                    .copied()
                    .unwrap_or(b'A'),
            )
        })
        .collect()
}

/// A request id in the UUID format AWS uses.
pub fn new_request_id(random: &dyn Random) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut b = [0u8; 16];
    random.fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_have_prefix_and_aws_length() {
        let r = SeededRandom::new(1);
        let id = new_id(&r, IdKind::User);
        assert!(id.starts_with("AIDA"));
        assert_eq!(id.len(), 21);
        assert!(id.bytes().all(|c| BASE32.contains(&c)));
    }

    #[test]
    fn access_key_ids_are_twenty_characters() {
        let r = SeededRandom::new(2);
        let id = new_id(&r, IdKind::AccessKey);
        assert!(id.starts_with("AKIA"));
        assert_eq!(id.len(), 20);
    }

    #[test]
    fn secrets_are_forty_characters_of_the_base64_alphabet() {
        let r = SeededRandom::new(3);
        let s = new_secret(&r);
        assert_eq!(s.len(), 40);
        assert!(s.bytes().all(|c| SECRET_ALPHABET.contains(&c)));
    }

    #[test]
    fn request_ids_look_like_version_4_uuids() {
        let r = SeededRandom::new(4);
        let id = new_request_id(&r);
        assert_eq!(id.len(), 36);
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'));
        assert!(matches!(
            groups[3].chars().next(),
            Some('8' | '9' | 'a' | 'b')
        ));
        assert!(id
            .chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
