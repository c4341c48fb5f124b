//! What one client may hold of the server: how long a connection may sit
//! idle, trickle a request head or a body, how large a head may be, and how
//! many connections are open at once.
//!
//! Every bound is there so that a client that opens sockets and then stalls
//! costs the server a bounded amount of time, memory and descriptors, and
//! the server keeps answering everyone else.

use std::time::Duration;

/// The descriptors kept free of client connections for the store (the
/// SQLite database, its WAL and shared-memory files, PostgreSQL sockets),
/// the listener, the runtime and the files the server writes.
pub const RESERVED_DESCRIPTORS: u64 = 128;

/// The default cap on open client connections, before the descriptor limit
/// lowers it.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// The default bound on a request head (request line and headers).
///
/// AWS's own front ends accept heads of this order (an Application Load
/// Balancer 64 KiB of headers, CloudFront 20 KiB, API Gateway 10 KiB), and
/// a signed request carries little beyond its `Authorization` header
/// (about 300 bytes) and, with temporary credentials, its session token.
/// That token is what sets the bound: Tessera's tokens are self-contained,
/// so a session with fifty tags at their longest (128-character keys,
/// 256-character values), all transitive, ten policy ARNs and a session
/// policy carries a token of about 47 KB. The cap must never refuse
/// credentials the server itself issued; an operator whose sessions carry
/// few tags may lower it.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;

/// The timeouts and caps a server applies to its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a connection may wait, with no request under way, for the
    /// first byte of its next request (keep-alive idle time, and a fresh
    /// connection's wait for its first request). A waiting connection is
    /// also closed early when the connection cap is reached.
    pub idle_timeout: Duration,
    /// How long a client may take to send a request head once its first
    /// byte arrived.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request body once its head was
    /// read.
    pub body_read_timeout: Duration,
    /// The cap on open client connections asked for; the server lowers it
    /// to stay below its descriptor limit.
    pub max_connections: usize,
    /// The largest request head accepted, in bytes.
    pub max_header_bytes: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            idle_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(20),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

/// The descriptor limit the process runs under, after raising its soft
/// limit to the hard one (as servers that hold many sockets do).
/// `None` where the platform has no such limit or it cannot be read.
pub fn descriptor_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(error) => {
            tracing::warn!(%error, "cannot read or raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _hard)| soft)
        }
    }
}

/// The connection cap in force: the one asked for, lowered so that client
/// connections never take the descriptors the server needs for itself.
/// `Err` when the descriptor limit leaves no room for any client.
pub fn connection_cap(asked: usize, descriptor_limit: Option<u64>) -> Result<usize, String> {
    // Connection slots are counted in 32 bits.
    let asked = asked.clamp(1, u32::MAX as usize);
    let Some(limit) = descriptor_limit else {
        return Ok(asked);
    };
    let room = limit.saturating_sub(RESERVED_DESCRIPTORS);
    if room == 0 {
        return Err(format!(
            "the open-file limit ({limit}) leaves no descriptors for client connections; \
             the server keeps {RESERVED_DESCRIPTORS} for itself: raise it (ulimit -n)"
        ));
    }
    let room = usize::try_from(room).unwrap_or(usize::MAX);
    Ok(asked.min(room))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_descriptor_limit() {
        assert_eq!(connection_cap(4096, Some(1024)), Ok(1024 - 128));
        assert_eq!(connection_cap(100, Some(1024)), Ok(100));
    }

    #[test]
    fn without_a_descriptor_limit_the_asked_cap_holds() {
        assert_eq!(connection_cap(4096, None), Ok(4096));
        assert_eq!(connection_cap(0, None), Ok(1));
        assert_eq!(connection_cap(usize::MAX, None), Ok(u32::MAX as usize));
    }

    #[test]
    fn a_limit_below_the_reserve_is_refused() {
        let refused = connection_cap(4096, Some(100)).unwrap_err();
        assert!(refused.contains("ulimit -n"), "{refused}");
    }
}
