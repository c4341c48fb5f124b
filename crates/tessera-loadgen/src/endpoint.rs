//! The target endpoint: a plain `http://` URL on a loopback address, and
//! nothing else. A load generator pointed at someone else's machine is a
//! denial-of-service tool, so anything that is not `127.0.0.0/8`, `::1` or
//! `localhost` is refused before a single connection is made. `localhost` is
//! taken to mean `127.0.0.1` without asking a resolver, so no hosts file or
//! DNS answer can turn it into a remote address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Where the load goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The loopback address to connect to.
    pub address: SocketAddr,
    /// The `Host` header to send (and sign), as written in the URL.
    pub host_header: String,
}

impl Endpoint {
    /// The URL of `path_and_query` on this endpoint.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.host_header)
    }
}

/// Why an endpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointError {
    /// Not `http://…`: TLS and other schemes are not supported.
    NotPlainHttp(String),
    /// The URL has a path, query or credentials; only `http://host:port`.
    NotJustHostAndPort(String),
    /// The port is not a number from 1 to 65535.
    BadPort(String),
    /// The host is not an IP literal or `localhost`.
    NotAnAddress(String),
    /// The host is an address, but not a loopback one.
    NotLoopback(IpAddr),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointError::NotPlainHttp(url) => {
                write!(f, "endpoint `{url}` is not a plain http:// URL")
            }
            EndpointError::NotJustHostAndPort(url) => {
                write!(f, "endpoint `{url}` must be just http://HOST:PORT")
            }
            EndpointError::BadPort(port) => write!(f, "port `{port}` is not a valid port"),
            EndpointError::NotAnAddress(host) => write!(
                f,
                "host `{host}` is neither an IP address nor `localhost`; only loopback targets are allowed"
            ),
            EndpointError::NotLoopback(ip) => write!(
                f,
                "address `{ip}` is not a loopback address; only 127.0.0.0/8, ::1 and localhost are allowed"
            ),
        }
    }
}

impl std::error::Error for EndpointError {}

/// Parses `http://HOST[:PORT][/]` and accepts it only when HOST is a
/// loopback address or `localhost`.
pub fn parse_loopback_endpoint(url: &str) -> Result<Endpoint, EndpointError> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(EndpointError::NotPlainHttp(url.to_owned()));
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return Err(EndpointError::NotJustHostAndPort(url.to_owned()));
    }
    let (host, port_text) = split_host_port(authority);
    let port = match port_text {
        None => 80,
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port != 0 => port,
            _ => return Err(EndpointError::BadPort(text.to_owned())),
        },
    };
    let ip = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse::<IpAddr>()
            .map_err(|_| EndpointError::NotAnAddress(host.to_owned()))?
    };
    if !ip.is_loopback() {
        return Err(EndpointError::NotLoopback(ip));
    }
    Ok(Endpoint {
        address: SocketAddr::new(ip, port),
        host_header: authority.to_owned(),
    })
}

/// Splits `host:port`, `[v6]:port`, `host` or `[v6]`; the brackets of an
/// IPv6 literal are removed from the host.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(bracketed) = authority.strip_prefix('[') {
        return match bracketed.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, after)) => (host, Some(after.strip_prefix(':').unwrap_or(after))),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_and_localhost_are_accepted() {
        let v4 = parse_loopback_endpoint("http://127.0.0.1:7177").unwrap();
        assert_eq!(v4.address, "127.0.0.1:7177".parse().unwrap());
        assert_eq!(v4.host_header, "127.0.0.1:7177");
        let other_v4 = parse_loopback_endpoint("http://127.5.6.7:80/").unwrap();
        assert_eq!(other_v4.address, "127.5.6.7:80".parse().unwrap());
        let v6 = parse_loopback_endpoint("http://[::1]:9000").unwrap();
        assert_eq!(v6.address, "[::1]:9000".parse().unwrap());
        assert_eq!(v6.host_header, "[::1]:9000");
        let name = parse_loopback_endpoint("http://localhost:7177").unwrap();
        assert_eq!(name.address, "127.0.0.1:7177".parse().unwrap());
        assert_eq!(name.host_header, "localhost:7177");
        let default_port = parse_loopback_endpoint("http://127.0.0.1").unwrap();
        assert_eq!(default_port.address.port(), 80);
    }

    #[test]
    fn non_loopback_addresses_are_refused() {
        for url in [
            "http://10.0.0.1:7177",
            "http://0.0.0.0:7177",
            "http://128.0.0.1:7177",
            "http://[::]:7177",
            "http://[2001:db8::1]:7177",
            "http://[::ffff:127.0.0.1]:7177",
        ] {
            assert!(
                matches!(
                    parse_loopback_endpoint(url),
                    Err(EndpointError::NotLoopback(_))
                ),
                "{url} was not refused as non-loopback"
            );
        }
    }

    #[test]
    fn host_names_other_than_localhost_are_refused_without_resolving() {
        for url in ["http://example.com:80", "http://localhost.example.com:80"] {
            assert!(matches!(
                parse_loopback_endpoint(url),
                Err(EndpointError::NotAnAddress(_))
            ));
        }
    }

    #[test]
    fn urls_that_are_not_plain_http_host_and_port_are_refused() {
        assert!(matches!(
            parse_loopback_endpoint("https://127.0.0.1:443"),
            Err(EndpointError::NotPlainHttp(_))
        ));
        assert!(matches!(
            parse_loopback_endpoint("127.0.0.1:7177"),
            Err(EndpointError::NotPlainHttp(_))
        ));
        for url in [
            "http://127.0.0.1:7177/path",
            "http://127.0.0.1:7177?Action=x",
            "http://user@127.0.0.1:7177",
            "http://",
        ] {
            assert!(matches!(
                parse_loopback_endpoint(url),
                Err(EndpointError::NotJustHostAndPort(_))
            ));
        }
        for url in [
            "http://127.0.0.1:0",
            "http://127.0.0.1:99999",
            "http://127.0.0.1:x",
        ] {
            assert!(matches!(
                parse_loopback_endpoint(url),
                Err(EndpointError::BadPort(_))
            ));
        }
    }
}
