//! The route checks: HTTPRoutes and their backends.

use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found};
use crate::helm::shell_quote;
use crate::manifests;
use crate::snapshot::{Kind, condition};

checks! { Routes:
    "routes-not-accepted" => routes_not_accepted, Error,
        "Every route on the Gateway is accepted",
        "A route the Gateway refuses serves nothing; the reason says why.",
        "Read the reasons shown; `kubectl get httproute -A` lists the routes.";
    "route-refs-unresolved" => route_refs, Error,
        "Every route resolves its backends",
        "A route whose backend cannot be resolved answers with errors.",
        "Fix the backend reference (Service name, port, ReferenceGrant).";
    "knative-route-missing" => knative_route_missing, Error,
        "The Knative route exists",
        "Without it, inference hosts reach the Gateway but not Kourier.",
        "Re-apply the rendered bundle, which has the route.";
    "backend-no-endpoints" => backend_endpoints, Error,
        "The backends of the tool's routes have ready endpoints",
        "Conditions can be green while the Service has no ready endpoints, and every request then fails.",
        "Check the backend's pods: `kubectl get endpointslices -n NAMESPACE -l kubernetes.io/service-name=NAME`.";
}

/// Routes attached (by parentRef) to the Run:ai Gateway.
fn routes_on_gateway<'a>(cx: &'a Cx<'_>) -> Vec<&'a crate::snapshot::HttpRoute> {
    let (ns, name) = (&cx.spec.gateway_namespace, &cx.spec.gateway_name);
    cx.snap
        .http_routes
        .iter()
        .filter(|r| r.parent_refs.iter().any(|p| &p.namespace == ns && &p.name == name))
        .collect()
}

fn parent_condition<'a>(
    r: &'a crate::snapshot::HttpRoute,
    cx: &Cx<'_>,
    t: &str,
) -> Option<&'a crate::snapshot::Condition> {
    r.parents
        .iter()
        .filter(|p| p.parent.namespace == cx.spec.gateway_namespace && p.parent.name == cx.spec.gateway_name)
        .find_map(|p| condition(&p.conditions, t))
}

fn routes_not_accepted(cx: &Cx<'_>) -> Outcome {
    if cx.gateway.is_none() {
        return Outcome::Skip("no Gateway".into());
    }
    if let Some(o) = cx.need(&[Kind::HttpRoute]) {
        return o;
    }
    let bad: Vec<_> = routes_on_gateway(cx)
        .into_iter()
        .filter(|r| parent_condition(r, cx, "Accepted").is_some_and(|c| c.status == "False"))
        .collect();
    if bad.is_empty() {
        return Outcome::Pass;
    }
    let first: Vec<String> = bad
        .iter()
        .take(3)
        .map(|r| {
            let c = parent_condition(r, cx, "Accepted")
                .map(|c| format!("{}: {}", c.reason, c.message))
                .unwrap_or_default();
            format!("{}/{} ({c})", r.namespace, r.name)
        })
        .collect();
    found(vec![
        draft(
            cx.gw_ref(),
            format!(
                "{} of {} routes on {} are not accepted: {}{}",
                bad.len(),
                routes_on_gateway(cx).len(),
                cx.gw_ref(),
                first.join("; "),
                if bad.len() > 3 { "; …" } else { "" }
            ),
        )
        .fix("kubectl get httproute -A -o wide"),
    ])
}

/// Routes named one finding each up to this many; beyond, one finding with the count and the
/// first few names, so that the report stays one screen on a cluster with thousands of routes.
const ROUTES_NAMED: usize = 5;

fn route_refs(cx: &Cx<'_>) -> Outcome {
    if cx.gateway.is_none() {
        return Outcome::Skip("no Gateway".into());
    }
    let bad: Vec<_> = routes_on_gateway(cx)
        .into_iter()
        .filter_map(|r| {
            let c = parent_condition(r, cx, "ResolvedRefs")?;
            (c.status == "False").then_some((r, c))
        })
        .collect();
    if bad.len() > ROUTES_NAMED {
        let first: Vec<String> = bad
            .iter()
            .take(3)
            .map(|(r, c)| format!("{}/{} ({}: {})", r.namespace, r.name, c.reason, c.message))
            .collect();
        return found(vec![
            draft(
                cx.gw_ref(),
                format!(
                    "{} routes on {} cannot resolve their backends: {}; …",
                    bad.len(),
                    cx.gw_ref(),
                    first.join("; ")
                ),
            )
            .fix("kubectl get httproute -A -o wide"),
        ]);
    }
    found(
        bad.into_iter()
            .map(|(r, c)| {
                draft(
                    format!("HTTPRoute {}/{}", r.namespace, r.name),
                    format!(
                        "`{}/{}` cannot resolve its backends: {} ({})",
                        r.namespace, r.name, c.reason, c.message
                    ),
                )
            })
            .collect(),
    )
}

fn knative_route_missing(cx: &Cx<'_>) -> Outcome {
    if !cx.spec.inference_enabled() {
        return Outcome::Skip("inference is off".into());
    }
    if let Some(o) = cx.need(&[Kind::HttpRoute]) {
        return o;
    }
    if cx
        .snap
        .http_routes
        .iter()
        .any(|r| r.name == manifests::KNATIVE_ROUTE && r.namespace == cx.spec.knative_namespace)
    {
        return Outcome::Pass;
    }
    found(vec![
        draft(
            format!("HTTPRoute {}/{}", cx.spec.knative_namespace, manifests::KNATIVE_ROUTE),
            format!("HTTPRoute `{}/{}` does not exist", cx.spec.knative_namespace, manifests::KNATIVE_ROUTE),
        )
        .severity(cx.todo())
        .fix(cx.script("gateway")),
    ])
}

fn backend_endpoints(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::EndpointSlice]) {
        return o;
    }
    let mut drafts = Vec::new();
    for r in cx.snap.http_routes.iter().filter(|r| r.managed_by_tool || r.name == manifests::KNATIVE_ROUTE) {
        for (ns, svc, _) in &r.backends {
            let ready = cx
                .snap
                .endpoints
                .iter()
                .find(|e| &e.namespace == ns && &e.service == svc)
                .map_or(0, |e| e.ready);
            if ready == 0 {
                drafts.push(
                    draft(
                        format!("Service {ns}/{svc}"),
                        format!(
                            "backend `{ns}/{svc}` of route `{}/{}` has no ready endpoints",
                            r.namespace, r.name
                        ),
                    )
                    .fix(format!(
                        "kubectl get endpointslices -n {} -l kubernetes.io/service-name={}",
                        shell_quote(ns),
                        shell_quote(svc)
                    )),
                );
            }
        }
    }
    found(drafts)
}
