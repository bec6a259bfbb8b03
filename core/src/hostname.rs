//! Hostname matching, the two ways Kubernetes networking needs it.
//!
//! - [`intersects`]: does a route hostname attach to a listener hostname? Gateway API rules: a
//!   wildcard `*.example.com` stands for one **or more** labels and never for the apex itself.
//! - [`certificate_covers`]: does a certificate name cover a host? RFC 6125 rules: a wildcard
//!   stands for exactly **one** label.
//!
//! The two differ on purpose: a listener `*.example.com` accepts `a.b.example.com`, but a
//! certificate for `*.example.com` does not cover it. Both compare case-insensitively.

/// The suffix after a leading `*.`, or `None` for a plain hostname.
fn wildcard_suffix(h: &str) -> Option<&str> {
    h.strip_prefix("*.")
}

/// Whether `host` lies strictly below `suffix` (at least one more label).
fn strictly_under(host: &str, suffix: &str) -> bool {
    host.len() > suffix.len() + 1
        && host.ends_with(suffix)
        && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
}

/// Whether a route hostname and a listener hostname intersect, so that the route attaches.
///
/// A listener without a hostname (`None`) matches every route hostname. This follows the
/// `hostnames` documentation of HTTPRoute: a listener `*.example.com` matches `test.example.com`
/// and `foo.test.example.com`, but not `example.com`; a route `*.example.com` matches a listener
/// `test.example.com`; two wildcards intersect when one suffix lies under (or equals) the other.
#[must_use]
pub fn intersects(listener: Option<&str>, route: &str) -> bool {
    let Some(listener) = listener else {
        return true;
    };
    let listener = listener.to_ascii_lowercase();
    let route = route.to_ascii_lowercase();
    match (wildcard_suffix(&listener), wildcard_suffix(&route)) {
        (None, None) => listener == route,
        (Some(l), None) => strictly_under(&route, l),
        (None, Some(r)) => strictly_under(&listener, r),
        (Some(l), Some(r)) => l == r || strictly_under(l, r) || strictly_under(r, l),
    }
}

/// Whether a route with `route_hostnames` attaches to a listener: a route with no hostnames
/// matches any listener; otherwise at least one hostname must intersect.
#[must_use]
pub fn route_attaches(listener: Option<&str>, route_hostnames: &[String]) -> bool {
    route_hostnames.is_empty() || route_hostnames.iter().any(|h| intersects(listener, h))
}

/// Whether a certificate DNS name (a SAN) covers `host`, by RFC 6125: a wildcard is the whole
/// leftmost label and matches exactly one label. `host` may itself be a wildcard (a listener
/// hostname), which a certificate covers only with the identical wildcard.
#[must_use]
pub fn certificate_covers(cert_name: &str, host: &str) -> bool {
    let cert = cert_name.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if cert == host {
        return true;
    }
    match (wildcard_suffix(&cert), host.split_once('.')) {
        (Some(suffix), Some((first, rest))) => !host.starts_with("*.") && !first.is_empty() && rest == suffix,
        _ => false,
    }
}

/// Whether any of `cert_names` covers `host`.
#[must_use]
pub fn any_covers(cert_names: &[String], host: &str) -> bool {
    cert_names.iter().any(|n| certificate_covers(n, host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_api_intersection_table() {
        let cases: &[(Option<&str>, &str, bool)] = &[
            (None, "anything.example.com", true),
            (Some("runai.example.com"), "runai.example.com", true),
            (Some("runai.example.com"), "RUNAI.example.com", true),
            (Some("runai.example.com"), "other.example.com", false),
            (Some("*.example.com"), "test.example.com", true),
            (Some("*.example.com"), "foo.test.example.com", true),
            (Some("*.example.com"), "example.com", false),
            (Some("*.example.com"), "badexample.com", false),
            (Some("test.example.com"), "*.example.com", true),
            (Some("example.com"), "*.example.com", false),
            (Some("*.example.com"), "*.example.com", true),
            (Some("*.example.com"), "*.foo.example.com", true),
            (Some("*.foo.example.com"), "*.example.com", true),
            (Some("*.foo.example.com"), "*.bar.example.com", false),
            // The Run:ai page's listener and route hostnames never meet.
            (Some("*.runai-inference.runai.mycorp.local"), "*.runai-inference.mycorp.local", false),
            (Some("*.runai.mycorp.local"), "x.runai-inference.runai.mycorp.local", true),
        ];
        for (listener, route, want) in cases {
            assert_eq!(intersects(*listener, route), *want, "{listener:?} vs {route}");
        }
    }

    #[test]
    fn routes_without_hostnames_attach_everywhere() {
        assert!(route_attaches(Some("a.example.com"), &[]));
        assert!(!route_attaches(Some("a.example.com"), &["b.example.com".into()]));
        assert!(route_attaches(Some("a.example.com"), &["b.example.com".into(), "a.example.com".into()]));
    }

    #[test]
    fn certificate_wildcards_match_one_label() {
        assert!(certificate_covers("*.example.com", "a.example.com"));
        assert!(!certificate_covers("*.example.com", "a.b.example.com"));
        assert!(!certificate_covers("*.example.com", "example.com"));
        assert!(certificate_covers("*.example.com", "*.example.com"));
        assert!(!certificate_covers("a.example.com", "*.example.com"));
        assert!(certificate_covers("Example.COM", "example.com"));
        assert!(!certificate_covers("*.example.com", "*.a.example.com"));
    }
}
