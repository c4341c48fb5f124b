//! The conformance suite every storage backend passes.
//!
//! Each check is a public function taking a [`Fixture`], which opens handles
//! on a new, empty database. A backend crate runs every check as its own
//! `#[test]` with [`conformance_tests!`](crate::conformance_tests):
//!
//! ```text
//! fn fixture(handles: usize) -> Vec<Box<dyn tessera_store::Backend>> { /* … */ }
//! tessera_store::conformance_tests!(fixture);
//! ```
//!
//! The checks assert with `assert!` and `panic!`: this module is compiled
//! only with the `conformance` feature, which backend crates enable for their
//! tests and nothing enables in a release build.
//!
//! What the suite pins down beyond the trait documentation:
//!
//! - A write transaction that changes nothing (only reads, or deletes of
//!   absent items) and a failed write transaction leave the revision as it
//!   was.
//! - `changes_since(0)` may include tombstones (`value: None`) or not; the
//!   suite only demands that replaying it onto an empty map gives the current
//!   state.
//! - `changes_since(r)` for any `r` at or above the latest revision, up to
//!   `u64::MAX`, answers no changes and the latest revision.
//! - [`Backend::compact`] caps the horizon at the latest revision, never
//!   lowers it, and commits no revision; the horizon is the store's, so
//!   every handle on the database honours it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{Backend, Change, ChangeSet, StoreError, Transaction};

/// Opens stores for the checks.
pub trait Fixture: Sync {
    /// Opens `handles` handles on one new, empty database. Each handle is
    /// independent (its own connections), as two nodes sharing one database
    /// would be; `handles` is at least 1.
    fn open(&self, handles: usize) -> Vec<Box<dyn Backend>>;
}

impl<F> Fixture for F
where
    F: Fn(usize) -> Vec<Box<dyn Backend>> + Sync,
{
    fn open(&self, handles: usize) -> Vec<Box<dyn Backend>> {
        self(handles)
    }
}

/// A backend handle that keeps alive what its database needs (a temporary
/// directory, a test schema) for as long as the handle lives, for fixtures.
pub struct Guarded<G> {
    backend: Box<dyn Backend>,
    _guard: G,
}

impl<G: Send + Sync + 'static> Guarded<G> {
    /// `backend`, keeping `guard` alive with it.
    pub fn boxed(backend: impl Backend, guard: G) -> Box<dyn Backend> {
        Box::new(Guarded {
            backend: Box::new(backend),
            _guard: guard,
        })
    }
}

impl<G: Send + Sync + 'static> Backend for Guarded<G> {
    fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    fn read(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.backend.read(work)
    }

    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.backend.write(work)
    }

    fn changes_since(&self, revision: u64) -> Result<ChangeSet, StoreError> {
        self.backend.changes_since(revision)
    }

    fn compact(&self, horizon: u64) -> Result<u64, StoreError> {
        self.backend.compact(horizon)
    }
}

/// Defines one `#[test]` per conformance check, each calling the check with
/// the given fixture (an expression implementing [`Fixture`], typically the
/// path of a `fn(usize) -> Vec<Box<dyn Backend>>`).
#[macro_export]
macro_rules! conformance_tests {
    ($fixture:expr) => {
        $crate::conformance_tests!(@each $fixture;
            put_get_delete_round_trip,
            values_are_arbitrary_bytes,
            keys_may_hold_any_unicode,
            scan_lists_keys_in_byte_order,
            scan_honours_prefix_start_after_and_limit,
            count_counts_live_items_under_a_prefix,
            namespaces_are_isolated,
            failing_write_rolls_back_everything,
            read_transactions_refuse_writes,
            writes_see_their_own_changes,
            read_transactions_see_one_state,
            revisions_increase_with_every_changing_write,
            writes_that_change_nothing_use_no_revision,
            changes_since_zero_is_the_current_state,
            changes_since_reports_every_later_change,
            handles_share_one_database,
            racing_writers_never_exceed_a_limit,
            concurrent_increments_lose_no_update,
            followers_never_miss_a_change,
            compaction_sends_readers_below_the_horizon_to_a_full_read,
            stored_values_stay_out_of_errors_and_debug_output,
        );
    };
    (@each $fixture:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::conformance::$check(&$fixture);
            }
        )*
    };
}

type State = BTreeMap<(String, String), Vec<u8>>;

fn open_one(fixture: &dyn Fixture) -> Box<dyn Backend> {
    let mut handles = fixture.open(1);
    assert_eq!(
        handles.len(),
        1,
        "the fixture opened the wrong number of handles"
    );
    handles.remove(0)
}

fn open_two(fixture: &dyn Fixture) -> (Box<dyn Backend>, Box<dyn Backend>) {
    let mut handles = fixture.open(2);
    assert_eq!(
        handles.len(),
        2,
        "the fixture opened the wrong number of handles"
    );
    let second = handles.remove(1);
    let first = handles.remove(0);
    (first, second)
}

fn put(backend: &dyn Backend, namespace: &str, key: &str, value: &[u8]) {
    backend
        .write(&mut |tx| tx.put(namespace, key, value))
        .unwrap_or_else(|e| panic!("put of `{namespace}`/`{key}` failed: {e}"));
}

fn delete(backend: &dyn Backend, namespace: &str, key: &str) -> bool {
    crate::write::<bool, ()>(backend, |tx| Ok(tx.delete(namespace, key)?))
        .unwrap_or_else(|e| panic!("delete of `{namespace}`/`{key}` failed: {e:?}"))
}

fn get(backend: &dyn Backend, namespace: &str, key: &str) -> Option<Vec<u8>> {
    crate::read(backend, |tx| tx.get(namespace, key))
        .unwrap_or_else(|e| panic!("get of `{namespace}`/`{key}` failed: {e}"))
}

fn scan(
    backend: &dyn Backend,
    namespace: &str,
    prefix: &str,
    start_after: Option<&str>,
    limit: usize,
) -> Vec<(String, Vec<u8>)> {
    crate::read(backend, |tx| tx.scan(namespace, prefix, start_after, limit))
        .unwrap_or_else(|e| panic!("scan of `{namespace}`/`{prefix}` failed: {e}"))
}

fn scan_keys(
    backend: &dyn Backend,
    namespace: &str,
    prefix: &str,
    start_after: Option<&str>,
    limit: usize,
) -> Vec<String> {
    scan(backend, namespace, prefix, start_after, limit)
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

fn count(backend: &dyn Backend, namespace: &str, prefix: &str) -> u64 {
    crate::read(backend, |tx| tx.count(namespace, prefix))
        .unwrap_or_else(|e| panic!("count of `{namespace}`/`{prefix}` failed: {e}"))
}

fn changes_since(backend: &dyn Backend, revision: u64) -> ChangeSet {
    let set = backend
        .changes_since(revision)
        .unwrap_or_else(|e| panic!("changes_since({revision}) failed: {e}"));
    let mut previous: Option<&Change> = None;
    for change in &set.changes {
        // A full read holds every live item, however old.
        assert!(
            set.full || change.revision > revision,
            "changes_since({revision}) answered a change at revision {}",
            change.revision
        );
        assert!(
            change.revision <= set.revision,
            "a change at revision {} is newer than the change set's revision {}",
            change.revision,
            set.revision
        );
        if let Some(before) = previous {
            assert!(
                before.revision <= change.revision,
                "changes are not sorted by revision: {before:?} before {change:?}"
            );
        }
        previous = Some(change);
    }
    set
}

fn latest_revision(backend: &dyn Backend) -> u64 {
    changes_since(backend, 0).revision
}

fn apply(state: &mut State, changes: &[Change]) {
    for change in changes {
        let id = (change.namespace.clone(), change.key.clone());
        match &change.value {
            Some(value) => {
                state.insert(id, value.clone());
            }
            None => {
                state.remove(&id);
            }
        }
    }
}

fn full_state(backend: &dyn Backend) -> State {
    let mut state = State::new();
    apply(&mut state, &changes_since(backend, 0).changes);
    state
}

/// Counts a worker thread as finished when dropped, so that threads waiting
/// for the workers stop even when a worker panics.
struct Finished<'a>(&'a AtomicU64);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A start line for racing threads, reusable round after round. Unlike
/// `std::sync::Barrier` it gives up waiting after a while, so that a thread
/// that panicked fails the check instead of hanging it.
struct StartLine {
    arrived: AtomicU64,
    parties: u64,
}

impl StartLine {
    fn new(parties: usize) -> Self {
        StartLine {
            arrived: AtomicU64::new(0),
            parties: parties as u64,
        }
    }

    /// Waits until every party reached round `round` (counted from 0).
    fn wait(&self, round: usize) {
        self.arrived.fetch_add(1, Ordering::SeqCst);
        let target = self.parties * (round as u64 + 1);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.arrived.load(Ordering::SeqCst) < target && Instant::now() < deadline {
            std::thread::yield_now();
        }
    }
}

fn id(namespace: &str, key: &str) -> (String, String) {
    (namespace.to_owned(), key.to_owned())
}

/// Bytes that look random, from a fixed seed, so failures reproduce.
fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// Puts, gets, replaces and deletes one item, and puts it again after the
/// deletion.
pub fn put_get_delete_round_trip(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    assert_eq!(get(store, "user", "alice"), None);
    assert!(
        !delete(store, "user", "alice"),
        "deleting an absent item answered true"
    );

    put(store, "user", "alice", b"first");
    assert_eq!(get(store, "user", "alice").as_deref(), Some(&b"first"[..]));

    put(store, "user", "alice", b"second");
    assert_eq!(get(store, "user", "alice").as_deref(), Some(&b"second"[..]));

    assert!(
        delete(store, "user", "alice"),
        "deleting a present item answered false"
    );
    assert_eq!(get(store, "user", "alice"), None);
    assert!(
        !delete(store, "user", "alice"),
        "deleting twice answered true"
    );
    assert_eq!(scan(store, "user", "", None, 10), vec![]);

    put(store, "user", "alice", b"third");
    assert_eq!(get(store, "user", "alice").as_deref(), Some(&b"third"[..]));
    assert_eq!(
        scan(store, "user", "", None, 10),
        vec![("alice".to_owned(), b"third".to_vec())]
    );
}

/// Values are opaque bytes: empty (and still distinct from absent), every
/// byte value, and large (1 MiB), through get, scan and the revision log.
pub fn values_are_arbitrary_bytes(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    let every_byte: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    let large = pseudo_random_bytes(1 << 20, 7);
    let nul_only = vec![0u8; 17];
    let cases: [(&str, &[u8]); 4] = [
        ("empty", b""),
        ("every-byte", &every_byte),
        ("large", &large),
        ("nul-only", &nul_only),
    ];
    for (key, value) in cases {
        put(store, "blob", key, value);
    }
    for (key, value) in cases {
        assert_eq!(
            get(store, "blob", key).as_deref(),
            Some(value),
            "value of `{key}` changed on the way through the store"
        );
    }
    assert_eq!(
        count(store, "blob", ""),
        4,
        "an empty value must count as present"
    );
    let mut expected: Vec<(String, Vec<u8>)> = cases
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
        .collect();
    expected.sort();
    assert!(
        scan(store, "blob", "", None, 10) == expected,
        "scan changed the values"
    );
    let state = full_state(store);
    for (key, value) in cases {
        assert!(
            state.get(&id("blob", key)).map(Vec::as_slice) == Some(value),
            "changes_since changed the value of `{key}`"
        );
    }
    // Replacing a large value with an empty one, and back.
    put(store, "blob", "large", b"");
    assert_eq!(get(store, "blob", "large").as_deref(), Some(&b""[..]));
    put(store, "blob", "large", &large);
    assert!(get(store, "blob", "large").as_deref() == Some(&large[..]));
}

/// Keys and namespaces survive unchanged whatever characters they hold,
/// including characters that SQL `LIKE` or quoting treat specially.
pub fn keys_may_hold_any_unicode(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    let keys = [
        "ключ",
        "日本語/キー",
        "emoji 🔑 key",
        "with space",
        "per%cent",
        "under_score",
        "back\\slash",
        "quote'd\"",
        "'; DROP TABLE items; --",
        "tab\tnewline\n",
        "\u{7f}\u{80}\u{ffff}\u{10000}\u{10ffff}",
        "e\u{301}",
        "é",
        "",
    ];
    for (i, key) in keys.iter().enumerate() {
        put(store, "ns/ü", key, format!("{i}").as_bytes());
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            get(store, "ns/ü", key),
            Some(format!("{i}").into_bytes()),
            "key `{key}` did not round-trip"
        );
        assert_eq!(
            count(store, "ns/ü", key),
            scan(store, "ns/ü", key, None, 100).len() as u64
        );
    }
    let mut sorted: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    sorted.sort();
    assert_eq!(scan_keys(store, "ns/ü", "", None, 100), sorted);
    // `e` + combining accent and the precomposed `é` are different keys.
    assert_ne!(get(store, "ns/ü", "e\u{301}"), get(store, "ns/ü", "é"));
    assert_eq!(
        get(store, "ns/u", "ключ"),
        None,
        "namespaces are compared exactly"
    );
    let state = full_state(store);
    for key in keys {
        assert!(
            state.contains_key(&id("ns/ü", key)),
            "changes_since lost key `{key}`"
        );
    }
}

/// Scans list keys in byte order of their UTF-8 encoding, not in a locale's
/// collation nor in UTF-16 order.
pub fn scan_lists_keys_in_byte_order(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    let keys = [
        "b",
        "B",
        "a",
        "A",
        "a/",
        "a0",
        "ab",
        "a-b",
        "a b",
        "a.b",
        "_",
        "~",
        "z",
        "é",
        "\u{e000}",
        "\u{ffff}",
        "\u{10000}",
        "10",
        "9",
        "Zeta",
        "zeta",
        "ä",
        "aa",
        "a",
    ];
    let mut expected: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    expected.sort();
    expected.dedup();
    // Insert in an order unrelated to the expected one.
    for key in keys.iter().rev() {
        put(store, "order", key, key.as_bytes());
    }
    assert_eq!(scan_keys(store, "order", "", None, 1000), expected);
    // Byte order, spelled out for the cases collations get wrong.
    let position = |key: &str| {
        expected
            .iter()
            .position(|k| k == key)
            .unwrap_or_else(|| panic!("`{key}` is missing"))
    };
    assert!(
        position("B") < position("a"),
        "uppercase sorts before lowercase"
    );
    assert!(
        position("a b") < position("a-b"),
        "space sorts before hyphen"
    );
    assert!(position("a/") < position("a0"), "slash sorts before digits");
    assert!(position("z") < position("é"), "non-ASCII sorts after ASCII");
    assert!(
        position("\u{e000}") < position("\u{10000}"),
        "UTF-8 order, not UTF-16"
    );
    assert!(
        position("\u{ffff}") < position("\u{10000}"),
        "UTF-8 order, not UTF-16"
    );
    assert!(position("10") < position("9"), "no numeric collation");
}

/// Prefix, start-after and limit, alone and together, as used for
/// paginated listing.
pub fn scan_honours_prefix_start_after_and_limit(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    let keys = [
        "user",
        "user/",
        "user/alice",
        "user/alice/key1",
        "user/bob",
        "user/carol",
        "user0",
        "users/dave",
        "usex",
        "group/admins",
        "a%b",
        "a%bc",
        "axb",
        "a_c",
        "abc",
        "\u{10ffff}x",
        "\u{10ffff}\u{10ffff}",
        "\u{10ffff}",
    ];
    for key in keys {
        put(store, "p", key, key.as_bytes());
    }
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    assert_eq!(
        scan_keys(store, "p", "user/", None, 100),
        strings(&[
            "user/",
            "user/alice",
            "user/alice/key1",
            "user/bob",
            "user/carol"
        ])
    );
    assert_eq!(
        scan_keys(store, "p", "user/alice", None, 100),
        strings(&["user/alice", "user/alice/key1"])
    );
    assert_eq!(
        scan_keys(store, "p", "user/alice/key1", None, 100),
        strings(&["user/alice/key1"])
    );
    assert_eq!(
        scan_keys(store, "p", "user/alice/key1x", None, 100),
        strings(&[])
    );
    assert_eq!(scan_keys(store, "p", "nobody", None, 100), strings(&[]));
    // LIKE wildcards in a prefix are plain characters.
    assert_eq!(
        scan_keys(store, "p", "a%", None, 100),
        strings(&["a%b", "a%bc"])
    );
    assert_eq!(scan_keys(store, "p", "a_", None, 100), strings(&["a_c"]));
    // A prefix ending in the highest code point.
    assert_eq!(
        scan_keys(store, "p", "\u{10ffff}", None, 100),
        strings(&["\u{10ffff}", "\u{10ffff}x", "\u{10ffff}\u{10ffff}"])
    );

    // start_after is exclusive, and need not name an existing key.
    assert_eq!(
        scan_keys(store, "p", "user/", Some("user/alice"), 100),
        strings(&["user/alice/key1", "user/bob", "user/carol"])
    );
    assert_eq!(
        scan_keys(store, "p", "user/", Some("user/b"), 100),
        strings(&["user/bob", "user/carol"])
    );
    assert_eq!(
        scan_keys(store, "p", "user/", Some("user/carol"), 100),
        strings(&[])
    );
    // start_after before or after the whole prefix.
    assert_eq!(scan_keys(store, "p", "user/", Some("a"), 100).len(), 5);
    assert_eq!(
        scan_keys(store, "p", "user/", Some("zzz"), 100),
        strings(&[])
    );
    assert_eq!(scan_keys(store, "p", "user/", Some(""), 100).len(), 5);

    // Limits.
    assert_eq!(scan_keys(store, "p", "user/", None, 0), strings(&[]));
    assert_eq!(
        scan_keys(store, "p", "user/", None, 2),
        strings(&["user/", "user/alice"])
    );
    assert_eq!(
        scan_keys(store, "p", "", None, usize::MAX).len(),
        keys.len()
    );

    // Paging through a whole namespace two by two yields every key once,
    // in order.
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = scan_keys(store, "p", "", after.as_deref(), 2);
        assert!(page.len() <= 2, "a page exceeded its limit");
        let Some(last) = page.last().cloned() else {
            break;
        };
        paged.extend(page);
        after = Some(last);
    }
    let mut expected = strings(&keys);
    expected.sort();
    assert_eq!(paged, expected);

    // Scans inside a write transaction see the same thing.
    let listed = crate::write::<_, ()>(store, |tx| {
        Ok(tx.scan("p", "user/", Some("user/bob"), 1)?)
    })
    .unwrap_or_else(|e| panic!("scan in a write transaction failed: {e:?}"));
    assert_eq!(
        listed,
        vec![("user/carol".to_owned(), b"user/carol".to_vec())]
    );
}

/// Counts live items under a prefix; deleted items are not counted.
pub fn count_counts_live_items_under_a_prefix(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    assert_eq!(count(store, "c", ""), 0);
    for key in ["k/1", "k/2", "k/3", "k", "k0", "x/1", "a%1", "a_1", "ab1"] {
        put(store, "c", key, b"v");
    }
    assert_eq!(count(store, "c", ""), 9);
    assert_eq!(count(store, "c", "k/"), 3);
    assert_eq!(count(store, "c", "k"), 5);
    assert_eq!(count(store, "c", "x/"), 1);
    assert_eq!(count(store, "c", "y"), 0);
    assert_eq!(count(store, "c", "a%"), 1);
    assert_eq!(count(store, "c", "a_"), 1);
    assert!(delete(store, "c", "k/2"));
    assert_eq!(count(store, "c", "k/"), 2, "a deleted item was counted");
    assert_eq!(count(store, "c", ""), 8);
    let in_write = crate::write::<_, ()>(store, |tx| {
        tx.put("c", "k/9", b"v")?;
        tx.delete("c", "k/1")?;
        tx.put("c", "k/3", b"replaced")?;
        Ok(tx.count("c", "k/")?)
    })
    .unwrap_or_else(|e| panic!("count in a write transaction failed: {e:?}"));
    assert_eq!(
        in_write, 2,
        "a write transaction's count must include its own changes"
    );
    assert_eq!(count(store, "c", "k/"), 2);
}

/// The same key in different namespaces names different items, and no
/// operation crosses a namespace boundary, even when one namespace's name
/// is a prefix of another's.
pub fn namespaces_are_isolated(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    put(store, "user", "alice", b"in user");
    put(store, "users", "alice", b"in users");
    put(store, "use", "ralice", b"in use");
    put(store, "accesskey", "alice", b"in accesskey");
    assert_eq!(
        get(store, "user", "alice").as_deref(),
        Some(&b"in user"[..])
    );
    assert_eq!(
        get(store, "users", "alice").as_deref(),
        Some(&b"in users"[..])
    );
    assert_eq!(get(store, "use", "ralice").as_deref(), Some(&b"in use"[..]));
    assert_eq!(get(store, "use", "r/alice"), None);
    assert_eq!(count(store, "user", ""), 1);
    assert_eq!(count(store, "use", ""), 1);
    assert_eq!(count(store, "nothing", ""), 0);
    assert_eq!(
        scan_keys(store, "user", "", None, 10),
        vec!["alice".to_owned()]
    );
    assert_eq!(
        scan_keys(store, "use", "", None, 10),
        vec!["ralice".to_owned()]
    );
    assert!(delete(store, "user", "alice"));
    assert_eq!(get(store, "user", "alice"), None);
    assert_eq!(
        get(store, "users", "alice").as_deref(),
        Some(&b"in users"[..])
    );
    assert_eq!(
        get(store, "accesskey", "alice").as_deref(),
        Some(&b"in accesskey"[..])
    );
    let state = full_state(store);
    assert_eq!(state.len(), 3);
    assert!(state.contains_key(&id("users", "alice")));
    assert!(state.contains_key(&id("use", "ralice")));
    assert!(state.contains_key(&id("accesskey", "alice")));
}

/// A write closure that fails keeps nothing of what it wrote, whatever
/// error it returns, and the error reaches the caller.
pub fn failing_write_rolls_back_everything(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    put(store, "r", "kept", b"original");
    put(store, "r", "doomed-delete", b"still here");
    let before = latest_revision(store);

    let result = store.write(&mut |tx| {
        tx.put("r", "new", b"never")?;
        tx.put("r", "kept", b"overwritten")?;
        assert!(tx.delete("r", "doomed-delete")?);
        tx.put("other", "new", b"never")?;
        Err(StoreError::Aborted)
    });
    assert!(
        matches!(result, Err(StoreError::Aborted)),
        "the closure's error was not returned"
    );

    let result = store.write(&mut |tx| {
        tx.put("r", "new", b"never")?;
        Err(StoreError::Backend("refused by the test".to_owned()))
    });
    match result {
        Err(StoreError::Backend(message)) => assert!(message.contains("refused by the test")),
        other => panic!("the closure's error was not returned: {other:?}"),
    }

    #[derive(Debug, PartialEq)]
    struct Refused;
    let result = crate::write::<(), Refused>(store, |tx| {
        tx.put("r", "new", b"never")?;
        tx.delete("r", "kept")?;
        Err(crate::Outcome::Domain(Refused))
    });
    assert!(
        matches!(result, Err(crate::Outcome::Domain(Refused))),
        "the domain error was lost: {result:?}"
    );

    assert_eq!(get(store, "r", "new"), None);
    assert_eq!(get(store, "other", "new"), None);
    assert_eq!(get(store, "r", "kept").as_deref(), Some(&b"original"[..]));
    assert_eq!(
        get(store, "r", "doomed-delete").as_deref(),
        Some(&b"still here"[..])
    );
    assert_eq!(
        latest_revision(store),
        before,
        "a failed write used a revision"
    );
    assert!(changes_since(store, before).changes.is_empty());

    // The store still works after the failures.
    put(store, "r", "new", b"now");
    assert_eq!(get(store, "r", "new").as_deref(), Some(&b"now"[..]));
}

/// Writing inside a read transaction fails and changes nothing.
pub fn read_transactions_refuse_writes(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    put(store, "ro", "present", b"value");
    let before = latest_revision(store);
    let mut put_refused = false;
    let mut delete_refused = false;
    let outcome = store.read(&mut |tx| {
        put_refused = tx.put("ro", "new", b"value").is_err();
        delete_refused = tx.delete("ro", "present").is_err();
        Ok(())
    });
    // The backend may also fail the whole read; either way nothing changes.
    let _ = outcome;
    assert!(put_refused, "a read transaction accepted a put");
    assert!(delete_refused, "a read transaction accepted a delete");
    assert_eq!(get(store, "ro", "new"), None);
    assert_eq!(get(store, "ro", "present").as_deref(), Some(&b"value"[..]));
    assert_eq!(latest_revision(store), before);
}

/// Inside a write transaction, reads see the transaction's own writes.
pub fn writes_see_their_own_changes(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    put(store, "w", "old", b"old");
    let seen = crate::write::<_, ()>(store, |tx| {
        tx.put("w", "new", b"new")?;
        let new = tx.get("w", "new")?;
        let deleted = tx.delete("w", "old")?;
        let old = tx.get("w", "old")?;
        let deleted_again = tx.delete("w", "old")?;
        let keys: Vec<String> = tx
            .scan("w", "", None, 10)?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        tx.put("w", "old", b"back")?;
        let back = tx.get("w", "old")?;
        Ok((new, deleted, old, deleted_again, keys, back))
    })
    .unwrap_or_else(|e| panic!("write failed: {e:?}"));
    assert_eq!(seen.0.as_deref(), Some(&b"new"[..]));
    assert!(seen.1);
    assert_eq!(seen.2, None);
    assert!(!seen.3);
    assert_eq!(seen.4, vec!["new".to_owned()]);
    assert_eq!(seen.5.as_deref(), Some(&b"back"[..]));
    assert_eq!(get(store, "w", "old").as_deref(), Some(&b"back"[..]));
}

/// A read transaction sees one state even while writers (on this handle and
/// on another) commit: a transfer between two items always sums to the
/// same total, and pairs of keys written together are seen together.
pub fn read_transactions_see_one_state(fixture: &dyn Fixture) {
    let (first, second) = open_two(fixture);
    let handles = [&*first, &*second];
    let amount = |v: Option<Vec<u8>>| -> i64 {
        let bytes: [u8; 8] = v
            .unwrap_or_default()
            .try_into()
            .unwrap_or_else(|_| panic!("a balance is not 8 bytes"));
        i64::from_le_bytes(bytes)
    };
    first
        .write(&mut |tx| {
            tx.put("bank", "a", &100i64.to_le_bytes())?;
            tx.put("bank", "b", &0i64.to_le_bytes())
        })
        .unwrap_or_else(|e| panic!("setup failed: {e}"));

    let done = AtomicU64::new(0);
    let transfers = 60;
    std::thread::scope(|scope| {
        for (n, writer) in handles.iter().enumerate() {
            let done = &done;
            scope.spawn(move || {
                let _finished = Finished(done);
                for i in 0..transfers {
                    writer
                        .write(&mut |tx| {
                            let a = amount(tx.get("bank", "a")?);
                            let b = amount(tx.get("bank", "b")?);
                            let moved = if (i + n) % 2 == 0 { 7 } else { -7 };
                            tx.put("bank", "a", &(a - moved).to_le_bytes())?;
                            tx.put("bank", "b", &(b + moved).to_le_bytes())?;
                            tx.put("pairs", &format!("{n}/{i}/left"), b"l")?;
                            tx.put("pairs", &format!("{n}/{i}/right"), b"r")
                        })
                        .unwrap_or_else(|e| panic!("transfer failed: {e}"));
                }
            });
        }
        for reader in handles {
            let done = &done;
            scope.spawn(move || {
                let mut reads = 0;
                while done.load(Ordering::SeqCst) < 2 || reads < 10 {
                    let (a, b, pairs) = crate::read(reader, |tx| {
                        let a = amount(tx.get("bank", "a")?);
                        // Give writers a chance to commit between the reads.
                        std::thread::yield_now();
                        let pairs = tx.count("pairs", "")?;
                        let b = amount(tx.get("bank", "b")?);
                        let listed = tx.scan("pairs", "", None, usize::MAX)?.len() as u64;
                        assert_eq!(listed, pairs, "scan and count disagree within one read");
                        Ok((a, b, pairs))
                    })
                    .unwrap_or_else(|e| panic!("read failed: {e}"));
                    assert_eq!(a + b, 100, "a read saw half of a transfer");
                    assert_eq!(pairs % 2, 0, "a read saw half of a pair");
                    reads += 1;
                }
            });
        }
    });
    let a = amount(get(&*first, "bank", "a"));
    let b = amount(get(&*second, "bank", "b"));
    assert_eq!(a + b, 100);
    assert_eq!(count(&*second, "pairs", ""), 2 * 2 * transfers as u64);
}

/// Every committed write transaction that changed something gets a new
/// revision, greater than all earlier ones, and every item it changed
/// carries it.
pub fn revisions_increase_with_every_changing_write(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    let mut previous = latest_revision(store);
    for i in 0..5 {
        store
            .write(&mut |tx| {
                tx.put("rev", &format!("a{i}"), b"x")?;
                tx.put("rev", &format!("b{i}"), b"y")?;
                tx.put("other", "shared", format!("{i}").as_bytes())
            })
            .unwrap_or_else(|e| panic!("write failed: {e}"));
        let set = changes_since(store, previous);
        assert!(
            set.revision > previous,
            "revision did not increase: {previous} then {}",
            set.revision
        );
        let mut changed: Vec<(String, String)> = set
            .changes
            .iter()
            .map(|c| (c.namespace.clone(), c.key.clone()))
            .collect();
        changed.sort();
        assert_eq!(
            changed,
            vec![
                id("other", "shared"),
                id("rev", &format!("a{i}")),
                id("rev", &format!("b{i}"))
            ]
        );
        for change in &set.changes {
            assert_eq!(
                change.revision, set.revision,
                "an item carries another revision than its write"
            );
        }
        previous = set.revision;
    }
    // Replacing an item with the same value is a change too.
    put(store, "other", "shared", b"4");
    let set = changes_since(store, previous);
    assert!(set.revision > previous);
    assert_eq!(set.changes.len(), 1);
    previous = set.revision;
    // A deletion is a change.
    assert!(delete(store, "rev", "a0"));
    let set = changes_since(store, previous);
    assert!(set.revision > previous);
    assert_eq!(set.changes.len(), 1);
    assert_eq!(set.changes[0].value, None);
    assert_eq!(
        (
            set.changes[0].namespace.as_str(),
            set.changes[0].key.as_str()
        ),
        ("rev", "a0")
    );
}

/// Writes that change nothing (only reads, or deletes of absent items) and
/// failed writes commit no revision.
pub fn writes_that_change_nothing_use_no_revision(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    assert_eq!(
        latest_revision(store),
        0,
        "a new store starts at revision 0"
    );
    put(store, "n", "k", b"v");
    let before = latest_revision(store);
    assert!(before > 0);
    store
        .write(&mut |tx| {
            tx.get("n", "k")?;
            tx.count("n", "")?;
            tx.scan("n", "", None, 10)?;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("read-only write failed: {e}"));
    assert!(!delete(store, "n", "absent"));
    store
        .write(&mut |_| Ok(()))
        .unwrap_or_else(|e| panic!("empty write failed: {e}"));
    assert_eq!(
        latest_revision(store),
        before,
        "a write that changed nothing used a revision"
    );
    assert!(changes_since(store, before).changes.is_empty());
    put(store, "n", "k2", b"v");
    assert!(latest_revision(store) > before);
}

/// `changes_since(0)` replays to exactly the current state.
pub fn changes_since_zero_is_the_current_state(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    let empty = changes_since(store, 0);
    assert_eq!(empty.revision, 0);
    assert!(empty.changes.is_empty());

    let mut expected = State::new();
    for i in 0..20u8 {
        let ns = if i % 3 == 0 { "x" } else { "y" };
        put(store, ns, &format!("k{i:02}"), &[i]);
        expected.insert(id(ns, &format!("k{i:02}")), vec![i]);
    }
    for i in (0..20u8).step_by(4) {
        let ns = if i % 3 == 0 { "x" } else { "y" };
        assert!(delete(store, ns, &format!("k{i:02}")));
        expected.remove(&id(ns, &format!("k{i:02}")));
    }
    store
        .write(&mut |tx| {
            tx.put("y", "k01", b"replaced")?;
            tx.put("z", "gone-again", b"v")?;
            tx.delete("z", "gone-again").map(|_| ())
        })
        .unwrap_or_else(|e| panic!("write failed: {e}"));
    expected.insert(id("y", "k01"), b"replaced".to_vec());

    let set = changes_since(store, 0);
    for change in &set.changes {
        if change.value.is_none() {
            assert!(
                !expected.contains_key(&(change.namespace.clone(), change.key.clone())),
                "a tombstone for a live item: {change:?}"
            );
        }
    }
    let mut state = State::new();
    apply(&mut state, &set.changes);
    assert_eq!(state, expected);
    assert_eq!(set.revision, latest_revision(store));
    // Nothing after the latest revision, however far the reader asks.
    for beyond in [
        set.revision,
        set.revision + 1,
        u64::MAX / 2,
        i64::MAX as u64,
        u64::MAX,
    ] {
        let later = changes_since(store, beyond);
        assert!(later.changes.is_empty(), "changes after revision {beyond}");
        assert_eq!(later.revision, set.revision);
    }
}

/// `changes_since(r)` holds every item changed after `r`, deletions as
/// `None`, so that a snapshot taken at `r` plus those changes is the
/// current state.
pub fn changes_since_reports_every_later_change(fixture: &dyn Fixture) {
    let store = open_one(fixture);
    let store = &*store;
    for i in 0..10 {
        put(store, "s", &format!("k{i}"), b"before");
    }
    let snapshot_set = changes_since(store, 0);
    let at = snapshot_set.revision;
    let mut snapshot = State::new();
    apply(&mut snapshot, &snapshot_set.changes);

    put(store, "s", "k0", b"after");
    assert!(delete(store, "s", "k1"));
    put(store, "s", "k2", b"after");
    assert!(delete(store, "s", "k2"));
    assert!(delete(store, "s", "k3"));
    put(store, "s", "k3", b"resurrected");
    put(store, "s", "new", b"after");
    put(store, "t", "k4", b"other namespace");
    store
        .write(&mut |tx| {
            tx.put("s", "brief", b"v")?;
            tx.delete("s", "brief").map(|_| ())
        })
        .unwrap_or_else(|e| panic!("write failed: {e}"));

    let set = changes_since(store, at);
    let latest_of = |key: &str| {
        set.changes
            .iter()
            .rev()
            .find(|c| c.namespace == "s" && c.key == key)
            .unwrap_or_else(|| panic!("the change of `{key}` is missing"))
            .value
            .clone()
    };
    assert_eq!(latest_of("k0").as_deref(), Some(&b"after"[..]));
    assert_eq!(latest_of("k1"), None, "a deletion is missing");
    assert_eq!(
        latest_of("k2"),
        None,
        "a deletion after an update is missing"
    );
    assert_eq!(latest_of("k3").as_deref(), Some(&b"resurrected"[..]));
    assert_eq!(latest_of("new").as_deref(), Some(&b"after"[..]));
    for unchanged in ["k5", "k6", "k7", "k8", "k9"] {
        assert!(
            !set.changes.iter().any(|c| c.key == unchanged),
            "an item unchanged since {at} was reported"
        );
    }
    apply(&mut snapshot, &set.changes);
    assert_eq!(snapshot, full_state(store));
    assert!(changes_since(store, set.revision).changes.is_empty());
}

/// After [`Backend::compact`], a reader below the horizon gets a full read
/// (marked `full`, no tombstones, replaying to the current state) instead of
/// a delta that would lack the forgotten deletions, on every handle; a
/// reader at or above it still gets a delta with the newer tombstones.
pub fn compaction_sends_readers_below_the_horizon_to_a_full_read(fixture: &dyn Fixture) {
    let (store, other) = open_two(fixture);
    let (store, other) = (&*store, &*other);
    assert_eq!(store.compact(10).expect("compacting an empty store"), 0);

    for i in 0..5 {
        put(store, "c", &format!("k{i}"), b"before");
    }
    let old = latest_revision(store);
    assert!(delete(store, "c", "k0"));
    put(store, "c", "k1", b"after");
    assert!(delete(store, "c", "k2"));
    let horizon = latest_revision(store);
    assert!(delete(store, "c", "k3"));
    put(store, "c", "new", b"after");
    let latest = latest_revision(store);

    assert!(!changes_since(store, old).full, "no compaction yet");
    assert_eq!(store.compact(horizon).expect("compacting"), horizon);
    assert_eq!(
        latest_revision(store),
        latest,
        "compaction committed a revision"
    );

    for handle in [store, other] {
        let behind = changes_since(handle, old);
        assert!(behind.full, "a reader below the horizon got a delta");
        assert_eq!(behind.revision, latest);
        assert!(
            behind.changes.iter().all(|c| c.value.is_some()),
            "a full read holds a tombstone"
        );
        let mut state = State::new();
        apply(&mut state, &behind.changes);
        assert_eq!(state, full_state(store));
        assert!(!state.contains_key(&id("c", "k0")));
    }
    assert!(changes_since(store, 0).full, "a read from 0 is always full");

    // At the horizon every later deletion is still known.
    let at = changes_since(other, horizon);
    assert!(!at.full, "a reader at the horizon was sent to a full read");
    assert!(
        at.changes
            .iter()
            .any(|c| c.key == "k3" && c.value.is_none()),
        "a deletion newer than the horizon was forgotten"
    );
    // The horizon never goes down, and never passes the latest revision.
    assert_eq!(other.compact(1).expect("compacting lower"), horizon);
    assert!(changes_since(store, old).full);
    assert_eq!(store.compact(u64::MAX).expect("compacting all"), latest);
    let current = changes_since(other, latest);
    assert!(!current.full && current.changes.is_empty());
    assert!(changes_since(other, latest - 1).full);

    // A key whose tombstone was forgotten can be written again.
    put(store, "c", "k0", b"again");
    let next = changes_since(other, latest);
    assert!(!next.full);
    assert_eq!(next.changes.len(), 1);
    assert_eq!(get(other, "c", "k0").as_deref(), Some(&b"again"[..]));
}

/// Two handles on one database see each other's writes and share one
/// revision sequence.
pub fn handles_share_one_database(fixture: &dyn Fixture) {
    let (first, second) = open_two(fixture);
    put(&*first, "h", "from-first", b"1");
    assert_eq!(get(&*second, "h", "from-first").as_deref(), Some(&b"1"[..]));
    let after_first = latest_revision(&*second);
    put(&*second, "h", "from-second", b"2");
    assert_eq!(get(&*first, "h", "from-second").as_deref(), Some(&b"2"[..]));
    let after_second = latest_revision(&*first);
    assert!(after_second > after_first);
    assert!(delete(&*first, "h", "from-second"));
    assert_eq!(get(&*second, "h", "from-second"), None);
    let set = changes_since(&*second, after_second);
    assert_eq!(set.changes.len(), 1);
    assert_eq!(set.changes[0].value, None);
    assert_eq!(full_state(&*first), full_state(&*second));
}

/// Threads on two handles race a closure that adds an item only while
/// fewer than two exist under a prefix (two racing CreateAccessKey calls).
/// Every round ends with exactly two items, never three.
pub fn racing_writers_never_exceed_a_limit(fixture: &dyn Fixture) {
    const THREADS: usize = 8;
    const ROUNDS: usize = 8;
    const LIMIT: u64 = 2;
    let (first, second) = open_two(fixture);
    let handles = [&*first, &*second];
    let start = StartLine::new(THREADS);
    let created = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let backend = handles[t % 2];
            let start = &start;
            let created = &created;
            scope.spawn(move || {
                for round in 0..ROUNDS {
                    start.wait(round);
                    let prefix = format!("user{round}/");
                    let added = crate::write::<bool, ()>(backend, |tx| {
                        if tx.count("accesskey", &prefix)? >= LIMIT {
                            return Ok(false);
                        }
                        tx.put("accesskey", &format!("{prefix}key-{t}"), b"sealed")?;
                        Ok(true)
                    })
                    .unwrap_or_else(|e| panic!("racing write failed: {e:?}"));
                    if added {
                        created.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    for round in 0..ROUNDS {
        let prefix = format!("user{round}/");
        assert_eq!(
            count(&*first, "accesskey", &prefix),
            LIMIT,
            "round {round} broke the limit"
        );
        assert_eq!(
            scan(&*second, "accesskey", &prefix, None, 100).len() as u64,
            LIMIT
        );
    }
    assert_eq!(created.load(Ordering::SeqCst), LIMIT * ROUNDS as u64);
}

/// Threads on two handles increment one counter; no increment is lost, and
/// every write transaction gets its own revision.
pub fn concurrent_increments_lose_no_update(fixture: &dyn Fixture) {
    const THREADS: usize = 6;
    const INCREMENTS: usize = 25;
    let (first, second) = open_two(fixture);
    let handles = [&*first, &*second];
    let start = StartLine::new(THREADS);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let backend = handles[t % 2];
            let start = &start;
            scope.spawn(move || {
                start.wait(0);
                for i in 0..INCREMENTS {
                    backend
                        .write(&mut |tx| {
                            let current = match tx.get("counter", "value")? {
                                Some(bytes) => u64::from_le_bytes(
                                    bytes
                                        .try_into()
                                        .unwrap_or_else(|_| panic!("counter is not 8 bytes")),
                                ),
                                None => 0,
                            };
                            tx.put("counter", "value", &(current + 1).to_le_bytes())?;
                            tx.put("log", &format!("{t}/{i:03}"), b"")
                        })
                        .unwrap_or_else(|e| panic!("increment failed: {e}"));
                }
            });
        }
    });
    let total = (THREADS * INCREMENTS) as u64;
    let value =
        get(&*second, "counter", "value").unwrap_or_else(|| panic!("the counter is missing"));
    assert_eq!(value, total.to_le_bytes().to_vec(), "an increment was lost");
    let set = changes_since(&*first, 0);
    let mut revisions: Vec<u64> = set
        .changes
        .iter()
        .filter(|c| c.namespace == "log")
        .map(|c| c.revision)
        .collect();
    assert_eq!(revisions.len() as u64, total);
    revisions.sort_unstable();
    revisions.dedup();
    assert_eq!(
        revisions.len() as u64,
        total,
        "two write transactions shared a revision"
    );
}

/// A follower polling `changes_since` on one handle while writers commit on
/// both never misses a change: its replayed state ends equal to the store.
pub fn followers_never_miss_a_change(fixture: &dyn Fixture) {
    const WRITERS: usize = 4;
    const WRITES: usize = 30;
    let (first, second) = open_two(fixture);
    let handles = [&*first, &*second];
    let done = AtomicU64::new(0);
    let mut follower_state = State::new();
    let mut polls = 0;
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let backend = handles[w % 2];
            let done = &done;
            scope.spawn(move || {
                let _finished = Finished(done);
                for i in 0..WRITES {
                    backend
                        .write(&mut |tx| {
                            let key = format!("{}", (i * 7 + w) % 10);
                            if i % 3 == 2 {
                                tx.delete("f", &key)?;
                            } else {
                                tx.put("f", &key, format!("{w}/{i}").as_bytes())?;
                            }
                            tx.put("g", &format!("{w}/{i}"), b"")
                        })
                        .unwrap_or_else(|e| panic!("write failed: {e}"));
                }
            });
        }
        let follower = handles[1];
        let mut revision = 0;
        loop {
            let finished = done.load(Ordering::SeqCst) == WRITERS as u64;
            let set = changes_since(follower, revision);
            assert!(set.revision >= revision, "the revision went backwards");
            apply(&mut follower_state, &set.changes);
            revision = set.revision;
            polls += 1;
            if finished {
                break;
            }
        }
    });
    assert!(polls > 1);
    assert_eq!(
        follower_state,
        full_state(&*first),
        "the follower missed a change"
    );
    assert_eq!(count(&*first, "g", ""), (WRITERS * WRITES) as u64);
}

/// Values may be sealed secrets: a refused write's error and the change
/// log's `Debug` output never show them.
pub fn stored_values_stay_out_of_errors_and_debug_output(fixture: &dyn Fixture) {
    const SECRET: &str = "sk-very-secret-value";
    let store = open_one(fixture);
    let mut error = None;
    store
        .read(&mut |tx| {
            error = tx.put("test", "k", SECRET.as_bytes()).err();
            Ok(())
        })
        .unwrap_or_else(|e| panic!("the read failed: {e}"));
    let message = error
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("a read transaction accepted a put"));
    assert!(!message.contains(SECRET), "{message}");
    put(&*store, "test", "k", SECRET.as_bytes());
    let debug = format!("{:?}", changes_since(&*store, 0));
    assert!(!debug.contains(SECRET), "{debug}");
}
