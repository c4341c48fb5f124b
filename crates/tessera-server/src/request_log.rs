//! One record per request: a log line at `info` under the
//! `tessera::request` target, and the request's metrics.
//!
//! The line names the request (id, source address), who made it (caller
//! ARN, account), what it was (service, action), how authorization decided
//! (and for a denial the deciding policy type and statement), and how it
//! ended (error code, status, latency, time spent in the store). It never
//! carries a parameter, a body, a header, a signature, a token or a secret.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use tessera_iam::authz::Denial;
use tessera_iam::caller::Caller;
use tessera_iam::ops::Service;

use crate::metrics::{Metrics, RequestSample};

/// The target the per-request line is logged under.
pub const TARGET: &str = "tessera::request";

/// How authorization decided.
#[derive(Debug)]
enum Decided {
    Allowed,
    Denied(Denial),
}

/// What the pipeline learned about a request as it went.
#[derive(Debug)]
pub struct Observed {
    started: Instant,
    /// Whether the line is logged; what only the line needs is not gathered
    /// otherwise.
    logged: bool,
    service: Option<Service>,
    action: Option<&'static str>,
    caller: Option<(String, String)>,
    decided: Option<Decided>,
    store_time: Duration,
}

impl Observed {
    /// Starts observing a request that arrived now.
    pub fn start() -> Observed {
        Observed {
            started: Instant::now(),
            logged: tracing::enabled!(target: TARGET, tracing::Level::INFO),
            service: None,
            action: None,
            caller: None,
            decided: None,
            store_time: Duration::ZERO,
        }
    }

    /// The service the request was signed for.
    pub fn service(&mut self, service: Service) {
        self.service = Some(service);
    }

    /// The operation it asks for.
    pub fn action(&mut self, action: &'static str) {
        self.action = Some(action);
    }

    /// The authenticated caller.
    pub fn caller(&mut self, caller: &Caller) {
        if self.logged {
            self.caller = Some((caller.arn(), caller.account().to_string()));
        }
    }

    /// Authorization allowed the request.
    pub fn allowed(&mut self, metrics: &Metrics) {
        metrics.allowed();
        self.decided = Some(Decided::Allowed);
    }

    /// Authorization refused the request.
    pub fn denied(&mut self, metrics: &Metrics, denial: Denial) {
        metrics.denied(&denial);
        self.decided = Some(Decided::Denied(denial));
    }

    /// Time the operation spent in the store.
    pub fn store_time(&mut self, took: Duration) {
        self.store_time += took;
    }

    /// Counts the request and logs its line. `code` is the AWS error code
    /// (empty on success).
    pub fn finish(
        self,
        metrics: &Metrics,
        request_id: &str,
        source: Option<IpAddr>,
        status: u16,
        code: &str,
    ) {
        let latency = self.started.elapsed();
        let service = self.service.map_or("unknown", Service::prefix);
        let action = self.action.unwrap_or("unknown");
        metrics.request(&RequestSample {
            service,
            action,
            code,
            latency,
        });
        if !self.logged {
            return;
        }
        let (caller, account) = match &self.caller {
            Some((arn, account)) => (Some(arn.as_str()), Some(account.as_str())),
            None => (None, None),
        };
        let (decision, policy_type, statement) = match &self.decided {
            None => (None, None, None),
            Some(Decided::Allowed) => (Some("allowed"), None, None),
            Some(Decided::Denied(denial)) => (
                Some(denial.decision()),
                denial.policy_type.map(|t| t.as_str()),
                denial.statement.as_deref(),
            ),
        };
        tracing::info!(
            target: TARGET,
            request_id,
            source_ip = source.map(tracing::field::display),
            service,
            action,
            caller,
            account,
            decision,
            policy_type,
            statement,
            code = (!code.is_empty()).then_some(code),
            status,
            latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            store_us = u64::try_from(self.store_time.as_micros()).unwrap_or(u64::MAX),
            "request"
        );
    }
}
