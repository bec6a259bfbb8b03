//! The Gateway checks: the Gateway and its listeners.

use super::Severity;
use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found};
use crate::helm::shell_quote;
use crate::hostname;
use crate::manifests::{self, listener};
use crate::snapshot::{Kind, condition, is_true};
use crate::spec::{ControlPlaneLocation, Platform, RoutingMode};

checks! { Gateway:
    "gateway-missing" => gateway_missing, Error,
        "The Gateway Run:ai uses exists",
        "Run:ai attaches its routes to this Gateway; if it is missing nothing is served through it.",
        "Apply it: `kubectl runai-gateway render | kubectl apply --server-side --field-manager=runai-gateway -f -`.";
    "gateway-not-programmed" => gateway_not_programmed, Error,
        "The Gateway is Accepted and Programmed",
        "Only a programmed Gateway has a data plane serving its listeners.",
        "Read the conditions' reason: `kubectl describe gateway -n NAMESPACE NAME`.";
    "gateway-no-address" => gateway_no_address, Error,
        "The Gateway has an address",
        "DNS must point at the Gateway's address; without one there is nothing to switch to.",
        "Check the controller's LoadBalancer Service (cloud load balancer quota, MetalLB pool).";
    "listener-missing" => listener_missing, Error,
        "Every listener the routing mode needs is on the Gateway",
        "A missing listener leaves its hostnames unserved once DNS points at the Gateway.",
        "Re-apply the rendered Gateway, which has every listener.";
    "listener-refs-unresolved" => listener_refs, Error,
        "Every listener resolves its certificate references",
        "A listener that cannot load its certificate does not serve TLS for its hostname.",
        "Create the secret in the Gateway's namespace, or fix the reference.";
    "inference-hostname-mismatch" => inference_hostname, Error,
        "The inference listener, the Knative route and Knative's domain agree",
        "The Run:ai page's listener uses `*.runai-inference.<cluster domain>` while its route and Knative use the sibling domain; the two never intersect and inference is refused.",
        "Use one inference domain everywhere (`--inference-domain`) and re-apply.";
    "allowed-routes-refused" => allowed_routes_refused, Error,
        "Each listener admits the namespaces whose routes must attach",
        "The Gateway API default admits only the Gateway's own namespace, which refuses the Knative route and Run:ai's routes (`NotAllowedByListeners`).",
        "Re-apply the rendered Gateway, whose listeners admit exactly the namespaces that need them.";
    "allowed-routes-open" => allowed_routes_open, Warning,
        "The control-plane listener does not admit every namespace",
        "With `from: All`, anyone who may create an HTTPRoute in any namespace can claim the control-plane hostname.",
        "Restrict it: `--control-plane-routes ns:runai,runai-backend`.";
    "http-redirect-missing" => http_redirect, Warning,
        "Plain http:// is redirected to https://",
        "HAProxy redirected http:// links; without a port-80 listener they fail after the DNS switch.",
        "Re-apply the rendered Gateway and redirect route (on by default).";
    "websockets-disabled" => websockets, Warning,
        "WebSocket upgrades are enabled on kgateway",
        "kgateway turns WebSocket upgrades off by default; Jupyter and VS Code workspaces need them.",
        "Apply the rendered `HTTPListenerPolicy` (on by default for kgateway).";
}

fn gateway_missing(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::Gateway]) {
        return o;
    }
    if cx.gateway.is_some() {
        return Outcome::Pass;
    }
    let sev = if cx.gateway_api_on() { Severity::Error } else { Severity::Info };
    found(vec![
        draft(cx.gw_ref(), format!("{} does not exist", cx.gw_ref())).severity(sev).fix(cx.script("gateway")),
    ])
}

fn gateway_not_programmed(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    let mut drafts = Vec::new();
    for t in ["Accepted", "Programmed"] {
        if !is_true(&gw.conditions, t) {
            let why = condition(&gw.conditions, t).map_or_else(
                || "not reported by any controller".to_owned(),
                |c| format!("{}={} ({}: {})", t, c.status, c.reason, c.message),
            );
            drafts.push(draft(cx.gw_ref(), format!("{} is not {t}: {why}", cx.gw_ref())).fix(format!(
                "kubectl describe gateway {} -n {}",
                shell_quote(&gw.name),
                shell_quote(&gw.namespace)
            )));
        }
    }
    found(drafts)
}

fn gateway_no_address(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    if gw.addresses.is_empty() {
        found(vec![
            draft(cx.gw_ref(), format!("{} has no address in its status", cx.gw_ref()))
                .fix(format!("kubectl get svc -n {} -o wide", shell_quote(&gw.namespace))),
        ])
    } else {
        Outcome::Pass
    }
}

fn listener_missing(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    found(
        manifests::listeners(cx.spec)
            .into_iter()
            .filter(|want| want.name != listener::INFERENCE) // inference-hostname-mismatch covers it
            .filter(|want| {
                !gw.listeners.iter().any(|l| {
                    l.protocol == want.protocol
                        && i64::from(want.port) == l.port
                        && l.hostname == want.hostname
                })
            })
            .map(|want| {
                let sev = if want.protocol == "HTTP" { Severity::Warning } else { Severity::Error };
                draft(
                    cx.gw_ref(),
                    format!(
                        "{} has no {}/{} listener for `{}` ({})",
                        cx.gw_ref(),
                        want.protocol,
                        want.port,
                        want.hostname.as_deref().unwrap_or("any host"),
                        want.purpose
                    ),
                )
                .severity(sev)
                .fix(cx.script("gateway"))
            })
            .collect(),
    )
}

fn listener_refs(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    found(
        gw.listeners
            .iter()
            .filter_map(|l| {
                let c = condition(&l.conditions, "ResolvedRefs")?;
                (c.status == "False").then(|| {
                    draft(
                        cx.gw_ref(),
                        format!(
                            "listener `{}` cannot resolve its references: {} ({})",
                            l.name, c.reason, c.message
                        ),
                    )
                })
            })
            .collect(),
    )
}

fn inference_hostname(cx: &Cx<'_>) -> Outcome {
    let (Some(domain), Platform::Kubernetes) = (&cx.spec.inference_domain, cx.spec.platform) else {
        return Outcome::Skip("inference is not routed through this Gateway".into());
    };
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    let want = format!("*.{domain}");
    let mut drafts = Vec::new();
    let inference_listeners: Vec<_> = gw
        .listeners
        .iter()
        .filter(|l| l.name == listener::INFERENCE || l.hostname.as_deref() == Some(want.as_str()))
        .collect();
    match inference_listeners.iter().find(|l| l.hostname.as_deref() == Some(want.as_str())) {
        Some(_) => {}
        None => {
            let have =
                inference_listeners.first().and_then(|l| l.hostname.clone()).unwrap_or_else(|| "none".into());
            drafts.push(
                draft(cx.gw_ref(), format!("the inference listener's hostname is `{have}`, but inference hosts are `{want}`"))
                    .hint("the Run:ai page's listener uses `*.runai-inference.<cluster domain>` while its route and Knative use the sibling domain; all three must be one domain")
                    .fix(cx.script("gateway")),
            );
        }
    }
    if let Some(route) = cx
        .snap
        .http_routes
        .iter()
        .find(|r| r.name == manifests::KNATIVE_ROUTE && r.namespace == cx.spec.knative_namespace)
        && !route.hostnames.iter().any(|h| hostname::intersects(Some(&want), h))
    {
        drafts.push(
            draft(
                format!("HTTPRoute {}/{}", route.namespace, route.name),
                format!(
                    "the Knative route's hostnames ({}) do not meet the inference listener `{want}`",
                    route.hostnames.join(", ")
                ),
            )
            .fix(cx.script("gateway")),
        );
    }
    found(drafts)
}

fn allowed_routes_refused(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    if let Some(o) = cx.need(&[Kind::Namespace]) {
        return o;
    }
    let mut needs: Vec<(&str, Vec<String>)> = vec![(
        listener::CLUSTER_DOMAIN,
        match cx.spec.control_plane {
            ControlPlaneLocation::SameCluster => {
                vec![cx.spec.backend.namespace.clone(), cx.spec.cluster.namespace.clone()]
            }
            _ => vec![cx.spec.cluster.namespace.clone()],
        },
    )];
    if cx.spec.inference_enabled() && cx.spec.platform == Platform::Kubernetes {
        needs.push((listener::INFERENCE, vec![cx.spec.knative_namespace.clone()]));
    }
    let mut drafts = Vec::new();
    for (lname, namespaces) in needs {
        let Some(l) = gw.listeners.iter().find(|l| l.name == lname) else { continue };
        for ns in namespaces {
            if !l.allowed.admits(&gw.namespace, &ns, &cx.labels_of(&ns)) {
                drafts.push(
                    draft(cx.gw_ref(), format!("listener `{lname}` does not admit routes from namespace `{ns}` (allowedRoutes from: {})", l.allowed.from))
                        .hint("routes from there are refused with `NotAllowedByListeners`")
                        .fix(cx.script("gateway")),
                );
            }
        }
    }
    found(drafts)
}

fn allowed_routes_open(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    if cx.spec.routing_mode == RoutingMode::Path {
        return Outcome::Skip("path mode shares the hostname with workloads (see the render warning)".into());
    }
    found(
        gw.listeners
            .iter()
            .filter(|l| {
                l.hostname.as_deref() == Some(cx.spec.cluster_domain.as_str()) && l.allowed.from == "All"
            })
            .map(|l| {
                draft(
                    cx.gw_ref(),
                    format!("listener `{}` for the control plane admits routes from every namespace", l.name),
                )
                .fix(cx.script("gateway"))
            })
            .collect(),
    )
}

fn http_redirect(cx: &Cx<'_>) -> Outcome {
    if !cx.spec.http_redirect {
        return Outcome::Skip("`--no-http-redirect`".into());
    }
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    let has_http = gw.listeners.iter().any(|l| l.protocol == "HTTP" && l.port == 80);
    let has_redirect = cx.snap.http_routes.iter().any(|r| {
        r.parent_refs.iter().any(|p| {
            p.namespace == gw.namespace
                && p.name == gw.name
                && p.section_name
                    .as_deref()
                    .is_none_or(|s| gw.listeners.iter().any(|l| l.name == s && l.protocol == "HTTP"))
        }) && r.name == manifests::redirect_route_name(cx.spec)
    });
    if has_http && has_redirect {
        Outcome::Pass
    } else {
        found(vec![
            draft(
                cx.gw_ref(),
                format!(
                    "{} does not redirect http:// to https:// ({})",
                    cx.gw_ref(),
                    if has_http { "no redirect route" } else { "no port-80 listener" }
                ),
            )
            .fix(cx.script("gateway")),
        ])
    }
}

fn websockets(cx: &Cx<'_>) -> Outcome {
    if cx.spec.controller.profile().websockets.is_none() {
        return Outcome::Skip(format!("{} proxies WebSocket upgrades by default", cx.spec.controller));
    }
    if !cx.spec.websockets {
        return Outcome::Skip("`--no-websockets`".into());
    }
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    if let Some(o) = cx.need(&[Kind::ListenerPolicy]) {
        return o;
    }
    let on = cx.snap.listener_policies.iter().any(|p| {
        p.namespace == gw.namespace
            && p.target_gateways.contains(&gw.name)
            && p.enabled_upgrades.iter().any(|u| u == "websocket")
    });
    if on {
        Outcome::Pass
    } else {
        found(vec![
            draft(
                cx.gw_ref(),
                format!("no kgateway listener policy enables WebSocket upgrades on {}", cx.gw_ref()),
            )
            .hint("Jupyter and VS Code workspaces connect, then fail on their first WebSocket")
            .fix(cx.script("gateway")),
        ])
    }
}
