//! What every request shares: the store, the snapshot, the verifier, the
//! configuration.

use std::sync::Arc;

use tessera_iam::crypto::Kek;
use tessera_iam::ids::Random;
use tessera_iam::quotas::Quotas;
use tessera_iam::snapshot::SnapshotCell;
use tessera_sigv4::Verifier;
use tessera_store::Backend;

use crate::clock::Clock;
use crate::usage::UsageTracker;

/// The state shared by all requests of one server.
pub struct AppState {
    /// The storage backend.
    pub store: Arc<dyn Backend>,
    /// The node's authorization snapshot.
    pub snapshot: SnapshotCell,
    /// The SigV4 verifier with its signing-key cache.
    pub verifier: Verifier,
    /// The key-encryption key.
    pub kek: Kek,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The random source.
    pub random: Arc<dyn Random>,
    /// Quotas in force.
    pub quotas: Quotas,
    /// What requests used (access keys, roles, services), written in the
    /// background.
    pub usage: UsageTracker,
    /// The default account: in emulator mode, unknown keys act as its root.
    pub default_account: String,
    /// Whether emulator mode is on.
    pub emulator: bool,
    /// Sessions of temporary credentials opened recently.
    pub sessions: tessera_iam::credentials::SessionCache,
    /// The server's metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The URL clients reach the server at (`--public-url`), without a
    /// trailing slash: the base of the outbound federation issuers.
    pub public_url: String,
    /// OpenID Connect providers' signing keys, fetched and cached.
    pub oidc_keys: crate::oidc_keys::OidcKeys,
    /// Where decisions too costly for an async worker are made.
    pub costly: crate::costly::CostlyDecisions,
}

impl AppState {
    /// The domain's dispatch boundary over this state.
    pub fn domain(&self) -> tessera_iam::dispatch::Domain<'_> {
        tessera_iam::dispatch::Domain {
            store: self.store.as_ref(),
            cell: &self.snapshot,
            random: self.random.as_ref(),
            kek: &self.kek,
            quotas: &self.quotas,
            usage: &self.usage,
            audit: &crate::audit::LogAudit,
            public_url: &self.public_url,
        }
    }
}
