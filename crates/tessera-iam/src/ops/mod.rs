//! The operations Tessera implements, as a table the server looks up by
//! service and action name. Each entry names the IAM action it is authorized
//! as, how to compute the resource ARN (as the Service Authorization
//! Reference gives it), and the handler.
//!
//! Handlers take the input decoded by the service model (a JSON object keyed
//! by member name) and return the output in the same form; they never see
//! HTTP. Handlers that only read the snapshot never touch the store.

mod access_keys;
mod sts;
mod user_policies;
mod user_tags;
mod users;

use serde_json::Value;
use tessera_store::Backend;
use time::OffsetDateTime;

use crate::caller::Caller;
use crate::crypto::Kek;
use crate::ids::Random;
use crate::quotas::Quotas;
use crate::records::LastUsedRecord;
use crate::snapshot::Snapshot;
use crate::IamError;

/// The AWS services Tessera answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// IAM, API version 2010-05-08.
    Iam,
    /// STS, API version 2011-06-15.
    Sts,
}

impl Service {
    /// The SigV4 signing name and action prefix: `iam` or `sts`.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }

    /// The service named by a SigV4 credential scope.
    pub fn from_signing_name(name: &str) -> Option<Service> {
        match name {
            "iam" => Some(Service::Iam),
            "sts" => Some(Service::Sts),
            _ => None,
        }
    }
}

/// Where an access key's last use is looked up: the server tracks uses in
/// memory and persists them in the background.
pub trait LastUsedLookup: Send + Sync {
    /// The latest known use of `access_key_id`.
    fn last_used(&self, access_key_id: &str) -> Option<LastUsedRecord>;
}

/// Everything a handler may use.
pub struct OpContext<'a> {
    /// The store, for writes and for reads the snapshot does not hold.
    pub store: &'a dyn Backend,
    /// The snapshot the request was authorized against.
    pub snapshot: &'a Snapshot,
    /// The authenticated caller.
    pub caller: &'a Caller,
    /// The request time.
    pub now: OffsetDateTime,
    /// The random source.
    pub random: &'a dyn Random,
    /// The key-encryption key, for sealing new secrets.
    pub kek: &'a Kek,
    /// The quotas in force.
    pub quotas: &'a Quotas,
    /// Last-use tracking of access keys.
    pub last_used: &'a dyn LastUsedLookup,
}

/// What the server authorizes a request as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The IAM action, e.g. `iam:CreateUser`.
    pub action: String,
    /// The resource ARN the action is on.
    pub resource: String,
}

/// How an operation uses the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreUse {
    /// Answered from the snapshot alone.
    None,
    /// Reads the store (lists, persisted records the snapshot does not hold).
    Read,
    /// Writes the store; the node's snapshot must see the change before the
    /// caller's next request.
    Write,
}

/// An operation Tessera implements.
pub struct Operation {
    /// The service.
    pub service: Service,
    /// The action name, as in `Action=CreateUser`.
    pub name: &'static str,
    /// Computes the resource the request acts on.
    pub resource: fn(&Snapshot, &Caller, &Value) -> String,
    /// Whether the operation is allowed for every authenticated caller
    /// without a policy (only `sts:GetCallerIdentity`).
    pub always_allowed: bool,
    /// How the handler uses the store: the server runs handlers that use
    /// it off the async threads, and refreshes its snapshot after writes.
    pub store: StoreUse,
    /// The handler.
    pub handler: fn(&OpContext<'_>, &Value) -> Result<Value, IamError>,
}

impl Operation {
    /// The action and resource to authorize.
    pub fn target(&self, snapshot: &Snapshot, caller: &Caller, input: &Value) -> Target {
        Target {
            action: format!("{}:{}", self.service.prefix(), self.name),
            resource: (self.resource)(snapshot, caller, input),
        }
    }
}

static OPERATIONS: &[Operation] = &[
    sts::GET_CALLER_IDENTITY,
    users::CREATE_USER,
    users::GET_USER,
    users::LIST_USERS,
    users::UPDATE_USER,
    users::DELETE_USER,
    access_keys::CREATE_ACCESS_KEY,
    access_keys::LIST_ACCESS_KEYS,
    access_keys::UPDATE_ACCESS_KEY,
    access_keys::DELETE_ACCESS_KEY,
    access_keys::GET_ACCESS_KEY_LAST_USED,
    user_policies::PUT_USER_POLICY,
    user_policies::GET_USER_POLICY,
    user_policies::LIST_USER_POLICIES,
    user_policies::DELETE_USER_POLICY,
    user_tags::TAG_USER,
    user_tags::UNTAG_USER,
    user_tags::LIST_USER_TAGS,
];

/// The implemented operation `name` of `service`, if any.
pub fn find(service: Service, name: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|op| op.service == service && op.name == name)
}

/// All implemented operations.
pub fn all() -> &'static [Operation] {
    OPERATIONS
}

// ---- helpers shared by handlers ----

/// A string member of the input, if present.
pub(crate) fn input_str<'v>(input: &'v Value, member: &str) -> Option<&'v str> {
    input.get(member).and_then(Value::as_str)
}

/// A required string member; the service model has already checked presence,
/// so absence here means a handler/model mismatch.
pub(crate) fn required_str<'v>(input: &'v Value, member: &str) -> Result<&'v str, IamError> {
    input_str(input, member).ok_or_else(|| {
        IamError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_camel(member)
        ))
    })
}

/// An integer member of the input.
pub(crate) fn input_u64(input: &Value, member: &str) -> Option<u64> {
    input.get(member).and_then(Value::as_u64)
}

fn lower_camel(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An ISO 8601 timestamp as IAM writes it: `2024-05-01T12:34:56Z`.
pub fn iso8601(seconds: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Encodes a pagination marker: the last store key a page consumed.
pub(crate) fn encode_marker(key: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// Decodes a marker made by [`encode_marker`].
pub(crate) fn decode_marker(marker: &str) -> Result<String, IamError> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD
        .decode(marker.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| IamError::validation("Invalid Marker."))
}

/// Reads one page of `namespace` under `prefix`, keeping the items `keep`
/// accepts, starting after the marker. Answers the kept items, and the
/// marker for the next page when more kept items follow.
pub(crate) fn page<T>(
    tx: &mut dyn tessera_store::Transaction,
    namespace: &str,
    prefix: &str,
    marker: Option<&str>,
    max_items: usize,
    mut keep: impl FnMut(&str, &[u8]) -> Result<Option<T>, tessera_store::StoreError>,
) -> Result<(Vec<T>, Option<String>), tessera_store::StoreError> {
    const BATCH: usize = 256;
    let mut items = Vec::new();
    let mut after: Option<String> = marker.map(str::to_string);
    let mut last_kept_key: Option<String> = None;
    loop {
        let batch = tx.scan(namespace, prefix, after.as_deref(), BATCH)?;
        let exhausted = batch.len() < BATCH;
        for (key, value) in batch {
            if let Some(item) = keep(&key, &value)? {
                if items.len() == max_items {
                    // One more kept item exists: the page is truncated.
                    return Ok((items, last_kept_key));
                }
                items.push(item);
                last_kept_key = Some(key.clone());
            }
            after = Some(key);
        }
        if exhausted {
            return Ok((items, None));
        }
    }
}

/// The default page size of IAM list operations.
pub(crate) const DEFAULT_MAX_ITEMS: u64 = 100;
