//! The route-policy flag (`--control-plane-routes all|same|ns:A,B|label:K[=V]`): parsed, and a
//! policy that parses prints back (`to_flag`) to a flag that parses to the same policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runai_gateway_core::spec::RouteNamespaces;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(policy) = RouteNamespaces::parse_flag(text) {
        let flag = policy.to_flag();
        assert_eq!(RouteNamespaces::parse_flag(&flag).as_ref(), Ok(&policy), "{text:?} printed as {flag:?}");
    }
});
