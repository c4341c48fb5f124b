//! The server's metrics, kept in atomics on the request path and rendered
//! in the Prometheus text exposition format (version 0.0.4) on the admin
//! listener.
//!
//! Every label value is one the server chose (a service, an operation of
//! the table, an AWS error code, a policy type), never text a client sent,
//! so the number of series stays bounded.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tessera_iam::authz::Denial;
use tessera_policy::PolicyType;

/// Upper bounds, in seconds, of the duration histograms' buckets: from the
/// tenth of a millisecond a snapshot read takes to the seconds a slow
/// database can.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A fixed-bucket histogram of durations.
#[derive(Default)]
pub struct Histogram {
    /// Observations per bucket (not cumulative; the last is `+Inf`).
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Adds one observation.
    pub fn observe(&self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        let index = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        if let Some(bucket) = self.buckets.get(index) {
            bucket.fetch_add(1, Relaxed);
        }
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Relaxed);
    }

    /// How many observations were made.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Relaxed)).sum()
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let separator = if labels.is_empty() { "" } else { "," };
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{separator}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count();
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {count}"
        );
        let sum = self.sum_nanos.load(Relaxed) as f64 / 1e9;
        let braces = |labels: &str| {
            if labels.is_empty() {
                String::new()
            } else {
                format!("{{{labels}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {count}", braces(labels));
    }
}

/// The requests of one operation (or of requests whose operation is not
/// known): their latency, and how many ended with each error code.
#[derive(Default)]
struct ActionStats {
    latency: Histogram,
    /// Counts per error code; the empty code is success. Few codes occur
    /// per operation, so a scan beats a map.
    codes: RwLock<Vec<(Box<str>, AtomicU64)>>,
}

impl ActionStats {
    fn count_code(&self, code: &str) {
        {
            let codes = self.codes.read().unwrap_or_else(|p| p.into_inner());
            if let Some((_, count)) = codes.iter().find(|(known, _)| &**known == code) {
                count.fetch_add(1, Relaxed);
                return;
            }
        }
        let mut codes = self.codes.write().unwrap_or_else(|p| p.into_inner());
        match codes.iter().find(|(known, _)| &**known == code) {
            Some((_, count)) => {
                count.fetch_add(1, Relaxed);
            }
            None => codes.push((code.into(), AtomicU64::new(1))),
        }
    }
}

/// Which store call a measurement is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreCall {
    /// A read-only transaction.
    Read,
    /// A write transaction.
    Write,
    /// Reading the change log to bring a snapshot up to date.
    Changes,
}

impl StoreCall {
    const ALL: [StoreCall; 3] = [StoreCall::Read, StoreCall::Write, StoreCall::Changes];

    fn as_str(self) -> &'static str {
        match self {
            StoreCall::Read => "read",
            StoreCall::Write => "write",
            StoreCall::Changes => "changes",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The policy types a denial can name, with `none` for refusals decided
/// without a policy; their position is the index of the decision counters.
const POLICY_TYPES: [Option<PolicyType>; 7] = [
    None,
    Some(PolicyType::Identity),
    Some(PolicyType::Resource),
    Some(PolicyType::PermissionsBoundary),
    Some(PolicyType::Session),
    Some(PolicyType::ServiceControl),
    Some(PolicyType::ResourceControl),
];

/// The STS operations that issue temporary credentials.
const SESSION_ISSUERS: [&str; 5] = [
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "GetFederationToken",
    "GetSessionToken",
];

/// Every metric of one server.
#[derive(Default)]
pub struct Metrics {
    /// Keyed by the service and operation names of the models, a fixed set.
    requests: RwLock<foldhash::HashMap<(&'static str, &'static str), Arc<ActionStats>>>,
    allowed: AtomicU64,
    explicit_denials: [AtomicU64; POLICY_TYPES.len()],
    implicit_denials: [AtomicU64; POLICY_TYPES.len()],
    sessions_issued: [AtomicU64; SESSION_ISSUERS.len()],
    store_latency: [Histogram; StoreCall::ALL.len()],
    store_errors: [AtomicU64; StoreCall::ALL.len()],
    snapshot_refresh: Histogram,
    snapshot_refresh_errors: AtomicU64,
    /// When the snapshot was last confirmed current, in milliseconds since
    /// the epoch (0: never).
    snapshot_current_at_ms: AtomicU64,
    open_connections: AtomicI64,
    connections: AtomicU64,
    change_notices: AtomicU64,
    /// 1 while this node listens for other nodes' commits, 0 while it
    /// cannot (or does not: the store announces nothing).
    change_listener_up: AtomicU64,
    change_listener_outages: AtomicU64,
}

/// What one request was, for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct RequestSample<'a> {
    /// `iam`, `sts`, or `unknown` before the signing service is known.
    pub service: &'static str,
    /// The operation, or `unknown` before it is known.
    pub action: &'static str,
    /// The AWS error code, empty on success.
    pub code: &'a str,
    /// From the first byte of the request to the encoded answer.
    pub latency: Duration,
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, sample: &RequestSample<'_>) {
        let key = (sample.service, sample.action);
        let count = |stats: &ActionStats| {
            stats.latency.observe(sample.latency);
            stats.count_code(sample.code);
        };
        let counted = {
            let requests = self.requests.read().unwrap_or_else(|p| p.into_inner());
            requests.get(&key).map(|stats| count(stats)).is_some()
        };
        if !counted {
            let mut requests = self.requests.write().unwrap_or_else(|p| p.into_inner());
            count(requests.entry(key).or_default());
        }
        if sample.service == "sts" && sample.code.is_empty() {
            if let Some(i) = SESSION_ISSUERS.iter().position(|a| *a == sample.action) {
                if let Some(count) = self.sessions_issued.get(i) {
                    count.fetch_add(1, Relaxed);
                }
            }
        }
    }

    /// Counts an authorization that allowed the request.
    pub fn allowed(&self) {
        self.allowed.fetch_add(1, Relaxed);
    }

    /// Counts an authorization that refused the request.
    pub fn denied(&self, denial: &Denial) {
        let index = POLICY_TYPES
            .iter()
            .position(|t| *t == denial.policy_type)
            .unwrap_or(0);
        let counters = if denial.explicit {
            &self.explicit_denials
        } else {
            &self.implicit_denials
        };
        if let Some(count) = counters.get(index) {
            count.fetch_add(1, Relaxed);
        }
    }

    /// Records one store call and whether it failed.
    pub fn store_call(&self, call: StoreCall, took: Duration, failed: bool) {
        if let Some(histogram) = self.store_latency.get(call.index()) {
            histogram.observe(took);
        }
        if failed {
            if let Some(count) = self.store_errors.get(call.index()) {
                count.fetch_add(1, Relaxed);
            }
        }
    }

    /// Records a periodic snapshot refresh; `now_ms` is when it ended.
    pub fn snapshot_refresh(&self, took: Duration, succeeded: bool, now_ms: u64) {
        self.snapshot_refresh.observe(took);
        if succeeded {
            self.snapshot_current_at_ms.store(now_ms, Relaxed);
        } else {
            self.snapshot_refresh_errors.fetch_add(1, Relaxed);
        }
    }

    /// Counts a commit announced by the store (another node's write, or
    /// this node's own).
    pub fn change_notice(&self) {
        self.change_notices.fetch_add(1, Relaxed);
    }

    /// Records that listening for announced commits works again (`true`)
    /// or has just failed (`false`); each failure after working counts as
    /// one outage.
    pub fn change_listener(&self, up: bool) {
        let was_up = self.change_listener_up.swap(u64::from(up), Relaxed);
        if was_up == 1 && !up {
            self.change_listener_outages.fetch_add(1, Relaxed);
        }
    }

    /// Counts a connection opened; the guard counts it closed when dropped.
    pub fn connection_opened(self: &Arc<Self>) -> ConnectionGuard {
        self.open_connections.fetch_add(1, Relaxed);
        self.connections.fetch_add(1, Relaxed);
        ConnectionGuard {
            metrics: Arc::clone(self),
        }
    }

    /// The exposition of every metric. `revision` is the snapshot's
    /// revision; `now_ms` the current time in milliseconds since the epoch.
    pub fn render(&self, revision: u64, now_ms: u64) -> String {
        let mut out = String::with_capacity(16 * 1024);
        self.render_requests(&mut out);
        self.render_decisions(&mut out);

        header(
            &mut out,
            "tessera_sessions_issued_total",
            "counter",
            "Temporary credentials issued, by STS operation.",
        );
        for (action, count) in SESSION_ISSUERS.iter().zip(&self.sessions_issued) {
            let _ = writeln!(
                out,
                "tessera_sessions_issued_total{{action=\"{action}\"}} {}",
                count.load(Relaxed)
            );
        }

        header(
            &mut out,
            "tessera_store_call_duration_seconds",
            "histogram",
            "Store transactions, by kind: read, write, changes (the change log read to refresh the snapshot).",
        );
        for (call, histogram) in StoreCall::ALL.iter().zip(&self.store_latency) {
            let labels = format!("call=\"{}\"", call.as_str());
            histogram.render(&mut out, "tessera_store_call_duration_seconds", &labels);
        }
        header(
            &mut out,
            "tessera_store_call_errors_total",
            "counter",
            "Store transactions that failed, by kind.",
        );
        for (call, count) in StoreCall::ALL.iter().zip(&self.store_errors) {
            let _ = writeln!(
                out,
                "tessera_store_call_errors_total{{call=\"{}\"}} {}",
                call.as_str(),
                count.load(Relaxed)
            );
        }

        header(
            &mut out,
            "tessera_snapshot_revision",
            "gauge",
            "The store revision the node's authorization snapshot reflects.",
        );
        let _ = writeln!(out, "tessera_snapshot_revision {revision}");
        header(
            &mut out,
            "tessera_snapshot_age_seconds",
            "gauge",
            "Seconds since the snapshot was last confirmed current by a periodic refresh.",
        );
        let current_at = self.snapshot_current_at_ms.load(Relaxed);
        let age = if current_at == 0 {
            f64::INFINITY
        } else {
            now_ms.saturating_sub(current_at) as f64 / 1000.0
        };
        let _ = writeln!(out, "tessera_snapshot_age_seconds {}", float(age));
        header(
            &mut out,
            "tessera_snapshot_refresh_duration_seconds",
            "histogram",
            "Periodic snapshot refreshes: reading the change log and applying it.",
        );
        self.snapshot_refresh
            .render(&mut out, "tessera_snapshot_refresh_duration_seconds", "");
        header(
            &mut out,
            "tessera_snapshot_refresh_errors_total",
            "counter",
            "Periodic snapshot refreshes that failed.",
        );
        let _ = writeln!(
            out,
            "tessera_snapshot_refresh_errors_total {}",
            self.snapshot_refresh_errors.load(Relaxed)
        );

        header(
            &mut out,
            "tessera_open_connections",
            "gauge",
            "Client connections open on the data listener.",
        );
        let _ = writeln!(
            out,
            "tessera_open_connections {}",
            self.open_connections.load(Relaxed)
        );
        header(
            &mut out,
            "tessera_connections_total",
            "counter",
            "Client connections accepted on the data listener.",
        );
        let _ = writeln!(
            out,
            "tessera_connections_total {}",
            self.connections.load(Relaxed)
        );
        self.render_change_listener(&mut out);
        out
    }

    fn render_change_listener(&self, out: &mut String) {
        header(
            out,
            "tessera_change_notices_total",
            "counter",
            "Commits announced by the store (PostgreSQL LISTEN/NOTIFY), each followed by a refresh.",
        );
        let _ = writeln!(
            out,
            "tessera_change_notices_total {}",
            self.change_notices.load(Relaxed)
        );
        header(
            out,
            "tessera_change_listener_up",
            "gauge",
            "1 while this node listens for commits announced by the store; 0 while it cannot or the store announces none (polling alone then carries other nodes' writes).",
        );
        let _ = writeln!(
            out,
            "tessera_change_listener_up {}",
            self.change_listener_up.load(Relaxed)
        );
        header(
            out,
            "tessera_change_listener_outages_total",
            "counter",
            "Times listening for announced commits failed after working.",
        );
        let _ = writeln!(
            out,
            "tessera_change_listener_outages_total {}",
            self.change_listener_outages.load(Relaxed)
        );
    }

    fn render_requests(&self, out: &mut String) {
        let mut requests: Vec<((&str, &str), Arc<ActionStats>)> = {
            let map = self.requests.read().unwrap_or_else(|p| p.into_inner());
            map.iter().map(|(k, v)| (*k, Arc::clone(v))).collect()
        };
        requests.sort_by_key(|(key, _)| *key);
        header(
            out,
            "tessera_requests_total",
            "counter",
            "Requests answered, by service, operation and AWS error code (empty on success).",
        );
        for ((service, action), stats) in &requests {
            let codes = stats.codes.read().unwrap_or_else(|p| p.into_inner());
            for (code, count) in codes.iter() {
                let _ = writeln!(
                    out,
                    "tessera_requests_total{{service=\"{service}\",action=\"{action}\",code=\"{}\"}} {}",
                    escape(code),
                    count.load(Relaxed)
                );
            }
        }
        header(
            out,
            "tessera_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to its encoded answer, by service and operation.",
        );
        for ((service, action), stats) in &requests {
            let labels = format!("service=\"{service}\",action=\"{action}\"");
            stats
                .latency
                .render(out, "tessera_request_duration_seconds", &labels);
        }
    }

    fn render_decisions(&self, out: &mut String) {
        header(
            out,
            "tessera_authorization_decisions_total",
            "counter",
            "Authorization decisions: allowed, or denied explicitly or implicitly, by the policy type that decided (none: no policy was evaluated).",
        );
        let _ = writeln!(
            out,
            "tessera_authorization_decisions_total{{decision=\"allowed\",policy_type=\"\"}} {}",
            self.allowed.load(Relaxed)
        );
        for (decision, counters) in [
            ("explicitDeny", &self.explicit_denials),
            ("implicitDeny", &self.implicit_denials),
        ] {
            for (policy_type, count) in POLICY_TYPES.iter().zip(counters) {
                let _ = writeln!(
                    out,
                    "tessera_authorization_decisions_total{{decision=\"{decision}\",policy_type=\"{}\"}} {}",
                    policy_type.map_or("none", |t| t.as_str()),
                    count.load(Relaxed)
                );
            }
        }
    }
}

/// Counts its connection closed when the connection's last use ends.
pub struct ConnectionGuard {
    metrics: Arc<Metrics>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.metrics.open_connections.fetch_sub(1, Relaxed);
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the exposition format writes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A sample value: the exposition spells infinity `+Inf`.
fn float(value: f64) -> String {
    if value.is_infinite() {
        "+Inf".into()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting {prefix} in\n{text}"))
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_the_count() {
        let histogram = Histogram::default();
        histogram.observe(Duration::from_micros(50));
        histogram.observe(Duration::from_millis(3));
        histogram.observe(Duration::from_secs(10));
        let mut out = String::new();
        histogram.render(&mut out, "t", "a=\"b\"");
        assert_eq!(
            line(&out, "t_bucket{a=\"b\",le=\"0.0001\"}"),
            "t_bucket{a=\"b\",le=\"0.0001\"} 1"
        );
        assert_eq!(
            line(&out, "t_bucket{a=\"b\",le=\"0.005\"}"),
            "t_bucket{a=\"b\",le=\"0.005\"} 2"
        );
        assert_eq!(
            line(&out, "t_bucket{a=\"b\",le=\"2.5\"}"),
            "t_bucket{a=\"b\",le=\"2.5\"} 2"
        );
        assert_eq!(
            line(&out, "t_bucket{a=\"b\",le=\"+Inf\"}"),
            "t_bucket{a=\"b\",le=\"+Inf\"} 3"
        );
        assert_eq!(line(&out, "t_count{a=\"b\"}"), "t_count{a=\"b\"} 3");
        assert_eq!(line(&out, "t_sum{a=\"b\"}"), "t_sum{a=\"b\"} 10.00305");
    }

    #[test]
    fn requests_are_counted_per_operation_and_code() {
        let metrics = Metrics::default();
        let sample = |code| RequestSample {
            service: "iam",
            action: "GetUser",
            code,
            latency: Duration::from_millis(1),
        };
        metrics.request(&sample(""));
        metrics.request(&sample(""));
        metrics.request(&sample("NoSuchEntity"));
        let out = metrics.render(7, 0);
        assert!(out
            .contains("tessera_requests_total{service=\"iam\",action=\"GetUser\",code=\"\"} 2\n"));
        assert!(out.contains(
            "tessera_requests_total{service=\"iam\",action=\"GetUser\",code=\"NoSuchEntity\"} 1\n"
        ));
        assert!(out.contains(
            "tessera_request_duration_seconds_count{service=\"iam\",action=\"GetUser\"} 3\n"
        ));
        assert!(out.contains("tessera_snapshot_revision 7\n"));
        assert!(out.contains("tessera_snapshot_age_seconds +Inf\n"));
    }

    #[test]
    fn only_successful_sts_issuers_count_as_sessions() {
        let metrics = Metrics::default();
        for (action, code) in [
            ("AssumeRole", ""),
            ("AssumeRole", "AccessDenied"),
            ("GetCallerIdentity", ""),
            ("GetSessionToken", ""),
        ] {
            metrics.request(&RequestSample {
                service: "sts",
                action,
                code,
                latency: Duration::ZERO,
            });
        }
        let out = metrics.render(0, 0);
        assert!(out.contains("tessera_sessions_issued_total{action=\"AssumeRole\"} 1\n"));
        assert!(out.contains("tessera_sessions_issued_total{action=\"GetSessionToken\"} 1\n"));
        assert!(out.contains("tessera_sessions_issued_total{action=\"GetFederationToken\"} 0\n"));
    }

    #[test]
    fn denials_are_counted_by_the_deciding_policy_type() {
        let metrics = Metrics::default();
        metrics.allowed();
        metrics.denied(&Denial {
            explicit: true,
            policy_type: Some(PolicyType::PermissionsBoundary),
            statement: None,
        });
        metrics.denied(&Denial {
            explicit: false,
            policy_type: None,
            statement: None,
        });
        let out = metrics.render(0, 0);
        assert!(out.contains("decision=\"allowed\",policy_type=\"\"} 1\n"));
        assert!(out.contains("decision=\"explicitDeny\",policy_type=\"permissionsBoundary\"} 1\n"));
        assert!(out.contains("decision=\"explicitDeny\",policy_type=\"identity\"} 0\n"));
        assert!(out.contains("decision=\"implicitDeny\",policy_type=\"none\"} 1\n"));
    }

    #[test]
    fn a_connection_is_open_until_its_guard_drops() {
        let metrics = Arc::new(Metrics::default());
        let guard = metrics.connection_opened();
        assert!(metrics
            .render(0, 0)
            .contains("tessera_open_connections 1\n"));
        drop(guard);
        let out = metrics.render(0, 0);
        assert!(out.contains("tessera_open_connections 0\n"));
        assert!(out.contains("tessera_connections_total 1\n"));
    }

    #[test]
    fn the_snapshot_age_counts_from_the_last_successful_refresh() {
        let metrics = Metrics::default();
        metrics.snapshot_refresh(Duration::from_millis(2), true, 10_000);
        metrics.snapshot_refresh(Duration::from_millis(2), false, 12_000);
        let out = metrics.render(3, 12_500);
        assert!(out.contains("tessera_snapshot_age_seconds 2.5\n"));
        assert!(out.contains("tessera_snapshot_refresh_errors_total 1\n"));
        assert!(out.contains("tessera_snapshot_refresh_duration_seconds_count 2\n"));
    }

    #[test]
    fn a_listener_failure_after_working_is_one_outage() {
        let metrics = Metrics::default();
        metrics.change_listener(false);
        assert!(metrics
            .render(0, 0)
            .contains("tessera_change_listener_outages_total 0\n"));
        metrics.change_listener(true);
        metrics.change_notice();
        metrics.change_notice();
        let out = metrics.render(0, 0);
        assert!(out.contains("tessera_change_listener_up 1\n"));
        assert!(out.contains("tessera_change_notices_total 2\n"));
        metrics.change_listener(false);
        metrics.change_listener(false);
        let out = metrics.render(0, 0);
        assert!(out.contains("tessera_change_listener_up 0\n"));
        assert!(out.contains("tessera_change_listener_outages_total 1\n"));
    }
}
