//! `--dns external-dns`: the annotations that make the Ingresses stop claiming the Gateway's
//! hostnames for external-dns (so that its TXT registry lets the records move to the
//! HTTPRoutes), and their undoing.
//!
//! external-dns ignores every object whose `controller` annotation (under each prefix it reads)
//! is not `dns-controller`; an Ingress it ignores keeps serving. `apply` sets that annotation to
//! [`IGNORED_BY`] on each Ingress that claims a Gateway hostname, recording each key's previous
//! value; `rollback` puts those values back (removing the keys that were absent).
//!
//! The same registry keeps a record with the HTTPRoute once it owns it, so `rollback` also sets
//! the annotation on the Gateway's HTTPRoutes (they stay, and serve, until DNS is back or
//! `--prune` deletes them): only then can the Ingress take its records back. A later `apply`
//! removes it again at switch-dns, before the Ingresses stop claiming, so that some object
//! claims each name at every moment (with `--policy=sync`, a name nobody claims is deleted).

use std::collections::BTreeMap;

use serde_json::Value;

use super::Action;
use crate::externaldns::{
    ExternalDns, HTTPROUTE_SOURCE, IGNORED_BY, LEGACY_PREFIX, PREFIX, claims, ingress_hostnames,
    own_annotations,
};
use crate::snapshot::Ingress;
use crate::state::{AnnotationRecord, ObjectRef};

/// The hostnames `ingress` (a live object) claims for an external-dns reading `prefixes`.
fn claimed(ingress: &Value, prefixes: &[String]) -> Vec<String> {
    let strs = |v: &Value, key: &str| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().filter_map(|x| x[key].as_str()).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let tls_hosts = ingress["spec"]["tls"]
        .as_array()
        .map(|a| {
            a.iter()
                .flat_map(|t| t["hosts"].as_array().cloned().unwrap_or_default())
                .filter_map(|h| h.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let reduced = Ingress {
        namespace: String::new(),
        name: String::new(),
        class: None,
        hosts: strs(&ingress["spec"]["rules"], "host"),
        tls_secrets: Vec::new(),
        addresses: Vec::new(),
        managed: false,
        tls_hosts,
        external_dns_annotations: own_annotations(&ingress["metadata"]["annotations"]),
    };
    ingress_hostnames(&reduced, prefixes)
}

/// The annotations of a live object as strings.
fn annotations(obj: &Value) -> BTreeMap<String, String> {
    obj["metadata"]["annotations"]
        .as_object()
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default()
}

/// The annotate actions of `apply`'s switch-dns stage: for each Ingress of `ingresses` that an
/// external-dns of `external_dns` (reading the `ingress` source) does not ignore and that claims
/// one of `gateway_hosts`, the `controller` annotation under each prefix it reads, set to
/// [`IGNORED_BY`]. Ingresses already ignored get nothing, so a re-run writes nothing.
#[must_use]
pub fn ignore_actions(
    external_dns: &[ExternalDns],
    ingresses: &[Value],
    gateway_hosts: &[String],
) -> Vec<Action> {
    let mut out = Vec::new();
    for ing in ingresses {
        let current = annotations(ing);
        let mut set: BTreeMap<String, Option<String>> = BTreeMap::new();
        for e in external_dns.iter().filter(|e| e.reads("ingress") && !e.ignores(&current)) {
            let prefixes = e.prefixes();
            let takes = claimed(ing, &prefixes).iter().any(|h| gateway_hosts.iter().any(|g| claims(h, g)));
            if takes {
                for p in prefixes {
                    set.insert(format!("{p}controller"), Some(IGNORED_BY.to_owned()));
                }
            }
        }
        if !set.is_empty() {
            out.push(Action::Annotate { object: ingress_ref(ing), annotations: set });
        }
    }
    out
}

/// The reference of a live Ingress.
fn ingress_ref(ing: &Value) -> ObjectRef {
    live_ref(ing, "networking.k8s.io/v1", "Ingress")
}

/// The reference of a live object of `api_version` and `kind`.
fn live_ref(obj: &Value, api_version: &str, kind: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: obj["metadata"]["namespace"].as_str().unwrap_or_default().into(),
        name: obj["metadata"]["name"].as_str().unwrap_or_default().into(),
    }
}

/// The reference of a live HTTPRoute.
fn route_ref(route: &Value) -> ObjectRef {
    live_ref(route, "gateway.networking.k8s.io/v1", "HTTPRoute")
}

/// The annotate actions of `rollback` on the Gateway's HTTPRoutes (`routes`, the live ones this
/// tool made): the `controller` annotation, under each prefix an external-dns of `external_dns`
/// that reads HTTPRoutes reads, set to [`IGNORED_BY`], so that the records go back to the
/// Ingresses. Routes already ignored get nothing.
#[must_use]
pub fn route_ignore_actions(external_dns: &[ExternalDns], routes: &[Value]) -> Vec<Action> {
    let mut out = Vec::new();
    for route in routes {
        let current = annotations(route);
        let set: BTreeMap<String, Option<String>> = external_dns
            .iter()
            .filter(|e| e.reads(HTTPROUTE_SOURCE) && !e.ignores(&current))
            .flat_map(ExternalDns::prefixes)
            .map(|p| (format!("{p}controller"), Some(IGNORED_BY.to_owned())))
            .collect();
        if !set.is_empty() {
            out.push(Action::Annotate { object: route_ref(route), annotations: set });
        }
    }
    out
}

/// The annotate actions of `apply`'s switch-dns stage on the Gateway's HTTPRoutes (`routes`,
/// live): the `controller` annotations a `rollback` set to [`IGNORED_BY`], removed, so that
/// external-dns reads the routes again. Whatever else a route carries stays.
#[must_use]
pub fn route_unignore_actions(routes: &[Value]) -> Vec<Action> {
    let mut out = Vec::new();
    for route in routes {
        let set: BTreeMap<String, Option<String>> = annotations(route)
            .into_iter()
            .filter(|(k, v)| {
                v == IGNORED_BY
                    && [LEGACY_PREFIX, PREFIX].iter().any(|p| k.strip_prefix(p) == Some("controller"))
            })
            .map(|(k, _)| (k, None))
            .collect();
        if !set.is_empty() {
            out.push(Action::Annotate { object: route_ref(route), annotations: set });
        }
    }
    out
}

/// Whether the annotations of an [`Action::Annotate`] make external-dns ignore its object
/// (rather than read it again).
#[must_use]
pub fn ignores(annotations: &BTreeMap<String, Option<String>>) -> bool {
    !annotations.is_empty() && annotations.values().all(|v| v.as_deref() == Some(IGNORED_BY))
}

/// What `actions` change, recorded with the values `ingresses` hold now; a key `recorded`
/// already holds keeps its first value (a re-run must not record this tool's own value).
#[must_use]
pub fn records(
    actions: &[Action],
    ingresses: &[Value],
    recorded: &[AnnotationRecord],
) -> Vec<AnnotationRecord> {
    let mut out = Vec::new();
    for a in actions {
        let Action::Annotate { object, annotations: set } = a else { continue };
        let live = ingresses.iter().find(|i| ingress_ref(i) == *object).map(annotations).unwrap_or_default();
        for key in set.keys() {
            if recorded.iter().any(|r| r.object == *object && r.key == *key) {
                continue;
            }
            out.push(AnnotationRecord {
                object: object.clone(),
                key: key.clone(),
                previous: live.get(key).cloned(),
            });
        }
    }
    out
}

/// The annotate actions of `rollback`: each recorded key back to its previous value (removed
/// when it was absent) on the Ingresses of `live` (the recorded ones that still exist), only
/// where it differs now.
#[must_use]
pub fn restore_actions(recorded: &[AnnotationRecord], live: &[Value]) -> Vec<Action> {
    let mut out = Vec::new();
    for ing in live {
        let object = ingress_ref(ing);
        let now = annotations(ing);
        let set: BTreeMap<String, Option<String>> = recorded
            .iter()
            .filter(|r| r.object == object && now.get(&r.key) != r.previous.as_ref())
            .map(|r| (r.key.clone(), r.previous.clone()))
            .collect();
        if !set.is_empty() {
            out.push(Action::Annotate { object, annotations: set });
        }
    }
    out
}

/// The JSON merge patch of an [`Action::Annotate`]: each key set, `null` removing it.
#[must_use]
pub fn merge_patch(annotations: &BTreeMap<String, Option<String>>) -> Value {
    let map: serde_json::Map<String, Value> = annotations
        .iter()
        .map(|(k, v)| (k.clone(), v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))))
        .collect();
    serde_json::json!({ "metadata": { "annotations": map } })
}
