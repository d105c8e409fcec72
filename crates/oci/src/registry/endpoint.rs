//! Which URLs the driver talks to: the scheme per registry (HTTPS; HTTP only where allowed),
//! and the targets it refuses (link-local and cloud metadata addresses).

use std::net::Ipv6Addr;

use url::{Host, Url};

/// Whether `url` points at a link-local address (`169.254.0.0/16`, `fe80::/10`, where cloud
/// metadata services live) or a metadata host name: never a registry, token service or blob
/// store, and a classic server-side request forgery target.
pub(crate) fn is_forbidden_target(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast(),
        Some(Host::Ipv6(ip)) => {
            ip.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
                || is_unicast_link_local(ip)
                || ip.is_unspecified()
        }
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "metadata" || name == "metadata.google.internal"
        }
        None => true,
    }
}

fn is_unicast_link_local(ip: Ipv6Addr) -> bool {
    (ip.segments()[0] & 0xffc0) == 0xfe80
}

/// Whether plain HTTP may be used for the host of `url`: with `allow_http`, or for loopback.
pub(crate) fn http_allowed(url: &Url, allow_http: bool) -> bool {
    allow_http
        || match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        }
}

/// Whether two URLs have the same origin (scheme, host, port): credentials go only to the
/// origin they were meant for.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_targets() {
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "https://[fe80::1]/token",
            "http://[::ffff:169.254.169.254]/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://0.0.0.0/",
        ] {
            assert!(is_forbidden_target(&Url::parse(url).unwrap()), "{url}");
        }
        for url in [
            "https://auth.docker.io/token",
            "http://127.0.0.1:5000/token",
            "https://10.1.2.3/",
        ] {
            assert!(!is_forbidden_target(&Url::parse(url).unwrap()), "{url}");
        }
    }

    #[test]
    fn http_only_where_allowed() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(http_allowed(&url("http://127.0.0.1:5000/v2/"), false));
        assert!(http_allowed(&url("http://[::1]:5000/v2/"), false));
        assert!(http_allowed(&url("http://localhost:5000/v2/"), false));
        assert!(!http_allowed(
            &url("http://registry.example:5000/v2/"),
            false
        ));
        assert!(http_allowed(&url("http://registry.example:5000/v2/"), true));
    }

    #[test]
    fn origins() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &url("https://a.example/x"),
            &url("https://a.example:443/y")
        ));
        assert!(!same_origin(
            &url("https://a.example/x"),
            &url("http://a.example/x")
        ));
        assert!(!same_origin(
            &url("https://a.example/x"),
            &url("https://b.example/x")
        ));
        assert!(!same_origin(
            &url("http://127.0.0.1:1/x"),
            &url("http://127.0.0.1:2/x")
        ));
    }
}
