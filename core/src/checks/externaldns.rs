//! The external-dns checks: whether an external-dns Deployment in the cluster will publish the
//! Gateway's hostnames (the cluster domain, the workloads wildcard, the inference wildcard), and
//! what keeps the records on the Ingress. The rules external-dns applies are in
//! [`crate::externaldns`].

use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found};
use crate::externaldns::{ExternalDns, HTTPROUTE_SOURCE, claims, ingress_hostnames, selector_matches};
use crate::snapshot::{HttpRoute, Kind};

checks! { ExternalDns:
    "external-dns-no-gateway-source" => no_gateway_source, Error,
        "external-dns reads HTTPRoutes",
        "Without `--source=gateway-httproute` external-dns publishes no Gateway hostname: once the Ingress is gone its records are deleted (policy `sync`) or left stale, and nothing points at the Gateway.",
        "Add `--source=gateway-httproute` to external-dns's arguments (Helm chart: `sources: [ingress, gateway-httproute]`), keeping `ingress` until the migration is done.";
    "external-dns-domain-filtered" => domain_filtered, Error,
        "external-dns's domain filters admit the Gateway's hostnames",
        "A hostname outside `--domain-filter`, or under `--exclude-domains`, gets no record from external-dns, whichever source claims it.",
        "Widen `--domain-filter` or remove the hostname from `--exclude-domains`, or manage that record by hand.";
    "external-dns-gateway-filtered" => gateway_filtered, Error,
        "external-dns's Gateway filters admit the Gateway",
        "With `--gateway-name` or `--gateway-namespace` set to another Gateway, external-dns ignores every route attached to this one.",
        "Set `--gateway-name`/`--gateway-namespace` to this Gateway, or remove them.";
    "external-dns-annotation-filter" => annotation_filter, Error,
        "The routes match external-dns's annotation filter",
        "With `--annotation-filter`, external-dns publishes only the routes whose annotations match it; a Gateway hostname whose routes all lack them gets no record.",
        "Annotate the routes of the hostname so that they match the filter (the finding names the command).";
    "external-dns-upsert-only" => upsert_only, Warning,
        "external-dns deletes the records it no longer needs",
        "With `--policy=upsert-only` (or `create-only`) external-dns never deletes: after a rollback, or if the Gateway is removed, its records stay and point at an address that no longer serves.",
        "Remove stale records by hand after a rollback, or run external-dns with `--policy=sync`.";
    "external-dns-ingress-claims" => ingress_claims, Warning,
        "No Ingress keeps the Gateway's records",
        "external-dns's TXT registry keeps a record with the resource that created it while that resource still claims the name: while an Ingress claims a Gateway hostname, the record keeps pointing at the Ingress even though an HTTPRoute claims it too. The Ingress must stop claiming it before the record moves.",
        "Make each Ingress stop claiming the hostname without deleting it (it keeps serving): annotate it with external-dns's `controller` annotation (any value but `dns-controller`), as the finding shows; external-dns then moves the record at its next sync. Remove the annotation to undo it.";
}

/// The external-dns Deployments, or why the checks are skipped.
fn deployments<'a>(cx: &Cx<'a>) -> Result<&'a [ExternalDns], Outcome> {
    if let Some(o) = cx.need(&[Kind::Deployment]) {
        return Err(o);
    }
    if cx.snap.external_dns.is_empty() {
        return Err(Outcome::Skip("no external-dns Deployment in the cluster".into()));
    }
    Ok(&cx.snap.external_dns)
}

/// Those that publish HTTPRoutes (the others are judged by `external-dns-no-gateway-source`).
fn publishing<'a>(cx: &Cx<'a>) -> Result<Vec<&'a ExternalDns>, Outcome> {
    let all = deployments(cx)?;
    let out: Vec<&ExternalDns> = all.iter().filter(|e| e.reads(HTTPROUTE_SOURCE)).collect();
    if out.is_empty() {
        return Err(Outcome::Skip(format!("no external-dns reads `{HTTPROUTE_SOURCE}`")));
    }
    Ok(out)
}

/// The Gateway's hostnames: the HTTPS listeners' (cluster domain, wildcards).
fn hostnames(cx: &Cx<'_>) -> Vec<String> {
    crate::manifests::https_hostnames(cx.spec)
}

fn no_gateway_source(cx: &Cx<'_>) -> Outcome {
    let all = match deployments(cx) {
        Ok(a) => a,
        Err(o) => return o,
    };
    found(
        all.iter()
            .filter(|e| !e.reads(HTTPROUTE_SOURCE))
            .map(|e| {
                draft(
                    e.reference(),
                    format!(
                        "external-dns reads the sources {} but not `{HTTPROUTE_SOURCE}`: it will publish none of {}",
                        if e.sources.is_empty() { "(none given)".into() } else { e.sources.join(", ") },
                        hostnames(cx).join(", ")
                    ),
                )
                .severity(cx.todo())
                .fix(format!(
                    "kubectl edit deployment {} -n {}   # add the argument --source={HTTPROUTE_SOURCE}",
                    e.name, e.namespace
                ))
            })
            .collect(),
    )
}

fn domain_filtered(cx: &Cx<'_>) -> Outcome {
    let eds = match publishing(cx) {
        Ok(e) => e,
        Err(o) => return o,
    };
    let mut out = Vec::new();
    for e in eds {
        for h in hostnames(cx) {
            if let Some(why) = e.filtered_out(&h) {
                out.push(
                    draft(e.reference(), format!("external-dns will not publish `{h}`: {why}"))
                        .severity(cx.todo()),
                );
            }
        }
    }
    found(out)
}

fn gateway_filtered(cx: &Cx<'_>) -> Outcome {
    let eds = match publishing(cx) {
        Ok(e) => e,
        Err(o) => return o,
    };
    let (ns, name) = (&cx.spec.gateway_namespace, &cx.spec.gateway_name);
    let mut out = Vec::new();
    for e in eds {
        let mut why = Vec::new();
        if let Some(n) = e.gateway_name.as_ref().filter(|n| *n != name) {
            why.push(format!("`--gateway-name={n}`"));
        }
        if let Some(n) = e.gateway_namespace.as_ref().filter(|n| *n != ns) {
            why.push(format!("`--gateway-namespace={n}`"));
        }
        if !why.is_empty() {
            out.push(
                draft(
                    e.reference(),
                    format!(
                        "{} leave out Gateway {ns}/{name}: external-dns publishes none of its routes",
                        why.join(" and ")
                    ),
                )
                .severity(cx.todo()),
            );
        }
    }
    found(out)
}

/// The routes attached to the Gateway that carry `host` (exactly, as external-dns narrows a
/// route's hostnames to its listener's).
fn routes_for<'a>(cx: &Cx<'a>, host: &str) -> Vec<&'a HttpRoute> {
    let (ns, name) = (&cx.spec.gateway_namespace, &cx.spec.gateway_name);
    cx.snap
        .http_routes
        .iter()
        .filter(|r| r.parent_refs.iter().any(|p| &p.namespace == ns && &p.name == name))
        .filter(|r| r.hostnames.iter().any(|h| h == host))
        .collect()
}

fn annotation_filter(cx: &Cx<'_>) -> Outcome {
    let eds = match publishing(cx) {
        Ok(e) => e,
        Err(o) => return o,
    };
    if let Some(o) = cx.need(&[Kind::HttpRoute]) {
        return o;
    }
    let mut out = Vec::new();
    for e in eds {
        let Some(filter) = &e.annotation_filter else { continue };
        for h in hostnames(cx) {
            let routes = routes_for(cx, &h);
            if routes.is_empty() {
                continue; // no route at all is the routes checks' finding
            }
            let mut matched = false;
            for r in &routes {
                match selector_matches(filter, &r.annotations) {
                    Some(m) => matched |= m,
                    None => {
                        out.push(draft(
                            e.reference(),
                            format!("`--annotation-filter={filter}` is not a label selector this tool reads"),
                        ));
                        return found(out);
                    }
                }
            }
            if !matched {
                let names: Vec<String> =
                    routes.iter().map(|r| format!("{}/{}", r.namespace, r.name)).collect();
                let first = routes[0];
                out.push(
                    draft(
                        e.reference(),
                        format!(
                            "`{h}`: no route carrying it matches `--annotation-filter={filter}` ({}), so external-dns publishes no record for it",
                            names.join(", ")
                        ),
                    )
                    .severity(cx.todo())
                    .fix(format!(
                        "kubectl annotate httproute {} -n {} KEY=VALUE   # the annotations the filter asks for",
                        first.name, first.namespace
                    )),
                );
            }
        }
    }
    found(out)
}

fn upsert_only(cx: &Cx<'_>) -> Outcome {
    let eds = match publishing(cx) {
        Ok(e) => e,
        Err(o) => return o,
    };
    found(
        eds.iter()
            .filter(|e| matches!(e.policy.as_str(), "upsert-only" | "create-only"))
            .map(|e| {
                draft(
                    e.reference(),
                    format!(
                        "external-dns runs with `--policy={}`: it never deletes a record, so the Gateway's records outlive a rollback or the Gateway",
                        e.policy
                    ),
                )
            })
            .collect(),
    )
}

fn ingress_claims(cx: &Cx<'_>) -> Outcome {
    let eds = match publishing(cx) {
        Ok(e) => e,
        Err(o) => return o,
    };
    if let Some(o) = cx.need(&[Kind::Ingress]) {
        return o;
    }
    if cx.gateway.is_none() {
        return Outcome::Skip("no Gateway yet: its records are not due".into());
    }
    let gw_hosts = hostnames(cx);
    let mut out = Vec::new();
    for e in eds.into_iter().filter(|e| e.reads("ingress")) {
        let prefixes = e.prefixes();
        for ing in cx.snap.ingresses.iter().filter(|i| !e.ignores(&i.external_dns_annotations)) {
            let taken: Vec<String> = ingress_hostnames(ing, &prefixes)
                .into_iter()
                .filter(|h| gw_hosts.iter().any(|g| claims(h, g)))
                .collect();
            if taken.is_empty() {
                continue;
            }
            out.push(
                draft(
                    format!("Ingress {}/{}", ing.namespace, ing.name),
                    format!(
                        "claims {} for external-dns ({}): the record stays where this Ingress points until it stops claiming it",
                        taken.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
                        e.reference()
                    ),
                )
                .hint("external-dns keeps a name with the resource that created its record while that resource still claims it; the annotation makes external-dns ignore the Ingress, which keeps serving until Ingress is disabled")
                .fix(e.ignore_command("ingress", &ing.namespace, &ing.name)),
            );
        }
    }
    found(out)
}
