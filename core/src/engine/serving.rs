//! What `verify` still waits for once the catalog finds nothing wrong: the checks report what is
//! broken (a condition that is `False`), verify needs what is confirmed (`True`), so a listener or
//! route the controller has not looked at yet is waited for, not passed.

use crate::snapshot::{Condition, Snapshot};
use crate::spec::Spec;

fn confirmed(conditions: &[Condition], kind: &str) -> bool {
    conditions.iter().any(|c| c.type_ == kind && c.status == "True")
}

/// One line per TLS listener of the Gateway without `ResolvedRefs=True`, and per route attached
/// to it without `Accepted=True` from it. Empty: the controller confirmed everything (or there is
/// no Gateway, which the catalog's `gateway-missing` reports).
#[must_use]
pub fn awaiting(spec: &Spec, snap: &Snapshot) -> Vec<String> {
    let (ns, name) = (&spec.gateway_namespace, &spec.gateway_name);
    let Some(gw) = snap.gateway(ns, name) else { return Vec::new() };
    let mut out: Vec<String> = gw
        .listeners
        .iter()
        .filter(|l| !l.certificate_refs.is_empty() && !confirmed(&l.conditions, "ResolvedRefs"))
        .map(|l| format!("listener `{}` has not resolved its certificate (ResolvedRefs)", l.name))
        .collect();
    for r in snap
        .http_routes
        .iter()
        .filter(|r| r.parent_refs.iter().any(|p| &p.namespace == ns && &p.name == name))
    {
        let accepted = r.parents.iter().any(|p| {
            &p.parent.namespace == ns && &p.parent.name == name && confirmed(&p.conditions, "Accepted")
        });
        if !accepted {
            out.push(format!("HTTPRoute {}/{} is not accepted by the Gateway", r.namespace, r.name));
        }
    }
    out
}
