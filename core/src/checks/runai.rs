//! The Run:ai settings checks: the Run:ai Helm settings.

use super::Severity;
use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found};
use crate::helm::shell_quote;
use crate::snapshot::{Kind, RunaiSettings};
use crate::spec::{ControlPlaneLocation, RoutingMode};

checks! { RunaiSettings:
    "path-mode-subdomains-on" => subdomains, Error,
        "Host-based routing is off in path mode (and on in host mode)",
        "In path mode Run:ai must not create subdomain routes (`clusterConfig.global.subdomainSupport=false`).",
        "Run the `introduce` step, which sets `subdomainSupport` to match the routing mode.";
    "runai-gateway-mismatch" => runai_gateway, Error,
        "Run:ai names the Gateway that exists",
        "Run:ai attaches its routes to the Gateway its values name; another name leaves them unattached.",
        "Run the `introduce` step with the right `--gateway-name` and `--gateway-namespace`.";
    "runai-cp-cluster-disagree" => cp_cluster_disagree, Error,
        "The control plane and the cluster agree",
        "Half a migration (Gateway on one side, Ingress off on the other) leaves part of Run:ai unreachable.",
        "Run the same step for the other release.";
    "nothing-serves" => nothing_serves, Error,
        "Run:ai is served by Ingress or the Gateway",
        "With Ingress off and the Gateway API off, nothing routes to Run:ai.",
        "Re-enable one of them: `kubectl runai-gateway rollback`, or run the `introduce` step.";
    "runaiconfig-drift" => runaiconfig_drift, Warning,
        "runaiconfig agrees with the Helm values",
        "The next Helm upgrade overwrites runaiconfig edits; the cluster may behave differently after it.",
        "Manage these settings through Helm only.";
    "ingress-objects-remain" => ingress_remain, Info,
        "Ingress objects created by hand are cleaned up",
        "After Ingress is off, the Ingresses created by hand still route through the old controller.",
        "Delete them when no longer needed (keep them until rollback is off the table).";
}

fn subdomains(cx: &Cx<'_>) -> Outcome {
    let Some(rel) = cx.cluster else { return Outcome::Skip("no runai-cluster release".into()) };
    if !cx.gateway_api_on() {
        return Outcome::Skip("Run:ai does not use the Gateway yet".into());
    }
    let on = rel.settings.subdomain_support;
    match (cx.spec.routing_mode, on) {
        (RoutingMode::Path, Some(true) | None) => found(vec![draft(
            format!("Helm release {}/{}", rel.namespace, rel.name),
            "path mode, but host-based routing is still on (`clusterConfig.global.subdomainSupport` is not false)",
        )
        .fix(cx.script("introduce"))]),
        (RoutingMode::Host, Some(false)) => found(vec![draft(
            format!("Helm release {}/{}", rel.namespace, rel.name),
            "host mode, but host-based routing is off (`clusterConfig.global.subdomainSupport=false`): workloads get paths, not subdomains",
        )
        .severity(Severity::Warning)
        .fix(cx.script("introduce"))]),
        _ => Outcome::Pass,
    }
}

fn runai_gateway(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need_releases() {
        return o;
    }
    let want = (cx.spec.gateway_namespace.clone(), cx.spec.gateway_name.clone());
    let mut drafts = Vec::new();
    for rel in [cx.cluster, cx.backend].into_iter().flatten() {
        if rel.settings.gateway_api_enabled != Some(true) {
            continue;
        }
        match &rel.settings.gateway {
            Some(g) if *g == want => {
                if cx.snap.was_read(Kind::Gateway) && cx.gateway.is_none() {
                    drafts.push(
                        draft(
                            format!("Helm release {}/{}", rel.namespace, rel.name),
                            format!("`{}` names Gateway `{}/{}`, which does not exist", rel.name, g.0, g.1),
                        )
                        .fix(cx.script("gateway")),
                    );
                }
            }
            Some(g) => drafts.push(
                draft(
                    format!("Helm release {}/{}", rel.namespace, rel.name),
                    format!("`{}` names Gateway `{}/{}`, not `{}/{}`", rel.name, g.0, g.1, want.0, want.1),
                )
                .fix(cx.script("introduce")),
            ),
            None => drafts.push(
                draft(
                    format!("Helm release {}/{}", rel.namespace, rel.name),
                    format!("`{}` has the Gateway API on but names no Gateway", rel.name),
                )
                .fix(cx.script("introduce")),
            ),
        }
    }
    found(drafts)
}

fn cp_cluster_disagree(cx: &Cx<'_>) -> Outcome {
    let (Some(c), Some(b)) = (cx.cluster, cx.backend) else {
        // A control plane read from another context that could not be read: say why.
        if cx.backend.is_none()
            && cx.spec.control_plane == ControlPlaneLocation::Remote
            && let Some(o) = cx.need(&[Kind::ControlPlaneRelease])
        {
            return o;
        }
        return Outcome::Skip(match cx.spec.control_plane {
            ControlPlaneLocation::Saas => "the control plane is NVIDIA's (SaaS)".into(),
            _ => "one of the Run:ai releases was not found".into(),
        });
    };
    let on = |s: &RunaiSettings| s.gateway_api_enabled.unwrap_or(false);
    let ingress = |s: &RunaiSettings| s.ingress_enabled.unwrap_or(true);
    let mut drafts = Vec::new();
    if on(&c.settings) != on(&b.settings) {
        drafts.push(
            draft(
                None,
                format!(
                    "the Gateway API is {} on the cluster but {} on the control plane",
                    if on(&c.settings) { "on" } else { "off" },
                    if on(&b.settings) { "on" } else { "off" }
                ),
            )
            .fix(cx.script("introduce")),
        );
    }
    if ingress(&c.settings) != ingress(&b.settings) {
        drafts.push(
            draft(
                None,
                format!(
                    "Ingress is {} on the cluster but {} on the control plane",
                    if ingress(&c.settings) { "on" } else { "off" },
                    if ingress(&b.settings) { "on" } else { "off" }
                ),
            )
            .fix(cx.script("disable-ingress")),
        );
    }
    found(drafts)
}

fn nothing_serves(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need_releases() {
        return o;
    }
    if cx.ingress_off() && !cx.gateway_api_on() {
        found(vec![
            draft(None, "Ingress is off and the Gateway API is off: nothing routes to Run:ai")
                .fix(cx.script("rollback-runai")),
        ])
    } else {
        Outcome::Pass
    }
}

fn runaiconfig_drift(cx: &Cx<'_>) -> Outcome {
    let (Some(cfg), Some(rel)) = (&cx.snap.runai_config, cx.cluster) else {
        return Outcome::Skip("no runaiconfig or no runai-cluster release".into());
    };
    let h = &rel.settings;
    let mut diffs = Vec::new();
    if h.gateway_api_enabled.is_some() && cfg.gateway_api_enabled != h.gateway_api_enabled {
        diffs.push(format!(
            "gatewayAPI.enabled: runaiconfig {:?}, Helm {:?}",
            cfg.gateway_api_enabled, h.gateway_api_enabled
        ));
    }
    if h.ingress_enabled.is_some() && cfg.ingress_enabled != h.ingress_enabled {
        diffs.push(format!(
            "ingress.enabled: runaiconfig {:?}, Helm {:?}",
            cfg.ingress_enabled, h.ingress_enabled
        ));
    }
    if h.gateway.is_some() && cfg.gateway != h.gateway {
        diffs.push("gatewayAPI name/namespace differ".into());
    }
    found(
        diffs
            .into_iter()
            .map(|d| draft(format!("RunaiConfig {}/runai", cx.spec.cluster.namespace), d))
            .collect(),
    )
}

fn ingress_remain(cx: &Cx<'_>) -> Outcome {
    if !cx.ingress_off() {
        return Outcome::Skip("Ingress is still on".into());
    }
    found(
        cx.snap
            .ingresses
            .iter()
            .filter(|i| !i.managed)
            .map(|i| {
                draft(
                    format!("Ingress {}/{}", i.namespace, i.name),
                    format!("Ingress `{}/{}` ({}) still exists", i.namespace, i.name, i.hosts.join(", ")),
                )
                .fix(format!(
                    "kubectl delete ingress {} -n {}",
                    shell_quote(&i.name),
                    shell_quote(&i.namespace)
                ))
            })
            .collect(),
    )
}
