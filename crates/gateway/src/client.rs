//! The client address open routes are rate-limited by.
//!
//! Spin puts the peer address of the connection in `spin-client-addr`, and
//! (like the local host) **appends** its `spin-*` headers after whatever the
//! client sent. A client can therefore send its own `spin-client-addr`, but
//! it always comes first: the last value is Spin's. Trust assumption: Spin
//! terminates the client's TCP connection. Behind a reverse proxy or load
//! balancer the address is the proxy's, and every client behind it shares one
//! bucket; forwarded headers (`X-Forwarded-For`) are not read, because any
//! client can forge them unless the proxy is known to overwrite them.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// Header Spin sets to the connection's peer address (`ip:port`).
pub const CLIENT_ADDR_HEADER: &str = "spin-client-addr";

/// The rate-limit identity of the caller of an open route: `ip-<address>`
/// for IPv4, `ip-<prefix>/64` for IPv6 (one host usually owns a whole /64
/// and can pick any address in it), `ip-unknown` when Spin's header is
/// missing or unreadable (all such callers share one bucket).
pub fn client_identity(headers: &http::HeaderMap) -> String {
    let last = headers
        .get_all(CLIENT_ADDR_HEADER)
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok());
    match last.and_then(parse_addr) {
        Some(IpAddr::V4(v4)) => format!("ip-{v4}"),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip-{v4}"),
            None => {
                let s = v6.segments();
                let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("ip-{prefix}/64")
            }
        },
        None => "ip-unknown".to_string(),
    }
}

fn parse_addr(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse::<SocketAddr>()
        .map(|a| a.ip())
        .or_else(|_| text.parse::<IpAddr>())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(values: &[&str]) -> String {
        let mut headers = http::HeaderMap::new();
        for v in values {
            headers.append(CLIENT_ADDR_HEADER, v.parse().unwrap());
        }
        client_identity(&headers)
    }

    #[test]
    fn the_last_value_is_spins() {
        // A forged header comes first; Spin's own value is appended last.
        assert_eq!(identity(&["10.9.9.9:1", "127.0.0.1:5555"]), "ip-127.0.0.1");
        assert_eq!(identity(&["192.0.2.7:443"]), "ip-192.0.2.7");
    }

    #[test]
    fn ports_are_dropped_and_ipv6_is_grouped_by_64() {
        assert_eq!(identity(&["192.0.2.7:1"]), identity(&["192.0.2.7:2"]));
        assert_eq!(
            identity(&["[2001:db8:1:2:3:4:5:6]:80"]),
            "ip-2001:db8:1:2::/64"
        );
        assert_eq!(
            identity(&["[2001:db8:1:2:ffff::1]:80"]),
            "ip-2001:db8:1:2::/64"
        );
        assert_eq!(identity(&["[::ffff:192.0.2.1]:80"]), "ip-192.0.2.1");
        assert_eq!(identity(&["::1"]), "ip-::/64");
    }

    #[test]
    fn missing_or_garbage_is_one_shared_bucket() {
        assert_eq!(identity(&[]), "ip-unknown");
        assert_eq!(identity(&["not an address"]), "ip-unknown");
    }
}
