//! The DNS checks: DNS records.

use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found};
use crate::snapshot::Kind;

checks! { Dns:
    "dns-unresolved" => dns_unresolved, Warning,
        "The cluster and inference names resolve",
        "A name that does not resolve serves nobody.",
        "Create the records shown by `render -o plan`.";
    "dns-points-elsewhere" => dns_elsewhere, Error,
        "DNS points at the Gateway or the Ingress",
        "A record pointing at neither sends users to a stale or foreign address.",
        "Point the record at the Gateway's address (or back at the Ingress's).";
    "dns-still-on-ingress" => dns_on_ingress, Error,
        "DNS does not point at a disabled Ingress",
        "With Ingress turned off, names still resolving to it fail.",
        "Point the records at the Gateway's address, or re-enable Ingress.";
    "dns-partly-switched" => dns_partly, Warning,
        "All names point at the same place",
        "Some names on the Gateway and others on the Ingress is a half-done switch.",
        "Finish the DNS switch, or move the switched names back.";
}

fn dns_known(cx: &Cx<'_>) -> Option<Outcome> {
    cx.snap.dns.is_empty().then(|| Outcome::Skip("DNS was not resolved (offline snapshot)".into()))
}

/// The reads the Gateway's and the Ingress's addresses come from: one refused or failed leaves
/// an address unknown, and a record pointing there would be judged wrongly.
const ADDRESSES: [Kind; 3] = [Kind::Gateway, Kind::Ingress, Kind::Service];

fn dns_unresolved(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = dns_known(cx) {
        return o;
    }
    found(
        cx.snap
            .dns
            .iter()
            .filter(|a| a.addresses.is_empty())
            .map(|a| {
                draft(
                    None,
                    format!(
                        "`{}` ({}) does not resolve: {}",
                        a.name,
                        a.role,
                        a.error.as_deref().unwrap_or("no addresses")
                    ),
                )
            })
            .collect(),
    )
}

fn dns_elsewhere(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = dns_known(cx) {
        return o;
    }
    if let Some(o) = cx.need_answer(&ADDRESSES) {
        return o;
    }
    let (gw, ing) = (cx.gateway_addresses(), &cx.ingress_addresses);
    if gw.is_empty() && ing.is_empty() {
        return Outcome::Skip("neither the Gateway's nor the Ingress's address is known".into());
    }
    found(
        cx.snap
            .dns
            .iter()
            .filter(|a| {
                !a.addresses.is_empty() && !a.addresses.iter().any(|x| gw.contains(x) || ing.contains(x))
            })
            .map(|a| {
                draft(
                    None,
                    format!(
                        "`{}` ({}) resolves to {}, which is neither the Gateway ({}) nor the Ingress ({})",
                        a.name,
                        a.role,
                        a.addresses.join(", "),
                        if gw.is_empty() { "unknown".into() } else { gw.join(", ") },
                        if ing.is_empty() { "unknown".into() } else { ing.join(", ") }
                    ),
                )
            })
            .collect(),
    )
}

fn dns_on_ingress(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = dns_known(cx) {
        return o;
    }
    if !cx.ingress_off() {
        return Outcome::Skip("Ingress is still on".into());
    }
    if let Some(o) = cx.need_answer(&[Kind::Ingress, Kind::Service]) {
        return o;
    }
    let ing = &cx.ingress_addresses;
    found(
        cx.snap
            .dns
            .iter()
            .filter(|a| a.addresses.iter().any(|x| ing.contains(x)))
            .map(|a| {
                draft(
                    None,
                    format!(
                        "`{}` ({}) still resolves to the Ingress ({}), which is turned off",
                        a.name,
                        a.role,
                        a.addresses.join(", ")
                    ),
                )
                .fix(cx.script("switch-dns"))
            })
            .collect(),
    )
}

fn dns_partly(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = dns_known(cx) {
        return o;
    }
    if let Some(o) = cx.need_answer(&ADDRESSES) {
        return o;
    }
    let gw = cx.gateway_addresses();
    let on_gw: Vec<&str> = cx
        .snap
        .dns
        .iter()
        .filter(|a| a.addresses.iter().any(|x| gw.contains(x)))
        .map(|a| a.name.as_str())
        .collect();
    let on_ing: Vec<&str> = cx
        .snap
        .dns
        .iter()
        .filter(|a| a.addresses.iter().any(|x| cx.ingress_addresses.contains(x)))
        .map(|a| a.name.as_str())
        .collect();
    if on_gw.is_empty() || on_ing.is_empty() {
        return Outcome::Pass;
    }
    found(vec![
        draft(
            None,
            format!("{} point at the Gateway, {} at the Ingress", on_gw.join(", "), on_ing.join(", ")),
        )
        .fix(cx.script("switch-dns")),
    ])
}
