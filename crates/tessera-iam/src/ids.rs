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
    /// `ASCA`: a server certificate.
    ServerCertificate,
    /// `APKA`: an SSH public key.
    SshPublicKey,
    /// `ACCA`: a service-specific credential.
    ServiceSpecificCredential,
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
            IdKind::ServerCertificate => "ASCA",
            IdKind::SshPublicKey => "APKA",
            IdKind::ServiceSpecificCredential => "ACCA",
        }
    }

    /// How many random characters follow the prefix: access key ids are
    /// 20 characters long, as are SSH public key ids; the other unique ids
    /// 21.
    fn random_len(self) -> usize {
        match self {
            IdKind::AccessKey | IdKind::TemporaryAccessKey | IdKind::SshPublicKey => 16,
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

/// A new signing-certificate id: 28 characters of base32, as AWS's are.
pub fn new_certificate_id(random: &dyn Random) -> String {
    new_upper_id(random, 28)
}

/// A new identifier of `len` upper-case base32 characters (signing
/// certificates, SAML provider UUIDs and private-key ids).
pub fn new_upper_id(random: &dyn Random, len: usize) -> String {
    random_chars(random, len, BASE32)
}

/// A new random secret of `bytes` bytes, in standard base64.
pub fn new_base64_secret(random: &dyn Random, bytes: usize) -> String {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let mut buf = vec![0u8; bytes];
    random.fill(&mut buf);
    STANDARD.encode(buf)
}

/// A new access key id of `kind` (`AKIA…` or `ASIA…`) that carries its
/// account, as AWS's do: the 16 characters after the prefix are 10 bytes
/// of base32 whose first 48 bits hold the account id in bits 7–46, the
/// rest random. [`account_of_access_key_id`] reads it back, which is how
/// `GetAccessKeyInfo` answers for any key.
pub fn new_access_key_id(random: &dyn Random, kind: IdKind, account: &str) -> String {
    let mut bytes = [0u8; 10];
    random.fill(&mut bytes);
    if let Ok(account) = account.parse::<u64>() {
        let mut head = [0u8; 8];
        head[2..8].copy_from_slice(&bytes[..6]);
        let random_bits = u64::from_be_bytes(head);
        let z = (random_bits & !ACCOUNT_MASK) | ((account << 7) & ACCOUNT_MASK);
        bytes[..6].copy_from_slice(&z.to_be_bytes()[2..8]);
    }
    let mut out = String::with_capacity(20);
    out.push_str(kind.prefix());
    out.push_str(&base32_encode(&bytes));
    out
}

/// The bits of an access key id's first 48 that hold the account id.
const ACCOUNT_MASK: u64 = 0x7fff_ffff_ff80;

/// The account an access key id carries, for ids made by
/// [`new_access_key_id`] (and by AWS); `None` for a malformed id.
pub fn account_of_access_key_id(access_key_id: &str) -> Option<String> {
    let body = access_key_id.get(4..)?;
    if body.len() != 16 {
        return None;
    }
    let bytes = base32_decode(body)?;
    let mut head = [0u8; 8];
    head.get_mut(2..8)?.copy_from_slice(bytes.get(..6)?);
    let account = (u64::from_be_bytes(head) & ACCOUNT_MASK) >> 7;
    Some(format!("{account:012}"))
}

fn base32_encode(bytes: &[u8; 10]) -> String {
    let mut out = String::with_capacity(16);
    let mut buffer: u64 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let index = usize::try_from((buffer >> bits) & 31).unwrap_or(0);
            out.push(char::from(BASE32.get(index).copied().unwrap_or(b'A')));
        }
    }
    out
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(10);
    let mut buffer: u64 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let value = BASE32.iter().position(|&b| b == c)?;
        buffer = (buffer << 5) | u64::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
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
    fn access_key_ids_carry_their_account() {
        let r = SeededRandom::new(9);
        for account in ["123456789012", "000000000001", "999999999999"] {
            let id = new_access_key_id(&r, IdKind::AccessKey, account);
            assert!(id.starts_with("AKIA") && id.len() == 20, "{id}");
            assert!(id.bytes().skip(4).all(|c| BASE32.contains(&c)));
            assert_eq!(account_of_access_key_id(&id).as_deref(), Some(account));
            let temporary = new_access_key_id(&r, IdKind::TemporaryAccessKey, account);
            assert_eq!(
                account_of_access_key_id(&temporary).as_deref(),
                Some(account)
            );
        }
        assert_eq!(account_of_access_key_id("AKIA1"), None);
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
