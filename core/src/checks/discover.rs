//! Spec discovery: what the user did not say, read from the cluster.

use crate::manifests::{self, listener};
use crate::snapshot::Snapshot;
use crate::spec::{Controller, GatewayInput, InferenceInput, RoutingMode, SpecInput};

pub(super) fn discover(input: &SpecInput, snap: &Snapshot) -> SpecInput {
    let mut out = input.clone();
    let (cluster_rel, backend_rel) =
        (input.release(crate::helm::Component::Cluster), input.release(crate::helm::Component::ControlPlane));
    let cluster = snap.release(&cluster_rel.namespace, &cluster_rel.release);
    let backend = snap.release(&backend_rel.namespace, &backend_rel.release);

    // The Gateway Run:ai is configured to use, not an assumed runai/runai-gateway.
    let gw_from_values = cluster
        .and_then(|r| r.settings.gateway.clone())
        .or_else(|| backend.and_then(|r| r.settings.gateway.clone()))
        .or_else(|| snap.runai_config.as_ref().and_then(|c| c.gateway.clone()));
    let gw_input = out.gateway.get_or_insert_with(GatewayInput::default);
    if let Some((ns, name)) = &gw_from_values {
        gw_input.namespace.get_or_insert_with(|| ns.clone());
        gw_input.name.get_or_insert_with(|| name.clone());
    }
    let gw_ns = gw_input.namespace.clone().unwrap_or_else(|| crate::spec::defaults::GATEWAY_NAMESPACE.into());
    let gw_name = gw_input.name.clone().unwrap_or_else(|| crate::spec::defaults::GATEWAY_NAME.into());
    let gateway = snap.gateway(&gw_ns, &gw_name);
    if let Some(gw) = gateway {
        if gw_input.class_name.is_none() && !gw.class_name.is_empty() {
            gw_input.class_name = Some(gw.class_name.clone());
        }
        if gw_input.controller.is_none()
            && let Some(class) = snap.gateway_classes.iter().find(|c| c.name == gw.class_name)
        {
            gw_input.controller = Controller::ALL
                .into_iter()
                .find(|c| c.controller_name() == Some(class.controller_name.as_str()))
                .or(Some(Controller::Other));
        }
    }

    if out.cluster_domain.is_none() {
        out.cluster_domain = gateway
            .and_then(|g| {
                g.listeners
                    .iter()
                    .find(|l| l.name == listener::CLUSTER_DOMAIN)
                    .or_else(|| {
                        g.listeners.iter().find(|l| {
                            l.protocol == "HTTPS"
                                && l.hostname.as_deref().is_some_and(|h| !h.starts_with('*'))
                        })
                    })
                    .and_then(|l| l.hostname.clone())
            })
            .or_else(|| cluster.and_then(|r| r.settings.domain.clone()))
            .or_else(|| backend.and_then(|r| r.settings.domain.clone()))
            .or_else(|| {
                snap.ingresses.iter().flat_map(|i| i.hosts.iter()).find_map(|h| {
                    h.strip_prefix("*.").filter(|d| !d.contains("inference")).map(str::to_owned)
                })
            });
    }

    if out.routing_mode.is_none() && cluster.and_then(|r| r.settings.subdomain_support) == Some(false) {
        out.routing_mode = Some(RoutingMode::Path);
    }

    let inf = out.inference.get_or_insert_with(InferenceInput::default);
    if inf.enabled.is_none() && inf.domain.is_none() {
        inf.domain = gateway
            .and_then(|g| g.listeners.iter().find(|l| l.name == listener::INFERENCE))
            .and_then(|l| l.hostname.as_deref())
            .and_then(|h| h.strip_prefix("*."))
            .map(str::to_owned)
            .or_else(|| {
                snap.http_routes
                    .iter()
                    .find(|r| r.name == manifests::KNATIVE_ROUTE)
                    .and_then(|r| r.hostnames.first())
                    .and_then(|h| h.strip_prefix("*."))
                    .map(str::to_owned)
            })
            .or_else(|| snap.knative_servings.first().and_then(|k| k.domains.first().cloned()));
    }
    // The issuer of the Certificates `apply` created (they carry its label), when not given.
    let tls = out.tls.get_or_insert_with(Default::default);
    if tls.issuer.is_none() {
        tls.issuer = snap
            .cert_manager
            .certificates
            .iter()
            .filter(|c| c.managed_by_tool && c.namespace == gw_ns)
            .find_map(|c| c.issuer.as_ref())
            .map(ToString::to_string);
    }
    if out.tls.as_ref().is_some_and(|t| *t == Default::default()) {
        out.tls = None;
    }
    if out.inference.as_ref().is_some_and(|i| *i == InferenceInput::default()) {
        out.inference = None;
    }
    if out.gateway.as_ref().is_some_and(|g| *g == GatewayInput::default()) {
        out.gateway = None;
    }
    out
}
