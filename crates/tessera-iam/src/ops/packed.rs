//! The packed size of a session's policies and tags (`PackedPolicySize`,
//! `PackedPolicyTooLarge`), shared by every operation that mints a session
//! carrying them: `AssumeRole`, `AssumeRoleWithWebIdentity`,
//! `AssumeRoleWithSAML` and `GetFederationToken`.
//!
//! AWS documents the mechanism, not the formula: "an AWS conversion
//! compresses the passed inline session policy, managed policy ARNs, and
//! session tags into a packed binary format that has a separate limit";
//! the answer's `PackedPolicySize` says "by percentage how close the
//! policies and tags for your request are to the upper size limit", and a
//! request over 100 % fails with `PackedPolicyTooLarge` "even if your
//! plaintext meets the other requirements" (STS API reference, AssumeRole).
//! AWS's knowledge-center article "iam-role-aws-sts-error" gives the two
//! messages, one per budget: "Packed size of session tags consumes n% of
//! allotted space." and "Packed policy consumes n% of allotted space,
//! please use smaller policy."
//!
//! So, as AWS does, the policies and the tags are serialized and
//! compressed (DEFLATE), each against its own budget, and the larger
//! share is reported. The budgets are chosen never to refuse what AWS
//! accepts:
//!
//! - policies: [`POLICY_BUDGET`] bytes is what the plaintext limits allow
//!   at most (a 2,048-character inline policy and ten managed policy ARNs
//!   of the longest form a policy path and name allow) even incompressible,
//!   so within those limits the policies alone never fail;
//! - tags: [`TAG_BUDGET`] compressed bytes. AWS refuses far sooner than the
//!   plaintext limits (50 tags, keys of 128 and values of 256 characters):
//!   the six tags EKS Pod Identity sets (about 300 characters) consume 74 %
//!   and a few more custom tags 112 % (aws/containers-roadmap#2413), and
//!   GitHub's credential action meets "Packed size of session tags
//!   consumes 142% of allotted space." (aws-actions/configure-aws-credentials#1803).
//!   The budget here is several times what those sessions pack to, so a
//!   session AWS accepts is accepted, while the documented maximum of 50
//!   full-length tags, which AWS refuses, is refused.

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::Compression;

use crate::records::Tag;
use crate::IamError;

/// Compressed bytes the session policies may pack to: a 2,048-character
/// inline policy and ten ARNs of up to 672 characters
/// (`arn:aws:iam::` + account + `:policy` + a 512-character path + a
/// 128-character name), with room for DEFLATE's framing.
pub const POLICY_BUDGET: usize = 2048 + 10 * 672 + 64;
/// Compressed bytes the session tags (and which of them are transitive)
/// may pack to.
pub const TAG_BUDGET: usize = 2048;

/// How much of each budget a session's policies and tags use, in percent
/// (rounded up, so that anything present counts at least 1 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedSize {
    /// The inline session policy and the managed policy ARNs.
    pub policies: u64,
    /// The session tags, including those carried from a calling session.
    pub tags: u64,
}

impl PackedSize {
    /// Measures a session's policies and tags.
    pub fn of(
        policy: Option<&str>,
        policy_arns: &[String],
        tags: &[Tag],
        transitive_keys: &[String],
    ) -> PackedSize {
        let mut policies = Vec::new();
        if let Some(policy) = policy {
            policies.extend_from_slice(policy.as_bytes());
        }
        for arn in policy_arns {
            policies.push(b'\n');
            policies.extend_from_slice(arn.as_bytes());
        }
        let mut packed_tags = Vec::new();
        for tag in tags {
            packed_tags.extend_from_slice(tag.key.as_bytes());
            packed_tags.push(b'=');
            packed_tags.extend_from_slice(tag.value.as_bytes());
            packed_tags.push(b'\n');
        }
        for key in transitive_keys {
            packed_tags.extend_from_slice(key.as_bytes());
            packed_tags.push(b'\n');
        }
        PackedSize {
            policies: percent_of(&policies, POLICY_BUDGET),
            tags: percent_of(&packed_tags, TAG_BUDGET),
        }
    }

    /// The `PackedPolicySize` answered: the fuller of the two budgets.
    pub fn percent(&self) -> u64 {
        self.policies.max(self.tags)
    }

    /// Refuses a session over either budget with AWS's code and message
    /// (the tags' first, as they are the usual cause); answers the
    /// `PackedPolicySize` otherwise.
    pub fn check(&self) -> Result<u64, IamError> {
        if self.tags > 100 {
            return Err(IamError::new(
                "PackedPolicyTooLarge",
                format!(
                    "Packed size of session tags consumes {}% of allotted space.",
                    self.tags
                ),
            ));
        }
        if self.policies > 100 {
            return Err(IamError::new(
                "PackedPolicyTooLarge",
                format!(
                    "Packed policy consumes {}% of allotted space, please use smaller policy.",
                    self.policies
                ),
            ));
        }
        Ok(self.percent())
    }
}

/// The DEFLATE-compressed size of `bytes` as a percentage of `budget`;
/// nothing uses nothing.
fn percent_of(bytes: &[u8], budget: usize) -> u64 {
    if bytes.is_empty() {
        return 0;
    }
    let used = compressed_len(bytes);
    let percent = used.saturating_mul(100).div_ceil(budget.max(1));
    u64::try_from(percent).unwrap_or(u64::MAX)
}

fn compressed_len(bytes: &[u8]) -> usize {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail; should it, the uncompressed length
    // is the safe over-estimate.
    match encoder.write_all(bytes).and_then(|()| encoder.finish()) {
        Ok(out) => out.len(),
        Err(_) => bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }

    /// Deterministic text that DEFLATE cannot shrink much (a simple LCG
    /// over letters and digits).
    fn incompressible(len: usize, seed: u64) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let index = usize::try_from(state >> 58).unwrap_or(0) % ALPHABET.len();
                char::from(ALPHABET[index])
            })
            .collect()
    }

    #[test]
    fn nothing_packs_to_zero_percent() {
        assert_eq!(PackedSize::of(None, &[], &[], &[]).percent(), 0);
    }

    #[test]
    fn a_small_policy_and_a_tag_use_a_small_share() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let size = PackedSize::of(Some(policy), &[], &[tag("team", "blue")], &[]);
        assert!((1..=5).contains(&size.policies), "{size:?}");
        assert!((1..=5).contains(&size.tags), "{size:?}");
        assert_eq!(size.check(), Ok(size.policies.max(size.tags)));
    }

    #[test]
    fn the_longest_policies_the_plaintext_limits_allow_fit_even_incompressible() {
        let policy = incompressible(2048, 1);
        let arns: Vec<String> = (0..10)
            .map(|i| {
                format!(
                    "arn:aws:iam::123456789012:policy/{}/{}",
                    incompressible(510, i + 2),
                    incompressible(128, i + 20)
                )
            })
            .collect();
        let size = PackedSize::of(Some(&policy), &arns, &[], &[]);
        assert!(size.policies <= 100, "{size:?}");
        assert!(size.check().is_ok());
    }

    #[test]
    fn fifty_full_length_tags_are_refused_naming_the_share_they_consume() {
        let tags: Vec<Tag> = (0..50)
            .map(|i| tag(&incompressible(128, i), &incompressible(256, i + 100)))
            .collect();
        let size = PackedSize::of(None, &[], &tags, &[]);
        assert!(size.tags > 100, "{size:?}");
        let error = size.check().unwrap_err();
        assert_eq!(error.code, "PackedPolicyTooLarge");
        assert_eq!(
            error.message,
            format!(
                "Packed size of session tags consumes {}% of allotted space.",
                size.tags
            )
        );
    }

    #[test]
    fn tags_like_those_aws_accepts_fit_with_room_to_spare() {
        // The six tags EKS Pod Identity sets, which AWS packs to 74 %.
        let tags = [
            tag(
                "eks-cluster-arn",
                "arn:aws:eks:us-west-2:111122223333:cluster/production-cluster",
            ),
            tag("eks-cluster-name", "production-cluster"),
            tag("kubernetes-namespace", "payments"),
            tag("kubernetes-service-account", "payments-api"),
            tag("kubernetes-pod-name", "payments-api-7c9d8b6f4d-x2k8q"),
            tag("kubernetes-pod-uid", "3f1e2d4c-5b6a-4789-8a9b-0c1d2e3f4a5b"),
        ];
        let keys: Vec<String> = tags.iter().map(|t| t.key.clone()).collect();
        let size = PackedSize::of(None, &[], &tags, &keys);
        assert!(size.tags <= 25, "{size:?}");
    }
}
