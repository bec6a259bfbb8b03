//! The hostname matchers: listener/route intersection (Gateway API) and certificate coverage
//! (RFC 6125). The input is two names separated by a newline. Beyond not panicking, the
//! properties that hold for every pair are asserted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runai_gateway_core::hostname::{certificate_covers, intersects, route_attaches};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (a, b) = text.split_once('\n').unwrap_or((text, ""));
    let ab = intersects(Some(a), b);
    assert_eq!(ab, intersects(Some(b), a), "intersection is symmetric: {a:?} {b:?}");
    assert!(intersects(None, b));
    assert!(intersects(Some(a), a) || !a.is_ascii(), "a name intersects itself: {a:?}");
    assert_eq!(route_attaches(Some(a), &[b.to_owned()]), ab);
    assert!(route_attaches(Some(a), &[]));
    assert!(certificate_covers(a, a), "a name covers itself: {a:?}");
    let _ = certificate_covers(a, b);
});
